"""kissgrad's tensor creation and conversions against PyTorch's: ``kg.tensor`` dtype inference,
``Tensor(...)``, the factories, and the conversion/query methods.

Each torch test imports torch itself (skipped without it); the torch-free tests assert the
documented values, so the semantics are checked on machines without PyTorch too. The type
promotion, reductions, shape ops and in-place ops are in ``test_tensor_torch_*.py``.
"""
import numpy as np
import pytest
from torch_compare import assert_same, compare, dtype_name, float64

import kissgrad as kg
from autograd import Tensor

# --- kg.tensor dtype inference -------------------------------------------------------------



def _case(data, expected, name, marks=()):
    return pytest.param(data, expected, id=name, marks=marks)


INFERENCE = [  # (data, the dtype torch.tensor gives it)
    _case(3, "int64", "int"), _case(2.5, "float32", "float"), _case(True, "bool", "bool"),
    _case([1, 2, 3], "int64", "ints"), _case([1.0, 2.0], "float32", "floats"),
    _case([True, False], "bool", "bools"), _case([1, 2.5], "float32", "int-float"),
    _case([True, 1], "int64", "bool-int"), _case([True, 1.5], "float32", "bool-float"),
    _case([[1, 2], [3, 4]], "int64", "nested-ints"), _case([[1.0], [2.0]], "float32", "nested-floats"),
    _case((1, 2), "int64", "tuple"), _case([], "float32", "empty"), _case([[]], "float32", "empty-nested"),
    *[_case(np.arange(3, dtype=d), d, f"ndarray-{d}") for d in ("int8", "int16", "int32", "int64", "uint8")],
    _case(np.ones(2, np.float16), "float16", "ndarray-float16"),
    _case(np.ones(2, np.float32), "float32", "ndarray-float32"),
    _case(np.ones(2, np.float64), "float64", "ndarray-float64"),
    _case(np.array([True, False]), "bool", "ndarray-bool"),
    _case(np.zeros((0, 2), np.float64), "float64", "ndarray-empty-float64"),
    _case(np.float64(1.5), "float64", "np.float64"), _case(np.int32(4), "int32", "np.int32"),
    _case([np.float64(1.5)], "float64", "list-np.float64"),
    _case([np.float32(1.5)], "float32", "list-np.float32"),
    _case([np.int32(4)], "int32", "list-np.int32"),
]


@pytest.mark.parametrize("data, expected", INFERENCE)
def test_tensor_infers_the_documented_dtype(data, expected):
    t = kg.tensor(data)
    assert dtype_name(t.dtype) == expected
    np.testing.assert_array_equal(t.numpy(), np.array(data, dtype=expected))


