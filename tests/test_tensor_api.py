"""Tensor's public surface as API.md lists it: dtype rules, factories, methods, clear errors."""
import numpy as np
import pytest

import autograd
from autograd import Tensor, Value


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def assert_close(actual, expected, rtol=1e-7, atol=1e-12):
    actual = actual.numpy() if isinstance(actual, Tensor) else actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# --- dtype rules -------------------------------------------------------------------------

@pytest.mark.parametrize("data", [1.5, 3, [1, 2], [[1.0, 2.0]], (1, 2.5)])
def test_python_numbers_and_lists_become_float32(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    assert_close(t, np.array(data, dtype=np.float64))


def test_python_bools_stay_bool():
    assert Tensor([True, False]).dtype == np.bool_


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_float_arrays_keep_their_dtype(dtype):
    t = Tensor(np.ones(3, dtype=dtype), requires_grad=True)
    assert t.dtype == dtype and t.requires_grad


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_integer_arrays_stay_integer_and_cannot_require_grad(dtype):
    t = Tensor(np.arange(3, dtype=dtype))
    assert t.dtype == dtype and not t.requires_grad
    with pytest.raises(TypeError, match="float"):
        Tensor(np.arange(3, dtype=dtype), requires_grad=True)
    with pytest.raises(TypeError):
        t.requires_grad_()
    with pytest.raises(TypeError):
        Tensor([1, 2], dtype=dtype, requires_grad=True)


def test_dtype_argument_overrides():
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(np.ones(2), dtype=np.float32).dtype == np.float32
    assert Tensor(2.5, dtype=np.int64).dtype == np.int64


def test_non_numeric_data_raises_type_error():
    with pytest.raises(TypeError, match="str"):
        Tensor("abc")
    with pytest.raises(TypeError):
        Tensor({"a": 1})


@pytest.mark.parametrize("expr", [
    lambda x: x * 2.5, lambda x: 2.5 * x, lambda x: x + 1, lambda x: 1 - x, lambda x: x / 3,
    lambda x: 3.0 / x, lambda x: x ** 2, lambda x: x ** 0.5, lambda x: 2.0 ** x,
    lambda x: x + [1.0, 2.0], lambda x: x * np.float64(2.0), lambda x: autograd.maximum(x, 0.5),
    lambda x: autograd.where(x > 1.5, x, 0.0), lambda x: x.clip(0.0, 1.5), lambda x: x.mean(),
    lambda x: x.var(), lambda x: x.logsumexp(), lambda x: x.sigmoid(), lambda x: x.pad(1, value=2),
    lambda x: -x, lambda x: x.exp().log().sqrt(),
], ids=lambda _: "")
def test_float32_with_python_numbers_stays_float32(expr):
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = expr(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float32_with_float64_promotes_and_gradients_keep_each_dtype():
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2, dtype=np.float64), requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


# (expression, its dtype under PyTorch's promotion); i64, f32, f64: 1-d tensors of those dtypes
PROMOTIONS = [
    (lambda i64, f32, f64: i64 * 0.5, np.float32), (lambda i64, f32, f64: 0.5 * i64, np.float32),
    (lambda i64, f32, f64: i64 / 2, np.float32), (lambda i64, f32, f64: i64 + f32, np.float32),
    (lambda i64, f32, f64: f32 - i64, np.float32), (lambda i64, f32, f64: i64 * f64, np.float64),
    (lambda i64, f32, f64: i64 * 2, np.int64), (lambda i64, f32, f64: i64 ** 2, np.int64),
    (lambda i64, f32, f64: i64 ** 0.5, np.float32), (lambda i64, f32, f64: f32 * 2.0, np.float32),
    (lambda i64, f32, f64: i64 + True, np.int64), (lambda i64, f32, f64: f32 + f64, np.float64),
    (lambda i64, f32, f64: i64.clamp(0.5, 1.5), np.float32),
]


@pytest.mark.parametrize("expr, dtype", PROMOTIONS, ids=lambda _: "")
def test_type_promotion_follows_pytorch(expr, dtype):
    i64 = autograd.tensor([1, 2])
    f32, f64 = Tensor(np.ones(2, np.float32)), Tensor(np.ones(2))
    assert i64.dtype == np.int64 and expr(i64, f32, f64).dtype == dtype
    torch = pytest.importorskip("torch")
    ref = expr(torch.tensor([1, 2]), torch.ones(2), torch.ones(2, dtype=torch.float64))
    assert str(ref.dtype) == f"torch.{np.dtype(dtype).name}"


def test_tensor_factory_keeps_an_ndarrays_dtype_and_honours_dtype():
    assert autograd.tensor(np.ones(2)).dtype == np.float64  # torch.tensor(np.ones(2)): float64
    assert autograd.tensor(Tensor(np.ones(2))).dtype == np.float64
    assert autograd.tensor([1.0], dtype=np.float64).dtype == np.float64


def test_a_0d_tensor_of_a_higher_category_gives_its_dtype():
    # PyTorch: tensor([1, 2]) + tensor(1.5, dtype=float64) is float64; beside float32 it is float32
    assert (autograd.tensor([1, 2]) + Tensor(np.array(1.5))).dtype == np.float64
    assert (Tensor(np.ones(2, np.float32)) + Tensor(np.array(1.5))).dtype == np.float32


def test_an_int_to_the_power_of_an_int_tensor_stays_int64():
    y = 2 ** autograd.tensor([1, 4])  # PyTorch: tensor([2, 16]), int64
    assert y.dtype == np.int64 and y.tolist() == [2, 16]


def test_astype_casts_the_gradient_back():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.grad_fn == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    assert_close(x.grad, [2.0, 4.0])


# --- factories ----------------------------------------------------------------------------

@pytest.mark.parametrize("factory, value", [(autograd.zeros, 0.0), (autograd.ones, 1.0)])
def test_zeros_ones_both_shape_forms(factory, value):
    for t in (factory(2, 3), factory((2, 3))):
        assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
        assert (t.numpy() == value).all()
    t = factory(4, dtype=np.float64, requires_grad=True)
    assert t.shape == (4,) and t.dtype == np.float64 and t.requires_grad and t.is_leaf


def test_full_eye_arange():
    t = autograd.full((2, 2), 7)  # an int fill value gives int64, as torch.full
    assert t.dtype == np.int64 and (t.numpy() == 7).all()
    t = autograd.full((2, 2), 7.0)
    assert t.dtype == np.float32 and (t.numpy() == 7).all()
    assert autograd.full(3, 1.5, dtype=np.float64).dtype == np.float64
    assert autograd.full(3, 1.5, requires_grad=True).requires_grad
    assert_close(autograd.eye(2), np.eye(2))
    assert autograd.eye(2, 3).shape == (2, 3)
    assert autograd.eye(3, requires_grad=True).requires_grad
    assert autograd.arange(4).dtype == np.int64
    assert_close(autograd.arange(4), [0, 1, 2, 3])
    a = autograd.arange(0, 1, 0.25)
    assert a.dtype == np.float32 and a.shape == (4,)
    assert autograd.arange(1, 4, dtype=np.float64, requires_grad=True).requires_grad
    with pytest.raises(TypeError):
        autograd.arange(4, requires_grad=True)  # int64 cannot require grad


def test_like_factories():
    base = Tensor(np.ones((2, 3), dtype=np.float64))
    z, o = autograd.zeros_like(base), autograd.ones_like(base)
    assert z.shape == o.shape == (2, 3) and z.dtype == o.dtype == np.float64
    assert not z.numpy().any() and o.numpy().all()
    assert autograd.zeros_like(base, dtype=np.float32).dtype == np.float32
    assert autograd.ones_like(base, requires_grad=True).requires_grad


@pytest.mark.parametrize("factory", [autograd.randn, autograd.rand])
def test_random_factories_and_manual_seed(factory):
    autograd.manual_seed(123)
    a = factory(3, 4)
    b = factory((3, 4))
    autograd.manual_seed(123)
    a2, b2 = factory(3, 4), factory((3, 4))
    assert a.shape == b.shape == (3, 4) and a.dtype == np.float32
    np.testing.assert_array_equal(a.numpy(), a2.numpy())
    np.testing.assert_array_equal(b.numpy(), b2.numpy())
    assert not np.array_equal(a.numpy(), b.numpy())
    assert factory(2, dtype=np.float64, requires_grad=True).dtype == np.float64
    assert factory(2, requires_grad=True).requires_grad


def test_rand_range_and_randn_moments():
    autograd.manual_seed(0)
    u = autograd.rand(10_000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    n = autograd.randn(10_000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05


def test_manual_seed_rejects_non_integers():
    with pytest.raises(TypeError):
        autograd.manual_seed(1.5)


# --- attributes and conversion -------------------------------------------------------------

def test_attributes():
    x = leaf(np.ones((2, 3)))
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == np.float64
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2 and x.numel() == 6
    assert x.dim() == 2
    assert x.is_leaf and x.grad_fn is None and x.grad is None
    y = x * 2.0
    assert not y.is_leaf and y.grad_fn == "mul" and y.requires_grad
    assert isinstance(x.numpy(), np.ndarray)
    d = x.data  # PyTorch's .data: a detached Tensor sharing the storage
    assert isinstance(d, Tensor) and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.numpy(), x.numpy())
    assert "grad_fn=<mul>" in repr(y) and "requires_grad=True" in repr(x)
    assert len(x) == 2


def test_data_updates_a_leaf_in_place_without_recording():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    p.data += -0.25 * p.grad  # the optimiser idiom of PyTorch
    assert_close(p, [0.5, 1.0])
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    p.data.mul_(2.0)
    assert_close(p, [1.0, 2.0])
    p.data.zero_()
    assert_close(p, [0.0, 0.0])
    p.data = Tensor(np.array([5.0, 6.0]))
    assert_close(p, [5.0, 6.0])
    assert p.is_leaf and p.requires_grad and p.dtype == np.float64
    (p * 3.0).sum().backward()
    assert_close(p.grad, [2.0 + 3.0, 4.0 + 3.0])


def test_item_numpy_tolist():
    t = Tensor(np.array([[2.5]]))
    assert t.item() == 2.5 and isinstance(t.item(), float)
    with pytest.raises(ValueError):
        Tensor([1.0, 2.0]).item()
    a = np.array([1.0, 2.0])
    assert Tensor(a).numpy() is not None
    np.testing.assert_array_equal(Tensor(a).numpy(), a)
    assert Tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]]


