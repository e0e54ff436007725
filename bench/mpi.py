"""Data-parallel scaling on MPI: ``python -m bench.mpi [--steps 60] [--reps 5] [--json PATH]``.

Trains ``kissgrad train``'s MLP (784-256-128-10, no dropout, Adam, float32) on the bundled
MNIST digits, ``--batch`` samples per rank and step (weak scaling, as PyTorch's DDP is
used), in these set-ups, each a fresh ``mpiexec`` job, interleaved over ``--reps`` rounds
so that a busy spell of the machine hits them all alike:

    plain 1x1   one process, no DistributedDataParallel, 1 BLAS thread
    ddp 1x1     the same under DistributedDataParallel on 1 rank (its bookkeeping cost)
    ddp 2x1     2 ranks of 1 BLAS thread each
    plain 1x2   one process, 2 BLAS threads (the other way to use 2 cores)

Reported per set-up (median, and min-max over the rounds): samples/s over all ranks,
milliseconds per step, the time per step spent inside DistributedDataParallel's
allreduce (which includes waiting for the slower rank) and its share of the step, and
one allreduce of the model's gradients alone (after a barrier: the communication cost).
Needs mpi4py and mpiexec: ``pip install 'kissgrad[mpi]'``.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUPS = [("plain", 1, 1), ("ddp", 1, 1), ("ddp", 2, 1), ("plain", 1, 2)]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


class TimedGroup:
    """A process group that adds up the seconds spent in its allreduce calls."""

    def __init__(self, group):
        self.group, self.rank, self.size, self.seconds = group, group.rank, group.size, 0.0

    def allreduce(self, array, op="sum"):
        """The group's allreduce, its time added to this rank's total."""
        start = time.perf_counter()
        self.group.allreduce(array, op)
        self.seconds += time.perf_counter() - start

    def broadcast(self, array, src=0):
        """The group's broadcast (not timed: it runs once, at wrap time)."""
        self.group.broadcast(array, src)

    def allgather(self, array):
        """The group's allgather (not timed)."""
        return self.group.allgather(array)


def _data(batch, steps, rank, size):
    import numpy as np

    import nn

    images, labels = nn.datasets.mnist_sample()
    X = ((images.reshape(len(images), -1).astype(np.float32) / 255.0) - 0.13) / 0.31
    order = np.random.default_rng(0).permutation(len(X))
    per_step = batch * size
    picks = [order[(s * per_step) % (len(X) - per_step):][rank:per_step:size] for s in range(steps)]
    return [(X[p], labels[p].astype(np.int64)) for p in picks]


def worker(args):
    """One rank: warm up, time ``steps`` steps, then time the allreduce alone; rank 0 prints JSON."""
    import numpy as np

    import kissgrad.distributed as dist
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor, manual_seed
    from kissgrad.train import build_model

    dist.init()
    rank, size = dist.get_rank(), dist.get_world_size()
    manual_seed(0)
    model = build_model("mlp", dropout=0.0)
    group = TimedGroup(nn.parallel.default_process_group())
    net = nn.parallel.DistributedDataParallel(model, process_group=group) if args.mode == "ddp" else model
    opt = optim.Adam(model.parameters(), lr=1e-3)
    batches = _data(args.batch, args.warmup + args.steps, rank, size)

    def step(xb, yb):
        opt.zero_grad()
        F.cross_entropy(net(Tensor(xb)), Tensor(yb)).backward()
        opt.step()

    for xb, yb in batches[:args.warmup]:
        step(xb, yb)
    dist.barrier()
    group.seconds, start = 0.0, time.perf_counter()
    for xb, yb in batches[args.warmup:]:
        step(xb, yb)
    elapsed = np.array([time.perf_counter() - start, group.seconds])
    dist.all_reduce(elapsed, op="max")  # the slowest rank sets the pace
    alone = _allreduce_alone(dist, nn.parallel.default_process_group(), model, args.mode)
    if rank == 0:
        seconds, reducing = elapsed / args.steps
        print(json.dumps({"samples_per_s": size * args.batch / seconds, "ms_per_step": 1e3 * seconds,
                          "allreduce_ms_per_step": 1e3 * reducing, "allreduce_share": reducing / seconds,
                          "allreduce_alone_ms": alone}), flush=True)


