"""The README's Python examples run as written and print what they claim."""
import contextlib
import io
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


def _is_imports_only(block):
    """A fragment of import lines (the ones to swap into a PyTorch program), not a program."""
    lines = [line for line in block.splitlines() if line.strip()]
    return all(line.startswith(("import ", "from ")) for line in lines)


def _uses_torch(block):
    return re.search(r"^(import torch|from torch)\b", block, flags=re.M) is not None


def _run(source, name):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(source, name, "exec"), {})
    return printed.getvalue()


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index):
    if _is_imports_only(BLOCKS[index]):
        pytest.skip("an imports-only fragment: test_readme_pytorch_program_runs_on_kissgrad runs it")
    if _uses_torch(BLOCKS[index]):
        pytest.importorskip("torch")
    assert _run(BLOCKS[index], f"README block {index}").strip(), \
        "every README example prints its result"


def test_readme_pytorch_program_runs_on_kissgrad():
    """The PyTorch program with its imports replaced by the README's kissgrad imports prints
    what it prints under PyTorch."""
    index = next((i for i, b in enumerate(BLOCKS) if b.startswith("import kissgrad as torch")), 0)
    assert index > 0, "README lost its 'Coming from PyTorch' program and its kissgrad imports"
    imports, program = BLOCKS[index], BLOCKS[index - 1]
    assert _is_imports_only(imports) and _uses_torch(program)
    count = len(imports.strip().splitlines())
    replaced = program.splitlines()[:count]
    assert all(_uses_torch(line) for line in replaced), replaced  # only imports are swapped
    ported = imports + "\n".join(program.splitlines()[count:]) + "\n"
    assert not _uses_torch(ported)
    ours = _run(ported, f"README block {index - 1} on kissgrad")
    assert ours.strip()
    pytest.importorskip("torch")
    assert ours == _run(program, f"README block {index - 1} on PyTorch")


def test_readme_xor_example_learns_xor():
    block = next(b for b in BLOCKS if "XOR" in b)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(block, {})
    assert printed.getvalue().strip().endswith("[0 1 1 0]")


def test_readme_gradcheck_example_names_the_wrong_op():
    block = next(b for b in BLOCKS if "GradcheckError" in b)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(block, {})
    assert "'cube'" in printed.getvalue()
