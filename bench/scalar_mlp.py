"""scalar_mlp: micrograd's demo, a 2-16-16-1 ReLU MLP of scalar ``Value`` nodes on 100
two-moons points: SVM max-margin loss + 1e-4 L2, zero_grad, backward, SGD. One
repetition is a training loop of 3 full steps back to back (1 with ``--quick``), each
building its input nodes afresh from the data and reading the loss as a float, garbage
collection on; the table reports time per step (about 21,000 nodes with backward).

kissgrad and micrograd run the very same model code below (micrograd's ``nn`` module,
written over a ``Value`` class), so they build the same graph op for op. Values hold
Python floats (float64): the float32 rule of the other workloads does not apply.
The floor is the same step vectorised over the 100 points in NumPy (float64).
PyTorch is not run here: it has no scalar node type to compare with.
"""
import math

import numpy as np

SIZES, POINTS, QUICK_POINTS, ALPHA, LR = (2, 16, 16, 1), 100, 20, 1e-4, 0.05
STEPS, QUICK_STEPS = 3, 1
UNIT = "ms per step"


def steps_count(quick):
    """Training steps per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def moons(count, seed=0):
    """Two interleaved half circles with noise 0.1 (sklearn's make_moons); labels -1/+1."""
    rng = np.random.default_rng(seed)
    half = count // 2
    t = np.linspace(0, math.pi, half)
    outer = np.stack([np.cos(t), np.sin(t)], 1)
    inner = np.stack([1 - np.cos(np.linspace(0, math.pi, count - half)),
                      0.5 - np.sin(np.linspace(0, math.pi, count - half))], 1)
    x = np.concatenate([outer, inner]) + 0.1 * rng.standard_normal((count, 2))
    y = np.concatenate([-np.ones(half), np.ones(count - half)])
    return x, y


def initial_weights(seed=0):
    """[(W (out, in), b (out,))] per layer, W ~ U(-1, 1) and b = 0 as micrograd."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (n_out, n_in)), np.zeros(n_out))
            for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


class MLP:
    """micrograd.nn.MLP over any ``Value`` class: neurons b + sum w_i x_i, ReLU but the last."""

    def __init__(self, value):
        self.layers = [[([value(float(w)) for w in row], value(float(b_)), last)
                        for row, b_ in zip(w_, b)]
                       for (w_, b), last in zip(initial_weights(),
                                                (False,) * (len(SIZES) - 2) + (True,))]

    def __call__(self, x):
        for layer in self.layers:
            out = []
            for w, b, last in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act if last else act.relu())
            x = out
        return x[0]

    def parameters(self):
        """Every weight and bias Value, as micrograd's ``MLP.parameters``."""
        return [p for layer in self.layers for w, b, _ in layer for p in w + [b]]


def _value_engine(value, quick):
    x, y = moons(QUICK_POINTS if quick else POINTS)
    rows, labels = x.tolist(), y.tolist()
    model = MLP(value)
    params = model.parameters()
    steps = steps_count(quick)

    def step():
        inputs = [[value(a) for a in row] for row in rows]
        scores = [model(row) for row in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + ALPHA * sum(p * p for p in params)
        for p in params:
            p.grad = 0.0
        total.backward()
        for p in params:
            p.data -= LR * p.grad
        return total.data

    def run():
        for _ in range(steps):
            loss = step()
        return loss

    return run


def kissgrad(quick=False):
    """kissgrad's scalar ``Value``."""
    from autograd import Value

    return _value_engine(Value, quick)


def micrograd(quick=False):
    """micrograd 0.1.0's ``Value`` (pip install micrograd)."""
    from micrograd.engine import Value

    return _value_engine(Value, quick)


def numpy_floor(quick=False):
    """The same step vectorised over the points: matrices instead of nodes (the floor)."""
    x, y = moons(QUICK_POINTS if quick else POINTS)
    params = [(w.copy(), b.copy()) for w, b in initial_weights()]
    steps = steps_count(quick)

    def step():
        (w1, b1), (w2, b2), (w3, b3) = params
        z1 = x @ w1.T + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ w2.T + b2
        h2 = np.maximum(z2, 0)
        s = (h2 @ w3.T + b3)[:, 0]
        margin = 1 - y * s
        loss = np.maximum(margin, 0).mean() + ALPHA * sum((w * w).sum() + (b * b).sum()
                                                          for w, b in params)
        ds = (-y * (margin > 0) / len(y))[:, None]
        dh2 = (ds @ w3) * (z2 > 0)
        dh1 = (dh2 @ w2) * (z1 > 0)
        grads = [(dh1.T @ x, dh1.sum(0)), (dh2.T @ h1, dh2.sum(0)), (ds.T @ h2, ds.sum(0))]
        for (w, b), (gw, gb) in zip(params, grads):
            w -= LR * (gw + 2 * ALPHA * w)
            b -= LR * (gb + 2 * ALPHA * b)
        return float(loss)

    def run():
        for _ in range(steps):
            loss = step()
        return loss

    return run


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "micrograd": micrograd}
