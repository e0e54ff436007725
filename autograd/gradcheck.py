"""Numerical gradient checking: whole-function Jacobians, then which op is wrong.

``gradcheck`` compares the analytical Jacobian of every input that requires grad
with central finite differences in float64. It never reports success on a value
that is not finite, and where they disagree it says why: the point is not
differentiable (the one-sided differences disagree: a kink such as relu at 0), or
an op is wrong, in which case it re-runs the function, checks each op's own
backward rule against finite differences at the values that op saw, and names the
first one that is wrong.
"""
import math
import numbers
import warnings

import numpy as np

from .engine import grad, topological_order
from .grad_mode import enable_grad, no_grad
from .node import Node
from .ops import sum_to_shape


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when analytical and numerical gradients differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _check_arguments(eps, atol, rtol, caller):
    """ValueError unless eps is finite and > 0 and the tolerances finite and >= 0."""
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        number = float(value) if isinstance(value, numbers.Real) else math.nan
        least = "> 0" if name == "eps" else ">= 0"
        if not math.isfinite(number) or number < 0 or (name == "eps" and number == 0):
            raise ValueError(f"{caller}: {name} must be a finite number {least}, got {value!r}")


def _prepare(inputs, caller):
    """Float64 copies of ``inputs`` and the indices of those requiring grad (finite ones)."""
    inputs = _to_float64(_as_tuple(inputs))
    targets = [i for i, x in enumerate(inputs) if isinstance(x, Node) and x.requires_grad]
    if not targets:
        raise ValueError(f"{caller}: no input requires grad")
    for i in targets:
        bad = _first_nonfinite(inputs[i].raw)
        if bad is not None:
            raise ValueError(f"{caller}: input {i} is {bad[1]} at element {bad[0]}; "
                             f"finite differences need a finite point")
    return inputs, targets


def _to_float64(inputs):
    """Float64 copies of float inputs (same requires_grad); warns about float32 ones."""
    copies = []
    for index, x in enumerate(inputs):
        if isinstance(x, Node) and x.is_array and x.raw.dtype.kind == "f":
            if x.raw.dtype != np.float64:
                warnings.warn(f"gradcheck: input {index} is {x.raw.dtype}; checking a float64 copy "
                              f"(finite differences in low precision give false failures)",
                              stacklevel=4)
            copy = x._constant(np.array(x.raw, dtype=np.float64))
            copy.requires_grad = x.requires_grad
            copies.append(copy)
        elif isinstance(x, Node) and not x.is_array:
            copies.append(type(x)(x.raw, requires_grad=x.requires_grad))
        else:
            copies.append(x)
    return tuple(copies)


def _first_nonfinite(raw):
    """(element index tuple, value) of the first NaN/Inf in ``raw``, or None."""
    values = np.asarray(raw, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(values))
    if not len(bad):
        return None
    where = tuple(int(w) for w in bad[0])
    return where, float(values[where])


def _returned_nodes(fn, inputs, targets, caller):
    """``fn``'s outputs as a tuple of nodes, one at least reached from a checked input."""
    with enable_grad():
        out = fn(*inputs)
    outputs = _as_tuple(out)
    if not outputs or not all(isinstance(o, Node) for o in outputs):
        raise TypeError(f"{caller}: fn must return a Tensor, a Value or a non-empty tuple of "
                        f"them; it returned {_describe(out)}")
    live = [o for o in outputs if o.requires_grad]
    if not live:
        raise ValueError(f"{caller}: no output of fn requires grad (it returned {_describe(out)}), "
                         "so there is no gradient to check: is it detached, made under no_grad, "
                         "or built from raw arrays?")
    checked = {id(inputs[i]) for i in targets}
    if not any(id(node) in checked for node in topological_order(live)):
        raise ValueError(f"{caller}: no output of fn depends on an input being checked (it returned "
                         f"{_describe(out)}): is it a new leaf, or built from raw data?")
    return outputs


def _describe(out):
    if isinstance(out, (list, tuple)):
        return f"a {type(out).__name__} of ({', '.join(_describe(o) for o in out)})"
    if isinstance(out, Node):
        shape = f" of shape {tuple(out.raw.shape)}" if out.is_array else ""
        return f"a {type(out).__name__}{shape} with requires_grad={out.requires_grad}"
    if isinstance(out, np.ndarray):
        return f"a NumPy array of shape {out.shape}"
    return "None" if out is None else f"{type(out).__name__} {out!r:.60}"


