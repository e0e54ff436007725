"""Gradient-check cases for every op of ``autograd/ops.py`` (collected by ``test_op_table.py``).

Shapes cover 0-d tensors and broadcasting pairs; reductions cover ``axis=None``,
ints, negative ints, tuples and ``keepdims``. Inputs are drawn uniformly from
``domain``, so ties (max/min, maximum/minimum) and kinks (abs, relu, clip) are
almost surely more than the finite-difference step away; the tie rules have their
own tests in ``test_tensor_api_math.py``. Piecewise-linear ops keep ``twice=True``: their
second derivative is 0 on both sides, and gradgradcheck still checks that their
rules run under ``create_graph=True`` and record nothing wrong.
"""
import numpy as np
from op_cases import Case

import autograd
from autograd import OPS

UNARY_SHAPES = [(), (3,), (2, 3), (2, 1, 3)]
BROADCAST_PAIRS = [
    ((), ()),
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((4, 1), (1, 5)),
    ((), (2,)),
    ((2, 1, 3), (4, 1)),
]
REDUCTION_AXES = [  # (axis, keepdims) on a (2, 3, 4) input
    (None, False), (None, True), (0, False), (-1, True), (1, False),
    ((0, 2), False), ((-1, 0), True),
]


def _condition(rng, shapes):
    """A random boolean mask with the broadcast shape of the two operands (``where``)."""
    return (rng.random(np.broadcast_shapes(*shapes)) > 0.5,)


def _reduction_cases(op, method, empty=True, **kwargs):
    cases = [Case(op, lambda x: getattr(x, method)(), shapes=[(), (3,)], label="all", **kwargs)]
    for axis, keepdims in REDUCTION_AXES:
        label = f"axis{axis}{'-keep' if keepdims else ''}".replace(" ", "")
        cases.append(Case(op, lambda x, a=axis, k=keepdims: getattr(x, method)(axis=a, keepdims=k),
                          shapes=[(2, 3, 4)], label=label, **kwargs))
    # PyTorch's spelling, positional dim, and empty tensors (reduced over a zero-length dim or not)
    cases.append(Case(op, lambda x: getattr(x, method)(dim=1, keepdim=True), shapes=[(2, 3, 4)],
                      label="dim-keepdim", **kwargs))
    cases.append(Case(op, lambda x: getattr(x, method)(-1), shapes=[(2, 3)] + [(3, 0)] * empty,
                      label="dim-pos", **kwargs))
    return cases


def _set(x, index, value):
    """``x[index] = value`` as an expression (x is a fresh non-leaf, so the write is recorded)."""
    x[index] = value
    return x


