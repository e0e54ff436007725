"""nn.data: datasets, DataLoader, splits, Standardizer and one_hot (no torch needed)."""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Tensor
from nn.data import (
    DataLoader,
    Dataset,
    Standardizer,
    Subset,
    TensorDataset,
    one_hot,
    random_split,
    train_val_test_split,
)


def ids_dataset(n):
    """A TensorDataset whose first field is the sample's own index."""
    return TensorDataset(np.arange(n), np.arange(n, dtype=np.float32) * 10)


class SquaresDataset(Dataset):
    """A generic (non-Tensor) dataset: sample i is (i, i**2 as a 2-vector)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i, np.array([i, i * i], dtype=np.float32)


def seen_ids(loader):
    return np.concatenate([batch[0].numpy() for batch in loader]) if len(loader) else np.array([])


# --- TensorDataset -------------------------------------------------------------------

def test_tensor_dataset_accepts_tensors_and_arrays():
    ds = TensorDataset(Tensor(np.ones((4, 3), dtype=np.float32)), np.arange(4))
    assert len(ds) == 4
    x, y = ds[2]
    assert isinstance(x, Tensor) and isinstance(y, Tensor)
    assert x.shape == (3,) and y.dtype == np.int64 and y.item() == 2
    assert isinstance(ds[-1], tuple)


def test_tensor_dataset_keeps_tensors_and_wraps_arrays_without_copy():
    X = Tensor(np.zeros((3, 2), dtype=np.float32))
    y = np.arange(3)
    ds = TensorDataset(X, y)
    assert ds.tensors[0] is X and ds.tensors[1].numpy() is y   # as torch.from_numpy
    assert ds[1][0].shape == (2,) and ds[1][1].shape == ()


def test_tensor_dataset_length_mismatch_names_lengths():
    with pytest.raises(ValueError, match=r"sizes \[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))


def test_tensor_dataset_needs_tensors():
    with pytest.raises(ValueError):
        TensorDataset()
    with pytest.raises(ValueError):
        TensorDataset(np.float32(1.0))


# --- DataLoader ----------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), shuffle=st.booleans(),
       drop_last=st.booleans())
def test_loader_covers_each_sample_once(n, batch_size, shuffle, drop_last):
    loader = DataLoader(ids_dataset(n), batch_size, shuffle=shuffle, drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader)
    assert all(len(b[0]) == batch_size for b in batches[:-1])
    ids = seen_ids(loader)
    assert len(np.unique(ids)) == len(ids)                    # nothing twice
    if drop_last:
        assert len(ids) == n - n % batch_size
        assert len(loader) == n // batch_size
    else:
        assert sorted(ids.tolist()) == list(range(n))         # everything once
        assert len(loader) == -(-n // batch_size)
    if not shuffle:
        assert ids.tolist() == list(range(len(ids)))


def test_loader_over_empty_dataset():
    loader = DataLoader(ids_dataset(0), batch_size=3)
    assert len(loader) == 0 and list(loader) == []
    with pytest.raises(ValueError, match="num_samples=0"):   # as torch's RandomSampler
        DataLoader(ids_dataset(0), batch_size=3, shuffle=True)


def test_loader_batches_are_lists_of_tensors_with_rows_aligned():
    ds = TensorDataset(np.arange(10), np.arange(10, dtype=np.float32) * 10)
    autograd.manual_seed(0)
    for batch in DataLoader(ds, batch_size=4, shuffle=True):
        assert isinstance(batch, list) and len(batch) == 2      # torch: a tuple sample -> list
        ids, tens = batch
        assert isinstance(ids, Tensor) and isinstance(tens, Tensor)
        assert ids.dtype == np.int64 and tens.dtype == np.float32
        np.testing.assert_array_equal(tens.numpy(), ids.numpy() * 10)


def test_loader_shuffle_differs_between_epochs_and_is_seeded():
    loader = DataLoader(ids_dataset(50), batch_size=7, shuffle=True)
    autograd.manual_seed(123)
    first, second = seen_ids(loader), seen_ids(loader)
    assert first.tolist() != second.tolist()
    assert first.tolist() != list(range(50))
    autograd.manual_seed(123)
    assert seen_ids(loader).tolist() == first.tolist()
    assert seen_ids(loader).tolist() == second.tolist()


def test_loader_uses_generator_current_at_iteration():
    loader = DataLoader(ids_dataset(30), batch_size=30, shuffle=True)   # built before seeding
    autograd.manual_seed(7)
    a = seen_ids(loader)
    autograd.manual_seed(7)
    b = seen_ids(DataLoader(ids_dataset(30), batch_size=30, shuffle=True))
    assert a.tolist() == b.tolist()


def test_loader_generic_dataset_stacks_samples():
    loader = DataLoader(SquaresDataset(7), batch_size=3)
    batches = list(loader)
    assert len(batches) == 3
    idx, vec = batches[0]
    assert idx.dtype == np.int64 and vec.shape == (3, 2) and vec.dtype == np.float32
    np.testing.assert_array_equal(vec.numpy(), [[0, 0], [1, 1], [2, 4]])
    assert batches[-1][1].shape == (1, 2)


def test_loader_generic_dataset_of_single_arrays_gives_tensors():
    class Rows(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full(3, i, dtype=np.float32)

    batches = list(DataLoader(Rows(), batch_size=2))
    assert isinstance(batches[0], Tensor) and batches[0].shape == (2, 3)


def test_loader_over_subset_uses_subset_indices():
    ds = ids_dataset(20)
    sub = Subset(ds, [5, 3, 17])
    ids = seen_ids(DataLoader(sub, batch_size=2))
    assert ids.tolist() == [5, 3, 17]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4"])
def test_loader_rejects_bad_batch_size(bad):
    with pytest.raises(ValueError, match=f"batch_size={bad!r}"):
        DataLoader(ids_dataset(4), batch_size=bad)


def test_loader_rejects_non_dataset():
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(iter(range(3)))


# --- random_split --------------------------------------------------------------------

def test_random_split_counts_disjoint_and_complete():
    autograd.manual_seed(0)
    parts = random_split(ids_dataset(10), [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    ids = [p[i][0].item() for p in parts for i in range(len(p))]
    assert sorted(ids) == list(range(10))


def test_random_split_fractions_distribute_remainder_like_pytorch():
    parts = random_split(ids_dataset(10), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]     # floor 3,3,3 then +1 to the first


def test_random_split_is_seeded():
    autograd.manual_seed(5)
    a = random_split(ids_dataset(12), [6, 6])[0].indices
    autograd.manual_seed(5)
    b = random_split(ids_dataset(12), [6, 6])[0].indices
    assert a == b
    autograd.manual_seed(6)
    c = random_split(ids_dataset(12), [6, 6])[0].indices
    assert a != c


@pytest.mark.parametrize("lengths", [[3, 3], [5, 6], [-1, 11], [0.5, 0.6], [1.5, -0.5], [],
                                     [1, 0], [0.3, 0.3, 0.3]])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError, match=r"lengths=" + re.escape(str(lengths))):
        random_split(ids_dataset(10), lengths)


# --- train_val_test_split ------------------------------------------------------------

def test_split_sizes_disjoint_and_aligned():
    X = np.arange(200).reshape(100, 2)
    y = np.arange(100)
    (Xtr, ytr), (Xva, yva), (Xte, yte) = train_val_test_split(X, y, seed=0)
    assert (len(Xtr), len(Xva), len(Xte)) == (80, 10, 10)
    for Xs, ys in [(Xtr, ytr), (Xva, yva), (Xte, yte)]:
        np.testing.assert_array_equal(Xs[:, 0], 2 * ys)     # rows stay with their labels
    all_ids = np.concatenate([ytr, yva, yte])
    assert sorted(all_ids.tolist()) == list(range(100))


def test_split_seed_reproducible_and_independent_of_global_generator():
    X, y = np.arange(50), np.arange(50)
    autograd.manual_seed(1)
    a = train_val_test_split(X, y, seed=42)
    autograd.manual_seed(2)
    b = train_val_test_split(X, y, seed=42)
    c = train_val_test_split(X, y, seed=43)
    assert a[0][1].tolist() == b[0][1].tolist()
    assert a[0][1].tolist() != c[0][1].tolist()


def test_split_without_seed_uses_manual_seed():
    X, y = np.arange(50), np.arange(50)
    autograd.manual_seed(9)
    a = train_val_test_split(X, y)
    autograd.manual_seed(9)
    b = train_val_test_split(X, y)
    assert a[2][1].tolist() == b[2][1].tolist()


def test_split_no_shuffle_is_consecutive_and_int_sizes_are_counts():
    X, y = np.arange(20), np.arange(20)
    (Xtr, _), (Xva, _), (Xte, _) = train_val_test_split(X, y, val_size=3, test_size=0.25,
                                                        shuffle=False)
    assert Xtr.tolist() == list(range(12))
    assert Xva.tolist() == [12, 13, 14]
    assert Xte.tolist() == list(range(15, 20))


def test_split_returns_the_kind_it_is_given():
    X = Tensor(np.ones((10, 3), dtype=np.float32))
    y = np.arange(10)
    (Xtr, ytr), _, _ = train_val_test_split(X, y, seed=0)
    assert isinstance(Xtr, Tensor) and Xtr.dtype == np.float32
    assert isinstance(ytr, np.ndarray) and not isinstance(ytr, Tensor)


def test_split_rejects_bad_input():
    with pytest.raises(ValueError, match="same number of samples"):
        train_val_test_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="no training"):
        train_val_test_split(np.zeros(10), np.zeros(10), val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="val_size"):
        train_val_test_split(np.zeros(10), np.zeros(10), val_size=1.5)
    with pytest.raises(TypeError, match="test_size"):
        train_val_test_split(np.zeros(10), np.zeros(10), test_size="0.1")


# --- Standardizer --------------------------------------------------------------------

def test_standardizer_uses_train_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(5.0, 2.0, size=(200, 3))
    X_test = rng.normal(-3.0, 9.0, size=(50, 3))
    scaler = Standardizer().fit(X_train)
    np.testing.assert_allclose(scaler.mean, X_train.mean(axis=0))
    np.testing.assert_allclose(scaler.std, X_train.std(axis=0))
    Z_train = scaler.transform(X_train)
    np.testing.assert_allclose(Z_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z_train.std(axis=0), 1, atol=1e-12)
    expected = (X_test - X_train.mean(axis=0)) / X_train.std(axis=0)
    np.testing.assert_allclose(scaler.transform(X_test), expected)


def test_standardizer_inverse_round_trip_and_tensor_kind():
    X = Tensor(np.random.default_rng(1).normal(size=(30, 4)).astype(np.float32))
    scaler = Standardizer()
    Z = scaler.fit_transform(X)
    assert isinstance(Z, Tensor) and Z.dtype == np.float32
    back = scaler.inverse_transform(Z)
    assert isinstance(back, Tensor)
    np.testing.assert_allclose(back.numpy(), X.numpy(), rtol=1e-5, atol=1e-5)


def test_standardizer_constant_feature_has_no_nan():
    X = np.column_stack([np.full(10, 0.1), np.arange(10.0), np.zeros(10)])
    scaler = Standardizer().fit(X)
    Z = scaler.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(Z[:, 0], 0, atol=1e-12)   # std was rounding noise, not a divisor
    np.testing.assert_array_equal(Z[:, 2], 0)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)


def test_standardizer_integer_input_gives_float32_per_pixel():
    X = np.random.default_rng(2).integers(0, 256, size=(20, 4, 4), dtype=np.uint8)
    Z = Standardizer().fit_transform(X)
    assert Z.dtype == np.float32 and Z.shape == (20, 4, 4)


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="before fit"):
        Standardizer().transform(np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="before fit"):
        Standardizer().inverse_transform(np.zeros((3, 2)))
    scaler = Standardizer().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        scaler.transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="at least one sample"):
        Standardizer().fit(np.zeros((0, 2)))


# --- one_hot -------------------------------------------------------------------------

def test_one_hot_values_shape_dtype():
    out = one_hot(np.array([0, 2, 1]), 4)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]])
    assert one_hot(np.array([[1, 0]]), 2).shape == (1, 2, 2)


def test_one_hot_infers_num_classes_and_keeps_tensor_kind():
    out = one_hot(Tensor(np.array([3, 0])))
    assert isinstance(out, Tensor) and out.shape == (2, 4) and out.dtype == np.float32
    assert one_hot([1, 0], -1).shape == (2, 2)


@pytest.mark.parametrize("labels, num_classes", [([0, 3], 3), ([-1, 0], 3), ([5], 5)])
def test_one_hot_rejects_out_of_range(labels, num_classes):
    with pytest.raises(ValueError, match="out of range"):
        one_hot(np.array(labels), num_classes)


def test_one_hot_rejects_bad_input():
    with pytest.raises(TypeError, match="integer"):
        one_hot(np.array([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="num_classes"):
        one_hot(np.array([0]), 0)
    with pytest.raises(ValueError, match="empty"):
        one_hot(np.array([], dtype=np.int64))


def test_batches_do_not_alias_the_dataset():
    X = np.arange(12.0).reshape(6, 2)
    (xb,) = next(iter(DataLoader(TensorDataset(X), batch_size=3)))
    xb.numpy()[0, 0] = -1.0
    assert X[0, 0] == 0.0  # a batch is its own array: changing it leaves the data alone
