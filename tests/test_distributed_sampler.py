"""DistributedSampler: each rank's share of one order, equal lengths, PyTorch's partition."""
import pytest

from kissgrad.utils.data import DistributedSampler

DATA = list(range(10))


def shares(n_ranks, **kwargs):
    return [list(DistributedSampler(DATA, num_replicas=n_ranks, rank=r, **kwargs)) for r in range(n_ranks)]


@pytest.mark.parametrize("shuffle", [False, True])
def test_ranks_cover_every_index_with_equal_padded_shares(shuffle):
    parts = shares(3, shuffle=shuffle)
    assert [len(p) for p in parts] == [4, 4, 4]
    assert set(sum(parts, [])) == set(DATA)


def test_drop_last_cuts_to_equal_shares_without_repeats():
    parts = shares(3, drop_last=True, shuffle=False)
    assert parts == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]


def test_set_epoch_reshuffles_alike_on_every_rank():
    first = [DistributedSampler(DATA, 2, r, seed=1) for r in range(2)]
    before = [list(s) for s in first]
    for s in first:
        s.set_epoch(1)
    after = [list(s) for s in first]
    assert before != after and sorted(sum(after, [])) == DATA


@pytest.mark.parametrize("kwargs, message", [({}, "num_replicas= and rank="),
                                             ({"num_replicas": 2, "rank": 2}, "rank 2"),
                                             ({"num_replicas": 0, "rank": 0}, "num_replicas=0")])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DistributedSampler(DATA, **kwargs)


@pytest.mark.parametrize("n_ranks, drop_last", [(3, False), (3, True), (4, False), (1, False)])
def test_unshuffled_partition_matches_torch(n_ranks, drop_last):
    pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchSampler
    expected = [list(TorchSampler(DATA, n_ranks, r, shuffle=False, drop_last=drop_last))
                for r in range(n_ranks)]
    assert shares(n_ranks, shuffle=False, drop_last=drop_last) == expected
