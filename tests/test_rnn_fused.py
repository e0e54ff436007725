"""The fused recurrent ops (autograd/rnn_ops.py) and their kernels.

Kernels against their NumPy twins, the ops against the reference cells they are the fast
implementation of, nn.LSTM/GRU/RNN against PyTorch (outputs, every gradient, and a
Hessian-vector product through an LSTM), dtypes, saturation and errors. Gradient checks
of every op are in tests/op_cases_rnn.py.
"""
import numpy as np
import pytest

import nn
from autograd import Tensor, grad, gradgradcheck, rnn_ops, stack
from autograd.engine import topological_order
from autograd.kernels import PAIRS

# --- kernels: the one in use and the plain-Python loops against the NumPy twin -------------


def _array_maker(rng, dtype):
    def make(*shape, low=-3.0, high=3.0):
        return rng.uniform(low, high, shape).astype(dtype)

    return make


def _activations(a, n, h, kind):
    """Plausible saved gates: sigmoids in (0, 1), tanhs in (-1, 1) (and GRU's W_hn h + b_hn)."""
    if kind == "lstm":  # i, f, g, o
        return np.concatenate([a(n, 2 * h, low=0, high=1), a(n, h, low=-1, high=1),
                               a(n, h, low=0, high=1)], axis=1)
    return np.concatenate([a(n, 2 * h, low=0, high=1), a(n, h, low=-1, high=1), a(n, h)], 1)


def recurrent_kernel_args(name, rng, dtype, n=3, h=5):
    """Arguments for the recurrent cell kernel ``name`` (the key in ``kernels.PAIRS``)."""
    a = _array_maker(rng, dtype)
    return {
        "lstm_gates": lambda: (a(n, 4 * h), a(n, 4 * h), a(n, 4 * h)),
        "lstm_cell": lambda: (a(n, 4 * h, low=-1, high=1), a(n, h), a(n, h)),
        "lstm_bwd": lambda: (a(n, h), a(n, h), a(n, h), a(n, h), _activations(a, n, h, "lstm"),
                             a(n, h, low=-1, high=1), a(n, h), a(n, 4 * h)),
        "gru_gates": lambda: (a(n, 3 * h), a(n, 3 * h), a(3 * h), a(n, 4 * h)),
        "gru_new": lambda: (a(n, 3 * h), a(n, 4 * h, low=-1, high=1)),
        "gru_mix": lambda: (_activations(a, n, h, "gru"), a(n, h), a(n, h)),
        "gru_bwd": lambda: (a(n, h), a(n, h), _activations(a, n, h, "gru"), a(n, h), a(n, 3 * h),
                            a(n, 3 * h)),
        "rnn_bwd": lambda: (a(n, h), a(n, h), a(n, h, low=-1, high=1), a(n, h), False),
        "rnn_bwd_relu": lambda: (a(n, h), a(n, h), a(n, h, low=-1, high=1), a(n, h), True),
    }[name]()


RECURRENT_ARGS = {name: (lambda rng, dtype, *config, name=name: recurrent_kernel_args(
    name, rng, dtype)) for name in ("lstm_gates", "lstm_cell", "lstm_bwd", "gru_gates",
                                    "gru_new", "gru_mix", "gru_bwd", "rnn_bwd")}
"""Argument builders in tests/test_kernel_paths.py's ``ARGS`` form: (rng, dtype, *config)."""

CALLS = ["lstm_gates", "lstm_cell", "lstm_bwd", "gru_gates", "gru_new", "gru_mix", "gru_bwd",
         "rnn_bwd", "rnn_bwd_relu"]


def _outputs(kernel, args):
    """What a kernel returns on copies of ``args`` (it writes into some of them)."""
    result = kernel(*[x.copy() if isinstance(x, np.ndarray) else x for x in args])
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("call", CALLS)
def test_cell_kernels_match_their_twins(call, dtype):
    in_use, loops, twin = PAIRS[call.removesuffix("_relu")]
    args = recurrent_kernel_args(call, np.random.default_rng(0), dtype)
    want = _outputs(twin, args)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for kernel in (in_use, loops):
        for got, expected in zip(_outputs(kernel, args), want, strict=True):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


# --- the ops against the reference cells ----------------------------------------------------

