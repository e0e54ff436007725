"""gradcheck's comparison: the analytical Jacobian (one backward per output element) against
central finite differences, and what a disagreement means. A mismatch at a point where the
function (or, for gradgradcheck, its first derivative) is not differentiable is reported as a
kink or jump, not blamed on an op (``nonsmooth`` tells them apart); a NaN or Inf in either
Jacobian or in an output never passes."""
import numpy as np

from .engine import grad
from .grad_mode import enable_grad
from .gradcheck_guards import as_tuple, first_nonfinite
from .node import Node


def _flat(node):
    return np.ravel(np.asarray(node.raw, dtype=np.float64)) if isinstance(node, Node) else \
        np.ravel(np.asarray(node, dtype=np.float64))


def _output_vector(fn, inputs):
    with enable_grad():  # fn may itself differentiate (gradgradcheck's first derivative)
        return np.concatenate([_flat(o) for o in as_tuple(fn(*inputs))])


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


def compare(fn, inputs, targets, eps, atol, rtol, second_order):
    """None when the Jacobians agree, else (message, whether an op search may find the cause)."""
    with enable_grad():
        outputs = as_tuple(fn(*inputs))
    base = np.concatenate([_flat(o) for o in outputs])
    problem = nonfinite_output_message(outputs, inputs, targets, second_order)
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
            shape = nonsmooth(*(_shifted_output(fn, inputs, i, j, d)[k] if d else base[k]
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


def nonfinite_output_message(outputs, inputs, targets, second_order):
    """Where an output is NaN/Inf, or None; None too when no input has an element to perturb."""
    if not any(_flat(inputs[i]).size for i in targets):  # no derivative uses the value
        return None
    for k, out in enumerate(outputs):
        bad = first_nonfinite(out.raw if isinstance(out, Node) else out)
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


def nonsmooth(f0, plus, minus, plus_half, minus_half, h, tol):
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