CASES = [
    # --- arithmetic (binary ops over every broadcasting pair) -----------------------
    Case("add", lambda x, y: x + y, shapes=BROADCAST_PAIRS),
    Case("add", lambda x: 1.5 + x, shapes=UNARY_SHAPES, label="number"),
    Case("sub", lambda x, y: x - y, shapes=BROADCAST_PAIRS),
    Case("sub", lambda x: 1.5 - x, shapes=UNARY_SHAPES, label="number"),
    Case("mul", lambda x, y: x * y, shapes=BROADCAST_PAIRS),
    Case("mul", lambda x: x * x, shapes=UNARY_SHAPES, label="self"),
    Case("div", lambda x, y: x / y, shapes=BROADCAST_PAIRS, domain=(0.5, 2.0)),
    Case("div", lambda x: 2.0 / x, shapes=UNARY_SHAPES, domain=(0.5, 2.0), label="number"),
    Case("neg", lambda x: -x, shapes=UNARY_SHAPES),
    Case("pow", lambda x: x ** 3, shapes=UNARY_SHAPES, label="cube"),
    Case("pow", lambda x: x ** 2, shapes=UNARY_SHAPES, label="square"),
    Case("pow", lambda x: x ** 0.5, shapes=UNARY_SHAPES, domain=(0.5, 2.0), label="half"),
    Case("pow", lambda x: x ** -1.5, shapes=UNARY_SHAPES, domain=(0.5, 2.0), label="neg"),
    # x ** 0 at x = 0 (domain (0, 0) draws zeros): flat, so the gradient is 0, not 0 * 0 ** -1
    Case("pow", lambda x: x ** 0, shapes=UNARY_SHAPES, domain=(0.0, 0.0), label="zero-at-0"),
    Case("pow_tensor", lambda x, y: x ** y, shapes=BROADCAST_PAIRS, domain=(0.5, 2.0)),
    Case("pow_tensor", lambda x: x ** autograd.Tensor(np.zeros(x.shape)), shapes=[(3,), (2, 3)],
         domain=(0.0, 0.0), label="zero-exponent-at-0"),
    Case("pow_tensor", lambda x: 2.0 ** x, shapes=UNARY_SHAPES, label="rpow"),
    Case("matmul", lambda x, y: x @ y, shapes=[
        ((3,), (3,)), ((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)),
        ((5, 2, 3), (3, 4)), ((2, 1, 2, 3), (3, 3, 2)), ((3,), (2, 3, 4)), ((2, 3, 4), (4,)),
    ]),
    Case("maximum", lambda x, y: autograd.maximum(x, y), shapes=BROADCAST_PAIRS),
    Case("maximum", lambda x: autograd.maximum(x, 0.25), shapes=UNARY_SHAPES, label="number"),
    Case("minimum", lambda x, y: autograd.minimum(x, y), shapes=BROADCAST_PAIRS),
    Case("minimum", lambda x: autograd.minimum(0.25, x), shapes=UNARY_SHAPES, label="number"),
    Case("where", lambda x, y, c: autograd.where(c, x, y), shapes=BROADCAST_PAIRS,
         extra=_condition, tags=("no_value",)),
    Case("where", lambda x: autograd.where(np.array([True, False, True]), x, 0.0),
         shapes=[(3,), (2, 3)], label="number"),

    # --- elementwise functions ------------------------------------------------------
    Case("exp", lambda x: x.exp(), shapes=UNARY_SHAPES),
    Case("log", lambda x: x.log(), shapes=UNARY_SHAPES, domain=(0.5, 2.0)),
    Case("sqrt", lambda x: x.sqrt(), shapes=UNARY_SHAPES, domain=(0.5, 2.0)),
    Case("abs", lambda x: x.abs(), shapes=UNARY_SHAPES),
    Case("sin", lambda x: x.sin(), shapes=UNARY_SHAPES),
    Case("cos", lambda x: x.cos(), shapes=UNARY_SHAPES),
    Case("tanh", lambda x: x.tanh(), shapes=UNARY_SHAPES),
    Case("sigmoid", lambda x: x.sigmoid(), shapes=UNARY_SHAPES, domain=(-4.0, 4.0)),
    Case("relu", lambda x: x.relu(), shapes=UNARY_SHAPES),
    # the backward ops (their forward a kernel on arrays), called directly: broadcasting pairs
    # take the kernels' NumPy fallback, same-shape pairs the kernel itself
    Case("tanh_backward", lambda g, y: OPS["tanh_backward"](g, y),
         shapes=BROADCAST_PAIRS + [((0, 2), (0, 2))], domain=(-0.9, 0.9)),
    Case("relu_backward", lambda g, x: OPS["relu_backward"](g, x),
         shapes=BROADCAST_PAIRS + [((0, 2), (0, 2))]),
    Case("relu_backward", lambda g, x: OPS["relu_backward"](g, x).tanh(), shapes=[((2, 3), (2, 3))],
         label="chained"),
    Case("log1p", lambda x: x.log1p(), shapes=UNARY_SHAPES, domain=(-0.5, 2.0)),
    Case("expm1", lambda x: x.expm1(), shapes=UNARY_SHAPES),
    Case("tan", lambda x: x.tan(), shapes=UNARY_SHAPES, domain=(-1.0, 1.0)),
    Case("sign", lambda x: x.sign() * x, shapes=UNARY_SHAPES, twice=False),
    Case("floor", lambda x: x.floor() + x, shapes=UNARY_SHAPES, twice=False),
    Case("ceil", lambda x: x.ceil() * x, shapes=UNARY_SHAPES, twice=False),
    Case("round", lambda x: (x * 3).round() * x, shapes=UNARY_SHAPES, twice=False),
    Case("clamp", lambda x: x.clip(-0.5, 0.7), shapes=UNARY_SHAPES, domain=(-1.0, 1.2)),
    Case("clamp", lambda x: x.clamp(max=0.7), shapes=[(2, 3)], label="hi"),
    Case("clamp", lambda x: x.clamp(-0.5), shapes=[(2, 3), (0, 3)], label="lo"),
    Case("cast", lambda x: x.astype(np.float64) * 2.0, shapes=UNARY_SHAPES),
    # float64 -> longdouble -> float64: a real dtype change that loses no precision
    Case("cast", lambda x: (x.astype(np.longdouble) * 3.0).astype(np.float64), shapes=[(2, 3)],
         label="longdouble"),

    # --- reductions -----------------------------------------------------------------
    *_reduction_cases("sum", "sum"),
    Case("sum_backward", lambda g: OPS["sum_backward"](g, shape=(2, 3, 4), axis=1), shapes=[(2, 4)]),
    Case("sum_backward", lambda g: OPS["sum_backward"](g, shape=(2, 3, 4), axis=(0, -1), keepdims=True),
         shapes=[(1, 3, 1)], label="keep"),
    Case("sum_backward", lambda g: OPS["sum_backward"](g, shape=(2, 3)), shapes=[()], label="all"),
    Case("sum_backward", lambda g: OPS["sum_backward"](g, shape=(0, 3), axis=0), shapes=[(3,)],
         label="empty"),
    *_reduction_cases("mean", "mean", empty=False),
    *_reduction_cases("amax", "amax", empty=False),
    *_reduction_cases("amin", "amin", empty=False),
    Case("amax", lambda x: x.max(), shapes=[(), (2, 3)], label="max"),
    Case("amin", lambda x: x.min(), shapes=[(), (2, 3)], label="min"),
    *_reduction_cases("logsumexp", "logsumexp"),
    *_reduction_cases("prod", "prod"),
    # one exact zero per row (column 1); with two or more zeros the rule's own second
    # derivative is not exact (documented in ops._prod_backward)
    Case("prod", lambda x: (x * autograd.tensor([1.0, 0.0, 1.0], dtype=np.float64)).prod(1),
         shapes=[(4, 3)], label="zeros"),
    Case("prod", lambda x: (x * autograd.tensor([0.0, 0.0, 1.0], dtype=np.float64)).prod(1),
         shapes=[(4, 3)], label="two-zeros", twice=False),
    Case("mean", lambda x: x.var(), shapes=[(3,), (2, 3)], label="var"),
    Case("mean", lambda x: x.var(axis=-1, keepdims=True, ddof=0), shapes=[(2, 3)],
         label="var-ddof0"),
    Case("mean", lambda x: x.std(dim=(0, 2), correction=0), shapes=[(2, 3, 4)], label="std-tuple"),
    Case("norm", lambda x: x.norm(), shapes=[(), (3,), (2, 3)]),
    Case("norm", lambda x: x.norm(dim=1, keepdim=True), shapes=[(2, 3, 4), (3, 0)], label="dim"),
    Case("norm", lambda x: x.norm(2, (0, -1)), shapes=[(2, 3, 4)], label="dims"),
    Case("norm", lambda x: x.norm(dim=1) * 0 + (x * 0).norm(dim=1), shapes=[(2, 3)], label="at-zero",
         twice=False),
    Case("abs", lambda x: x.norm(p=1, dim=0) + x.norm(p=3) + x.norm(p=float("inf")), shapes=[(2, 3)],
         label="norm-p"),
    Case("cumsum", lambda x: x.cumsum(0), shapes=[(4,), (3, 2)]),
    Case("cumsum", lambda x: x.cumsum(dim=-1), shapes=[(2, 3, 4), (2, 0)], label="last"),
    Case("gather", lambda x: x.max(1).values, shapes=[(3, 4)], label="max-dim"),
    Case("gather", lambda x: x.min(dim=0, keepdim=True)[0], shapes=[(3, 4)], label="min-dim"),
    Case("gather", lambda x: x.topk(2).values, shapes=[(3, 4)], label="topk"),
    Case("gather", lambda x: x.sort(dim=0, descending=True).values, shapes=[(3, 4)], label="sort"),
    Case("gather", lambda x: x.gather(1, autograd.tensor([[0, 0], [2, 1]])), shapes=[(2, 3)],
         label="repeats"),
    Case("gather_backward", lambda g: OPS["gather_backward"](g, indices=np.array([[0, 0], [2, 1]]),
                                                              axis=1, shape=(2, 3)), shapes=[(2, 2)]),
    Case("setitem", lambda x, v: _set(x * 1, (slice(None), 1), v), shapes=[((3, 4), (3,)), ((3, 4), ())]),
    Case("setitem", lambda x, v: _set(x * 1, np.array([0, 2]), v), shapes=[((3, 2), (2,))],
         label="rows"),

    # --- shape ----------------------------------------------------------------------
    Case("reshape", lambda x: x.reshape(3, 2), shapes=[(2, 3), (6,)]),
    Case("reshape", lambda x: x.reshape(-1), shapes=[(), (2, 3), (2, 1, 3)], label="flat"),
    Case("reshape", lambda x: x.squeeze(), shapes=[(2, 1, 3), (1,)], label="squeeze"),
    Case("reshape", lambda x: x.unsqueeze(-1), shapes=[(), (2, 3)], label="unsqueeze"),
    Case("reshape", lambda x: x.flatten(1), shapes=[(2, 3, 4), (0, 2, 3)], label="flatten"),
    Case("reshape", lambda x: x.view(2, -1).unflatten(1, (2, -1)), shapes=[(2, 4)], label="view"),
    Case("permute", lambda x: x.T, shapes=[(), (3,), (2, 3), (2, 3, 4)]),
    Case("permute", lambda x: x.transpose(0, 1), shapes=[(2, 3), (2, 3, 4)], label="transpose"),
    Case("permute", lambda x: x.permute(2, 0, 1), shapes=[(2, 3, 4)], label="dims"),
    Case("permute", lambda x: x.transpose(-1, 0), shapes=[(2, 3)], label="neg"),
    Case("permute", lambda x: x.permute(0, -1, 1), shapes=[(2, 3, 4)], label="permute-neg"),
    Case("permute", lambda x: x.mT @ x, shapes=[(2, 3, 4)], label="mT"),
    Case("broadcast_to", lambda x: x.expand(2, 3), shapes=[(), (3,), (1, 3), (2, 1)]),
    Case("broadcast_to", lambda x: x.expand(4, -1, 3), shapes=[(2, 1)], label="keep"),
    Case("broadcast_to", lambda x: OPS["broadcast_to"](x, shape=(2, 4, 3)), shapes=[(4, 1)],
         label="op"),
    Case("broadcast_to", lambda x: x.repeat(2, 3), shapes=[(3,), (2, 3)], label="repeat"),
    Case("sum_to", lambda x: OPS["sum_to"](x, shape=(3,)), shapes=[(3,), (2, 3), (4, 1, 3)]),
    Case("sum_to", lambda x: OPS["sum_to"](x, shape=(2, 1)), shapes=[(2, 5), (3, 2, 4)],
         label="keep"),
    Case("sum_to", lambda x: OPS["sum_to"](x, shape=()), shapes=[(), (2, 3)], label="scalar"),
    Case("getitem", lambda x: x[1], shapes=[(3,), (3, 2)], label="int"),
    Case("getitem", lambda x: x[1:, ::2], shapes=[(3, 4)], label="slices"),
    Case("getitem", lambda x: x[-1, ..., None, 1], shapes=[(2, 3, 4)], label="ellipsis-none"),
    Case("getitem", lambda x: x[np.array([0, 0, 2, -1])], shapes=[(3,), (3, 2)],
         label="repeats"),
    Case("getitem", lambda x: x[[0, 1, 1], [2, 0, 2]], shapes=[(2, 3)], label="pairs"),
    Case("getitem", lambda x: x[:, [1, 1]], shapes=[(2, 3)], label="slice-array"),
    Case("getitem", lambda x: x[np.array([[True, False, True], [False, True, True]])],
         shapes=[(2, 3)], label="mask"),
    Case("getitem", lambda x: x[x > 0], shapes=[(4, 3)], label="tensor-mask"),
    Case("getitem", lambda x: autograd.stack(x.chunk(2, dim=1) + x.split(2, 1)[::-1], 0),
         shapes=[(3, 4)], label="chunk-split"),
    Case("getitem", lambda x: x.flip(0) * x.unbind(1)[1].unsqueeze(1), shapes=[(3, 2)], label="flip"),
    Case("getitem", lambda x: x.narrow(1, 1, 2), shapes=[(2, 4)], label="narrow"),
    Case("cat", lambda x: x.roll(1, 0) + x.roll((2, -1), (1, 0)) + x.roll(5), shapes=[(3, 4)],
         label="roll"),
    Case("scatter_add", lambda g: OPS["scatter_add"](g, shape=(3, 2), index=np.array([0, 2, 0])),
         shapes=[(3, 2)]),
    Case("scatter_add", lambda g: OPS["scatter_add"](g, shape=(4,), index=slice(1, 3)),
         shapes=[(2,)], label="slice"),
    Case("pad", lambda x: x.pad(((1, 2), (0, 1))), shapes=[(2, 3)]),
    Case("pad", lambda x: x.pad(1, value=3.0), shapes=[(3,), (2, 1, 2)], label="int"),
    Case("cat", lambda x, y: autograd.cat([x, y]), shapes=[((2, 3), (1, 3)), ((0, 3), (2, 3))]),
    Case("cat", lambda x, y, z: autograd.concatenate([x, y, z], axis=-1),
         shapes=[((2, 1), (2, 3), (2, 2))], label="neg"),
    Case("cat", lambda x: autograd.cat([x, np.ones((2, 2)), x], dim=1),
         shapes=[(2, 3)], label="const"),
    Case("stack", lambda x, y: autograd.stack([x, y]), shapes=[((), ()), ((2, 3), (2, 3))]),
    Case("stack", lambda x, y, z: autograd.stack([x, y, z], axis=-1), shapes=[((2, 3),) * 3],
         label="neg"),
    Case("stack", lambda x, y: autograd.stack([x, y], axis=1), shapes=[((2, 3), (2, 3))],
         label="axis1"),

    # --- composites: several rules meeting in one graph ----------------------------
    Case("tanh", lambda x, y: ((x @ y).tanh() * x.sum(axis=-1, keepdims=True)).logsumexp(axis=0),
         shapes=[((3, 4), (4, 2))], label="composite"),
    Case("sigmoid", lambda x: (x.sigmoid() * x.exp()).log().mean(), shapes=[(2, 3)],
         label="composite"),
]
