"""cnn_step: Conv(1,8,3,pad 1)-ReLU-MaxPool2-Conv(8,16,3,pad 1)-ReLU-MaxPool2-Flatten-
Linear(784,10) on batches of 64 MNIST digits: forward, softmax cross-entropy, backward,
SGD(lr=0.05) step. One repetition is a short training loop of 10 steps (2 with
``--quick``) over 10 different batches, as a user writes it: each step turns a fresh
NumPy batch into a tensor (``from_numpy``) and reads ``loss.item()``; the table
reports time per step.

Engines: kissgrad (Numba kernels), kissgrad with ``KISSGRAD_KERNELS=numpy`` (the
NumPy twins; set by the driver in that worker's environment), a hand-written NumPy
im2col floor, and PyTorch.
"""
import numpy as np

from .common import classifier_loop, cycle_batches, floor_loop, framework, mnist_batch, uniform_init

BATCH, LR, STEPS, QUICK_STEPS = 64, 0.05, 10, 2
UNIT = "ms per step"
_swv = np.lib.stride_tricks.sliding_window_view


def initial_weights(seed=0):
    """conv1 (w, b), conv2 (w, b), linear (w, b), PyTorch's default init, float32."""
    rng = np.random.default_rng(seed)
    shapes = [((8, 1, 3, 3), 9), ((16, 8, 3, 3), 72), ((10, 784), 784)]
    return [(uniform_init(rng, fan, shape), uniform_init(rng, fan, shape[:1]))
            for shape, fan in shapes]


def steps_count(quick):
    """Training steps per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def _data(quick):
    """The repetition's batches: [(x (64, 1, 28, 28) float32, y (64,) int64)] * steps."""
    steps = steps_count(quick)
    x, y = mnist_batch(BATCH * steps, seed=1)
    return cycle_batches((x[:, None], y), BATCH, steps)


def _torch_shaped(fw, quick):
    """The training loop written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    nn = fw.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(784, 10))
    for layer, (w, b) in zip([model[0], model[3], model[7]], initial_weights()):
        layer.weight.data[...], layer.bias.data[...] = fw.from_numpy(w), fw.from_numpy(b)
    opt = fw.optim.SGD(model.parameters(), lr=LR)
    batches = _data(quick)

    return classifier_loop(fw, model, opt, batches)


def kissgrad(quick=False):
    """kissgrad through its public API (kg.nn.Conv2d, MaxPool2d, cross_entropy, kg.optim.SGD)."""
    return _torch_shaped(framework("kissgrad"), quick)


def _im2col(x, k, pad):
    """Per-sample columns (N, C*k*k, H*W): stride 1, 'same' padding."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, w = x.shape
    cols = _swv(xp, (k, k), axis=(2, 3)).transpose(0, 1, 4, 5, 2, 3)  # (N, C, k, k, H, W)
    return np.ascontiguousarray(cols).reshape(n, c * k * k, h * w)


def _col2im(cols, shape, k, pad):
    """Adjoint of _im2col: one vectorised add per kernel offset."""
    n, c, h, w = shape
    cols = cols.reshape(n, c, k, k, h, w)
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad), cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i: i + h, j: j + w] += cols[:, :, i, j]
    return out[:, :, pad: pad + h, pad: pad + w]


def _conv(x, w, b):
    """Output (N, O, H, W) and the columns: batched GEMMs whose results are already NCHW."""
    cols = _im2col(x, 3, 1)
    out = np.matmul(w.reshape(len(w), -1), cols) + b[:, None]
    return out.reshape(x.shape[0], len(w), *x.shape[2:]), cols


def _pool(x):
    """2x2 max pooling on even sizes; returns the output and each window's winner (0..3).

    The winner is the first maximum in the window, as PyTorch picks it: MNIST's blank
    borders make whole windows of equal values (the bias), and a 0/1 mask of all maxima
    would send the gradient to each of them.
    """
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    windows = windows.reshape(n, c, h // 2, w // 2, 4)
    winner = windows.argmax(axis=-1)[..., None]
    return np.take_along_axis(windows, winner, -1)[..., 0], winner


def _unpool(g, winner):
    n, c, h, w = g.shape
    spread = np.zeros((n, c, h, w, 4), g.dtype)
    np.put_along_axis(spread, winner, g[..., None], -1)
    return spread.reshape(n, c, h, w, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * h, 2 * w)


def numpy_floor(quick=False):
    """The same steps by hand: per-sample im2col + batched BLAS GEMMs, reshape pooling, no
    graph (the floor)."""
    batches = _data(quick)
    (w1, b1), (w2, b2), (w3, b3) = params = [(w.copy(), b.copy()) for w, b in initial_weights()]
    rows = np.arange(BATCH)

    def step(x, y):
        c1, cols1 = _conv(x, w1, b1)
        r1 = np.maximum(c1, 0)
        p1, m1 = _pool(r1)
        c2, cols2 = _conv(p1, w2, b2)
        r2 = np.maximum(c2, 0)
        p2, m2 = _pool(r2)
        flat = p2.reshape(BATCH, -1)
        z = flat @ w3.T + b3
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - z[rows, y]))
        dz = e / total
        dz[rows, y] -= 1
        dz /= BATCH
        gw3, gb3 = dz.T @ flat, dz.sum(0)
        g2 = (_unpool((dz @ w3).reshape(p2.shape), m2) * (c2 > 0)).reshape(BATCH, 16, -1)
        gw2 = np.matmul(g2, cols2.transpose(0, 2, 1)).sum(0).reshape(w2.shape)
        gb2 = g2.sum(axis=(0, 2))
        dp1 = _col2im(np.matmul(w2.reshape(16, -1).T, g2), p1.shape, 3, 1)
        g1 = (_unpool(dp1, m1) * (c1 > 0)).reshape(BATCH, 8, -1)
        gw1 = np.matmul(g1, cols1.transpose(0, 2, 1)).sum(0).reshape(w1.shape)
        gb1 = g1.sum(axis=(0, 2))  # no input gradient: x is data
        for (w, b), (gw, gb) in zip(params, [(gw1, gb1), (gw2, gb2), (gw3, gb3)]):
            w -= LR * gw
            b -= LR * gb
        return loss

    return floor_loop(step, batches)


def pytorch(quick=False):
    """PyTorch CPU, the same model, loss, optimiser and loop."""
    return _torch_shaped(framework("pytorch"), quick)


# "kissgrad-numpy" runs the kissgrad setup in a worker started with KISSGRAD_KERNELS=numpy
ENGINES = {"kissgrad": kissgrad, "kissgrad-numpy": kissgrad, "numpy": numpy_floor,
           "pytorch": pytorch}
ENGINE_ENV = {"kissgrad-numpy": {"KISSGRAD_KERNELS": "numpy"}}
