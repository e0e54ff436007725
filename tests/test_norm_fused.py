"""The fused batch_norm / layer_norm ops and the sigmoid kernel.

Against PyTorch in float64 (outputs, every gradient, running statistics), float32 kept,
the errors of ``nn.functional``; each kernel of ``autograd/kernels/normalization.py``
and ``sigmoid`` against its NumPy twin, jitted and as plain Python. ``KERNEL_ARGS``
builds their arguments in ``tests/test_kernel_paths.py``'s ``ARGS`` form.
"""
import warnings

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, gradcheck, gradgradcheck, no_grad
from autograd import kernels as K
from autograd.kernels import elementwise as KE
from autograd.kernels import normalization as KN
from autograd.ops import array_sigmoid

# --- kernels against their twins ---------------------------------------------------------


def _norm_arrays(rng, dtype, x_shape, per_channel):
    """x as (N, C, S) with S = H * W (S = 1 when W is 1), g, and a weight along C or S."""
    n, c, h, w = x_shape
    x = (rng.standard_normal((n, c, h * w)) * 3 + 1).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    size = c if per_channel else h * w
    return x, g, rng.standard_normal(size).astype(dtype), rng.standard_normal(size).astype(dtype)


def _stats_args(rng, dtype, x_shape, *_):
    return _norm_arrays(rng, dtype, x_shape, True)[0], 1e-5


def _forward_args(per_channel):
    def build(rng, dtype, x_shape, *_):
        x, _, w, b = _norm_arrays(rng, dtype, x_shape, per_channel)
        mean, _, invstd = KN._norm_stats_numpy(x, 1e-5)
        return x, w, b, mean, invstd, per_channel
    return build


def _backward_input_args(per_channel):
    def build(rng, dtype, x_shape, *_):
        x, g, w, _ = _norm_arrays(rng, dtype, x_shape, per_channel)
        mean, _, invstd = KN._norm_stats_numpy(x, 1e-5)
        return g, x, w, mean, invstd, per_channel
    return build


def _backward_weight_args(per_channel):
    def build(rng, dtype, x_shape, *_):
        x, g, _, _ = _norm_arrays(rng, dtype, x_shape, per_channel)
        mean, _, invstd = KN._norm_stats_numpy(x, 1e-5)
        return g, x, mean, invstd, per_channel
    return build


def _sigmoid_args(rng, dtype, x_shape, *_):
    x = (rng.standard_normal(int(np.prod(x_shape))) * 20).astype(dtype)
    limits = np.array([-1000.0, 1000.0, 0.0, -0.0, np.nan])[: x.size]
    x[: limits.size] = limits
    return x, np.empty_like(x), dtype(1)


KERNEL_ARGS = {  # per kernel of PAIRS: (rng, dtype, x_shape, ...) -> arguments
    "norm_stats": _stats_args,
    "norm_fwd": _forward_args(True),
    "norm_bwd_input": _backward_input_args(True),
    "norm_bwd_weight": _backward_weight_args(True),
    "sigmoid": _sigmoid_args,
}
VARIANTS = {  # layer norm's layout: the weight along S
    "norm_fwd/S": ("norm_fwd", _forward_args(False)),
    "norm_bwd_input/S": ("norm_bwd_input", _backward_input_args(False)),
    "norm_bwd_weight/S": ("norm_bwd_weight", _backward_weight_args(False)),
}
CASES = [(name, (name, build)) for name, build in KERNEL_ARGS.items()] + list(VARIANTS.items())
SHAPES = [(2, 3, 5, 7), (7, 5, 1, 1), (1, 4, 3, 3), (3, 1, 2, 1), (2, 0, 3, 3), (4, 6, 0, 1)]


def _compare(got, want, dtype):
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("label, case", CASES, ids=[label for label, _ in CASES])
def test_kernel_in_use_and_plain_loops_match_the_twin(label, case, shape, dtype):
    name, build = case
    in_use, loops, twin = K.PAIRS[name]
    args = build(np.random.default_rng(0), dtype, shape)
    fresh = lambda: [a.copy() if isinstance(a, np.ndarray) else a for a in args]  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):
        want = twin(*fresh())
        _compare(in_use(*fresh()), want, dtype)
        if np.prod(shape) <= 256:
            _compare(loops(*fresh()), want, dtype)


