"""The op table's test side: one ``Case`` per op drives gradcheck and gradgradcheck.

Each area keeps its cases in its own module named ``tests/op_cases_*.py`` with a
module-level ``CASES`` list; ``tests/test_op_table.py`` collects them all and checks
that every op in ``autograd.OPS`` has at least one case.
"""
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Case:
    """Inputs of the given shapes, drawn from ``domain``, go through ``fn``; ``op`` is what it covers.

    ``shapes`` lists one entry per variant: a shape tuple for a one-input ``fn`` or a
    tuple of shapes for several inputs (e.g. ``((4, 1), (1, 5))``). ``twice=False``
    skips gradgradcheck (ops whose gradient is not differentiable, or piecewise
    constant). ``extra`` builds non-differentiable arguments passed after the tensors.
    """

    op: str
    fn: Callable
    shapes: list
    domain: tuple = (-2.0, 2.0)
    twice: bool = True
    label: str = ""
    extra: Callable = None
    rtol: float = 1e-3
    atol: float = 1e-5
    tags: tuple = field(default_factory=tuple)

    def id_for(self, shape):
        """Test id such as ``mul-(4,1)x(1,5)``."""
        shapes = shape if shape and isinstance(shape[0], tuple) else (shape,)
        text = "x".join("(" + ",".join(str(n) for n in s) + ")" for s in shapes)
        return f"{self.op}{'-' + self.label if self.label else ''}-{text}"


def copied_in_place(y):
    """``y`` after a recorded ``y += 0``: the node that made it lives on as a copy without what
    its forward saved, so its rule must compute that again (as after any in-place change)."""
    y += 0.0
    return y
