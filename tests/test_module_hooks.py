"""Module hooks: forward pre-hooks, forward hooks, full backward (pre-)hooks; PyTorch parity."""
import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor

RNG = np.random.default_rng(0)
RNG_A, RNG_B = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2))


def leaf(*shape):
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


class Pair(nn.Module):
    """Two tensor inputs and a number; two outputs (the second from ``a`` only)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, a, b, k):
        return self.fc(a) * b, a.sum() * k


# --- forward hooks ----------------------------------------------------------------------

def test_forward_pre_hook_can_replace_args_and_is_removable():
    layer = nn.Identity()
    seen = []
    handle = layer.register_forward_pre_hook(lambda m, args: seen.append(args) or args[0] * 2)
    x = Tensor([1.0, 2.0])
    assert layer(x).tolist() == [2.0, 4.0]
    assert seen[0][0] is x and isinstance(seen[0], tuple)
    handle.remove()
    handle.remove()  # a second remove does nothing
    assert layer(x).tolist() == [1.0, 2.0]
    with layer.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] + 1,), kwargs),
                                         with_kwargs=True):
        assert layer(x).tolist() == [2.0, 3.0]
    assert layer(x).tolist() == [1.0, 2.0]
    with layer.register_forward_pre_hook(lambda m, args, kwargs: 3, with_kwargs=True):
        with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
            layer(x)


def test_forward_hook_sees_args_and_output_and_may_replace_it():
    layer = nn.Linear(2, 1)
    order = []
    layer.register_forward_hook(lambda m, args, out: order.append("first"))
    layer.register_forward_hook(lambda m, args, out: order.append("prepended"), prepend=True)
    layer.register_forward_hook(lambda m, args, kwargs, out: out * 0, with_kwargs=True)
    out = layer(Tensor([[1.0, 2.0]]))
    assert order == ["prepended", "first"] and out.tolist() == [[0.0]]
    with pytest.raises(TypeError, match="callable"):
        layer.register_forward_hook(3)


def test_hooks_run_in_nested_modules_and_collect_activations():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    activations = {}
    for name, module in model.named_children():
        module.register_forward_hook(
            lambda m, args, out, name=name: activations.__setitem__(name, out.shape))
    model(Tensor(np.ones((4, 2), dtype=np.float32)))
    assert activations == {"0": (4, 3), "1": (4, 3), "2": (4, 1)}


# --- backward hooks ---------------------------------------------------------------------

def test_full_backward_hook_gets_input_and_output_gradients():
    layer = nn.Linear(3, 2).double()
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append((m, gi, go)))
    x = leaf(4, 3)
    y = layer(x)
    weight = RNG.standard_normal((4, 2))
    (y * Tensor(weight)).sum().backward()
    (module, grad_input, grad_output), = calls
    assert module is layer and len(grad_input) == len(grad_output) == 1
    np.testing.assert_allclose(grad_output[0].numpy(), weight)
    np.testing.assert_allclose(grad_input[0].numpy(), weight @ layer.weight.numpy())
    np.testing.assert_allclose(x.grad.numpy(), grad_input[0].numpy())


def test_an_output_without_gradient_gives_none_and_non_tensor_args_count():
    class Split(nn.Module):
        def forward(self, a, scale):
            return a * scale, a * 3

    module = Split()
    calls = []
    module.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go)))
    a = leaf(2)
    first, _ = module(a, 2.0)
    first.sum().backward()
    (grad_input, grad_output), = calls
    assert grad_output[1] is None and grad_output[0].tolist() == [1.0, 1.0]
    assert len(grad_input) == 2 and grad_input[1] is None and grad_input[0].tolist() == [2.0, 2.0]


def test_backward_hook_replacing_grad_input_changes_what_flows_on():
    layer = nn.Linear(3, 2).double()
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 1,))
    x = leaf(4, 3)
    layer(x).sum().backward()
    assert (x.grad.numpy() == 1).all()
    assert layer.weight.grad is not None  # parameter gradients are not grad_input


def test_backward_hook_when_no_input_requires_grad():
    layer = nn.Linear(3, 2).double()
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append((gi, go)))
    layer(Tensor(np.ones((1, 3)))).sum().backward()
    (grad_input, grad_output), = calls
    assert grad_input == (None,) and grad_output[0].tolist() == [[1.0, 1.0]]
    layer.register_full_backward_hook(lambda m, gi, go: (Tensor(np.ones((1, 3))),))
    with pytest.raises(RuntimeError, match="no input of this module requires grad"):
        layer(Tensor(np.ones((1, 3)))).sum().backward()


def test_backward_hook_errors_name_the_hook():
    def wrong_count(module, grad_input, grad_output):
        return (None, None)

    def wrong_shape(module, grad_input, grad_output):
        return (Tensor(np.ones(7)),)

    for hook, message in [(wrong_count, "invalid number of grad_input, got 2, but expected 1"),
                          (wrong_shape, r"wrong_shape.*shape \(7,\)")]:
        layer = nn.Linear(3, 2).double()
        layer.register_full_backward_hook(hook)
        with pytest.raises(RuntimeError, match=message):
            layer(leaf(4, 3)).sum().backward()


def test_backward_pre_hook_can_replace_grad_output():
    layer = nn.Linear(3, 2).double()
    seen = []
    layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    layer.register_full_backward_hook(lambda m, gi, go: seen.append(go[0].numpy().copy()))
    x = leaf(4, 3)
    layer(x).sum().backward()
    assert (seen[0] == 2).all()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.ones((4, 2)) @ layer.weight.numpy())


def test_backward_hooks_fire_per_call_under_grad_and_not_under_no_grad():
    layer = nn.Linear(3, 3).double()
    calls = []
    handle = layer.register_full_backward_hook(lambda m, gi, go: calls.append(gi[0].shape))
    x = leaf(2, 3)
    layer(layer(x)).sum().backward()
    assert calls == [(2, 3), (2, 3)]
    (gx,) = autograd.grad(layer(x).sum(), x)
    assert len(calls) == 3 and gx.shape == (2, 3)
    with autograd.no_grad():
        assert not layer(x).requires_grad
    handle.remove()
    layer(x).sum().backward()
    assert len(calls) == 3


# --- PyTorch parity ---------------------------------------------------------------------

def test_hooks_match_pytorch_on_a_two_input_two_output_module():
    torch = pytest.importorskip("torch")

    class TorchPair(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)

        def forward(self, a, b, k):
            return self.fc(a) * b, a.sum() * k

    def run(module, make):
        record = []

        def pre(m, grad_output):
            record.append([g.detach().numpy().copy() for g in grad_output])
            return (grad_output[0] * 3, grad_output[1])

        def full(m, grad_input, grad_output):
            record.append([None if g is None else g.detach().numpy().copy() for g in grad_input])
            return (grad_input[0] * 2, grad_input[1], None)

        module.register_full_backward_pre_hook(pre)
        module.register_full_backward_hook(full)
        a, b = make(RNG_A, True), make(RNG_B, True)
        y, z = module(a, b, 5.0)
        ((y * y).sum() + z).backward()
        grads = [a.grad.detach().numpy(), b.grad.detach().numpy(), module.fc.weight.grad.numpy()]
        return record, grads

    theirs = TorchPair().double()
    ours = Pair().double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    record_t, grads_t = run(theirs, lambda a, g: torch.tensor(a, requires_grad=g))
    record_o, grads_o = run(ours, lambda a, g: Tensor(a, requires_grad=g))
    assert len(record_t) == len(record_o) == 2 and record_o[1][2] is None
    for got, want in zip(record_o[0] + record_o[1][:2] + grads_o,
                         record_t[0] + record_t[1][:2] + grads_t):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)


def test_forward_hooks_match_pytorch_call_order():
    torch = pytest.importorskip("torch")

    def trace(module, log):
        module.register_forward_pre_hook(lambda m, args: log.append("pre"))
        module.register_forward_hook(lambda m, args, out: log.append("post"))
        module.register_forward_pre_hook(lambda m, args: log.append("pre0"), prepend=True)
        return module

    logs = [], []
    trace(torch.nn.Linear(2, 2), logs[0])(torch.ones(1, 2))
    trace(nn.Linear(2, 2), logs[1])(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert logs[0] == logs[1] == ["pre0", "pre", "post"]
