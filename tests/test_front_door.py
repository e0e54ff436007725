"""The ``kissgrad`` namespace read as ``torch``: ``import kissgrad as torch`` and its submodules give
the very objects of ``nn``, ``optim``, ``autograd``; ``kg.exp(x)``, ``kg.sum(x, dim=1)``,
``kg.max(x, 1)`` ... equal the methods and torch's functions; dtypes, ``kg.cuda``, ``kg.device``;
a small PyTorch training script runs unchanged but for its imports."""
import importlib

import numpy as np
import pytest
from torch_compare import assert_same, compare, constant, dtype_name, float64

import autograd
import kissgrad as kg
import nn
import nn.functional
import optim

X = float64(2, 3, 4, seed=11, low=0.5, high=2.0)  # positive: log and sqrt are defined
Y = float64(2, 3, 4, seed=12, low=0.5, high=2.0)


@pytest.mark.parametrize("alias, real", [
    ("kissgrad.nn", nn), ("kissgrad.nn.functional", nn.functional), ("kissgrad.optim", optim),
    ("kissgrad.autograd", autograd), ("kissgrad.utils.data", nn.data),
])
def test_submodules_are_the_top_level_objects(alias, real):
    module = importlib.import_module(alias)
    assert module is real or all(getattr(module, n) is getattr(real, n) for n in module.__all__)


def test_imports_as_a_pytorch_script_writes_them():
    import kissgrad.nn as knn
    import kissgrad.nn.functional as F
    import kissgrad.optim as koptim

    import kissgrad as torch
    from kissgrad.utils.data import DataLoader, TensorDataset
    assert knn is nn and F is nn.functional and koptim is optim and torch.nn is nn and torch.optim is optim
    assert DataLoader is nn.data.DataLoader and TensorDataset is nn.data.TensorDataset
    assert torch.utils.data.DataLoader is DataLoader and knn.Linear is nn.Linear
    assert torch.Tensor is autograd.Tensor
    assert F.relu is nn.functional.relu and torch.autograd.grad is autograd.grad


FUNCTIONS = [  # (name, extra args, kwargs); called as lib.name(x, *args, **kwargs)
    *[(name, (), {}) for name in "exp log log2 log10 log1p expm1 sqrt rsqrt abs sign sin cos tan tanh "
      "sigmoid relu neg reciprocal square floor ceil round isnan isfinite sum mean amax amin argmax "
      "argmin all any max min var std norm prod flatten squeeze".split()],
    ("sum", (), {"dim": 1}), ("sum", (), {"dim": (0, 2), "keepdim": True}), ("mean", (-1,), {}),
    ("prod", (1,), {}), ("var", (), {"dim": 1, "unbiased": False}), ("std", (0,), {}), ("norm", (), {"p": 1}),
    ("logsumexp", (1,), {}), ("amax", (), {"dim": -1}), ("argmax", (), {"dim": 1}), ("max", (1,), {}),
    ("min", (), {"dim": 0, "keepdim": True}), ("all", (1,), {}), ("topk", (2,), {}), ("sort", (), {"dim": 1}),
    ("argsort", (), {"dim": 0, "descending": True}), ("cumsum", (), {"dim": 2}), ("clamp", (0.7, 1.5), {}),
    ("clamp", (), {"min": 1.0}), ("clip", (0.7, 1.5), {}), ("pow", (2,), {}), ("reshape", ((6, 4),), {}),
    ("flatten", (1,), {}), ("unflatten", (2, (2, 2)), {}), ("unsqueeze", (0,), {}), ("squeeze", (0,), {}),
    ("transpose", (0, 2), {}), ("swapaxes", (1, 2), {}), ("permute", ((2, 0, 1),), {}),
    ("movedim", (0, 2), {}),
    ("chunk", (2, 2), {}), ("split", (2, 1), {}), ("split", ([1, 3], 2), {}), ("unbind", (1,), {}),
    ("flip", ((0, 2),), {}), ("roll", (1, 2), {}), ("narrow", (2, 1, 2), {}), ("numel", (), {}),
]


def _function_id(case):
    name, args, kwargs = case
    return "-".join([name, *map(str, args), *map(str, kwargs.values())])


@pytest.mark.parametrize("name, args, kwargs", FUNCTIONS, ids=map(_function_id, FUNCTIONS))
def test_function_matches_torch(name, args, kwargs):
    compare(lambda lib, x: getattr(lib, name)(x, *args, **kwargs), X)


@pytest.mark.parametrize("name, args, kwargs", FUNCTIONS, ids=map(_function_id, FUNCTIONS))
def test_function_equals_the_method(name, args, kwargs):
    x = constant(kg, X)
    assert_same(getattr(kg, name)(x, *args, **kwargs), getattr(x, name)(*args, **kwargs))


def _index(lib):
    return constant(lib, np.zeros((2, 3, 1), dtype=np.int64))


