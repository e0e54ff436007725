"""RNN, LSTM, GRU against PyTorch: the same weights give the same outputs and every gradient.

float64 throughout, tight tolerances; PyTorch's state dicts load with strict=True.
Skipped without torch.
"""
import numpy as np
import pytest

import nn
from autograd import Tensor

torch = pytest.importorskip("torch")

KINDS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True},
    {"batch_first": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False, "num_layers": 2},
]
IDS = ["tanh", "relu", "lstm", "gru"]


def pair(kind, extra, **config):
    """A torch module and ours with the same weights (ours loaded from torch's state dict)."""
    theirs = getattr(torch.nn, kind)(3, 4, **extra, **config).double()
    ours = getattr(nn, kind)(3, 4, **extra, **config)
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(ours.state_dict()) == list(theirs.state_dict())
    return theirs, ours.double()


def run_both(theirs, ours, x, states, seed=0):
    """Forward and backward on both with one random weighting of every output; the results."""
    lstm = isinstance(theirs, torch.nn.LSTM)
    results = []
    for module, make in ((theirs, lambda a: torch.tensor(a, requires_grad=True)),
                         (ours, lambda a: Tensor(a, requires_grad=True))):
        leaves = [make(x)] + [make(s) for s in states]
        hx = None if not states else tuple(leaves[1:]) if lstm else leaves[1]
        output, h_n = module(leaves[0], hx)
        outputs = [output] + (list(h_n) if lstm else [h_n])
        rng = np.random.default_rng(seed)
        weights = [rng.standard_normal(tuple(o.shape)) for o in outputs]
        loss = sum((o * make(w).detach()).sum() for o, w in zip(outputs, weights))
        loss.backward()
        values = [o.detach().numpy() for o in outputs] + [leaf.grad.numpy() for leaf in leaves]
        grads = {name: p.grad.numpy() for name, p in module.named_parameters()}
        results.append((values, grads))
    return results


def assert_same(results):
    (values_t, grads_t), (values_o, grads_o) = results
    assert len(values_t) == len(values_o) and list(grads_t) == list(grads_o)
    for got, want in zip(values_o, values_t):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for name in grads_t:
        np.testing.assert_allclose(grads_o[name], grads_t[name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def shapes(config, unbatched=False, length=7, batch=2):
    layers = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    if unbatched:
        return (length, 3), (layers, 4)
    x = (batch, length, 3) if config.get("batch_first") else (length, batch, 3)
    return x, (layers, batch, 4)


@pytest.mark.parametrize("kind,extra", KINDS, ids=IDS)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
                         or "default")
@pytest.mark.parametrize("with_state", [False, True], ids=["zeros", "h0"])
def test_outputs_and_all_gradients_match(kind, extra, config, with_state):
    theirs, ours = pair(kind, extra, **config)
    rng = np.random.default_rng(1)
    x_shape, h_shape = shapes(config)
    states = [rng.standard_normal(h_shape) for _ in range(2 if kind == "LSTM" else 1)]
    assert_same(run_both(theirs, ours, rng.standard_normal(x_shape), states if with_state else []))


@pytest.mark.parametrize("kind,extra", KINDS, ids=IDS)
@pytest.mark.parametrize("config", [{}, {"num_layers": 2, "bidirectional": True},
                                    {"batch_first": True}], ids=["default", "deep-bi", "bf"])
def test_unbatched_input_matches(kind, extra, config):
    theirs, ours = pair(kind, extra, **config)
    rng = np.random.default_rng(2)
    x_shape, h_shape = shapes(config, unbatched=True)
    states = [rng.standard_normal(h_shape) for _ in range(2 if kind == "LSTM" else 1)]
    assert_same(run_both(theirs, ours, rng.standard_normal(x_shape), states))
    assert_same(run_both(theirs, ours, rng.standard_normal(x_shape), []))


@pytest.mark.parametrize("length", [1, 4, 5, 13])
def test_sequence_lengths_around_the_halving_of_the_time_steps(length):
    theirs, ours = pair("GRU", {}, num_layers=2)
    x = np.random.default_rng(3).standard_normal((length, 2, 3))
    assert_same(run_both(theirs, ours, x, []))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers(kind):
    """p=1 drops every layer output but the last, deterministically, in training only."""
    theirs, ours = pair(kind, {}, num_layers=3, dropout=1.0)
    x = np.random.default_rng(4).standard_normal((5, 2, 3))
    assert_same(run_both(theirs, ours, x, []))
    theirs.eval(), ours.eval()
    assert_same(run_both(theirs, ours, x, []))


def test_float32_modules_agree_too():
    theirs = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(5).standard_normal((6, 2, 3)).astype(np.float32)
    want, _ = theirs(torch.tensor(x))
    got, _ = ours(Tensor(x))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_constructor_defaults_and_repr_match():
    for kind in ("RNN", "LSTM", "GRU"):
        theirs, ours = getattr(torch.nn, kind)(3, 4), getattr(nn, kind)(3, 4)
        for name in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional"):
            assert getattr(ours, name) == getattr(theirs, name), (kind, name)
        assert repr(ours) == repr(theirs)
        deep = dict(num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)
        assert repr(getattr(nn, kind)(3, 4, **deep)) == repr(getattr(torch.nn, kind)(3, 4, **deep))
        shapes_t = {n: tuple(p.shape) for n, p in getattr(torch.nn, kind)(3, 4, **deep).named_parameters()}
        shapes_o = {n: p.shape for n, p in getattr(nn, kind)(3, 4, **deep).named_parameters()}
        assert shapes_o == shapes_t
