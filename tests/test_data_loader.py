"""kissgrad.utils.data beyond the basics: samplers, collation, generators, stream datasets
and the DataLoader's option checks (no torch needed; tests/test_data_torch.py compares)."""
import collections

import numpy as np
import pytest

import autograd
import kissgrad.utils.data as kud
import nn.data
from autograd import Tensor
from autograd.random import Generator
from nn.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_kissgrad_utils_data_is_nn_data():
    import kissgrad.utils
    assert kissgrad.utils.data is kud
    for name in nn.data.__all__:
        assert getattr(kud, name) is getattr(nn.data, name), name
    assert sorted(kud.__all__) == sorted(nn.data.__all__)


# --- collation -----------------------------------------------------------------------

def test_default_collate_dtypes_of_python_and_numpy_numbers():
    assert default_collate([1, 2]).dtype == np.int64
    assert default_collate([1.0, 2.0]).dtype == np.float64        # as torch: Python float -> double
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([1, 2.5]).dtype == np.float32          # torch.tensor([1, 2.5])
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    assert default_collate([np.int32(1)]).dtype == np.int32
    assert default_collate([np.float64(1.5)]).dtype == np.float64
    np.testing.assert_array_equal(default_collate([3, 4]).numpy(), [3, 4])


def test_default_collate_structures():
    batch = default_collate([(0, np.zeros(2, np.float32)), (1, np.ones(2, np.float32))])
    assert isinstance(batch, list) and batch[0].tolist() == [0, 1] and batch[1].shape == (2, 2)
    d = default_collate([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    assert d["a"].tolist() == [1, 2] and d["b"] == ["x", "y"]
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype == np.float64
    nested = default_collate([[1, 2], [3, 4]])
    assert isinstance(nested, list) and nested[0].tolist() == [1, 3]
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_default_collate_stacks_tensors_and_keeps_grad():
    w = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    assert batch.shape == (2, 3) and batch.requires_grad
    batch.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [5, 5, 5])
    plain = default_collate([Tensor(np.zeros(2, np.float64)), Tensor(np.ones(2, np.float64))])
    assert plain.dtype == np.float64 and not plain.requires_grad


@pytest.mark.parametrize("batch, error, match", [
    ([np.zeros(2), np.zeros(3)], RuntimeError, r"\[2\] at entry 0 and \[3\] at entry 1"),
    ([Tensor(np.zeros(2)), Tensor(np.zeros(3))], RuntimeError, "equal size"),
    ([Tensor(np.zeros(2)), np.zeros(2)], TypeError, "element 1"),
    ([[1, 2], [3]], RuntimeError, r"sizes \[2, 1\]"),
    ([object()], TypeError, "found"),
    ([np.array(["a"])], TypeError, "found"),
    ([], ValueError, "non-empty"),
])
def test_default_collate_errors(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)


def test_default_convert_turns_arrays_into_tensors_only():
    a = np.arange(3)
    out = default_convert((a, 1, 2.0, "s"))
    assert isinstance(out, list) and out[1:] == [1, 2.0, "s"]
    assert isinstance(out[0], Tensor) and out[0].numpy() is a        # shares memory
    assert default_convert({"k": np.float32(1)})["k"].dtype == np.float32
    assert default_convert(5) == 5


# --- DataLoader over various datasets ------------------------------------------------

def test_loader_over_python_list_of_pairs():
    data = [(np.full(2, i, dtype=np.float32), i) for i in range(5)]
    batches = list(DataLoader(data, batch_size=2))
    assert len(batches) == 3
    xb, yb = batches[0]
    assert xb.shape == (2, 2) and xb.dtype == np.float32 and yb.dtype == np.int64
    assert batches[-1][1].tolist() == [4]


def test_loader_unbatched_yields_converted_samples():
    ds = TensorDataset(np.zeros((3, 2), np.float32), np.arange(3))
    loader = DataLoader(ds, batch_size=None)
    assert len(loader) == 3
    x, y = next(iter(loader))
    assert x.shape == (2,) and y.shape == () and y.dtype == np.int64
    assert list(DataLoader(range(3), batch_size=None)) == [0, 1, 2]


def test_loader_batches_of_a_tensor_that_requires_grad_are_differentiable():
    w = Tensor(np.arange(8.0).reshape(4, 2), requires_grad=True)
    xb, yb = next(iter(DataLoader(TensorDataset(w, np.arange(4)), batch_size=3)))
    assert xb.requires_grad and yb.tolist() == [0, 1, 2]
    (xb * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[2, 2], [2, 2], [2, 2], [0, 0]])


def test_loader_custom_collate_fn_gets_sample_lists():
    loader = DataLoader(range(5), batch_size=2, collate_fn=lambda samples: samples)
    assert list(loader) == [[0, 1], [2, 3], [4]]


def test_loader_with_sampler_and_batch_sampler():
    ds = TensorDataset(np.arange(6))
    order = [5, 0, 3]
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=2, sampler=order)] == [[5, 0], [3]]
    loader = DataLoader(ds, batch_sampler=[[1, 2, 3], [0]])
    assert [b[0].tolist() for b in loader] == [[1, 2, 3], [0]] and len(loader) == 2
    assert loader.batch_size is None


