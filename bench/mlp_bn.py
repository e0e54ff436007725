"""mlp_bn: MLP 784-512-512-10 with BatchNorm1d after each hidden Linear (Linear-BatchNorm1d-
ReLU twice, then Linear), training mode, batches of 256 MNIST digits, softmax cross-entropy,
backward, Adam(lr=1e-3) step.

One repetition is a short training loop of 5 steps (1 with ``--quick``, on batches of 32)
over different batches, each turned into tensors with ``from_numpy`` that step, with
``loss.item()`` read every step; the table reports time per step. kissgrad and PyTorch run
the very same model and loop code; the NumPy floor is the same step by hand (batch
statistics, running averages, Adam's update as PyTorch computes it).
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

SIZES, BATCH, QUICK_BATCH, STEPS, QUICK_STEPS = (784, 512, 512, 10), 256, 32, 5, 1
LR, BETAS, EPS, BN_EPS, MOMENTUM = 1e-3, (0.9, 0.999), 1e-8, 1e-5, 0.1
UNIT = "ms per step"


def steps_count(quick):
    """Training steps per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def initial_weights(seed=0):
    """{name: array} in PyTorch's parameter order and layout: Linear default init, BN 1 and 0."""
    rng = np.random.default_rng(seed)
    weights = {}
    for layer, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        weights[f"{3 * layer}.weight"] = uniform_init(rng, n_in, (n_out, n_in))
        weights[f"{3 * layer}.bias"] = uniform_init(rng, n_in, (n_out,))
        if layer < len(SIZES) - 2:
            weights[f"{3 * layer + 1}.weight"] = np.ones(n_out, np.float32)
            weights[f"{3 * layer + 1}.bias"] = np.zeros(n_out, np.float32)
    return weights


def _data(quick):
    """[(x (batch, 784) float32, y (batch,) int64)], one per step of a repetition."""
    batch, steps = (QUICK_BATCH if quick else BATCH), steps_count(quick)
    x, y = mnist_batch(batch * steps, seed=4)
    return cycle_batches((x.reshape(len(x), -1), y), batch, steps)


def _torch_shaped(fw, quick):
    """The training loop written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    nn = fw.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(),
                          nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(),
                          nn.Linear(512, 10))
    copy_weights(fw, model, initial_weights())
    opt = fw.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    batches = _data(quick)

    return classifier_loop(fw, model, opt, batches)


def kissgrad(quick=False):
    """kissgrad through its public API: kg.nn.Linear, BatchNorm1d, cross_entropy, kg.optim.Adam."""
    return _torch_shaped(framework("kissgrad"), quick)


def pytorch(quick=False):
    """PyTorch CPU, the same model, loss, optimiser and loop."""
    return _torch_shaped(framework("pytorch"), quick)


def _batch_norm(z, gamma, beta, running):
    """Training-mode BatchNorm1d: output, normalised input, 1/std; updates ``running``."""
    mean, var = z.mean(0), z.var(0)
    inv_std = 1 / np.sqrt(var + BN_EPS)
    normed = (z - mean) * inv_std
    running[0] += MOMENTUM * (mean - running[0])
    running[1] += MOMENTUM * (var * len(z) / (len(z) - 1) - running[1])
    return normed * gamma + beta, normed, inv_std


def _batch_norm_backward(dy, normed, inv_std, gamma):
    """Gradients of the input, gamma and beta."""
    dnormed = dy * gamma
    dz = inv_std / len(dy) * (len(dy) * dnormed - dnormed.sum(0)
                              - normed * (dnormed * normed).sum(0))
    return dz, (dy * normed).sum(0), dy.sum(0)


def numpy_floor(quick=False):
    """The same steps by hand in NumPy: no graph, no checks (the floor)."""
    params = [w.copy() for w in initial_weights().values()]
    w1, b1, g1, be1, w2, b2, g2, be2, w3, b3 = params
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    running = [[np.zeros(n, np.float32), np.ones(n, np.float32)] for n in SIZES[1:-1]]
    batches = _data(quick)
    count = [0]

    def adam(grads):
        count[0] += 1
        b1_, b2_ = BETAS
        correction1, correction2 = 1 - b1_ ** count[0], 1 - b2_ ** count[0]
        for p, g, (m, v) in zip(params, grads, moments):
            m += (1 - b1_) * (g - m)
            v *= b2_
            v += (1 - b2_) * g * g
            p -= LR / correction1 * m / (np.sqrt(v) / np.sqrt(correction2) + EPS)

    def step(x, y):
        rows = np.arange(len(y))
        z1 = x @ w1.T + b1
        a1, n1, s1 = _batch_norm(z1, g1, be1, running[0])
        h1 = np.maximum(a1, 0)
        z2 = h1 @ w2.T + b2
        a2, n2, s2 = _batch_norm(z2, g2, be2, running[1])
        h2 = np.maximum(a2, 0)
        z = h2 @ w3.T + b3
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - z[rows, y]))
        dz = e / total
        dz[rows, y] -= 1
        dz /= len(y)
        dz2, dg2, dbe2 = _batch_norm_backward((dz @ w3) * (a2 > 0), n2, s2, g2)
        dz1, dg1, dbe1 = _batch_norm_backward((dz2 @ w2) * (a1 > 0), n1, s1, g1)
        adam([dz1.T @ x, dz1.sum(0), dg1, dbe1, dz2.T @ h1, dz2.sum(0), dg2, dbe2,
              dz.T @ h2, dz.sum(0)])
        return loss

    return floor_loop(step, batches)


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
