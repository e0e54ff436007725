"""Run every benchmark: ``python -m bench [--quick] [--json PATH] [--only NAMES]``.

Each engine of a workload runs in its own worker process (``bench.worker``), so it
pays for collecting its own garbage and nobody else's; the driver warms every worker
up, then asks them in turn, A B C A B C ..., so drifts of the machine spread over all
engines alike, pausing before each repetition until the threads of the engine that
just ran have gone to sleep. scalar_mlp is timed a second time with ``gc.collect()``
before each repetition, outside the timed region. It prints medians, min/max and the ratios, the
targets, peak memory of mlp_epoch and Numba's compile time (both in fresh processes),
and writes everything to JSON (``bench/results.json`` unless ``--json`` says otherwise).

Every engine uses 2 threads (``KISSGRAD_BENCH_THREADS``), set before NumPy, Numba or
PyTorch load. PyTorch and micrograd are optional: ``make bench`` installs them.
"""
import argparse
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
from .worker import WORKLOADS, load

ROOT = Path(__file__).resolve().parents[1]
# (warm-up, timed) repetitions per engine; on a shared 2-core machine an epoch sometimes runs
# 30% slower for a while, for every engine alike, so the longer workloads get more
# repetitions to steady their medians
REPS = {"mlp_epoch": (2, 25), "cnn_step": (5, 40), "small_ops": (5, 40), "scalar_mlp": (2, 15)}
QUICK_REPS = (1, 2)
# idle seconds before each repetition: BLAS and OpenMP threads spin for a while after their
# last job, and on 2 cores the spinning threads of the engine that just ran slowed the next
# one by up to 2x (mlp_epoch's NumPy floor and PyTorch: 125 ms without a pause, 60 with)
PAUSE = 0.15
ISOLATION = ("each engine in its own worker process, so each pays only for collecting its own "
             "garbage, as in a training loop; repetitions interleaved across engines after "
             "warm-up, with a 0.15 s pause before each so the previous engine's BLAS/OpenMP "
             "threads stop spinning (scalar_mlp is also timed with gc.collect() before every "
             "repetition, outside the timed region)")
# workloads also timed with gc.collect() before each repetition: (timed repetitions)
COLLECTED_REPS = {"scalar_mlp": 5}
INSTALL_HINTS = {
    "pytorch": "pip install torch==2.13.0 (pinned: on these machines it is the CPU build; "
               "an unpinned torch pulls a multi-GB GPU build)",
    "micrograd": "pip install micrograd",
}
# (name, workload, numerator engine, denominator engine, comparison, bound)
TARGETS = [
    ("mlp_epoch kissgrad/pytorch", "mlp_epoch", "kissgrad", "pytorch", "<=", 1.0),
    ("cnn_step kissgrad/pytorch", "cnn_step", "kissgrad", "pytorch", "<=", 1.5),
    ("small_ops kissgrad/pytorch per op", "small_ops", "kissgrad", "pytorch", "<=", 1.0),
    ("scalar_mlp micrograd/kissgrad (speed-up)", "scalar_mlp", "micrograd", "kissgrad", ">=", 5.0),
    ("cnn_step kissgrad-numpy/kissgrad (Numba speed-up)", "cnn_step", "kissgrad-numpy",
     "kissgrad", ">=", 2.0),
]


class Worker:
    """A ``bench.worker`` process for one engine of one workload."""

    def __init__(self, workload, engine, quick, extra_env=None):
        env = dict(os.environ, **(extra_env or {}))
        env.update({name: common.THREADS for name in common.THREAD_VARIABLES})
        command = [sys.executable, "-m", "bench.worker", workload, engine] + (["--quick"] * quick)
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.hello = self._read()

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.process.args[3:5]} died (exit {self.process.wait()})")
        return json.loads(line)

    def ask(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
        self.process.wait()


def summarize(seconds, scale):
    """median, min, max of ``seconds`` times ``scale`` (to the workload's unit)."""
    values = [s * scale for s in seconds]
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "reps": len(values), "times": values}


