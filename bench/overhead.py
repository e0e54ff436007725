"""What a change costs: the same micro workloads timed on another revision and on this tree.

``python -m bench.overhead REV [--new REV2] [--rounds N]`` checks REV (and REV2, else the
working tree is used) out into a temporary git worktree and
times, in two worker processes (one per tree, each importing its own ``autograd``), a scalar
``Value`` MLP step, a small Tensor MLP step and a chain of small Tensor ops, interleaved
round by round (REV, tree, REV, tree, ...) so drifts of the machine hit both alike. It prints
each tree's median and the spread of the per-round ratios. Used to check that anomaly mode
and the version counters cost nothing measurable when no in-place change is pending.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import json, sys, time
import numpy as np
from autograd import Tensor, Value

rng = np.random.default_rng(0)

def scalar_mlp():
    ws = [[Value(float(v)) for v in row] for row in rng.standard_normal((16, 8))]
    xs = [Value(float(v), requires_grad=False) for v in rng.standard_normal(8)]
    def step():
        out = sum(sum(w * x for w, x in zip(row, xs)).tanh() for row in ws)
        out.backward()
    return step

def tensor_mlp():
    w1 = Tensor(rng.standard_normal((32, 64)), requires_grad=True)
    w2 = Tensor(rng.standard_normal((64, 10)), requires_grad=True)
    x = Tensor(rng.standard_normal((16, 32)))
    def step():
        ((x @ w1).relu() @ w2).tanh().sum().backward()
        for w in (w1, w2):
            w.data -= 0.001 * w.grad
            w.grad = None
    return step

def small_ops():
    a = Tensor(rng.standard_normal(8), requires_grad=True)
    def step():
        y = a
        for _ in range(50):
            y = (y * 0.5 + 1.0).tanh()
        y.sum().backward()
    return step

WORK = {"scalar_mlp": scalar_mlp(), "tensor_mlp": tensor_mlp(), "small_ops": small_ops()}
for step in WORK.values():
    for _ in range(20):
        step()
for line in sys.stdin:
    name, reps = line.split()
    start = time.perf_counter()
    for _ in range(int(reps)):
        WORK[name]()
    print(json.dumps((time.perf_counter() - start) / int(reps)), flush=True)
"""
REPS = {"scalar_mlp": 20, "tensor_mlp": 200, "small_ops": 100}


def _worker(tree):
    return subprocess.Popen([sys.executable, "-c", WORKER], cwd=tree, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={"PYTHONPATH": str(tree), "OMP_NUM_THREADS": "1",
                                 "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})


def _time(worker, name):
    worker.stdin.write(f"{name} {REPS[name]}\n")
    worker.stdin.flush()
    return json.loads(worker.stdout.readline())


def main(argv=None):
    """Time the micro workloads at a revision against the tree (or another revision), interleaved."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the revision to compare with (e.g. HEAD~3)")
    parser.add_argument("--new", default=None, help="the revision to time instead of the tree")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": args.rev} if args.new is None else {"old": args.rev, "new": args.new}
        for key, rev in trees.items():
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(Path(tmp) / key), rev],
                           cwd=ROOT, check=True)
        try:
            workers = {"old": _worker(Path(tmp) / "old"),
                       "new": _worker(Path(tmp) / "new" if args.new else ROOT)}
            times = {(tree, name): [] for tree in workers for name in REPS}
            for _ in range(args.rounds):
                for name in REPS:
                    for tree, worker in workers.items():
                        times[tree, name].append(_time(worker, name))
            for worker in workers.values():
                worker.stdin.close()
                worker.wait()
        finally:
            for key in trees:
                subprocess.run(["git", "worktree", "remove", "--force", str(Path(tmp) / key)], cwd=ROOT)
    print(f"{args.rev} against {args.new or 'the working tree'}, {args.rounds} interleaved rounds:")
    for name in REPS:
        old, new = times["old", name], times["new", name]
        ratios = sorted(n / o for n, o in zip(new, old))
        label = args.new or "tree"
        print(f"  {name:11s} {args.rev}: {statistics.median(old) * 1e3:7.3f} ms   {label}: "
              f"{statistics.median(new) * 1e3:7.3f} ms   {label}/{args.rev} median "
              f"{statistics.median(ratios):.3f} (per-round {ratios[0]:.3f}-{ratios[-1]:.3f})")


if __name__ == "__main__":
    main()
