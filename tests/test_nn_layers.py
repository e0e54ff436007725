"""nn layers, activations and init: gradient checks, closed forms, PyTorch's semantics.
Losses: test_nn_losses.py."""
import math

import numpy as np
import pytest
from module_check import check_module, rand

import autograd
import nn
import nn.functional as F
from autograd import Tensor
from nn import init


def test_linear_shapes_layout_and_dtype():
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    assert layer(Tensor(np.ones((5, 4), dtype=np.float32))).shape == (5, 3)
    assert layer(Tensor(np.ones((2, 5, 4), dtype=np.float32))).shape == (2, 5, 3)
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    expected = x @ layer.weight.raw.T + layer.bias.raw
    np.testing.assert_allclose(layer(Tensor(x)).raw, expected, rtol=1e-6)


def test_linear_default_init_bounds_like_pytorch():
    autograd.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) gives exactly 1/sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.raw).max() <= bound
        assert np.abs(p.raw).max() > 0.95 * bound
    assert layer.weight.raw.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


def test_linear_gradcheck_with_parameters_as_inputs():
    assert check_module(nn.Linear(3, 2), rand(4, 3))
    assert check_module(nn.Linear(3, 2, bias=False), rand(4, 3))


def test_linear_without_bias_and_repr():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=False)"


def test_flatten_and_identity():
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Identity(54, unused=1)(x) is x
    assert check_module(nn.Flatten(), rand(2, 3, 2))


def test_parameter_counts():
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    assert sum(p.numel() for p in mlp.parameters()) == 784 * 256 + 256 + 256 * 10 + 10 == 203530
    assert sum(p.numel() for p in nn.BatchNorm1d(10).parameters()) == 20
    assert sum(p.numel() for p in nn.Embedding(7, 3).parameters()) == 21
    assert list(nn.ReLU().parameters()) == []


# --- activations ------------------------------------------------------------------------

X = np.array([-3.0, -0.5, 0.25, 2.0])

ACTIVATIONS = [
    (nn.ReLU(), np.maximum(X, 0)),
    (nn.LeakyReLU(), np.where(X > 0, X, 0.01 * X)),
    (nn.LeakyReLU(0.2), np.where(X > 0, X, 0.2 * X)),
    (nn.ELU(), np.where(X > 0, X, np.exp(X) - 1)),
    (nn.ELU(0.5), np.where(X > 0, X, 0.5 * (np.exp(X) - 1))),
    (nn.SELU(), 1.0507009873554805 * np.where(X > 0, X, 1.6732632423543772 * (np.exp(X) - 1))),
    (nn.Sigmoid(), 1 / (1 + np.exp(-X))),
    (nn.Tanh(), np.tanh(X)),
    (nn.Softplus(), np.log1p(np.exp(X))),
    (nn.Softplus(beta=2.0), np.log1p(np.exp(2 * X)) / 2),
    (nn.Identity(), X),
]


@pytest.mark.parametrize("layer, expected", ACTIVATIONS, ids=lambda v: repr(v)[:20])
def test_activation_values_and_gradcheck(layer, expected):
    np.testing.assert_allclose(layer(Tensor(X)).raw, expected, rtol=1e-12)
    if not isinstance(layer, nn.Identity):
        assert check_module(layer, Tensor(X, requires_grad=True))
        assert check_module(layer, rand(2, 3))


def test_activation_gradients_at_zero_follow_pytorch():
    def slope(fn):
        x = Tensor(np.zeros(1), requires_grad=True)
        fn(x).sum().backward()
        return float(x.grad.raw[0])

    assert slope(F.relu) == 0.0
    assert slope(lambda x: F.leaky_relu(x, 0.1)) == pytest.approx(0.1)
    assert slope(lambda x: F.elu(x, 0.7)) == pytest.approx(0.7)
    assert slope(F.softplus) == pytest.approx(0.5)