def test_requires_grad_and_zero_grad():
    x = Tensor(np.ones(2))
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad_(True)
    (x * 3.0).sum().backward()
    assert_close(x.grad, [3.0, 3.0])
    x.zero_grad()
    assert x.grad is None
    with pytest.raises(RuntimeError):
        (x * 2.0).requires_grad_(False)  # only leaves


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


# --- elementwise, reductions, comparisons ----------------------------------------------------

def test_elementwise_methods_forward():
    data = np.array([0.5, 1.0, 2.0])
    x = Tensor(data)
    for name, ref in [("exp", np.exp), ("log", np.log), ("sqrt", np.sqrt), ("abs", np.abs),
                      ("sin", np.sin), ("cos", np.cos), ("tanh", np.tanh),
                      ("sigmoid", lambda d: 1 / (1 + np.exp(-d))),
                      ("relu", lambda d: np.maximum(d, 0))]:
        assert_close(getattr(x, name)(), ref(data))
    assert_close(Tensor([-3.0, 0.5, 3.0]).clip(-1.0, 1.0), [-1.0, 0.5, 1.0])
    with pytest.raises(ValueError):
        x.clip()


def test_sigmoid_does_not_overflow():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0]), requires_grad=True)
    y = x.sigmoid()
    assert_close(y, [0.0, 0.5, 1.0])
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_maximum_minimum_where_functions():
    a, b = leaf([1.0, 5.0]), leaf([3.0, 2.0])
    assert_close(autograd.maximum(a, b), [3.0, 5.0])
    assert_close(autograd.minimum(a, b), [1.0, 2.0])
    autograd.minimum(a, b).sum().backward()
    assert_close(a.grad, [1.0, 0.0])
    assert_close(b.grad, [0.0, 1.0])
    w = autograd.where(np.array([True, False]), a, b)
    assert_close(w, [1.0, 2.0])
    assert_close(autograd.where(Tensor([False, True]), 0.0, a), [1.0, 0.0])