# --- against PyTorch -----------------------------------------------------------------------


def _torch_batch_norm(torch, x, w, b, rm, rv, training, momentum):
    t = [None if a is None else torch.tensor(a, requires_grad=a.ndim > 1 or i < 3)
         for i, a in enumerate((x, w, b))]
    stats = [None if a is None else torch.tensor(a) for a in (rm, rv)]
    y = torch.nn.functional.batch_norm(t[0], *stats, t[1], t[2], training, momentum, 1e-5)
    return y, t, stats


@pytest.mark.parametrize("affine", ["both", "weight", "none"])
@pytest.mark.parametrize("shape", [(2, 3), (5, 3, 4), (3, 2, 4, 5)], ids=str)
def test_batch_norm_matches_pytorch_float64(shape, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    c = shape[1]
    x = rng.standard_normal(shape) * 2 + 0.5
    w = rng.standard_normal(c) if affine != "none" else None
    b = rng.standard_normal(c) if affine == "both" else None
    g = rng.standard_normal(shape)
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    leaves = [Tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    run_m, run_v = Tensor(rm.copy()), Tensor(rv.copy())
    y = F.batch_norm(leaves[0], run_m, run_v, leaves[1], leaves[2], True, 0.3, 1e-5)
    (y * Tensor(g)).sum().backward()
    ty, tleaves, tstats = _torch_batch_norm(torch, x, w, b, rm, rv, True, 0.3)
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    for ours, theirs in zip(leaves, tleaves):
        if ours is not None:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-11)
    np.testing.assert_allclose(run_m.numpy(), tstats[0].numpy(), atol=1e-14)
    np.testing.assert_allclose(run_v.numpy(), tstats[1].numpy(), atol=1e-14)


@pytest.mark.parametrize("normalized, shape", [((4,), (3, 4)), ((3, 4), (2, 3, 4)),
                                               ((5,), (5,)), ((2, 3), (0, 2, 3))], ids=str)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm_matches_pytorch_float64(normalized, shape, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal(shape) * 2 - 1, rng.standard_normal(shape)
    w = rng.standard_normal(normalized) if affine != "none" else None
    b = rng.standard_normal(normalized) if affine == "both" else None
    leaves = [Tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = F.layer_norm(leaves[0], normalized, leaves[1], leaves[2])
    (y * Tensor(g)).sum().backward()
    tleaves = [torch.tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    ty = torch.nn.functional.layer_norm(tleaves[0], normalized, tleaves[1], tleaves[2])
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    for ours, theirs in zip(leaves, tleaves):
        if ours is not None:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-11)


def test_batchnorm_modules_train_and_eval_as_pytorch_float32():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    ours, theirs = nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)
    for step in range(3):
        x = (rng.standard_normal((4, 3, 5, 5)) * (step + 1)).astype(np.float32)
        y, ty = ours(Tensor(x)), theirs(torch.tensor(x))
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=2e-5)
    for name in ("running_mean", "running_var"):
        got = getattr(ours, name)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), getattr(theirs, name).numpy(), rtol=1e-5)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    np.testing.assert_allclose(ours(Tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               atol=2e-5)


def test_float32_stays_float32_through_both_backwards():
    x = Tensor(np.random.default_rng(4).standard_normal((6, 4)).astype(np.float32),
               requires_grad=True)
    for layer in (nn.BatchNorm1d(4), nn.LayerNorm(4)):
        y = layer(x)
        assert y.dtype == np.float32
        y.square().sum().backward()
        assert x.grad.dtype == np.float32 and layer.weight.grad.dtype == np.float32
        x.grad = None


def test_training_without_grad_still_updates_the_running_statistics():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 3))
    recorded, unrecorded = nn.BatchNorm1d(3, dtype=np.float64), nn.BatchNorm1d(3, dtype=np.float64)
    recorded(Tensor(x, requires_grad=True))
    with no_grad():
        unrecorded(Tensor(x))
    np.testing.assert_array_equal(recorded.running_var.numpy(), unrecorded.running_var.numpy())
    np.testing.assert_allclose(recorded.running_var.numpy(), 0.9 + 0.1 * x.var(0, ddof=1))


