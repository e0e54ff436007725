"""Fused normalisation ops (batch norm, layer norm): one node each, kernels inside.

Fused for speed: composed of mean, subtract, multiply, sqrt and divide ops a
normalisation records about ten nodes and makes as many passes over its input; here
one node calls kernels (``autograd.kernels.normalization``) that take the statistics
and the output in three passes, and save the mean and ``1 / sqrt(var + eps)`` (and the
biased variance, for running statistics) in the node.

Both ops take ``(x, weight, bias)`` (constants of ones and zeros stand for a missing
weight or bias) and ``eps``; layer norm also ``dims``, how many trailing dims it
normalises over (``dims=None`` is batch norm: per channel, dim 1, over all others).
Their backward ops are shared, and close up, so every order is differentiable:

==========================================  =========================================
op (inputs)                                 gradient per input, ``u`` arriving
==========================================  =========================================
``batch_norm|layer_norm(x, w, b)``          ``norm_backward_input(u, x, w)``,
                                            ``norm_backward_weight(u, x)``, ``sum(u)``
``norm_backward_input(g, x, w)``            ``w * norm_backward_input(u, x, 1)``,
                                            (see ``_input_grad_x``),
                                            ``sum(g * norm_backward_input(u, x, 1))``
``norm_backward_weight(g, x)``              ``batch_norm|layer_norm(x, u, 0)``,
                                            ``norm_backward_input(g, x, u)``
==========================================  =========================================

With ``xhat = (x - mean) * invstd`` and ``G = g * w``, ``norm_backward_input`` is
``invstd * (G - mean(G) - xhat * mean(G * xhat))``: a symmetric projection of ``G``
scaled by ``invstd``, whence its adjoint in ``g``; ``norm_backward_weight`` is
``sum(g * xhat)``, linear in ``g`` and with ``x``-gradient that of ``sum(u * g * xhat)``.
"""
import math

import numpy as np

from .kernels.normalization import (
    norm_backward_input,
    norm_backward_weight,
    norm_forward,
    norm_stats,
)
from .ops import MEAN, RESHAPE, SUM, constant_like, op, unwrap


def _geometry(shape, dims):
    """``(3-D view, per_channel)`` of an input of ``shape``: see ``kernels.normalization``."""
    if dims is None:
        return (shape[0], shape[1], math.prod(shape[2:])), True
    lead = len(shape) - dims
    return (1, math.prod(shape[:lead]), math.prod(shape[lead:])), False


def stat_axes(ndim, dims):
    """The axes the statistics are taken over: all but 1 (batch norm), or the last ``dims``."""
    if dims is None:
        return (0,) + tuple(range(2, ndim))
    return tuple(range(ndim - dims, ndim))


def weight_axes(ndim, dims):
    """The axes the weight is broadcast along (summed for its gradient)."""
    if dims is None:
        return stat_axes(ndim, None)
    return tuple(range(ndim - dims))


def _weight_shape(shape, dims):
    return (shape[1],) if dims is None else tuple(shape[len(shape) - dims:])


def _statistics(x, eps, dims, stats):
    """``(x as (N, C, S), mean, invstd, var, per_channel)``; ``stats`` (mean, invstd) if given."""
    shape3, per_channel = _geometry(x.shape, dims)
    x3 = x.reshape(shape3)
    if stats is not None:
        return x3, stats[0], stats[1], None, per_channel
    mean, var, invstd = norm_stats(x3, eps)
    return x3, mean, invstd, var, per_channel


def statistics(x, eps, dims=None):
    """``(mean, invstd, var)`` of raw ``x`` as the fused op saves them: per channel (batch
    norm, ``dims=None``) or per row over the last ``dims`` dims (layer norm)."""
    _, mean, invstd, var, _ = _statistics(x, eps, dims, None)
    return mean, invstd, var


def _norm_forward(x, w, b, eps, dims=None):
    # (output, (mean, invstd, var)): all three per channel (batch norm) or per row (layer norm)
    x3, mean, invstd, var, per_channel = _statistics(x, eps, dims, None)
    y = norm_forward(x3, w.reshape(-1), b.reshape(-1), mean, invstd, per_channel)
    return y.reshape(x.shape), (mean, invstd, var)


def _stats(saved):
    return None if saved is None else saved[:2]


def _grad_x(g, out, x, w, b, eps, dims=None, saved=None):
    return NORM_BACKWARD_INPUT(g, x, w, eps=eps, dims=dims, stats=_stats(saved))


def _grad_w(g, out, x, w, b, eps, dims=None, saved=None):
    return NORM_BACKWARD_WEIGHT(g, x, eps=eps, dims=dims, stats=_stats(saved))


def _grad_b(g, out, x, w, b, eps, dims=None, saved=None):
    axes = weight_axes(x.ndim, dims)
    return SUM(g, axis=axes) if axes else g


