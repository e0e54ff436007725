"""Numba compile time, measured apart from the step times.

    NUMBA_CACHE_DIR=/tmp/empty python -m bench.compile_time

Prints one JSON line: the import time of kissgrad, and for cnn_step and (a 512-sample)
mlp_epoch the first repetition's time, the median of the next three, and their
difference, which is the one-off cost of compiling (cold cache) or of loading the
compiled kernels (warm cache). The driver runs it twice with one fresh cache folder.
"""
import json
import statistics
import time

from . import common  # noqa: F401  (sets the thread limits before NumPy loads)


def first_and_steady(run, repeats=3):
    """(first call seconds, median of the next ``repeats`` calls)."""
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    steady = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        steady.append(time.perf_counter() - start)
    return first, statistics.median(steady)


def main():
    """Print as JSON the import time and, for cnn_step and mlp_epoch, the first step's time over
    a steady one (Numba compiling or loading its cache)."""
    start = time.perf_counter()
    import autograd.kernels as kernels
    import nn  # noqa: F401
    result = {"import_s": time.perf_counter() - start, "backend": kernels.BACKEND}
    from . import cnn_step, mlp_epoch

    for name, make in (("cnn_step", cnn_step.kissgrad), ("mlp_epoch", mlp_epoch.kissgrad)):
        first, steady = first_and_steady(make(quick=True))
        result[name] = {"first_s": first, "steady_s": steady, "overhead_s": first - steady}
    result["total_overhead_s"] = sum(result[n]["overhead_s"] for n in ("cnn_step", "mlp_epoch"))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
