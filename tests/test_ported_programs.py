"""PyTorch programs run unchanged on kissgrad: the same source (tests/ported/) once with torch
and once with kissgrad, from the same initial weights, losses compared step by step.

Each program also runs on kissgrad alone (no torch needed) and must learn.
"""
import numpy as np
import pytest
from ported import char_lstm, cnn_mnist, conv_bn, gru_forecast, hooked_mlp, makemore_mlp, poly_regression
from ported.harness import kissgrad_libs, numpy_state

import kissgrad
import nn as knn

RTOL64 = 1e-9  # float64 programs: only summation order differs


@pytest.fixture(scope="module")
def torch_side():
    """PyTorch's modules (skips without torch), single-threaded while these tests run."""
    torch = pytest.importorskip("torch")
    from ported.harness import torch_libs
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch_libs()
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def kg():
    """kissgrad's torch-shaped modules."""
    return kissgrad_libs()


@pytest.fixture(scope="module")
def digits():
    """The bundled MNIST sample in one fixed order (it is stored sorted by label)."""
    images, labels = knn.datasets.mnist_sample()
    order = np.random.default_rng(0).permutation(len(labels))
    return images[order], labels[order]


def torch_init(T, module, *args, **kwargs):
    """Initial weights drawn by PyTorch (float64), as NumPy arrays."""
    T["torch"].manual_seed(0)
    return numpy_state(module.make_model(T["torch"], T["nn"], T["F"], *args, **kwargs).double())


def assert_steps_close(ours, theirs, rtol=RTOL64, atol=0.0):
    """Step-by-step agreement; the message names the first step that differs."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def learned(losses, k=5, by=0.0):
    """Mean of the last k losses below the mean of the first k (by at least ``by``)."""
    return np.mean(losses[-k:]) < np.mean(losses[:k]) - by


def test_tensor_keeps_the_float64_arrays_the_programs_pass():
    """The programs build inputs and weights with ``torch.tensor(float64 ndarray)``; PyTorch keeps
    float64 there (API.md: "ndarrays keep their dtype"), so float64 comparisons depend on it."""
    assert kissgrad.tensor(np.zeros(2)).dtype == np.float64
    assert kissgrad.tensor(np.zeros(2), dtype=kissgrad.float64).dtype == np.float64
    assert kissgrad.tensor([0.5]).dtype == np.float32


# 1. CNN on MNIST: Conv2d, max-pooling, Dropout, Adadelta, StepLR, DataLoader

@pytest.mark.parametrize("dtype, rtol", [("float64", RTOL64), ("float32", 2e-5)])
def test_cnn_mnist_matches_torch(torch_side, kg, digits, dtype, rtol):
    init = torch_init(torch_side, cnn_mnist)
    theirs = cnn_mnist.run(**torch_side, images=digits[0], labels=digits[1], init=init, dropout=0.0,
                           dtype=dtype)
    ours = cnn_mnist.run(**kg, images=digits[0], labels=digits[1], init=init, dropout=0.0, dtype=dtype)
    assert ours[2].fc1.weight.dtype == np.dtype(dtype)
    assert_steps_close(ours[0], theirs[0], rtol)
    assert_steps_close([t[0] for t in ours[1]], [t[0] for t in theirs[1]], rtol)
    assert [t[1] for t in ours[1]] == [t[1] for t in theirs[1]]
    head = [line.split("Loss")[0] for line in ours[3]]  # "Train Epoch: 1 [0/192 (0%)]\t"
    assert head == [line.split("Loss")[0] for line in theirs[3]]


def test_cnn_mnist_learns_with_dropout_and_saves(kg, digits, tmp_path):
    kissgrad.manual_seed(0)
    path = tmp_path / "mnist_cnn.pt"
    losses, tests, model, logs = cnn_mnist.run(**kg, images=digits[0], labels=digits[1], dropout=0.25,
                                               save_path=path)
    assert len(losses) == 18 and learned(losses, 6, by=0.05)
    assert tests[-1][0] < tests[0][0] and tests[-1][1] > tests[0][1]
    assert logs[0].startswith("Train Epoch: 1 [0/192 (0%)]\tLoss: ") and len(logs) == 9
    restored = cnn_mnist.make_model(kg["torch"], kg["nn"], kg["F"]).double()
    restored.load_state_dict(kissgrad.load(path))
    x = kissgrad.tensor(digits[0][:4, None] / 255.0)
    model.eval(), restored.eval()
    np.testing.assert_array_equal(restored(x).numpy(), model(x).numpy())


# 2. char-level LSTM language model: Embedding, LSTM (sequence-first), clip_grad_norm_, Adam

def test_char_lstm_matches_torch(torch_side, kg):
    init = torch_init(torch_side, char_lstm, len(set(char_lstm.TEXT)))
    theirs = char_lstm.run(**torch_side, init=init)
    ours = char_lstm.run(**kg, init=init)
    assert_steps_close(ours[0], theirs[0])
    assert_steps_close(ours[1], theirs[1])  # pre-clip gradient norms


def test_char_lstm_learns(kg):
    kissgrad.manual_seed(0)
    losses, norms, model = char_lstm.run(**kg, steps=40)
    assert learned(losses, by=0.3)
    assert all(np.isfinite(norms)) and max(norms) > 0.25  # the clip (0.25) was active at some step
    clipped = np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))
    assert clipped == pytest.approx(min(norms[-1], 0.25), rel=1e-5)


# 3. makemore MLP: C[X] embedding, tanh, cross_entropy, p.data updates, multinomial sampling

def makemore_start():
    """Shared initial parameters (float64) and minibatch rows, since the libraries' RNGs differ."""
    rng = np.random.default_rng(0)
    init = {k: rng.standard_normal(s) * (1.0 if k == "C" else 0.2) for k, s in makemore_mlp.SHAPES.items()}
    rows = sum(len(w) + 1 for w in makemore_mlp.WORDS)
    return init, [rng.integers(0, rows, 32).tolist() for _ in range(40)]