def unit_scale(module, quick):
    """Factor from seconds per repetition to the workload's unit (ms, or us per op)."""
    if module.UNIT.startswith("us per op"):
        return 1e6 / module.ops_count(quick)
    return 1e3


def interleave(workers, warm, timed, command):
    """Ask the workers in turn, A B C, A B C, ...; returns ({engine: seconds}, {engine: loss})."""
    times, losses = {engine: [] for engine in workers}, {}
    for round_ in range(warm + timed):
        for engine, worker in workers.items():
            time.sleep(PAUSE)
            answer = worker.ask(command)
            losses[engine] = answer["loss"]
            if round_ >= warm:
                times[engine].append(answer["seconds"])
    return times, losses


def run_workload(name, quick, reps=None):
    """Time every engine of one workload; returns its JSON section."""
    module = load(name)
    warm, timed = QUICK_REPS if quick else REPS[name]
    timed = reps or timed
    workers, skipped = {}, {}
    try:
        for engine in module.ENGINES:
            worker = Worker(name, engine, quick, getattr(module, "ENGINE_ENV", {}).get(engine))
            if "skip" in worker.hello:
                skipped[engine] = worker.hello["skip"]
                worker.close()
            else:
                workers[engine] = worker
        times, losses = interleave(workers, warm, timed, "run")
        collected = None
        if name in COLLECTED_REPS:
            collected = interleave(workers, 0, QUICK_REPS[1] if quick else COLLECTED_REPS[name],
                                   "run_collected")[0]
    finally:
        for worker in workers.values():
            worker.close()
    scale = unit_scale(module, quick)
    engines = {e: dict(summarize(t, scale), loss=losses[e]) for e, t in times.items()}
    engines.update({e: {"skipped": reason} for e, reason in skipped.items()})
    section = {"unit": module.UNIT, "warmup": warm, "description": module.__doc__.strip(),
               "engines": engines}
    if collected:
        section["gc_collected_first"] = {e: summarize(t, scale) for e, t in collected.items()}
    kissgrad = engines.get("kissgrad", {}).get("median")
    section["ratios"] = {
        f"kissgrad/{other}": kissgrad / engines[other]["median"]
        for other in engines if other != "kissgrad" and "median" in engines[other] and kissgrad}
    return section


def peak_memory(quick):
    """Peak RSS of one mlp_epoch (after a warm-up epoch), each engine in a fresh process."""
    result = {}
    for engine in ("kissgrad", "pytorch", "numpy"):
        worker = Worker("mlp_epoch", engine, quick)
        try:
            if "skip" in worker.hello:
                result[engine] = {"skipped": worker.hello["skip"]}
                continue
            worker.ask("run")
            worker.ask("run")
            result[engine] = {"max_rss_mb": worker.ask("rss")["max_rss_mb"],
                              "after_setup_mb": worker.hello["rss_before_mb"]}
        finally:
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
    """Each target's ratio (None when an engine was skipped) and whether it is met."""
    checks = []
    for label, workload, top, bottom, comparison, bound in TARGETS:
        engines = workloads.get(workload, {}).get("engines", {})
        if "median" in engines.get(top, {}) and "median" in engines.get(bottom, {}):
            ratio = engines[top]["median"] / engines[bottom]["median"]
            met = ratio <= bound if comparison == "<=" else ratio >= bound
        else:
            ratio = met = None
        checks.append({"target": label, "ratio": ratio, "bound": f"{comparison} {bound}",
                       "met": met})
    return checks


def meta(quick):
    versions = {}
    for name in ("numpy", "numba", "torch", "micrograd"):
        try:  # from the metadata: importing torch here would inflate every worker's peak RSS
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"threads": common.thread_count(), "dtype": common.DTYPE, "quick": quick,
            "isolation": ISOLATION, "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
            "versions": versions, "time": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def _fmt(value):
    if value >= 100:
        return f"{value:8.1f}"
    return f"{value:8.2f}" if value >= 1 else f"{value:8.3f}"


