"""``DataLoader``: batches from a dataset, with ``torch.utils.data.DataLoader``'s signature."""
import itertools
import numbers

import numpy as np

from autograd import from_numpy

from ._collate import default_collate, default_convert
from ._dataset import IterableDataset, Subset, TensorDataset
from ._sampler import BatchSampler, RandomSampler, SequentialSampler, check_positive_int


def get_worker_info():
    """Information about the current loader worker: always None, as kissgrad loads every
    batch in the main process (PyTorch's value there too)."""
    return None


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers, context):
    """PyTorch's checks on the multiprocessing options, which kissgrad otherwise ignores."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
            or num_workers < 0:
        raise ValueError(f"num_workers option should be a non-negative int, got "
                         f"num_workers={num_workers!r}; use num_workers=0 to load in this process")
    if timeout < 0:
        raise ValueError(f"timeout option should be non-negative, got timeout={timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(f"prefetch_factor option could only be specified with num_workers > 0, "
                         f"got prefetch_factor={prefetch_factor!r}")
    if num_workers == 0 and persistent_workers:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if num_workers == 0 and context is not None:
        raise ValueError(f"multiprocessing_context can only be used with num_workers > 0, got "
                         f"multiprocessing_context={context!r}")


def _check_sampling(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last):
    """PyTorch's rules on which of the sampling options may be combined."""
    if batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually "
                         "exclusive with drop_last")
    if isinstance(dataset, IterableDataset):
        for name, value in (("shuffle", shuffle), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                                 f"option, but got {name}={value!r}")
        return
    if not hasattr(dataset, "__getitem__"):
        raise TypeError(f"DataLoader needs a dataset with __getitem__ (and __len__) or an "
                        f"IterableDataset, got {type(dataset).__name__}")
    if sampler is None and batch_sampler is None and not hasattr(dataset, "__len__"):
        raise TypeError(f"DataLoader needs a dataset with __len__ unless a sampler is given, "
                        f"got {type(dataset).__name__}")
    if sampler is not None and shuffle:
        raise ValueError(f"sampler option is mutually exclusive with shuffle, got shuffle={shuffle!r}")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
        raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                         "sampler, and drop_last")


def _gather(dataset, indices):
    """The batch default_collate would build, as one fancy index per tensor, or None.

    A ``TensorDataset`` (or a ``Subset`` of one) whose tensors do not require grad is read
    with one index per tensor instead of len(indices) rows stacked one by one.
    """
    if type(dataset).__getitem__ is Subset.__getitem__ and \
            type(dataset).__getitems__ is Subset.__getitems__:
        return _gather(dataset.dataset, [dataset.indices[i] for i in indices])
    if type(dataset).__getitem__ is not TensorDataset.__getitem__:
        return None
    if any(t.requires_grad for t in dataset.tensors):
        return None
    rows = np.asarray(indices, dtype=np.int64)
    return [from_numpy(t.raw[rows]) for t in dataset.tensors]  # fancy indexing copies


class DataLoader:
    """Iterable over `dataset` in batches; each ``for`` loop over it is one epoch.

    Same arguments, defaults and batches as ``torch.utils.data.DataLoader``: `batch_size`
    samples per batch (``None``: single samples, converted by ``default_convert``), drawn in
    order, in a fresh random order per epoch (``shuffle=True``, from `generator` or the
    default generator, see ``manual_seed``), or as `sampler` / `batch_sampler` say; merged by
    `collate_fn` (``default_collate``: a dataset of ``(x, y)`` tuples gives ``[xb, yb]``, each
    a Tensor keeping the samples' dtype). ``len(loader)`` is the number of batches.

    Differences from PyTorch: batches are always loaded in the main process; `num_workers`,
    `pin_memory`, `timeout`, `worker_init_fn`, `prefetch_factor`, `persistent_workers`,
    `multiprocessing_context`, `pin_memory_device` and `in_order` are checked as PyTorch
    does and otherwise ignored.

    Example::

        loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
        for xb, yb in loader:
            ...
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers,
                              multiprocessing_context)
        _check_sampling(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last)
        self.dataset, self.generator, self.drop_last = dataset, generator, drop_last
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers, self.in_order = persistent_workers, in_order
        self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
        self.sampler, self.batch_sampler = self._samplers(shuffle, sampler, batch_sampler)
        if batch_sampler is not None:
            self.batch_size = None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def _samplers(self, shuffle, sampler, batch_sampler):
        if isinstance(self.dataset, IterableDataset):
            return None, None
        if sampler is None:
            sampler = (RandomSampler(self.dataset, generator=self.generator) if shuffle
                       else SequentialSampler(self.dataset))
        if batch_sampler is None and self.batch_size is not None:
            batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
        return sampler, batch_sampler

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None or (
            isinstance(self.dataset, IterableDataset) and self.batch_size is not None)

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        if self._auto_collation:
            return (self._fetch(indices) for indices in self.batch_sampler)
        return (self.collate_fn(self.dataset[index]) for index in self.sampler)

    def _fetch(self, indices):
        """One batch: the samples at `indices`, collated."""
        if self.collate_fn is default_collate:
            batch = _gather(self.dataset, indices)
            if batch is not None:
                return batch
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(list(indices)) if callable(getitems) else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _iter_stream(self):
        """Batches of an IterableDataset, in the order its iterator yields the items."""
        items = iter(self.dataset)
        if self.batch_size is None:
            yield from (self.collate_fn(item) for item in items)
            return
        while batch := list(itertools.islice(items, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn(batch)
