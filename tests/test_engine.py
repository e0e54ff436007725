"""Engine semantics: accumulation, retain_graph, create_graph, grad modes, grad(), hooks,
retain_grad, deep chains, memory release, and jacobian/hessian against closed forms."""
import gc
import weakref

import numpy as np
import pytest

import autograd
from autograd import Tensor, Value, enable_grad, grad, gradcheck, no_grad
from autograd.functional import hessian, jacobian


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    actual = actual.numpy() if isinstance(actual, Tensor) else actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@pytest.fixture
def gc_disabled():
    """Run a test with the cyclic garbage collector off, so only reference counting frees."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


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
