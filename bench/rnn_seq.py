"""rnn_seq: rnn_charlm's training step at sequence lengths 50, 100 and 200 (a sweep, each
length reported as its own row), to show how the cost grows with the sequence: linear in
PyTorch and the NumPy floor; anything steeper is the engine's.

The same model, data, loop and engines as ``rnn_charlm`` (3 steps a repetition; with
``--quick`` 1 step, only the first two points, each a fifth as long); the table reports time
per step.
"""
from . import rnn_charlm

SWEEP = {"seq50": 50, "seq100": 100, "seq200": 200}
QUICK_SWEEP = ("seq50", "seq100")
# the driver prints each engine's time at seq200 over seq50: linear growth gives 4
GROWTH = ("seq50", "seq200", 4.0)
UNIT = "ms per step"


def steps_count(quick, point=None):
    """Training steps per repetition (rnn_charlm's, at every point)."""
    return rnn_charlm.steps_count(quick)


def kissgrad(quick=False, point="seq50"):
    """rnn_charlm's kissgrad engine at this point's sequence length."""
    return rnn_charlm.kissgrad(quick, SWEEP[point])


def numpy_floor(quick=False, point="seq50"):
    """rnn_charlm's NumPy floor at this point's sequence length."""
    return rnn_charlm.numpy_floor(quick, SWEEP[point])


def pytorch(quick=False, point="seq50"):
    """rnn_charlm's PyTorch engine at this point's sequence length."""
    return rnn_charlm.pytorch(quick, SWEEP[point])


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
