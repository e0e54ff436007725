"""Tensor factories: zeros, ones, full, randn, rand, arange, eye and the *_like forms."""
import numpy as np

from .random import default_generator
from .tensor import Tensor, _shape_args

DEFAULT_DTYPE = np.float32


def _make(data, dtype, requires_grad):
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _make(np.zeros(_shape_args(shape)), dtype, requires_grad)


def ones(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Tensor of ones."""
    return _make(np.ones(_shape_args(shape)), dtype, requires_grad)


def full(shape, fill_value, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Tensor of ``shape`` filled with ``fill_value``."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _make(np.full(shape, fill_value), dtype, requires_grad)


def randn(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Tensor of standard normal samples from the library's generator (see ``manual_seed``)."""
    return _make(default_generator().standard_normal(_shape_args(shape)), dtype, requires_grad)


def rand(*shape, dtype=DEFAULT_DTYPE, requires_grad=False):
    """Tensor of uniform samples in [0, 1) from the library's generator."""
    return _make(default_generator().random(_shape_args(shape)), dtype, requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """Evenly spaced values in [start, stop). All-integer arguments give int64, as in PyTorch."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in "iu" else DEFAULT_DTYPE
    return _make(values, dtype, requires_grad)


def eye(n, m=None, dtype=DEFAULT_DTYPE, requires_grad=False):
    """2-d Tensor with ones on the diagonal."""
    return _make(np.eye(n, m), dtype, requires_grad)


def zeros_like(tensor, dtype=None, requires_grad=False):
    """Zeros with the shape (and, unless given, dtype) of ``tensor``."""
    return _make(np.zeros_like(tensor.data), dtype or tensor.dtype, requires_grad)


def ones_like(tensor, dtype=None, requires_grad=False):
    """Ones with the shape (and, unless given, dtype) of ``tensor``."""
    return _make(np.ones_like(tensor.data), dtype or tensor.dtype, requires_grad)
