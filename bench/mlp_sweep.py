"""mlp_sweep: MLP 784-H-H-10 (ReLU), softmax cross-entropy, SGD(lr=0.1) training steps on
MNIST batches of B digits, at a handful of (H, B) points from H=32, B=1 to H=2048, B=512
(a sweep, each point reported as its own row): where a fixed per-op overhead shows (small H
and B) and where BLAS decides (large H and B).

One repetition is a short training loop over consecutive batches (the step count of each
point keeps a repetition at several milliseconds; 2 steps with ``--quick``, where only two
small points run), each batch turned into tensors with ``from_numpy`` that step, with
``loss.item()`` read every step; the table reports time per step. kissgrad and PyTorch run
the very same model and loop code; the NumPy floor is the same step by hand.
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

# point: (hidden, batch, steps per repetition)
SWEEP = {"h32_b1": (32, 1, 50), "h32_b64": (32, 64, 50), "h256_b64": (256, 64, 20),
          "h512_b128": (512, 128, 10), "h2048_b1": (2048, 1, 10), "h2048_b512": (2048, 512, 2)}
QUICK_SWEEP = ("h32_b1", "h256_b64")
QUICK_STEPS, LR, SAMPLES = 2, 0.1, 5000
UNIT = "ms per step"


def steps_count(quick, point):
    """Training steps per repetition at ``point``, which the driver divides the time by."""
    return QUICK_STEPS if quick else SWEEP[point][2]


def initial_weights(hidden, seed=0):
    """{name: array} in PyTorch's parameter order and layout, PyTorch's default init."""
    rng = np.random.default_rng(seed)
    sizes = (784, hidden, hidden, 10)
    weights = {}
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        weights[f"{2 * layer}.weight"] = uniform_init(rng, n_in, (n_out, n_in))
        weights[f"{2 * layer}.bias"] = uniform_init(rng, n_in, (n_out,))
    return weights


def _data(quick, point):
    """[(x (B, 784) float32, y (B,) int64)], one per step of a repetition."""
    _, batch, _ = SWEEP[point]
    x, y = mnist_batch(SAMPLES, seed=6)
    return cycle_batches((x.reshape(len(x), -1), y), batch, steps_count(quick, point))


def _torch_shaped(fw, quick, point):
    """The training loop written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    nn, hidden = fw.nn, SWEEP[point][0]
    model = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                          nn.ReLU(), nn.Linear(hidden, 10))
    copy_weights(fw, model, initial_weights(hidden))
    opt = fw.optim.SGD(model.parameters(), lr=LR)
    batches = _data(quick, point)

    return classifier_loop(fw, model, opt, batches)


def kissgrad(quick=False, point="h32_b1"):
    """kissgrad through its public API: kg.nn.Sequential, Linear, cross_entropy, kg.optim.SGD."""
    return _torch_shaped(framework("kissgrad"), quick, point)


def pytorch(quick=False, point="h32_b1"):
    """PyTorch CPU, the same model, loss, optimiser and loop."""
    return _torch_shaped(framework("pytorch"), quick, point)


def numpy_floor(quick=False, point="h32_b1"):
    """The same steps by hand in NumPy: no graph, no checks (the floor)."""
    params = [w.copy() for w in initial_weights(SWEEP[point][0]).values()]
    batches = _data(quick, point)

    def step(x, y):
        w1, b1, w2, b2, w3, b3 = params
        rows = np.arange(len(y))
        h1 = np.maximum(x @ w1.T + b1, 0)
        h2 = np.maximum(h1 @ w2.T + b2, 0)
        z = h2 @ w3.T + b3
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - z[rows, y]))
        dz = e / total
        dz[rows, y] -= 1
        dz /= len(y)
        dh2 = (dz @ w3) * (h2 > 0)
        dh1 = (dh2 @ w2) * (h1 > 0)
        grads = [dh1.T @ x, dh1.sum(0), dh2.T @ h1, dh2.sum(0), dz.T @ h2, dz.sum(0)]
        for w, gw in zip(params, grads):
            w -= LR * gw
        return loss

    return floor_loop(step, batches)


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