def _inputs(kind, length, batch, size, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)

    def t(*shape):
        return Tensor(rng.uniform(-1, 1, shape).astype(dtype), requires_grad=True)

    inputs = [t(length, batch, gates * size), t(batch, size)]
    if kind == "lstm":
        inputs.append(t(batch, size))
    inputs.append(t(gates * size, size))
    if kind == "gru":
        inputs.append(t(gates * size))
    return inputs


def _fused(kind, inputs, reverse):
    if kind == "lstm":
        return rnn_ops.lstm_sequence(*inputs, reverse=reverse)
    if kind == "gru":
        return rnn_ops.gru_sequence(*inputs, reverse=reverse)
    return rnn_ops.rnn_sequence(*inputs, nonlinearity=kind, reverse=reverse)


def _reference(kind, inputs, reverse):
    xg, h0 = inputs[:2]
    state = (h0, inputs[2]) if kind == "lstm" else (h0,)
    w_hh = inputs[3] if kind == "lstm" else inputs[2]
    b_hh = inputs[3] if kind == "gru" else None
    states, _ = rnn_ops.reference_sequence(kind, xg, state, w_hh, b_hh, reverse)
    out = stack([s[0] for s in states])
    if kind == "lstm":
        out = stack([out, stack([s[1] for s in states])])
    return out


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
def test_fused_ops_match_the_reference_and_its_gradients(kind, reverse):
    inputs = _inputs(kind, 6, 4, 5)
    fused, reference = _fused(kind, inputs, reverse), _reference(kind, inputs, reverse)
    np.testing.assert_allclose(fused.raw, reference.raw, rtol=1e-12, atol=1e-12)
    weights = Tensor(np.random.default_rng(1).standard_normal(fused.shape))
    got = grad((fused * weights).sum(), inputs)
    want = grad((reference * weights).sum(), inputs)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.raw, w.raw, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh", "relu"])
def test_float32_stays_float32_and_matches_float64(kind):
    single, double = _inputs(kind, 5, 3, 4, np.float32), _inputs(kind, 5, 3, 4)
    out = _fused(kind, single, False)
    assert out.dtype == np.float32
    (out * out).sum().backward()
    assert all(x.grad.dtype == np.float32 for x in single)
    np.testing.assert_allclose(out.raw, _fused(kind, double, False).raw, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh"])
def test_saturated_gates_stay_finite(kind):
    inputs = _inputs(kind, 4, 2, 3, np.float32)
    inputs[0] = Tensor(inputs[0].raw * 1e4, requires_grad=True)  # pre-activations ~ +-1e4
    out = _fused(kind, inputs, False)
    out.sum().backward()
    assert np.isfinite(out.raw).all()
    assert all(np.isfinite(x.grad.raw).all() for x in inputs)


def test_one_node_per_layer_and_direction():
    model = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    out, _ = model(Tensor(np.ones((5, 2, 3), np.float32)))
    names = [n.op.name for n in topological_order([out]) if n.op is not None]
    assert names.count("lstm_sequence") == 4
    assert len(names) < 40  # the unrolled graph had ~37 nodes per step


def test_errors_name_the_argument():
    xg, h0, c0, w = _inputs("lstm", 2, 3, 4)
    with pytest.raises(ValueError, match="T must be >= 1"):
        rnn_ops.lstm_sequence(xg[:0], h0, c0, w)
    with pytest.raises(ValueError, match="w_hh must be"):
        rnn_ops.lstm_sequence(xg, h0, c0, w[:4])
    with pytest.raises(ValueError, match="c0 must have"):
        rnn_ops.lstm_sequence(xg, h0, c0[:1], w)
    with pytest.raises(ValueError, match="xg must be"):
        rnn_ops.gru_sequence(xg, h0, w[:12], Tensor(np.zeros(12)))
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn_ops.rnn_sequence(xg, h0, w, "sigmoid")


def test_an_empty_batch_gives_empty_outputs_and_gradients():
    model = nn.GRU(3, 4, bidirectional=True)
    x = Tensor(np.zeros((5, 0, 3), np.float32), requires_grad=True)
    out, h_n = model(x)
    assert out.shape == (5, 0, 8) and h_n.shape == (2, 0, 4)
    out.sum().backward()
    assert x.grad.shape == (5, 0, 3) and not model.weight_hh_l0.grad.raw.any()


# --- nn against PyTorch (float64): outputs, every gradient, an HVP --------------------------

CONFIGS = [{"num_layers": 2}, {"bidirectional": True}, {"batch_first": True, "num_layers": 2,
                                                         "bidirectional": True}]


def _pair(torch, kind, extra, config):
    theirs = getattr(torch.nn, kind)(3, 5, **extra, **config).double()
    ours = getattr(nn, kind)(3, 5, **extra, **config)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return theirs, ours.double()


@pytest.mark.parametrize("config", CONFIGS, ids=["2-layers", "bidirectional", "all"])
@pytest.mark.parametrize("kind, extra", [("LSTM", {}), ("GRU", {}), ("RNN", {}),
                                         ("RNN", {"nonlinearity": "relu"})],
                         ids=["lstm", "gru", "tanh", "relu"])
def test_nn_matches_torch_outputs_and_gradients(kind, extra, config):
    torch = pytest.importorskip("torch")
    theirs, ours = _pair(torch, kind, extra, config)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 6, 3))
    layers = (2 if config.get("bidirectional") else 1) * config.get("num_layers", 1)
    h = rng.standard_normal((layers, 4 if config.get("batch_first") else 6, 5))  # (D*L, N, H)
    results = []
    for module, make in ((theirs, lambda a: torch.tensor(a, requires_grad=True)),
                         (ours, lambda a: Tensor(a, requires_grad=True))):
        leaves = [make(x), make(h), make(h * 0.5)]
        hx = (leaves[1], leaves[2]) if kind == "LSTM" else leaves[1]
        output, h_n = module(leaves[0], hx)
        outputs = [output] + (list(h_n) if kind == "LSTM" else [h_n])
        loss = sum((o * make(np.cos(np.arange(o.numel())).reshape(tuple(o.shape))).detach()).sum()
                   for o in outputs)
        loss.backward()
        leaves = leaves if kind == "LSTM" else leaves[:2]
        results.append([o.detach().numpy() for o in outputs] + [v.grad.numpy() for v in leaves]
                       + [p.grad.numpy() for _, p in module.named_parameters()])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)


