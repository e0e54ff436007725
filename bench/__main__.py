"""Run every benchmark: ``python -m bench [--quick] [--json PATH] [--only NAMES]``.

A repetition is what a user's training loop does: a few steps back to back, each turning a
fresh NumPy batch into a tensor and reading ``loss.item()``, garbage collection on and
charged; the tables report time per step. Each engine of a workload runs in its own worker
process (``bench.worker``), so it pays for collecting its own garbage and nobody else's;
the driver starts the workers together, warms them up, then asks them in turn,
A B C A B C ..., so drifts of the machine spread over all engines alike, pausing before
each repetition until the threads of the engine that just ran have gone to sleep.
scalar_mlp is also timed with ``gc.collect()`` before each repetition and with the
collector off, both outside the timed region, to show how much of it is garbage collection.
A sweep (``rnn_seq``, ``mlp_sweep``) reports one row per point. It prints medians,
min/max, the ratios with the spread of the per-round ratios, the targets, the load average
of the machine, peak memory of mlp_epoch and Numba's compile time (both in fresh
processes), and writes everything to JSON (``bench/results.json`` unless ``--json`` says
otherwise). ``--quick`` is a smoke run: small sizes, one thread per engine, no pause, one
worker process per engine reused across workloads, and the peak-memory and compile-time
processes run beside the workloads instead of after them.

Every engine uses 2 threads (``KISSGRAD_BENCH_THREADS``), set before NumPy, Numba or
PyTorch load. On a 2-core machine that other work shares, a 2-thread engine keeps waiting
for its descheduled second thread, and unevenly so (PyTorch's OpenMP, parallel in every
op, far more than OpenBLAS, parallel in GEMMs only): medians then say more about the load
than the engines; look at the ratio of the minima, or run with KISSGRAD_BENCH_THREADS=1.
PyTorch and micrograd are optional: ``make bench`` installs them.
"""
import argparse
import concurrent.futures
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import common  # sets the thread limits; nothing above loads NumPy
from .report import GC_VARIANTS, print_report
from .worker import WORKLOADS, load, points

ROOT = Path(__file__).resolve().parents[1]
# (warm-up, timed) repetitions per engine; on a shared 2-core machine an epoch sometimes runs
# 30% slower for a while, for every engine alike, so the longer workloads get more
# repetitions to steady their medians
REPS = {"mlp_epoch": (2, 25), "cnn_step": (2, 20), "small_ops": (5, 40), "scalar_mlp": (1, 8),
        "lstm_step": (2, 15), "rnn_charlm": (2, 15), "rnn_seq": (1, 10), "slice_seq": (1, 8),
        "cnn_large": (1, 12), "mlp_bn": (2, 15), "hvp": (2, 15), "mlp_sweep": (1, 10)}
QUICK_REPS = (1, 2)
# idle seconds before each repetition: BLAS and OpenMP threads spin for a while after their
# last job, and on 2 cores the spinning threads of the engine that just ran slowed the next
# one by up to 2x (mlp_epoch's NumPy floor and PyTorch: 125 ms without a pause, 60 with);
# a repetition is several steps, so only its first step starts with sleeping threads
PAUSE, QUICK_PAUSE = 0.15, 0.0
# the smoke run gives every engine one thread: on a busy 2-core machine, 2-thread engines
# spent most of a quick run spinning or waiting for descheduled threads (37 s against 16)
QUICK_THREADS = "1"
ISOLATION = ("each engine in its own worker process, so each pays only for collecting its own "
             "garbage, as in a training loop; a repetition is a few training steps back to "
             "back, each on a fresh tensor from NumPy with loss.item(), garbage collection "
             "charged; repetitions interleaved across engines after warm-up, with a 0.15 s "
             "pause before each so the previous engine's BLAS/OpenMP threads stop spinning "
             "(scalar_mlp is also timed with gc.collect() before every repetition and with "
             "the collector off, outside the timed region)")
QUICK_ISOLATION = ("--quick: one thread per engine, one worker process per engine reused "
                   "across workloads, no pause, memory and compile time measured beside the "
                   "workloads; otherwise as the full run: ")
