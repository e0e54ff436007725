"""One engine of one workload in a process of its own, driven over stdin/stdout.

    python -m bench.worker WORKLOAD ENGINE [--quick]

Prints one JSON line ``{"ready": seconds}`` (or ``{"skip": reason}`` when the engine
cannot be imported), then answers each command line with one JSON line:
``run`` -> ``{"seconds": s, "loss": x}``; ``run_collected`` -> the same, with
``gc.collect()`` first, outside the timed region; ``rss`` -> ``{"max_rss_mb": m}``;
``quit`` -> exits.

Separate processes keep engines from slowing each other down: micrograd leaves
cyclic garbage whose collection would otherwise be charged to whoever runs next.
With ``run`` each engine pays for collecting its own garbage, as in a training loop.
"""
import gc
import importlib
import json
import resource
import sys
import time

from . import common  # noqa: F401  (sets the thread limits before any workload loads NumPy)

WORKLOADS = ("mlp_epoch", "cnn_step", "small_ops", "scalar_mlp")


def load(workload):
    """The workload's module (``bench.mlp_epoch`` ...)."""
    if workload not in WORKLOADS:
        raise SystemExit(f"unknown workload {workload!r}; choose from {', '.join(WORKLOADS)}")
    return importlib.import_module(f"bench.{workload}")


def max_rss_mb():
    """Peak resident memory of this process so far, in MB.

    Linux keeps ``ru_maxrss`` across fork and exec, so a worker would report its parent's
    peak if that were higher; ``VmHWM`` in /proc/self/status is this program's own. Where
    there is no /proc, ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (KiB; bytes on macOS).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def timed(run, collect_first=False):
    """Run one repetition (after a full collection, if asked); returns (seconds, loss)."""
    if collect_first:
        gc.collect()
    start = time.perf_counter()
    loss = run()
    return time.perf_counter() - start, loss


def _say(**message):
    print(json.dumps(message), flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    workload, engine, quick = argv[0], argv[1], "--quick" in argv
    module = load(workload)
    start = time.perf_counter()
    try:
        run = module.ENGINES[engine](quick)
    except ImportError as error:
        _say(skip=f"{error.name or error} is not installed")
        return
    _say(ready=time.perf_counter() - start, rss_before_mb=max_rss_mb())
    for line in sys.stdin:
        command = line.strip()
        if command in ("run", "run_collected"):
            seconds, loss = timed(run, collect_first=command == "run_collected")
            _say(seconds=seconds, loss=float(loss))
        elif command == "rss":
            _say(max_rss_mb=max_rss_mb())
        elif command == "quit":
            return


if __name__ == "__main__":
    main()
