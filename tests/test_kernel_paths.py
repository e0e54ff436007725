"""Every kernel against its NumPy twin, and gradcheck through both kernel paths.

``autograd.kernels.PAIRS`` lists each kernel as (in use, loops, twin). The loops run
jitted when Numba is in use, else as plain Python (what ``NUMBA_DISABLE_JIT=1`` does);
both are compared with the twin on random shapes: odd sizes, strides, paddings,
overlapping windows. The ``KISSGRAD_KERNELS=numpy`` path, ``NUMBA_DISABLE_JIT=1`` and
a machine without Numba run in subprocesses, since the choice is made at import.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from test_norm_fused import KERNEL_ARGS as NORM_KERNEL_ARGS
from test_optim_kernels import KERNEL_ARGS as OPTIMIZER_KERNEL_ARGS
from test_rnn_fused import RECURRENT_ARGS

from autograd import conv_ops as C
from autograd import gradcheck, nn_ops, randn
from autograd import kernels as K

ROOT = Path(__file__).resolve().parents[1]

# (x shape, kernel, stride, padding): odd sizes, overlap (stride < kernel), gaps (stride >
# kernel), windows that do not divide the input, padding on one axis only
WINDOWS = [
    ((2, 3, 7, 5), (3, 3), (1, 1), (1, 1)),
    ((1, 2, 9, 6), (3, 2), (2, 1), (1, 0)),
    ((3, 1, 5, 8), (2, 3), (3, 2), (0, 1)),
    ((2, 2, 6, 6), (2, 2), (2, 2), (0, 0)),
    ((2, 3, 7, 9), (2, 2), (2, 2), (0, 0)),  # max pooling's 2x2 fast path, a row and column left out
    ((1, 4, 11, 7), (5, 3), (2, 3), (2, 1)),
    ((2, 1, 4, 4), (1, 1), (1, 2), (0, 0)),
]


def _out(x_shape, kernel, stride, padding):
    return K.pool_output_shape(x_shape, kernel, stride, padding)


def _pool_padding(kernel, padding):
    """Pooling allows at most half the kernel as padding."""
    return tuple(min(p, k // 2) for p, k in zip(padding, kernel))


def _col2im_args(rng, dtype, x_shape, kernel, stride, padding):
    out_h, out_w = _out(x_shape, kernel, stride, padding)
    cols = rng.standard_normal((x_shape[0], x_shape[1] * kernel[0] * kernel[1], out_h * out_w))
    return (cols.astype(dtype), x_shape[2], x_shape[3], *kernel, *stride, *padding, out_h, out_w)


def _maxpool_fwd_args(rng, dtype, x_shape, kernel, stride, padding):
    padding = _pool_padding(kernel, padding)
    x = rng.standard_normal(x_shape).astype(dtype)
    x.flat[:: 7] = x.flat[1:: 7][: len(x.flat[:: 7])]  # ties between neighbours
    return (x, *kernel, *stride, *padding, *_out(x_shape, kernel, stride, padding),
            x.dtype.type(-np.inf))


def _maxpool_bwd_args(rng, dtype, x_shape, kernel, stride, padding):
    args = _maxpool_fwd_args(rng, dtype, x_shape, kernel, stride, padding)
    out, argmax = K.PAIRS["maxpool2d_fwd"][2](*args)
    g = rng.standard_normal(out.shape).astype(dtype)
    return (g, argmax, x_shape[2], x_shape[3], *args[1:7])


def _xent_fwd_args(rng, dtype, x_shape, *_):
    n, c, h, w = x_shape  # classes on axis 1, the spatial axes flattened to D
    x = (3 * rng.standard_normal((n, c + 1, h * w))).astype(dtype)
    return x, rng.integers(0, c + 1, (n, h * w))


def _xent_bwd_args(rng, dtype, x_shape, *_):
    x, target = _xent_fwd_args(rng, dtype, x_shape)
    loss = K.PAIRS["softmax_xent_fwd"][2](x, target)
    return rng.standard_normal(target.shape).astype(dtype), x, target, loss


def _scatter_args(rng, dtype, x_shape, *_):
    rows = x_shape[2]
    index = rng.integers(0, rows, size=x_shape[0] * x_shape[3])  # repeats on purpose
    out = rng.standard_normal((rows, x_shape[1])).astype(dtype)  # added into, as the engine does
    return out, rng.standard_normal((index.size, x_shape[1])).astype(dtype), index


def _relu_args(rng, dtype, x_shape, *_):
    x = rng.standard_normal(int(np.prod(x_shape))).astype(dtype)
    x[::5] = 0  # the kink gets gradient 0
    g = rng.standard_normal(x.shape).astype(dtype)
    g[1] = np.inf  # and inf * 0 stays NaN, as NumPy's product
    x[1] = -1.0
    return g, x


def _tanh_args(rng, dtype, x_shape, *_):
    out = np.tanh(rng.standard_normal(int(np.prod(x_shape)))).astype(dtype)
    return rng.standard_normal(out.shape).astype(dtype), out


def _add_scaled_args(rng, dtype, x_shape, *_):
    size = int(np.prod(x_shape))
    target = rng.standard_normal(size).astype(dtype)
    return target, dtype(-0.1), rng.standard_normal(size).astype(dtype)


def _im2col_args(rng, dtype, x_shape, kernel, stride, padding):
    out_h, out_w = _out(x_shape, kernel, stride, padding)
    padded = (x_shape[0], x_shape[1], x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1])
    xp = rng.standard_normal(padded).astype(dtype)
    return (xp, *kernel, *stride, out_h, out_w, 1, 1, x_shape[0] % 2 == 0)  # both layouts


ARGS = {
    "im2col": _im2col_args,
    "add_scaled": _add_scaled_args,
    "relu_bwd": _relu_args,
    "tanh_bwd": _tanh_args,
    "col2im": _col2im_args,
    "maxpool2d_fwd": _maxpool_fwd_args,
    "maxpool2d_bwd": _maxpool_bwd_args,
    "softmax_xent_fwd": _xent_fwd_args,
    "softmax_xent_bwd": _xent_bwd_args,
    "scatter_add_rows": _scatter_args,
}
ARGS.update(NORM_KERNEL_ARGS)
ARGS.update(OPTIMIZER_KERNEL_ARGS)
ARGS.update(RECURRENT_ARGS)


def test_every_kernel_has_arguments_here():
    assert set(K.PAIRS) == set(ARGS)


def _fresh(args):
    """Copies of the array arguments: a kernel may update its target in place."""
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def _assert_same(got, want, dtype):
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    for a, b in zip(got, want):
        assert a.shape == b.shape and a.dtype == b.dtype
        if b.dtype.kind in "iu":
            np.testing.assert_array_equal(a, b)
        else:  # sums may run in another order; NaN where the twin has NaN
            tol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("config", WINDOWS, ids=lambda c: "x".join(map(str, c[0])) + f"-k{c[1]}")
@pytest.mark.parametrize("name", sorted(ARGS))
def test_kernel_in_use_matches_its_twin(name, config, dtype):
    in_use, _, twin = K.PAIRS[name]
    args = ARGS[name](np.random.default_rng(0), dtype, *config)
    with np.errstate(invalid="ignore"):  # relu's inf * 0
        _assert_same(in_use(*_fresh(args)), twin(*_fresh(args)), dtype)


@pytest.mark.parametrize("config", WINDOWS[:3], ids=lambda c: "x".join(map(str, c[0])))
@pytest.mark.parametrize("name", sorted(ARGS))
def test_plain_python_loops_match_their_twin(name, config):
    """The loops as Python (NUMBA_DISABLE_JIT=1 or no Numba run exactly this)."""
    _, loops, twin = K.PAIRS[name]
    args = ARGS[name](np.random.default_rng(1), np.float64, *config)
    with np.errstate(invalid="ignore"):  # relu's inf * 0
        _assert_same(loops(*_fresh(args)), twin(*_fresh(args)), np.float64)


def test_maxpool_nan_propagates_and_ties_go_first_on_every_path():
    x = np.array([[[[1.0, 3.0, np.nan, 0.0], [3.0, 2.0, 5.0, 1.0]]]])
    args = (x, 2, 2, 2, 2, 0, 0, 1, 2, -np.inf)
    for impl in K.PAIRS["maxpool2d_fwd"]:
        out, argmax = impl(*args)
        assert out[0, 0, 0, 0] == 3.0 and argmax[0, 0, 0, 0] == 1  # the first 3 wins
        assert np.isnan(out[0, 0, 0, 1]) and argmax[0, 0, 0, 1] == 0


def test_add_scaled_updates_in_place_as_numpy_on_every_layout():
    rng = np.random.default_rng(3)
    for target, x in [
        (rng.standard_normal((5, 7)).astype(np.float32), rng.standard_normal((5, 7)).astype(np.float32)),
        (rng.standard_normal((5, 7))[:, ::2], rng.standard_normal((5, 4))),  # strided: NumPy path
        (rng.standard_normal((3, 4)), rng.standard_normal(4)),  # broadcast: NumPy path
        (rng.standard_normal(6).astype(np.float32), rng.standard_normal(6)),  # mixed dtypes
    ]:
        want = target.copy()
        want += 0.3 * x
        returned = K.add_scaled_(target, 0.3, x)
        assert returned is target
        np.testing.assert_array_equal(target, want)  # bit for bit: no fused multiply-add


def test_scatter_add_rows_wraps_negative_rows_and_rejects_bad_ones():
    g = np.ones((3, 2))
    out = K.scatter_add_rows(g, np.array([0, -1, 0]), (4, 2))
    np.testing.assert_array_equal(out[:, 0], [2, 0, 0, 1])
    with pytest.raises(IndexError):
        K.scatter_add_rows(g, np.array([0, 4, 0]), (4, 2))


def test_softmax_cross_entropy_rejects_labels_out_of_range():
    with pytest.raises(IndexError, match="out of range"):
        K.softmax_cross_entropy_forward(np.zeros((2, 3)), np.array([0, 3]))


# --- gradcheck through the ops that call the kernels, on this process's path ----------------

GRADCHECKS = {
    "conv2d": lambda: gradcheck(lambda x, w, b: C.conv2d(x, w, b, stride=(2, 1), padding=1),
                                (randn(2, 2, 5, 4, dtype=np.float64, requires_grad=True),
                                 randn(3, 2, 3, 2, dtype=np.float64, requires_grad=True),
                                 randn(3, dtype=np.float64, requires_grad=True))),
    "max_pool2d": lambda: gradcheck(lambda x: C.max_pool2d(x, 3, stride=2, padding=1),
                                    (randn(2, 2, 7, 6, dtype=np.float64, requires_grad=True),)),
    "avg_pool2d": lambda: gradcheck(lambda x: C.avg_pool2d(x, (2, 3), stride=(1, 2), padding=1),
                                    (randn(1, 3, 5, 6, dtype=np.float64, requires_grad=True),)),
    "softmax_cross_entropy": lambda: gradcheck(
        lambda x: nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=np.array([[0, 2], [1, 1], [2, 0]])),
        (randn(3, 3, 2, dtype=np.float64, requires_grad=True),)),
    "getitem": lambda: gradcheck(lambda x: x[np.array([[0, 3], [3, 1]])],
                                 (randn(5, 2, dtype=np.float64, requires_grad=True),)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_on_this_path(name):
    assert GRADCHECKS[name]()


def _run(code, **env):
    """Run ``code`` in a fresh interpreter at the repository root, the kernel choice set by ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in ("KISSGRAD_KERNELS", "NUMBA_DISABLE_JIT")}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          env=dict(base, **env), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_gradcheck_on_the_numpy_path():
    out = _run("""
        import sys
        sys.path.insert(0, "tests")
        from autograd import kernels
        import test_kernel_paths as t
        assert kernels.BACKEND.startswith("numpy (KISSGRAD_KERNELS"), kernels.BACKEND
        assert all(in_use is twin for in_use, _, twin in kernels.PAIRS.values())
        for name, check in t.GRADCHECKS.items():
            assert check(), name
        print("ok", len(t.GRADCHECKS))
    """, KISSGRAD_KERNELS="numpy")
    assert out.split() == ["ok", str(len(GRADCHECKS))]