def test_errors_are_kept():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(Tensor(np.ones((1, 3))), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean and running_var are needed"):
        F.batch_norm(Tensor(np.ones((2, 3))), None, None, training=False)
    with pytest.raises(ValueError, match=r"expects input \(N, C, \*\)"):
        F.batch_norm(Tensor(np.ones(3)), None, None, training=True)
    with pytest.raises(ValueError, match="normalized_shape=\\[4\\]"):
        F.layer_norm(Tensor(np.ones((2, 3))), 4)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expects input of shape"):
        nn.BatchNorm2d(3)(Tensor(np.ones((2, 3, 4))))


def test_second_and_third_order_through_the_functions():
    rng = np.random.default_rng(6)
    x, w, b = (Tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 2, 4), (2,), (2,)))
    bn = lambda x, w, b: F.batch_norm(x, None, None, w, b, True).tanh()  # noqa: E731
    assert gradcheck(bn, (x, w, b)) and gradgradcheck(bn, (x, w, b))
    v, u = (Tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3, 4), (3, 4)))
    ln = lambda x, w: F.layer_norm(x, (3, 4), w).sin()  # noqa: E731
    assert gradcheck(ln, (v, u)) and gradgradcheck(ln, (v, u))


# --- sigmoid ---------------------------------------------------------------------------------


def _old_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_limits_without_warnings(dtype):
    x = np.array([-1000.0, 1000.0, 0.0, -0.0, -100.0, np.inf, -np.inf], dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = array_sigmoid(x)
        twin = KE._sigmoid_numpy(x, np.empty_like(x), dtype(1))
    for out in (got, twin):
        assert out.dtype == dtype
        assert out[0] == 0 and out[1] == 1 and out[2] == 0.5 and out[3] == 0.5
        assert out[5] == 1 and out[6] == 0
        assert 0 < out[4] < 1e-40
    assert np.isnan(array_sigmoid(np.array([np.nan], dtype)))[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_stays_within_a_few_ulp_of_the_former_formula(dtype):
    x = (np.random.default_rng(7).standard_normal((64, 33)) * 12).astype(dtype)
    strided = x[::2, 1::3]
    got, old = array_sigmoid(strided), _old_sigmoid(strided)
    assert got.dtype == dtype and got.shape == strided.shape
    assert np.all(np.abs(got - old) <= 4 * np.spacing(old))
    np.testing.assert_array_equal(KE._sigmoid_numpy(x, np.empty_like(x), dtype(1)),
                                  _old_sigmoid(x))  # the twin is the former formula, exactly


def test_sigmoid_of_other_dtypes_and_shapes():
    assert array_sigmoid(np.array([0, 1])).dtype == np.float64
    assert array_sigmoid(np.zeros(3, np.float16)).dtype == np.float16
    assert array_sigmoid(np.zeros((0, 3))).shape == (0, 3)
    assert array_sigmoid(np.float64(0.0)) == 0.5
    t = Tensor(np.array([-1.0, 2.0], np.float32), requires_grad=True)
    t.sigmoid().sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), _old_sigmoid(t.numpy()) * _old_sigmoid(-t.numpy()),
                               rtol=1e-6)


def test_float16_takes_the_numpy_twins():
    x = Tensor(np.random.default_rng(8).standard_normal((6, 4)).astype(np.float16),
               requires_grad=True)
    for layer in (nn.BatchNorm1d(4, dtype=np.float16), nn.LayerNorm(4, dtype=np.float16)):
        y = layer(x)
        assert y.dtype == np.float16
        y.sum().backward()
        assert x.grad.dtype == np.float16
        x.grad = None


@pytest.mark.parametrize("affine", ["both", "none"])
def test_eval_mode_batch_norm_and_its_gradients_match_pytorch_float64(affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x, g = rng.standard_normal((3, 4, 2)), rng.standard_normal((3, 4, 2))
    w, b = (rng.standard_normal(4), rng.standard_normal(4)) if affine == "both" else (None, None)
    rm, rv = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
    leaves = [Tensor(a, requires_grad=True) if a is not None else None for a in (x, w, b)]
    y = F.batch_norm(leaves[0], Tensor(rm), Tensor(rv), leaves[1], leaves[2], training=False)
    (y * Tensor(g)).sum().backward()
    ty, tleaves, _ = _torch_batch_norm(torch, x, w, b, rm, rv, False, 0.1)
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    for ours, theirs in zip(leaves, tleaves):
        if ours is not None:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)
