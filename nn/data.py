"""Data utilities: datasets, a batching DataLoader, splits, scaling and one-hot labels.

Everything here works on NumPy arrays and kissgrad Tensors alike. All randomness
(shuffling, random splits) is drawn from ``autograd.random.default_generator()`` at
the moment it is needed, so ``autograd.manual_seed(n)`` makes it repeatable.
"""
import math
import numbers

import numpy as np

from autograd import Tensor, from_numpy
from autograd.random import default_generator


def _as_array(x):
    """The ndarray behind a Tensor, or ``np.asarray(x)`` for anything else."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _like(template, array):
    """Wrap `array` as a Tensor when `template` is one, else return it unchanged."""
    return Tensor(array) if isinstance(template, Tensor) else array


class Dataset:
    """Base class for map-style datasets: subclasses define ``__len__`` and ``__getitem__``.

    Subclassing is optional: ``DataLoader`` accepts any object with both methods.
    ``__getitem__(i)`` returns one sample, a tuple of fields (``(x, y)``) or a single
    array/Tensor.
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Dataset of rows of equally long arrays: ``ds[i]`` is ``(t[i] for t in tensors)``.

    Accepts Tensors or anything ``np.asarray`` takes; all must share their first
    dimension. ``ds[i]`` returns a tuple of Tensors (integer arrays stay integer).

    Example::

        ds = TensorDataset(X, y)
        x0, y0 = ds[0]
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        arrays = tuple(_as_array(t) for t in tensors)
        if any(a.ndim == 0 for a in arrays):
            raise ValueError("TensorDataset tensors need a first (sample) dimension, "
                             "got a 0-d array")
        lengths = [a.shape[0] for a in arrays]
        if len(set(lengths)) > 1:
            raise ValueError(f"TensorDataset tensors differ in their first dimension: "
                             f"lengths {lengths}")
        self.arrays = arrays

    @property
    def tensors(self):
        """The stored data as a tuple of Tensors (PyTorch's attribute name)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(Tensor(np.asarray(a[index])) for a in self.arrays)


class Subset(Dataset):
    """The samples of `dataset` at positions `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        i = self.indices[index]
        return self.dataset[int(i) if np.ndim(i) == 0 else i]


def _stack_field(values):
    """One batch field as a Tensor: stack the samples' arrays along a new first axis."""
    return from_numpy(np.stack([_as_array(v) for v in values]))  # stack made a fresh array


def _fetch_batch(dataset, indices):
    """The samples at `indices` as a batch (a tuple of Tensors, or one Tensor)."""
    if isinstance(dataset, TensorDataset):
        # one fancy-index per array instead of stacking len(indices) tiny rows; the index
        # makes a fresh array, so the Tensor can take it over without a second copy
        return tuple(from_numpy(a[indices]) for a in dataset.arrays)
    if isinstance(dataset, Subset):
        return _fetch_batch(dataset.dataset, dataset.indices[indices])
    samples = [dataset[int(i)] for i in indices]
    if isinstance(samples[0], (tuple, list)):
        return tuple(_stack_field(field) for field in zip(*samples))
    return _stack_field(samples)


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


class DataLoader:
    """Iterable over `dataset` in batches; each ``for`` loop over it is one epoch.

    Every sample appears exactly once per epoch (the last ``len(dataset) % batch_size``
    are left out when ``drop_last=True``). With ``shuffle=True`` a fresh permutation
    is drawn from autograd's generator at the start of each epoch, so
    ``autograd.manual_seed(n)`` makes the order repeatable. ``len(loader)`` is the
    number of batches.

    A batch is a tuple of Tensors, one per field of a sample (``(x, y)`` for a
    ``TensorDataset(X, y)``); a dataset whose samples are a single array/Tensor
    gives a single Tensor per batch, as in PyTorch. Rows of a ``TensorDataset``
    (or a ``Subset`` of one) are gathered with one index per array; other datasets
    are read sample by sample and stacked (Python ints become int64, floats float64).

    Differences from PyTorch: no workers, samplers or ``collate_fn``.

    Example::

        loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
        for xb, yb in loader:
            ...
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, "
                            f"got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = _check_positive_int(batch_size, "batch_size")
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = default_generator().permutation(n) if self.shuffle else np.arange(n)
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, n), self.batch_size):
            yield _fetch_batch(self.dataset, order[start:start + self.batch_size])


def _split_lengths(n, lengths):
    """Integer split sizes from counts summing to n, or from fractions summing to 1."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split needs at least one length")
    if all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in lengths):
        if any(k < 0 for k in lengths):
            raise ValueError(f"random_split lengths must be non-negative, got {lengths}")
        if sum(lengths) != n:
            raise ValueError(f"random_split lengths sum to {sum(lengths)}, "
                             f"but the dataset has {n} samples")
        return [int(k) for k in lengths]
    fractions = [float(f) for f in lengths]
    if not (all(0 <= f <= 1 for f in fractions) and math.isclose(sum(fractions), 1)):
        raise ValueError("random_split lengths must be ints summing to len(dataset) "
                         f"or fractions in [0, 1] summing to 1, got {lengths}")
    counts = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(counts)):        # the remainder, round-robin (as PyTorch)
        counts[i % len(counts)] += 1
    return counts


def random_split(dataset, lengths):
    """Split `dataset` into non-overlapping random ``Subset``s of the given lengths.

    `lengths` are either ints summing to ``len(dataset)`` or fractions summing to 1;
    fractions are floored and the leftover samples handed out one each to the
    first subsets, as in PyTorch. The permutation comes from autograd's generator.

    Example::

        train, val = random_split(ds, [0.8, 0.2])
    """
    counts = _split_lengths(len(dataset), lengths)
    order = default_generator().permutation(len(dataset))
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _split_size(size, n, name):
    """A split's sample count: an int is a count, a float a fraction of n (rounded up)."""
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise TypeError(f"{name} must be an int count or a float fraction, got {size!r}")
    if isinstance(size, numbers.Integral):
        if not 0 <= size <= n:
            raise ValueError(f"{name}={size} must be between 0 and the number of samples ({n})")
        return int(size)
    if not 0.0 <= size < 1.0:
        raise ValueError(f"{name}={size} must be a fraction in [0, 1)")
    return math.ceil(size * n)


def train_val_test_split(X, y, val_size=0.1, test_size=0.1, shuffle=True, seed=None):
    """Split X and y into ``((X_train, y_train), (X_val, y_val), (X_test, y_test))``.

    `val_size` and `test_size` are fractions of the samples (rounded up) or, as
    ints, counts. Each output has the kind of its input (ndarray or Tensor). With
    ``shuffle=True`` the rows are permuted first, using ``np.random.default_rng(seed)``
    when `seed` is given and autograd's generator otherwise; with ``shuffle=False``
    the splits are consecutive blocks (train, then val, then test).

    Example::

        (Xtr, ytr), (Xva, yva), (Xte, yte) = train_val_test_split(X, y, seed=0)
    """
    x_arr, y_arr = _as_array(X), _as_array(y)
    if x_arr.ndim == 0 or y_arr.ndim == 0 or len(x_arr) != len(y_arr):
        raise ValueError(f"X and y must have the same number of samples, got shapes "
                         f"{x_arr.shape} and {y_arr.shape}")
    n = len(x_arr)
    n_val = _split_size(val_size, n, "val_size")
    n_test = _split_size(test_size, n, "test_size")
    n_train = n - n_val - n_test
    if n_train < 1:
        raise ValueError(f"val_size ({n_val}) and test_size ({n_test}) leave no training "
                         f"samples out of {n}")
    if shuffle:
        rng = np.random.default_rng(seed) if seed is not None else default_generator()
        order = rng.permutation(n)
    else:
        order = np.arange(n)
    parts = np.split(order, [n_train, n_train + n_val])
    return tuple((_like(X, x_arr[idx]), _like(y, y_arr[idx])) for idx in parts)


class Standardizer:
    """Per-feature standardisation ``(x - mean) / std``, statistics over axis 0.

    Fit it on the training data only, then transform every split with the same
    statistics (fitting on validation or test data leaks them into training)::

        scaler = Standardizer().fit(X_train)
        X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)

    A feature with (numerically) zero spread is divided by 1 instead of 0, so it
    maps to 0 rather than NaN. Outputs keep the input's kind (ndarray or Tensor)
    and floating dtype; integer inputs (uint8 pixels) come out as float32.
    Attributes after ``fit``: ``mean`` and ``std`` (float64, shape ``X.shape[1:]``).
    """

    def __init__(self):
        self.mean = None
        self.std = None
        self._scale = None

    def fit(self, X):
        """Compute the per-feature mean and std of X (shape ``(N, ...)``); returns self."""
        arr = _as_array(X)
        if arr.ndim == 0 or arr.shape[0] == 0:
            raise ValueError(f"Standardizer.fit needs at least one sample, got shape {arr.shape}")
        arr = arr.astype(np.float64)
        self.mean = arr.mean(axis=0)
        self.std = arr.std(axis=0)
        # a constant feature's std can come out as rounding noise (1e-17): treat as 0
        tiny = 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(self.mean))
        self._scale = np.where(self.std > tiny, self.std, 1.0)
        return self

    def _checked(self, X, method):
        if self.mean is None:
            raise RuntimeError(f"Standardizer.{method} called before fit: call fit(X_train) first")
        arr = _as_array(X)
        if arr.shape[1:] != self.mean.shape:
            raise ValueError(f"Standardizer was fit on samples of shape {self.mean.shape}, "
                             f"got {arr.shape[1:]} (input shape {arr.shape})")
        dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float32
        return arr, dtype

    def transform(self, X):
        """Return ``(X - mean) / std`` with the fitted statistics."""
        arr, dtype = self._checked(X, "transform")
        return _like(X, ((arr - self.mean) / self._scale).astype(dtype))

    def fit_transform(self, X):
        """Fit on X, then return X transformed."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        """Undo ``transform``: return ``Z * std + mean``."""
        arr, dtype = self._checked(Z, "inverse_transform")
        return _like(Z, (arr * self._scale + self.mean).astype(dtype))


def one_hot(labels, num_classes=None):
    """Return float32 one-hot rows for integer `labels`: shape ``labels.shape + (C,)``.

    Returns a Tensor for a Tensor input and an ndarray otherwise. `num_classes`
    defaults to ``labels.max() + 1`` (``-1`` means the same, as in PyTorch). Unlike
    PyTorch's ``F.one_hot`` the result is float32, ready for losses.

    Example::

        one_hot(np.array([0, 2]), 3)  # [[1, 0, 0], [0, 0, 1]]
    """
    arr = _as_array(labels)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"one_hot needs integer labels, got dtype {arr.dtype}")
    if num_classes is None or num_classes == -1:
        if arr.size == 0:
            raise ValueError("one_hot cannot infer num_classes from empty labels; pass num_classes")
        num_classes = int(arr.max()) + 1
    num_classes = _check_positive_int(num_classes, "num_classes")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        bad = arr.min() if arr.min() < 0 else arr.max()
        raise ValueError(f"one_hot label {bad} is out of range for num_classes={num_classes} "
                         f"(labels must be in [0, {num_classes - 1}])")
    out = np.eye(num_classes, dtype=np.float32)[arr]
    return _like(labels, out)
