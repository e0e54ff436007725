"""Run every notebook in notebooks/ top to bottom; any error (a failed assert included) fails.

Each lesson is a jupytext py:percent file (``notebooks/NN_name.py``, the source) paired with
the notebook Jupyter opens (``NN_name.ipynb``, stored without outputs); the pair must hold
the same cells. Each notebook runs in a fresh kernel on this interpreter (the project's
virtual environment), with the notebooks folder as its working directory (so the lessons
import ``lesson_helpers``) and matplotlib's inline backend (headless). Skipped only when
nbclient, nbformat or ipykernel cannot be imported; the pairing checks only when jupytext
cannot.
"""
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
# The lessons' sources: NN_name.py (lesson_helpers.py and other modules are not lessons).
LESSON_SOURCES = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.py"))
SYNC_COMMAND = ".venv/bin/jupytext --to ipynb --update notebooks/[0-9]*.py"
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
                    f"{path.name} is stored with outputs: clear them (Jupyter: Edit > Clear "
                    f"Outputs of All Cells, then save), or delete it and run {SYNC_COMMAND}")


def test_every_notebook_has_its_source_and_every_source_its_notebook():
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in LESSON_SOURCES], (
        f"notebooks/ should hold NN_name.py and NN_name.ipynb in pairs; run {SYNC_COMMAND}")


@pytest.mark.parametrize("source", LESSON_SOURCES, ids=[p.stem for p in LESSON_SOURCES])
def test_notebook_is_in_sync_with_its_source(source):
    """The .ipynb holds the cells of its .py, in order: nobody edited one and forgot the other."""
    jupytext = pytest.importorskip("jupytext", reason="comparing a lesson's .py and .ipynb needs "
                                   "jupytext (the 'test' extra)")
    notebook_path = source.with_suffix(".ipynb")
    from_source = [(c.cell_type, c.source) for c in jupytext.read(source).cells]
    from_notebook = [(c.cell_type, c.source) for c in jupytext.read(notebook_path).cells]
    differing = next((i for i, (a, b) in enumerate(zip(from_source, from_notebook)) if a != b),
                     min(len(from_source), len(from_notebook)))
    assert from_source == from_notebook, (
        f"{notebook_path.name} ({len(from_notebook)} cells) and {source.name} "
        f"({len(from_source)} cells) differ from cell {differing} on: run {SYNC_COMMAND}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_name):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, kernel_name=kernel_name, timeout=CELL_TIMEOUT,
                                     resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    print(f"{path.name}: {time.perf_counter() - started:.1f} s")