def test_makemore_matches_torch(torch_side, kg):
    init, batches = makemore_start()
    theirs = makemore_mlp.run(torch_side["torch"], torch_side["F"], init=init, batches=batches)
    ours = makemore_mlp.run(kg["torch"], kg["F"], init=init, batches=batches)
    assert [p.dtype for p in ours[3]] == [np.float64] * 5
    assert_steps_close(ours[0], theirs[0])
    assert ours[1] == pytest.approx(theirs[1], rel=RTOL64)


def test_makemore_generator_run_is_reproducible_and_samples_names(kg):
    first = makemore_mlp.run(kg["torch"], kg["F"], samples=5)
    again = makemore_mlp.run(kg["torch"], kg["F"], samples=5)
    assert first[0] == again[0] and first[2] == again[2]
    other = makemore_mlp.run(kg["torch"], kg["F"], samples=5, seed=1)
    assert other[0] != first[0]
    assert learned(first[0], 10, by=0.3) and first[1] < 2.8
    assert first[4] == 27 * 10 + 30 * 64 + 64 + 64 * 27 + 27
    stoi, _ = makemore_mlp.vocabulary()
    for name in first[2]:
        assert set(name) <= set(stoi) and (name.endswith(".") or len(name) == 20)
        assert "." not in name[:-1]


# 4. polynomial regression: torch.cat features, smooth_l1_loss, hand-written updates

def regression_problem():
    """Target polynomial, 50 batches of x, initial Linear weights and raw (w, b)."""
    rng = np.random.default_rng(1)
    w_target, b_target = rng.standard_normal(4) * 0.5, rng.standard_normal(1) * 0.5
    xs = [rng.uniform(-1, 1, 32) for _ in range(50)]
    init = {"weight": rng.standard_normal((1, 4)) * 0.3, "bias": rng.standard_normal(1) * 0.3}
    return w_target, b_target, xs, init, rng.standard_normal((4, 1)) * 0.3, np.zeros(1)


def test_poly_regression_matches_torch(torch_side, kg):
    w_target, b_target, xs, init, w0, b0 = regression_problem()
    T = torch_side
    theirs = poly_regression.run_linear(T["torch"], T["nn"], T["F"], xs, w_target, b_target, init)
    ours = poly_regression.run_linear(kg["torch"], kg["nn"], kg["F"], xs, w_target, b_target, init)
    assert_steps_close(ours[0], theirs[0])
    assert ours[1] == theirs[1]
    theirs = poly_regression.run_raw(T["torch"], T["F"], xs, w_target, b_target, w0, b0)
    ours = poly_regression.run_raw(kg["torch"], kg["F"], xs, w_target, b_target, w0, b0)
    assert_steps_close(ours[0], theirs[0])
    assert_steps_close(ours[1], theirs[1])
    assert_steps_close(ours[2], theirs[2])


def test_poly_regression_learns(kg):
    w_target, b_target, xs, init, w0, b0 = regression_problem()
    torch, nn, F = kg["torch"], kg["nn"], kg["F"]
    losses, desc, _ = poly_regression.run_linear(torch, nn, F, xs, w_target, b_target, init)
    assert losses[-1] < losses[0] / 10
    assert desc.startswith("y = ") and desc.count(" x^") == 4
    losses, w, b = poly_regression.run_raw(torch, F, xs, w_target, b_target, w0, b0)
    assert losses[-1] < losses[0] / 10 and w.shape == (4, 1) and b.shape == (1,)


# 5. hooks: forward pre-hook, forward hooks, full backward hooks; LayerNorm, BatchNorm1d, GELU,
#    clip_grad_norm_, AdamW with OneCycleLR / LinearLR