def test_elu_and_softplus_are_stable_for_large_inputs():
    x = Tensor(np.array([-1000.0, -50.0, 50.0, 1000.0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = F.softplus(x)
        out.sum().backward()
    np.testing.assert_allclose(out.raw, [0.0, math.exp(-50), 50.0, 1000.0], rtol=1e-12)
    np.testing.assert_allclose(x.grad.raw, [0.0, 0.0, 1.0, 1.0], atol=1e-15)
    y = Tensor(np.array([-1000.0, 1000.0]), requires_grad=True)
    F.elu(y).sum().backward()
    np.testing.assert_array_equal(y.grad.raw, [0.0, 1.0])
    # float32: the naive log(1 + exp(x)) would overflow at x = 100
    assert F.softplus(Tensor([100.0, 30.0])).raw.tolist() == [100.0, 30.0]


def test_softplus_threshold_switches_to_identity():
    x = Tensor(np.array([5.0, 15.0]), requires_grad=True)
    out = F.softplus(x, beta=2.0, threshold=20.0)
    assert out.raw[1] == 15.0  # beta * x = 30 > threshold
    assert out.raw[0] == pytest.approx(np.log1p(np.exp(10.0)) / 2)


def test_softmax_worked_example():
    probs = nn.Softmax(dim=-1)(Tensor([0.0, 0.006, 0.12])).raw
    np.testing.assert_allclose(np.round(probs, 3), [0.319, 0.321, 0.36], atol=1e-6)
    assert probs.sum() == pytest.approx(1.0)


def test_softmax_and_log_softmax_are_stable_and_use_dim():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    logp = F.log_softmax(Tensor(x), dim=1).raw
    np.testing.assert_allclose(logp[0], [-2.40760596, -1.40760596, -0.40760596], rtol=1e-7)
    np.testing.assert_allclose(logp[1], np.log(np.full(3, 1 / 3)), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(Tensor(x), dim=1).raw, np.exp(logp), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(Tensor(x), dim=0).raw.sum(axis=0), 1.0)
    assert check_module(nn.Softmax(dim=0), rand(3, 2))
    assert check_module(nn.LogSoftmax(dim=1), rand(2, 3))


def test_maxout_values_shape_ties_and_errors():
    x = Tensor(np.array([[1.0, 5.0, 2.0, -1.0, 3.0, 3.0]]), requires_grad=True)
    out = nn.Maxout(2)(x)
    np.testing.assert_array_equal(out.raw, [[5.0, 2.0, 3.0]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.raw, [[0, 1, 1, 0, 0.5, 0.5]])  # a tie splits evenly
    assert nn.Maxout(3)(Tensor(np.zeros((2, 4, 6)))).shape == (2, 4, 2)
    with pytest.raises(ValueError, match="num_pieces=4"):
        nn.Maxout(4)(Tensor(np.zeros((2, 6))))
    with pytest.raises(ValueError):
        nn.Maxout(0)
    assert check_module(nn.Maxout(3), rand(2, 6))


# --- Dropout ----------------------------------------------------------------------------

def test_dropout_train_scales_and_eval_is_identity():
    autograd.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 100)), requires_grad=True)
    out = layer(x)
    kept = out.raw != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(out.raw[kept], 1 / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.raw, out.raw)  # gradient is the scaled mask
    layer.eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert np.all(nn.Dropout(1.0)(x).raw == 0)


def test_dropout_mask_is_seeded_and_p_is_validated():
    x = Tensor(np.ones(50))
    autograd.manual_seed(3)
    first = nn.Dropout()(x).raw
    autograd.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout()(x).raw, first)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
    assert F.dropout(Tensor(np.ones(3, dtype=np.float32)), 0.5).dtype == np.float32


# --- BatchNorm1d ------------------------------------------------------------------------

def test_batchnorm_training_normalises_and_updates_running_stats():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(8, 4))
    bn = nn.BatchNorm1d(4, momentum=0.1).double()
    out = bn(Tensor(x)).raw
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1 / (1 + 1e-5 / x.var(axis=0)), rtol=1e-9)
    np.testing.assert_allclose(bn.running_mean.raw, 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.raw, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-12)
    assert int(bn.num_batches_tracked.raw) == 1


def test_batchnorm_eval_uses_running_stats():
    bn = nn.BatchNorm1d(3).double()
    bn.running_mean.raw[...] = [1.0, 2.0, 3.0]
    bn.running_var.raw[...] = [4.0, 1.0, 0.25]
    bn.weight.raw[...] = [1.0, 2.0, 3.0]
    bn.bias.raw[...] = [0.0, 1.0, -1.0]
    bn.eval()
    x = np.array([[3.0, 2.0, 3.5]])  # a single sample is fine in eval
    expected = (x - [1, 2, 3]) / np.sqrt(np.array([4, 1, 0.25]) + 1e-5) * [1, 2, 3] + [0, 1, -1]
    np.testing.assert_allclose(bn(Tensor(x)).raw, expected, rtol=1e-12)
    assert int(bn.num_batches_tracked.raw) == 0


