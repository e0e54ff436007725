"""Tensor factories with PyTorch's signatures: ``tensor``, ``zeros``, ``ones``, ``full``, ``empty``,
``eye``, ``arange``, ``linspace``, the random ``rand``/``randn``/``randint``/``randperm`` (each
taking ``generator=``) and the ``*_like`` forms. Shapes come as ``(2, 3)`` or ``2, 3``."""
import numpy as np

from . import dtypes
from .random import default_generator
from .tensor import Tensor, check_device
from .tensor_shape import checked_size

DEFAULT_DTYPE = dtypes.DEFAULT_FLOAT


def _make(array, dtype, requires_grad, device=None):
    """A leaf of ``array`` cast to ``dtype`` (float32 when None and the array is float64)."""
    if device is not None:
        check_device(device)
    if dtype is None:
        dtype = DEFAULT_DTYPE if array.dtype == np.float64 else array.dtype
    out = Tensor._node(np.asarray(array, dtype=dtypes.to_dtype(dtype)), None, (), None, False)
    return out.requires_grad_(True) if requires_grad else out


_size = checked_size


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor copying ``data``, with the dtype inferred as ``torch.tensor``: Python
    floats -> float32, ints -> int64, bools -> bool; ndarrays and tensors keep theirs.

    Example: ``kissgrad.tensor([[1, 2]])`` is int64, usable as an index.
    """
    array = dtypes.infer_array(data, dtype)
    return _make(array, array.dtype, requires_grad, device)


def zeros(*shape, dtype=None, requires_grad=False, device=None):
    """Tensor of zeros (float32 unless ``dtype``)."""
    return _make(np.zeros(_size(shape, "zeros"), DEFAULT_DTYPE), dtype, requires_grad, device)


def ones(*shape, dtype=None, requires_grad=False, device=None):
    """Tensor of ones."""
    return _make(np.ones(_size(shape, "ones"), DEFAULT_DTYPE), dtype, requires_grad, device)


def empty(*shape, dtype=None, requires_grad=False, device=None):
    """Tensor of the given shape; kissgrad fills it with zeros (never garbage)."""
    return _make(np.zeros(_size(shape, "empty"), DEFAULT_DTYPE), dtype, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """Tensor of ``size`` filled with ``fill_value`` (its dtype as ``tensor(fill_value)``'s)."""
    size = _size((size,) if isinstance(size, (int, np.integer)) else (tuple(size),), "full")
    value = dtypes.infer_array(getattr(fill_value, "raw", fill_value))
    return _make(np.full(size, value, dtype=value.dtype), dtype, requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """2-d Tensor with ones on the diagonal."""
    return _make(np.eye(n, m, dtype=DEFAULT_DTYPE), dtype, requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Values from ``start`` to ``end`` (exclusive) by ``step``: int64 when all are integers,
    else float32, as in PyTorch. A zero step raises."""
    if end is None:
        start, end = 0, start
    bounds = [getattr(v, "raw", v) for v in (start, end, step)]
    if bounds[2] == 0:
        raise ValueError(f"arange: step must be nonzero, got {step}")
    if (bounds[1] - bounds[0]) * bounds[2] < 0:
        raise ValueError(f"arange: step {step} goes away from end {end} (start {start})")
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in bounds)
    values = np.arange(*bounds, dtype=np.int64 if integral else np.float64)
    return _make(values, dtype, requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    if steps < 0:
        raise ValueError(f"linspace: steps must be >= 0, got {steps}")
    # PyTorch's formula, for the same last bits: the first half counts up from start, the
    # second half down from end (np.linspace counts up all the way)
    index = np.arange(steps, dtype=np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    half = steps // 2 if steps > 1 else 1  # one step is just start
    values = np.where(index < half, start + step * index, end - step * (steps - 1 - index))
    return _make(values, dtype, requires_grad, device)


def rand(*shape, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform samples in [0, 1) (the library's generator unless ``generator``)."""
    samples = default_generator(generator).random(_size(shape, "rand"))
    return _make(samples, dtype, requires_grad, device)


def randn(*shape, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal samples (the library's generator unless ``generator``)."""
    samples = default_generator(generator).standard_normal(_size(shape, "randn"))
    return _make(samples, dtype, requires_grad, device)


def randint(low, high=None, size=None, *, generator=None, dtype=None, requires_grad=False, device=None):
    """Integers in [low, high) of ``size`` (int64): ``randint(high, size)`` or
    ``randint(low, high, size)``."""
    if size is None:
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint needs a size: randint(high, size) or randint(low, high, size)")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    samples = default_generator(generator).integers(low, high, _size((tuple(size),), "randint"))
    return _make(samples.astype(np.int64), dtype, requires_grad, device)


def randperm(n, generator=None, dtype=None, requires_grad=False, device=None):
    """A random permutation of 0..n-1 (int64)."""
    if n < 0:
        raise ValueError(f"randperm: n must be >= 0, got {n}")
    return _make(default_generator(generator).permutation(n).astype(np.int64), dtype, requires_grad, device)


def _like(tensor, array, dtype, requires_grad):
    return _make(array, dtype if dtype is not None else tensor.dtype, requires_grad)


def zeros_like(input, dtype=None, requires_grad=False, device=None):
    """Zeros with the shape (and, unless given, dtype) of ``input``."""
    return _like(input, np.zeros(input.shape), dtype, requires_grad)


def ones_like(input, dtype=None, requires_grad=False, device=None):
    """Ones with the shape (and, unless given, dtype) of ``input``."""
    return _like(input, np.ones(input.shape), dtype, requires_grad)


def empty_like(input, dtype=None, requires_grad=False, device=None):
    """Zeros with the shape and dtype of ``input`` (``empty`` never holds garbage here)."""
    return zeros_like(input, dtype, requires_grad)


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None):
    """``fill_value`` with the shape (and, unless given, dtype) of ``input``."""
    return _like(input, np.full(input.shape, getattr(fill_value, "raw", fill_value)), dtype, requires_grad)


def rand_like(input, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform samples in [0, 1) with the shape (and dtype) of ``input``."""
    return _like(input, default_generator(generator).random(input.shape), dtype, requires_grad)


def randn_like(input, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal samples with the shape (and dtype) of ``input``."""
    return _like(input, default_generator(generator).standard_normal(input.shape), dtype, requires_grad)
