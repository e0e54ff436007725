"""gradcheck's guards: what it refuses before comparing anything. Arguments (``eps``, ``atol``,
``rtol``), inputs (none requiring grad, a non-finite point: float inputs become float64
copies), outputs (not nodes, none requiring grad, none reached from a checked input) and
gradgradcheck's ``grad_outputs`` each get an error that names what was given."""
import math
import numbers
import warnings

import numpy as np

from .engine import topological_order
from .grad_mode import enable_grad
from .node import Node


def as_tuple(x):
    """``x`` as a tuple: a list or tuple converted, anything else the one item."""
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def check_arguments(eps, atol, rtol, caller):
    """ValueError unless eps is finite and > 0 and the tolerances finite and >= 0."""
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        number = float(value) if isinstance(value, numbers.Real) else math.nan
        least = "> 0" if name == "eps" else ">= 0"
        if not math.isfinite(number) or number < 0 or (name == "eps" and number == 0):
            raise ValueError(f"{caller}: {name} must be a finite number {least}, got {value!r}")


def prepare(inputs, caller):
    """Float64 copies of ``inputs`` and the indices of those requiring grad (finite ones)."""
    inputs = to_float64(as_tuple(inputs))
    targets = [i for i, x in enumerate(inputs) if isinstance(x, Node) and x.requires_grad]
    if not targets:
        raise ValueError(f"{caller}: no input requires grad")
    for i in targets:
        bad = first_nonfinite(inputs[i].raw)
        if bad is not None:
            raise ValueError(f"{caller}: input {i} is {bad[1]} at element {bad[0]}; "
                             f"finite differences need a finite point")
    return inputs, targets


def to_float64(inputs):
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


def first_nonfinite(raw):
    """(element index tuple, value) of the first NaN/Inf in ``raw``, or None."""
    values = np.asarray(raw, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(values))
    if not len(bad):
        return None
    where = tuple(int(w) for w in bad[0])
    return where, float(values[where])


def returned_nodes(fn, inputs, targets, caller):
    """``fn``'s outputs as a tuple of nodes, one at least reached from a checked input."""
    with enable_grad():
        out = fn(*inputs)
    outputs = as_tuple(out)
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


def checked_grad_outputs(outputs, grad_outputs):
    """The given output gradients (checked: one per output, finite) or fixed random ones."""
    if grad_outputs is None:
        rng = np.random.default_rng(1)
        return [rng.standard_normal(o.raw.shape) if o.is_array else float(rng.standard_normal())
                for o in outputs]
    grad_outputs = as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"gradgradcheck: grad_outputs has {len(grad_outputs)} entries but fn "
                         f"returned {len(outputs)} outputs")
    for k, v in enumerate(grad_outputs):
        bad = first_nonfinite(v.raw if isinstance(v, Node) else v)
        if bad is not None:
            raise ValueError(f"gradgradcheck: grad_outputs[{k}] is {bad[1]} at element {bad[0]}")
    return grad_outputs