def print_report(results):
    info = results["meta"]
    print(f"kissgrad benchmarks: {info['threads']} threads per engine, {info['dtype']}, "
          f"{info['machine']}, Python {info['python']}"
          + ("  [--quick: smoke run, not comparable]" if info["quick"] else ""))
    print(f"isolation: {info['isolation']}")
    print("versions: " + ", ".join(f"{k} {v or '-'}" for k, v in info["versions"].items()))
    for name, section in results["workloads"].items():
        print(f"\n{name} ({section['unit']}; {section['warmup']} warm-up)")
        print(f"  {'engine':<16}{'median':>9}{'min':>9}{'max':>9}{'reps':>6}  kissgrad/engine")
        kissgrad = section["engines"].get("kissgrad", {}).get("median")
        for engine, row in section["engines"].items():
            if "skipped" in row:
                hint = INSTALL_HINTS.get(engine, "")
                print(f"  {engine:<16}skipped: {row['skipped']}" + (f"; {hint}" if hint else ""))
                continue
            ratio = f"{kissgrad / row['median']:6.2f}x" if kissgrad and engine != "kissgrad" else ""
            print(f"  {engine:<16}{_fmt(row['median'])} {_fmt(row['min'])} {_fmt(row['max'])}"
                  f"{row['reps']:>6}  {ratio}")
        collected = section.get("gc_collected_first")
        if collected:
            print("  with gc.collect() before each repetition, outside the timed region:")
            kissgrad = collected.get("kissgrad", {}).get("median")
            for engine, row in collected.items():
                ratio = f"{kissgrad / row['median']:6.2f}x" if engine != "kissgrad" else ""
                print(f"  {engine:<16}{_fmt(row['median'])} {_fmt(row['min'])} {_fmt(row['max'])}"
                      f"{row['reps']:>6}  {ratio}")
    print("\ntargets")
    for check in results["targets"]:
        ratio = "n/a (engine skipped)" if check["ratio"] is None else f"{check['ratio']:.2f}x"
        verdict = {True: "met", False: "MISSED", None: "-"}[check["met"]]
        print(f"  {check['target']:<52}{ratio:>10}  target {check['bound']}x  {verdict}")
    memory = results.get("memory")
    if memory:
        print("\npeak memory, mlp_epoch (max RSS of a fresh process after two epochs)")
        for engine, row in memory.items():
            if "skipped" in row:
                print(f"  {engine:<16}skipped: {row['skipped']}")
            else:
                print(f"  {engine:<16}{row['max_rss_mb']:8.1f} MB  "
                      f"({row['after_setup_mb']:.1f} MB after imports and setup)")
    compiled = results.get("numba_compile")
    if compiled:
        print(f"\nNumba one-off cost (kernels: {compiled['cold']['backend']}; never in the step "
              f"times above): first repetition minus a steady one, cnn_step then mlp_epoch")
        for label, row in compiled.items():
            print(f"  {label:<7} cache: {row['total_overhead_s']:.2f} s (cnn_step "
                  f"{row['cnn_step']['overhead_s']:.2f} s, mlp_epoch {row['mlp_epoch']['overhead_s']:.2f}"
                  f" s), import of autograd + nn {row['import_s']:.2f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: fewer repetitions and smaller workloads")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results.json"),
                        help="where to write the results (default: bench/results.json)")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads (default: {','.join(WORKLOADS)})")
    parser.add_argument("--reps", type=int, help="timed repetitions per engine")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the peak-memory and compile-time measurements")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    for name in names:
        load(name)  # validates the name
    results = {"meta": meta(args.quick), "workloads": {}}
    for name in names:
        results["workloads"][name] = run_workload(name, args.quick, args.reps)
    results["targets"] = check_targets(results["workloads"])
    if not args.no_extras:
        results["memory"] = peak_memory(args.quick)
        results["numba_compile"] = compile_times()
    print_report(results)
    Path(args.json).write_text(json.dumps(results, indent=1, allow_nan=False) + "\n")
    print(f"\nJSON: {args.json}")
    return results


if __name__ == "__main__":
    main()
