"""nn.Module: registration, traversal, repr, containers, training end to end. Modes, dtypes
and state_dict (module_state.py's half of Module): test_module_state.py."""

import numpy as np
import pytest
from module_models import Block, mlp

import autograd
import nn
import nn.functional as F
from autograd import Tensor

# --- Parameter and registration ---------------------------------------------------------

def test_parameter_is_a_leaf_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert nn.Parameter(np.zeros(2)).dtype == np.float64
    t = Tensor([3.0])
    q = nn.Parameter(t)
    assert not np.shares_memory(q.numpy(), t.numpy()) and q.tolist() == [3.0]
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert repr(p).startswith("Parameter containing:\nTensor(")
    assert type(p * 2) is Tensor
    with pytest.raises(TypeError):
        nn.Parameter(np.array([1, 2]))


def test_registration_by_assignment():
    block = Block()
    assert list(block._parameters) == ["scale"]
    assert list(block._modules) == ["layers", "norm"]
    assert "steps" in block._buffers and "note" not in block._buffers
    assert block.scale is block._parameters["scale"]
    block.extra = nn.Linear(1, 1)
    assert "extra" in dict(block.named_children())
    with pytest.raises(TypeError, match="extra"):
        block.extra = 3  # as PyTorch: a registered module is replaced by a Module or None
    block.extra = None
    assert "extra" not in dict(block.named_children())
    del block.extra
    block.extra = 3
    assert "extra" not in block._modules and block.extra == 3
    with pytest.raises(TypeError, match="scale"):
        block.scale = Tensor([1.0, 1.0])
    block.scale = None
    assert "scale" not in dict(block.named_parameters())
    del block.norm
    assert "norm" not in block._modules
    with pytest.raises(AttributeError, match="nothing"):
        block.nothing


def test_register_methods_check_names_and_types_as_pytorch():
    block = Block()
    for register, value in [(block.register_buffer, None), (block.register_parameter, None),
                            (block.add_module, None)]:
        with pytest.raises(KeyError, match="already exists"):
            register("note", value)  # a plain attribute
        with pytest.raises(KeyError, match='"."'):
            register("a.b", value)
        with pytest.raises(KeyError):
            register("", value)
        with pytest.raises(TypeError, match="string"):
            register(3, value)
    with pytest.raises(KeyError, match="already exists"):
        block.register_buffer("scale", None)  # a parameter's name
    with pytest.raises(TypeError, match="Parameter"):
        block.register_parameter("w", Tensor([1.0]))
    with pytest.raises(TypeError, match="Module subclass"):
        block.add_module("child", 3)
    block.register_buffer("mask", Tensor([1.0]), persistent=False)
    assert "mask" in dict(block.named_buffers()) and "mask" not in block.state_dict()
    block.register_buffer("mask", Tensor([0.0]))  # re-registering makes it persistent again
    assert "mask" in block.state_dict()


def test_assignment_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_forward_missing_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(Tensor([1.0]))


# --- traversal --------------------------------------------------------------------------

def test_named_parameters_children_and_modules():
    block = Block()
    assert [n for n, _ in block.named_parameters()] == [
        "scale", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "norm.weight", "norm.bias"]
    assert [n for n, _ in mlp().named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert [n for n, _ in block.named_children()] == ["layers", "norm"]
    assert len(list(block.children())) == 2
    assert [n for n, _ in block.named_modules()] == ["", "layers", "layers.0", "layers.1", "norm"]
    assert [n for n, _ in block.named_modules(prefix="m")][:2] == ["m", "m.layers"]
    assert len(list(block.modules())) == 5
    assert [n for n, _ in block.named_buffers()] == [
        "steps", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert len(list(block.parameters(recurse=False))) == 1
    assert [n for n, _ in block.named_parameters(prefix="net", recurse=False)] == ["net.scale"]
    assert block.get_submodule("layers.1") is block.layers[1]
    assert block.get_parameter("layers.0.bias") is block.layers[0].bias
    assert block.get_buffer("norm.running_var") is block.norm.running_var
    with pytest.raises(AttributeError, match="nope"):
        block.get_submodule("layers.nope")


def test_shared_parameters_and_modules_are_listed_once_unless_asked():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]


# --- repr and containers ----------------------------------------------------------------

def test_repr_like_pytorch():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Sequential(nn.Dropout(0.5)),
                          nn.Linear(256, 10, bias=False), nn.LogSoftmax(dim=1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=256, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.5, inplace=False)\n"
        "  )\n"
        "  (3): Linear(in_features=256, out_features=10, bias=False)\n"
        "  (4): LogSoftmax(dim=1)\n"
        ")")
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.ModuleDict({"a": nn.ReLU()})) == "ModuleDict(\n  (a): ReLU()\n)"


