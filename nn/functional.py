"""nn.functional: activations, losses, dropout, linear and friends as compositions of autograd ops.

Names, arguments and defaults are PyTorch's; differences are said in each docstring.
Inputs may be Tensors or anything ``np.asarray`` takes. The fused ops (``log_softmax``,
``softmax``, softmax-cross-entropy, ``softplus``, ``gelu``, ``binary_cross_entropy``) live
in ``autograd/nn_ops.py``, convolution and pooling in ``autograd/conv_ops.py``, the
losses in ``nn/_loss_functions.py`` and ``pad``/``adaptive_avg_pool2d`` in
``nn/_shape_functions.py``; all are re-exported here.

``inplace=True`` (ReLU and friends, dropout) is accepted for PyTorch's signatures but
computes out of place: the result is returned, the input is left as it was.
"""
import warnings

import numpy as np

from autograd import Tensor, as_tensor, nn_ops, norm_ops, where
from autograd.conv_ops import avg_pool2d, conv2d, max_pool2d  # noqa: F401  (re-exported)
from autograd.ops import CAST
from autograd.random import default_generator

from ._loss_functions import (  # noqa: F401  (re-exported)
    REDUCTIONS,
    _check_positive,
    _check_reduction,
    _float_tensor,
    _raw,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    legacy_reduction,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from ._shape_functions import PAD_MODES, adaptive_avg_pool2d, pad  # noqa: F401  (re-exported)

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_APPROXIMATIONS = ("none", "tanh")

# --- layers ---------------------------------------------------------------------------


def linear(input, weight, bias=None):
    """Return ``input @ weight.T + bias``.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features,)
    -> (*, out_features).
    """
    if bias is None:
        return as_tensor(input) @ weight.T
    return nn_ops.LINEAR(as_tensor(input), weight, bias)


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropped(input, p, mask_shape):
    """``input`` times a 0 / (1 / (1 - p)) mask of ``mask_shape`` (broadcast over the rest)."""
    if p == 1.0:
        return input * 0.0
    keep = default_generator().random(mask_shape) >= p
    dtype = input.dtype if input.dtype.kind == "f" else np.dtype(np.float32)
    return input * Tensor(keep.astype(dtype) / dtype.type(1.0 - p))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p, scale the rest by 1/(1-p); identity unless training.

    The mask comes from ``autograd.random.default_generator()`` (``autograd.manual_seed``).
    """
    _check_p(p)
    input = as_tensor(input)
    if not training or p == 0.0:
        return input
    return _dropped(input, p, input.shape)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels (each ``H x W`` plane) with probability p, scale the rest by 1/(1-p).

    Shape: ``(N, C, H, W)`` or ``(C, H, W)``; other ranks raise ValueError. Difference from
    PyTorch 2.13: a 3-D input is one sample's ``(C, H, W)``, as PyTorch's documentation and
    its announced behaviour say, where PyTorch itself still warns and drops ``(N, C, L)`` rows.
    """
    _check_p(p)
    input = as_tensor(input)
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                         f"shape {input.shape}")
    if not training or p == 0.0:
        return input
    return _dropped(input, p, input.shape[:-2] + (1, 1))


def _padding_index(padding_idx, num):
    """``padding_idx`` as a row number (negative counts from the end); ValueError if outside."""
    if padding_idx is None:
        return None
    if not -num <= padding_idx < num:
        raise ValueError(f"embedding: padding_idx={padding_idx} must be within num_embeddings "
                         f"({num})")
    return padding_idx % num


def _renorm_rows(weight, indices, max_norm, norm_type):
    """Scale, in place and unrecorded, the looked-up rows whose norm exceeds ``max_norm``."""
    rows = np.unique(indices)
    norms = np.linalg.norm(weight.raw[rows], ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)  # PyTorch's 1e-7
    weight.raw[rows] *= scale[:, None].astype(weight.dtype)