TWO_TENSORS = {  # fn(lib, x, y)
    "add": lambda lib, x, y: lib.add(x, y, alpha=2), "sub": lambda lib, x, y: lib.sub(x, y),
    "mul": lambda lib, x, y: lib.mul(x, y), "div": lambda lib, x, y: lib.div(x, y),
    "pow": lambda lib, x, y: lib.pow(x, y),
    "maximum": lambda lib, x, y: lib.maximum(x, y), "minimum": lambda lib, x, y: lib.minimum(x, y),
    "max-elementwise": lambda lib, x, y: lib.max(x, y), "min-elementwise": lambda lib, x, y: lib.min(x, y),
    "where": lambda lib, x, y: lib.where(x > y, x, y), "lerp": lambda lib, x, y: lib.lerp(x, y, 0.3),
    "matmul": lambda lib, x, y: lib.matmul(x, y.transpose(1, 2)), "bmm": lambda lib, x, y: lib.bmm(x, y.mT),
    "mm": lambda lib, x, y: lib.mm(x[0], y[0].t()), "t": lambda lib, x, y: lib.t(x[0]),
    "cat": lambda lib, x, y: lib.cat([x, y], dim=1), "concat": lambda lib, x, y: lib.concat([x, y], 2),
    "stack": lambda lib, x, y: lib.stack([x, y], 1),
    "gather": lambda lib, x, y: lib.gather(x, 2, _index(lib)),
    "take_along_dim": lambda lib, x, y: lib.take_along_dim(x, _index(lib), dim=2),
    "eq": lambda lib, x, y: lib.eq(x, y), "ne": lambda lib, x, y: lib.ne(x, x),
    "lt": lambda lib, x, y: lib.lt(x, y),
    "le": lambda lib, x, y: lib.le(x, y), "gt": lambda lib, x, y: lib.gt(x, y),
    "ge": lambda lib, x, y: lib.ge(x, y),
    "allclose": lambda lib, x, y: lib.allclose(x, x * (1 + 1e-9)), "equal": lambda lib, x, y: lib.equal(x, x),
    "is_tensor": lambda lib, x, y: (lib.is_tensor(x), lib.is_tensor(X)),
    "numel": lambda lib, x, y: lib.numel(y),
}


@pytest.mark.parametrize("fn", TWO_TENSORS.values(), ids=TWO_TENSORS.keys())
def test_two_tensor_function_matches_torch(fn):
    compare(fn, X, Y)


DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool",
          "float", "double", "half", "long", "int"]


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_names_match_torch(name):
    torch = pytest.importorskip("torch")
    assert dtype_name(getattr(kg, name)) == dtype_name(getattr(torch, name))


@pytest.mark.parametrize("name, expected",
                         [("float32", np.float32), ("float64", np.float64), ("int64", np.int64),
                                            ("long", np.int64), ("float", np.float32), ("double", np.float64),
                                            ("int", np.int32), ("bool", np.bool_), ("half", np.float16)])
def test_dtypes_are_numpy_dtypes(name, expected):
    assert getattr(kg, name) == np.dtype(expected) and kg.zeros(1, dtype=getattr(kg, name)).dtype == expected


def test_cuda_and_device():
    assert kg.cuda.is_available() is False and kg.cuda.device_count() == 0
    device = kg.device("cuda" if kg.cuda.is_available() else "cpu")
    assert device == kg.device("cpu") and device.type == "cpu" and str(device) == "cpu"
    x = kg.zeros(2, device=device)
    assert x.device == device and x.to(device) is x
    with pytest.raises(RuntimeError, match="cuda"):
        kg.zeros(2, device="cuda")


def test_grad_mode_and_seed_helpers():
    x = kg.ones(2, requires_grad=True)
    with kg.no_grad():
        assert not (x * 2).requires_grad and not kg.is_grad_enabled()
    assert (x * 2).requires_grad and kg.is_grad_enabled()
    assert isinstance(kg.manual_seed(0), kg.Generator) and kg.is_tensor(x) and not kg.is_tensor(X)


def train(torch, nn, F, optim, DataLoader, TensorDataset, data):
    """A PyTorch training loop, word for word: the caller passes either library's modules."""
    X, Y, W, B = data
    model = nn.Sequential(nn.Linear(3, 1))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(W))
        model[0].bias.copy_(torch.tensor(B))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(Y)), batch_size=4)
    for _ in range(3):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            opt.step()
    return model[0].weight.detach().numpy(), model[0].bias.detach().numpy(), loss.item()


def test_a_pytorch_training_script_runs_with_only_its_imports_changed():
    import kissgrad.nn as knn
    import kissgrad.nn.functional as kF
    import kissgrad.optim as koptim

    import kissgrad as ktorch
    from kissgrad.utils.data import DataLoader, TensorDataset
    rng = np.random.default_rng(0)
    data = [rng.standard_normal(s).astype(np.float32) for s in ((12, 3), (12, 1), (1, 3), (1,))]
    ours = train(ktorch, knn, kF, koptim, DataLoader, TensorDataset, data)
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader as TorchLoader
    from torch.utils.data import TensorDataset as TorchDataset
    theirs = train(torch, torch.nn, torch.nn.functional, torch.optim, TorchLoader, TorchDataset, data)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
