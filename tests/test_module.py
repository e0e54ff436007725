"""nn.Module: registration, traversal, modes, state_dict, save/load, repr, containers, training."""
import os
import stat

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Tensor


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter([1.0, 2.0])
        self.layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 2)])
        self.norm = nn.BatchNorm1d(2)
        self.register_buffer("steps", np.zeros(1))
        self.note = Tensor([5.0])  # a plain Tensor attribute is not registered

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return self.norm(x) * self.scale


def mlp():
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 1))


# --- Parameter and registration ---------------------------------------------------------

def test_parameter_is_a_leaf_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf and p.dtype == np.float32
    assert nn.Parameter(np.zeros(2)).dtype == np.float64
    t = Tensor([3.0])
    q = nn.Parameter(t)
    assert q.data is not t.data and q.data.tolist() == [3.0]
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
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


def test_assignment_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_named_parameters_children_and_modules():
    block = Block()
    assert [n for n, _ in block.named_parameters()] == [
        "scale", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "norm.weight", "norm.bias"]
    assert [n for n, _ in mlp().named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert [n for n, _ in block.named_children()] == ["layers", "norm"]
    assert len(list(block.children())) == 2
    assert [n for n, _ in block.named_modules()] == ["", "layers", "layers.0", "layers.1", "norm"]
    assert len(list(block.modules())) == 5
    assert [n for n, _ in block.named_buffers()] == [
        "steps", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert len(list(block.parameters(recurse=False))) == 1


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_train_eval_propagate_and_zero_grad():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model[1].eval()
    assert model.training and not model[1][0].training
    model.train()
    model(Tensor(np.ones((3, 2), dtype=np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_double_and_apply():
    model = Block().double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.norm.num_batches_tracked.dtype == np.int64
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "ModuleList", "BatchNorm1d", "Block"]


# --- state_dict -------------------------------------------------------------------------

def test_state_dict_names_copies_and_round_trip():
    autograd.manual_seed(0)
    a, b = Block(), Block()
    state = a.state_dict()
    assert list(state) == ["scale", "steps", "layers.0.weight", "layers.0.bias", "layers.1.weight",
                           "layers.1.bias", "norm.weight", "norm.bias", "norm.running_mean",
                           "norm.running_var", "norm.num_batches_tracked"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["scale"][0] = 99.0  # a copy: the model is unchanged
    assert a.scale.data[0] == 1.0
    a.norm.running_mean.data[...] = [0.5, -0.5]
    weight_array = b.layers[0].weight.data
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert b.layers[0].weight.data is weight_array  # values copied into the existing arrays
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32))
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_rejects_missing_unexpected_and_wrong_shapes():
    model = mlp()
    state = model.state_dict()
    del state["3.bias"]
    state["4.weight"] = np.zeros(3)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "3.bias"') as info:
        model.load_state_dict(state)
    assert '"4.weight"' in str(info.value)
    wrong = mlp().state_dict()
    wrong["0.weight"] = np.zeros((5, 2))
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(5, 2\).*\(4, 2\)"):
        model.load_state_dict(wrong)
    before = model.state_dict()
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["3.bias"] and result.unexpected_keys == ["4.weight"]
    np.testing.assert_array_equal(model.state_dict()["3.bias"], before["3.bias"])
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight"):
        model.load_state_dict(wrong, strict=False)
    np.testing.assert_array_equal(model.state_dict()["0.weight"], before["0.weight"])


# --- save / load ------------------------------------------------------------------------

def test_save_load_round_trip(tmp_path):
    autograd.manual_seed(1)
    model, other = Block(), Block()
    model.norm.running_var.data[...] = [2.0, 3.0]
    path = tmp_path / "model.npz"
    assert model.save(path) == str(path)
    assert other.load(path) is other
    for (name, x), (_, y) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(x, y, err_msg=name)
    with np.load(path, allow_pickle=False) as archive:
        assert set(archive.files) == set(model.state_dict())
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind
    with pytest.raises(ValueError, match=".npz"):
        model.save(tmp_path / "model.pt")


def test_failing_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    model = mlp()
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def crash(file, **arrays):
        file.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        mlp().save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_load_rejects_bad_files(tmp_path):
    model = mlp()
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="garbage.npz"):
        model.load(garbage)
    single = tmp_path / "single.npz"
    with open(single, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        model.load(single)
    pickled = tmp_path / "pickled.npz"
    state = model.state_dict()
    state["0.weight"] = np.array([{"evil": 1}], dtype=object)
    np.savez(pickled, **state)
    with pytest.raises(ValueError, match="pickled.npz"):
        model.load(pickled)
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "missing.npz")
    other = tmp_path / "other.npz"
    nn.Linear(3, 3).save(other)
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load(other)


# --- repr and containers ----------------------------------------------------------------

def test_repr_like_pytorch():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Sequential(nn.Dropout(0.5)),
                          nn.Linear(256, 10, bias=False), nn.LogSoftmax(dim=1))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=256, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.5)\n"
        "  )\n"
        "  (3): Linear(in_features=256, out_features=10, bias=False)\n"
        "  (4): LogSoftmax(dim=1)\n"
        ")")
    assert repr(nn.BatchNorm1d(4)) == ("BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, "
                                       "track_running_stats=True)")
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"


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
                p -= 0.5 * p.grad
    predictions = (model(X).data > 0).astype(np.float32)
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
                p -= 0.3 * p.grad
    assert losses[-1] < losses[0]


def test_saved_model_gets_the_usual_file_permissions(tmp_path):
    path = nn.Linear(2, 2).save(tmp_path / "model.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask
