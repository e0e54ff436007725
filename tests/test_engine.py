"""Engine semantics: accumulation, retain_graph, create_graph (gradients of gradients), grad
modes and grad(). Hooks and retain_grad: test_engine_hooks.py; order, deep graphs and memory:
test_engine_memory.py; indexing and in-place ops: test_engine_in_place.py."""

import numpy as np
import pytest
from engine_helpers import assert_close, leaf

import autograd
from autograd import Tensor, Value, enable_grad, grad, gradcheck, no_grad

# --- accumulation ----------------------------------------------------------------------

def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, -2.0, 3.0])
    (x * x).sum().backward()
    assert_close(x.grad, [2.0, -4.0, 6.0])
    (x * x * x).sum().backward()
    assert_close(x.grad, np.array([2.0, -4.0, 6.0]) + 3 * np.array([1.0, 4.0, 9.0]))
    x.zero_grad()
    assert x.grad is None
    (x * 5.0).sum().backward()
    assert_close(x.grad, [5.0, 5.0, 5.0])


def test_gradients_from_several_uses_add_up():
    x = leaf(2.0)
    y = x * x + x * 3.0 + x.exp()   # d/dx = 2x + 3 + e^x
    y.backward()
    assert_close(x.grad, 4.0 + 3.0 + np.exp(2.0))


def test_value_gradients_accumulate():
    a = Value(3.0)
    (a * a).backward()
    (a * 2).backward()
    assert a.grad == pytest.approx(8.0)
    a.zero_grad()
    assert a.grad == 0.0


def test_micrograd_readme_example():
    # micrograd's README expression; its printed results are 24.7041, 138.8338, 645.5773
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.7041, abs=1e-4)
    assert a.grad == pytest.approx(138.8338, abs=1e-4)
    assert b.grad == pytest.approx(645.5773, abs=1e-4)
    assert type(a.grad) is float and type(g.data) is float


def test_gradient_keeps_the_leaf_dtype_and_shape():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = Tensor(np.ones(3), requires_grad=True)  # float64
    (x * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)
    assert y.grad.dtype == np.float64 and y.grad.shape == (3,)
    assert_close(y.grad, [2.0, 2.0, 2.0])


def test_leaf_grad_is_its_own_array():
    x = leaf([1.0, 2.0])
    seed = np.array([1.0, 1.0])
    (x + 0.0).backward(seed)
    x.grad.data[0] = 100.0  # PyTorch's .data writes through to the gradient's storage
    assert x.grad[0].item() == 100.0
    assert seed[0] == 1.0  # the leaf's .grad does not alias the caller's array


# --- retain_graph ----------------------------------------------------------------------

def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    assert_close(x.grad, [2.0, 4.0])  # the failed call added nothing


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).exp().sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward(retain_graph=True)
    assert_close(x.grad, 2 * first)
    y.backward()
    assert_close(x.grad, 3 * first)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_grad_releases_the_graph_too():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        grad(y, x)


def test_value_second_backward_raises():
    a = Value(2.0)
    b = a * a + 1
    b.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        b.backward()


def test_released_graph_is_still_drawable():
    x = leaf([1.0, 2.0])
    y = (x * 2.0).sum()
    y.backward()
    assert y.grad_fn == "sum" and y.parents[0].grad_fn == "mul"
    assert y.parents[0].parents[0] is x


# --- create_graph: gradients of gradients ----------------------------------------------

def test_second_derivative_of_cube():
    x = leaf([0.5, -1.0, 2.0])
    (g,) = grad((x ** 3).sum(), x, create_graph=True)
    assert g.requires_grad
    assert_close(g, 3 * x.numpy() ** 2)
    (h,) = grad(g.sum(), x)
    assert_close(h, 6 * x.numpy())


def test_third_derivative_of_sin():
    x = leaf([0.3, 1.1])
    (g1,) = grad(x.sin().sum(), x, create_graph=True)
    (g2,) = grad(g1.sum(), x, create_graph=True)
    (g3,) = grad(g2.sum(), x)
    assert_close(g3, -np.cos(x.numpy()))


def test_backward_create_graph_then_differentiate_leaf_grad():
    x = leaf([1.5, -0.5])
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    x.grad = None
    g.sum().backward()
    assert_close(x.grad, 6 * np.array([1.5, -0.5]))


def test_hessian_vector_product():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    v = rng.standard_normal(3)
    x = leaf(rng.standard_normal(3))
    f = 0.5 * (x @ (Tensor(a) @ x)) + x.sin().sum()
    (g,) = grad(f, x, create_graph=True)
    (hv,) = grad(g, x, grad_outputs=v)
    hessian_closed = 0.5 * (a + a.T) - np.diag(np.sin(x.numpy()))
    assert_close(hv, hessian_closed @ v)


def test_gradient_penalty_closed_form():
    # f = sum(w * x**2): df/dx = 2 w x, penalty = sum((2 w x)**2), dpenalty/dw = 8 w x**2
    x = leaf([1.0, -2.0, 0.5])
    w = leaf([0.3, 0.7, -1.2])
    (gx,) = grad((w * x ** 2).sum(), x, create_graph=True)
    penalty = (gx ** 2).sum()
    penalty.backward()
    assert_close(w.grad, 8 * w.numpy() * x.numpy() ** 2)
    assert_close(x.grad, 8 * w.numpy() ** 2 * x.numpy())


