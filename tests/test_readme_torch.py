"""The README's "Coming from PyTorch" program runs on kissgrad with only its imports changed,
and prints what PyTorch prints."""
import contextlib
import io
import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
TORCH_PROGRAM = next(b for b in BLOCKS if b.startswith("import torch\n"))
KISSGRAD_IMPORTS = next(b for b in BLOCKS if b.startswith("import kissgrad as torch\n"))


def _imports(block):
    return [line for line in block.splitlines() if line.startswith(("import ", "from "))]


def kissgrad_program():
    """The PyTorch program with its import lines replaced by the README's kissgrad ones."""
    body = [line for line in TORCH_PROGRAM.splitlines() if not line.startswith(("import ", "from "))]
    return "\n".join(_imports(KISSGRAD_IMPORTS) + body) + "\n"


def run(program):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(program, "README program", "exec"), {})
    return printed.getvalue()


def test_the_two_programs_differ_only_in_their_imports():
    assert len(_imports(TORCH_PROGRAM)) == len(_imports(KISSGRAD_IMPORTS)) == 4
    assert kissgrad_program().count("kissgrad") == 4


def test_the_program_runs_on_kissgrad():
    match = re.fullmatch(r"loss (\S+), top outputs at x = \[(.*)\]\n", run(kissgrad_program()))
    assert match and float(match.group(1)) < 0.5
    assert len(match.group(2).split(",")) == 3


def test_kissgrad_prints_what_pytorch_prints():
    pytest.importorskip("torch")
    assert run(kissgrad_program()) == run(TORCH_PROGRAM)
