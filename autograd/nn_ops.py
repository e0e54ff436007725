"""Fused ops for neural networks, each earning its entry by stability or speed.

Same contract as ``ops.py``: a forward on raw arrays next to a backward rule written
with operators and table ops, so ``create_graph=True`` differentiates through them
again. ``nn.functional`` builds everything else from the core ops.
"""
import math

import numpy as np

from .kernels import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from .ops import (
    CLIP,
    EXP,
    LOG,
    MAXIMUM,
    RESHAPE,
    SIGMOID,
    SUM,
    TANH,
    constant_like,
    finite_peak,
    logsumexp_forward,
    op,
    unwrap,
)


def softmax_forward(x, axis=-1):
    """exp(x) / sum(exp(x)) over ``axis``; the max is subtracted first so exp cannot overflow."""
    e = np.exp(x - finite_peak(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


# Stability: log(softmax(x)) underflows to log(0) = -inf; x - logsumexp(x) does not.
# d out_i / d x_j = delta_ij - softmax_j, so the rule is g - softmax * sum(g).
LOG_SOFTMAX = op("log_softmax",
                 lambda x, axis=-1: x - logsumexp_forward(x, axis=axis, keepdims=True), None,
                 lambda g, out, x, axis=-1: (g - EXP(out) * SUM(g, axis=axis, keepdims=True),))

# Stability (max subtracted) and speed (one node instead of exp, sum, div).
# d out_i / d x_j = out_i (delta_ij - out_j), so the rule is out * (g - sum(g * out)).
SOFTMAX = op("softmax", softmax_forward, None,
             lambda g, out, x, axis=-1: (out * (g - SUM(g * out, axis=axis, keepdims=True)),))


def one_hot_axis1(target, shape, dtype):
    """Zeros of ``shape`` with a 1 at ``target`` along axis 1 (classes on axis 1, as in PyTorch)."""
    onehot = np.zeros(shape, dtype=dtype)
    np.put_along_axis(onehot, np.expand_dims(target, 1), 1, axis=1)
    return onehot


def label_index(target):
    """Index of each sample's label entry in logits with classes on axis 1."""
    if target.ndim == 1:
        return np.arange(target.shape[0]), target
    grid = np.indices(target.shape, sparse=True)
    return (grid[0], target) + tuple(grid[1:])


def _softmax_cross_entropy_forward(x, target, mean=False):
    loss = softmax_cross_entropy_forward(x, target)
    # the per-sample losses are saved: the backward recovers each logsumexp as loss + x[target]
    return (np.add.reduce(loss, axis=None) / loss.size if mean else loss), loss


def _softmax_cross_entropy_backward(g, out, x, target, mean=False, saved=None):
    if mean:  # each sample's share of the mean, broadcast over the samples by the backward op
        g = g * (1.0 / np.size(target))
    return (SOFTMAX_CROSS_ENTROPY_BACKWARD(g, x, target=target, loss=saved),)


# Per-sample cross-entropy of logits x (N, C, *d) and integer labels (N, *d), classes on
# axis 1: logsumexp(x) - x[target], one pass per row in a kernel; ``mean=True`` gives their
# mean in the same node (F.cross_entropy's default: one node and no mean op to run and
# backpropagate through). Speed: no log_softmax array, no integer-index gather whose
# backward scatters with np.add.at; stability: logsumexp subtracts the max.
SOFTMAX_CROSS_ENTROPY = op("softmax_cross_entropy", _softmax_cross_entropy_forward, None,
                           _softmax_cross_entropy_backward, saves=True)


def _with_class_axis(g):
    """Per-sample ``g`` (N, *d) as (N, 1, *d), to broadcast over the classes; a 0-d g as it is."""
    return RESHAPE(g, shape=g.shape[:1] + (1,) + g.shape[1:]) if g.ndim else g


def _softmax_cross_entropy_second(u, out, g, x, target, loss=None):
    # out = g (p - onehot) with p = softmax(x) over the classes: linear in g, and in x it is
    # softmax's own derivative taken along g u (SOFTMAX's rule, so written there only)
    probs = SOFTMAX(x, axis=1)
    onehot = constant_like(x, one_hot_axis1(target, x.shape, unwrap(x).dtype))
    return (SUM(u * (probs - onehot), axis=1),
            SOFTMAX.backward(u * _with_class_axis(g), probs, x, axis=1)[0])


# Cross-entropy's input gradient g * (softmax(x) - onehot(target)) (g per sample, or 0-d),
# an op of its own for speed: one pass per row in a kernel, which takes each logsumexp from
# ``loss``, the forward's per-sample losses (recomputed when None)
SOFTMAX_CROSS_ENTROPY_BACKWARD = op("softmax_cross_entropy_backward",
                                    softmax_cross_entropy_backward, None,
                                    _softmax_cross_entropy_second)


def softplus_forward(x):
    """log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# Stability: the naive log(1 + exp(x)) overflows for x > 88 in float32. d/dx = sigmoid(x),
# smooth everywhere (a composition through max and |x| would get kinks at 0).
SOFTPLUS = op("softplus", softplus_forward, None, lambda g, out, x: (g * SIGMOID(x),))


def _bce_forward(p, y):
    # PyTorch clamps each log at -100 so p = 0 or 1 gives a finite loss
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), -100)
        log_q = np.maximum(np.log(1 - p), -100)
    return -(y * log_p + (1 - y) * log_q)


def _bce_backward(g, out, p, y):
    # d/dp = (p - y) / (p (1 - p)), the denominator clamped at 1e-12 as PyTorch does, so p = 0
    # or 1 gives a large finite gradient instead of inf or NaN; d/dy = log(1 - p) - log(p)
    with np.errstate(divide="ignore"):
        dp = g * (p - y) / MAXIMUM(p * (1 - p), 1e-12)
        dy = g * (CLIP(LOG(1 - p), a_min=-100, a_max=None) - CLIP(LOG(p), a_min=-100, a_max=None))
    return dp, dy


# Elementwise binary cross-entropy of probabilities p and targets y. Stability: the logs
# are clamped at -100 and the gradient's denominator at 1e-12 (PyTorch's choices).
BINARY_CROSS_ENTROPY = op("binary_cross_entropy", _bce_forward, None, _bce_backward)

def _linear_forward(x, w, b):
    out = np.matmul(x, w.T)
    out += b  # the matmul's output is fresh: adding in place saves an array
    return out


def _rows(a, width):
    """``a`` as a matrix of ``width`` columns, every leading axis merged into the rows."""
    return a if a.ndim == 2 else a.reshape(-1, width)


# x @ w.T + b as one node instead of three (transpose, matmul, broadcast add), with one
# rule per input so a first layer never computes the gradient of its data. The rules use
# operators and methods, which NumPy arrays and Tensors share: on raw data they cost no
# op dispatch, on Tensors (create_graph) they record matmul/transpose/sum nodes.
LINEAR = op("linear", _linear_forward, None, (
    lambda g, out, x, w, b: g @ w,
    lambda g, out, x, w, b: _rows(g, w.shape[0]).T @ _rows(x, w.shape[1]),
    lambda g, out, x, w, b: _rows(g, w.shape[0]).sum(axis=0),
))


# --- erf and GELU -------------------------------------------------------------------

_ERF_EACH = np.frompyfunc(math.erf, 1, 1)


def erf_forward(x):
    """The error function elementwise: libm's ``math.erf`` on each element, so exact to the
    last bit (NumPy has no erf; about 0.15 us an element). Float dtypes are kept."""
    x = np.asarray(x)
    return np.asarray(_ERF_EACH(x), dtype=x.dtype if x.dtype.kind == "f" else np.float64)


# d erf(x)/dx = 2 / sqrt(pi) * exp(-x**2)
ERF = op("erf", erf_forward, math.erf,
         lambda g, out, x: (g * (EXP(-(x * x)) * (2.0 / math.sqrt(math.pi))),))

GELU_TANH_K, GELU_TANH_A = math.sqrt(2.0 / math.pi), 0.044715  # tanh form's constants


def normal_cdf(x):
    """Phi(x), the standard normal CDF, of a float, an array or a node."""
    return (ERF(x * math.sqrt(0.5)) + 1) * 0.5


def normal_pdf(x):
    """phi(x), the standard normal density, of a float, an array or a node."""
    return EXP(x * x * -0.5) * (1.0 / math.sqrt(2.0 * math.pi))


def _gelu_forward(x, approximate="none"):
    if approximate == "tanh":  # 0.5 x (1 + tanh(k (x + a x**3)))
        return 0.5 * x * (1.0 + np.tanh(GELU_TANH_K * (x + GELU_TANH_A * x * x * x))), None
    cdf = normal_cdf(x)
    return x * cdf, cdf  # Phi(x) saved: the backward needs it, and erf is slow


def _gelu_scalar(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1.0 + math.tanh(GELU_TANH_K * (x + GELU_TANH_A * x * x * x)))
    return x * normal_cdf(x)


def _gelu_backward(g, out, x, approximate="none", saved=None):
    if approximate == "tanh":
        t = TANH((x + x * x * x * GELU_TANH_A) * GELU_TANH_K)
        slope = (1 - t * t) * ((x * x * (3 * GELU_TANH_A) + 1) * GELU_TANH_K)
        return (g * ((t + 1) * 0.5 + x * slope * 0.5),)
    return (GELU_BACKWARD(g, x, cdf=saved),)


# x * Phi(x) ("none", the exact erf form) or PyTorch's tanh approximation ("tanh"). Speed:
# one node instead of five, and the exact form's backward reuses Phi(x) from the forward,
# so erf runs once a step.
GELU = op("gelu", _gelu_forward, _gelu_scalar, _gelu_backward, saves=True)


def _gelu_backward_forward(g, x, cdf=None):
    # d (x Phi(x)) / dx = Phi(x) + x phi(x); ``cdf`` is Phi(x) when the forward kept it
    return g * ((normal_cdf(x) if cdf is None else cdf) + x * normal_pdf(x))


# The exact GELU's input gradient, an op of its own so that the forward's Phi(x) serves the
# first order while its rule gives the next: linear in g, and d/dx (Phi + x phi) = phi (2 - x^2)
GELU_BACKWARD = op("gelu_backward", _gelu_backward_forward, _gelu_backward_forward,
                   lambda u, out, g, x, cdf=None: (
                       GELU_BACKWARD(u, x, cdf=cdf), u * g * normal_pdf(x) * (2 - x * x)))