_CNN_STEP = """
    import numpy as np
    import nn, nn.functional as F
    from autograd import Tensor, manual_seed
    manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(2 * 3 * 3, 3))
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 7, 6)).astype(np.float32))
    loss = F.cross_entropy(model(x), np.array([0, 1, 2, 1]))
    loss.backward()
    print(repr(loss.item()), repr(float(model[0].weight.grad.numpy().sum())))
"""


def _losses(**env):
    return [float(v) for v in _run(_CNN_STEP, **env).split()]


def test_numba_disable_jit_and_numpy_paths_agree_with_the_default():
    expected = _losses()
    np.testing.assert_allclose(_losses(NUMBA_DISABLE_JIT="1"), expected, rtol=1e-5)
    np.testing.assert_allclose(_losses(KISSGRAD_KERNELS="numpy"), expected, rtol=1e-5)


def test_everything_works_without_numba():
    blocker = """
        import sys
        class NoNumba:  # as if numba were not installed
            def find_spec(self, name, path=None, target=None):
                if name == "numba" or name.startswith("numba."):
                    raise ImportError("No module named 'numba'", name=name)
        sys.meta_path.insert(0, NoNumba())
        from autograd import kernels
        assert not kernels.HAVE_NUMBA and "not installed" in kernels.BACKEND, kernels.BACKEND
    """
    out = _run(textwrap.dedent(blocker) + textwrap.dedent(_CNN_STEP))
    np.testing.assert_allclose([float(v) for v in out.split()], _losses(), rtol=1e-5)


