"""Numerical gradient checking: whole-function Jacobians, then which op is wrong.

``gradcheck`` compares the analytical Jacobian of every input that requires grad
with central finite differences in float64. When they disagree it goes further
than other checkers: it re-runs the function, checks each op's own backward rule
against finite differences at the values that op saw, and names the first one
that is wrong.
"""
import warnings

import numpy as np

from .engine import Node, grad, topological_order
from .grad_mode import enable_grad, no_grad
from .ops import sum_to_shape


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when analytical and numerical gradients differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _to_float64(inputs):
    """Float64 copies of float inputs (same requires_grad); warns about float32 ones."""
    copies = []
    for index, x in enumerate(inputs):
        if isinstance(x, Node) and x.is_array and x.raw.dtype.kind == "f":
            if x.raw.dtype != np.float64:
                warnings.warn(f"gradcheck: input {index} is {x.raw.dtype}; checking a float64 copy "
                              f"(finite differences in low precision give false failures)",
                              stacklevel=3)
            copy = x._constant(np.array(x.raw, dtype=np.float64))
            copy.requires_grad = x.requires_grad
            copies.append(copy)
        elif isinstance(x, Node) and not x.is_array:
            copies.append(type(x)(x.raw, requires_grad=x.requires_grad))
        else:
            copies.append(x)
    return tuple(copies)


def _flat(node):
    return np.ravel(np.asarray(node.raw, dtype=np.float64)) if isinstance(node, Node) else \
        np.ravel(np.asarray(node, dtype=np.float64))


def _output_vector(fn, inputs):
    with enable_grad():  # fn may itself differentiate (gradgradcheck's first derivative)
        return np.concatenate([_flat(o) for o in _as_tuple(fn(*inputs))])


def _perturbed(x, j, delta):
    """Add ``delta`` to element ``j`` of input ``x`` in place."""
    if x.is_array:
        x.raw.flat[j] += delta
    else:
        x.raw += delta


def _numerical_jacobian(fn, inputs, index, eps):
    x = inputs[index]
    size = x.raw.size if x.is_array else 1
    columns = []
    for j in range(size):
        _perturbed(x, j, eps)
        plus = _output_vector(fn, inputs)
        _perturbed(x, j, -2 * eps)
        minus = _output_vector(fn, inputs)
        _perturbed(x, j, eps)
        columns.append((plus - minus) / (2 * eps))
    if not columns:  # an empty input: a Jacobian with no columns
        return np.zeros((_output_vector(fn, inputs).size, 0))
    return np.stack(columns, axis=1)


def _analytical_jacobians(fn, inputs, targets):
    """One Jacobian (outputs x elements) per target input, one backward pass per output element."""
    with enable_grad():
        outputs = _as_tuple(fn(*inputs))
    sizes = [_flat(o).size for o in outputs]
    rows = {i: [] for i in targets}
    live = [k for k, o in enumerate(outputs) if isinstance(o, Node) and o.requires_grad]
    for k, out in enumerate(outputs):
        for element in range(sizes[k]):
            seeds = [_unit_seed(outputs[m], element if m == k else None) for m in live]
            grads = (grad([outputs[m] for m in live], [inputs[i] for i in targets], seeds,
                          retain_graph=True, allow_unused=True) if k in live else (None,) * len(targets))
            for i, g in zip(targets, grads):
                rows[i].append(np.zeros(_flat(inputs[i]).size) if g is None else _flat(g))
    return {i: np.stack(r) if r else np.zeros((0, _flat(inputs[i]).size)) for i, r in rows.items()}


def _unit_seed(out, element):
    """The output gradient selecting ``element`` of ``out`` (all zeros when None)."""
    if not out.is_array:
        return 1.0 if element is not None else 0.0
    seed = np.zeros(out.raw.size, dtype=out.raw.dtype)
    if element is not None:
        seed[element] = 1.0
    return seed.reshape(out.raw.shape)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Return True when ``fn``'s analytical gradients match central finite differences.

    ``inputs`` is a tuple of Tensors/Values (those requiring grad are checked) and
    other arguments; ``fn`` may return a non-scalar Tensor or a tuple. Checks run on
    float64 copies. On a mismatch raises ``GradcheckError`` naming the input index,
    the worst element, both values and the first op whose own backward is wrong
    (or returns False when ``raise_exception=False``).
    """
    return _check(fn, inputs, eps, atol, rtol, raise_exception, locate=fn, second_order=False)


def _check(fn, inputs, eps, atol, rtol, raise_exception, locate, second_order):
    """gradcheck's body; on a mismatch the op search runs on ``locate`` (gradgradcheck: its fn)."""
    inputs = _to_float64(_as_tuple(inputs))
    targets = [i for i, x in enumerate(inputs) if isinstance(x, Node) and x.requires_grad]
    if not targets:
        raise ValueError("gradcheck: no input requires grad")
    analytical = _analytical_jacobians(fn, inputs, targets)
    for i in targets:
        numerical = _numerical_jacobian(fn, inputs, i, eps)
        error = np.abs(analytical[i] - numerical) - (atol + rtol * np.abs(numerical))
        if not (error <= 0).all():  # written so that a NaN anywhere fails the check
            if not raise_exception:
                return False
            raise GradcheckError(_mismatch_message(inputs, i, analytical[i], numerical, error)
                                 + first_wrong_op(locate, inputs, eps, atol, rtol, second_order))
    return True


