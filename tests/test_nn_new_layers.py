"""GELU, SiLU, SmoothL1Loss, Dropout2d, Unflatten, BatchNorm2d, LayerNorm, Embedding's
padding_idx and the softmax dim rule, without PyTorch: closed forms, gradient checks, errors."""
import math
import warnings

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Tensor, gradcheck, gradgradcheck, nn_ops


def leaf(*shape, seed=0, low=-2.0, high=2.0):
    return Tensor(np.random.default_rng(seed).uniform(low, high, shape), requires_grad=True)


def with_params(module, fn=lambda out: out):
    """``(run, params)``: ``run(x, *ps)`` calls ``module`` with float64 copies ``ps`` of its
    parameters in their slots, so gradcheck can perturb them."""
    module.double()
    names = [n for n, _ in module.named_parameters()]

    def run(x, *ps):
        saved = dict(module._parameters)
        module._parameters.update(zip(names, ps))
        try:
            return fn(module(x))
        finally:
            module._parameters.update(saved)

    return run, tuple(Tensor(p.raw.copy(), requires_grad=True) for p in module.parameters())

# --- GELU, SiLU, erf ----------------------------------------------------------------------


def test_erf_and_gelu_closed_forms():
    x = np.array([-3.0, -0.5, 0.0, 0.7, 2.5])
    np.testing.assert_array_equal(nn_ops.ERF(x), [math.erf(v) for v in x])
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(nn.GELU()(Tensor(x)).raw, x * cdf, rtol=1e-15)
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(F.gelu(Tensor(x), approximate="tanh").raw, tanh_form, rtol=1e-14)
    np.testing.assert_allclose(nn.SiLU()(Tensor(x)).raw, x / (1 + np.exp(-x)), rtol=1e-14)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("exact")
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(Tensor(x), approximate="sigmoid")


@pytest.mark.parametrize("layer", [nn.GELU(), nn.GELU("tanh"), nn.SiLU()], ids=repr)
def test_gelu_silu_gradients_first_and_second_order(layer):
    assert gradcheck(layer, (leaf(2, 3, low=-4, high=4),))
    assert gradgradcheck(layer, (leaf(2, 3, low=-4, high=4),))


def test_gelu_is_finite_far_out():
    x = Tensor(np.array([-1e4, -40.0, 40.0, 1e4]), requires_grad=True)
    out = F.gelu(x)
    out.sum().backward()
    np.testing.assert_array_equal(out.raw, [-0.0, -0.0, 40.0, 1e4])
    np.testing.assert_array_equal(x.grad.raw, [0.0, 0.0, 1.0, 1.0])

# --- SmoothL1Loss -------------------------------------------------------------------------


def test_smooth_l1_closed_form_and_beta_zero_is_l1():
    pred, target = Tensor(np.array([0.2, -3.0, 1.5])), np.zeros(3)
    np.testing.assert_allclose(nn.SmoothL1Loss(reduction="none", beta=0.5)(pred, target).raw,
                               [0.5 * 0.04 / 0.5, 3.0 - 0.25, 1.5 - 0.25])
    assert F.smooth_l1_loss(pred, target, beta=0.0).item() == F.l1_loss(pred, target).item()
    assert gradcheck(lambda p, t: F.smooth_l1_loss(p, t, beta=0.7), (leaf(3, 4), leaf(3, 4, seed=1)))
    assert repr(nn.SmoothL1Loss(reduction="sum")) == "SmoothL1Loss(reduction='sum')"


@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss,
                                  nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss, nn.BCEWithLogitsLoss])
def test_every_loss_takes_the_three_reductions_and_rejects_others(loss):
    for reduction in ("mean", "sum", "none"):
        assert loss(reduction=reduction).reduction == reduction
    with pytest.raises(ValueError, match="reduction"):
        loss(reduction="avg")

# --- Dropout2d ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(50, 80, 3, 2), (4000, 3, 2)])
def test_dropout2d_zeroes_whole_channels(shape):
    autograd.manual_seed(0)
    x = Tensor(np.ones(shape), requires_grad=True)
    out = nn.Dropout2d(0.3)(x)
    planes = out.raw.reshape(shape[:-2] + (-1,))
    assert np.all((planes == 0).all(-1) | (planes == 1 / 0.7).all(-1))  # all or nothing per plane
    assert (planes[..., 0] == 0).mean() == pytest.approx(0.3, abs=0.03)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.raw, out.raw)
    layer = nn.Dropout2d(0.3).eval()
    assert layer(x) is x and repr(layer) == "Dropout2d(p=0.3, inplace=False)"


def test_dropout2d_checks_rank_and_p():
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        F.dropout2d(Tensor(np.ones((4, 5))))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
    assert np.all(F.dropout2d(Tensor(np.ones((2, 3, 2, 2))), p=1.0).raw == 0)