def test_loader_shuffle_with_generator_is_repeatable_and_leaves_default_alone():
    ds = TensorDataset(np.arange(20))

    def epoch(seed):
        loader = DataLoader(ds, batch_size=20, shuffle=True, generator=Generator().manual_seed(seed))
        return next(iter(loader))[0].tolist()

    autograd.manual_seed(0)
    untouched = autograd.random.default_generator().integers(1 << 30)
    autograd.manual_seed(0)
    a, b, c = epoch(1), epoch(1), epoch(2)
    assert a == b and a != c and sorted(a) == list(range(20))
    assert autograd.random.default_generator().integers(1 << 30) == untouched


def test_loader_over_subset_and_concat():
    base = TensorDataset(np.arange(10))
    sub = Subset(base, [7, 2, 9])
    assert [b[0].tolist() for b in DataLoader(sub, batch_size=2)] == [[7, 2], [9]]
    both = base + TensorDataset(np.arange(100, 103))
    assert isinstance(both, ConcatDataset) and len(both) == 13
    assert both[10][0].item() == 100 and both[-1][0].item() == 102
    with pytest.raises(IndexError, match="13"):
        both[13]
    assert next(iter(DataLoader(both, batch_size=13)))[0].tolist()[9:11] == [9, 100]


def test_subset_of_subset_and_list_index():
    inner = Subset(TensorDataset(np.arange(10) * 2), [9, 8, 7, 6])
    outer = Subset(inner, [3, 0])
    assert [outer[i][0].item() for i in range(2)] == [12, 18]
    assert outer.__getitems__([1, 0])[0][0].item() == 18
    assert next(iter(DataLoader(outer, batch_size=2)))[0].tolist() == [12, 18]


def test_iterable_dataset_batches_and_len():
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in DataLoader(Stream(5), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    assert len(DataLoader(Stream(5), batch_size=2)) == 3
    assert len(DataLoader(Stream(5), batch_size=2, drop_last=True)) == 2
    assert list(DataLoader(Stream(2), batch_size=None)) == [0, 1]
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset) and len(chained) == 5
    assert [b.tolist() for b in DataLoader(chained, batch_size=5)] == [[0, 1, 0, 1, 2]]
    with pytest.raises(ValueError, match="shuffle=True"):
        DataLoader(Stream(3), shuffle=True)


# --- option checks -------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"sampler": [0, 1], "shuffle": True}, "mutually exclusive with shuffle"),
    ({"batch_sampler": [[0]], "batch_size": 2}, "batch_sampler option is mutually exclusive"),
    ({"batch_sampler": [[0]], "drop_last": True}, "batch_sampler option is mutually exclusive"),
    ({"batch_size": None, "drop_last": True}, "batch_size=None"),
    ({"num_workers": -1}, "num_workers=-1"),
    ({"timeout": -1}, "timeout=-1"),
    ({"prefetch_factor": 2}, "prefetch_factor=2"),
    ({"persistent_workers": True}, "persistent_workers"),
    ({"drop_last": 1}, "drop_last=1"),
])
def test_loader_rejects_conflicting_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(TensorDataset(np.arange(4)), **kwargs)


def test_loader_accepts_worker_options_and_loads_in_process():
    loader = DataLoader(TensorDataset(np.arange(4)), batch_size=2, num_workers=2,
                        pin_memory=True, persistent_workers=True, prefetch_factor=2)
    assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3]]
    assert kud.get_worker_info() is None


def test_dataset_base_class_needs_getitem():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(ValueError, match="at least one"):
        ConcatDataset([])


# --- samplers ------------------------------------------------------------------------

def test_sequential_and_batch_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    with pytest.raises(ValueError, match="batch_size=0"):
        BatchSampler(range(5), 0, False)


def test_random_sampler_variants():
    g = Generator().manual_seed(0)
    perm = list(RandomSampler(range(6), generator=g))
    assert sorted(perm) == list(range(6)) and all(type(i) is int for i in perm)
    longer = list(RandomSampler(range(4), num_samples=10, generator=g))
    assert len(longer) == 10 and sorted(longer[:8]) == sorted(list(range(4)) * 2)
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=g))
    assert len(drawn) == 50 and set(drawn) <= {0, 1, 2}
    with pytest.raises(TypeError, match="replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples=-2"):
        RandomSampler(range(3), num_samples=-2)


def test_subset_random_and_weighted_samplers():
    g = Generator().manual_seed(3)
    assert sorted(SubsetRandomSampler([10, 20, 30], generator=g)) == [10, 20, 30]
    picks = list(WeightedRandomSampler([0.0, 1.0, 0.0], 20, generator=g))
    assert picks == [1] * 20
    unique = list(WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=g))
    assert sorted(unique) == [0, 1, 2]
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="num_samples=4"):
        WeightedRandomSampler([1, 1, 1, 0], 4, replacement=False)
    with pytest.raises(ValueError, match=r"shape \(1, 2\)"):
        WeightedRandomSampler([[1.0, 2.0]], 2)


# --- random_split --------------------------------------------------------------------

def test_random_split_generator_and_fraction_rounding():
    parts = random_split(range(10), [0.5, 0.5], generator=Generator().manual_seed(1))
    again = random_split(range(10), [0.5, 0.5], generator=Generator().manual_seed(1))
    assert [p.indices for p in parts] == [p.indices for p in again]
    assert [len(p) for p in random_split(range(7), [0.5, 0.5])] == [4, 3]
    with pytest.warns(UserWarning, match="index 1 is 0"):
        assert [len(p) for p in random_split(range(1), [0.5, 0.5])] == [1, 0]
    assert all(isinstance(i, int) for i in parts[0].indices)
    with pytest.raises(TypeError, match="lengths"):
        random_split(range(4), ["a", "b"])
