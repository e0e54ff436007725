"""cnn_large: Conv(1,32,5)-ReLU-MaxPool2-Conv(32,64,5)-ReLU-MaxPool2-Flatten-Linear(1024,256)-
ReLU-Linear(256,10) on batches of 128 MNIST digits: forward, softmax cross-entropy, backward,
SGD(lr=0.05) step.

One repetition is a short training loop of 3 steps (1 with ``--quick``, on batches of 16)
over different batches, each turned into tensors with ``from_numpy`` that step, with
``loss.item()`` read every step; the table reports time per step. kissgrad and PyTorch run
the very same model and loop code; the NumPy floor is the same step by hand, channels-last
inside so that each convolution and each of its gradients is one BLAS GEMM over the batch.
"""
import numpy as np

from .common import (
    classifier_loop,
    copy_weights,
    cycle_batches,
    floor_loop,
    framework,
    mnist_batch,
    uniform_init,
)

BATCH, QUICK_BATCH, LR, STEPS, QUICK_STEPS, K = 128, 16, 0.05, 3, 1, 5
UNIT = "ms per step"
_swv = np.lib.stride_tricks.sliding_window_view


def steps_count(quick):
    """Training steps per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def initial_weights(seed=0):
    """{name: array} in PyTorch's parameter order and layout, PyTorch's default init."""
    rng = np.random.default_rng(seed)
    shapes = {"0": ((32, 1, K, K), K * K), "3": ((64, 32, K, K), 32 * K * K),
              "7": ((256, 1024), 1024), "9": ((10, 256), 256)}
    weights = {}
    for index, (shape, fan_in) in shapes.items():
        weights[f"{index}.weight"] = uniform_init(rng, fan_in, shape)
        weights[f"{index}.bias"] = uniform_init(rng, fan_in, shape[:1])
    return weights


def _data(quick):
    """[(x (batch, 1, 28, 28) float32, y (batch,) int64)], one per step of a repetition."""
    batch, steps = (QUICK_BATCH if quick else BATCH), steps_count(quick)
    x, y = mnist_batch(batch * steps, seed=2)
    return cycle_batches((x[:, None], y), batch, steps)


def _torch_shaped(fw, quick):
    """The training loop written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    nn = fw.nn
    model = nn.Sequential(nn.Conv2d(1, 32, K), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, K), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 10))
    copy_weights(fw, model, initial_weights())
    opt = fw.optim.SGD(model.parameters(), lr=LR)
    batches = _data(quick)

    return classifier_loop(fw, model, opt, batches)


def kissgrad(quick=False):
    """kissgrad through its public API (kg.nn.Conv2d, MaxPool2d, Linear, kg.optim.SGD)."""
    return _torch_shaped(framework("kissgrad"), quick)


def pytorch(quick=False):
    """PyTorch CPU, the same model, loss, optimiser and loop."""
    return _torch_shaped(framework("pytorch"), quick)


def _conv(x, w, b):
    """'valid' convolution of channels-last ``x`` (N, H, W, C): output (N, OH, OW, O) and the
    columns (N*OH*OW, C*K*K), ordered as PyTorch's weight (O, C, K, K) flattens."""
    n, h, w_, c = x.shape
    cols = _swv(x, (K, K), axis=(1, 2)).reshape(n * (h - K + 1) * (w_ - K + 1), c * K * K)
    out = cols @ w.reshape(len(w), -1).T + b
    return out.reshape(n, h - K + 1, w_ - K + 1, len(w)), cols


def _col2im(dcols, shape):
    """Adjoint of _conv's columns: one vectorised add per kernel offset, channels-last."""
    n, h, w, c = shape
    oh, ow = h - K + 1, w - K + 1
    dcols = dcols.reshape(n, oh, ow, c, K, K)
    dx = np.zeros(shape, dcols.dtype)
    for i in range(K):
        for j in range(K):
            dx[:, i: i + oh, j: j + ow, :] += dcols[..., i, j]
    return dx


def _pool(x):
    """2x2 max pooling, channels-last; the output and each window's winner (0..3).

    The winner is the first maximum in the window, as PyTorch picks it: MNIST's blank
    borders make whole windows of equal values (the bias), and a 0/1 mask of all maxima
    would send the gradient to each of them.
    """
    n, h, w, c = x.shape
    windows = x.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 2, 4, 5)
    windows = windows.reshape(n, h // 2, w // 2, 4, c)
    winner = windows.argmax(axis=3)[:, :, :, None]
    return np.take_along_axis(windows, winner, 3)[:, :, :, 0], winner


def _unpool(g, winner):
    n, h, w, c = g.shape
    spread = np.zeros((n, h, w, 4, c), g.dtype)
    np.put_along_axis(spread, winner, g[:, :, :, None], 3)
    return spread.reshape(n, h, w, 2, 2, c).transpose(0, 1, 3, 2, 4, 5).reshape(n, 2 * h, 2 * w, c)


def numpy_floor(quick=False):
    """The same steps by hand in NumPy, channels-last, one GEMM per convolution (the floor)."""
    weights = {k: v.copy() for k, v in initial_weights().items()}
    w1, b1, w2, b2, w3, b3, w4, b4 = weights.values()
    batches = _data(quick)

    def step(x, y):
        n, rows = len(y), np.arange(len(y))
        c1, cols1 = _conv(x.transpose(0, 2, 3, 1), w1, b1)
        p1, m1 = _pool(np.maximum(c1, 0))
        c2, cols2 = _conv(p1, w2, b2)
        p2, m2 = _pool(np.maximum(c2, 0))
        flat = p2.transpose(0, 3, 1, 2).reshape(n, -1)  # PyTorch's (C, H, W) flattening
        hidden = np.maximum(flat @ w3.T + b3, 0)
        z = hidden @ w4.T + b4
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - z[rows, y]))
        dz = e / total
        dz[rows, y] -= 1
        dz /= n
        dhidden = (dz @ w4) * (hidden > 0)
        dflat = (dhidden @ w3).reshape(n, 64, 4, 4).transpose(0, 2, 3, 1)
        g2 = (_unpool(dflat, m2) * (c2 > 0)).reshape(-1, 64)
        dp1 = _col2im(g2 @ w2.reshape(64, -1), p1.shape)
        g1 = (_unpool(dp1, m1) * (c1 > 0)).reshape(-1, 32)  # no input gradient: x is data
        grads = [(g1.T @ cols1).reshape(w1.shape), g1.sum(0),
                 (g2.T @ cols2).reshape(w2.shape), g2.sum(0),
                 dhidden.T @ flat, dhidden.sum(0), dz.T @ hidden, dz.sum(0)]
        for w, gw in zip(weights.values(), grads):
            w -= LR * gw
        return loss

    return floor_loop(step, batches)


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
