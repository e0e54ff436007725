"""``OPS``: every built-in op by name, gathered from the modules that define ops.

The modules are listed here, explicitly: defining or importing an op registers nothing,
so ``op(...)`` in user code (or a test) never changes the table. The test suite checks
that every op in ``OPS`` has a gradient-check case in ``tests/op_cases_*.py``.
"""
from . import conv_ops, nn_ops, norm_ops, ops, rnn_ops
from .ops import Op

OP_MODULES = (ops, nn_ops, conv_ops, rnn_ops, norm_ops)
"""The modules whose module-level ``Op``s make up the table."""


def ops_of(modules):
    """Every ``Op`` bound at the top of ``modules``, by name; ValueError if two share a name."""
    table = {}
    for module in modules:
        for candidate in vars(module).values():
            if isinstance(candidate, Op):
                if table.setdefault(candidate.name, candidate) is not candidate:
                    raise ValueError(f"two built-in ops are named {candidate.name!r} "
                                     f"(one in {module.__name__})")
    return table


OPS = ops_of(OP_MODULES)
"""Every built-in op by name; the test suite checks each has a gradient-check case."""
