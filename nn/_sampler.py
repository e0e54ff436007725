"""Samplers: the order in which a ``DataLoader`` visits a dataset (``torch.utils.data`` names).

A sampler is an iterable of dataset indices (Python ints); ``BatchSampler`` groups them into
lists. Random samplers draw from ``autograd.random.default_generator(generator)`` when an
epoch starts, so ``manual_seed(n)`` or a seeded ``Generator`` makes the order repeatable.
"""
import numbers

import numpy as np

from autograd.random import default_generator

from .parallel import default_process_group


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_positive_int(value, name):
    """`value` as an int; ``ValueError`` naming `name` and the value unless it is an int > 0."""
    if not _is_int(value) or value <= 0:
        raise ValueError(f"{name} should be a positive integer value, but got {name}={value!r}")
    return int(value)


class Sampler:
    """Base class of samplers: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices into `data_source`: a fresh permutation per epoch by default.

    With ``replacement=True`` each of the `num_samples` indices is drawn independently;
    without it, ``num_samples`` (default ``len(data_source)``) may exceed the length, and
    the permutations are then chained. As in PyTorch, an empty `data_source` without
    `num_samples` raises ``ValueError``.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        check_positive_int(self.num_samples, "num_samples")

    @property
    def num_samples(self):
        """The number of indices per epoch (``len(data_source)`` unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), default_generator(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given `indices` in a fresh random order each epoch (without replacement)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        order = default_generator(self.generator).permutation(len(self.indices))
        for i in order.tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


def _checked_weights(weights):
    w = np.asarray(weights.raw if hasattr(weights, "raw") else weights, dtype=np.float64)
    if w.ndim != 1:
        raise ValueError(f"weights should be a 1d sequence but given weights have shape {w.shape}")
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be finite, non-negative and not all zero, got "
                         f"weights={w.tolist()}")
    return w


class WeightedRandomSampler(Sampler):
    """`num_samples` indices in ``[0, len(weights))``, index i drawn with probability
    proportional to ``weights[i]`` (with replacement by default).

    Without replacement `num_samples` cannot exceed the number of non-zero weights
    (``ValueError``; PyTorch raises only when sampling).
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        self.num_samples = check_positive_int(num_samples, "num_samples")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement!r}")
        self.weights = _checked_weights(weights)
        self.replacement, self.generator = replacement, generator
        if not replacement and num_samples > np.count_nonzero(self.weights):
            raise ValueError(f"cannot draw num_samples={num_samples} without replacement from "
                             f"{np.count_nonzero(self.weights)} non-zero weights")

    def __iter__(self):
        p = self.weights / self.weights.sum()
        rng = default_generator(self.generator)
        yield from rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler`; the last may be shorter unless `drop_last`.

    Example::

        list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))  # [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = check_positive_int(batch_size, "batch_size")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)


class DistributedSampler(Sampler):
    """This rank's share of the indices, as ``torch.utils.data.DistributedSampler``: rank r of
    n takes every n-th index from position r of one order that every rank computes alike (a
    permutation seeded by ``seed + epoch`` when ``shuffle``; call ``set_epoch`` each epoch).
    The order is padded by repeating its start so the ranks get equal shares, or cut to a
    multiple of n with ``drop_last``. ``num_replicas`` and ``rank`` default to the world
    size and this process's rank once ``kissgrad.distributed.init()`` has run.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            group = default_process_group()
            if group is None:
                raise ValueError("DistributedSampler needs num_replicas= and rank= (the world size "
                                 "and this process's rank), or kissgrad.distributed.init() first")
            num_replicas = group.size if num_replicas is None else num_replicas
            rank = group.rank if rank is None else rank
        num_replicas = check_positive_int(num_replicas, "num_replicas")
        if not _is_int(rank) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank!r}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = bool(shuffle), int(seed), bool(drop_last), 0
        n = len(dataset)
        self.num_samples = n // num_replicas if drop_last else -(-n // num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        order = (np.random.default_rng(self.seed + self.epoch).permutation(n) if self.shuffle
                 else np.arange(n))
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n and n:
            order = np.resize(order, self.total_size)  # repeats the order's start
        return iter(order[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use ``epoch`` in the shuffle's seed, so each epoch has a new order (same on all ranks)."""
        self.epoch = int(epoch)
