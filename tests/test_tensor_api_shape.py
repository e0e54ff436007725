"""Tensor's shape methods and indexing as API.md lists them: reshape, transpose, squeeze,
unsqueeze, flatten, expand, pad, indexing with basic, integer-array and mask indices, cat and
stack, each with its gradient."""
import numpy as np
import pytest

import autograd
from autograd import Tensor


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def assert_close(actual, expected, rtol=1e-7, atol=1e-12):
    actual = actual.numpy() if isinstance(actual, Tensor) else actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --- shape methods --------------------------------------------------------------------------

def _check_grad(x, y, expected_grad):
    """Backward with a weight per element of y, then compare x.grad."""
    weights = np.arange(1.0, y.numel() + 1).reshape(y.shape)
    (y * Tensor(weights)).sum().backward()
    assert_close(x.grad, expected_grad(weights))


def test_reshape_both_forms():
    x = leaf(np.arange(6.0))
    assert x.reshape(2, 3).shape == (2, 3) and x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape(-1, 2).shape == (3, 2)
    _check_grad(x, x.reshape(2, 3), lambda w: w.reshape(6))


def test_transpose_forms():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = leaf(data)
    assert x.permute(2, 1, 0).shape == (4, 3, 2) and x.T.shape == (4, 3, 2)
    assert_close(x.T, data.T)
    assert_close(x.permute(2, 0, 1), data.transpose(2, 0, 1))
    assert_close(x.permute((1, 0, 2)), data.transpose(1, 0, 2))
    assert_close(x.permute(0, 2, 1), data.transpose(0, 2, 1))
    # transpose(dim0, dim1) swaps two dims, as PyTorch's
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.transpose(1, 2).shape == (2, 4, 3)
    assert_close(x.transpose(0, 2), data.swapaxes(0, 2))
    assert_close(x.transpose(2, 1), data.swapaxes(1, 2))
    _check_grad(x, x.transpose(0, 1), lambda w: w.swapaxes(0, 1))
    x = leaf(data)
    _check_grad(x, x.permute(2, 0, 1), lambda w: w.transpose(1, 2, 0))


def test_transpose_with_negative_axes():
    data = np.arange(6.0).reshape(2, 3)
    x = leaf(data)
    y = x.transpose(-1, 0)
    assert_close(y, data.T)
    _check_grad(x, y, lambda w: w.T)
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    _check_grad(x, x.permute(0, -1, 1), lambda w: w.transpose(0, 2, 1))


def test_squeeze_unsqueeze_flatten():
    x = leaf(np.ones((1, 3, 1)))
    assert x.squeeze().shape == (3,)
    assert x.squeeze(0).shape == (3, 1) and x.squeeze(-1).shape == (1, 3)
    assert x.unsqueeze(0).shape == (1, 1, 3, 1) and x.unsqueeze(-1).shape == (1, 3, 1, 1)
    y = leaf(np.arange(24.0).reshape(2, 3, 4))
    assert y.flatten().shape == (24,)
    assert y.flatten(1).shape == (2, 12)
    assert y.flatten(0, 1).shape == (6, 4)
    assert Tensor(2.0).flatten().shape == (1,)
    _check_grad(y, y.flatten(1), lambda w: w.reshape(2, 3, 4))


def test_expand():
    x = leaf([[1.0], [2.0]])
    y = x.expand(3, 2, 4)
    assert y.shape == (3, 2, 4)
    assert x.expand(-1, 5).shape == (2, 5) and x.expand((2, 3)).shape == (2, 3)
    _check_grad(x, y, lambda w: w.sum(axis=(0, 2)).reshape(2, 1))


def test_pad():
    x = leaf(np.arange(6.0).reshape(2, 3))
    y = x.pad(((1, 0), (2, 1)), value=-1.0)
    assert y.shape == (3, 6)
    assert_close(y, np.pad(x.numpy(), ((1, 0), (2, 1)), constant_values=-1.0))
    _check_grad(x, y, lambda w: w[1:, 2:5])
    assert x.pad(1).shape == (4, 5)
    with pytest.raises(ValueError):
        x.pad(-1)


def test_getitem_basic_indices():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = leaf(data)
    for index in [1, -1, (0, 2), slice(1, None), (slice(None), slice(None, None, 2)),
                  (Ellipsis, 1), (None, 0), (0, None, Ellipsis, None), (1, ..., -1)]:
        assert_close(x[index], data[index])
    index = (0, slice(1, None), slice(None, None, 2))
    _check_grad(x, x[index], lambda w: _placed(w, (2, 3, 4), index))


def _placed(values, shape, index):
    """Zeros of ``shape`` with ``values`` written at ``index``."""
    out = np.zeros(shape)
    out[index] = values
    return out


def test_getitem_integer_arrays_and_masks():
    data = np.arange(12.0).reshape(3, 4)
    x = leaf(data)
    assert_close(x[[2, 0]], data[[2, 0]])
    assert_close(x[np.array([0, 2]), np.array([1, 3])], data[[0, 2], [1, 3]])
    assert_close(x[Tensor(np.array([1, 1]))], data[[1, 1]])
    mask = data > 5
    assert_close(x[mask], data[mask])
    assert_close(x[x > 5.0], data[mask])
    x[mask].sum().backward()
    assert_close(x.grad, mask.astype(float))


def test_concatenate_and_stack():
    a, b = leaf(np.ones((2, 3))), leaf(np.zeros((2, 1)))
    c = autograd.cat([a, b], dim=1)
    assert c.shape == (2, 4) and c.grad_fn == "cat"
    assert autograd.cat([a, a]).shape == (4, 3)
    assert_close(autograd.concatenate([a, b], axis=1), c.numpy())  # NumPy's spelling is an alias
    (c * Tensor(np.arange(8.0).reshape(2, 4))).sum().backward()
    assert_close(a.grad, [[0.0, 1.0, 2.0], [4.0, 5.0, 6.0]])
    assert_close(b.grad, [[3.0], [7.0]])
    p, q = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    s = autograd.stack([p, q], axis=1)
    assert_close(s, [[1.0, 3.0], [2.0, 4.0]])
    assert autograd.stack([p, q]).shape == (2, 2)
    assert_close(autograd.stack([p, q], axis=-1), s.numpy())
    (s * Tensor([[1.0, 10.0], [2.0, 20.0]])).sum().backward()
    assert_close(p.grad, [1.0, 2.0])
    assert_close(q.grad, [10.0, 20.0])
