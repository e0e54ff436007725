"""Engine hooks and gradients kept: tensor hooks, retain_grad, and when a leaf adopts a
gradient array rather than copying it."""
import weakref

import numpy as np
import pytest
from engine_helpers import assert_close, leaf

import autograd
from autograd import Tensor, Value, grad

# --- hooks ----------------------------------------------------------------------------------

def test_leaf_hook_sees_and_replaces_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10.0)
    (x * x).sum().backward()
    assert len(seen) == 1
    assert_close(seen[0], [2.0, 4.0])
    assert_close(x.grad, [20.0, 40.0])


def test_non_leaf_hook_replacement_flows_upstream():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.register_hook(lambda g: g * 0.5)
    (h * h).sum().backward()
    assert_close(x.grad, 0.5 * 2 * h.numpy() * 3.0)
    assert h.grad is None


def test_hook_called_once_with_the_total_gradient():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    calls = []
    h.register_hook(lambda g: calls.append(g.numpy().copy()))
    (h * 3.0 + h * h + h.sum()).sum().backward()  # three uses of h
    assert len(calls) == 1
    assert_close(calls[0], 3.0 + 2 * h.numpy() + 2.0)


def test_hook_handle_remove():
    x = leaf([1.0])
    handle = x.register_hook(lambda g: g * 0.0)
    handle.remove()
    handle.remove()  # a second remove does nothing
    (x * 2.0).sum().backward()
    assert_close(x.grad, [2.0])


def test_hook_under_create_graph_sees_a_differentiable_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.requires_grad))
    (g,) = grad((x ** 3).sum(), x, create_graph=True)
    assert seen == [True]


def test_hook_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        Tensor([1.0]).register_hook(lambda g: g)


def test_value_hook():
    a = Value(2.0)
    b = a * 3
    b.register_hook(lambda g: g * 2)
    b.backward()
    assert a.grad == pytest.approx(6.0)


# --- retain_grad ----------------------------------------------------------------------------

def test_retain_grad():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    k = h.exp()
    k.retain_grad()
    k.sum().backward()
    assert h.grad is None
    assert_close(k.grad, [1.0, 1.0])
    assert_close(x.grad, 3 * np.exp(3 * x.numpy()))


def test_retain_grad_accumulates_and_needs_grad():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    (h * h).sum().backward(retain_graph=True)
    (h * h).sum().backward()
    assert_close(h.grad, 4 * h.numpy())
    with pytest.raises(RuntimeError):
        Tensor([1.0]).retain_grad()


# --- a leaf adopts a gradient nothing else holds, and copies every other --------------

def _spy_op(kept):
    """An identity op whose rule hands out a fresh gradient array and keeps a weak reference to it."""
    def rule(g, out, x):
        fresh = np.array(g)
        kept.append(weakref.ref(fresh))
        return (fresh,)
    return autograd.op("spy", lambda x: x.copy(), None, rule)


def test_leaf_adopts_a_fresh_gradient_without_copying():
    kept = []
    x = leaf([1.0, 2.0])
    _spy_op(kept)(x).sum().backward()
    assert x.grad.numpy() is kept[0]()  # the rule's array itself, not a copy
    assert_close(x.grad, [1.0, 1.0])


def test_leaves_never_share_one_gradient_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ((a + b) * 2.0).sum().backward()  # add hands one fresh array to both parents
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.data *= 10  # an in-place edit of one (gradient clipping, say) leaves the other alone
    assert_close(b.grad, [2.0, 2.0])


def test_leaf_copies_the_callers_gradient_and_a_view():
    seed = np.array([1.0, 2.0])
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a * 1.0 + b).backward(seed)
    assert not np.shares_memory(b.grad.numpy(), seed) and not np.shares_memory(a.grad.numpy(), seed)
    c = leaf([[1.0, 2.0]])
    k = c.reshape(2)  # reshape's rule returns a view of the incoming gradient
    k.retain_grad()
    (k * 2.0).sum().backward()
    assert not np.shares_memory(c.grad.numpy(), k.grad.numpy())


def test_leaf_copies_a_gradient_a_hook_kept():
    kept = []
    x = leaf([1.0, 2.0])
    x.register_hook(kept.append)
    (x * 2.0).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), kept[0].numpy())
    assert_close(x.grad, [2.0, 2.0])