# workloads also timed with gc.collect() first and with the collector off: timed repetitions
GC_VARIANT_REPS = {"scalar_mlp": 3}
# (name, workload, numerator engine, denominator engine, comparison, bound)
TARGETS = [
    ("mlp_epoch kissgrad/pytorch", "mlp_epoch", "kissgrad", "pytorch", "<=", 1.0),
    ("cnn_step kissgrad/pytorch", "cnn_step", "kissgrad", "pytorch", "<=", 1.0),
    ("small_ops kissgrad/pytorch per op", "small_ops", "kissgrad", "pytorch", "<=", 1.0),
    ("scalar_mlp micrograd/kissgrad (speed-up)", "scalar_mlp", "micrograd", "kissgrad", ">=", 6.0),
    ("cnn_step kissgrad-numpy/kissgrad (Numba speed-up)", "cnn_step", "kissgrad-numpy",
     "kissgrad", ">=", 2.0),
    ("lstm_step kissgrad/pytorch", "lstm_step", "kissgrad", "pytorch", "<=", 1.5),
    ("rnn_charlm kissgrad/pytorch", "rnn_charlm", "kissgrad", "pytorch", "<=", 1.2),
    ("cnn_large kissgrad/pytorch", "cnn_large", "kissgrad", "pytorch", "<=", 1.5),
    ("mlp_bn kissgrad/pytorch", "mlp_bn", "kissgrad", "pytorch", "<=", 1.2),
    ("hvp kissgrad/pytorch", "hvp", "kissgrad", "pytorch", "<=", 1.2),
]


class Worker:
    """A ``bench.worker`` process for one engine, set up for one workload (and point).

    Starting it does not wait: ``ready()`` reads its first answer, so the driver can start
    all engines of a workload at once and pay for their imports in parallel. ``tree``: the
    checkout whose bench and kissgrad it runs (``bench.revisions`` passes another revision's).
    """

    def __init__(self, workload, engine, quick, extra_env=None, point=None, tree=ROOT):
        env = dict(os.environ, **(extra_env or {}))
        threads = QUICK_THREADS if quick else common.THREADS
        env.update({name: threads for name in common.THREAD_VARIABLES},
                   KISSGRAD_BENCH_THREADS=threads)
        command = [sys.executable, "-m", "bench.worker", workload, engine]
        command += ["--point", point] * (point is not None) + ["--quick"] * quick
        self.process = subprocess.Popen(command, cwd=tree, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.hello = None

    def ready(self):
        """The worker's answer to its setup: ``{"ready": s, ...}`` or ``{"skip": reason}``."""
        if self.hello is None:
            self.hello = self._read()
        return self.hello

    def setup(self, workload, point=None):
        """Set another workload up in this process (the quick run's reuse); its answer."""
        self.hello = self.ask(f"setup {workload}" + (f" {point}" if point is not None else ""))
        return self.hello

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.process.args[3:]} died (exit {self.process.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"worker {self.process.args[3:]}: {answer['error']}")
        return answer

    def ask(self, command):
        """Send ``command`` and return the worker's answer."""
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self):
        """Tell the worker to quit and wait for it."""
        if self.process.poll() is None:
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        self.process.wait()


def summarize(seconds, scale):
    """median, min, max of ``seconds`` times ``scale`` (to the workload's unit)."""
    values = [s * scale for s in seconds]
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "reps": len(values), "times": values}


def per_repetition(module, quick, point=None):
    """How many units (ops, steps) one repetition holds: the driver divides by it."""
    if hasattr(module, "ops_count"):
        return module.ops_count(quick)
    if hasattr(module, "steps_count"):
        return module.steps_count(quick) if point is None else module.steps_count(quick, point)
    return 1


def unit_scale(module, quick, point=None):
    """Factor from seconds per repetition to the workload's unit (ms or us per op/step)."""
    scale = 1e6 if module.UNIT.startswith("us") else 1e3
    return scale / per_repetition(module, quick, point)


def interleave(workers, warm, timed, command, pause):
    """Ask the workers in turn, A B C, A B C, ...; returns ({engine: seconds}, {engine: loss})."""
    times, losses = {engine: [] for engine in workers}, {}
    for round_ in range(warm + timed):
        for engine, worker in workers.items():
            time.sleep(pause)
            answer = worker.ask(command)
            losses[engine] = answer["loss"]
            if round_ >= warm:
                times[engine].append(answer["seconds"])
    return times, losses


