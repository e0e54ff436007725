"""The layers and functions PyTorch programs use, against PyTorch 2.13 in float64 (1-4:
activations, smooth losses, padding, dropout/pooling/normalisation layers; 5-7, convolution,
embedding and losses: test_nn_torch_conv.py).

Each check runs the same input through kissgrad and torch and compares the forward value
and the gradient of every input and parameter (rtol 1e-10). Skipped without torch.
"""

import numpy as np
import pytest
from torch_layer_check import ATOL, RNG, RTOL, TF, compare, compare_modules, torch

import nn
import nn.functional as F
from autograd import Tensor, grad

# --- 1. GELU and SiLU -------------------------------------------------------------------


WIDE = np.concatenate([np.linspace(-8, 8, 41), [-40.0, -1e-3, 0.0, 1e-3, 40.0]])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_values_and_gradients(approximate):
    compare(lambda x: F.gelu(x, approximate=approximate),
            lambda x: TF.gelu(x, approximate=approximate), WIDE)
    compare(nn.GELU(approximate), torch.nn.GELU(approximate), RNG.standard_normal((3, 4)))
    assert repr(nn.GELU(approximate)) == repr(torch.nn.GELU(approximate))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_second_derivative(approximate):
    x = RNG.standard_normal(6) * 2
    ours = Tensor(x, requires_grad=True)
    (g,) = grad(F.gelu(ours, approximate=approximate).sum(), ours, create_graph=True)
    (g * g).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (h,) = torch.autograd.grad(TF.gelu(theirs, approximate=approximate).sum(), theirs,
                               create_graph=True)
    (h * h).sum().backward()
    np.testing.assert_allclose(g.raw, h.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.grad.raw, theirs.grad.numpy(), rtol=1e-9, atol=ATOL)


def test_silu_values_and_gradients():
    compare(F.silu, TF.silu, WIDE)
    compare(nn.SiLU(), torch.nn.SiLU(), RNG.standard_normal((2, 5)))
    assert repr(nn.SiLU()) == repr(torch.nn.SiLU()) and repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_gelu_float32_stays_float32():
    x = Tensor(RNG.standard_normal(5).astype(np.float32), requires_grad=True)
    out = F.gelu(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32
    np.testing.assert_allclose(out.raw, TF.gelu(torch.tensor(x.raw)).numpy(), rtol=1e-6)

# --- 2. SmoothL1Loss, HuberLoss ------------------------------------------------------------


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.5, 0.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_loss(beta, reduction):
    a, b = RNG.standard_normal((3, 4)) * 2, RNG.standard_normal((3, 4))
    a[0, 0] = b[0, 0]  # d = 0: L1's subgradient 0
    compare(lambda x, t: F.smooth_l1_loss(x, t, reduction=reduction, beta=beta),
            lambda x, t: TF.smooth_l1_loss(x, t, reduction=reduction, beta=beta), a, b)
    compare(lambda x, t: nn.SmoothL1Loss(reduction=reduction, beta=beta)(x, t),
            lambda x, t: torch.nn.SmoothL1Loss(reduction=reduction, beta=beta)(x, t), a, b)


@pytest.mark.parametrize("delta", [1.0, 0.3, 4.0])
def test_huber_loss_deltas(delta):
    a, b = RNG.standard_normal((5,)) * 3, RNG.standard_normal((5,))
    b[1] = a[1] - delta  # exactly on the seam: both sides give the same gradient
    for reduction in ("mean", "sum", "none"):
        compare(lambda x, t: nn.HuberLoss(reduction, delta)(x, t),
                lambda x, t: torch.nn.HuberLoss(reduction, delta)(x, t), a, b)


def test_huber_and_smooth_l1_reject_bad_parameters():
    x = Tensor(np.zeros(3))
    for delta in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="delta must be > 0"):
            F.huber_loss(x, x, delta=delta)
        with pytest.raises(ValueError, match="delta"):
            nn.HuberLoss(delta=delta)
    for beta in (-0.5, float("nan")):
        with pytest.raises(ValueError, match="beta must be >= 0"):
            F.smooth_l1_loss(x, x, beta=beta)
        with pytest.raises(ValueError, match="beta"):
            nn.SmoothL1Loss(beta=beta)
    with pytest.raises(RuntimeError):  # torch agrees: delta <= 0 is an error there too
        TF.huber_loss(torch.zeros(3), torch.zeros(3), delta=0.0)

