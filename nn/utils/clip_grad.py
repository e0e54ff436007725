"""Gradient clipping as ``torch.nn.utils``: by total norm or by value, in place on ``.grad``."""
import math
import numbers

import numpy as np

from autograd import Tensor


def _tensors(parameters):
    """A list of tensors from one tensor or any iterable of them (generators included)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _grads(parameters):
    return [p.grad for p in _tensors(parameters) if p.grad is not None]


def _check_number(name, value, allow_inf=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if value < 0 or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be >= 0{' (or inf)' if allow_inf else ''}, got {value!r}")
    return float(value)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Return the ``norm_type``-norm of all ``tensors`` taken as one vector, as a 0-d Tensor.

    As PyTorch: the norm of the per-tensor norms (``inf`` is the largest absolute value).
    ``foreach`` is accepted and ignored. Raises ``RuntimeError`` on a NaN/inf total when
    ``error_if_nonfinite``.
    """
    arrays = [t.raw for t in _tensors(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.array(0.0, dtype=np.float32))
    dtype = np.result_type(*arrays)
    arrays = [a for a in arrays if a.size] or [np.zeros(1, dtype)]  # an empty tensor adds 0
    norms = np.array([np.linalg.norm(a.reshape(-1), ord=norm_type) for a in arrays])
    total = np.linalg.norm(norms, ord=norm_type).astype(dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           f"is non-finite, so it cannot be clipped. To disable this error and "
                           f"scale the gradients by the non-finite norm anyway, set "
                           f"`error_if_nonfinite=False`")
    return Tensor(np.asarray(total))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every ``.grad`` in place by ``min(1, max_norm / (total_norm + 1e-6))``; returns None."""
    max_norm = _check_number("max_norm", max_norm, allow_inf=True)
    total = float(total_norm.raw if isinstance(total_norm, Tensor) else total_norm)
    scale = min(max_norm / (total + 1e-6), 1.0)  # PyTorch's clip_coef, clamped to 1
    for g in _grads(parameters):
        g.raw *= g.raw.dtype.type(scale)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients so that their total ``norm_type``-norm is at most ``max_norm``.

    ``parameters``: one tensor or an iterable (parameters without ``.grad`` are skipped).
    Each gradient is multiplied in place by ``min(1, max_norm / (total + 1e-6))``, as
    PyTorch. Returns the total norm before clipping, as a 0-d Tensor.

    Example::

        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    """
    parameters = _tensors(parameters)  # a generator is read once, used twice
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient in place to ``[-clip_value, clip_value]``; returns None.

    ``parameters``: one tensor or an iterable (parameters without ``.grad`` are skipped).
    """
    clip_value = _check_number("clip_value", clip_value, allow_inf=True)
    for g in _grads(parameters):
        np.clip(g.raw, -clip_value, clip_value, out=g.raw)
