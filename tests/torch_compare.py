"""Run one expression in kissgrad and in PyTorch and compare what comes out.

An expression is ``fn(lib, *tensors)`` where ``lib`` is the ``kissgrad`` module or ``torch``,
so ``lib.cat``, ``lib.tensor`` and the methods read the same in both. ``compare`` makes leaves
from NumPy arrays in each library (float arrays require grad), checks every output's dtype
(by name: ``float32`` is ``torch.float32``), shape and values, then backpropagates the same
random upstream gradient through the float outputs and checks each leaf's gradient.
"""
import numpy as np
import pytest

import kissgrad as kg


def dtype_name(dtype):
    """``"float32"`` for both ``np.float32`` and ``torch.float32`` (``"bool"`` for bools)."""
    return str(dtype).removeprefix("torch.")


def is_tensor(x):
    """A kissgrad or a torch tensor (duck-typed: both have ``dtype`` and ``requires_grad``)."""
    return hasattr(x, "dtype") and hasattr(x, "requires_grad")


def to_numpy(x):
    """The values of a tensor of either library (or of anything NumPy takes) as an ndarray."""
    if is_tensor(x):
        return np.asarray(x.detach().numpy())
    return np.asarray(x)


def constant(lib, array):
    """``array`` as a tensor of ``lib`` with its own dtype. kissgrad's goes through ``Tensor``,
    which keeps an ndarray's dtype (``kg.tensor`` of float64 data gives float32 for now: see
    test_tensor_torch.py), so that these helpers compare everything else in float64."""
    array = np.array(array)
    return kg.Tensor(array) if lib is kg else lib.tensor(array)


def leaves(lib, arrays, grad=True):
    """Each array as a leaf of ``lib`` (same dtype); float ones require grad when ``grad``."""
    return [constant(lib, a).requires_grad_(grad and a.dtype.kind == "f") for a in arrays]


def flatten(out):
    """The tensors (and plain values) of a possibly nested tuple/list output, in order."""
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in flatten(item)]
    return [out]


def assert_same(ours, theirs, rtol=1e-7, atol=1e-10):
    """Same structure, and per output the same dtype name, shape and values (NaN equals NaN)."""
    ours, theirs = flatten(ours), flatten(theirs)
    assert len(ours) == len(theirs), f"{len(ours)} outputs, torch gives {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if is_tensor(b):
            assert is_tensor(a), f"output {i}: torch gives a tensor, kissgrad a {type(a).__name__}"
            assert dtype_name(a.dtype) == dtype_name(b.dtype), f"output {i}: dtype {a.dtype} vs {b.dtype}"
            assert tuple(a.shape) == tuple(b.shape), f"output {i}: shape {a.shape} vs {tuple(b.shape)}"
        else:
            assert type(a) is type(b), f"output {i}: {type(a).__name__} vs torch's {type(b).__name__}"
            if not isinstance(b, (float, np.ndarray)):
                assert a == b, f"output {i}: {a!r} vs torch's {b!r}"
                continue
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"output {i}")


def _backward(lib, outputs, seeds):
    loss = sum((out * constant(lib, seed)).sum() for out, seed in zip(outputs, seeds))
    loss.backward()


def assert_same_grads(ours, theirs, ours_in, theirs_in, rtol=1e-7, atol=1e-10):
    """Backpropagate one random upstream gradient per differentiable output through both, then
    compare the leaves' gradients (a missing gradient counts as zeros)."""
    pairs = [(a, b) for a, b in zip(flatten(ours), flatten(theirs)) if is_tensor(b)]
    tracked = [(a, b) for a, b in pairs if b.requires_grad]
    for a, b in pairs:
        assert bool(a.requires_grad) == bool(b.requires_grad), f"requires_grad {a.requires_grad} vs torch"
    if not tracked:
        return
    rng = np.random.default_rng(7)
    seeds = [rng.standard_normal(tuple(b.shape)) for _, b in tracked]
    _backward(kg, [a for a, _ in tracked], seeds)
    _backward(pytest.importorskip("torch"), [b for _, b in tracked], seeds)
    for i, (x, y) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(tuple(y.shape)) if y.grad is None else y.grad.numpy()
        actual = np.zeros(x.shape) if x.grad is None else to_numpy(x.grad)
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")


def compare(fn, *arrays, grad=True, rtol=1e-7, atol=1e-10):
    """``fn(lib, *leaves)`` in kissgrad and torch: same outputs and (when ``grad``) gradients."""
    torch = pytest.importorskip("torch")
    ours_in, theirs_in = leaves(kg, arrays, grad), leaves(torch, arrays, grad)
    ours, theirs = fn(kg, *ours_in), fn(torch, *theirs_in)
    assert_same(ours, theirs, rtol, atol)
    if grad:
        assert_same_grads(ours, theirs, ours_in, theirs_in, rtol, atol)
    return ours, theirs


def outcome(fn, *args):
    """``fn(*args)`` or the exception it raised (to compare "both raise" as well as values)."""
    try:
        return fn(*args)
    except Exception as error:  # noqa: BLE001  (any error: torch and kissgrad may differ in type)
        return error


def float64(*shape, seed=0, low=-2.0, high=2.0):
    """A reproducible float64 array of ``shape`` drawn uniformly from [low, high)."""
    return np.random.default_rng(seed).uniform(low, high, shape)
