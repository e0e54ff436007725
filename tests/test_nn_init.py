"""nn.init: PyTorch's initialisers, fans and gains; generator= draws; parity with torch.nn.init."""
import inspect
import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn import init

NAMES = ["uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
         "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
         "orthogonal_", "sparse_", "calculate_gain"]
RANDOM = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
          "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]


def param(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def test_each_initialiser_fills_in_place_keeps_dtype_and_returns_its_tensor():
    for name in RANDOM:
        p = param(30, 20)
        array = p.numpy()
        assert getattr(init, name)(p) is p, name
        assert p.numpy() is array and p.dtype == np.float32 and p.numpy().std() > 0, name
        assert p.requires_grad and p.is_leaf
    assert init.constant_(param(2, 2), 0.25).numpy().tolist() == [[0.25, 0.25]] * 2
    assert init.ones_(param(3)).numpy().tolist() == [1, 1, 1]
    assert not init.zeros_(init.ones_(param(3))).numpy().any()
    raw = np.zeros(4)
    assert init.normal_(raw) is raw and raw.std() > 0  # ndarrays work too


def test_generator_and_manual_seed_make_draws_repeatable():
    for name in RANDOM:
        a, b, c = param(8, 6), param(8, 6), param(8, 6)
        getattr(init, name)(a, generator=autograd.Generator().manual_seed(3))
        getattr(init, name)(b, generator=autograd.Generator().manual_seed(3))
        getattr(init, name)(c, generator=autograd.Generator().manual_seed(4))
        assert np.array_equal(a.numpy(), b.numpy()) and not np.array_equal(a.numpy(), c.numpy())
    autograd.manual_seed(7)
    first = init.normal_(param(5)).numpy().copy()
    autograd.manual_seed(7)
    assert np.array_equal(init.normal_(param(5)).numpy(), first)


def test_bounds_and_spreads_follow_the_formulas():
    w = param(400, 300)
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 300)  # kaiming_uniform_, relu, fan_in
    init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= bound and np.abs(w.numpy()).max() > 0.99 * bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2.0 / 400), rel=0.02)
    init.xavier_uniform_(w, gain=2.0)
    assert np.abs(w.numpy()).max() <= 2.0 * math.sqrt(6.0 / 700)
    init.xavier_normal_(w)
    assert w.numpy().std() == pytest.approx(math.sqrt(2.0 / 700), rel=0.02)
    init.trunc_normal_(w, mean=1.0, std=2.0, a=0.0, b=3.0)
    assert w.numpy().min() >= 0.0 and w.numpy().max() <= 3.0
    init.uniform_(w, -0.1, 0.2)
    assert w.numpy().min() >= -0.1 and w.numpy().max() < 0.2
    assert init.kaiming_uniform_(param(0, 3)).shape == (0, 3)  # nothing to fill


def test_orthogonal_eye_dirac_and_sparse():
    for shape in [(6, 4), (4, 6), (5, 2, 3)]:
        w = init.orthogonal_(param(*shape, dtype=np.float64), gain=2.0).numpy().reshape(shape[0], -1)
        small = w @ w.T if shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(small, 4.0 * np.eye(min(w.shape)), atol=1e-12)
    assert init.eye_(param(2, 3)).numpy().tolist() == [[1, 0, 0], [0, 1, 0]]
    conv = init.dirac_(param(4, 2, 3, 3), groups=2).numpy()
    assert conv.sum() == 4 and conv[0, 0, 1, 1] == conv[1, 1, 1, 1] == conv[2, 0, 1, 1] == 1
    sparse = init.sparse_(param(10, 4), sparsity=0.25).numpy()
    assert ((sparse == 0).sum(axis=0) == 3).all()


def test_errors_are_clear():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(param(3))
    with pytest.raises(ValueError, match="Mode fan_sideways"):
        init.kaiming_normal_(param(3, 3), mode="fan_sideways")
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "steep")
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(param(2, 2, 2))
    with pytest.raises(ValueError, match="3, 4, or 5"):
        init.dirac_(param(2, 2))
    with pytest.raises(ValueError, match="holds only"):
        init.trunc_normal_(param(3), mean=0.0, std=1.0, a=7.0, b=8.0)


# --- PyTorch parity ---------------------------------------------------------------------

def test_signatures_match_pytorch():
    torch = pytest.importorskip("torch")
    for name in NAMES:
        ours = inspect.signature(getattr(init, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.init, name)).parameters
        assert [(p.name, p.default) for p in ours.values()] == \
               [(p.name, p.default) for p in theirs.values()], name


def test_gains_and_fans_match_pytorch():
    torch = pytest.importorskip("torch")
    for nonlinearity, param_ in [("linear", None), ("conv2d", None), ("sigmoid", None),
                                 ("tanh", None), ("relu", None), ("leaky_relu", None),
                                 ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)]:
        assert init.calculate_gain(nonlinearity, param_) == pytest.approx(
            torch.nn.init.calculate_gain(nonlinearity, param_), rel=1e-15)
    for shape in [(3, 4), (8, 3, 5, 5), (2, 3, 4), (6, 2, 3, 3, 3)]:
        assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == \
               torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_deterministic_initialisers_match_pytorch():
    torch = pytest.importorskip("torch")
    for name, shape, kwargs in [("eye_", (3, 5), {}), ("dirac_", (6, 3, 3, 3), {"groups": 2}),
                                ("dirac_", (2, 4, 5), {}), ("constant_", (2, 3), {"val": 0.5})]:
        ours = getattr(init, name)(param(*shape), **kwargs).numpy()
        theirs = getattr(torch.nn.init, name)(torch.zeros(shape), **kwargs).numpy()
        np.testing.assert_array_equal(ours, theirs, err_msg=name)


@pytest.mark.parametrize("name,kwargs", [
    ("kaiming_uniform_", {"a": math.sqrt(5)}), ("kaiming_normal_", {"mode": "fan_out"}),
    ("xavier_uniform_", {"gain": 1.5}), ("xavier_normal_", {}), ("orthogonal_", {"gain": 0.5}),
    ("trunc_normal_", {"std": 0.02, "a": -0.03, "b": 0.01}), ("normal_", {"mean": 1.0, "std": 3.0}),
    ("uniform_", {"a": -2.0, "b": 1.0})])
def test_random_initialisers_draw_from_pytorchs_distribution(name, kwargs):
    """Different random streams, same distribution: the moments of 60,000 draws agree, and
    the extremes of the bounded ones."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = getattr(init, name)(param(300, 200, dtype=np.float64), **kwargs).numpy()
    theirs = getattr(torch.nn.init, name)(torch.zeros(300, 200, dtype=torch.float64), **kwargs).numpy()
    spread = theirs.std()
    assert ours.std() == pytest.approx(spread, rel=0.02)
    assert abs(ours.mean() - theirs.mean()) < 0.02 * spread
    if "uniform" in name or "trunc" in name:
        assert ours.min() == pytest.approx(theirs.min(), abs=0.01 * spread)
        assert ours.max() == pytest.approx(theirs.max(), abs=0.01 * spread)
