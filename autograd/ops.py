"""The op table: each op's forward and its backward rule side by side.

A rule maps the incoming gradient ``g``, the output ``out`` and the inputs to one
gradient per input (``None`` where there is none); an op whose gradients cost much
(matmul, conv2d) gives a tuple of per-input rules instead, so the engine computes
only the gradients its parents need. Rules use only operators and
the ops of this table, so the same rule runs on raw data (floats, ndarrays) in
the fast path and on nodes under ``create_graph=True``, where it records a graph
and gives gradients of gradients. Broadcasting is undone once, by the engine.

A backward that a kernel computes faster (tanh, relu; in other modules cross-entropy,
conv2d, pooling) is an op of its own, whose forward may call the kernel and whose rule
gives the next order, so each derivative is written once and no rule branches on the
kind of ``g``. What a forward saves for its backward goes in the node's ``saved`` slot
(``op(..., saves=True)``), never in params. ``autograd.op_table`` gathers the table.

It is one file over the ~400-line guideline because it is one table whose rules are written
with each other's entries (SIN's rule calls COS and COS's calls SIN; SUM and SUM_BACKWARD
are each other's rule), read top to bottom; the fused ops that earn an entry for speed
live in nn_ops.py and conv_ops.py.
"""
import math
import operator
import os
import sys
import warnings

import numpy as np

from .kernels import relu_backward, scatter_add_rows, sigmoid, tanh_backward
from .node import Node


class Op:
    """A differentiable operation: ``name``, array ``forward``, ``scalar`` forward, ``backward`` rule.

    Calling an op on nodes records it in the graph; calling it on raw data just
    computes the forward, which is what lets rules serve both paths.
    """

    __slots__ = ("name", "forward", "scalar", "backward", "rules", "promotes", "saves",
                 "forward_saving", "simple", "accumulate")

    def __init__(self, name, forward, scalar, backward, promotes=None, saves=False,
                 accumulate=None):
        self.name, self.scalar = name, scalar
        # a one-input op whose gradient is g added at some positions of zeros of x's shape
        # (getitem) may give ``accumulate(buffer, g, **params)``, adding g into ``buffer`` in
        # place: on raw data the engine then passes the gradient it is summing for x
        self.accumulate = accumulate
        # how a Tensor's operands of different dtypes meet (PyTorch's rules, autograd.dtypes):
        # None: as they are; "common": cast to their promoted dtype; "float": that, and
        # integers become float32 (true division, exp of an int tensor)
        self.promotes = promotes
        # a tuple holds one rule per input, each returning that input's gradient: the engine
        # then calls only those its parents need; ``backward`` runs them all
        self.rules = tuple(backward) if isinstance(backward, (tuple, list)) else None
        self.backward = backward if self.rules is None else self._all_rules
        # an op that saves has a forward returning (output, saved): recording a node keeps
        # ``saved`` in its slot (Tensor._apply calls ``forward_saving``) and the engine hands
        # it to the rule as ``saved=``; ``forward`` gives the output alone (raw calls, gradcheck)
        self.saves = saves
        self.forward_saving = forward
        self.forward = _output_of(forward) if saves else forward
        # one rule and nothing saved: the engine may call the rule inline
        self.simple = self.rules is None and not saves

    def __call__(self, *args, **params):
        for arg in args:
            if isinstance(arg, Node):
                return arg._apply(self, args, params)
        first = type(args[0])
        if (first is float or first is int) and self.scalar is not None:
            return self.scalar(*args, **params)
        return self.forward(*args, **params)

    def _all_rules(self, g, out, *inputs, **params):
        return tuple(rule(g, out, *inputs, **params) for rule in self.rules)

    def __repr__(self):
        return f"<op {self.name}>"


def _output_of(forward):
    """``forward`` of an op that saves, giving its output without what it saved."""
    def output(*args, **params):
        return forward(*args, **params)[0]

    output.__name__ = output.__qualname__ = getattr(forward, "__name__", "forward")
    return output