def start_workers(name, module, quick, point, pool):
    """({engine: worker}, {engine: skip reason}) for one workload (point).

    Without a pool every engine gets a fresh process, all started at once; with one (the
    quick run) each engine's process is reused from workload to workload.
    """
    started = {}
    for engine in module.ENGINES:
        env = getattr(module, "ENGINE_ENV", {}).get(engine)
        key = (engine, tuple(sorted((env or {}).items())))
        if pool is None:
            started[engine] = Worker(name, engine, quick, env, point)
        elif key in pool:
            pool[key].setup(name, point)
            started[engine] = pool[key]
        else:
            started[engine] = pool[key] = Worker(name, engine, quick, env, point)
    workers, skipped = {}, {}
    try:
        for engine, worker in started.items():
            hello = worker.ready()
            if "skip" in hello:
                skipped[engine] = hello["skip"]
                if pool is None:
                    worker.close()
            else:
                workers[engine] = worker
    except RuntimeError:
        if pool is None:
            for worker in started.values():
                worker.close()
        raise
    return workers, skipped


def round_ratios(times, top, bottom):
    """min, median and max of the per-round ratios top/bottom (rounds run side by side)."""
    ratios = [a / b for a, b in zip(times[top], times[bottom])]
    return {"min": min(ratios), "median": statistics.median(ratios), "max": max(ratios)}


def run_workload(name, quick, reps=None, point=None, pool=None):
    """Time every engine of one workload (at one point of a sweep); returns its JSON section."""
    module = load(name)
    warm, timed = QUICK_REPS if quick else REPS[name]
    timed = reps or timed
    pause = QUICK_PAUSE if quick else PAUSE
    workers, skipped = {}, {}
    try:
        workers, skipped = start_workers(name, module, quick, point, pool)
        times, losses = interleave(workers, warm, timed, "run", pause)
        variants = {}
        if name in GC_VARIANT_REPS:
            for command in GC_VARIANTS:
                variants[command] = interleave(workers, 0, QUICK_REPS[1] if quick
                                               else GC_VARIANT_REPS[name], command, pause)[0]
    finally:
        if pool is None:
            for worker in workers.values():
                worker.close()
    scale = unit_scale(module, quick, point)
    engines = {e: dict(summarize(t, scale), loss=losses[e]) for e, t in times.items()}
    engines.update({e: {"skipped": reason} for e, reason in skipped.items()})
    section = {"unit": module.UNIT, "warmup": warm, "description": module.__doc__.strip(),
               "steps_per_repetition": per_repetition(module, quick, point),
               "engines": engines}
    if point is not None:
        section.update(sweep=name, point=point)
    for command, variant in variants.items():
        section[command] = {e: summarize(t, scale) for e, t in variant.items()}
    kissgrad = engines.get("kissgrad", {}).get("median")
    others = [e for e in engines if e != "kissgrad" and "median" in engines[e] and kissgrad]
    section["ratios"] = {f"kissgrad/{e}": kissgrad / engines[e]["median"] for e in others}
    # the fastest repetitions are the ones least disturbed by other work on the machine
    section["min_ratios"] = {f"kissgrad/{e}": engines["kissgrad"]["min"] / engines[e]["min"]
                             for e in others}
    section["round_ratios"] = {f"kissgrad/{e}": round_ratios(times, "kissgrad", e)
                               for e in others}
    return section


def sections(name, quick, reps=None, pool=None):
    """{section name: section}: one for a workload, one per point for a sweep."""
    module = load(name)
    result = {}
    for point in points(module, quick):
        label = name if point is None else f"{name}/{point}"
        result[label] = run_workload(name, quick, reps, point, pool)
    return result


def peak_memory(quick):
    """Peak RSS of one mlp_epoch (after a warm-up epoch), each engine in a fresh process
    (started together: a process's peak is its own, whatever runs beside it)."""
    workers = {engine: Worker("mlp_epoch", engine, quick) for engine in ("kissgrad", "pytorch",
                                                                         "numpy")}
    result = {}
    try:
        for engine, worker in workers.items():
            hello = worker.ready()
            if "skip" in hello:
                result[engine] = {"skipped": hello["skip"]}
                continue
            worker.ask("run")
            worker.ask("run")
            result[engine] = {"max_rss_mb": worker.ask("rss")["max_rss_mb"],
                              "after_setup_mb": hello["rss_before_mb"]}
    finally:
        for worker in workers.values():
            worker.close()
    return result