def three_arms(n=96):
    """Three noisy clusters on the unit circle, labelled by cluster."""
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, n)
    angle = y * 2.1 + rng.normal(0, 0.4, n)
    return np.stack([np.cos(angle), np.sin(angle)], 1) * (1 + 0.1 * rng.standard_normal((n, 1))), y


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
@pytest.mark.parametrize("scheduler", ["onecycle", "linear"])
def test_hooked_mlp_matches_torch(torch_side, kg, scheduler):
    X, y = three_arms()
    init = torch_init(torch_side, hooked_mlp)
    theirs = hooked_mlp.run(**torch_side, X=X, y=y, init=init, scheduler=scheduler)
    ours = hooked_mlp.run(**kg, X=X, y=y, init=init, scheduler=scheduler)
    assert_steps_close(ours[0], theirs[0])
    assert_steps_close(ours[1], theirs[1])
    assert ours[2]["inputs"] == theirs[2]["inputs"]
    assert_steps_close(ours[2]["activations"], theirs[2]["activations"])
    assert_steps_close(ours[2]["grad_out"], theirs[2]["grad_out"])
    assert_steps_close(ours[3], theirs[3], rtol=1e-12)
    assert ours[4] == pytest.approx(theirs[4], rel=RTOL64)
    # every weight and BatchNorm running statistic; atol because the bias of the Linear before the
    # BatchNorm has a gradient of pure rounding noise (BatchNorm cancels it), which AdamW turns
    # into ~1e-11 steps, and that bias feeds running_mean
    for name, value in theirs[5].state_dict().items():
        np.testing.assert_allclose(np.asarray(ours[5].state_dict()[name].numpy()), value.numpy(),
                                   rtol=1e-12, atol=1e-8, err_msg=name)


def test_hooked_mlp_learns_and_hooks_fire(kg):
    X, y = three_arms()
    kissgrad.manual_seed(0)
    losses, norms, log, lrs, eval_loss, _ = hooked_mlp.run(**kg, X=X, y=y)
    steps = len(losses)
    assert steps == 24 and learned(losses, by=0.3) and eval_loss < losses[0]
    # removed handles: the eval forward after training added nothing
    assert log["inputs"] == [(16, 2)] * steps
    assert len(log["activations"]) == 2 * steps and len(log["grad_out"]) == 3 * steps
    assert all(np.isfinite(norms)) and all(g > 0 for g in log["grad_out"])
    peak = int(np.argmax(lrs))
    assert 0 < peak < steps - 1 and lrs[-1] < lrs[0] < lrs[peak] == pytest.approx(0.05, rel=1e-2)


# 6. conv-BN net: padding="same", groups, dilation, BatchNorm2d, Dropout2d, AdaptiveAvgPool2d,
#    nesterov SGD with weight decay, MultiStepLR, CrossEntropyLoss(label_smoothing)

def test_conv_bn_matches_torch(torch_side, kg, digits):
    init = torch_init(torch_side, conv_bn)
    theirs = conv_bn.run(**torch_side, images=digits[0], labels=digits[1], init=init, dropout=0.0)
    ours = conv_bn.run(**kg, images=digits[0], labels=digits[1], init=init, dropout=0.0)
    assert_steps_close(ours[0], theirs[0])
    assert_steps_close([e[0] for e in ours[1]], [e[0] for e in theirs[1]])
    assert [e[1] for e in ours[1]] == [e[1] for e in theirs[1]]
    assert ours[2] == pytest.approx(theirs[2], rel=1e-12)


def test_conv_bn_learns(kg, digits):
    kissgrad.manual_seed(0)
    losses, evals, lrs, _ = conv_bn.run(**kg, images=digits[0], labels=digits[1])
    assert learned(losses, 6, by=0.05) and evals[-1][0] < evals[0][0]
    assert lrs == pytest.approx([0.05, 0.025, 0.025])


# 7. GRU forecaster: batch_first GRU, NAdam, CosineAnnealingLR, closed-loop forecast

def sine_series():
    """Six noisy sine waves with random phases, 40 samples each."""
    rng = np.random.default_rng(3)
    t = np.arange(40) * 0.3
    return np.sin(t + rng.uniform(0, 2 * np.pi, (6, 1))) + 0.05 * rng.standard_normal((6, 40))


def test_gru_forecast_matches_torch(torch_side, kg):
    series = sine_series()
    init = torch_init(torch_side, gru_forecast)
    torch = torch_side["torch"]
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # else PyTorch's NAdam rounds its mu_product to float32
    try:
        theirs = gru_forecast.run(**torch_side, series=series, init=init)
    finally:
        torch.set_default_dtype(default)
    ours = gru_forecast.run(**kg, series=series, init=init)
    assert_steps_close(ours[0], theirs[0])
    assert_steps_close(ours[1], theirs[1], rtol=1e-12)
    assert_steps_close(ours[2], theirs[2])


def test_gru_forecast_learns(kg):
    series = sine_series()
    kissgrad.manual_seed(0)
    losses, lrs, preds, _ = gru_forecast.run(**kg, series=series)
    assert learned(losses, by=0.1) and lrs[-1] < 1e-3
    assert np.shape(preds) == (6, 5) and np.all(np.isfinite(preds))
