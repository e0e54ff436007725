"""nn.Module's modes, gradients, dtypes and state (nn/module_state.py): train/eval, zero_grad,
requires_grad_, to/double/float, state_dict and load_state_dict as PyTorch has them, deepcopy."""
import copy

import numpy as np
import pytest
from module_models import Block, mlp, snapshot

import autograd
import nn
from autograd import Tensor

# --- modes, gradients, dtypes -----------------------------------------------------------

def test_train_eval_propagate_through_overridden_train():
    calls = []

    class Logged(nn.Linear):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = nn.Sequential(Logged(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules()) and calls == [False]
    model.train()
    assert all(m.training for m in model.modules())
    model[1].eval()
    assert model.training and not model[1][0].training
    with pytest.raises(ValueError, match="bool"):
        model.train("yes")


def test_zero_grad_to_none_or_in_place():
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    model(Tensor(np.ones((3, 2), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    assert all(p.grad is g and not p.grad.numpy().any() for p, g in zip(model.parameters(), grads))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.zero_grad(set_to_none=False)  # no gradient yet: stays None
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_freezes():
    model = mlp()
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    model[0].requires_grad_()
    assert [p.requires_grad for p in model.parameters()] == [True, True, False, False]


def test_to_double_float_and_apply():
    model = Block()
    weight = model.layers[0].weight
    assert model.double() is model
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.layers[0].weight is weight  # the same Parameter objects (optimizers keep them)
    assert model.norm.num_batches_tracked.dtype == np.int64
    assert model.float().scale.dtype == np.float32
    assert model.to(np.float64).scale.dtype == np.float64
    assert model.to("cpu", dtype=np.float32).scale.dtype == np.float32
    assert model.to(device="cpu").to(Tensor(np.zeros(1))).scale.dtype == np.float64
    assert model.cpu() is model and model.half().scale.dtype == np.float16
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "ModuleList", "BatchNorm1d", "Block"]


def test_to_casts_existing_gradients_and_refuses_devices_and_int_dtypes():
    model = nn.Linear(2, 1)
    model(Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    model.double()
    assert model.weight.grad.dtype == np.float64
    for device in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU"):
            model.to(device)
    with pytest.raises(RuntimeError, match="CPU"):
        model.cuda()
    with pytest.raises(TypeError, match="floating point"):
        model.to(np.int64)
    with pytest.raises(TypeError, match="unexpected"):
        model.to(colour="red")


# --- state_dict -------------------------------------------------------------------------

def test_state_dict_names_values_and_storage_as_pytorch():
    autograd.manual_seed(0)
    a = Block()
    state = a.state_dict()
    assert list(state) == ["scale", "steps", "layers.0.weight", "layers.0.bias", "layers.1.weight",
                           "layers.1.bias", "norm.weight", "norm.bias", "norm.running_mean",
                           "norm.running_var", "norm.num_batches_tracked"]
    assert all(isinstance(v, Tensor) and not v.requires_grad for v in state.values())
    assert np.shares_memory(state["scale"].numpy(), a.scale.numpy())  # as PyTorch: no copy
    frozen = copy.deepcopy(a.state_dict())  # the snapshot idiom
    with autograd.no_grad():
        a.scale.numpy()[0] = 99.0
    assert state["scale"].tolist()[0] == 99.0 and frozen["scale"].tolist()[0] == 1.0
    kept = a.state_dict(keep_vars=True)
    assert kept["scale"] is a.scale and kept["layers.0.weight"] is a.layers[0].weight
    assert list(a.state_dict(prefix="model.")) [0] == "model.scale"


def test_load_state_dict_copies_into_the_existing_arrays():
    autograd.manual_seed(0)
    a, b = Block(), Block()
    a.norm.running_mean.numpy()[...] = [0.5, -0.5]
    weight_array = b.layers[0].weight.numpy()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.layers[0].weight.numpy() is weight_array  # values copied into the existing arrays
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=name)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32))
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    plain = {k: v.numpy().astype(np.float64) for k, v in a.state_dict().items()}
    b.load_state_dict(plain)  # ndarrays of another float dtype are cast, as copy_ does
    assert b.scale.dtype == np.float32
    b.load_state_dict(plain, assign=True)
    assert b.scale.dtype == np.float64 and np.shares_memory(b.scale.numpy(), plain["scale"])


def test_load_state_dict_rejects_missing_unexpected_and_wrong_shapes():
    model = mlp()
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    del state["3.bias"]
    state["4.weight"] = np.zeros(3)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "3.bias"') as info:
        model.load_state_dict(state)
    assert '"4.weight"' in str(info.value)
    wrong = snapshot(mlp())
    wrong["0.weight"] = np.zeros((5, 2))
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(5, 2\).*\(4, 2\)"):
        model.load_state_dict(wrong)
    before = snapshot(model)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["3.bias"] and result.unexpected_keys == ["4.weight"]
    np.testing.assert_array_equal(model.state_dict()["3.bias"].numpy(), before["3.bias"])
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight"):
        model.load_state_dict(wrong, strict=False)
    for name, value in snapshot(model).items():  # a failed load changes nothing
        if name != "3.bias":
            np.testing.assert_array_equal(value, state[name] if name in state else before[name])
    with pytest.raises(TypeError, match="dict-like"):
        model.load_state_dict([1, 2])
    with pytest.raises(RuntimeError, match="non-numeric"):
        model.load_state_dict({**state, "3.bias": "text"}, strict=False)


def test_deepcopy_gives_an_independent_model():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.GRU(3, 4))
    calls = []
    model[0].register_forward_hook(lambda m, args, out: calls.append(m))
    twin = copy.deepcopy(model)
    assert twin[0].weight is not model[0].weight
    assert not np.shares_memory(twin[0].weight.numpy(), model[0].weight.numpy())
    assert list(twin.state_dict()) == list(model.state_dict())
    twin[0](Tensor(np.ones((1, 2), dtype=np.float32)))
    assert len(calls) == 1 and calls[0] is not model[0]  # hooks are copied with the module