def test_numba_is_imported_only_when_a_kernel_first_runs():
    pytest.importorskip("numba", reason="numba (optional at run time) is not installed")
    out = _run("""
        import sys
        import numpy as np
        import nn
        from autograd import Tensor, Value, kernels
        from autograd.kernels import elementwise
        v = Value(2.0)
        (v * v).relu().backward()  # scalar code never needs a kernel
        print("numba" in sys.modules, kernels.PAIRS["relu_bwd"][0].__module__)
        x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
        x.relu().sum().backward()  # the first kernel call jits it and takes its stand-in's place
        jitted = kernels.PAIRS["relu_bwd"][0]
        print("numba" in sys.modules, elementwise._relu_bwd is jitted, type(jitted).__name__)
        print(x.grad.tolist())
    """)
    assert out.split() == ["False", "autograd.kernels._backend", "True", "True", "CPUDispatcher",
                           "[0.0,", "1.0]"]


def test_an_unknown_kernel_choice_is_an_error():
    with pytest.raises(AssertionError, match="KISSGRAD_KERNELS must be"):
        _run("import autograd", KISSGRAD_KERNELS="cuda")


# --- work the hot path skips: gradients nobody needs, arrays the forward already made ----------

def test_per_input_rules_run_only_for_parents_that_need_a_gradient():
    from autograd import Tensor, op

    calls = []
    scale = op("scale_for_test", lambda x, y: x * y, None,
               (lambda g, out, x, y: calls.append("x") or g * y,
                lambda g, out, x, y: calls.append("y") or g * x))
    x, y = Tensor([1.0, 2.0]), Tensor([3.0, 4.0], requires_grad=True)
    scale(x, y).sum().backward()
    assert calls == ["y"] and x.grad is None
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 2.0])
    assert len(scale.backward(np.ones(2), None, x.numpy(), y.numpy())) == 2  # gradcheck sees them all


def test_conv_and_pool_backward_reuse_the_forwards_arrays(monkeypatch):
    import nn
    from autograd import Tensor
    from autograd.kernels import conv as KC
    from autograd.kernels import pooling as KP

    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.MaxPool2d(2))
    out = model(Tensor(np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)))
    rebuilt = []
    # patched where they are looked up: the kernels' own submodules and conv_ops
    monkeypatch.setattr(KC, "im2col_nchw", lambda *a: rebuilt.append("im2col"))
    monkeypatch.setattr(KP, "maxpool2d_nchw_forward", lambda *a: rebuilt.append("pool"))
    monkeypatch.setattr(C, "maxpool2d_nchw_forward", lambda *a: rebuilt.append("pool"))
    monkeypatch.setattr(KC, "col2im_nchw", lambda *a: rebuilt.append("col2im"))
    out.sum().backward()  # the input is data: no col2im either
    assert rebuilt == [] and model[0].weight.grad is not None
