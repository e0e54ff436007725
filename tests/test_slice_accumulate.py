"""Backward of many slices of one tensor (``x[:, t]``, ``unbind``) adds into one buffer.

The engine hands getitem's gradient to ``scatter_add_into`` with the gradient it is already
summing for x (``Op.accumulate``), so T slices cost O(T) in backward instead of T zero arrays
of x's size. These tests check the sums equal the rule's (the create_graph path, which
records ``scatter_add`` nodes), that no zero array of x's size is made per slice, and that
arrays the engine does not own are never written.
"""
import numpy as np
import pytest

from autograd import Tensor, grad, ops
from autograd.kernels import scatter_add_rows


def _slices_loss(x, weights):
    """sum_t sum(x[:, t] * w_t) plus a dense use of x, through getitem and unbind."""
    total = (x * 0.5).sum()
    for t, w in enumerate(weights):
        total = total + (x[:, t] * w).sum()
    for t, part in enumerate(x.unbind(1)):
        total = total + (part * (t + 1.0)).sum()
    return total


def _grads(x_raw, weights, create_graph):
    x = Tensor(x_raw.copy(), requires_grad=True)
    (gx,) = grad(_slices_loss(x, [Tensor(w) for w in weights]), x, create_graph=create_graph)
    return gx.raw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_slices_sum_as_the_rule_does(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 7, 4)).astype(dtype)
    weights = [rng.standard_normal((3, 4)).astype(dtype) for _ in range(7)]
    fast, reference = _grads(x, weights, False), _grads(x, weights, True)
    assert fast.dtype == reference.dtype == dtype
    np.testing.assert_allclose(fast, reference, rtol=1e-6)
    expected = 0.5 + np.stack(weights, axis=1) + np.arange(1.0, 8.0)[None, :, None]
    np.testing.assert_allclose(fast, expected, rtol=1e-6)


def test_no_zero_array_of_the_input_per_slice(monkeypatch):
    """Only getitem's rule makes ``scatter_add`` (a zero array of x's size); it must not run."""
    def refuse(*args, **params):
        raise AssertionError("scatter_add ran: a zero array of x's size for one slice")

    monkeypatch.setattr(ops.SCATTER_ADD, "forward", refuse)
    x = Tensor(np.ones((2, 50, 3)), requires_grad=True)
    sum(x[:, t].sum() for t in range(50)).backward()
    np.testing.assert_array_equal(x.grad.raw, np.ones((2, 50, 3)))


def test_repeated_and_integer_indices_accumulate():
    x = Tensor(np.arange(5.0), requires_grad=True)
    (x[np.array([0, 0, 3])].sum() + x[1:3].sum() * 2 + x[np.array([4, 0])].sum()).backward()
    np.testing.assert_array_equal(x.grad.raw, [3.0, 2.0, 2.0, 1.0, 1.0])


def test_embedding_rows_add_into_one_buffer():
    table = Tensor(np.zeros((4, 2)), requires_grad=True)
    loss = sum(table[np.array([t % 4, 1])].sum() for t in range(6))
    loss.backward()
    np.testing.assert_array_equal(table.grad.raw, [[2, 2], [8, 8], [1, 1], [1, 1]])


def test_a_gradient_the_engine_does_not_own_is_not_written():
    """The seed a user passes and a gradient shared by two edges stay as they were."""
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    y = x * 1.0
    seed = np.ones((2, 3))
    out = y + y[0]  # y gets the seed itself (add passes g on) and then y[0]'s gradient
    out.backward(seed)
    np.testing.assert_array_equal(seed, np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad.raw, [[3, 3, 3], [1, 1, 1]])


def test_a_float32_buffer_takes_a_float64_slice_gradient_without_rounding():
    x = Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)
    w = Tensor(np.array(1 + 1e-12))
    (x[0] * w + x[1:].sum()).backward()
    assert x.grad.dtype == np.float32  # .grad keeps the leaf's dtype, as in PyTorch
    np.testing.assert_array_equal(x.grad.raw, [1, 1, 1])


def test_backward_twice_through_a_slice_names_the_freed_graph():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * 2)[1:]
    loss = y.sum()
    loss.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_rows_added_into_a_non_contiguous_gradient_are_kept():
    """A Fortran-ordered 3-D table has no 2-D row view: the kernel must not add into a copy."""
    out = np.asfortranarray(np.zeros((4, 3, 2)))
    scatter_add_rows(np.ones((2, 3, 2)), np.array([0, 2]), (4, 3, 2), out)
    want = np.zeros((4, 3, 2))
    want[[0, 2]] = 1
    np.testing.assert_array_equal(out, want)