@pytest.mark.parametrize("data, expected", INFERENCE)
def test_tensor_inference_matches_torch(data, expected):
    torch = pytest.importorskip("torch")
    assert_same(kg.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("make", [lambda: kg.tensor([1.0, 2.0], dtype=kg.float64),
                                  lambda: kg.tensor(kg.Tensor(np.ones(2))), lambda: kg.tensor(np.ones(2))],
                         ids=["dtype=float64", "from-float64-Tensor", "float64-ndarray"])
def test_tensor_keeps_float64(make):
    assert make().dtype == kg.float64


def test_tensor_copies_and_takes_dtype_and_requires_grad():
    array = np.ones(3)
    t = kg.tensor(array, dtype=kg.float32, requires_grad=True)
    array[0] = 5
    assert t.dtype == kg.float32 and t.requires_grad and t.is_leaf and t.numpy()[0] == 1


@pytest.mark.parametrize("data", [[1, 2], [True], np.arange(2)])
def test_integer_and_bool_tensors_cannot_require_grad(data):
    with pytest.raises(TypeError, match="float"):
        kg.tensor(data, requires_grad=True)


@pytest.mark.parametrize("data", [[1, 2], [1.5, 2.0], 3.0, [[1, 2], [3, 4]]])
def test_Tensor_constructor_is_float32_like_torch_Tensor(data):
    assert Tensor(data).dtype == kg.float32 and kg.Tensor is Tensor
    torch = pytest.importorskip("torch")
    if isinstance(data, list):  # torch.Tensor(3.0) is an error; torch.Tensor(3) a size
        assert_same(Tensor(data), torch.Tensor(data))


@pytest.mark.xfail(strict=True, reason="Tensor(bools) stays bool and Tensor(ndarray) keeps its dtype; "
                                       "torch.Tensor(...) always gives float32")
@pytest.mark.parametrize("data", [[True, False], np.arange(3), np.ones(2)], ids=["bools", "int64", "float64"])
def test_Tensor_constructor_of_bools_and_arrays_matches_torch(data):
    torch = pytest.importorskip("torch")
    assert_same(Tensor(data), torch.Tensor(data))


# --- factories -----------------------------------------------------------------------------

def _shape_and_dtype(t):
    """What an ``empty`` tensor promises (torch's holds garbage, kissgrad's zeros)."""
    return tuple(t.shape), dtype_name(t.dtype)


FACTORIES = {  # name: fn(lib) making the same tensor in both (deterministic ones only)
    "zeros": lambda lib: lib.zeros(2, 3), "zeros-tuple": lambda lib: lib.zeros((2, 3)),
    "zeros-empty": lambda lib: lib.zeros(0, 3), "ones": lambda lib: lib.ones(4),
    "ones-int": lambda lib: lib.ones(2, dtype=lib.int64), "full-float": lambda lib: lib.full((2, 2), 1.5),
    "full-int": lambda lib: lib.full((3,), 7), "full-bool": lambda lib: lib.full((2,), True),
    "full-dtype": lambda lib: lib.full((2,), 7, dtype=lib.float64),
    "empty-shape": lambda lib: _shape_and_dtype(lib.empty(2, 3)),
    "eye": lambda lib: lib.eye(3), "eye-rect": lambda lib: lib.eye(2, 4),
    "arange": lambda lib: lib.arange(5), "arange-start-step": lambda lib: lib.arange(1, 10, 3),
    "arange-down": lambda lib: lib.arange(5, 0, -2), "arange-float": lambda lib: lib.arange(0, 1, 0.25),
    "arange-float-end": lambda lib: lib.arange(2.5),
    "arange-dtype": lambda lib: lib.arange(4, dtype=lib.float64),
    "arange-empty": lambda lib: lib.arange(0), "linspace": lambda lib: lib.linspace(0, 1, 5),
    "linspace-one": lambda lib: lib.linspace(2, 3, 1), "linspace-neg": lambda lib: lib.linspace(-1, 1, 4),
    "linspace-dtype": lambda lib: lib.linspace(0, 1, 3, dtype=lib.float64),
}


@pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())
def test_factory_matches_torch(make):
    torch = pytest.importorskip("torch")
    assert_same(make(kg), make(torch), rtol=1e-6)


@pytest.mark.parametrize("make, shape, dtype", [
    (lambda: kg.zeros(2, 3), (2, 3), "float32"), (lambda: kg.ones((4,)), (4,), "float32"),
    (lambda: kg.full((2,), 7), (2,), "int64"), (lambda: kg.full((2,), 0.5), (2,), "float32"),
    (lambda: kg.eye(2, 3), (2, 3), "float32"), (lambda: kg.arange(5), (5,), "int64"),
    (lambda: kg.arange(0, 1, 0.25), (4,), "float32"), (lambda: kg.linspace(0, 1, 5), (5,), "float32"),
    (lambda: kg.empty(0, 2), (0, 2), "float32"), (lambda: kg.rand(2, 3), (2, 3), "float32"),
    (lambda: kg.randn((3,)), (3,), "float32"), (lambda: kg.randint(0, 10, (4,)), (4,), "int64"),
    (lambda: kg.randint(5, (2, 2)), (2, 2), "int64"), (lambda: kg.randperm(6), (6,), "int64"),
    (lambda: kg.rand(2, dtype=kg.float64), (2,), "float64"),
], ids=lambda v: "" if callable(v) else str(v))
def test_factory_shape_and_dtype(make, shape, dtype):
    t = make()
    assert t.shape == shape and dtype_name(t.dtype) == dtype and t.is_leaf