def test_lstm_hessian_vector_product_matches_torch():
    torch = pytest.importorskip("torch")
    theirs, ours = _pair(torch, "LSTM", {}, {"num_layers": 2})
    x = np.random.default_rng(3).standard_normal((4, 2, 3))
    products = []
    for module, wrap in ((theirs, torch.tensor), (ours, Tensor)):
        params = list(module.parameters())
        out, (h_n, c_n) = module(wrap(x))
        loss = (out * out).sum() + (c_n * h_n).sum()
        grads = grad(loss, params, create_graph=True) if module is ours else torch.autograd.grad(
            loss, params, create_graph=True)
        v = [wrap(np.sin(np.arange(p.numel()) + 1.0).reshape(tuple(p.shape))) for p in params]
        dot = sum((g * w).sum() for g, w in zip(grads, v))
        hvp = grad(dot, params) if module is ours else torch.autograd.grad(dot, params)
        products.append([h.detach().numpy() for h in hvp])
    for got, want in zip(products[1], products[0]):
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kind, extra", [("LSTM", {}), ("GRU", {"bias": False}), ("GRU", {}),
                                         ("RNN", {"nonlinearity": "relu"})],
                         ids=["lstm", "gru-nobias", "gru", "relu"])
def test_unfused_modules_record_the_reference_with_the_same_results(kind, extra):
    model = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, **extra).double()
    x = Tensor(np.random.default_rng(4).standard_normal((5, 2, 3)))
    results = []
    for fused in (True, False):
        model.fused = fused
        model.zero_grad()
        output, h_n = model(x)
        h_n = h_n if kind != "LSTM" else h_n[0] * h_n[1]
        (output.sum() + (h_n * h_n).sum()).backward()
        names = {n.op.name for n in topological_order([output]) if n.op is not None}
        assert (kind.lower() + "_sequence" in names) == fused
        results.append([output.raw, h_n.raw] + [p.grad.raw for p in model.parameters()])
    for got, want in zip(results[1], results[0]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_one_tensor_as_h0_and_c0_gets_both_gradients_to_the_second_order():
    xg, h0, _, w = _inputs("lstm", 3, 2, 2)
    assert gradgradcheck(lambda xg, h, w: rnn_ops.lstm_sequence(xg, h, h, w), (xg, h0, w))