def _flat(node):
    return np.ravel(np.asarray(node.raw, dtype=np.float64)) if isinstance(node, Node) else \
        np.ravel(np.asarray(node, dtype=np.float64))


def _output_vector(fn, inputs):
    with enable_grad():  # fn may itself differentiate (gradgradcheck's first derivative)
        return np.concatenate([_flat(o) for o in _as_tuple(fn(*inputs))])


def _shifted_output(fn, inputs, i, j, delta):
    """``fn``'s flat output with element ``j`` of input ``i`` moved by ``delta``, then restored."""
    x = inputs[i]
    old = x.raw.flat[j] if x.is_array else x.raw
    try:
        if x.is_array:
            x.raw.flat[j] = old + delta
        else:
            x.raw = old + delta
        return _output_vector(fn, inputs)
    finally:  # restore the exact value: x + eps - 2 eps + eps need not be x
        if x.is_array:
            x.raw.flat[j] = old
        else:
            x.raw = old


def _numerical_jacobian(fn, inputs, index, eps, rows):
    size = inputs[index].raw.size if inputs[index].is_array else 1
    columns = [(_shifted_output(fn, inputs, index, j, eps) - _shifted_output(fn, inputs, index, j, -eps))
               / (2 * eps) for j in range(size)]
    return np.stack(columns, axis=1) if columns else np.zeros((rows, 0))


def _analytical_jacobians(outputs, inputs, targets):
    """One Jacobian (outputs x elements) per target input, one backward pass per output element."""
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
    other arguments; ``fn`` must return a Tensor, a Value or a tuple of them, one at
    least requiring grad (else TypeError/ValueError, as for a bad ``eps``, ``atol``,
    ``rtol`` or a non-finite input). Checks run on float64 copies. It never succeeds
    when an output or a Jacobian entry is NaN or Inf. On a failure raises
    ``GradcheckError`` naming the input, the worst element, both values and either the
    first op whose own backward is wrong or the non-differentiable point (kink) it sits
    at; with ``raise_exception=False`` returns False instead.

    Example::

        x = Tensor(np.random.randn(3), requires_grad=True)
        assert gradcheck(lambda t: (t.exp() * t).sum(), (x,))
    """
    _check_arguments(eps, atol, rtol, "gradcheck")
    inputs, targets = _prepare(inputs, "gradcheck")
    _returned_nodes(fn, inputs, targets, "gradcheck")
    return _check(fn, inputs, targets, eps, atol, rtol, raise_exception, locate=fn,
                  second_order=False)


def _check(fn, inputs, targets, eps, atol, rtol, raise_exception, locate, second_order):
    """gradcheck's body; on a wrong op the search runs on ``locate`` (gradgradcheck: its fn)."""
    failure = _compare(fn, inputs, targets, eps, atol, rtol, second_order)
    if failure is None:
        return True
    if not raise_exception:
        return False
    message, blame = failure
    if blame:
        message += first_wrong_op(locate, inputs, eps, atol, rtol, second_order)
    raise GradcheckError(message)


def _compare(fn, inputs, targets, eps, atol, rtol, second_order):
    """None when the Jacobians agree, else (message, whether an op search may find the cause)."""
    with enable_grad():
        outputs = _as_tuple(fn(*inputs))
    base = np.concatenate([_flat(o) for o in outputs])
    problem = _nonfinite_output_message(outputs, inputs, targets, second_order)
    if problem:
        return problem, False
    analytical = _analytical_jacobians(outputs, inputs, targets)
    kinks = []
    for i in targets:
        numerical = _numerical_jacobian(fn, inputs, i, eps, base.size)
        problem = _nonfinite_jacobian(fn, inputs, i, eps, analytical[i], numerical, base)
        if problem:
            return problem
        error = np.abs(analytical[i] - numerical) - (atol + rtol * np.abs(numerical))
        worst = error.max(axis=0, initial=-np.inf)
        for j in np.argsort(-worst, kind="stable"):
            if not worst[j] > 0:
                break
            k = int(np.argmax(error[:, j]))
            tol = atol + rtol * abs(numerical[k, j])
            shape = _nonsmooth(*(_shifted_output(fn, inputs, i, j, d)[k] if d else base[k]
                                 for d in (0, eps, -eps, eps / 2, -eps / 2)), h=eps, tol=tol)
            where = (i, j, k, analytical[i][k, j], numerical[k, j])
            if shape is None:
                note = (f"(Also {len(kinks)} larger mismatch(es) at non-differentiable points, the "
                        f"first: {kinks[0]})\n") if kinks else ""
                return _mismatch_message(inputs, *where) + note, True
            kinks.append(_kink_message(inputs, where, shape, second_order))
    if kinks:
        more = f" ({len(kinks) - 1} more mismatching elements sit at such points.)" if len(kinks) > 1 else ""
        return kinks[0] + more + "\n", False
    return None