# --- Unflatten, BatchNorm2d, LayerNorm ---------------------------------------------------------


def test_unflatten_round_trip_and_errors():
    x = leaf(2, 12)
    assert nn.Unflatten(1, (3, -1))(x).shape == (2, 3, 4)
    model = nn.Sequential(nn.Unflatten(1, (3, 2, 2)), nn.Flatten())
    np.testing.assert_array_equal(model(x).raw, x.raw)
    assert gradcheck(nn.Unflatten(-1, (4, 3)), (x,))
    with pytest.raises(ValueError, match="multiply"):
        nn.Unflatten(1, (5, 2))(x)
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 12)


def test_batchnorm2d_statistics_gradients_and_errors():
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(4, 3, 5, 2))
    bn = nn.BatchNorm2d(3).double()
    out = bn(Tensor(x)).raw
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(bn.running_var.raw, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1),
                               rtol=1e-12)
    run, params = with_params(bn, lambda out: out * out)
    assert gradcheck(run, (leaf(3, 3, 2, 2),) + params)
    bn.eval()
    run, params = with_params(bn)
    assert gradcheck(run, (leaf(2, 3, 2, 2),) + params)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expects input of shape \(N, 3, H, W\)"):
        bn(Tensor(np.zeros((4, 3, 5))))
    assert [n for n, _ in nn.BatchNorm2d(2, bias=False).named_parameters()] == ["weight"]


def test_layernorm_normalises_the_last_dims_and_gradchecks():
    x = np.random.default_rng(2).normal(1.0, 2.0, size=(3, 2, 4))
    out = nn.LayerNorm((2, 4)).double()(Tensor(x)).raw
    np.testing.assert_allclose(out.reshape(3, -1).mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(out.reshape(3, -1).var(axis=1), 1, rtol=1e-4)
    ln = nn.LayerNorm(4)
    ln.weight.raw[...] = [0.5, 1.0, 2.0, -1.0]
    run, params = with_params(ln, lambda out: out * out)
    assert gradcheck(run, (leaf(3, 4),) + params) and gradgradcheck(run, (leaf(2, 4),) + params)
    assert list(nn.LayerNorm(4, elementwise_affine=False).parameters()) == []
    with pytest.raises(ValueError, match=r"normalized_shape=\[4\] expects input of shape \[\*, 4\]"):
        ln(Tensor(np.zeros((2, 3))))

# --- Embedding ----------------------------------------------------------------------------


def test_embedding_padding_idx_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=1)
    assert np.all(emb.weight.raw[1] == 0)
    emb.weight.raw[1] = [5.0, 6.0]  # looked up as it is, whatever it holds
    out = emb(np.array([[1, 2], [1, 1]]))
    np.testing.assert_array_equal(out.raw[0, 0], [5.0, 6.0])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.raw, [[0, 0], [0, 0], [1, 1], [0, 0]])
    assert nn.Embedding(4, 2, padding_idx=-1).padding_idx == 3


def test_embedding_errors():
    with pytest.raises(ValueError, match="padding_idx=4 must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=4)
    for weight in (Tensor(np.zeros(5)), Tensor(np.array(1.0))):
        with pytest.raises(ValueError, match="weight must be 2-D"):
            F.embedding(np.array([0]), weight)
    with pytest.raises(NotImplementedError, match="sparse"):
        nn.Embedding(4, 2, sparse=True)
    with pytest.raises(IndexError, match="index 4 is out of range"):
        F.embedding(np.array([4]), Tensor(np.zeros((4, 2))), padding_idx=0)

# --- softmax's dim, inplace flags ----------------------------------------------------------


def test_softmax_dim_none_warns_and_picks_pytorchs_dim():
    x = np.random.default_rng(3).normal(size=(2, 3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        implicit = F.softmax(Tensor(x))
    np.testing.assert_allclose(implicit.raw, F.softmax(Tensor(x), dim=0).raw)
    with pytest.warns(UserWarning, match="log_softmax"):
        flat = F.log_softmax(Tensor(x[0]))
    np.testing.assert_allclose(flat.raw, F.log_softmax(Tensor(x[0]), dim=1).raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(Tensor(x), dim=-1)  # an explicit dim does not warn


def test_inplace_flags_are_accepted_and_leave_the_input():
    x = Tensor(np.array([-1.0, 2.0]))
    for layer in (nn.ReLU(inplace=True), nn.LeakyReLU(0.1, True), nn.ELU(inplace=True),
                  nn.SELU(True), nn.SiLU(inplace=True), nn.Dropout(0.0, inplace=True)):
        layer(x)
        assert "inplace=True" in repr(layer)
    np.testing.assert_array_equal(x.raw, [-1.0, 2.0])
    assert F.relu(x, inplace=True).raw.tolist() == [0.0, 2.0]
