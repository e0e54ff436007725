"""Tensor's reductions, with PyTorch's ``dim``/``keepdim`` (NumPy's ``axis``/``keepdims`` too).

``max(dim)``/``min(dim)`` return ``(values, indices)`` as PyTorch; ``amax``/``amin`` share the
gradient of tied extrema evenly, ``max(dim)`` sends it to the returned index; ``var``/``std``
are unbiased by default (``correction=1``).
"""
from collections import namedtuple

import numpy as np

from . import ops as O

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "What max(dim), min(dim), topk and sort return: ``(values, indices)``."


def pick(name, dim, axis):
    """``dim`` or its NumPy alias ``axis`` (only one may be given)."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{name}: give dim or axis, not both")
    return axis


def _as_axis(dim):
    return tuple(dim) if isinstance(dim, list) else dim


class ReductionMethods:
    """Reductions over ``dim`` (None: all; an int or a tuple; negative counts from the end)."""

    __slots__ = ()

    def _dim(self, dim, ndim=None):
        """``dim`` as a non-negative int, or IndexError naming it and the tensor's dims."""
        ndim = self.ndim if ndim is None else ndim
        span = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"dim must be an int, got {type(dim).__name__} {dim!r}")
        if not -span <= dim < span:
            raise IndexError(f"dim {dim} is out of range for a tensor of shape {self.shape} "
                             f"(expected a dim in [{-span}, {span - 1}])")
        return int(dim) % span

    def _axes(self, dim):
        """``dim`` (None, an int or a tuple) checked against this tensor's dims."""
        dim = _as_axis(dim)
        if dim is None:
            return None
        if isinstance(dim, tuple):
            axes = tuple(self._dim(d) for d in dim)
            if len(set(axes)) != len(axes):
                raise ValueError(f"dim {dim} names a dimension twice")
            return axes if self.ndim else None
        return self._dim(dim) if self.ndim else None

    def _reduce(self, op, name, dim, keepdim, axis=None, keepdims=None):
        dim = self._axes(pick(name, dim, axis))
        keep = bool(keepdim if keepdims is None else keepdims)
        return self._apply(op, (self,), {"axis": dim, "keepdims": keep})

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Sum over ``dim``; 0 over an empty dim. Bool and integer tensors sum to int64."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and x.raw.dtype.kind in "bi" and x.raw.dtype.itemsize < 8:
            x = x.to(np.int64)
        return x._reduce(O.SUM, "sum", dim, keepdim, axis, keepdims)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Mean over ``dim`` (floating tensors; an int tensor raises, as in PyTorch)."""
        x = self if dtype is None else self.to(dtype)
        if x.raw.dtype.kind != "f":
            raise TypeError(f"mean needs a floating point tensor, got dtype {x.dtype}; "
                            f"use .float().mean() or mean(dtype=kissgrad.float32)")
        return x._reduce(O.MEAN, "mean", dim, keepdim, axis, keepdims)

    def prod(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        """Product over ``dim`` (1 over an empty dim); zeros get the product of the others."""
        x = self if dtype is None else self.to(dtype)
        return x._reduce(O.PROD, "prod", dim, keepdim, axis, keepdims)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """log(sum(exp(x))) over ``dim``, computed without overflow; -inf over an empty dim."""
        return self._float_for("logsumexp")._reduce(O.LOGSUMEXP, "logsumexp", dim, keepdim, axis, keepdims)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Maximum over ``dim``; tied maxima share the gradient evenly (so it still sums to g)."""
        self._check_not_empty("amax", pick("amax", dim, axis))
        return self._reduce(O.AMAX, "amax", dim, keepdim, axis, keepdims)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Minimum over ``dim``; tied minima share the gradient evenly."""
        self._check_not_empty("amin", pick("amin", dim, axis))
        return self._reduce(O.AMIN, "amin", dim, keepdim, axis, keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """``max()``: the largest element (0-d). ``max(dim)``: ``(values, indices)`` along ``dim``,
        the gradient going to the returned index. ``max(other_tensor)``: elementwise maximum."""
        return self._extremum("max", np.argmax, O.AMAX, dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """``min()``, ``min(dim)`` -> ``(values, indices)``, ``min(other)``: as ``max``."""
        return self._extremum("min", np.argmin, O.AMIN, dim, keepdim, axis, keepdims)

    def _extremum(self, name, arg, op, dim, keepdim, axis, keepdims):
        dim = pick(name, dim, axis)
        if hasattr(dim, "raw"):  # max(other): elementwise
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        if dim is None:
            self._check_not_empty(name, None)
            return self._apply(op, (self,), {"axis": None, "keepdims": False})
        self._check_not_empty(name, dim)
        axis = self._dim(dim)
        keep = bool(keepdim if keepdims is None else keepdims)
        if self.ndim == 0:
            return ValuesIndices(self * 1, self._constant(np.zeros((), np.int64)))
        indices = np.expand_dims(arg(self.raw, axis=axis), axis)
        values = self._apply(O.GATHER, (self,), {"indices": indices, "axis": axis})
        if not keep:
            values, indices = values.squeeze(axis), np.squeeze(indices, axis)
        return ValuesIndices(values, self._constant(indices))

    def _check_not_empty(self, name, dim):
        if self.raw.size == 0 and (dim is None or self.shape[self._dim(dim)] == 0):
            raise IndexError(f"{name}(): cannot reduce an empty dimension of a tensor of shape "
                             f"{self.shape} (it has no identity); give a non-empty tensor")

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Indices of the maxima (int64, no gradient); over the flattened tensor when dim is None."""
        return self._arg("argmax", np.argmax, dim, keepdim, axis, keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Indices of the minima (int64, no gradient)."""
        return self._arg("argmin", np.argmin, dim, keepdim, axis, keepdims)

    def _arg(self, name, arg, dim, keepdim, axis, keepdims):
        dim = pick(name, dim, axis)
        self._check_not_empty(name, dim)
        axis = None if dim is None or self.ndim == 0 else self._dim(dim)
        keep = bool(keepdim if keepdims is None else keepdims)
        return self._constant(np.asarray(arg(self.raw, axis=axis, keepdims=keep), dtype=np.int64))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether every element is true (bool tensor, no gradient)."""
        return self._logic(np.all, "all", dim, keepdim, axis, keepdims)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether some element is true (bool tensor, no gradient)."""
        return self._logic(np.any, "any", dim, keepdim, axis, keepdims)

    def _logic(self, fn, name, dim, keepdim, axis, keepdims):
        axes = self._axes(pick(name, dim, axis))
        keep = bool(keepdim if keepdims is None else keepdims)
        return self._constant(np.asarray(fn(self.raw, axis=axes, keepdims=keep)))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None, ddof=None):
        """Variance over ``dim``, unbiased by default (``correction=1``, as PyTorch; NumPy's
        ``ddof`` is the same number). Fewer elements than ``correction + 1`` raise instead of
        PyTorch's nan."""
        if isinstance(dim, bool):  # var(True): the legacy unbiased flag, as PyTorch accepts
            dim, unbiased = None, dim
        correction = _correction(unbiased, correction, ddof)
        dim = self._axes(pick("var", dim, axis))
        keep = bool(keepdim if keepdims is None else keepdims)
        x = self._float_for("var")
        count = O.reduced_count(self.shape, dim)
        if count - correction <= 0:
            raise ValueError(f"var over {count} element(s) with correction={correction} has no "
                             f"degrees of freedom (PyTorch returns nan here)")
        centered = x - x.mean(dim, keepdim=True)
        return (centered * centered).sum(dim, keepdim=keep) / (count - correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
            keepdims=None, ddof=None):
        """Standard deviation over ``dim``: ``var(...).sqrt()``, unbiased by default."""
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims,
                        ddof=ddof).sqrt()

    def norm(self, p=2, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The ``p``-norm over ``dim`` (all elements by default): p = 2, 1, inf, -inf, 0 or any
        positive number; ``"fro"`` is 2. At 0 the 2-norm's gradient is 0, as in PyTorch."""
        dim, keep = pick("norm", dim, axis), bool(keepdim if keepdims is None else keepdims)
        x = self._float_for("norm")
        if p in (2, "fro"):
            return x._reduce(O.NORM, "norm", dim, keep)
        if p == 1:
            return x.abs().sum(dim, keepdim=keep)
        if p == np.inf:
            return x.abs().amax(dim, keepdim=keep)
        if p == -np.inf:
            return x.abs().amin(dim, keepdim=keep)
        if p == 0:  # a count: its gradient is 0, but it stays in the graph as PyTorch's does
            zero_with_grad = (x * 0.0).where(x.isfinite(), 0.0)
            return ((x != 0).to(x.dtype) + zero_with_grad).sum(dim, keepdim=keep)
        if not isinstance(p, (int, float)) or p < 0:
            raise ValueError(f"norm: p must be a number >= 0, inf, -inf or 'fro', got {p!r}")
        return (x.abs() ** p).sum(dim, keepdim=keep) ** (1.0 / p)

    def cumsum(self, dim, *, dtype=None):
        """Running sums along ``dim``."""
        x = self if dtype is None else self.to(dtype)
        if x.ndim == 0:
            return x * 1
        return x._apply(O.CUMSUM, (x,), {"axis": x._dim(dim)})

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim``."""
        axis = self._dim(dim)
        length = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= length:
            raise ValueError(f"topk: k={k} is out of range for a dimension of size {length}")
        order = self._order(axis, descending=largest, stable=True)
        return self._take_sorted(np.take(order, np.arange(k), axis=axis), axis)

    def sort(self, dim=-1, descending=False, stable=False):
        """``(values, indices)`` sorted along ``dim``; the gradient follows each value."""
        axis = self._dim(dim)
        return self._take_sorted(self._order(axis, descending, stable), axis)

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort along ``dim`` (int64)."""
        return self._constant(self._order(self._dim(dim), descending, stable))

    def _order(self, axis, descending, stable):
        data = self.raw.reshape(1) if self.ndim == 0 else self.raw
        keys = -data if descending and data.dtype.kind != "b" else data
        order = np.argsort(keys, axis=axis, kind="stable" if stable or descending else None)
        if descending and data.dtype.kind == "b":
            order = np.flip(np.argsort(data, axis=axis, kind="stable"), axis=axis)
        return order.astype(np.int64).reshape(self.shape) if self.ndim == 0 else order.astype(np.int64)

    def _take_sorted(self, indices, axis):
        if self.ndim == 0:
            return ValuesIndices(self * 1, self._constant(indices))
        values = self._apply(O.GATHER, (self,), {"indices": indices, "axis": axis})
        return ValuesIndices(values, self._constant(indices))

    def gather(self, dim, index):
        """Elements picked along ``dim`` by ``index`` (an int64 tensor of the output's shape)."""
        indices = np.asarray(getattr(index, "raw", index))
        if indices.dtype.kind not in "iu":
            raise TypeError(f"gather: index must be an integer tensor, got dtype {indices.dtype}")
        if indices.ndim != self.ndim:
            raise ValueError(f"gather: index has {indices.ndim} dims but the tensor has {self.ndim} "
                             f"(shapes {indices.shape} and {self.shape})")
        axis = self._dim(dim)
        if indices.size and (indices.min() < -self.shape[axis] or indices.max() >= self.shape[axis]):
            raise IndexError(f"gather: index out of range for dim {dim} of size {self.shape[axis]}")
        return self._apply(O.GATHER, (self,), {"indices": indices.astype(np.int64), "axis": axis})

    def softmax(self, dim, dtype=None):
        """``exp(x) / sum(exp(x))`` along ``dim`` (PyTorch's ``Tensor.softmax``)."""
        return self._along_dim("SOFTMAX", dim, dtype)

    def log_softmax(self, dim, dtype=None):
        """``x - logsumexp(x)`` along ``dim`` (PyTorch's ``Tensor.log_softmax``)."""
        return self._along_dim("LOG_SOFTMAX", dim, dtype)

    def _along_dim(self, op_name, dim, dtype):
        from . import nn_ops  # nn_ops builds on the Tensor these methods belong to

        x = self if dtype is None else self.to(dtype)
        if x.ndim == 0:
            return getattr(nn_ops, op_name)(x.reshape(1), axis=0).reshape(())
        return getattr(nn_ops, op_name)(x, axis=x._dim(dim))

    def take_along_dim(self, indices, dim=None):
        """PyTorch's ``take_along_dim(input, indices, dim)``: ``gather(dim, indices)`` with the
        index broadcast against the tensor outside ``dim``; with no ``dim``, over the flattened
        tensor."""
        if dim is None:
            return self.reshape(-1).gather(0, np.asarray(getattr(indices, "raw", indices)).reshape(-1))
        indices = np.asarray(getattr(indices, "raw", indices))
        axis = self._dim(dim)
        if indices.ndim == self.ndim:
            shape = list(np.broadcast_shapes(self.shape, indices.shape))
            shape[axis] = indices.shape[axis]
            indices = np.broadcast_to(indices, shape)
        return self.gather(dim, indices)

    def _float_for(self, name):
        if self.raw.dtype.kind == "f":
            return self
        raise TypeError(f"{name} needs a floating point tensor, got dtype {self.dtype}; use .float()")


def _correction(unbiased, correction, ddof):
    """The one degrees-of-freedom correction from PyTorch's ``unbiased``/``correction`` and
    NumPy's ``ddof``."""
    given = [v for v in (unbiased, correction, ddof) if v is not None]
    if len(given) > 1:
        raise TypeError("var/std: give only one of unbiased, correction and ddof")
    if unbiased is not None:
        return 1 if unbiased else 0
    value = given[0] if given else 1
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value < 0:
        raise ValueError(f"var/std: correction must be a number >= 0, got {value!r}")
    return value
