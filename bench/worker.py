"""One engine of one workload in a process of its own, driven over stdin/stdout.

    python -m bench.worker WORKLOAD ENGINE [--point POINT] [--quick]

Prints one JSON line ``{"ready": seconds, "rss_before_mb": m}`` (or ``{"skip": reason}``
when the engine cannot be imported), then answers each command line with one JSON line:
``run`` -> ``{"seconds": s, "loss": x}``; ``run_collected`` -> the same, with
``gc.collect()`` first, outside the timed region; ``run_gc_off`` -> the same with the
garbage collector off while timing (it collects afterwards, untimed); ``setup WORKLOAD
[POINT]`` -> sets another workload up in this process (the ``--quick`` smoke run reuses
one process per engine) and answers as at start; ``rss`` -> ``{"max_rss_mb": m}``;
``quit`` -> exits.

Separate processes keep engines from slowing each other down: micrograd leaves
cyclic garbage whose collection would otherwise be charged to whoever runs next.
With ``run`` each engine pays for collecting its own garbage, as in a training loop.
A sweep workload (one with ``SWEEP``) takes the point as a second argument of its
engines' setup functions.
"""
import gc
import importlib
import json
import resource
import sys
import time

from . import common  # noqa: F401  (sets the thread limits before any workload loads NumPy)

WORKLOADS = ("mlp_epoch", "cnn_step", "small_ops", "scalar_mlp", "lstm_step", "rnn_charlm",
             "rnn_seq", "slice_seq", "cnn_large", "mlp_bn", "hvp", "mlp_sweep")


def load(workload):
    """The workload's module (``bench.mlp_epoch`` ...)."""
    if workload not in WORKLOADS:
        raise SystemExit(f"unknown workload {workload!r}; choose from {', '.join(WORKLOADS)}")
    return importlib.import_module(f"bench.{workload}")


def points(module, quick):
    """The points of a sweep workload (its ``SWEEP``; ``QUICK_SWEEP`` in a quick run);
    ``[None]`` for any other workload."""
    if not hasattr(module, "SWEEP"):
        return [None]
    return list(getattr(module, "QUICK_SWEEP", module.SWEEP) if quick else module.SWEEP)


def setup(workload, engine, point, quick):
    """The engine's ``run`` closure for ``workload`` (at ``point``, for a sweep)."""
    module = load(workload)
    if engine not in module.ENGINES:
        raise SystemExit(f"unknown engine {engine!r} for {workload}; choose from "
                         f"{', '.join(module.ENGINES)}")
    make = module.ENGINES[engine]
    return make(quick) if point is None else make(quick, point)


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


def timed(run, gc_mode="on"):
    """Run one repetition; returns (seconds, loss).

    ``gc_mode``: "on" charges garbage collection as a training loop does; "collected"
    runs ``gc.collect()`` first, untimed; "off" disables the collector while timing and
    collects afterwards, untimed (what the step costs without any collection).
    """
    if gc_mode == "collected":
        gc.collect()
    elif gc_mode == "off":
        gc.disable()
    try:
        start = time.perf_counter()
        loss = run()
        seconds = time.perf_counter() - start
    finally:
        if gc_mode == "off":
            gc.enable()
            gc.collect()
    return seconds, loss


def _say(**message):
    print(json.dumps(message), flush=True)


def _set_up(workload, engine, point, quick):
    """Set the workload up and say so (or why it is skipped); returns the run closure."""
    start = time.perf_counter()
    try:
        run = setup(workload, engine, point, quick)
    except ImportError as error:
        _say(skip=f"{error.name or error} is not installed")
        return None
    _say(ready=time.perf_counter() - start, rss_before_mb=max_rss_mb())
    return run


GC_MODES = {"run": "on", "run_collected": "collected", "run_gc_off": "off"}


def main(argv=None):
    """Run one engine of one workload, answering the driver's commands on stdin (``run``,
    ``setup``, ``rss``, ``quit``)."""
    argv = sys.argv[1:] if argv is None else argv
    workload, engine, quick = argv[0], argv[1], "--quick" in argv
    point = argv[argv.index("--point") + 1] if "--point" in argv else None
    run = _set_up(workload, engine, point, quick)
    for line in sys.stdin:
        if not line.strip():
            continue
        command, *args = line.split()
        if command in GC_MODES:
            if run is None:
                _say(error=f"{command}: no workload is set up (it was skipped)")
                continue
            seconds, loss = timed(run, GC_MODES[command])
            _say(seconds=seconds, loss=float(loss))
        elif command == "setup":
            run = None  # drop the previous workload's model before building the next
            run = _set_up(args[0], engine, args[1] if len(args) > 1 else None, quick)
        elif command == "rss":
            _say(max_rss_mb=max_rss_mb())
        elif command == "quit":
            return


if __name__ == "__main__":
    main()
