"""Data utilities with ``torch.utils.data``'s names (``kissgrad.utils.data`` is this module),
plus kissgrad's own splits, scaling and one-hot labels.

Datasets (``Dataset``, ``TensorDataset``, ``Subset``, ...), samplers, ``default_collate``
and ``DataLoader`` behave as PyTorch's; they live in ``nn._dataset``, ``nn._sampler``,
``nn._collate`` and ``nn._dataloader`` and are re-exported here. All randomness (shuffling,
random splits) is drawn from ``autograd.random.default_generator(generator)`` when it is
needed, so ``autograd.manual_seed(n)`` or a seeded ``Generator`` makes it repeatable.
"""
import math
import numbers

import numpy as np

from autograd import Tensor, from_numpy
from autograd.random import default_generator

from ._collate import default_collate, default_convert
from ._dataloader import DataLoader, get_worker_info
from ._dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from ._sampler import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset",
    "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "DistributedSampler", "DataLoader", "default_collate",
    "default_convert", "get_worker_info", "train_val_test_split", "Standardizer", "one_hot",
]


def _as_array(x):
    """The ndarray behind a Tensor, or ``np.asarray(x)`` for anything else."""
    return x.raw if isinstance(x, Tensor) else np.asarray(x)


def _like(template, array):
    """Wrap `array` (a fresh array) as a Tensor of its dtype when `template` is one, else
    return it unchanged."""
    return from_numpy(array) if isinstance(template, Tensor) else array


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


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
