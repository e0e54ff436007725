"""Reductions against PyTorch: values, dtypes and float64 gradients of ``sum mean prod var std
norm logsumexp amax amin max min argmax argmin all any topk sort argsort cumsum`` over
``dim`` None/int/negative/tuple with ``keepdim``, the ``axis``/``keepdims`` aliases, ties and
empty tensors. The torch-free tests at the end assert the documented values (API.md)."""
import numpy as np
import pytest
from torch_compare import compare, constant, float64, outcome

import kissgrad as kg

X = float64(2, 3, 4, seed=3)
TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.0, 2.0], [5.0, 5.0, 5.0, 5.0]])
ZEROS = np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [2.0, 3.0, 4.0]])
EMPTY = np.zeros((0, 3))
DIMS = [None, 0, 1, -1, (0, 2), (-1, 0)]

REDUCTIONS = {  # name: (method, extra kwargs)
    "sum": ("sum", {}), "mean": ("mean", {}), "var": ("var", {}), "var-biased": ("var", {"unbiased": False}),
    "var-correction2": ("var", {"correction": 2}), "std": ("std", {}),
    "std-correction0": ("std", {"correction": 0}),
    "norm": ("norm", {}), "norm-p1": ("norm", {"p": 1}), "norm-p3": ("norm", {"p": 3}),
    "norm-inf": ("norm", {"p": float("inf")}), "norm--inf": ("norm", {"p": -float("inf")}),
    "norm-p0": ("norm", {"p": 0}), "norm-fro": ("norm", {"p": "fro"}), "logsumexp": ("logsumexp", {}),
    "amax": ("amax", {}), "amin": ("amin", {}),
}


def reduction(method, dim, keepdim, **extra):
    """``x.method(dim=dim, keepdim=keepdim, **extra)``; torch's prod/logsumexp take no dim=None,
    so there the call names every dim (or leaves dim out)."""
    def fn(lib, x):
        kwargs = dict(extra, dim=dim, keepdim=keepdim)
        if dim is None and lib is not kg and method == "logsumexp":
            kwargs["dim"] = tuple(range(x.ndim))
        elif dim is None and lib is not kg and method == "prod":
            del kwargs["dim"], kwargs["keepdim"]
        return getattr(x, method)(**kwargs)
    return fn


NO_DOF = ("var/std with no degrees of freedom raise ValueError in kissgrad (deliberate, var's docstring); "
          "torch: nan")


def reduction_params():
    for name in REDUCTIONS:
        for dim in DIMS:
            dim_reason = NO_DOF if name == "var-correction2" and dim == 0 else None
            marks = pytest.mark.xfail(strict=True, reason=dim_reason) if dim_reason else ()
            yield pytest.param(name, dim, id=f"{name}-{dim}", marks=marks)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("name, dim", list(reduction_params()))
def test_reduction_matches_torch(name, dim, keepdim):
    method, extra = REDUCTIONS[name]
    compare(reduction(method, dim, keepdim, **extra), X)


@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False), (-1, True)])
@pytest.mark.parametrize("data", [X, ZEROS], ids=["no-zero", "zeros"])
def test_prod_matches_torch(data, dim, keepdim):
    compare(reduction("prod", dim, keepdim), data)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("method", ["all", "any"])
@pytest.mark.parametrize("data", [X > 0, X, np.ones((2, 3, 4), np.int64)], ids=["bool", "float", "int"])
def test_all_any_match_torch(data, method, dim, keepdim):
    compare(reduction(method, dim, keepdim), data, grad=False)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1, -2])
@pytest.mark.parametrize("method", ["max", "min"])
@pytest.mark.parametrize("data", [X[0], TIES], ids=["distinct", "ties"])
def test_max_min_dim_give_values_and_indices_like_torch(data, method, dim, keepdim):
    """At ties torch (CPU) and kissgrad return the first index; the gradient goes there only."""
    ours, _ = compare(lambda lib, x: getattr(x, method)(dim, keepdim), data)
    assert ours.values is ours[0] and ours.indices is ours[1]


@pytest.mark.parametrize("method", ["max", "min", "amax", "amin"])
@pytest.mark.parametrize("data", [X, TIES], ids=["distinct", "ties"])
def test_full_max_min_split_ties_evenly_like_torch(data, method):
    compare(lambda lib, x: getattr(x, method)(), data)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [None, 0, -1], ids=str)
@pytest.mark.parametrize("method", ["argmax", "argmin"])
@pytest.mark.parametrize("data", [X, TIES], ids=["distinct", "ties"])
def test_argmax_argmin_match_torch(data, method, dim, keepdim):
    compare(lambda lib, x: getattr(x, method)(dim=dim, keepdim=keepdim), data)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("k", [1, 2])
def test_topk_matches_torch(k, dim, largest):
    compare(lambda lib, x: x.topk(k, dim=dim, largest=largest), X[0])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort_match_torch(dim, descending):
    compare(lambda lib, x: (x.sort(dim=dim, descending=descending),
                            x.argsort(dim=dim, descending=descending)), X)


@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_of_ties_matches_torch(descending):
    compare(lambda lib, x: (x.sort(dim=-1, descending=descending, stable=True),
                            x.argsort(dim=-1, descending=descending, stable=True)), TIES)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("data", [X, np.arange(24, dtype=np.int32).reshape(2, 3, 4), X > 0],
                         ids=["float64", "int32", "bool"])
