"""hvp: a Hessian-vector product of an MLP's loss by double backward: MLP 784-256-10 (tanh,
so every layer has curvature), softmax cross-entropy on a batch of 128 MNIST digits,
``g = autograd.grad(loss, params, create_graph=True)``, then
``Hv = autograd.grad(sum((g_i * v_i).sum()), params)`` for a fixed random direction v.

One repetition is 5 products (1 with ``--quick``) on different batches, each turned into a
tensor with ``from_numpy`` that step; each reads ``v . Hv`` as a float (that is what every
engine reports as its "loss"). The table reports time per product. kissgrad and PyTorch run
the very same code; there is no NumPy floor (a hand-written second-order pass is not a
floor anybody would write).
"""
import numpy as np

from .common import copy_weights, cycle_batches, framework, mnist_batch, uniform_init

SIZES, BATCH, STEPS, QUICK_STEPS = (784, 256, 10), 128, 5, 1
UNIT = "ms per product"


def steps_count(quick):
    """Products per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def initial_weights(seed=0):
    """{name: array} in PyTorch's parameter order and layout, PyTorch's default init."""
    rng = np.random.default_rng(seed)
    weights = {}
    for layer, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        weights[f"{2 * layer}.weight"] = uniform_init(rng, n_in, (n_out, n_in))
        weights[f"{2 * layer}.bias"] = uniform_init(rng, n_in, (n_out,))
    return weights


def direction(seed=1):
    """The fixed direction v, one standard-normal array per parameter."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(w.shape).astype(np.float32) for w in initial_weights().values()]


def _data(quick):
    """[(x (128, 784) float32, y (128,) int64)], one per product of a repetition."""
    steps = steps_count(quick)
    x, y = mnist_batch(BATCH * steps, seed=5)
    return cycle_batches((x.reshape(len(x), -1), y), BATCH, steps)


def _torch_shaped(fw, quick):
    """The products written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    nn = fw.nn
    model = nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.Tanh(), nn.Linear(SIZES[1], SIZES[2]))
    copy_weights(fw, model, initial_weights())
    params = list(model.parameters())
    vs = [fw.from_numpy(v) for v in direction()]
    batches = _data(quick)

    def run():
        for x, y in batches:
            loss = nn.functional.cross_entropy(model(fw.from_numpy(x)), fw.from_numpy(y))
            grads = fw.autograd.grad(loss, params, create_graph=True)
            dot = sum((g * v).sum() for g, v in zip(grads, vs))
            hv = fw.autograd.grad(dot, params)
            curvature = sum((h * v).sum() for h, v in zip(hv, vs)).item()
        return curvature

    return run


def kissgrad(quick=False):
    """kissgrad through its public API: kg.autograd.grad(..., create_graph=True) twice."""
    return _torch_shaped(framework("kissgrad"), quick)


def pytorch(quick=False):
    """PyTorch CPU, the same model and the same two torch.autograd.grad calls."""
    return _torch_shaped(framework("pytorch"), quick)


ENGINES = {"kissgrad": kissgrad, "pytorch": pytorch}
