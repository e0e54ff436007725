"""Tensor's shape methods and indexing, with PyTorch's meanings: ``transpose(dim0, dim1)`` swaps
two dims, ``permute(*dims)`` reorders them all, ``.T`` reverses them, ``squeeze(dim)`` of a dim
that is not 1 is a no-op; ``t[idx] = v`` writes in place (recorded when a graph needs it)."""
import math

import numpy as np

from . import ops as O
from .versions import mark_modified


def checked_size(shape, name):
    """``shape_args(shape)``, refusing a negative size with a ValueError naming ``name``."""
    shape = shape_args(shape)
    if any(n < 0 for n in shape):
        raise ValueError(f"{name}: sizes must be >= 0, got {shape}")
    return shape


def shape_args(shape):
    """Accept shapes given either way: ``f(2, 3)`` or ``f((2, 3))``; sizes must be ints."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"sizes must be ints, got {type(n).__name__} {n!r} in {tuple(shape)}")
    return tuple(int(n) for n in shape)


def _index_item(item):
    """One index entry as NumPy understands it: Tensors and lists become arrays, checked."""
    if hasattr(item, "raw") and not isinstance(item, np.ndarray):
        item = item.raw
    elif isinstance(item, list):
        item = np.asarray(item)
    if isinstance(item, np.ndarray) and item.dtype.kind not in "biu":
        raise IndexError(f"tensors used as indices must be integer or bool, got dtype {item.dtype} "
                         f"(use .long())")
    return item


def check_index(index):
    """Turn Tensors and lists inside an index into ndarrays NumPy understands."""
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


class ShapeMethods:
    """Reshaping, reordering, splitting and indexing."""

    __slots__ = ()

    def reshape(self, *shape):
        """Same data in a new shape (one entry may be -1); ``reshape(2, 3)`` or ``reshape((2, 3))``."""
        shape = shape_args(shape)
        return self._apply(O.RESHAPE, (self,), {"shape": self._resolve_shape(shape)})

    view = reshape

    def _resolve_shape(self, shape):
        """``shape`` with its -1 worked out, or ValueError naming both shapes."""
        known = math.prod(n for n in shape if n != -1)
        if shape.count(-1) > 1 or any(n < -1 for n in shape):
            raise ValueError(f"invalid shape {shape}: only one -1 allowed, no other negative size")
        if -1 in shape:
            if known == 0 or self.raw.size % known:
                raise ValueError(f"cannot reshape a tensor of shape {self.shape} ({self.raw.size} "
                                 f"elements) into {shape}")
            shape = tuple(self.raw.size // known if n == -1 else n for n in shape)
        elif known != self.raw.size:
            raise ValueError(f"cannot reshape a tensor of shape {self.shape} ({self.raw.size} "
                             f"elements) into {shape}")
        return shape

    def view_as(self, other):
        """Reshaped to ``other``'s shape."""
        return self.reshape(other.shape)

    def reshape_as(self, other):
        """Reshaped to ``other``'s shape."""
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge the dims ``start_dim..end_dim`` (inclusive) into one, as PyTorch's flatten.

        A dim out of range raises IndexError, also for a 0-d tensor (which takes 0 and -1)."""
        start, end = self._dim(start_dim), self._dim(end_dim)
        if self.ndim == 0:
            return self.reshape(1)
        if start > end:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                             f"for a tensor of shape {self.shape}")
        merged = math.prod(self.shape[start:end + 1])
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1:])

    def unflatten(self, dim, sizes):
        """Split dim ``dim`` into ``sizes`` (one may be -1)."""
        axis = self._dim(dim)
        sizes = shape_args((sizes,))
        known = math.prod(n for n in sizes if n != -1)
        if -1 in sizes and known:
            sizes = tuple(self.shape[axis] // known if n == -1 else n for n in sizes)
        if math.prod(sizes) != self.shape[axis]:
            raise ValueError(f"unflatten: sizes {sizes} do not multiply to dim {dim}'s size "
                             f"{self.shape[axis]} (shape {self.shape})")
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1:])

    def squeeze(self, dim=None, *, axis=None):
        """Remove dims of length one: all of them, or ``dim`` (an int or tuple) where it has length
        one (a dim of another length is kept, as in PyTorch)."""
        dim = dim if axis is None else axis
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = {self._dim(d) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim):
        """Insert a dim of length one at ``dim`` (``-1`` appends)."""
        axis = self._dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def transpose(self, dim0, dim1):
        """Swap dims ``dim0`` and ``dim1`` (PyTorch's meaning; NumPy's is ``permute``)."""
        axes = list(range(self.ndim))
        a, b = self._dim(dim0), self._dim(dim1)
        axes[a], axes[b] = axes[b], axes[a]
        return self._apply(O.TRANSPOSE, (self,), {"axes": tuple(axes)}) if self.ndim else self

    swapaxes = swapdims = transpose

    def permute(self, *dims):
        """Reorder all dims: ``permute(2, 0, 1)`` or ``permute((2, 0, 1))``."""
        dims = tuple(self._dim(d) for d in shape_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims of a "
                             f"tensor of shape {self.shape}")
        return self._apply(O.TRANSPOSE, (self,), {"axes": dims})

    def movedim(self, source, destination):
        """Move dim ``source`` to position ``destination``."""
        order = [d for d in range(self.ndim) if d != self._dim(source)]
        order.insert(self._dim(destination), self._dim(source))
        return self.permute(order)

    def t(self):
        """Transpose of a matrix (0-d and 1-d tensors come back as they are)."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}; "
                             f"use transpose(dim0, dim1)")
        return self.transpose(0, 1) if self.ndim == 2 else self

    T = property(lambda self: self._apply(O.TRANSPOSE, (self,), {"axes": None}),
                 doc="All dims reversed.")
    mT = property(lambda self: self.transpose(-2, -1), doc="The last two dims swapped (batched matrices).")

    def expand(self, *shape):
        """Broadcast to ``shape`` without copying; -1 keeps a dim's length."""
        shape = shape_args(shape)
        lead = len(shape) - self.ndim
        if lead < 0 or any(n == -1 for n in shape[:lead]):
            raise ValueError(f"expand{shape}: -1 can only keep an existing dim of a tensor "
                             f"of shape {self.shape}")
        full = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return self._apply(O.BROADCAST_TO, (self,), {"shape": full})

    def expand_as(self, other):
        """Broadcast to ``other``'s shape."""
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        """Broadcast to ``shape``."""
        return self.expand(shape)

    def repeat(self, *sizes):
        """Tile: repeat the data ``sizes[i]`` times along dim i (leading new dims allowed)."""
        sizes = shape_args(sizes)
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: {len(sizes)} repeat counts for a tensor with {self.ndim} dims")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        spread = self.reshape(tuple(n for s in shape for n in (1, s)))
        tiled = spread.expand(tuple(n for r, s in zip(sizes, shape) for n in (r, s)))
        return tiled.reshape(tuple(r * s for r, s in zip(sizes, shape)))

    def narrow(self, dim, start, length):
        """The ``length`` elements of ``dim`` from ``start``."""
        axis = self._dim(dim)
        start = start + self.shape[axis] if start < 0 else start
        if not 0 <= start <= start + length <= self.shape[axis]:
            raise IndexError(f"narrow: start {start} and length {length} do not fit dim {dim} "
                             f"of size {self.shape[axis]}")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0):
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the
        listed sizes."""
        axis = self._dim(dim)
        length = self.shape[axis]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = list(split_size_or_sections)
            if sum(sizes) != length:
                raise ValueError(f"split: sizes {sizes} do not add up to dim {dim}'s size {length}")
        else:
            if split_size_or_sections <= 0:
                raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}")
            sizes = [min(split_size_or_sections, length - s)
                     for s in range(0, length, split_size_or_sections)] or [0]
        bounds = np.cumsum([0] + sizes)
        return tuple(self.narrow(axis, int(a), int(b - a)) for a, b in zip(bounds[:-1], bounds[1:]))

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of equal size (the last may be smaller) along ``dim``."""
        if chunks <= 0:
            raise ValueError(f"chunk: chunks must be positive, got {chunks}")
        length = self.shape[self._dim(dim)]
        return self.split(max(1, -(-length // chunks)), dim)

    def unbind(self, dim=0):
        """The slices along ``dim``, each without that dim."""
        axis = self._dim(dim)
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self.shape[axis]))

    def flip(self, *dims):
        """Reverse the order along ``dims``."""
        axes = {self._dim(d) for d in shape_args(dims)}
        return self[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(self.ndim))]

    def roll(self, shifts, dims=None):
        """Shift elements along ``dims`` cyclically (the flattened tensor when dims is None)."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
        dims = dims if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
        out = self
        for shift, dim in zip(shifts, dims):
            axis = self._dim(dim)
            n = self.shape[axis]
            if n and shift % n:
                cut = n - shift % n
                head, tail = out.narrow(axis, 0, cut), out.narrow(axis, cut, n - cut)
                out = _cat((tail, head), axis)
        return out

    def pad(self, pad_width, value=0):
        """Pad with ``value`` using NumPy's ``((before, after), ...)`` widths (``F.pad`` takes
        PyTorch's last-dim-first tuple)."""
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (self.ndim, 2))
        if (widths < 0).any():
            raise ValueError(f"pad widths must be >= 0, got {pad_width}")
        widths = tuple((int(a), int(b)) for a, b in widths)
        return self._apply(O.PAD, (self,), {"pad_width": widths, "value": value})

    def __getitem__(self, index):
        return self._apply(O.GETITEM, (self,), {"index": check_index(index)})

    def __setitem__(self, index, value):
        """``t[index] = value`` in place. Recorded (gradient to the kept elements and to
        ``value``) when ``t`` is not a leaf or ``value`` requires grad; a leaf that requires
        grad raises, as in PyTorch."""
        index = check_index(index)
        if self._records_in_place(value):
            self._become(O.SETITEM, (value,), {"index": index})
            return
        raw = getattr(value, "raw", value)
        try:
            self.raw[index] = raw
        except (ValueError, IndexError, TypeError) as error:
            raise type(error)(f"cannot assign a value of shape {np.shape(raw)} to index {index!r} "
                              f"of a tensor of shape {self.shape}: {error}") from None
        mark_modified(self)


def _cat(tensors, axis):
    return tensors[0]._apply(O.CONCATENATE, tensors, {"axis": axis})
