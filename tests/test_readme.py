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


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(BLOCKS[index], f"README block {index}", "exec"), {})
    assert printed.getvalue().strip(), "every README example prints its result"


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