def _allreduce_alone(dist, group, model, mode, reps=30):
    """Median ms of one allreduce of all the gradients (one bucket), each after a barrier."""
    import numpy as np

    if mode != "ddp":
        return None
    flat = np.zeros(sum(p.raw.size for p in model.parameters()) + 6, np.float32)
    times = []
    for _ in range(reps):
        dist.barrier()
        start = time.perf_counter()
        group.allreduce(flat, "sum")
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def mpiexec():
    """The ``mpiexec`` next to this Python (the mpi extra's) or on PATH; SystemExit if there is none."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise SystemExit("no mpiexec: pip install 'kissgrad[mpi]' (mpi4py and MPICH from wheels)")
    return found


def run_setup(mode, ranks, threads, args):
    """Run one ``mode`` job on ``ranks`` ranks with ``threads`` BLAS threads each; what its last
    output line reports (JSON)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **{v: str(threads) for v in THREAD_VARIABLES}}
    command = [mpiexec(), "-n", str(ranks), sys.executable, "-m", "bench.mpi", "--worker", mode,
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--batch", str(args.batch)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(rows, key):
    """Median, min and max of ``key`` over the rows that have it (None where none do)."""
    values = [r[key] for r in rows if r[key] is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def report(results, args):
    """Print throughput and the allreduce share per setup."""
    print(f"bench.mpi: MLP 784-256-128-10, Adam, float32, batch {args.batch} per rank, "
          f"{args.steps} timed steps, {args.reps} rounds; {os.cpu_count()} logical CPUs")
    print(f"  {'set-up':<11}{'samples/s':>22}{'ms/step':>10}{'allreduce ms/step':>20}"
          f"{'share':>8}{'allreduce alone ms':>20}")
    for name, row in results.items():
        s, m, a, share, alone = (row[k] for k in ("samples_per_s", "ms_per_step", "allreduce_ms_per_step",
                                                  "allreduce_share", "allreduce_alone_ms"))
        reduce_text = f"{a['median']:.2f} ({a['min']:.2f}-{a['max']:.2f})" if row["mode"] == "ddp" else "-"
        print(f"  {name:<11}{s['median']:>8.0f} ({s['min']:.0f}-{s['max']:.0f}){m['median']:>10.2f}"
              f"{reduce_text:>20}{share['median'] if row['mode'] == 'ddp' else 0:>8.1%}"
              f"{alone['median'] if alone else 0:>20.3f}")
    base = results.get("ddp 1x1", {}).get("samples_per_s")
    two = results.get("ddp 2x1", {}).get("samples_per_s")
    if base and two:
        print(f"  scaling ddp 2x1 / ddp 1x1: {two['median'] / base['median']:.2f}x (ideal 2.00x)")


def main(argv=None):
    """``python -m bench.mpi``: the driver, or with ``--worker`` one rank of a job."""
    parser = argparse.ArgumentParser(prog="python -m bench.mpi", description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per job")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--batch", type=int, default=64, help="samples per rank and step")
    parser.add_argument("--reps", type=int, default=5, help="rounds over the set-ups")
    parser.add_argument("--json", default=str(ROOT / "bench" / "mpi_results.json"))
    parser.add_argument("--worker", choices=["plain", "ddp"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        args.mode = args.worker
        return worker(args)
    rows = {f"{mode} {ranks}x{threads}": [] for mode, ranks, threads in SETUPS}
    for _ in range(args.reps):
        for mode, ranks, threads in SETUPS:
            rows[f"{mode} {ranks}x{threads}"].append(run_setup(mode, ranks, threads, args))
    results = {name: {"mode": name.split()[0], "runs": runs,
                      **{k: summarize(runs, k) for k in runs[0]}} for name, runs in rows.items()}
    report(results, args)
    Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    print(f"JSON: {args.json}")
    return results


if __name__ == "__main__":
    main()