@pytest.mark.parametrize("method", ["sum", "mean", "amax", "amin", "logsumexp"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), (-1, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(method, axis, keepdims):
    rng = np.random.default_rng(0)
    data = rng.standard_normal((2, 3, 4))
    ref = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min,
           "logsumexp": lambda d, axis, keepdims: np.log(np.sum(np.exp(d), axis=axis,
                                                                keepdims=keepdims))}[method]
    expected = ref(data, axis=axis, keepdims=keepdims)
    assert_close(getattr(Tensor(data), method)(axis=axis, keepdims=keepdims), expected, rtol=1e-12)
    assert_close(getattr(Tensor(data), method)(dim=axis, keepdim=keepdims), expected, rtol=1e-12)
    if axis is None and not keepdims:
        assert_close(getattr(Tensor(data), method)(), expected, rtol=1e-12)


@pytest.mark.parametrize("method, ref, arg", [("max", np.max, np.argmax),
                                              ("min", np.min, np.argmin)])
@pytest.mark.parametrize("dim", [0, -1, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_a_dim_return_values_and_indices(method, ref, arg, dim, keepdim):
    data = np.random.default_rng(0).standard_normal((2, 3, 4))
    out = getattr(Tensor(data), method)(dim, keepdim=keepdim)
    values, indices = out
    assert out.values is values and out.indices is indices
    assert_close(values, ref(data, axis=dim, keepdims=keepdim), rtol=1e-12)
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), arg(data, axis=dim, keepdims=keepdim))
    assert_close(getattr(Tensor(data), method)(), ref(data), rtol=1e-12)  # no dim: the 0-d extremum
    assert getattr(Tensor(data), method)().shape == ()


def test_reductions_accept_a_list_axis():
    x = Tensor(np.ones((2, 3, 4)))
    assert x.sum(axis=[0, 2]).shape == (3,)
    assert x.var(axis=[0, 2]).shape == (3,)


def test_logsumexp_is_stable():
    x = Tensor(np.array([1000.0, 1000.0, -1000.0]), requires_grad=True)
    y = x.logsumexp()
    assert_close(y, 1000.0 + np.log(2.0))
    y.backward()
    assert_close(x.grad, [0.5, 0.5, 0.0])


def test_var_is_unbiased_by_default_and_takes_each_correction_spelling():
    data = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    x = leaf(data)
    assert_close(x.var(), data.var(ddof=1))  # correction=1 by default, as PyTorch
    assert_close(x.var(unbiased=False), data.var())
    assert_close(x.var(correction=0), data.var())
    assert_close(x.var(ddof=0), data.var())
    assert_close(x.var(axis=1, ddof=1), data.var(axis=1, ddof=1))
    assert_close(x.var(dim=1, correction=2), data.var(axis=1, ddof=2))
    assert_close(x.var(axis=0, keepdims=True), data.var(axis=0, keepdims=True, ddof=1))
    assert_close(x.var(0, keepdim=True), data.var(axis=0, keepdims=True, ddof=1))
    assert_close(x.std(), data.std(ddof=1))
    assert_close(x.std(dim=1, unbiased=False), data.std(axis=1))
    x.var().backward()
    assert_close(x.grad, 2 * (data - data.mean()) / (data.size - 1))
    x.grad = None
    x.var(correction=0).backward()
    assert_close(x.grad, 2 * (data - data.mean()) / data.size)
    with pytest.raises(ValueError):
        Tensor([1.0]).var()  # no degrees of freedom: kissgrad raises where PyTorch gives nan
    with pytest.raises(TypeError):
        x.var(unbiased=True, correction=1)


def test_max_min_tie_gradient_is_split_evenly():
    x = leaf([1.0, 3.0, 3.0, 0.0])
    x.max().backward()
    assert_close(x.grad, [0.0, 0.5, 0.5, 0.0])
    x = leaf([[2.0, 2.0, 2.0], [1.0, 5.0, 0.0]])
    x.amax(dim=1).sum().backward()
    assert_close(x.grad, [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])
    x = leaf([[0.0, 4.0], [0.0, -1.0]])
    x.amin(axis=0, keepdims=True).backward(np.array([[2.0, 3.0]]))
    assert_close(x.grad, [[1.0, 0.0], [1.0, 3.0]])
    x = leaf([1.0, 3.0, 3.0, 0.0])
    x.amax().backward()
    assert_close(x.grad, [0.0, 0.5, 0.5, 0.0])


def test_max_min_with_a_dim_send_the_gradient_to_the_returned_index():
    x = leaf([[2.0, 2.0, 2.0], [1.0, 5.0, 0.0]])
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(indices.numpy(), [0, 1])  # the first of tied maxima
    values.sum().backward()
    assert_close(x.grad, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    x = leaf([[0.0, 4.0], [0.0, -1.0]])
    values, indices = x.min(0, keepdim=True)
    np.testing.assert_array_equal(indices.numpy(), [[0, 1]])
    values.backward(np.array([[2.0, 3.0]]))
    assert_close(x.grad, [[2.0, 0.0], [0.0, 3.0]])


def test_op_names_are_pytorchs():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    assert x.amax().grad_fn == "amax" and x.max().grad_fn == "amax" and x.amin(0).grad_fn == "amin"
    assert x.clamp(0.0, 1.0).grad_fn == "clamp" and x.clip(0.0, 1.0).grad_fn == "clamp"
    assert x.permute(1, 0).grad_fn == "permute" and x.transpose(0, 1).grad_fn == "permute"
    assert x.T.grad_fn == "permute" and autograd.cat([x, x]).grad_fn == "cat"
    assert {"amax", "amin", "clamp", "permute", "cat"} <= set(autograd.OPS)
    assert not {"max", "min", "clip", "transpose", "concatenate"} & set(autograd.OPS)


def test_maximum_minimum_tie_gradient_is_split_evenly():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([1.0, 0.0, 3.0])
    autograd.maximum(a, b).sum().backward()
    assert_close(a.grad, [0.5, 1.0, 0.5])
    assert_close(b.grad, [0.5, 0.0, 0.5])
    a, b = leaf([1.0, 2.0]), leaf(1.0)
    autograd.minimum(a, b).sum().backward()
    assert_close(a.grad, [0.5, 0.0])
    assert_close(b.grad, 1.5)


def test_relu_abs_clip_subgradients_at_the_kink():
    x = leaf([0.0, -1.0, 2.0])
    (x.relu() + x.abs()).sum().backward()
    assert_close(x.grad, [0.0, -1.0, 2.0])
    y = leaf([-1.0, 0.5, 1.0, 2.0])
    y.clip(-1.0, 1.0).sum().backward()
    assert_close(y.grad, [1.0, 1.0, 1.0, 0.0])  # both bounds included, as PyTorch's clamp


def test_pow_with_a_tensor_exponent_at_zero_and_negative_bases():
    # d(x^y)/dy = x^y log(x): 0 at x = 0 (x^y is flat there), nan for x < 0, as in PyTorch
    x, y = leaf([0.0, 1.0, 2.0, -1.0]), leaf(2.0)
    (x ** y).sum().backward()
    assert_close(x.grad, [0.0, 2.0, 4.0, -2.0])
    assert np.isnan(y.grad.numpy())
    x, y = leaf([0.0, 2.0]), leaf(2.0)
    (x ** y).sum().backward()
    assert_close(y.grad, 4.0 * np.log(2.0))


def test_value_pow_with_a_value_exponent_at_zero_and_negative_bases():
    a, b = Value(-2.0), Value(3.0, requires_grad=False)
    (a ** b).backward()  # b needs no gradient: log(-2) must not be taken as a float
    assert a.grad == pytest.approx(12.0)
    a, b = Value(0.0), Value(2.0)
    (a ** b).backward()
    assert a.grad == 0.0 and b.grad == 0.0
    a, b = Value(-2.0), Value(2.0)
    (a ** b).backward()
    assert a.grad == pytest.approx(-4.0) and np.isnan(b.grad)


def test_comparisons_return_bool_tensors_without_grad():
    x = leaf([1.0, 2.0, 3.0])
    other = Tensor([2.0, 2.0, 2.0])
    cases = [(x < 2.0, [1, 0, 0]), (x <= 2.0, [1, 1, 0]), (x > other, [0, 0, 1]),
             (x >= other, [0, 1, 1]), (x == 2.0, [0, 1, 0]), (x != other, [1, 0, 1])]
    for result, expected in cases:
        assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
        np.testing.assert_array_equal(result.numpy(), np.array(expected, dtype=bool))
    assert {x: 1}[x] == 1  # == is elementwise, yet tensors stay hashable


def test_argmax():
    x = leaf([[1.0, 3.0, 2.0], [4.0, 0.0, 4.5]])
    a = x.argmax(axis=1)
    assert a.dtype == np.int64 and not a.requires_grad
    np.testing.assert_array_equal(a.numpy(), [1, 2])
    assert int(x.argmax().item()) == 5
    assert x.argmax(axis=0, keepdims=True).shape == (1, 3)


def test_operators_with_numbers_and_arrays_on_either_side():
    x = leaf([1.0, 2.0])
    arr = np.array([3.0, 4.0])
    y = 2.0 * x + arr - x / 4.0 + 1.0 / x - arr * x + x ** 2 + 3.0 ** x - 1 + (arr @ x)
    d = x.numpy()
    assert_close(y, 2 * d + arr - d / 4 + 1 / d - arr * d + d ** 2 + 3 ** d - 1 + arr @ d)
    y.sum().backward()
    assert_close(x.grad, 2 - 0.25 - 1 / d ** 2 - arr + 2 * d + 3 ** d * np.log(3) + 2 * arr)
    assert isinstance(arr + x, Tensor) and isinstance(arr @ x, Tensor)


def test_matmul_shapes():
    rng = np.random.default_rng(0)
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((4, 2, 3), (3, 5))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        assert_close(Tensor(a) @ Tensor(b), a @ b, rtol=1e-12)


# --- clear errors --------------------------------------------------------------------------

@pytest.mark.parametrize("sa, sb", [((2, 3), (4, 2)), ((3,), (4,)), ((2, 3, 4), (5, 4, 2)),
                                    ((2, 3), (2,))])
def test_matmul_of_incompatible_shapes_names_both(sa, sb):
    with pytest.raises(ValueError) as info:
        Tensor(np.ones(sa)) @ Tensor(np.ones(sb))
    assert str(sa) in str(info.value) and str(sb) in str(info.value)


def test_matmul_of_a_0d_operand_raises():
    with pytest.raises(ValueError):
        Tensor(2.0) @ Tensor(np.ones(2))


@pytest.mark.parametrize("fn", [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: b - a,
                                lambda a, b: autograd.maximum(a, b),
                                lambda a, b: autograd.where(np.ones((2, 3), bool), a, b)])
def test_broadcasting_failure_names_both_shapes(fn):
    with pytest.raises(ValueError) as info:
        fn(Tensor(np.ones((2, 3))), Tensor(np.ones((4,))))
    assert "(2, 3)" in str(info.value) and "(4,)" in str(info.value)


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="gradient"):
        (x * 2.0).backward()
    with pytest.raises(ValueError):
        (x * 2.0).backward(np.ones(3))
    (x * 2.0).backward(np.array([1.0, -1.0]))
    assert_close(x.grad, [2.0, -2.0])
    (x * 2.0).sum(keepdims=True).backward()  # one element: no gradient needed
    assert_close(x.grad, [4.0, 0.0])


def test_backward_of_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        Tensor([1.0]).sum().backward()


@pytest.mark.parametrize("bad", ["a", {"a": 1}, Value(1.0), None, object()])
def test_mixing_a_tensor_with_an_unsupported_type_names_it(bad):
    x = Tensor([1.0, 2.0])
    name = type(bad).__name__
    for fn in (lambda: x + bad, lambda: bad + x, lambda: x * bad, lambda: x - bad,
               lambda: x / bad, lambda: x @ bad, lambda: autograd.maximum(x, bad)):
        with pytest.raises(TypeError, match=name):
            fn()


def test_value_with_a_tensor_raises_type_error():
    with pytest.raises(TypeError, match="Tensor"):
        Value(1.0) + Tensor([1.0])
    with pytest.raises(TypeError, match="str"):
        Value(1.0) * "a"


# --- comparison with PyTorch (only where it is installed) -------------------------------------

def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b, w = rng.standard_normal((4, 3)), rng.standard_normal((3,)), rng.standard_normal((3, 2))
    a[0, 1] = a[0, 2]  # a tie for the max

    def ours():
        x, y, m = leaf(a), leaf(b), leaf(w)
        z = ((x * y).tanh() @ m).logsumexp(dim=0) + x.amax(dim=1).sum() + (x - y).abs().mean()
        z = z + autograd.maximum(x, y).sigmoid().var(dim=0).sum() + (x[[0, 0, 2]] ** 2).sum()
        z = z + x.max(dim=1).values.sum() + x.min(0)[0].sum() + x.var(dim=1, correction=0).sum()
        z.sum().backward()
        return z.numpy(), x.grad.numpy(), y.grad.numpy(), m.grad.numpy()

    def theirs():
        x, y, m = (torch.tensor(v, requires_grad=True) for v in (a, b, w))
        z = ((x * y).tanh() @ m).logsumexp(dim=0) + x.amax(dim=1).sum() + (x - y).abs().mean()
        z = z + torch.maximum(x, y).sigmoid().var(dim=0).sum() + (x[[0, 0, 2]] ** 2).sum()
        z = z + x.max(dim=1).values.sum() + x.min(0)[0].sum() + x.var(dim=1, correction=0).sum()
        z.sum().backward()
        return z.detach().numpy(), x.grad.numpy(), y.grad.numpy(), m.grad.numpy()

    for mine, reference in zip(ours(), theirs()):
        assert_close(mine, reference, rtol=1e-10)


def test_builtin_abs_works_on_tensor_and_value():
    from autograd import Value

    t = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    abs(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [1.0, -1.0, 1.0])
    v = Value(-3.0)
    abs(v).backward()
    assert abs(v).data == 3.0 and v.grad == -1.0


def test_from_numpy_shares_memory_and_tensor_copies():
    from autograd import from_numpy

    array = np.array([1.0, 2.0])
    shared, copied = from_numpy(array), Tensor(array)
    array[0] = 5.0
    assert shared.numpy()[0] == 5.0 and copied.numpy()[0] == 1.0
    assert shared.dtype == np.float64 and not shared.requires_grad
    with pytest.raises(TypeError, match="np.ndarray"):
        from_numpy([1.0, 2.0])