_RULES = (_grad_x, _grad_w, _grad_b)
# one rule per input: a weight or bias that is a constant (affine=False) costs nothing
BATCH_NORM = op("batch_norm", _norm_forward, None, _RULES, saves=True)
LAYER_NORM = op("layer_norm", _norm_forward, None, _RULES, saves=True)


def normalize(x, w, b, eps, dims):
    """``batch_norm`` (``dims=None``) or ``layer_norm`` of ``x``, on nodes or raw arrays."""
    if dims is None:
        return BATCH_NORM(x, w, b, eps=eps)
    return LAYER_NORM(x, w, b, eps=eps, dims=dims)


# --- backward ops ----------------------------------------------------------------------


def _backward_input_forward(g, x, w, eps, dims=None, stats=None):
    x3, mean, invstd, _, per_channel = _statistics(x, eps, dims, stats)
    dx = norm_backward_input(g.reshape(x3.shape), x3, w.reshape(-1), mean, invstd, per_channel)
    return dx.reshape(x.shape)


def _backward_weight_forward(g, x, eps, dims=None, stats=None):
    x3, mean, invstd, _, per_channel = _statistics(x, eps, dims, stats)
    dw = norm_backward_weight(g.reshape(x3.shape), x3, mean, invstd, per_channel)
    return dw.reshape(_weight_shape(x.shape, dims))


def _constant(x, shape, value):
    """A constant array of ``value`` (ones or zeros), shaped as a weight, of ``x``'s kind."""
    return constant_like(x, np.full(shape, value, dtype=unwrap(x).dtype))


def _broadcastable(w, ndim, dims):
    """The weight shaped to broadcast against the input: ``(1, C, 1, ...)`` for batch norm."""
    if dims is None:
        return RESHAPE(w, shape=(1, -1) + (1,) * (ndim - 2))
    return w


def _per_weight(t, ndim, dims):
    """``t`` (shaped as the input) summed to the weight's shape."""
    axes = weight_axes(ndim, dims)
    return SUM(t, axis=axes) if axes else t


def _invstd(x, axes, eps):
    """``1 / sqrt(var + eps)`` composed of ops, so that its own gradient is known."""
    centered = x - MEAN(x, axis=axes, keepdims=True)
    return (MEAN(centered * centered, axis=axes, keepdims=True) + eps) ** -0.5


def _input_grad_g(u, out, g, x, w, eps, dims=None, stats=None):
    if dims is None:  # a per-channel weight commutes with the projection
        return NORM_BACKWARD_INPUT(u, x, w, eps=eps, dims=dims, stats=stats)
    ones = _constant(x, w.shape, 1.0)
    return w * NORM_BACKWARD_INPUT(u, x, ones, eps=eps, dims=dims, stats=stats)


def _input_grad_x(u, out, g, x, w, eps, dims=None, stats=None):
    # d/dx <u, out>, out = invstd * P(G): with h = P(G), c = mean(G * xhat),
    # -invstd**2 * (xhat * mean(u * h) + c * P(u) + h * mean(u * xhat)), written with
    # out = invstd * h and du = invstd * P(u)
    axes = stat_axes(x.ndim, dims)
    shape = _weight_shape(x.shape, dims)
    xhat = normalize(x, _constant(x, shape, 1.0), _constant(x, shape, 0.0), eps, dims)
    du = NORM_BACKWARD_INPUT(u, x, _constant(x, shape, 1.0), eps=eps, dims=dims, stats=stats)
    c = MEAN(g * _broadcastable(w, x.ndim, dims) * xhat, axis=axes, keepdims=True)
    mean_uh = MEAN(u * out, axis=axes, keepdims=True)
    mean_ux = MEAN(u * xhat, axis=axes, keepdims=True)
    return -_invstd(x, axes, eps) * (xhat * mean_uh + c * du + out * mean_ux)


def _input_grad_w(u, out, g, x, w, eps, dims=None, stats=None):
    ones = _constant(x, _weight_shape(x.shape, dims), 1.0)
    du = NORM_BACKWARD_INPUT(u, x, ones, eps=eps, dims=dims, stats=stats)
    return _per_weight(g * du, x.ndim, dims)


NORM_BACKWARD_INPUT = op("norm_backward_input", _backward_input_forward, None,
                         (_input_grad_g, _input_grad_x, _input_grad_w))


def _weight_grad_g(u, out, g, x, eps, dims=None, stats=None):
    return normalize(x, u, _constant(x, _weight_shape(x.shape, dims), 0.0), eps, dims)


def _weight_grad_x(u, out, g, x, eps, dims=None, stats=None):
    return NORM_BACKWARD_INPUT(g, x, u, eps=eps, dims=dims, stats=stats)


NORM_BACKWARD_WEIGHT = op("norm_backward_weight", _backward_weight_forward, None,
                          (_weight_grad_g, _weight_grad_x))
