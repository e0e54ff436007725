"""small_ops: 1,000 chained ops (add, mul, tanh in turn) on a 16-element float32 tensor,
then ``sum().backward()``. One repetition is the whole chain, forward and backward;
the table reports it divided by the number of ops (graph overhead per op).
"""
import numpy as np

from .common import torch_module

OPS, QUICK_OPS, SIZE = 1000, 100, 16
UNIT = "us per op"


def _inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SIZE).astype(np.float32)
    shift = (0.1 * rng.standard_normal(SIZE)).astype(np.float32)
    scale = (1.0 + 0.1 * rng.standard_normal(SIZE)).astype(np.float32)
    return x, shift, scale


def ops_count(quick):
    """Ops per repetition, which the driver divides the time by."""
    return QUICK_OPS if quick else OPS


def _chain(x, shift, scale, tanh, count):
    y = x
    for i in range(count):
        kind = i % 3
        y = y + shift if kind == 0 else y * scale if kind == 1 else tanh(y)
    return y


def kissgrad(quick=False):
    """kissgrad Tensors: each op records a node; backward walks them."""
    from autograd import Tensor

    x, shift, scale = _inputs()
    x = Tensor(x, requires_grad=True)
    shift, scale = Tensor(shift), Tensor(scale)
    count = ops_count(quick)

    def run():
        x.grad = None
        _chain(x, shift, scale, Tensor.tanh, count).sum().backward()
        return float(x.grad.data.sum())

    return run


def numpy_floor(quick=False):
    """The chain and its backward by hand: a list of saved tanh outputs (the floor)."""
    x, shift, scale = _inputs()
    count = ops_count(quick)

    def run():
        y, saved = x, []
        for i in range(count):
            kind = i % 3
            if kind == 0:
                y = y + shift
            elif kind == 1:
                y = y * scale
            else:
                y = np.tanh(y)
                saved.append(y)
        g = np.ones_like(y)
        for i in reversed(range(count)):
            kind = i % 3
            if kind == 1:
                g = g * scale
            elif kind == 2:
                out = saved.pop()
                g = g * (1 - out * out)
        return float(g.sum())

    return run


def pytorch(quick=False):
    """PyTorch CPU tensors, the same chain."""
    torch = torch_module()
    x, shift, scale = (torch.from_numpy(a) for a in _inputs())
    x.requires_grad_(True)
    count = ops_count(quick)

    def run():
        x.grad = None
        _chain(x, shift, scale, torch.tanh, count).sum().backward()
        return float(x.grad.sum())

    return run


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
