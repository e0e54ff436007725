"""The benchmark harness runs: ``python -m bench --quick`` once, every workload.

No timing is asserted (timings live in ``bench/``, never in tests): only that each
workload reports the expected keys with finite numbers, and that every engine of a
workload ended on the same loss (they all run the same steps from the same weights).
PyTorch and micrograd are optional; their checks skip, saying so, when they are not
installed.
"""
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# section names of a quick run, in order: a sweep reports one section per quick point
SECTIONS = ("mlp_epoch", "cnn_step", "small_ops", "scalar_mlp", "lstm_step", "rnn_charlm",
            "rnn_seq/seq50", "rnn_seq/seq100", "slice_seq/seq50", "slice_seq/seq100", "cnn_large",
            "mlp_bn", "hvp", "mlp_sweep/h32_b1", "mlp_sweep/h256_b64")
WITH_FLOOR = ["kissgrad", "numpy"]
ALWAYS = {name: WITH_FLOOR for name in SECTIONS}
ALWAYS.update({"cnn_step": ["kissgrad", "kissgrad-numpy", "numpy"], "hvp": ["kissgrad"],
               "slice_seq/seq50": ["kissgrad"], "slice_seq/seq100": ["kissgrad"]})
OPTIONAL = [(name, "pytorch") for name in SECTIONS if name != "scalar_mlp"]
OPTIONAL.append(("scalar_mlp", "micrograd"))
MODULES = {"pytorch": "torch", "micrograd": "micrograd"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "targets" in done.stdout and "JSON:" in done.stdout
    return json.loads(path.read_text())


def _finite(*values):
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _check_row(row):
    assert {"median", "min", "max", "reps", "times", "loss"} <= set(row)
    assert _finite(row["median"], row["min"], row["max"], row["loss"], *row["times"])
    assert row["min"] <= row["median"] <= row["max"] and row["reps"] == len(row["times"]) >= 1


def test_meta_says_how_engines_were_isolated(results):
    meta = results["meta"]
    # the smoke run gives each engine one thread (the full run: 2, KISSGRAD_BENCH_THREADS)
    assert meta["quick"] is True and meta["threads"] == 1 and meta["dtype"] == "float32"
    assert "own worker process" in meta["isolation"] and "gc.collect()" in meta["isolation"]
    assert "fresh tensor" in meta["isolation"] and "loss.item()" in meta["isolation"]
    assert list(results["workloads"]) == list(SECTIONS)


@pytest.mark.parametrize("workload", SECTIONS)
def test_workload_reports_kissgrad_and_the_numpy_floor(results, workload):
    section = results["workloads"][workload]
    assert section["unit"] and section["description"] and section["steps_per_repetition"] >= 1
    for engine in ALWAYS[workload]:
        _check_row(section["engines"][engine])
    assert _finite(*section["ratios"].values())
    assert ("kissgrad/numpy" in section["ratios"]) == ("numpy" in ALWAYS[workload])
    for other, spread in section["round_ratios"].items():
        assert other in section["ratios"] and spread["min"] <= spread["median"] <= spread["max"]
        assert _finite(section["min_ratios"][other])
    if "/" in workload:
        assert (section["sweep"], section["point"]) == tuple(workload.split("/"))
    # every engine ran the same repetitions from the same weights: the same last loss
    losses = [row["loss"] for row in section["engines"].values() if "loss" in row]
    assert max(losses) - min(losses) <= 1e-3 * max(abs(v) for v in losses)


@pytest.mark.parametrize("workload,engine", OPTIONAL)
def test_optional_engine(results, workload, engine):
    module = MODULES[engine]
    if importlib.util.find_spec(module) is None:
        row = results["workloads"][workload]["engines"][engine]
        assert "not installed" in row["skipped"]
        pytest.skip(f"{module} is not installed (optional: the bench skips it and says so)")
    _check_row(results["workloads"][workload]["engines"][engine])
    assert _finite(results["workloads"][workload]["ratios"][f"kissgrad/{engine}"])


def test_scalar_mlp_is_also_timed_with_garbage_collection_taken_out(results):
    section = results["workloads"]["scalar_mlp"]
    for variant in ("run_collected", "run_gc_off"):
        for engine in ("kissgrad", "numpy"):
            row = section[variant][engine]
            assert _finite(row["median"], *row["times"]) and row["reps"] == len(row["times"])


def test_targets_memory_and_compile_time_are_reported(results):
    targeted = {check["target"].split()[0] for check in results["targets"]}
    assert targeted == {"mlp_epoch", "cnn_step", "small_ops", "scalar_mlp", "lstm_step",
                        "rnn_charlm", "cnn_large", "mlp_bn", "hvp"}
    for check in results["targets"]:
        assert set(check) == {"target", "ratio", "min_ratio", "bound", "met"}
        assert check["ratio"] is None or _finite(check["ratio"], check["min_ratio"])
    for engine in ("kissgrad", "numpy"):
        row = results["memory"][engine]
        assert _finite(row["max_rss_mb"], row["after_setup_mb"]) and row["max_rss_mb"] > 0
    for label in ("cold", "cached"):
        row = results["numba_compile"][label]
        assert row["backend"] and _finite(row["import_s"], row["total_overhead_s"])
        assert _finite(row["cnn_step"]["first_s"], row["mlp_epoch"]["steady_s"])


def test_the_readme_table_has_a_row_per_section(results):
    from bench.markdown import table, targets

    rows = table(results)
    assert len(rows) == 2 + len(SECTIONS)
    for name, row in zip(SECTIONS, rows[2:]):
        assert row.startswith(f"| {name} (")
    assert all(line.startswith("|") for line in targets(results))
