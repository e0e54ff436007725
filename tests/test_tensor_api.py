"""Tensor's public surface as API.md lists it: dtype rules and promotion, factories, attributes
and conversions. Shapes and indexing: test_tensor_api_shape.py; elementwise methods,
reductions, comparisons, operators and their errors: test_tensor_api_math.py."""
import numpy as np
import pytest

import autograd
from autograd import Tensor


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


def test_from_numpy_shares_memory_and_tensor_copies():
    from autograd import from_numpy

    array = np.array([1.0, 2.0])
    shared, copied = from_numpy(array), Tensor(array)
    array[0] = 5.0
    assert shared.numpy()[0] == 5.0 and copied.numpy()[0] == 1.0
    assert shared.dtype == np.float64 and not shared.requires_grad
    with pytest.raises(TypeError, match="np.ndarray"):
        from_numpy([1.0, 2.0])
