"""cnn_step: Conv(1,8,3,pad 1)-ReLU-MaxPool2-Conv(8,16,3,pad 1)-ReLU-MaxPool2-Flatten-
Linear(784,10) on a batch of 64 MNIST digits: forward, softmax cross-entropy, backward,
SGD(lr=0.05) step. One repetition is one step.

Engines: kissgrad (Numba kernels), kissgrad with ``KISSGRAD_KERNELS=numpy`` (the
NumPy twins; set by the driver in that worker's environment), a hand-written NumPy
im2col floor, and PyTorch.
"""
import numpy as np

from .common import mnist_batch, torch_module, uniform_init

BATCH, LR = 64, 0.05
UNIT = "ms per step"
_swv = np.lib.stride_tricks.sliding_window_view


def initial_weights(seed=0):
    """conv1 (w, b), conv2 (w, b), linear (w, b), PyTorch's default init, float32."""
    rng = np.random.default_rng(seed)
    shapes = [((8, 1, 3, 3), 9), ((16, 8, 3, 3), 72), ((10, 784), 784)]
    return [(uniform_init(rng, fan, shape), uniform_init(rng, fan, shape[:1]))
            for shape, fan in shapes]


def _data():
    x, y = mnist_batch(BATCH, seed=1)
    return x[:, None], y


def kissgrad(quick=False):
    """kissgrad through its public API (nn.Conv2d, nn.MaxPool2d, F.cross_entropy, optim.SGD)."""
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor

    x, y = _data()
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(784, 10))
    for layer, (w, b) in zip([model[0], model[3], model[7]], initial_weights()):
        layer.weight.data[...], layer.bias.data[...] = w, b
    opt = optim.SGD(model.parameters(), lr=LR)
    x = Tensor(x)

    def run():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return run


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
    """2x2 max pooling on even sizes; returns the output and the 0/1 mask of the winners."""
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    mask = blocks == out[:, :, :, None, :, None]
    return out, mask


def _unpool(g, mask):
    n, c, h, w = g.shape
    # ties would get the gradient twice; with continuous inputs they do not occur after ReLU > 0
    return (mask * g[:, :, :, None, :, None]).reshape(n, c, 2 * h, 2 * w)


def numpy_floor(quick=False):
    """The same step by hand: per-sample im2col + batched BLAS GEMMs, reshape pooling, no graph
    (the floor)."""
    x, y = _data()
    (w1, b1), (w2, b2), (w3, b3) = params = [(w.copy(), b.copy()) for w, b in initial_weights()]
    rows = np.arange(BATCH)

    def run():
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

    return run


def pytorch(quick=False):
    """PyTorch CPU, the same model, loss and optimiser."""
    torch = torch_module()
    nn = torch.nn
    x, y = _data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(784, 10))
    with torch.no_grad():
        for layer, (w, b) in zip([model[0], model[3], model[7]], initial_weights()):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=LR)

    def run():
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return run


# "kissgrad-numpy" runs the kissgrad setup in a worker started with KISSGRAD_KERNELS=numpy
ENGINES = {"kissgrad": kissgrad, "kissgrad-numpy": kissgrad, "numpy": numpy_floor,
           "pytorch": pytorch}
ENGINE_ENV = {"kissgrad-numpy": {"KISSGRAD_KERNELS": "numpy"}}
