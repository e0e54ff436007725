"""Run every notebook in notebooks/ top to bottom; any error (a failed assert included) fails.

The notebooks are stored without outputs and written by ``notebooks/_build.py``. Each runs
in a fresh kernel on this interpreter (the project's virtual environment), with the
notebooks folder as its working directory and matplotlib's inline backend (headless).
Skipped only when nbclient, nbformat or ipykernel cannot be imported.
"""
import importlib.util
import json
import os
import pathlib
import sys
import time

import pytest

REASON = "executing notebooks needs nbclient, nbformat and ipykernel (the 'test' extra)"
nbclient = pytest.importorskip("nbclient", reason=REASON)
nbformat = pytest.importorskip("nbformat", reason=REASON)
pytest.importorskip("ipykernel", reason=REASON)

NOTEBOOKS_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL_NAME = "kissgrad-test-python"
CELL_TIMEOUT = 120  # seconds per cell
# The lessons multiply small matrices, where BLAS threads gain nothing; on a busy machine
# (another job, a parallel test run) they oversubscribe the cores and made one lesson
# 5-50x slower. One thread each, unless the caller chose otherwise.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory):
    """A kernelspec that launches this very interpreter, found first on JUPYTER_PATH.

    A kernel called "python3" could resolve to another Python (a user-level kernelspec
    wins over the virtual environment's), so the tests register their own, then check
    that a kernel started from it really runs ``sys.executable``. Kernels inherit the
    environment set here (JUPYTER_PATH, BLAS thread counts) for the whole session.
    """
    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "kissgrad tests", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root), prepend=os.pathsep)
        for variable in THREAD_VARIABLES:
            mp.setenv(variable, os.environ.get(variable, "1"))
        probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import sys; print(sys.executable)")])
        nbclient.NotebookClient(probe, kernel_name=KERNEL_NAME, timeout=60).execute()
        printed = probe.cells[0].outputs[0]["text"].strip()
        assert pathlib.Path(printed).absolute() == pathlib.Path(sys.executable).absolute(), (
            f"the notebook kernel runs {printed}, not this interpreter {sys.executable}")
        yield KERNEL_NAME


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 8, f"expected the eight lessons in {NOTEBOOKS_DIR}"


def test_notebooks_are_stored_without_outputs():
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, (
                    f"{path.name} is stored with outputs: regenerate it with "
                    f"python notebooks/_build.py")


def test_notebooks_match_their_generator():
    """The stored notebooks are what notebooks/_build.py writes (same cells, same order)."""
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS_DIR / "_build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert sorted(f"{name}.ipynb" for name in build.NOTEBOOKS) == [p.name for p in NOTEBOOKS]
    for name, cells in build.NOTEBOOKS.items():
        stored = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
        expected = build.build(name, cells)
        assert [(c.cell_type, c.source) for c in stored.cells] == \
            [(c.cell_type, c.source) for c in expected.cells], (
            f"{name}.ipynb differs from notebooks/_build.py: run python notebooks/_build.py")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_name):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name=kernel_name, timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    print(f"{path.name}: {time.perf_counter() - started:.1f} s")