def test_batchnorm_three_dims_momentum_none_and_options():
    x = np.random.default_rng(1).normal(size=(4, 2, 5))
    bn = nn.BatchNorm1d(2, momentum=None).double()
    bn(Tensor(x))
    bn(Tensor(2 * x))
    both = np.stack([x, 2 * x])
    expected = both.mean(axis=(1, 3)).mean(axis=0)
    np.testing.assert_allclose(bn.running_mean.raw, expected, rtol=1e-12)
    plain = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(plain.parameters()) == [] and list(plain.state_dict()) == []
    plain.eval()  # no running stats: batch statistics even in eval
    np.testing.assert_allclose(plain(Tensor(x)).raw.mean(axis=(0, 2)), 0, atol=1e-7)
    assert list(nn.BatchNorm1d(2).state_dict()) == ["weight", "bias", "running_mean",
                                                    "running_var", "num_batches_tracked"]
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(2)(Tensor(np.zeros((1, 2))))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        nn.BatchNorm1d(3)(Tensor(np.zeros((4, 2))))


def test_batchnorm_gradcheck_train_and_eval():
    bn = nn.BatchNorm1d(3)
    bn.double()
    bn.weight.raw[...] = [0.5, 1.5, -1.0]
    assert check_module(bn, rand(5, 3), fn=lambda out: out * out)
    assert check_module(bn, rand(3, 3, 2), fn=lambda out: out * out)
    bn.eval()
    assert check_module(bn, rand(4, 3))


# --- Embedding --------------------------------------------------------------------------

def test_embedding_lookup_and_accumulating_backward():
    autograd.manual_seed(0)
    emb = nn.Embedding(5, 3)
    assert emb.weight.shape == (5, 3) and repr(emb) == "Embedding(5, 3)"
    idx = np.array([[0, 2], [2, 2]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.raw[1, 0], emb.weight.raw[2])
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.raw[:, 0], [1, 0, 3, 0, 0])
    assert emb(Tensor(np.array([4]))).shape == (1, 3)


def test_embedding_init_and_bad_indices():
    autograd.manual_seed(0)
    w = nn.Embedding(1000, 50).weight.raw
    assert abs(w.mean()) < 0.01 and w.std() == pytest.approx(1.0, abs=0.01)
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="index 4 is out of range for 4"):
        emb(np.array([0, 4]))
    with pytest.raises(IndexError, match="-1"):
        emb(np.array([-1]))
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([0.0, 1.0]))


def test_embedding_gradcheck():
    emb = nn.Embedding(4, 2).double()
    assert check_module(emb, np.array([1, 3, 1]), fn=lambda out: out * out)


# --- init -------------------------------------------------------------------------------

def test_calculate_gain_and_fans():
    assert init.calculate_gain("linear") == init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError):
        init.calculate_gain("swish")
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros((3, 5)))) == (5, 3)
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros((8, 4, 3, 3)))) == (36, 72)
    with pytest.raises(ValueError, match="fewer than 2"):
        init.xavier_uniform_(Tensor(np.zeros(4)))


@pytest.mark.parametrize("fill, bound, std", [
    (lambda t: init.uniform_(t, -0.5, 0.5), 0.5, 0.5 / math.sqrt(3)),
    (lambda t: init.normal_(t, 0.0, 0.2), None, 0.2),
    (lambda t: init.xavier_uniform_(t), math.sqrt(6 / 500), math.sqrt(2 / 500)),
    (lambda t: init.xavier_normal_(t, gain=2.0), None, 2 * math.sqrt(2 / 500)),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(6 / 200),
     math.sqrt(2 / 200)),
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), None, math.sqrt(2 / 200)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), None,
     math.sqrt(2 / 300)),
], ids=["uniform", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
        "kaiming_normal", "kaiming_fan_out"])
def test_init_statistics(fill, bound, std):
    autograd.manual_seed(0)
    t = Tensor(np.zeros((300, 200), dtype=np.float32), requires_grad=True)
    data = t.raw
    assert fill(t) is t and t.raw is data and t.dtype == np.float32  # in place
    if bound is not None:
        assert np.abs(data).max() <= bound * (1 + 1e-6)
        assert np.abs(data).max() > 0.99 * bound
    assert data.std() == pytest.approx(std, rel=0.02)
    assert abs(data.mean()) < 0.02 * std * 10


def test_init_constants_and_seeding():
    t = Tensor(np.zeros((2, 3)))
    assert np.all(init.ones_(t).raw == 1) and np.all(init.zeros_(t).raw == 0)
    assert np.all(init.constant_(t, 0.3).raw == 0.3)
    autograd.manual_seed(5)
    first = init.normal_(Tensor(np.zeros(4))).raw.copy()
    autograd.manual_seed(5)
    np.testing.assert_array_equal(init.normal_(Tensor(np.zeros(4))).raw, first)
    autograd.manual_seed(5)
    a = nn.Linear(3, 2).weight.raw.copy()
    autograd.manual_seed(5)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.raw, a)
