"""The one-pass optimizer kernels (autograd/kernels/optimizers.py) against NumPy's formulas.

``REFERENCE`` holds the NumPy updates the kernels replaced, written out here; 20 steps of
Adam, AdamW, RMSprop and Adagrad with the kernels must leave the same parameters and
buffers, bit for bit (``np.array_equal``), in float32 and float64, on the kernel in use
and on each twin; strided parameters take the twins' NumPy path.
"""
import numpy as np
import pytest

import optim
from autograd import Tensor
from autograd import kernels as K
from autograd.kernels import optimizers as KO

STEPS = 20


def _decayed(w, g, group):
    wd = group["weight_decay"]
    if not wd:
        return g
    if group.get("decoupled_weight_decay", False):
        w *= 1 - group["lr"] * wd
        return g
    return g + wd * w


def _buffer(state, name, w):
    return state.setdefault(name, np.zeros_like(w))


def _adam(w, g, state, group):
    beta1, beta2 = group["betas"]
    g = _decayed(w, g, group)
    t = state["step"] = state.get("step", 0) + 1
    m = _buffer(state, "exp_avg", w)
    m *= beta1
    m += (1 - beta1) * g
    v = _buffer(state, "exp_avg_sq", w)
    v *= beta2
    v += (1 - beta2) * g * g
    if group["amsgrad"]:
        v = np.maximum(_buffer(state, "max_exp_avg_sq", w), v, out=state["max_exp_avg_sq"])
    w -= group["lr"] * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + group["eps"])


def _rmsprop(w, g, state, group):
    state["step"] = state.get("step", 0) + 1
    alpha = group["alpha"]
    g = _decayed(w, g, group)
    v = _buffer(state, "square_avg", w)
    v *= alpha
    v += (1 - alpha) * g * g
    if group["centered"]:
        a = _buffer(state, "grad_avg", w)
        a *= alpha
        a += (1 - alpha) * g
        v = v - a * a
    d = np.sqrt(v) + group["eps"]
    if group["momentum"] > 0:
        b = _buffer(state, "momentum_buffer", w)
        b *= group["momentum"]
        b += g / d
        w -= group["lr"] * b
    else:
        w -= group["lr"] * g / d


def _adagrad(w, g, state, group):
    if not state:
        state["step"] = 0
        state["sum"] = np.full_like(w, group["initial_accumulator_value"])
    state["step"] += 1
    g = _decayed(w, g, group)
    lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
    state["sum"] += g * g
    w -= lr * g / (np.sqrt(state["sum"]) + group["eps"])


REFERENCE = {"Adam": _adam, "AdamW": _adam, "RMSprop": _rmsprop, "Adagrad": _adagrad}
CONFIGS = [
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-4, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("Adam", dict(lr=0.01, eps=0.0)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1, eps=1e-4, maximize=True)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.3, initial_accumulator_value=0.2, eps=1e-6,
                     weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
]


def _ids(config):
    return config[0] + "(" + ",".join(f"{k}={v}" for k, v in config[1].items()) + ")"


def _gradients(shape, dtype):
    rng = np.random.default_rng(7)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(STEPS)]
    grads[3][..., :2] = 0  # zero gradients: 0 / (0 + eps), and eps=0's 0 / 0 = NaN
    return grads


def _run_optimizer(name, kwargs, w0, grads):
    p = Tensor(w0.copy(), requires_grad=True)
    opt = getattr(optim, name)([p], **kwargs)
    for g in grads:
        p.grad = Tensor(g)
        opt.step()
    return p.numpy(), opt.state[p]


def _run_reference(name, kwargs, w0, grads):
    opt = getattr(optim, name)([Tensor(w0.copy(), requires_grad=True)], **kwargs)
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    w, state = w0.copy(), {}
    for g in grads:
        REFERENCE[name](w, -g if group["maximize"] else g, state, group)
    return w, state


def _assert_bitwise(got, want):
    (w, state), (w_ref, state_ref) = got, want
    assert w.dtype == w_ref.dtype and np.array_equal(w, w_ref, equal_nan=True)
    assert list(state) == list(state_ref)
    for name, value in state_ref.items():
        assert np.array_equal(state[name], value, equal_nan=True), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_twenty_steps_are_bitwise_numpys(config, dtype):
    name, kwargs = config
    w0 = np.random.default_rng(3).standard_normal((7, 33)).astype(dtype)
    grads = _gradients(w0.shape, dtype)
    with np.errstate(divide="ignore", invalid="ignore"):  # eps=0: 0 / 0 on the NumPy path
        _assert_bitwise(_run_optimizer(name, kwargs, w0, grads),
                        _run_reference(name, kwargs, w0, grads))


