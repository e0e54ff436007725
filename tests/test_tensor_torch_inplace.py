"""In-place ops against PyTorch: ``add_ sub_ mul_ div_ zero_ fill_ clamp_ copy_ normal_ uniform_``
and ``+= -= *= /=`` on plain tensors (values, ``self`` returned), on graph tensors (recorded:
gradients equal torch's), on leaves that require grad (RuntimeError), and the ``.data`` updates
of an optimizer step (``p.data += -lr * p.grad`` ...), which change the leaf unrecorded."""
import numpy as np
import pytest
from torch_compare import compare, constant, float64, outcome

import kissgrad as kg

A, B = float64(3, 4, seed=8), float64(3, 4, seed=9, low=0.5, high=2.0)

IN_PLACE = {  # fn(t, v): the in-place call under test; returns what the call returned
    "add_": lambda t, v: t.add_(v), "add_-alpha": lambda t, v: t.add_(v, alpha=2),
    "add_-number": lambda t, v: t.add_(1.5), "sub_": lambda t, v: t.sub_(v),
    "sub_-alpha": lambda t, v: t.sub_(v, alpha=0.5), "mul_": lambda t, v: t.mul_(v),
    "mul_-number": lambda t, v: t.mul_(2.0), "mul_-row": lambda t, v: t.mul_(v[0]),
    "div_": lambda t, v: t.div_(v),
    "div_-number": lambda t, v: t.div_(4.0), "zero_": lambda t, v: t.zero_(),
    "fill_": lambda t, v: t.fill_(3.5),
    "clamp_": lambda t, v: t.clamp_(-0.5, 0.5), "clamp_-min": lambda t, v: t.clamp_(min=0.0),
    "clamp_-max": lambda t, v: t.clamp_(max=0.2), "copy_": lambda t, v: t.copy_(v),
    "copy_-broadcast": lambda t, v: t.copy_(v[1]),
}
OPERATORS = {"+=": lambda t, v: t.__iadd__(v), "-=": lambda t, v: t.__isub__(v),
             "*=": lambda t, v: t.__imul__(v), "/=": lambda t, v: t.__itruediv__(v)}
ALL = {**IN_PLACE, **OPERATORS}


@pytest.mark.parametrize("call", ALL.values(), ids=ALL.keys())
def test_in_place_on_a_plain_tensor_matches_torch(call):
    def fn(lib, t, v):
        storage = t.numpy()
        returned = call(t, v)
        return returned is t, np.shares_memory(t.numpy(), storage), t
    compare(fn, A, B, grad=False)


def _graph_params():
    return [pytest.param(call, id=name) for name, call in ALL.items()]


@pytest.mark.parametrize("call", _graph_params())
def test_in_place_on_a_graph_tensor_is_recorded_like_torch(call):
    def fn(lib, x, v):
        y = x * 1
        call(y, v)
        return y, y.is_leaf
    compare(fn, A, B)


def test_chained_in_place_ops_on_a_graph_tensor_match_torch():
    def fn(lib, x, v):
        y = x.sin()
        y += v
        y *= x
        y.sub_(v, alpha=0.5)
        y /= 2
        return y * x
    compare(fn, A, B)


@pytest.mark.parametrize("call", [*ALL.values(), lambda t, v: t.normal_(), lambda t, v: t.uniform_(),
                                  lambda t, v: t.__setitem__(0, 1.0)],
                                  ids=[*ALL, "normal_", "uniform_", "setitem"])
def test_in_place_on_a_leaf_that_requires_grad_raises_like_torch(call):
    torch = pytest.importorskip("torch")
    theirs = outcome(call, constant(torch, A).requires_grad_(), constant(torch, B))
    assert isinstance(theirs, RuntimeError)
    with pytest.raises(RuntimeError, match="leaf"):
        call(constant(kg, A).requires_grad_(), constant(kg, B))


@pytest.mark.parametrize("call", ALL.values(), ids=ALL.keys())
def test_in_place_on_a_leaf_under_no_grad_matches_torch(call):
    def fn(lib, x, v):
        with lib.no_grad():
            call(x, v)
        return x.detach(), x.is_leaf, x.requires_grad
    compare(fn, A, B, grad=False)


INTEGER = {"add_": lambda t: t.add_(2), "mul_": lambda t: t.mul_(3), "mul_-float": lambda t: t.mul_(2.5),
           "div_": lambda t: t.div_(2), "+=float": lambda t: t.__iadd__(0.5), "fill_": lambda t: t.fill_(7),
           "clamp_": lambda t: t.clamp_(0, 5), "copy_-float": lambda t: t.copy_(t.float() * 1.5)}


@pytest.mark.parametrize("call", INTEGER.values(), ids=INTEGER.keys())
def test_in_place_on_an_integer_tensor_casts_or_raises_like_torch(call):
    torch = pytest.importorskip("torch")
    data = np.arange(6, dtype=np.int64).reshape(2, 3)
    theirs = outcome(call, constant(torch, data))
    ours = outcome(call, constant(kg, data))
    if isinstance(theirs, Exception):
        assert isinstance(ours, RuntimeError), f"torch raises {theirs!r}; kissgrad gives {ours!r}"
    else:
        assert ours.dtype == kg.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# --- .data: the optimizer's unrecorded update ----------------------------------------------

DATA_UPDATES = {
    "data+=": lambda lib, p: p.data.__iadd__(-0.1 * p.grad),
    "data.add_": lambda lib, p: p.data.add_(p.grad, alpha=-0.1),
    "data.zero_": lambda lib, p: p.data.zero_(), "data.mul_": lambda lib, p: p.data.mul_(0.5),
    "data=": lambda lib, p: setattr(p, "data", p.detach() - 0.1 * p.grad),
    "data.copy_": lambda lib, p: p.data.copy_(p.grad),
    "no_grad-sub_": lambda lib, p: _no_grad(lib, p.sub_, p.grad),
}


def _no_grad(lib, fn, *args):
    with lib.no_grad():
        fn(*args)


@pytest.mark.parametrize("update", DATA_UPDATES.values(), ids=DATA_UPDATES.keys())
def test_data_updates_change_the_leaf_without_recording_like_torch(update):
    def fn(lib):
        p = constant(lib, A).requires_grad_()
        (p * p).sum().backward()
        grad = p.grad.clone()
        update(lib, p)
        state = (p.detach().clone(), p.grad.clone(), p.is_leaf, p.requires_grad, p.grad_fn is None)
        (p * 3).sum().backward()  # the leaf still works: the new gradient adds to the old one
        return state, p.grad - grad
    compare(fn, grad=False)


def test_data_updates_documented():
    p = kg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (p * p).sum().backward()
    p.data += -0.5 * p.grad
    np.testing.assert_allclose(p.detach().numpy(), [0.0, 0.0])
    p.data = kg.tensor([3.0, 4.0])
    p.data.add_(p.grad, alpha=-1)
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 0.0])
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    p.data.zero_()
    assert p.detach().tolist() == [0.0, 0.0]


def test_in_place_documented_without_torch():
    t = kg.zeros(3)
    assert t.add_(kg.ones(3), alpha=2) is t and t.tolist() == [2, 2, 2]
    assert t.mul_(3).sub_(1).div_(5).tolist() == [1, 1, 1] and t.fill_(4).clamp_(max=2).tolist() == [2, 2, 2]
    x = kg.tensor([1.0, -2.0], requires_grad=True)
    y = x * 1
    y += x
    y.sum().backward()
    assert x.grad.tolist() == [2, 2]
    with pytest.raises(RuntimeError, match="leaf"):
        x += 1
