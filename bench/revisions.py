"""Did a change make a workload slower? ``python -m bench.revisions REV [--new REV2] [--only
NAMES] [--rounds N]``: kissgrad at REV against kissgrad in this tree (or at REV2), on the
``python -m bench`` workloads themselves.

REV (and REV2) are checked out into temporary git worktrees. For each workload (each point
of a sweep) one ``bench.worker`` process per tree runs the kissgrad engine with that tree's
code, and their repetitions alternate, old, new, old, new..., after a warm-up: a drift of a
shared machine hits both alike, so the per-round ratio new/old is steadier than two separate
``make bench`` runs (whose kissgrad/PyTorch ratios moved by 2x on a loaded machine). Prints a
Markdown table: medians, the median of the per-round ratios and their range. A workload the
old tree does not have is left out.
"""
import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from . import common  # noqa: F401  (sets the thread limits before anything loads NumPy)
from .__main__ import PAUSE, ROOT, Worker, unit_scale
from .worker import WORKLOADS, load, points

WARMUP = 2


def _worktree(rev, folder):
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(folder), rev], cwd=ROOT,
                   check=True)
    return folder


def _times(workers, point, rounds):
    """{tree: [seconds per repetition]} with the trees' repetitions alternating."""
    times = {tree: [] for tree in workers}
    for round_number in range(WARMUP + rounds):
        for tree, worker in workers.items():
            time.sleep(PAUSE)  # as the bench does: the other tree's BLAS threads stop spinning
            seconds = worker.ask("run")["seconds"]
            if round_number >= WARMUP:
                times[tree].append(seconds)
    return times


def compare(name, point, trees, rounds):
    """(old median, new median, per-round new/old ratios) of one workload point, in its unit."""
    workers = {tree: Worker(name, "kissgrad", False, {"PYTHONPATH": str(path)}, point, path)
               for tree, path in trees.items()}
    try:
        for worker in workers.values():
            if "skip" in worker.ready():
                raise SystemExit(f"{name}: {worker.ready()['skip']}")
        times = _times(workers, point, rounds)
    finally:
        for worker in workers.values():
            worker.close()
    scale = unit_scale(load(name), False, point)
    ratios = sorted(n / o for n, o in zip(times["new"], times["old"]))
    return statistics.median(times["old"]) * scale, statistics.median(times["new"]) * scale, ratios


def main(argv=None):
    """Check the revisions out, time every workload point, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the revision to compare with (e.g. HEAD~3)")
    parser.add_argument("--new", default=None, help="a revision to time instead of this tree")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated workloads")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"old": _worktree(args.rev, Path(tmp) / "old"),
                 "new": _worktree(args.new, Path(tmp) / "new") if args.new else ROOT}
        try:
            _report(args, trees)
        finally:
            for tree in ("old", "new"):
                if trees[tree] != ROOT:
                    subprocess.run(["git", "worktree", "remove", "--force", str(trees[tree])],
                                   cwd=ROOT, check=False)


def _report(args, trees):
    label = args.new or "tree"
    print(f"kissgrad at {args.rev} (old) against {label} (new), {args.rounds} alternating rounds "
          f"after {WARMUP} warm-up, {common.THREADS} threads:\n")
    print("| workload | old | new | new / old (median of rounds) | per-round range |\n"
          "|---|---|---|---|---|", flush=True)
    for name in args.only.split(","):
        if not (trees["old"] / "bench" / f"{name}.py").exists():
            continue
        for point in points(load(name), False):
            old, new, ratios = compare(name, point, trees, args.rounds)
            row = (name if point is None else f"{name}/{point}") + f" ({load(name).UNIT})"
            print(f"| {row} | {old:.3g} | {new:.3g} | {statistics.median(ratios):.2f} | "
                  f"{ratios[0]:.2f}-{ratios[-1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
