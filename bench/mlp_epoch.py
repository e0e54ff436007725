"""mlp_epoch: MLP 784-256-128-10 (ReLU), batch 128, softmax cross-entropy, SGD(lr=0.1),
one shuffled epoch over 5,000 MNIST digits (the last batch holds the remaining 8).

One repetition is one epoch; each starts from the same weights and the same shuffle
seed in every engine, so every engine does identical work.
"""
import numpy as np

from .common import mnist_batch, torch_module, uniform_init

SIZES = (784, 256, 128, 10)
BATCH, SAMPLES, QUICK_SAMPLES, LR = 128, 5000, 512, 0.1
UNIT = "ms per epoch"


def initial_weights(seed=0):
    """[(W (out, in), b (out,)), ...] for each layer, PyTorch's default init, float32."""
    rng = np.random.default_rng(seed)
    return [(uniform_init(rng, n_in, (n_out, n_in)), uniform_init(rng, n_in, (n_out,)))
            for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


def _data(quick):
    x, y = mnist_batch(QUICK_SAMPLES if quick else SAMPLES)
    return x.reshape(len(x), -1), y


def _batches(count, epoch):
    order = np.random.default_rng(epoch).permutation(count)
    return [order[i: i + BATCH] for i in range(0, count, BATCH)]


def kissgrad(quick=False):
    """kissgrad through its public API: nn.Sequential, F.cross_entropy, optim.SGD."""
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor

    x, y = _data(quick)
    x = Tensor(x)  # indexed per batch, as the PyTorch worker indexes its tensor
    layers = [nn.Linear(a, b) for a, b in zip(SIZES[:-1], SIZES[1:])]
    for layer, (w, b) in zip(layers, initial_weights()):
        layer.weight.data[...], layer.bias.data[...] = w, b
    model = nn.Sequential(layers[0], nn.ReLU(), layers[1], nn.ReLU(), layers[2])
    opt = optim.SGD(model.parameters(), lr=LR)
    epoch = [0]

    def run():
        epoch[0] += 1
        for index in _batches(len(x), epoch[0]):
            loss = F.cross_entropy(model(x[index]), y[index])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()

    return run


def numpy_floor(quick=False):
    """The same model and updates written by hand in NumPy: no graph, no checks (the floor)."""
    x, y = _data(quick)
    params = [(w.copy(), b.copy()) for w, b in initial_weights()]
    epoch = [0]

    def step(xb, yb):
        (w1, b1), (w2, b2), (w3, b3) = params
        h1 = np.maximum(xb @ w1.T + b1, 0)
        h2 = np.maximum(h1 @ w2.T + b2, 0)
        z = h2 @ w3.T + b3
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        rows = np.arange(len(yb))
        loss = float(np.mean(np.log(total[:, 0]) - z[rows, yb]))
        dz = e / total
        dz[rows, yb] -= 1
        dz /= len(yb)
        dh2 = (dz @ w3) * (h2 > 0)
        dh1 = (dh2 @ w2) * (h1 > 0)
        grads = [(dh1.T @ xb, dh1.sum(0)), (dh2.T @ h1, dh2.sum(0)), (dz.T @ h2, dz.sum(0))]
        for (w, b), (gw, gb) in zip(params, grads):
            w -= LR * gw
            b -= LR * gb
        return loss

    def run():
        epoch[0] += 1
        for index in _batches(len(x), epoch[0]):
            loss = step(x[index], y[index])
        return loss

    return run


def pytorch(quick=False):
    """PyTorch CPU: nn.Sequential, F.cross_entropy, optim.SGD."""
    torch = torch_module()
    x, y = _data(quick)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    layers = [torch.nn.Linear(a, b) for a, b in zip(SIZES[:-1], SIZES[1:])]
    with torch.no_grad():
        for layer, (w, b) in zip(layers, initial_weights()):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    epoch = [0]

    def run():
        epoch[0] += 1
        for index in _batches(len(x), epoch[0]):
            index = torch.from_numpy(index)
            loss = torch.nn.functional.cross_entropy(model(x[index]), y[index])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()

    return run


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
