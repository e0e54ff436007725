"""Indexing, broadcasting, detach and in-place ops in the engine, and jacobian/hessian against
closed forms."""

import numpy as np
import pytest
from engine_helpers import assert_close, leaf

import autograd
from autograd import Tensor, no_grad
from autograd.functional import hessian, jacobian

# --- broadcasting, indexing, detach -----------------------------------------------------------

def test_indexing_accumulates_repeated_indices():
    x = leaf([10.0, 20.0, 30.0])
    x[[0, 0, 1]].sum().backward()
    assert_close(x.grad, [2.0, 1.0, 0.0])
    x = leaf(np.zeros((3, 2)))
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    (x[np.array([2, 0, 2, -1])] * Tensor(w)).sum().backward()
    assert_close(x.grad, [[3.0, 4.0], [0.0, 0.0], [1.0 + 5.0 + 7.0, 2.0 + 6.0 + 8.0]])


def test_indexing_pairs_of_arrays_accumulate():
    x = leaf(np.zeros((2, 2)))
    x[[0, 0, 1], [1, 1, 0]].sum().backward()
    assert_close(x.grad, [[0.0, 2.0], [1.0, 0.0]])


def test_sum_to_undoes_broadcasting():
    x, y = leaf([1.0, 2.0, 3.0]), leaf(np.ones((2, 3)))
    (x * y).sum().backward()
    assert x.grad.shape == (3,)
    assert_close(x.grad, [2.0, 2.0, 2.0])
    a, b = leaf(np.arange(4.0).reshape(4, 1)), leaf(np.arange(5.0).reshape(1, 5))
    (a * b).sum().backward()
    assert_close(a.grad, np.full((4, 1), 10.0))
    assert_close(b.grad, np.full((1, 5), 6.0))
    s, v = leaf(2.0), leaf([1.0, 2.0])
    (s * v).sum().backward()
    assert s.grad.shape == () and float(s.grad.numpy()) == pytest.approx(3.0)


def test_sum_to_op_and_its_backward():
    x = leaf(np.ones((2, 4, 3)))
    y = autograd.OPS["sum_to"](x, shape=(4, 1))
    assert y.shape == (4, 1)
    assert_close(y, np.full((4, 1), 6.0))
    y.backward(np.arange(4.0).reshape(4, 1))
    assert_close(x.grad, np.broadcast_to(np.arange(4.0).reshape(1, 4, 1), (2, 4, 3)))


def test_detach():
    x = leaf([1.0, 2.0])
    d = (x * 2.0).detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert_close(d, [2.0, 4.0])
    y = (x * d).sum()  # d is a constant: dy/dx = d
    y.backward()
    assert_close(x.grad, [2.0, 4.0])
    assert np.shares_memory(x.detach().numpy(), x.numpy())


# --- in-place ops -------------------------------------------------------------------------------

def test_in_place_on_leaves_under_no_grad():
    w = leaf([1.0, 2.0])
    with no_grad():
        w -= 0.5
        w *= 2.0
        w += Tensor(np.array([1.0, 1.0]))
        w /= 4.0
    assert_close(w, [0.5, 1.0])
    assert w.is_leaf and w.requires_grad
    c = Tensor(np.array([1.0, 2.0]))  # no grad needed: fine anywhere
    c += 1.0
    assert_close(c, [2.0, 3.0])


def test_in_place_on_a_leaf_that_requires_grad_raises():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        w += 1.0
    with pytest.raises(RuntimeError, match="leaf"):
        w.mul_(2.0)
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 5.0
    assert_close(w, [1.0, 2.0])
    assert w.is_leaf and w.grad_fn is None


def test_in_place_on_a_non_leaf_is_recorded():
    # as PyTorch: h becomes add(old h, 1), the gradient flows through both ops
    w = leaf([1.0, 2.0])
    h = w * 2.0
    h += 1.0
    assert h.grad_fn == "add" and not h.is_leaf and h.requires_grad
    assert_close(h, [3.0, 5.0])
    (h * h).sum().backward()
    assert_close(w.grad, 2 * (2 * np.array([1.0, 2.0]) + 1) * 2)


def test_in_place_on_a_non_leaf_under_no_grad_changes_the_data_only():
    w = leaf([1.0, 2.0])
    h = w * 2.0
    with no_grad():
        h *= 2.0
    assert_close(h, [4.0, 8.0])
    assert h.grad_fn == "mul"  # still w * 2.0 as far as the graph knows, as in PyTorch
    h.sum().backward()
    assert_close(w.grad, [2.0, 2.0])


