"""The engine at any size: topological order, 100k- and 1M-op chains without recursion, and a
graph freed with its root by reference counting alone."""
import gc
import weakref

import numpy as np
import pytest
from engine_helpers import assert_close, leaf

from autograd import Tensor, Value, grad

# --- order: every node is numbered when made, after its parents ---------------------------

def test_topological_order_puts_parents_before_children():
    from autograd.engine import topological_order

    a = leaf([1.0, 2.0])
    b = a * 2.0
    c = leaf([3.0, 4.0])  # a leaf made after an op node that it meets later
    d = (b * c).exp()
    e = d + b.sin() + c  # a diamond: b and c reach e along two paths each
    order = topological_order([e])
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order)  # each node once
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents if p.requires_grad)
    e.sum().backward()
    assert_close(a.grad, 2 * (c.numpy() * np.exp(b.numpy() * c.numpy()) + np.cos(b.numpy())))
    assert_close(c.grad, b.numpy() * np.exp(b.numpy() * c.numpy()) + 1.0)


@pytest.fixture
def gc_disabled():
    """Run a test with the cyclic garbage collector off, so only reference counting frees."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


# --- deep graphs: no recursion anywhere ------------------------------------------------------

def test_100k_op_tensor_chain():
    x = leaf([0.5, -1.0])
    y = x
    for i in range(100_000):
        y = y * 1.0 if i % 2 else y + 0.0
    y.sum().backward()
    assert_close(x.grad, [1.0, 1.0])


def test_1m_op_value_chain(gc_disabled):
    # gc off only for speed: a million tracked objects make the collector rescan them
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    ref = weakref.ref(y.parents[0])
    del y
    assert ref() is None  # freed by reference counting, no recursion limit hit


def test_deep_chain_with_create_graph():
    x = leaf([0.5])
    y = x
    for _ in range(20_000):
        y = y * 1.0
    (g,) = grad((y ** 2).sum(), x, create_graph=True)
    (h,) = grad(g.sum(), x)
    assert_close(h, [2.0])


# --- memory: the graph goes with its root, without the garbage collector ---------------------

def _graph(x):
    h1 = x * 2.0
    h2 = h1.exp()
    h3 = h2 @ Tensor(np.ones((3, 2)))
    return h3.tanh().sum(), [weakref.ref(h) for h in (h1, h2, h3)]


def test_graph_memory_released_after_backward(gc_disabled):
    x = leaf(np.ones((2, 3)))
    y, refs = _graph(x)
    y.backward()
    assert all(r() is not None for r in refs)  # the structure stays while the root lives
    del y
    assert all(r() is None for r in refs)
    assert x.grad is not None


def test_graph_memory_released_with_retain_graph(gc_disabled):
    x = leaf(np.ones((2, 3)))
    y, refs = _graph(x)
    y.backward(retain_graph=True)
    y.backward()
    del y
    assert all(r() is None for r in refs)


def test_graph_memory_released_when_never_backwarded(gc_disabled):
    x = leaf(np.ones((2, 3)))
    y, refs = _graph(x)
    del y
    assert all(r() is None for r in refs)


def test_create_graph_memory_released(gc_disabled):
    x = leaf(np.ones((2, 3)))
    y, refs = _graph(x)
    (g,) = grad(y, x, create_graph=True)
    (h,) = grad(g.sum(), x)
    del y, g
    assert all(r() is None for r in refs)
    x_ref = weakref.ref(x)
    del x
    assert x_ref() is None


def test_backward_create_graph_memory_released_after_zero_grad(gc_disabled):
    x = leaf(np.ones((2, 3)))
    y, refs = _graph(x)
    y.backward(create_graph=True)
    del y
    x.zero_grad()  # .grad held the gradient's graph; dropping it frees everything
    assert all(r() is None for r in refs)


def test_backward_create_graph_cycle_is_collectable():
    # leaf -> .grad -> gradient graph -> leaf is a cycle (as in PyTorch), but of plain Python
    # objects, so the collector reclaims it; PyTorch's runs through C++ and leaks
    x = leaf(np.ones((2, 3)))
    y, refs = _graph(x)
    y.backward(create_graph=True)
    x_ref = weakref.ref(x)
    del x, y
    gc.collect()
    assert x_ref() is None and all(r() is None for r in refs)


def test_value_graph_memory_released(gc_disabled):
    a = Value(0.5)
    b = a * 2
    c = b.tanh()
    refs = [weakref.ref(b), weakref.ref(c)]
    d = c + 1
    d.backward()
    del b, c, d
    assert all(r() is None for r in refs)