def test_gradient_penalty_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)

    def penalty(w):
        (gx,) = grad((x @ w).tanh().sum(), x, create_graph=True)
        return ((gx * gx).sum(axis=1).sqrt() - 1.0) ** 2

    assert gradcheck(penalty, (Tensor(rng.standard_normal((3, 2)), requires_grad=True),))


def test_create_graph_gradient_keeps_the_input_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    w = Tensor(np.array([3.0, 4.0]))  # float64: the computation runs in float64
    (g,) = grad((x * x * w).sum(), x, create_graph=True)
    assert g.dtype == np.float32 and g.requires_grad
    assert_close(g, 2 * x.numpy() * w.numpy())
    (h,) = grad(g.sum(), x)
    assert h.dtype == np.float32
    assert_close(h, 2 * w.numpy())


def test_value_create_graph():
    a = Value(1.5)
    (a ** 3).backward(create_graph=True)
    g = a.grad
    assert isinstance(g, Value) and g.data == pytest.approx(3 * 1.5 ** 2)
    a.zero_grad()
    g.backward()
    assert a.grad == pytest.approx(6 * 1.5)


# --- no_grad / enable_grad ---------------------------------------------------------------

def test_no_grad_context_records_nothing():
    x = leaf([1.0, 2.0])
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = (x * 2.0).exp()
    assert autograd.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf and y.parents == ()
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_no_grad_decorator_and_nested_enable_grad():
    x = leaf([1.0, 2.0])

    @no_grad()
    def double(t):
        return t * 2.0

    @enable_grad()
    def triple(t):
        return t * 3.0

    assert not double(x).requires_grad
    with no_grad():
        assert triple(x).requires_grad
        with enable_grad():
            y = x * 4.0
        z = x * 5.0
    assert y.requires_grad and y.grad_fn == "mul"
    assert not z.requires_grad
    y.sum().backward()
    assert_close(x.grad, [4.0, 4.0])


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert autograd.is_grad_enabled()

    @no_grad()
    def boom():
        raise KeyError

    with pytest.raises(KeyError):
        boom()
    assert autograd.is_grad_enabled()


def test_no_grad_values():
    a = Value(2.0)
    with no_grad():
        b = a * a + 1
    assert not b.requires_grad and b.parents == () and b.data == 5.0


def test_set_grad_enabled():
    x = leaf([1.0])
    with autograd.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with autograd.set_grad_enabled(True):
        assert (x * 2).requires_grad


# --- grad() --------------------------------------------------------------------------------

def test_grad_does_not_touch_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = grad((x * x).sum(), x)
    assert_close(g, [2.0, 4.0])
    assert x.grad is None and not g.requires_grad


def test_grad_allow_unused():
    x, unused = leaf([1.0, 2.0]), leaf([3.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad((x * x).sum(), [x, unused])
    gx, gu = grad((x * x).sum(), [x, unused], allow_unused=True)
    assert_close(gx, [2.0, 4.0])
    assert gu is None


def test_grad_with_respect_to_a_non_leaf():
    x = leaf([1.0, -2.0])
    h = x * 3.0
    y = (h ** 2).sum()
    gh, gx = grad(y, [h, x])
    assert_close(gh, 2 * h.numpy())
    assert_close(gx, 18 * x.numpy())
    assert h.grad is None and x.grad is None


def test_grad_with_several_outputs_sums_their_gradients():
    x = leaf([1.0, 2.0])
    y1, y2 = (x * x).sum(), (x * 3.0).sum()
    (g,) = grad([y1, y2], x)
    assert_close(g, 2 * x.numpy() + 3.0)


def test_grad_outputs_weight_a_non_scalar_output():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x ** 2
    v = np.array([[1.0, -1.0], [0.5, 2.0]])
    (g,) = grad(y, x, grad_outputs=v)
    assert_close(g, 2 * x.numpy() * v)
    y1, y2 = x.sum(axis=0), x.exp()
    (g,) = grad([y1, y2], x, grad_outputs=[np.array([1.0, 2.0]), Tensor(v)])
    assert_close(g, np.array([[1.0, 2.0], [1.0, 2.0]]) + np.exp(x.numpy()) * v)


def test_grad_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="gradient"):
        grad(x * 2.0, x)  # non-scalar output without grad_outputs
    with pytest.raises(ValueError):
        grad([(x * 2.0).sum()], x, grad_outputs=[1.0, 1.0])
    with pytest.raises(RuntimeError):
        grad(Tensor([1.0]).sum(), x)
    with pytest.raises(RuntimeError):
        grad((x * 2.0).sum(), Tensor([1.0]))


def test_grad_of_values():
    a, b = Value(2.0), Value(-3.0)
    ga, gb = grad(a * b + a, [a, b])
    assert isinstance(ga, Value) and isinstance(gb, Value)
    assert ga.data == pytest.approx(-2.0) and gb.data == pytest.approx(2.0)
    assert a.grad == 0.0