def compile_times():
    """Numba's one-off cost: cold (empty NUMBA_CACHE_DIR) then cached, each a fresh process."""
    result = {}
    with tempfile.TemporaryDirectory(prefix="kissgrad-numba-cache-") as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "cached"):
            done = subprocess.run([sys.executable, "-m", "bench.compile_time"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, check=True)
            result[label] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def check_targets(workloads):
    """Each target's ratio of medians (None when an engine was skipped) and whether it is
    met, with the ratio of the minima beside it (what a machine to itself would show)."""
    checks = []
    for label, workload, top, bottom, comparison, bound in TARGETS:
        engines = workloads.get(workload, {}).get("engines", {})
        if "median" in engines.get(top, {}) and "median" in engines.get(bottom, {}):
            ratio = engines[top]["median"] / engines[bottom]["median"]
            min_ratio = engines[top]["min"] / engines[bottom]["min"]
            met = ratio <= bound if comparison == "<=" else ratio >= bound
        else:
            ratio = min_ratio = met = None
        checks.append({"target": label, "ratio": ratio, "min_ratio": min_ratio,
                       "bound": f"{comparison} {bound}", "met": met})
    return checks


def growth(workloads):
    """For sweeps with ``GROWTH = (first, last, linear)``: each engine's time at the last point
    over the first, next to what linear growth gives (rnn_seq: seq 200 over seq 50, 4)."""
    result = {}
    for name in WORKLOADS:
        module = load(name)
        if not hasattr(module, "GROWTH"):
            continue
        first, last, linear = module.GROWTH
        a, b = workloads.get(f"{name}/{first}"), workloads.get(f"{name}/{last}")
        if a and b:
            result[name] = {"from": first, "to": last, "linear": linear, "engines": {
                e: b["engines"][e]["median"] / row["median"] for e, row in a["engines"].items()
                if "median" in row and "median" in b["engines"].get(e, {})}}
    return result


def load_average():
    """The machine's 1-minute load average (None where the OS does not say)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def meta(quick):
    """What the run ran on: threads, dtype, versions, machine, load."""
    versions = {}
    for name in ("numpy", "numba", "torch", "micrograd"):
        try:  # from the metadata: importing torch here would inflate every worker's peak RSS
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    threads = int(QUICK_THREADS) if quick else common.thread_count()
    return {"threads": threads, "dtype": common.DTYPE, "quick": quick,
            "isolation": (QUICK_ISOLATION if quick else "") + ISOLATION,
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
            "versions": versions, "time": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load_before": load_average()}


def main(argv=None):
    """Run the workloads, print the report, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: fewer repetitions and smaller workloads")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results.json"),
                        help="where to write the results (default: bench/results.json)")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads (default: all: {','.join(WORKLOADS)}); "
                             "a sweep runs all its points")
    parser.add_argument("--reps", type=int, help="timed repetitions per engine")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the peak-memory and compile-time measurements")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    for name in names:
        load(name)  # validates the name
    results = {"meta": meta(args.quick), "workloads": {}}
    pool = {} if args.quick else None
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as beside:
        # the smoke run measures the extras beside the workloads (its numbers mean nothing);
        # the full run after them, on a machine it has to itself
        extras = {}
        if args.quick and not args.no_extras:
            extras = {"memory": beside.submit(peak_memory, args.quick),
                      "numba_compile": beside.submit(compile_times)}
        try:
            for name in names:
                results["workloads"].update(sections(name, args.quick, args.reps, pool))
        finally:
            for worker in (pool or {}).values():
                worker.close()
        results["meta"]["load_after"] = load_average()
        if extras:
            results.update({key: future.result() for key, future in extras.items()})
        elif not args.no_extras:
            results.update(memory=peak_memory(args.quick), numba_compile=compile_times())
    results["targets"] = check_targets(results["workloads"])
    results["growth"] = growth(results["workloads"])
    print_report(results)
    Path(args.json).write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    print(f"\nJSON: {args.json}")
    return results


if __name__ == "__main__":
    main()
