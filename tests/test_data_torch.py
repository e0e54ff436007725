"""kissgrad.utils.data against torch.utils.data: the same batches (types, shapes, dtypes,
values), lengths, split sizes and refusals. Skipped where torch is not installed."""
import collections
import warnings

import numpy as np
import pytest

import kissgrad.utils.data as kud
from autograd import Tensor

torch = pytest.importorskip("torch")
tud = torch.utils.data

rng = np.random.default_rng(0)
X = rng.normal(size=(11, 3)).astype(np.float32)
Y = rng.integers(0, 4, size=11)                       # int64 labels
Point = collections.namedtuple("Point", "x y")


def assert_same_batch(ours, theirs, path="batch"):
    """Same structure, then for every Tensor the same shape, dtype and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, Tensor), f"{path}: {type(ours).__name__} is not a Tensor"
        assert ours.shape == tuple(theirs.shape), path
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), path
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=path)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), path
        for key in theirs:
            assert_same_batch(ours[key], theirs[key], f"{path}[{key!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), path
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_same_batch(o, t, f"{path}[{i}]")
    else:
        assert ours == theirs and type(ours) is type(theirs), path


def samples(kind):
    """The same map-style dataset as (kissgrad's, torch's), by kind."""
    if kind == "tensor_dataset":
        return (kud.TensorDataset(X, Y),
                tud.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)))
    if kind == "single_tensor":
        return kud.TensorDataset(Y), tud.TensorDataset(torch.from_numpy(Y))
    rows = {
        "array_int_pairs": [(X[i], int(Y[i])) for i in range(len(Y))],
        "float_int_pairs": [(float(X[i, 0]), int(Y[i])) for i in range(len(Y))],
        "numpy_scalars": [(X[i, 0], Y[i], np.bool_(Y[i] > 1)) for i in range(len(Y))],
        "dicts": [{"x": X[i], "label": int(Y[i]), "name": f"s{i}"} for i in range(len(Y))],
        "namedtuples": [Point(X[i], float(Y[i])) for i in range(len(Y))],
        "lists": [[int(Y[i]), True] for i in range(len(Y))],
    }[kind]
    return rows, rows


KINDS = ["tensor_dataset", "single_tensor", "array_int_pairs", "float_int_pairs",
         "numpy_scalars", "dicts", "namedtuples", "lists"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (4, False), (4, True), (11, True),
                                                   (20, False), (None, False)])
def test_batches_match_torch(kind, batch_size, drop_last):
    ours_ds, torch_ds = samples(kind)
    ours = kud.DataLoader(ours_ds, batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(torch_ds, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    ours_batches, torch_batches = list(ours), list(theirs)
    assert len(ours_batches) == len(torch_batches)
    for i, (o, t) in enumerate(zip(ours_batches, torch_batches)):
        assert_same_batch(o, t, f"{kind} batch {i}")


@pytest.mark.parametrize("n", [0, 1, 7, 64, 65])
@pytest.mark.parametrize("batch_size", [1, 3, 8, 64])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_matches_torch(n, batch_size, drop_last):
    ours = kud.DataLoader(kud.TensorDataset(np.zeros(n)), batch_size=batch_size, drop_last=drop_last)
    theirs = tud.DataLoader(tud.TensorDataset(torch.zeros(n)), batch_size=batch_size,
                            drop_last=drop_last)
    assert len(ours) == len(theirs) == len(list(ours))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 10, 99, 1000, 1001])
@pytest.mark.parametrize("fractions", [[0.8, 0.2], [0.33, 0.33, 0.34], [0.5, 0.5], [1.0],
                                       [0.1] * 10, [0.7, 0.1, 0.2], [0.25, 0.0, 0.75],
                                       [1 / 3, 1 / 3, 1 / 3]])
def test_random_split_fraction_sizes_match_torch(n, fractions):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # both warn about empty splits
        ours = [len(s) for s in kud.random_split(range(n), fractions)]
        theirs = [len(s) for s in tud.random_split(range(n), fractions)]
    assert ours == theirs and sum(ours) == n


def test_random_split_counts_and_subset_contents_like_torch():
    ours = kud.random_split(kud.TensorDataset(Y), [3, 8])
    theirs = tud.random_split(tud.TensorDataset(torch.from_numpy(Y)), [3, 8])
    assert [len(s) for s in ours] == [len(s) for s in theirs] == [3, 8]
    assert type(ours[0].indices) is type(theirs[0].indices) is list
    for part in ours:
        assert_same_batch(list(part[0]), list(part.dataset[part.indices[0]]))


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": -2}, {"batch_size": 2.5},
                                    {"batch_size": None, "drop_last": True},
                                    {"sampler": [0, 1], "shuffle": True},
                                    {"batch_sampler": [[0]], "batch_size": 3},
                                    {"num_workers": -1}, {"drop_last": "yes"}])
def test_refusals_match_torch(kwargs):
    with pytest.raises(ValueError):
        tud.DataLoader(tud.TensorDataset(torch.zeros(4)), **kwargs)
    with pytest.raises(ValueError):
        kud.DataLoader(kud.TensorDataset(np.zeros(4)), **kwargs)


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [0.3, 0.3, 0.3]])
def test_random_split_refusals_match_torch(lengths):
    with pytest.raises(ValueError):
        tud.random_split(range(10), lengths)
    with pytest.raises(ValueError, match="lengths"):
        kud.random_split(range(10), lengths)


@pytest.mark.parametrize("batch", [[1, 2], [1.5, 2.0], [True, False], [1, 2.5],
                                   [np.float32(1), np.float32(2)], [np.int32(3)],
                                   [np.zeros((2, 2), np.float64), np.ones((2, 2), np.float64)],
                                   ["a", "b"], [[1, 2], [3, 4]], [(1, "x"), (2, "y")]])
def test_default_collate_matches_torch(batch):
    assert_same_batch(kud.default_collate(batch), tud.default_collate(batch))


@pytest.mark.parametrize("sample", [np.arange(3), (np.zeros(2), 1, 2.0), {"a": np.float32(1)},
                                    [np.int64(4), "s"], 7])
def test_default_convert_matches_torch(sample):
    assert_same_batch(kud.default_convert(sample), tud.default_convert(sample))


def test_iterable_dataset_batches_match_torch():
    class Ours(kud.IterableDataset):
        def __iter__(self):
            return iter([(float(i), i) for i in range(7)])

    class Theirs(tud.IterableDataset):
        def __iter__(self):
            return iter([(float(i), i) for i in range(7)])

    for kwargs in [{"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}]:
        ours, theirs = list(kud.DataLoader(Ours(), **kwargs)), list(tud.DataLoader(Theirs(), **kwargs))
        assert_same_batch(ours, theirs)


def test_samplers_lengths_match_torch():
    data = range(10)
    pairs = [(kud.SequentialSampler(data), tud.SequentialSampler(data)),
             (kud.RandomSampler(data, num_samples=25), tud.RandomSampler(data, num_samples=25)),
             (kud.RandomSampler(data, replacement=True, num_samples=7),
              tud.RandomSampler(data, replacement=True, num_samples=7)),
             (kud.BatchSampler(kud.SequentialSampler(data), 3, False),
              tud.BatchSampler(tud.SequentialSampler(data), 3, False)),
             (kud.WeightedRandomSampler([1.0] * 4, 9), tud.WeightedRandomSampler([1.0] * 4, 9))]
    for ours, theirs in pairs:
        assert len(ours) == len(theirs) == len(list(ours)) == len(list(theirs))
    assert list(kud.BatchSampler(range(10), 3, True)) == list(tud.BatchSampler(range(10), 3, True))