def test_cumsum_matches_torch(data, dim):
    compare(lambda lib, x: x.cumsum(dim), data)


ALIASES = ["sum", "mean", "var", "std", "norm", "logsumexp", "amax", "amin", "argmax", "all", "any"]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("method", ALIASES)
def test_numpy_aliases_axis_keepdims_match_torch(method, keepdim):
    def fn(lib, x):
        kwargs = {"axis": 1, "keepdims": keepdim} if lib is kg else {"dim": 1, "keepdim": keepdim}
        return getattr(x, method)(**kwargs)
    compare(fn, X)


EMPTY_CASES = {
    "sum": lambda lib, x: x.sum(), "sum-0": lambda lib, x: x.sum(0), "sum-1": lambda lib, x: x.sum(1),
    "prod": lambda lib, x: x.prod(), "prod-0": lambda lib, x: x.prod(0), "mean-0": lambda lib, x: x.mean(0),
    "logsumexp-0": lambda lib, x: x.logsumexp(0), "logsumexp-1": lambda lib, x: x.logsumexp(1),
    "amax-1": lambda lib, x: x.amax(1), "norm": lambda lib, x: x.norm(), "all": lambda lib, x: x.all(),
    "any": lambda lib, x: x.any(), "cumsum": lambda lib, x: x.cumsum(0), "max-1": lambda lib, x: x.max(1),
    "argmax-1": lambda lib, x: x.argmax(1), "sort": lambda lib, x: x.sort(0),
}


@pytest.mark.parametrize("fn", EMPTY_CASES.values(), ids=EMPTY_CASES.keys())
def test_empty_tensor_reductions_match_torch(fn):
    compare(fn, EMPTY)


@pytest.mark.parametrize("fn", [lambda lib, x: x.amax(), lambda lib, x: x.amax(0), lambda lib, x: x.max(),
                                lambda lib, x: x.max(0), lambda lib, x: x.argmax(), lambda lib, x: x.amin(0)],
                         ids=["amax", "amax-0", "max", "max-0", "argmax", "amin-0"])
def test_reducing_an_empty_dim_without_identity_raises_like_torch(fn):
    torch = pytest.importorskip("torch")
    assert isinstance(outcome(fn, torch, constant(torch, EMPTY)), Exception)
    with pytest.raises(IndexError, match="empty"):
        fn(kg, constant(kg, EMPTY))


@pytest.mark.xfail(strict=True, reason=NO_DOF)
@pytest.mark.parametrize("fn",
                         [lambda lib, x: x.var(0), lambda lib, x: x.std(0), lambda lib, x: x[0, :1].var()],
                         ids=["var-dim", "std-dim", "var-one-element"])
def test_var_without_degrees_of_freedom_matches_torch(fn):
    compare(fn, np.array([[2.0, 3.0]]))


# --- the documented values, without torch --------------------------------------------------

def leaf(values):
    return kg.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_empty_reductions_documented():
    e = constant(kg, EMPTY)
    assert e.sum().item() == 0 and e.prod().item() == 1 and e.sum(0).shape == (3,)
    assert np.all(e.logsumexp(0).numpy() == -np.inf) and e.sum(1).shape == (0,)
    with pytest.raises(IndexError):
        e.amax()


def test_var_std_are_unbiased_by_default():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(x.var().item(), 5 / 3)
    np.testing.assert_allclose(x.var(unbiased=False).item(), 1.25)
    np.testing.assert_allclose(x.var(correction=0).item(), 1.25)
    np.testing.assert_allclose(x.std().item(), np.sqrt(5 / 3))


@pytest.mark.parametrize("method", ["amax", "max"])
def test_full_reduction_ties_share_the_gradient(method):
    x = leaf([1.0, 3.0, 3.0])
    getattr(x, method)().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5])


def test_max_dim_returns_values_indices_and_sends_the_gradient_to_the_index():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    assert indices.dtype == kg.int64 and x.max(1, keepdim=True).values.shape == (2, 1)
    values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])


@pytest.mark.parametrize("method", ["sum", "mean", "amax", "logsumexp", "var", "norm", "all"])
@pytest.mark.parametrize("dim", [1, -1, (0, 2)], ids=str)
def test_axis_keepdims_aliases_equal_dim_keepdim(method, dim):
    x = constant(kg, X)
    alias = getattr(x, method)(axis=dim, keepdims=True)
    np.testing.assert_allclose(alias.numpy(), getattr(x, method)(dim=dim, keepdim=True).numpy())
    assert alias.ndim == 3 and getattr(x, method)(dim=dim).ndim == (2 if isinstance(dim, int) else 1)


def test_prod_gradient_with_zeros():
    x = leaf([2.0, 0.0, 3.0])
    x.prod().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 6, 0])


def test_topk_sort_cumsum_documented():
    x = leaf([3.0, 1.0, 2.0])
    values, indices = x.topk(2)
    np.testing.assert_array_equal(values.detach().numpy(), [3, 2])
    np.testing.assert_array_equal(indices.numpy(), [0, 2])
    np.testing.assert_array_equal(x.sort().values.detach().numpy(), [1, 2, 3])
    np.testing.assert_array_equal(x.argsort(descending=True).numpy(), [0, 2, 1])
    np.testing.assert_array_equal(x.cumsum(0).detach().numpy(), [3, 4, 6])