def test_in_place_change_of_a_tensor_an_op_saved_raises_in_backward():
    w = leaf([1.0, 2.0])
    h = w * 2.0
    y = h * h  # mul saved h
    h += 1.0
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_in_place_change_under_no_grad_of_a_saved_tensor_raises_in_backward():
    # API.md: this is what catches an opt.step() between two backward passes of one graph
    w = leaf([1.0, 2.0])
    y = (w * w).sum()
    y.backward(retain_graph=True)
    with no_grad():
        w -= 0.5 * w.grad
    with pytest.raises(RuntimeError):
        y.backward()


def test_item_assignment_on_a_non_leaf_is_recorded():
    # as PyTorch: the overwritten elements get no gradient, the assigned value gets theirs
    w, v = leaf([1.0, 2.0, 3.0]), leaf([5.0])
    h = w * 1.0
    h[1:2] = v * 2.0
    assert h.grad_fn == "setitem" and not h.is_leaf
    assert_close(h, [1.0, 10.0, 3.0])
    (h * h).sum().backward()
    assert_close(w.grad, [2.0, 0.0, 6.0])
    assert_close(v.grad, [2 * 10.0 * 2.0])
    c = Tensor(np.zeros(3))
    c[[0, 2]] = w[:2]  # a constant that takes a value needing grad joins the graph
    assert c.requires_grad and c.grad_fn == "setitem"
    c.backward(np.array([1.0, 5.0, 7.0]))
    assert_close(w.grad, [2.0 + 1.0, 0.0 + 7.0, 6.0])


def test_in_place_with_an_operand_that_requires_grad_is_recorded():
    # as PyTorch: acc stops being a leaf, and the gradient reaches w
    acc = Tensor(np.zeros(2))
    w = leaf([1.0, 2.0])
    acc += w
    assert acc.requires_grad and not acc.is_leaf and acc.grad_fn == "add"
    (acc * 3.0).sum().backward()
    assert_close(w.grad, [3.0, 3.0])
    acc = Tensor(np.zeros(2))
    with no_grad():
        acc += w  # under no_grad nothing is meant to be recorded
    assert_close(acc, [1.0, 2.0])
    assert acc.is_leaf and not acc.requires_grad


# --- jacobian and hessian ---------------------------------------------------------------------

def test_jacobian_elementwise():
    x = Tensor(np.array([1.0, -2.0, 0.5]))
    j = jacobian(lambda t: t ** 2, x)
    assert j.shape == (3, 3)
    assert_close(j, np.diag(2 * x.numpy()))
    assert not x.requires_grad  # the caller's tensor is untouched


def test_jacobian_of_a_linear_map_and_shapes():
    a = np.arange(6.0).reshape(2, 3)
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    assert_close(jacobian(lambda t: Tensor(a) @ t, x), a)
    m = Tensor(np.ones((2, 2)))
    j = jacobian(lambda t: t.sum(axis=0), m)
    assert j.shape == (2, 2, 2)
    assert_close(j, np.array([[[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]]))


def test_jacobian_of_softmax_like_function():
    x = Tensor(np.array([0.2, -0.4, 1.0]))
    s = np.exp(x.numpy()) / np.exp(x.numpy()).sum()
    j = jacobian(lambda t: (t - t.logsumexp()).exp(), x)
    assert_close(j, np.diag(s) - np.outer(s, s))


def test_jacobian_of_a_constant_function_is_zero():
    j = jacobian(lambda t: Tensor(np.ones(2)), Tensor(np.ones(3)))
    assert j.shape == (2, 3) and not j.numpy().any()


def test_hessian_closed_forms():
    x = Tensor(np.array([1.0, -2.0, 0.5]))
    assert_close(hessian(lambda t: (t ** 3).sum(), x), np.diag(6 * x.numpy()))
    a = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, -1.0], [4.0, 0.0, 1.0]])
    h = hessian(lambda t: t @ (Tensor(a) @ t), x)
    assert_close(h, a + a.T)
    h = hessian(lambda t: t.sum() * 2.0, x)  # linear: zero Hessian
    assert_close(h, np.zeros((3, 3)))


def test_hessian_of_a_matrix_input_and_bad_input():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    h = hessian(lambda t: (t[0, 0] * t[1, 1]) + t[0, 1].exp(), x)
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 1, 1] = expected[1, 1, 0, 0] = 1.0
    expected[0, 1, 0, 1] = np.exp(2.0)
    assert h.shape == (2, 2, 2, 2)
    assert_close(h, expected)
    with pytest.raises(ValueError):
        hessian(lambda t: t * 2.0, x)