# --- 3. F.pad ---------------------------------------------------------------------------


@pytest.mark.parametrize("pad, mode, value", [
    ((1, 2), "constant", None), ((2, 0, 1, 3), "constant", -1.5), ((1, 1, 0, 2, 1, 0), "constant", 0),
    ((-1, 2), "constant", 2.0), ((-1, -2, 3, -1), "constant", None), ((2, -4), "constant", 1.0),
    ((0, 0), "constant", None), ((1, 2, 2, 1), "reflect", None), ((2, 0, 0, 3), "replicate", None),
    ((1, 3, 2, 0), "circular", None), ((3, 2, 1, 1), "reflect", None), ((4, 4, 0, 5), "circular", None)],
    ids=lambda v: str(v).replace(" ", ""))
def test_pad_matches_pytorch(pad, mode, value):
    x = RNG.standard_normal((2, 3, 5, 4))
    compare(lambda a: F.pad(a, pad, mode, value), lambda a: TF.pad(a, pad, mode, value), x)


def test_pad_three_d_input_and_errors():
    x = RNG.standard_normal((2, 3, 4))
    compare(lambda a: F.pad(a, (2, 1), mode="reflect"), lambda a: TF.pad(a, (2, 1), mode="reflect"), x)
    compare(lambda a: F.pad(a, [1, 0, 0, 2], value=3.0), lambda a: TF.pad(a, [1, 0, 0, 2], value=3.0), x)
    t = Tensor(x)
    with pytest.raises(ValueError, match="even number"):
        F.pad(t, (1, 2, 3))
    with pytest.raises(ValueError, match="pads 4 dims"):
        F.pad(t, (1,) * 8)
    with pytest.raises(ValueError, match="negative size"):
        F.pad(t, (-3, -2))
    with pytest.raises(ValueError, match="less than the input size 4"):
        F.pad(t, (4, 0), mode="reflect")
    with pytest.raises(ValueError, match="only mode='constant' crops"):
        F.pad(t, (-1, 0), mode="replicate")
    with pytest.raises(ValueError, match="takes no value"):
        F.pad(t, (1, 1), mode="reflect", value=2.0)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(t, (1, 1), mode="symmetric")

# --- 4. Dropout2d, AdaptiveAvgPool2d, Unflatten, BatchNorm2d, LayerNorm ---------------------


@pytest.mark.parametrize("output_size", [1, 3, (2, 3), (5, 4), (None, 3), (4, None), (7, 6),
                                         (3, 5)], ids=str)
def test_adaptive_avg_pool2d(output_size):
    x = RNG.standard_normal((2, 3, 7, 6))
    compare(nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size), x)
    compare(lambda a: F.adaptive_avg_pool2d(a, output_size),
            lambda a: TF.adaptive_avg_pool2d(a, output_size), x[0])  # unbatched (C, H, W)


def test_unflatten_matches_pytorch():
    x = RNG.standard_normal((2, 12, 5))
    for dim, sizes in [(1, (3, 4)), (-1, (5, 1)), (1, (2, -1, 3)), (0, [1, 2])]:
        compare(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), x)
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3},
                                    {"affine": False}, {"track_running_stats": False}], ids=str)
def test_batchnorm2d_training_eval_and_state(kwargs):
    ours, theirs = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs).double()
    if kwargs.get("affine", True):
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
    for step in range(3):
        x = RNG.standard_normal((4, 3, 5, 2)) * (step + 1) + step
        compare_modules(ours, theirs, x)
        theirs.zero_grad()
        ours.zero_grad()
    ours.eval(), theirs.eval()
    compare_modules(ours, theirs, RNG.standard_normal((2, 3, 4, 4)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("shape, kwargs", [
    (6, {}), ((4, 6), {}), ((3, 4, 6), {"eps": 1e-2}), (6, {"elementwise_affine": False}),
    (6, {"bias": False})], ids=str)
def test_layernorm(shape, kwargs):
    ours, theirs = nn.LayerNorm(shape, **kwargs), torch.nn.LayerNorm(shape, **kwargs).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1, 2)
    compare_modules(ours, theirs, RNG.standard_normal((2, 3, 4, 6)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    compare(lambda a: F.layer_norm(a, (6,)), lambda a: TF.layer_norm(a, (6,)), RNG.standard_normal((5, 6)))