@pytest.mark.parametrize("config", CONFIGS[:2] + CONFIGS[7:8] + CONFIGS[11:12], ids=_ids)
def test_twins_are_bitwise_numpys_too(config, monkeypatch):
    for kernel in ("_adam_step", "_rmsprop_step", "_adagrad_step"):
        monkeypatch.setattr(KO, kernel, getattr(KO, kernel + "_numpy"))
    name, kwargs = config
    w0 = np.random.default_rng(4).standard_normal((5, 6)).astype(np.float32)
    grads = _gradients(w0.shape, np.float32)
    _assert_bitwise(_run_optimizer(name, kwargs, w0, grads),
                    _run_reference(name, kwargs, w0, grads))


@pytest.mark.parametrize("config", CONFIGS[1:2] + CONFIGS[7:8] + CONFIGS[11:12], ids=_ids)
def test_strided_parameters_take_numpys_path(config):
    name, kwargs = config
    w0 = np.asfortranarray(np.random.default_rng(5).standard_normal((6, 5)))
    grads = [np.asfortranarray(g) for g in _gradients(w0.shape, np.float64)]
    got = _run_optimizer(name, kwargs, w0, grads)
    _assert_bitwise(got, _run_reference(name, kwargs, w0, grads))


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad"])
def test_plain_python_loops_are_bitwise_their_twins(name):
    loops, twin = getattr(KO, f"_{name}_step_loops"), getattr(KO, f"_{name}_step_numpy")
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal(40).astype(np.float32) for _ in range(5)]
    arrays[3] = np.abs(arrays[3])  # second moments are >= 0
    f = np.float32
    scalars = {"adam": (f(0.9), f(0.1), f(0.99), f(0.01), f(0.01), f(0.5), f(0.1), f(1e-8), True),
               "rmsprop": (f(0.9), f(0.1), f(0.01), f(1e-8), f(0.5), True, True),
               "adagrad": (f(0.1), f(1e-10))}[name]
    count = {"adam": 5, "rmsprop": 5, "adagrad": 3}[name]
    a = [x.copy() for x in arrays[:count]]
    b = [x.copy() for x in arrays[:count]]
    if name == "adagrad":
        a[2], b[2] = np.abs(a[2]), np.abs(b[2])
    with np.errstate(invalid="ignore"):
        loops(*a, *scalars)
        twin(*b, *scalars)
    for x, y in zip(a, b):
        assert np.array_equal(x, y, equal_nan=True)


def test_kernels_are_registered_as_pairs():
    for name in ("adam_step", "rmsprop_step", "adagrad_step"):
        in_use, loops, twin = K.PAIRS[name]
        assert loops is getattr(KO, f"_{name}_loops") and twin is getattr(KO, f"_{name}_numpy")


def _step_args(name):
    """Arguments of kernel ``name`` in ``tests/test_kernel_paths.py``'s ``ARGS`` form."""
    def build(rng, dtype, x_shape, *_):
        size = int(np.prod(x_shape))
        arrays = [rng.standard_normal(size).astype(dtype) for _ in range(5)]
        arrays[3] = np.abs(arrays[3])  # a sum of squares
        f = dtype
        if name == "adagrad_step":
            return arrays[0], arrays[1], arrays[3], f(0.1), f(1e-10)
        if name == "rmsprop_step":
            return (*arrays, f(0.9), f(0.1), f(0.01), f(1e-8), f(0.5), True, True)
        return (*arrays, f(0.9), f(0.1), f(0.99), f(0.01), f(0.01), f(0.5), f(0.1), f(1e-8), True)
    return build


KERNEL_ARGS = {name: _step_args(name) for name in ("adam_step", "rmsprop_step", "adagrad_step")}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(KERNEL_ARGS))
def test_kernel_args_run_the_kernel_in_use_as_its_twin(name, dtype):
    in_use, _, twin = K.PAIRS[name]
    args = KERNEL_ARGS[name](np.random.default_rng(8), dtype, (2, 3, 5, 7))
    fresh = lambda: [a.copy() if isinstance(a, np.ndarray) else a for a in args]  # noqa: E731
    with np.errstate(invalid="ignore"):
        got, want = fresh(), fresh()
        in_use(*got)
        twin(*want)
    for a, b in zip(got, want):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b, equal_nan=True)