def _nonfinite_output_message(outputs, inputs, targets, second_order):
    """Where an output is NaN/Inf, or None; None too when no input has an element to perturb."""
    if not any(_flat(inputs[i]).size for i in targets):  # no derivative uses the value
        return None
    for k, out in enumerate(outputs):
        bad = _first_nonfinite(out.raw if isinstance(out, Node) else out)
        if bad is not None:
            name = (f"the first derivative (the gradient for input {targets[k]})" if second_order
                    else f"output {k} of fn")
            return (f"Non-finite value: {name} is {bad[1]} at element {bad[0]}; derivatives "
                    "cannot be checked where the function's value is not finite.\n")
    return None


def _nonfinite_jacobian(fn, inputs, i, eps, analytical, numerical, base):
    """(message, blame) for the first NaN/Inf in either Jacobian of input ``i``, or None."""
    for name, jacobian in (("analytical", analytical), ("numerical", numerical)):
        bad = np.argwhere(~np.isfinite(jacobian))
        if len(bad):
            k, j = (int(b) for b in bad[0])
            plus, minus = (_shifted_output(fn, inputs, i, j, d)[k] for d in (eps, -eps))
            message = (f"Non-finite value in the {name} Jacobian for input {i} at element "
                       f"{_element(inputs[i], j)} (output element {k}): numerical "
                       f"{numerical[k, j]:.8g} vs analytical {analytical[k, j]:.8g}; that output is "
                       f"{base[k]:.8g} at the point, {plus:.8g} at +eps and {minus:.8g} at -eps.\n")
            if not (np.isfinite(plus) and np.isfinite(minus)):
                message += "The point is within eps of where the function is undefined or overflows.\n"
            # a backward giving NaN/Inf where finite differences are finite: look for the op
            return message, name == "analytical" and bool(np.isfinite(numerical[k, j]))
    return None


def _nonsmooth(f0, plus, minus, plus_half, minus_half, h, tol):
    """How f fails to be differentiable at a point, from its values at 0, +-h, +-h/2; None if smooth.

    A smooth f's one-sided differences agree up to O(h); at a kink their gap stays as h
    halves (("kink", left slope, right slope)); across a jump a one-sided change does not
    shrink with h (("jump", left value, right value)). Rounding noise is never either.
    """
    noise = 1e3 * np.finfo(float).eps * max(abs(f0), abs(plus), abs(minus))
    for d1, d2 in ((plus - f0, plus_half - f0), (f0 - minus, f0 - minus_half)):
        if abs(d1) > max(tol * h, noise) and abs(d2) > 0.75 * abs(d1):
            return ("jump", minus, plus)
    left, right = (f0 - minus) / h, (plus - f0) / h
    gap, half_gap = abs(right - left), abs(plus_half - 2 * f0 + minus_half) / (h / 2)
    if gap > tol and gap * h > noise and half_gap > 0.75 * gap:
        return ("kink", left, right)
    return None


def _element(x, j):
    shape = x.raw.shape if x.is_array else ()
    return tuple(int(w) for w in np.unravel_index(j, shape)) if shape else ()


def _mismatch_message(inputs, i, j, k, analytical, numerical):
    return (f"Jacobian mismatch for input {i} at element {_element(inputs[i], j)} "
            f"(output element {k}): numerical {numerical:.8g} vs analytical {analytical:.8g}.\n")