def op(name, forward, scalar, backward, promotes=None, saves=False, accumulate=None):
    """Return a new ``Op``; ``scalar`` may be None for array-only ops.

    ``backward`` is one rule returning a gradient per input, or a tuple of rules, one per
    input, each returning that input's gradient (skipped for inputs that need none).
    ``saves=True``: the array ``forward`` returns ``(output, saved)``, arrays its backward
    reuses (conv2d's im2col columns, max pooling's winners); the node keeps ``saved`` and
    the rule gets it as ``saved=`` (None where there is none: a rule must then compute
    what it needs, as under gradcheck's per-op checks). Scalar forwards save nothing.
    ``accumulate``: see ``Op`` (getitem's; the rule stays the gradient's definition for
    create_graph, and ``accumulate`` must add exactly what the rule's result would).

    Example (a custom op, e.g. to try ``gradcheck`` on)::

        CUBE = op("cube", lambda x: x ** 3, lambda x: x ** 3, lambda g, out, x: (g * 3 * x * x,))
        y = CUBE(t)
    """
    return Op(name, forward, scalar, backward, promotes, saves, accumulate)


NO_PARAMS = {}
"""The params of an op called without any: one shared dict, never mutated."""


def unary_method(op, doc):
    """A node method applying the one-input ``op`` (Tensor's and Value's ``exp``, ``tanh``...)."""
    def method(self):
        return self._apply(op, (self,), NO_PARAMS)

    method.__name__, method.__doc__ = op.name, doc
    return method


# --- helpers shared by rules: each accepts raw data and nodes alike -------------------

def unwrap(x):
    """The raw data of a node, or ``x`` itself."""
    return x.raw if isinstance(x, Node) else x


def constant_like(x, data):
    """Wrap ``data`` as a constant of ``x``'s kind (a node for a node, else raw)."""
    return x._constant(data) if isinstance(x, Node) else data


def kept_shape(shape, axis):
    """The shape a reduction over ``axis`` leaves with ``keepdims=True``."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def sum_to_shape(a, shape):
    """Sum a broadcast array back to ``shape``: extra leading axes, then stretched 1-axes."""
    lead = a.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1)
    return np.asarray(a.sum(axis=tuple(range(lead)) + stretched, keepdims=True)).reshape(shape)


def mask_where(x, condition):
    """A 0/1 constant of ``x``'s dtype marking where ``condition(raw x)`` holds."""
    data = unwrap(x)
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return constant_like(x, condition(data).astype(data.dtype))
    return constant_like(x, 1.0 if condition(data) else 0.0)


def sign_like(x):
    """sign(x) (0 at 0) as a constant of ``x``'s kind; a float stays a float, not a NumPy scalar."""
    data = unwrap(x)
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return constant_like(x, np.sign(data))
    return constant_like(x, float((data > 0) - (data < 0)))


def inverse_permutation(axes):
    """The axes that undo ``transpose(axes)``; None (reverse) undoes itself."""
    # negative axes count from the end: normalise them, or argsort ranks -1 first
    return None if axes is None else tuple(np.argsort([a % len(axes) for a in axes]))


def swap_last(x):
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return TRANSPOSE(x, axes=tuple(axes))


