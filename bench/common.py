"""What every benchmark process shares: the thread limit, set before NumPy is imported.

Import this module first (``bench.worker`` does): BLAS, OpenMP and Numba read their
thread counts when they load, so setting them later has no effect.
"""
import os
from pathlib import Path

THREADS = os.environ.get("KISSGRAD_BENCH_THREADS", "2")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
for _name in THREAD_VARIABLES:
    os.environ[_name] = THREADS

DTYPE = "float32"


def thread_count():
    """The thread limit every engine runs with (``KISSGRAD_BENCH_THREADS``, default 2)."""
    return int(THREADS)


def torch_module():
    """Import torch limited to the benchmark's threads; ImportError when it is not installed."""
    import torch

    torch.set_num_threads(thread_count())
    return torch


SAMPLE = Path(__file__).resolve().parents[1] / "nn" / "datasets" / "mnist_5k.npz"


def mnist_batch(count, seed=0):
    """``(X, y)``: ``count`` MNIST digits from the bundled sample, float32 in [0, 1], int64 labels.

    Read from the file (``nn.datasets.mnist_sample`` holds the same), so that the NumPy
    and PyTorch workers do not import kissgrad: their memory is their own.
    """
    import numpy as np

    with np.load(SAMPLE) as npz:
        images, labels = npz["images"], npz["labels"].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(images))[:count]
    return (images[order].astype(np.float32) / 255.0), labels[order]


def uniform_init(rng, fan_in, shape):
    """PyTorch's default init for Linear/Conv2d weights and biases: U(-1/sqrt(fan_in), +)."""
    import numpy as np

    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def framework(name):
    """The torch-shaped namespace an engine runs on: ``kissgrad`` (as ``kg``) or ``torch``.

    The new workloads write their model and training loop once against this namespace
    (``fw.nn``, ``fw.optim``, ``fw.from_numpy``, ``fw.autograd.grad``), so kissgrad and
    PyTorch run the very same user code.
    """
    if name == "pytorch":
        return torch_module()
    import kissgrad

    return kissgrad


def copy_weights(fw, model, weights):
    """Overwrite ``model``'s parameters with ``weights`` ({name: ndarray}), names checked."""
    names = [name for name, _ in model.named_parameters()]
    if names != list(weights):
        raise ValueError(f"parameters {names} differ from the workload's weights {list(weights)}")
    for name, parameter in model.named_parameters():
        parameter.data[...] = fw.from_numpy(weights[name])


def cycle_batches(arrays, batch, steps, start=0):
    """``steps`` consecutive batches of ``batch`` rows from each array in ``arrays``, wrapping
    around; contiguous copies, so each step turns fresh NumPy data into a tensor."""
    import numpy as np

    count = len(arrays[0])
    out = []
    for step in range(steps):
        rows = (start + step * batch + np.arange(batch)) % count
        out.append(tuple(np.ascontiguousarray(a[rows]) for a in arrays))
    return out


def classifier_loop(fw, model, opt, batches):
    """A user's training loop over ``batches`` (NumPy ``x, y``): a fresh tensor from each batch,
    cross-entropy, zero_grad, backward, step, ``loss.item()``; returns it as ``run()``, which
    gives the last loss. ``fw`` is kissgrad or torch: the same loop for both."""
    def run():
        for x, y in batches:
            loss = fw.nn.functional.cross_entropy(model(fw.from_numpy(x)), fw.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
            last = loss.item()
        return last

    return run


def floor_loop(step, batches):
    """``run()`` for a NumPy floor: ``step(*batch)`` over ``batches``, the last loss."""
    def run():
        for batch in batches:
            loss = step(*batch)
        return loss

    return run
