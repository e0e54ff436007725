"""The benchmark harness runs: ``python -m bench --quick`` once, every workload.

No timing is asserted (timings live in ``bench/``, never in tests): only that each
workload reports the expected keys with finite numbers. PyTorch and micrograd are
optional; their checks skip, saying so, when they are not installed.
"""
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ("mlp_epoch", "cnn_step", "small_ops", "scalar_mlp")
ALWAYS = {"mlp_epoch": ["kissgrad", "numpy"], "cnn_step": ["kissgrad", "kissgrad-numpy", "numpy"],
          "small_ops": ["kissgrad", "numpy"], "scalar_mlp": ["kissgrad", "numpy"]}
OPTIONAL = [("mlp_epoch", "pytorch"), ("cnn_step", "pytorch"), ("small_ops", "pytorch"),
            ("scalar_mlp", "micrograd")]
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
    assert meta["quick"] is True and meta["threads"] == 2 and meta["dtype"] == "float32"
    assert "own worker process" in meta["isolation"] and "gc.collect()" in meta["isolation"]
    assert list(results["workloads"]) == list(WORKLOADS)


@pytest.mark.parametrize("workload", WORKLOADS)
def test_workload_reports_kissgrad_and_the_numpy_floor(results, workload):
    section = results["workloads"][workload]
    assert section["unit"] and section["description"]
    for engine in ALWAYS[workload]:
        _check_row(section["engines"][engine])
    assert _finite(*section["ratios"].values()) and "kissgrad/numpy" in section["ratios"]
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


def test_targets_memory_and_compile_time_are_reported(results):
    assert len(results["targets"]) == 5
    for check in results["targets"]:
        assert set(check) == {"target", "ratio", "bound", "met"}
        assert check["ratio"] is None or _finite(check["ratio"])
    for engine in ("kissgrad", "numpy"):
        row = results["memory"][engine]
        assert _finite(row["max_rss_mb"], row["after_setup_mb"]) and row["max_rss_mb"] > 0
    for label in ("cold", "cached"):
        row = results["numba_compile"][label]
        assert row["backend"] and _finite(row["import_s"], row["total_overhead_s"])
        assert _finite(row["cnn_step"]["first_s"], row["mlp_epoch"]["steady_s"])