def _mismatch_message(inputs, i, analytical, numerical, error):
    out_index, element = np.unravel_index(np.argmax(error), error.shape)
    shape = inputs[i].raw.shape if inputs[i].is_array else ()
    where = np.unravel_index(element, shape) if shape else ()
    return (f"Jacobian mismatch for input {i} at element {tuple(int(w) for w in where)} "
            f"(output element {int(out_index)}): numerical {numerical[out_index, element]:.8g} "
            f"vs analytical {analytical[out_index, element]:.8g}.\n")


def first_wrong_op(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, second_order=False):
    """Describe the first op (in forward order) whose backward disagrees with finite differences.

    With ``second_order`` (gradgradcheck) an op whose rule is right but whose rule's own
    derivative is wrong is named too.
    """
    with enable_grad():
        outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Node) and o.requires_grad]
    order = topological_order(outputs)
    for position, node in enumerate(order):
        if node.op is not None:
            problem = _local_check(node, eps, atol, rtol)
            if problem is None and second_order:
                problem = _local_second_order_check(node, eps, atol, rtol)
            if problem:
                return (f"First op whose own backward is wrong: '{node.op.name}' (node {position} "
                        f"of {len(order)} in forward order) {problem}")
    return ("Every op's own backward agrees with finite differences at the values it saw; "
            "look for a non-differentiable point (a kink such as relu at 0) or a forward that "
            "does not compute what its backward assumes.")


def _local_check(node, eps, atol, rtol):
    """Check one op's rule with a random output gradient u and random input direction v."""
    rng = np.random.default_rng(0)
    datas = [_as_float64(p) for p in node.parents]
    params = node.params or {}
    forward = node.op.forward if node.is_array else node.op.scalar
    out = forward(*datas, **params)
    u = rng.standard_normal(np.shape(out)) if node.is_array else 1.0
    with no_grad():
        grads = node.op.backward(u, out, *datas, **params)
    for j, (parent, g) in enumerate(zip(node.parents, grads)):
        if g is None or not parent.requires_grad:
            continue
        v = rng.standard_normal(np.shape(datas[j])) if node.is_array else 1.0
        analytic = float(np.sum(_reduced(g, datas[j]) * v))
        numeric = float(np.sum(u * (forward(*_shifted(datas, j, eps * v), **params)
                                    - forward(*_shifted(datas, j, -eps * v), **params))) / (2 * eps))
        if abs(analytic - numeric) > atol + rtol * abs(numeric):
            return (f"for its input {j}: along a random direction finite differences give "
                    f"{numeric:.8g} but its backward gives {analytic:.8g}.")
    return None


def _local_second_order_check(node, eps, atol, rtol):
    """Check one op's rule, run on nodes as under create_graph, against its finite differences."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the float32 warning is for the user's inputs
        parents = _to_float64(node.parents)
    u = np.random.default_rng(0).standard_normal(np.shape(node.raw)) if node.is_array else 1.0
    params = node.params or {}

    def rule(*xs):
        out = node.op(*xs, **params)
        grads = node.op.backward(out._constant(u), out, *xs, **params)
        return tuple(g for g, x in zip(grads, xs) if g is not None and x.requires_grad)

    with enable_grad():
        if not any(p.requires_grad for p in parents) or not rule(*parents):
            return None
    if _check(rule, parents, eps, atol, rtol, False, None, False):
        return None
    return ("for second derivatives: its backward rule is right but not differentiable as "
            "written (is part of it computed from raw data instead of with ops?).")


def _as_float64(node):
    if not node.is_array:
        return float(node.raw)
    return np.array(node.raw, dtype=np.float64) if node.raw.dtype.kind == "f" else node.raw


def _reduced(g, like):
    g = np.asarray(g, dtype=np.float64)
    return sum_to_shape(g, np.shape(like)) if g.shape != np.shape(like) else g


def _shifted(datas, j, delta):
    return [d + delta if k == j else d for k, d in enumerate(datas)]


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """Return True when the second derivatives of ``fn`` match finite differences of its gradient.

    Checks the Jacobian of ``grad(fn(x), x, grad_outputs=v, create_graph=True)`` for a
    fixed random ``v`` (or the given ``grad_outputs``) with ``gradcheck``; a mismatch names
    the first op of ``fn`` whose backward rule has a wrong derivative.
    """
    inputs = _to_float64(_as_tuple(inputs))
    targets = [i for i, x in enumerate(inputs) if isinstance(x, Node) and x.requires_grad]
    with no_grad():
        outputs = _as_tuple(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(1)
        grad_outputs = [rng.standard_normal(o.raw.shape) if o.is_array else float(rng.standard_normal())
                        for o in outputs]
    grad_outputs = _as_tuple(grad_outputs)

    def first_derivative(*xs):
        outs = _as_tuple(fn(*xs))
        live = [k for k, o in enumerate(outs) if o.requires_grad]
        grads = grad([outs[k] for k in live], [xs[i] for i in targets],
                      [grad_outputs[k] for k in live], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return _check(first_derivative, inputs, eps, atol, rtol, raise_exception, locate=fn,
                  second_order=True)