def test_arange_and_linspace_documented_values():
    np.testing.assert_array_equal(kg.arange(1, 10, 3).numpy(), [1, 4, 7])
    np.testing.assert_allclose(kg.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(kg.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])


@pytest.mark.parametrize("args", [(0, 5, 0), (1.0, 2.0, 0.0)])
def test_arange_zero_step_raises(args):
    with pytest.raises(ValueError, match="step"):
        kg.arange(*args)


@pytest.mark.parametrize("make, low, high", [
    (lambda g: kg.rand(1000, generator=g), 0, 1), (lambda g: kg.randint(3, 7, (1000,), generator=g), 3, 7),
    (lambda g: kg.randint(4, (1000,), generator=g), 0, 4),
], ids=["rand", "randint-low-high", "randint-high"])
def test_random_factories_stay_in_range(make, low, high):
    values = make(kg.Generator().manual_seed(0)).numpy()
    assert values.min() >= low and values.max() < high and len(np.unique(values)) > 1


def test_randn_and_randperm_samples_look_right():
    samples = kg.randn(10_000, generator=kg.Generator().manual_seed(1)).numpy()
    assert abs(samples.mean()) < 0.05 and abs(samples.std() - 1) < 0.05
    np.testing.assert_array_equal(np.sort(kg.randperm(10).numpy()), np.arange(10))


RANDOM = {
    "rand": lambda g: kg.rand(5, generator=g), "randn": lambda g: kg.randn(2, 3, generator=g),
    "randint": lambda g: kg.randint(0, 100, (5,), generator=g),
    "randperm": lambda g: kg.randperm(20, generator=g),
    "rand_like": lambda g: kg.rand_like(kg.zeros(5), generator=g),
    "randn_like": lambda g: kg.randn_like(kg.zeros(5), generator=g),
    "normal_": lambda g: kg.zeros(5).normal_(generator=g),
    "uniform_": lambda g: kg.zeros(5).uniform_(generator=g),
}


@pytest.mark.parametrize("draw", RANDOM.values(), ids=RANDOM.keys())
def test_generator_seed_makes_draws_reproducible(draw):
    first = draw(kg.Generator().manual_seed(123)).numpy()
    np.testing.assert_array_equal(first, draw(kg.Generator().manual_seed(123)).numpy())
    assert not np.array_equal(first, draw(kg.Generator().manual_seed(124)).numpy())


def test_manual_seed_makes_default_draws_reproducible():
    kg.manual_seed(5)
    first = kg.randn(4).numpy()
    kg.manual_seed(5)
    np.testing.assert_array_equal(first, kg.randn(4).numpy())