def test_sequential_indexing_and_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert head(Tensor(np.ones((1, 2), dtype=np.float32))).shape == (1, 3)
    with pytest.raises(IndexError):
        model[3]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and [n for n, _ in model.named_children()] == ["0", "1", "2", "3"]


def test_module_list():
    items = nn.ModuleList([nn.Linear(1, 1)])
    items.append(nn.ReLU()).extend([nn.Tanh(), nn.Linear(1, 2)])
    assert len(items) == 4 and isinstance(items[1], nn.ReLU) and isinstance(items[-1], nn.Linear)
    assert [type(m).__name__ for m in items] == ["Linear", "ReLU", "Tanh", "Linear"]
    assert [n for n, _ in items.named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    items.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in items][:3] == ["Linear", "Sigmoid", "ReLU"]
    items[0] = nn.Identity()
    assert isinstance(items[0], nn.Identity) and len(items[1:]) == 4
    with pytest.raises(NotImplementedError):
        items(Tensor([1.0]))


def test_module_dict():
    heads = nn.ModuleDict({"digit": nn.Linear(4, 10), "parity": nn.Linear(4, 2)})
    assert list(heads) == ["digit", "parity"] and len(heads) == 2 and "digit" in heads
    assert [n for n, _ in heads.named_parameters()] == [
        "digit.weight", "digit.bias", "parity.weight", "parity.bias"]
    heads["extra"] = nn.ReLU()
    heads.update([("parity", nn.Linear(4, 3)), ("tanh", nn.Tanh())])
    assert list(heads.keys()) == ["digit", "parity", "extra", "tanh"]
    assert heads["parity"].out_features == 3
    assert isinstance(heads.pop("extra"), nn.ReLU) and "extra" not in heads
    del heads["tanh"]
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "Linear"]
    assert [k for k, _ in heads.items()] == ["digit", "parity"]
    model = nn.Module()
    model.heads = heads
    assert "heads.digit.weight" in model.state_dict()
    with pytest.raises(ValueError, match="pair"):
        heads.update([nn.ReLU()])
    with pytest.raises(KeyError):
        heads["missing"]
    with pytest.raises(NotImplementedError):
        heads(Tensor([1.0]))
    heads.clear()
    assert len(heads) == 0


# --- end to end -------------------------------------------------------------------------

def test_xor_with_a_2_8_1_mlp_and_plain_gradient_descent():
    autograd.manual_seed(0)
    X = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(500):
        model.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        with autograd.no_grad():
            for p in model.parameters():
                p.numpy()[...] -= 0.5 * p.grad.numpy()
    predictions = (model(X).numpy() > 0).astype(np.float32)
    assert (predictions == y).all(), f"loss {loss.item():.4f}"
    assert loss.item() < 0.1


def test_functional_training_step_with_penalty_reduces_loss():
    autograd.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 3))
    x = Tensor(np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32))
    labels = np.arange(16) % 3
    losses = []
    for _ in range(20):
        model.zero_grad()
        loss = F.cross_entropy(model(x), labels) + 1e-3 * F.l2_penalty(model.parameters())
        loss.backward()
        losses.append(loss.item())
        with autograd.no_grad():
            for p in model.parameters():
                p.numpy()[...] -= 0.3 * p.grad.numpy()
    assert losses[-1] < losses[0]