def _check_embedding(indices, weight):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding indices must be integers, got dtype {indices.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    num = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices[(indices < 0) | (indices >= num)].flat[0]
        raise IndexError(f"embedding index {bad} is out of range for {num} embeddings "
                         f"(indices of shape {indices.shape}, weight of shape {weight.shape})")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Return the rows of ``weight`` picked by integer indices: shape ``input.shape + (dim,)``.

    Repeated indices accumulate their gradients into the same row. As PyTorch: the
    ``padding_idx`` row is looked up as it is but gets no gradient; ``max_norm`` first
    rescales, in place, looked-up rows whose ``norm_type``-norm exceeds it. Not supported
    (NotImplementedError): ``scale_grad_by_freq`` and ``sparse`` gradients.
    """
    indices, weight = _raw(input), as_tensor(weight)
    _check_embedding(indices, weight)
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq=True and sparse=True are not "
                                  "supported (gradients are dense and unscaled)")
    padding_idx = _padding_index(padding_idx, weight.shape[0])
    if max_norm is not None and indices.size:
        _renorm_rows(weight, indices, max_norm, norm_type)
    rows = weight[indices]
    if padding_idx is None or not (indices == padding_idx).any():
        return rows
    # the same values; where() sends the padding positions' gradient nowhere
    return where(np.expand_dims(indices == padding_idx, -1), rows.detach(), rows)

# --- normalisation ------------------------------------------------------------------------


def _scale_and_shift(input, weight, bias, shape):
    """``weight`` and ``bias`` as Tensors of ``input``'s dtype; ones and zeros where missing."""
    def as_input_dtype(t, fill):
        if t is None:
            return Tensor(np.full(shape, fill, dtype=input.dtype))
        t = as_tensor(t).reshape(shape)
        return t if t.dtype == input.dtype else t.to(input.dtype)

    return as_input_dtype(weight, 1.0), as_input_dtype(bias, 0.0)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of ``input`` (N, C, *) over the other dims, scale and shift.

    In training the batch's biased variance normalises and ``running_mean``/``running_var``
    Tensors (if given) are updated in place, the variance unbiased, as in PyTorch:
    ``running = (1 - momentum) * running + momentum * batch``. Otherwise the running
    statistics normalise (ValueError if there are none). Training is one fused op,
    ``batch_norm`` (``autograd.norm_ops``).
    """
    input = _float_tensor(input)
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects input (N, C, *), got shape {input.shape}")
    shape = (1, -1) + (1,) * (input.ndim - 2)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when not "
                             "training")
        return _running_affine(input, as_tensor(running_mean), as_tensor(running_var), weight,
                               bias, eps, shape)
    count = input.raw.size // input.shape[1] if input.shape[1] else 0
    if count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, "
                         f"got input of shape {input.shape}")
    weight, bias = _scale_and_shift(input, weight, bias, (input.shape[1],))
    out = norm_ops.BATCH_NORM(input, weight, bias, eps=eps)
    if running_mean is not None:
        saved = out.saved  # (mean, invstd, var) when the node was recorded
        if saved is None:  # not recorded (no_grad): the statistics once more, for the update
            saved = norm_ops.statistics(input.raw, eps)
        _update_running(running_mean, running_var, saved[0], saved[2], count, momentum)
    return out


def _running_affine(input, running_mean, running_var, weight, bias, eps, shape):
    """Eval mode: ``input * scale + shift`` with per-channel ``scale = weight / sqrt(var + eps)``
    and ``shift = bias - mean * scale``, so two ops run over the input, not four."""
    scale = 1.0 / (running_var + eps).sqrt()
    if weight is not None:
        scale = scale * as_tensor(weight).reshape(-1)
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + as_tensor(bias).reshape(-1)
    return input * scale.reshape(shape) + shift.reshape(shape)


def _update_running(running_mean, running_var, mean, var, count, momentum):
    unbiased = var * (count / (count - 1))
    running_mean.raw[...] = (1 - momentum) * running_mean.raw + momentum * mean.reshape(-1)
    running_var.raw[...] = (1 - momentum) * running_var.raw + momentum * unbiased.reshape(-1)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance), scale and shift.

    Shape: input ``(*, *normalized_shape)``; ``weight`` and ``bias`` of ``normalized_shape``.
    One fused op, ``layer_norm`` (``autograd.norm_ops``).
    """
    input = _float_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.shape[input.ndim - len(shape):] != shape or len(shape) > input.ndim:
        raise ValueError(f"layer_norm: normalized_shape={list(shape)} expects input of shape "
                         f"[*, {', '.join(map(str, shape))}], got {input.shape}")
    weight, bias = _scale_and_shift(input, weight, bias, shape)
    return norm_ops.LAYER_NORM(input, weight, bias, eps=eps, dims=len(shape))

# --- activations ------------------------------------------------------------------------


def relu(input, inplace=False):
    """Return max(x, 0) elementwise (gradient 0 at x = 0)."""
    return as_tensor(input).relu()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """Return x where x > 0, else ``negative_slope * x`` (gradient ``negative_slope`` at 0)."""
    input = as_tensor(input)
    return where(input > 0, input, input * negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """Return x where x > 0, else ``alpha * (exp(x) - 1)``."""
    input = as_tensor(input)
    # exp of min(x, 0), not of x: the unused branch must not overflow (inf * 0 = NaN in backward);
    # clip passes the gradient at 0 itself, so the gradient at 0 is alpha, as in PyTorch
    negative = (input.clip(None, 0.0).exp() - 1.0) * alpha
    return where(input > 0, input, negative)


def selu(input, inplace=False):
    """Return ``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al."""
    return elu(input, SELU_ALPHA) * SELU_SCALE


def gelu(input, approximate="none"):
    """Return ``x * Phi(x)`` (Phi the standard normal CDF, via erf), or with ``approximate="tanh"``
    ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x**3)))``, as PyTorch (fused op ``gelu``)."""
    if approximate not in GELU_APPROXIMATIONS:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return nn_ops.GELU(_float_tensor(input), approximate=approximate)


def silu(input, inplace=False):
    """Return ``x * sigmoid(x)`` (the swish), elementwise."""
    input = as_tensor(input)
    return input * input.sigmoid()


def sigmoid(input):
    """Return 1 / (1 + exp(-x)) elementwise."""
    return as_tensor(input).sigmoid()


def tanh(input):
    """Return tanh(x) elementwise."""
    return as_tensor(input).tanh()


def softplus(input, beta=1.0, threshold=20.0):
    """Return ``log(1 + exp(beta * x)) / beta``, and x itself where ``beta * x > threshold``.

    Stable for large |x| (fused op ``softplus``).
    """
    input = as_tensor(input)
    scaled = input if beta == 1 else input * beta
    smooth = nn_ops.SOFTPLUS(scaled)
    smooth = smooth if beta == 1 else smooth / beta
    return where(scaled > threshold, input, smooth)


def _softmax_input(name, input, dim, dtype, stacklevel):
    """``(input, dim)``: cast to ``dtype`` if given; ``dim=None`` picks PyTorch's implicit dim
    (0 for 0-, 1- and 3-D input, else 1) with its deprecation warning."""
    input = as_tensor(input)
    if dtype is not None:
        input = CAST(input, dtype=np.dtype(dtype))
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                      f"to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    return input, dim


def _along(op, input, dim):
    """``op`` along ``dim``; a 0-d input is treated as one element."""
    if input.ndim == 0:
        return op(input.reshape(1), axis=0).reshape(())
    return op(input, axis=dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Return exp(x) / sum(exp(x)) along ``dim`` (stable: the max is subtracted).

    As PyTorch, ``dim=None`` is deprecated: it warns and picks dim 0 for 0-, 1- and 3-D input,
    else dim 1. ``dtype`` casts the input first.
    """
    input, dim = _softmax_input("softmax", input, dim, dtype, _stacklevel)
    return _along(nn_ops.SOFTMAX, input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Return log(softmax(x)) along ``dim``, computed as x - logsumexp(x) (no log of 0).

    ``dim=None`` and ``dtype`` as ``softmax``.
    """
    input, dim = _softmax_input("log_softmax", input, dim, dtype, _stacklevel)
    return _along(nn_ops.LOG_SOFTMAX, input, dim)


def one_hot(tensor, num_classes=-1):
    """PyTorch's ``F.one_hot``: int64 rows of ``num_classes`` (-1: ``max + 1``) for integer labels,
    shape ``tensor.shape + (num_classes,)``; a label out of range raises, naming it."""
    from .data import one_hot as float_one_hot  # the data helper gives float32, ready for losses

    return float_one_hot(as_tensor(tensor), num_classes).long()


def maxout(input, num_pieces):
    """Return the max of each group of ``num_pieces`` consecutive elements of the last axis.

    Shape: (*, D) -> (*, D // num_pieces). Tied maxima share the gradient evenly.
    Not in PyTorch.
    """
    input = as_tensor(input)
    if num_pieces < 1 or input.ndim == 0 or input.shape[-1] % num_pieces:
        raise ValueError(f"maxout: the last axis of input shape {input.shape} is not divisible "
                         f"into groups of num_pieces={num_pieces}")
    groups = input.shape[-1] // num_pieces
    return input.reshape(input.shape[:-1] + (groups, num_pieces)).amax(dim=-1)

# --- regularisation -----------------------------------------------------------------------


def l1_penalty(params):
    """Return the sum of |w| over every element of every parameter (a scalar Tensor)."""
    return sum((p.abs().sum() for p in params), Tensor(0.0))


def l2_penalty(params):
    """Return the sum of w**2 over every element of every parameter (no 1/2 factor)."""
    return sum(((p * p).sum() for p in params), Tensor(0.0))