LIKE = {  # name: fn(lib, x)
    "zeros_like": lambda lib, x: lib.zeros_like(x), "ones_like": lambda lib, x: lib.ones_like(x),
    "full_like": lambda lib, x: lib.full_like(x, 2.5),
    "empty_like": lambda lib, x: _shape_and_dtype(lib.empty_like(x)),
    "zeros_like-dtype": lambda lib, x: lib.zeros_like(x, dtype=lib.float64),
    "rand_like-shape": lambda lib, x: (lib.rand_like(x.to(lib.float64)) * 0),
    "randn_like-shape": lambda lib, x: (lib.randn_like(x.to(lib.float64)) * 0),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
@pytest.mark.parametrize("make", LIKE.values(), ids=LIKE.keys())
def test_like_factories_keep_shape_and_dtype_as_torch(make, dtype):
    compare(make, np.arange(6, dtype=dtype).reshape(2, 3), grad=False)


@pytest.mark.parametrize("make", [
    lambda: kg.zeros(2, requires_grad=True), lambda: kg.ones(2, 2, requires_grad=True),
    lambda: kg.randn(3, requires_grad=True), lambda: kg.full((2,), 1.0, requires_grad=True),
    lambda: kg.arange(3.0, requires_grad=True), lambda: kg.zeros_like(kg.ones(2), requires_grad=True),
])
def test_factories_make_leaves_that_require_grad(make):
    t = make()
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    (t * 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.full(t.shape, 2))


@pytest.mark.parametrize("make", [lambda: kg.randint(0, 3, (2,), requires_grad=True),
                                  lambda: kg.arange(3, requires_grad=True)], ids=["randint", "arange-int"])
def test_integer_factories_cannot_require_grad(make):
    with pytest.raises(TypeError, match="float"):
        make()


# --- conversions and queries ---------------------------------------------------------------

CONVERSIONS = {  # name: fn(lib, x) with x a float64 (2, 3) leaf
    "item": lambda lib, x: x[0, 1].item(), "tolist": lambda lib, x: x.tolist(),
    "asarray": lambda lib, x: np.asarray(x.detach()), "format": lambda lib, x: f"{x[1, 2]:.2f}",
    "to-float32": lambda lib, x: x.to(lib.float32), "to-int64": lambda lib, x: x.to(lib.int64),
    "to-cpu": lambda lib, x: x.to("cpu"), "to-tensor": lambda lib, x: x.to(lib.zeros(1, dtype=lib.float32)),
    "to-dtype-kw": lambda lib, x: x.to(dtype=lib.float32), "float": lambda lib, x: x.float(),
    "double": lambda lib, x: x.float().double(), "long": lambda lib, x: x.long(),
    "int": lambda lib, x: x.int(),
    "bool": lambda lib, x: x.bool(), "clone": lambda lib, x: x.clone() * 3,
    "detach": lambda lib, x: x.detach(),
    "size": lambda lib, x: tuple(x.size()), "size-dim": lambda lib, x: x.size(-1),
    "dim": lambda lib, x: x.dim(),
    "numel": lambda lib, x: x.numel(), "nelement": lambda lib, x: x.nelement(), "ndim": lambda lib, x: x.ndim,
    "device": lambda lib, x: str(x.device), "is_leaf": lambda lib, x: (x.is_leaf, (x * 1).is_leaf),
    "has-grad_fn": lambda lib, x: (x.grad_fn is None, (x * 1).grad_fn is None),
    "long-no-grad": lambda lib, x: (x.long().requires_grad, x.int().is_leaf, x.bool().requires_grad),
    "float-int": lambda lib, x: (x * 10).long().float(), "int-float": lambda lib, x: float(x[0, 0].detach()),
    "int-cast": lambda lib, x: int(x[1, 1].detach() * 10), "bool-cast": lambda lib, x: bool(x[0, 0] > 0),
}


@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
def test_conversion_matches_torch(convert):
    compare(convert, float64(2, 3, seed=1))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_to_dtype_and_casts_documented(dtype):
    x = kg.tensor([[1.5, -2.0]])
    assert dtype_name(x.to(getattr(kg, dtype)).dtype) == dtype
    method = {"float32": "float", "float64": "double", "int64": "long", "int32": "int"}.get(dtype, dtype)
    assert dtype_name(getattr(x, method)().dtype) == dtype


def test_queries_documented():
    x = kg.zeros(2, 3, 4, requires_grad=True)
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.numel() == x.nelement() == 24 and x.device == kg.device("cpu")
    assert str(x.device) == "cpu" and x.is_leaf and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None
    assert f"{kg.tensor(3.14159):.2f}" == "3.14" and kg.tensor([[2.5]]).item() == 2.5
    assert kg.tensor([[1, 2]]).tolist() == [[1, 2]] and np.asarray(kg.tensor([1.0, 2.0])).dtype == np.float32


def test_to_cuda_raises_clearly():
    x = kg.ones(2)
    for move in (lambda: x.to("cuda"), lambda: x.to(kg.device("cuda")), lambda: x.cuda()):
        with pytest.raises(RuntimeError, match="cuda"):
            move()
    assert x.to("cpu") is x and x.cpu() is x


def test_clone_passes_gradient_and_detach_stops_it():
    x = kg.tensor([1.0, 2.0], requires_grad=True)
    (x.clone() * 3 + x.detach() * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3, 3])
    assert not x.detach().requires_grad and x.detach().is_leaf


def test_integer_casts_carry_no_gradient():
    x = kg.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad and not x.int().requires_grad and not x.bool().requires_grad
    y = x * 2 + x.long().float()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2])