def _kink_message(inputs, where, shape, second_order):
    i, j, k, analytical, numerical = where
    x = inputs[i]
    value = float(x.raw.flat[j] if x.is_array else x.raw)
    subject = "the first derivative" if second_order else "the function"
    if shape[0] == "kink":
        why = (f"not differentiable: left slope {shape[1]:.8g}, right slope {shape[2]:.8g}")
    else:
        why = f"not continuous: it jumps from {shape[1]:.8g} to {shape[2]:.8g}"
    return (f"Non-differentiable point: input {i} element {_element(x, j)} = {value:.8g} sits at "
            f"a point where {subject} is {why} (output element {k}; central difference "
            f"{numerical:.8g}, analytical {analytical:.8g}). No op is to blame for the "
            "difference; check at a point away from it.")


def first_wrong_op(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, second_order=False):
    """Describe the first op (in forward order) whose backward disagrees with finite differences.

    An op that sees a non-differentiable point (a kink such as relu at 0) or non-finite
    values nearby is not judged. With ``second_order`` (gradgradcheck) an op whose rule
    is right but whose rule's own derivative is wrong is named too.
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
    return ("Every op's own backward agrees with finite differences at the values it saw "
            "(ops at a kink or next to a non-finite value are not judged); look for a forward "
            "that does not compute what its backward assumes.")


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
        if g is None or not parent.requires_grad or np.size(datas[j]) == 0:
            continue
        v = rng.standard_normal(np.shape(datas[j])) if node.is_array else 1.0

        def along(t, j=j, v=v):  # u . op(x + t v): the op's output seen along direction v
            return float(np.sum(u * forward(*_shifted(datas, j, t * v), **params)))

        analytic = float(np.sum(_reduced(g, datas[j]) * v))
        numeric = (along(eps) - along(-eps)) / (2 * eps)
        tol = atol + rtol * abs(numeric)
        if not math.isfinite(numeric) or abs(analytic - numeric) <= tol:
            continue
        if _nonsmooth(float(np.sum(u * out)), along(eps), along(-eps), along(eps / 2),
                      along(-eps / 2), h=eps, tol=tol):
            continue
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
    targets = [i for i, p in enumerate(parents) if p.requires_grad]
    failure = _compare(rule, parents, targets, eps, atol, rtol, True)
    if failure is None or not failure[1]:  # agrees, or a kink / non-finite value: not judged
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
    fixed random ``v`` (or the given ``grad_outputs``) with ``gradcheck``'s guards (bad
    arguments or outputs refused, never a success on a non-finite value, kinks of the
    first derivative reported as such); a mismatch names the first op of ``fn`` whose
    backward rule has a wrong derivative.
    """
    _check_arguments(eps, atol, rtol, "gradgradcheck")
    inputs, targets = _prepare(inputs, "gradgradcheck")
    outputs = _returned_nodes(fn, inputs, targets, "gradgradcheck")
    grad_outputs = _grad_outputs(outputs, grad_outputs)
    problem = _nonfinite_output_message(outputs, inputs, targets, False)
    if problem and raise_exception:
        raise GradcheckError(problem)
    if problem:
        return False

    def first_derivative(*xs):
        outs = _as_tuple(fn(*xs))
        live = [k for k, o in enumerate(outs) if o.requires_grad]
        grads = grad([outs[k] for k in live], [xs[i] for i in targets],
                     [grad_outputs[k] for k in live], create_graph=True, allow_unused=True)
        return tuple(_zeros_like(xs[i]) if g is None else g for i, g in zip(targets, grads))

    return _check(first_derivative, inputs, targets, eps, atol, rtol, raise_exception, locate=fn,
                  second_order=True)


def _grad_outputs(outputs, grad_outputs):
    """The given output gradients (checked: one per output, finite) or fixed random ones."""
    if grad_outputs is None:
        rng = np.random.default_rng(1)
        return [rng.standard_normal(o.raw.shape) if o.is_array else float(rng.standard_normal())
                for o in outputs]
    grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"gradgradcheck: grad_outputs has {len(grad_outputs)} entries but fn "
                         f"returned {len(outputs)} outputs")
    for k, v in enumerate(grad_outputs):
        bad = _first_nonfinite(v.raw if isinstance(v, Node) else v)
        if bad is not None:
            raise ValueError(f"gradgradcheck: grad_outputs[{k}] is {bad[1]} at element {bad[0]}")
    return grad_outputs


def _zeros_like(x):
    """A constant zero gradient for ``x`` (an input its outputs do not depend on)."""
    return x._constant(np.zeros_like(x.raw) if x.is_array else 0.0)
