"""Datasets and ``random_split``, with ``torch.utils.data``'s names and semantics."""
import bisect
import math
import numbers
import warnings

import numpy as np

from autograd import Tensor, from_numpy
from autograd.random import default_generator


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    Subclassing is optional (``DataLoader`` takes any object with both, a list included);
    ``ds1 + ds2`` concatenates. ``__getitem__(i)`` returns one sample, usually a tuple of
    fields such as ``(x, y)``. As in PyTorch there is no default ``__len__``.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets read as a stream: subclasses define ``__iter__``.

    ``DataLoader`` batches the items in the order ``__iter__`` yields them (no sampler,
    no shuffle); ``ds1 + ds2`` chains two streams.
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


def _as_tensor(x):
    """A Tensor as it is; an ndarray (or what ``np.asarray`` takes) wrapped without a copy."""
    return x if isinstance(x, Tensor) else from_numpy(np.asarray(x))


class TensorDataset(Dataset):
    """Dataset of rows of equally long tensors: ``ds[i]`` is ``tuple(t[i] for t in tensors)``.

    Each tensor keeps its dtype (int64 labels give int64 batches). Besides Tensors it takes
    ndarrays, wrapped without a copy as ``torch.from_numpy`` would (a list goes through
    ``np.asarray``, so Python floats give float64). All must share their first dimension.

    Example::

        ds = TensorDataset(X, y)
        x0, y0 = ds[0]
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, got none")
        tensors = tuple(_as_tensor(t) for t in tensors)
        if any(t.ndim == 0 for t in tensors):
            raise ValueError(f"TensorDataset tensors need a first (sample) dimension, got "
                             f"shapes {[t.shape for t in tensors]}")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"Size mismatch between tensors: TensorDataset tensors differ in "
                             f"their first dimension, sizes {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(_row(t, index) for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


def _row(t, index):
    """``t[index]``: a view sharing t's memory, differentiable when t requires grad."""
    if t.requires_grad:
        return t[index]
    return from_numpy(t.raw[index, ...])  # the Ellipsis keeps a 0-d row an array, not a scalar


class ConcatDataset(Dataset):
    """The samples of several map-style datasets one after another.

    ``cumulative_sizes[k]`` is the total length of the first k + 1 datasets.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset, got datasets=[]")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a ConcatDataset of length {n}")
        index = index + n if index < 0 else index
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k > 0 else 0
        return self.datasets[k][index - start]


class ChainDataset(IterableDataset):
    """The items of several iterable datasets, one stream after another."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of `dataset` at positions `indices` (kept as given), in that order."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        """The samples at several positions at once (what ``DataLoader`` asks for)."""
        inner = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self):
        return len(self.indices)


def _is_int(k):
    return isinstance(k, numbers.Integral) and not isinstance(k, bool)


def _counts_from_fractions(n, fractions):
    """Floor each share of n, then hand the remainder out one by one from the first (PyTorch)."""
    for i, f in enumerate(fractions):
        if not 0 <= f <= 1:
            raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1: "
                             f"lengths={fractions}")
    if not math.isclose(sum(fractions), 1):
        raise ValueError(f"random_split: fractions must sum to 1, but lengths={fractions} "
                         f"sum to {sum(fractions)}")
    counts = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, k in enumerate(counts):
        if k == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty "
                          f"dataset.", stacklevel=3)
    return counts


def _split_lengths(n, lengths):
    """Integer split sizes from counts summing to n, or from fractions summing to 1."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length, got lengths=[]")
    if all(_is_int(k) for k in lengths):
        if any(k < 0 for k in lengths) or sum(lengths) != n:
            raise ValueError(f"random_split: lengths={lengths} must be non-negative counts "
                             f"summing to len(dataset)={n} (they sum to {sum(lengths)})")
        return [int(k) for k in lengths]
    if any(isinstance(k, bool) or not isinstance(k, numbers.Real) for k in lengths):
        raise TypeError(f"random_split: lengths must be ints or floats, got lengths={lengths}")
    return _counts_from_fractions(n, [float(f) for f in lengths])


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random ``Subset``s of the given lengths.

    `lengths` are either ints summing to ``len(dataset)`` or fractions summing to 1;
    fractions are floored and the leftover samples handed out one each to the first
    subsets, as in PyTorch. The permutation is drawn from `generator` (a
    ``kissgrad.Generator``) or the default generator (see ``manual_seed``).

    Differences from PyTorch: ints are always counts (PyTorch reads ``[1, 0]`` as
    fractions), and negative counts raise ``ValueError``.

    Example::

        train, val = random_split(ds, [0.8, 0.2], generator=Generator().manual_seed(42))
    """
    counts = _split_lengths(len(dataset), lengths)
    order = default_generator(generator).permutation(len(dataset)).tolist()
    bounds = np.cumsum([0] + counts).tolist()
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]
