"""Tensor's elementwise methods, reductions, comparisons and operators as API.md lists them:
values, the subgradients at kinks and ties, the errors they raise (naming shapes and operand
types) and one composite expression checked against PyTorch."""
import numpy as np
import pytest

import autograd
from autograd import Tensor, Value


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def assert_close(actual, expected, rtol=1e-7, atol=1e-12):
    actual = actual.numpy() if isinstance(actual, Tensor) else actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


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