def selects_repeats(index):
    """True when ``index`` holds an integer array, which may pick one element twice."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in items)


def scatter_add_into(out, g, index):
    """``out`` with ``g`` added at ``out[index]`` in place; repeated indices accumulate.

    The one definition of getitem's gradient: ``scatter_add`` runs it on zeros, and the
    engine on the gradient it is accumulating for getitem's input (``Op.accumulate``).
    """
    if isinstance(index, np.ndarray) and index.dtype.kind in "iu" and out.ndim:
        return scatter_add_rows(g, index, out.shape, out)  # rows picked by one array: a kernel
    if selects_repeats(index):
        np.add.at(out, index, g)
    else:
        out[index] += g
    return out


def scatter_add_forward(g, shape, index):
    """Zeros of ``shape`` with ``g`` added at ``index``; repeated indices accumulate."""
    return scatter_add_into(np.zeros(shape, dtype=g.dtype), g, index)


def scalar_sigmoid(x):
    """Logistic function of a float: exp of -|x| only, so it neither overflows nor rounds to 0."""
    e = math.exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


def array_sigmoid(x):
    """Logistic function of an array, precise for large negative x (where 1 + tanh(x/2) is 0):
    one pass of a kernel taking exp(-|x|) once (``kernels.elementwise.sigmoid``)."""
    return sigmoid(x)


# --- arithmetic ---------------------------------------------------------------------

ADD = op("add", np.add, operator.add, lambda g, out, x, y: (g, g), "common")
SUB = op("sub", np.subtract, operator.sub, lambda g, out, x, y: (g, -g), "common")
MUL = op("mul", np.multiply, operator.mul, lambda g, out, x, y: (g * y, g * x), "common")
# d(x/y)/dy = -x/y^2 = -out/y
DIV = op("div", np.divide, operator.truediv, lambda g, out, x, y: (g / y, -g * out / y), "float")
NEG = op("neg", np.negative, operator.neg, lambda g, out, x: (-g,))
def _warn_scalar(name, x, result, what=None):
    """NumPy's RuntimeWarning for a float that leaves a function's domain: not silent."""
    what = what or ("divide by zero" if math.isinf(result) else "invalid value")
    warnings.warn(f"{what} encountered in {name} (of the Value {x!r}): the result is {result}",
                  RuntimeWarning, stacklevel=_user_stack_level())
    return result


def _user_stack_level():
    """The ``stacklevel`` of the first caller outside this package (the user's line)."""
    package, frame, level = os.path.dirname(__file__), sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _scalar_pow(x, exponent):
    """``x ** exponent`` for Python floats as NumPy gives it: inf (signed as the limit) for
    0 to a negative power and nan for a negative base with a fractional exponent, where
    Python raises ZeroDivisionError or ValueError."""
    try:
        return math.pow(x, exponent)
    except (ValueError, ZeroDivisionError):
        if x == 0:
            odd = float(exponent).is_integer() and int(exponent) % 2 == 1
            return _warn_scalar("power", x, math.copysign(math.inf, x) if odd else math.inf)
        return _warn_scalar("power", x, math.nan)
    except OverflowError:
        negative = x < 0 and float(exponent).is_integer() and int(exponent) % 2 == 1
        return _warn_scalar("power", x, -math.inf if negative else math.inf, "overflow")


def _numpy_like(function, edge=0.0, at_edge=math.nan):
    """``function`` of a float as NumPy gives it where ``math`` raises: inf on overflow,
    ``at_edge`` at the domain's ``edge`` (log(0) = -inf), nan outside it, with NumPy's warning."""
    def scalar(x):
        try:
            return function(x)
        except OverflowError:
            return _warn_scalar(function.__name__, x, math.inf, "overflow")
        except ValueError:
            return _warn_scalar(function.__name__, x, at_edge if x == edge else math.nan)

    scalar.__name__ = scalar.__qualname__ = function.__name__
    return scalar


def _power(x, exponent):
    """``x ** exponent`` on a node or an array, or on a float without Python's exceptions."""
    return _scalar_pow(x, exponent) if isinstance(x, float) else x ** exponent


def _pow_backward(g, out, x, exponent):
    # x ** 0 is flat: gradient 0 everywhere, also at x = 0 where 0 * x ** -1 would be nan
    return (g * 0 if exponent == 0 else g * exponent * _power(x, exponent - 1),)


POW = op("pow", lambda x, exponent: x ** exponent, _scalar_pow, _pow_backward)


def _pow_base_term(x, y):
    """y * x^(y-1), with 0 where y = 0 (x^0 is flat; at x = 0 the product would be 0 * inf)."""
    if isinstance(unwrap(y), float):
        return 0.0 if unwrap(y) == 0 else y * _power(x, y - 1)
    flat = unwrap(y) == 0
    if not np.any(flat):
        return y * x ** (y - 1)
    # x is set to 1 where y = 0 before the power, not only after: the unused branch's own
    # derivative (0 * 0^-2 at x = 0) would otherwise turn second derivatives into NaN
    dtype = unwrap(x).dtype
    safe_x = WHERE(constant_like(x, np.ones((), dtype)), x, condition=flat)
    return WHERE(constant_like(x, np.zeros((), dtype)), y * safe_x ** (y - 1), condition=flat)


def _pow_tensor_backward(g, out, x, y):
    # d(x^y)/dy = x^y * log(x): 0 at x = 0 with y >= 0, where x^y is flat or 0 (PyTorch's
    # choice; 0 * log(0) would be nan), -inf at x = 0 with y < 0 as in PyTorch (inf * -inf),
    # nan for x < 0 (math.log would raise on a float, and the rule runs even when y needs
    # no gradient)
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(unwrap(x), float) and unwrap(x) < 0:
            log_x = math.nan
        else:
            exponent = unwrap(y)
            log_x = LOG(x + mask_where(x, lambda d: (d == 0) & (exponent >= 0)))  # log(1) = 0
        return g * _pow_base_term(x, y), g * out * log_x


POW_TENSOR = op("pow_tensor", np.power, _scalar_pow, _pow_tensor_backward, "common")


def _as_matrices(g, out, x, y):
    """``x``, ``y`` and ``g`` with 1-D operands promoted to matrices, as matmul promotes them."""
    x2 = RESHAPE(x, shape=(1, x.shape[0])) if x.ndim == 1 else x
    y2 = RESHAPE(y, shape=(y.shape[0], 1)) if y.ndim == 1 else y
    g2 = RESHAPE(g, shape=out.shape[:-1] + (1,) + out.shape[-1:]) if x.ndim == 1 else g
    g2 = RESHAPE(g2, shape=g2.shape + (1,)) if y.ndim == 1 else g2
    return x2, y2, g2


def _matmul_grad_x(g, out, x, y):
    if x.ndim == 1 and y.ndim == 1:
        return g * y
    x2, y2, g2 = _as_matrices(g, out, x, y)
    gx = MATMUL(g2, swap_last(y2))
    return RESHAPE(gx, shape=gx.shape[:-2] + gx.shape[-1:]) if x.ndim == 1 else gx


def _matmul_grad_y(g, out, x, y):
    if x.ndim == 1 and y.ndim == 1:
        return g * x
    x2, y2, g2 = _as_matrices(g, out, x, y)
    if type(y) is np.ndarray and y.ndim == 2 and not y.flags.c_contiguous and y.flags.f_contiguous:
        # y is a transposed weight (x @ w.T): give its gradient y's layout, (g.T @ x).T, so
        # that w's gradient comes out contiguous, not as a transposing copy of x.T @ g
        return swap_last(MATMUL(swap_last(g2), x2))
    gy = MATMUL(swap_last(x2), g2)
    return RESHAPE(gy, shape=gy.shape[:-1]) if y.ndim == 1 else gy


# one rule per input: a first layer's x @ w never computes the (large) gradient of its data x
MATMUL = op("matmul", np.matmul, None, (_matmul_grad_x, _matmul_grad_y), "common")


def _maximum_backward(g, out, x, y):
    # at ties each input gets half, so the two halves still sum to g (PyTorch does the same)
    above, tie = mask_where(x, lambda d: d > unwrap(y)), mask_where(x, lambda d: d == unwrap(y))
    share = above + tie * 0.5
    return g * share, g * (1 - share)


def _minimum_backward(g, out, x, y):
    # min(x, y) is max(y, x) mirrored: the "above" share of y vs x is x's (x is the smaller)
    return _maximum_backward(g, out, y, x)


MAXIMUM = op("maximum", np.maximum, max, _maximum_backward, "common")
MINIMUM = op("minimum", np.minimum, min, _minimum_backward, "common")
WHERE = op("where", lambda x, y, condition: np.where(condition, x, y), None,
           lambda g, out, x, y, condition: (g * condition, g * np.logical_not(condition)), "common")

# --- elementwise functions ----------------------------------------------------------

EXP = op("exp", np.exp, _numpy_like(math.exp), lambda g, out, x: (g * out,), "float")
LOG = op("log", np.log, _numpy_like(math.log, 0.0, -math.inf), lambda g, out, x: (g / x,), "float")
# log1p and expm1 earn entries for precision: log(1 + x) loses x's digits when |x| is tiny
LOG1P = op("log1p", np.log1p, _numpy_like(math.log1p, -1.0, -math.inf),
           lambda g, out, x: (g / (x + 1),), "float")
EXPM1 = op("expm1", np.expm1, _numpy_like(math.expm1), lambda g, out, x: (g * (out + 1),), "float")
SQRT = op("sqrt", np.sqrt, _numpy_like(math.sqrt), lambda g, out, x: (g / (out * 2),), "float")
# |x| gets subgradient 0 at x = 0
ABS = op("abs", np.abs, abs, lambda g, out, x: (g * sign_like(x),))
SIN = op("sin", np.sin, math.sin, lambda g, out, x: (g * COS(x),), "float")
COS = op("cos", np.cos, math.cos, lambda g, out, x: (-g * SIN(x),), "float")
TAN = op("tan", np.tan, math.tan, lambda g, out, x: (g * (1 + out * out),), "float")


def _step_op(name, array_forward, scalar_forward):
    """A piecewise-constant op (sign, floor, ...): gradient 0 everywhere, as PyTorch defines it."""
    return op(name, array_forward, scalar_forward, lambda g, out, x: (g * 0,))


SIGN = _step_op("sign", np.sign, lambda x: float((x > 0) - (x < 0)))
FLOOR = _step_op("floor", np.floor, lambda x: float(math.floor(x)))
CEIL = _step_op("ceil", np.ceil, lambda x: float(math.ceil(x)))
# half to even, as PyTorch and NumPy round (Python's round agrees)
ROUND = _step_op("round", np.round, lambda x: float(round(x)))


# tanh's backward g * (1 - y^2) is an op of its own (Chainer's TanhGrad), for speed: on arrays
# its forward is one pass of a kernel. Its rule gives the next order: it is linear in g, and
# d/dy of g (1 - y^2) is -2 g y
TANH_BACKWARD = op("tanh_backward", tanh_backward, lambda g, y: g * (1 - y * y),
                   lambda u, out, g, y: (TANH_BACKWARD(u, y), -2 * u * g * y))
TANH = op("tanh", np.tanh, math.tanh, lambda g, out, x: (TANH_BACKWARD(g, out),), "float")
SIGMOID = op("sigmoid", array_sigmoid, scalar_sigmoid,
             lambda g, out, x: (g * out * (1 - out),), "float")

# relu gets subgradient 0 at x = 0, as in PyTorch. Its backward g * (x > 0) is an op of its
# own, for speed (one pass of a kernel on arrays); linear in g and flat in x (the mask is
# piecewise constant), so its rule passes u through the same mask and gives x 0
RELU_BACKWARD = op("relu_backward", relu_backward, lambda g, x: g * (1.0 if x > 0 else 0.0),
                   lambda u, out, g, x: (RELU_BACKWARD(u, x), u * 0))
RELU = op("relu", lambda x: np.maximum(x, 0), lambda x: x if x > 0 else 0.0,
          lambda g, out, x: (RELU_BACKWARD(g, x),))


def _inside(d, low, high):
    """Boolean array: low <= d <= high, a missing bound being no bound."""
    inside = np.ones(np.shape(d), dtype=bool)
    if low is not None:
        inside &= d >= low
    if high is not None:
        inside &= d <= high
    return inside


# inside [lo, hi] (both ends included, as PyTorch's clamp) the gradient passes unchanged
CLIP = op("clamp", np.clip, None,
          lambda g, out, x, a_min, a_max: (g * mask_where(x, lambda d: _inside(d, a_min, a_max)),))
CAST = op("cast", lambda x, dtype: x.astype(dtype), None,
          lambda g, out, x, dtype: (CAST(g, dtype=unwrap(x).dtype),))

# --- reductions ---------------------------------------------------------------------

def reduced_count(shape, axis):
    """How many elements a reduction over ``axis`` (None, an int or a tuple) combines into one."""
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


def _mean(x, axis=None, keepdims=False):
    # np.mean's own sum and division without its Python layers (~4 us a call); np.mean itself
    # for integers (a float64 mean), float16 (summed in float32) and empty arrays (its warning)
    if x.dtype.kind == "f" and x.dtype.itemsize >= 4 and x.size:
        return np.add.reduce(x, axis=axis, keepdims=keepdims) / reduced_count(x.shape, axis)
    return np.mean(x, axis=axis, keepdims=keepdims)


def sum_backward_forward(g, shape, axis=None, keepdims=False):
    """``g`` spread over ``shape``: the axes a reduction over ``axis`` removed restored, then
    broadcast. A fresh array (not a broadcast view), so a leaf can adopt it as its gradient."""
    g = np.asarray(g)
    spread = np.empty(shape, dtype=g.dtype)
    spread[...] = g if keepdims else g.reshape(kept_shape(shape, axis))
    return spread


# np.add.reduce is what np.sum calls on an ndarray, minus ~1.5 us of Python per call
SUM = op("sum", lambda x, axis=None, keepdims=False: np.add.reduce(x, axis=axis, keepdims=keepdims),
         None, lambda g, out, x, axis=None, keepdims=False: (unreduce(g, x.shape, axis, keepdims),))
# sum's backward, an op of its own for speed: one fill instead of a reshape and a broadcast
# (5x faster on small arrays); the adjoint of spreading is summing, so each is the other's rule
SUM_BACKWARD = op("sum_backward", sum_backward_forward, None,
                  lambda u, out, g, shape, axis=None, keepdims=False: (
                      SUM(u, axis=axis, keepdims=keepdims),))


def unreduce(g, shape, axis, keepdims):
    """Spread a reduced gradient back over ``shape`` (``sum_backward``)."""
    return SUM_BACKWARD(g, shape=shape, axis=axis, keepdims=keepdims)


MEAN = op("mean", _mean, None, lambda g, out, x, axis=None, keepdims=False: (
    unreduce(g, x.shape, axis, keepdims) * _mean_share(out, x),), "float")


def _mean_share(out, x):
    """What one input element contributes to a mean: 1 / (elements per output element)."""
    size = np.size(unwrap(x))
    return np.size(unwrap(out)) / size if size else 0.0


def _is_extremum(d, peak):
    """Where ``d`` equals its slice's ``peak``; where the peak is NaN (np.max propagates it),
    the NaNs: they made the result, and PyTorch's max() sends them the gradient too."""
    return (d == peak) | (np.isnan(d) & np.isnan(peak))


def _extremum_backward(g, out, x, axis=None, keepdims=False):
    # tied extrema share the gradient evenly (documented in Tensor.max)
    peak = unreduce(unwrap(out), x.shape, axis, keepdims)
    hit = mask_where(x, lambda d: _is_extremum(d, peak))
    count = SUM(hit, axis=axis, keepdims=keepdims)
    return (unreduce(g / count, x.shape, axis, keepdims) * hit,)


AMAX = op("amax", lambda x, axis=None, keepdims=False: np.max(x, axis=axis, keepdims=keepdims),
          None, _extremum_backward)
AMIN = op("amin", lambda x, axis=None, keepdims=False: np.min(x, axis=axis, keepdims=keepdims),
          None, _extremum_backward)


def finite_peak(x, axis):
    """The max over ``axis`` (kept), 0 where it is not finite, so ``x - peak`` never makes NaN."""
    peak = np.max(x, axis=axis, keepdims=True, initial=-np.inf)  # initial: empty slices
    return np.where(np.isfinite(peak), peak, 0)


def logsumexp_forward(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``; the max is subtracted first so exp cannot overflow."""
    peak = finite_peak(x, axis)
    with np.errstate(divide="ignore"):  # log(0) = -inf over an empty slice, as PyTorch
        total = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return total if keepdims else np.squeeze(total, axis=axis)


LOGSUMEXP = op("logsumexp", logsumexp_forward, None,
               lambda g, out, x, axis=None, keepdims=False: (
                   unreduce(g, x.shape, axis, keepdims)
                   * EXP(x - unreduce(out, x.shape, axis, keepdims)),))



def _prod_backward(g, out, x, axis=None, keepdims=False):
    # d(prod)/dx_i is the product of the others: out / x_i when the slice has no zero. With one
    # zero x_j, x_j gets the product of the rest and x_i gets (rest / x_i) * x_j: 0, but with
    # the right derivative in x_j. With two or more zeros every element gets 0 (right at first
    # order; the second derivative there is taken as 0, which it is not between two zeros).
    g = unreduce(g, x.shape, axis, keepdims)
    is_zero = unwrap(x) == 0
    if not is_zero.any():
        return (g * unreduce(out, x.shape, axis, keepdims) / x,)
    ones = constant_like(x, np.ones(x.shape, unwrap(x).dtype))
    count = np.broadcast_to(np.sum(is_zero, axis=axis, keepdims=True), x.shape)
    safe = WHERE(ones, x, condition=is_zero)  # the zeros replaced by 1
    rest = unreduce(PROD(safe, axis=axis, keepdims=True), x.shape, axis, True)
    zero_value = unreduce(SUM(x * is_zero, axis=axis, keepdims=True), x.shape, axis, True)
    others = rest / safe * WHERE(zero_value, ones, condition=count == 1)
    return (g * WHERE(rest, others, condition=is_zero) * (count < 2),)


PROD = op("prod", lambda x, axis=None, keepdims=False: np.prod(x, axis=axis, keepdims=keepdims),
          None, _prod_backward)


def _norm_backward(g, out, x, axis=None, keepdims=False):
    # x / |x|; where the norm is 0 (x is all zeros there) the subgradient 0, as PyTorch picks
    norm = unreduce(out, x.shape, axis, keepdims)
    return (unreduce(g, x.shape, axis, keepdims) * x / (norm + mask_where(norm, lambda d: d == 0)),)


# the L2 norm earns an entry for its gradient at 0, where sqrt(sum(x * x)) would give nan
NORM = op("norm", lambda x, axis=None, keepdims=False: np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims)),
          None, _norm_backward, "float")


def reverse_along(x, axis):
    """``x`` with ``axis`` reversed (a getitem, so it works on raw arrays and on nodes)."""
    return GETITEM(x, index=(slice(None),) * (axis % x.ndim) + (slice(None, None, -1),))


# the sum of g over every later position is a cumsum of the reversed gradient, reversed back
CUMSUM = op("cumsum", lambda x, axis: np.cumsum(x, axis=axis), None,
            lambda g, out, x, axis: (reverse_along(CUMSUM(reverse_along(g, axis), axis=axis), axis),))


def _index_grids(indices, axis):
    """Open index grids that address ``indices``'s positions, with ``indices`` along ``axis``."""
    grids = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
    grids[axis % indices.ndim] = indices
    return tuple(grids)


def gather_backward_forward(g, indices, axis, shape):
    """Zeros of ``shape`` with ``g`` added where ``take_along_axis`` read it (repeats add up)."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, _index_grids(indices, axis), g)
    return out


GATHER = op("gather", lambda x, indices, axis: np.take_along_axis(x, indices, axis), None,
            lambda g, out, x, indices, axis: (
                GATHER_BACKWARD(g, indices=indices, axis=axis, shape=x.shape),))
GATHER_BACKWARD = op("gather_backward", gather_backward_forward, None,
                     lambda g, out, x, indices, axis, shape: (GATHER(g, indices=indices, axis=axis),))


def _setitem_forward(x, value, index):
    out = np.array(x, copy=True)
    out[index] = value
    return out


# x with x[index] = value: the overwritten elements pass no gradient to x; value gets theirs
SETITEM = op("setitem", _setitem_forward, None, (
    lambda g, out, x, value, index: SETITEM(g, constant_like(g, np.zeros((), unwrap(g).dtype)), index=index),
    lambda g, out, x, value, index: GETITEM(g, index=index)), "common")

# --- shape --------------------------------------------------------------------------

RESHAPE = op("reshape", lambda x, shape: np.reshape(x, shape), None,
             lambda g, out, x, shape: (RESHAPE(g, shape=x.shape),))
TRANSPOSE = op("permute", lambda x, axes=None: np.transpose(x, axes), None,
               lambda g, out, x, axes=None: (TRANSPOSE(g, axes=inverse_permutation(axes)),))
BROADCAST_TO = op("broadcast_to", lambda x, shape: np.broadcast_to(x, shape), None,
                  lambda g, out, x, shape: (SUM_TO(g, shape=x.shape),))
SUM_TO = op("sum_to", sum_to_shape, None,
            lambda g, out, x, shape: (BROADCAST_TO(g, shape=x.shape),))
# on raw data the engine adds getitem's gradient straight into the one it is summing for x
# (``accumulate``): T slices x[:, t] cost O(T) in backward, not T zero arrays of x's size
GETITEM = op("getitem", lambda x, index: x[index], None,
             lambda g, out, x, index: (SCATTER_ADD(g, shape=x.shape, index=index),),
             accumulate=scatter_add_into)
SCATTER_ADD = op("scatter_add", scatter_add_forward, None,
                 lambda g, out, x, shape, index: (GETITEM(g, index=index),))


def _pad_backward(g, out, x, pad_width, value=0):
    return (g[tuple(slice(before, n - after) for (before, after), n in zip(pad_width, out.shape))],)


PAD = op("pad", lambda x, pad_width, value=0: np.pad(x, pad_width, constant_values=value), None,
         _pad_backward)


def _concatenate_backward(g, out, *xs, axis):
    bounds = np.cumsum([0] + [x.shape[axis] for x in xs])
    lead = (slice(None),) * (axis % out.ndim)
    return tuple(g[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))


CONCATENATE = op("cat", lambda *xs, axis: np.concatenate(xs, axis=axis), None,
                 _concatenate_backward, "common")
STACK = op("stack", lambda *xs, axis: np.stack(xs, axis=axis), None,
           lambda g, out, *xs, axis: tuple(
               g[(slice(None),) * (axis % out.ndim) + (i,)] for i in range(len(xs))), "common")
