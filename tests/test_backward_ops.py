"""One definition per gradient: kernel-backed backwards are ops, saved arrays live in a node slot.

The raw path (plain ``backward``) and ``create_graph=True`` call the same backward ops, so
their first derivatives agree; what a forward saves sits in the node's ``saved`` slot (not
in its params), reaches the rule, and is released with the params after backward; the op
table is gathered from an explicit list of modules.
"""
import importlib
import pkgutil
import subprocess
import sys
import textwrap
import weakref
from pathlib import Path

import numpy as np
import pytest

import autograd
import nn.functional as F
from autograd import Tensor, grad, nn_ops, op, op_table
from autograd import conv_ops as C
from autograd.kernels import softmax as KS

ROOT = Path(__file__).resolve().parents[1]
LABELS = np.array([0, 2, 1, 2])


def _x(*shape, seed=0):
    return Tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


# each: (name, fn of one float64 tensor to a scalar, input shape)
FUNCTIONS = [
    ("tanh", lambda x: (x.tanh() * x).sum(), (3, 4)),
    ("relu", lambda x: (x.relu() * x).sum(), (3, 4)),
    ("cross_entropy", lambda x: F.cross_entropy(x, LABELS), (4, 3)),
    ("cross_entropy-none", lambda x: (F.cross_entropy(x, LABELS, reduction="none") ** 2).sum(),
     (4, 3)),
    ("gelu", lambda x: F.gelu(x).sum(), (2, 5)),
    ("conv2d", lambda x: (C.conv2d(x, Tensor(np.ones((2, 2, 2, 2)) * 0.3), padding=1) ** 2).sum(),
     (1, 2, 3, 4)),
    ("max_pool2d", lambda x: (C.max_pool2d(x, 2) ** 2).sum(), (1, 2, 4, 4)),
    ("sum", lambda x: (x.sum(axis=1) ** 2).sum(), (3, 4)),
]


@pytest.mark.parametrize("fn, shape", [f[1:] for f in FUNCTIONS], ids=[f[0] for f in FUNCTIONS])
def test_raw_path_and_create_graph_give_the_same_gradient(fn, shape):
    x = _x(*shape)
    fn(x).backward()
    (recorded,) = grad(fn(x), x, create_graph=True)
    assert recorded.requires_grad  # a graph was built: the backward ops were recorded
    np.testing.assert_allclose(recorded.numpy(), x.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make, kind", [
    (lambda x: C.conv2d(x, Tensor(np.ones((2, 2, 2, 2))), padding=1), "im2col columns"),
    (lambda x: C.max_pool2d(x, 2), "winners"),
    (lambda x: nn_ops.GELU(x), "cdf"),
], ids=["conv2d", "max_pool2d", "gelu"])
def test_saved_arrays_sit_in_the_node_and_are_released_after_backward(make, kind):
    x = _x(1, 2, 4, 4)
    out = make(x)
    assert isinstance(out.saved, np.ndarray), kind
    assert "saved" not in (out.params or {})  # never a params entry
    saved = weakref.ref(out.saved)
    out.sum().backward(retain_graph=True)
    assert out.saved is not None  # retained for a second pass
    out.sum().backward()
    assert out.saved is None and saved() is None  # released with the params, and freed
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        out.sum().backward()


def test_nothing_is_saved_without_recording():
    x = _x(1, 2, 4, 4)
    with autograd.no_grad():
        out = C.conv2d(x, Tensor(np.ones((2, 2, 2, 2))))
    assert out.saved is None and out.op is None


def test_a_forward_that_saves_gives_its_output_alone_on_raw_arrays():
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    out = C.MAX_POOL2D(x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))
    assert isinstance(out, np.ndarray) and out.shape == (1, 2, 2, 2)
    assert C.MAX_POOL2D.saves and not autograd.OPS["tanh"].saves


def test_max_pool_indices_come_from_the_saved_winners_or_again_without_grad():
    x = _x(1, 1, 4, 4)
    _, recorded = C.max_pool2d(x, 2, return_indices=True)
    with autograd.no_grad():
        _, unrecorded = C.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(recorded.numpy(), unrecorded.numpy())


def test_mean_cross_entropy_backward_reuses_the_forwards_losses(monkeypatch):
    x = _x(4, 3)
    loss = F.cross_entropy(x, LABELS)
    calls = []
    forward = KS.softmax_cross_entropy_forward
    monkeypatch.setattr(KS, "softmax_cross_entropy_forward",
                        lambda *a: calls.append(1) or forward(*a))
    loss.backward()
    assert calls == [] and x.grad is not None


def test_gelu_backward_reuses_the_forwards_cdf(monkeypatch):
    x = _x(2, 3)
    y = F.gelu(x)
    calls = []
    each = nn_ops._ERF_EACH
    monkeypatch.setattr(nn_ops, "_ERF_EACH", lambda a: calls.append(1) or each(a))
    y.sum().backward()
    assert calls == [] and x.grad is not None


# --- the op table --------------------------------------------------------------------------

def test_defining_an_op_registers_nothing():
    cube = op("cube_for_test", lambda x: x ** 3, None, lambda g, out, x: (g * 3 * x * x,))
    assert "cube_for_test" not in autograd.OPS and cube.name not in op_table.ops_of(op_table.OP_MODULES)


def test_the_table_lists_every_module_that_defines_an_op():
    tabled = {id(o) for o in autograd.OPS.values()}
    for info in pkgutil.iter_modules(autograd.__path__, "autograd."):
        if info.name == "autograd.viz":  # needs graphviz, defines no op
            continue
        module = importlib.import_module(info.name)
        strays = [name for name, value in vars(module).items()
                  if isinstance(value, autograd.Op) and id(value) not in tabled]
        assert not strays, f"{info.name} defines ops missing from autograd.OPS: {strays}"


def test_two_ops_of_one_name_are_refused():
    class Module:
        __name__ = "fake"
        A = op("twin", np.negative, None, lambda g, out, x: (-g,))
        B = op("twin", np.negative, None, lambda g, out, x: (-g,))

    with pytest.raises(ValueError, match="'twin'"):
        op_table.ops_of([Module])


def test_backward_ops_twice_differentiable_on_the_numpy_kernels():
    code = textwrap.dedent("""
        import numpy as np
        from autograd import OPS, Tensor, gradgradcheck, kernels, nn_ops
        assert kernels.BACKEND.startswith("numpy (KISSGRAD_KERNELS"), kernels.BACKEND
        rng = np.random.default_rng(0)
        t = lambda *s: Tensor(rng.uniform(-0.9, 0.9, s), requires_grad=True)
        labels = np.array([0, 2, 1])
        checks = {
            "tanh": (lambda x: x.tanh(), (t(2, 3),)),
            "tanh_backward": (lambda g, y: OPS["tanh_backward"](g, y), (t(2, 3), t(2, 3))),
            "relu_backward": (lambda g, x: OPS["relu_backward"](g, x), (t(2, 3), t(2, 3))),
            "cross_entropy": (lambda x: nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=labels, mean=True),
                              (t(3, 4),)),
            "cross_entropy_backward": (lambda g, x: nn_ops.SOFTMAX_CROSS_ENTROPY_BACKWARD(
                g, x, target=labels), (t(3), t(3, 4))),
        }
        for name, (fn, inputs) in checks.items():
            assert gradgradcheck(fn, inputs), name
        print("ok", len(checks))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"KISSGRAD_KERNELS": "numpy", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split() == ["ok", "5"]
