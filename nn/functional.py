"""nn.functional: activations, losses, dropout, linear and friends as compositions of autograd ops.

Names, arguments and defaults are PyTorch's (``dim`` for the axis); differences are
said in each docstring. Inputs may be Tensors or anything ``np.asarray`` takes.
The fused ops (``log_softmax``, ``softmax``, softmax-cross-entropy, ``softplus``,
``binary_cross_entropy``) live in ``autograd/nn_ops.py``.
"""
import numpy as np

from autograd import Tensor, as_tensor, nn_ops, where
from autograd.ops import Saved
from autograd.random import default_generator

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
REDUCTIONS = ("mean", "sum", "none")

# --- helpers ------------------------------------------------------------------------


def _float_tensor(x, name="input"):
    """``x`` as a Tensor; non-Tensor integer data becomes float32."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must be floating point, got dtype {x.dtype}")
    return x


def _target_like(input, target):
    """``target`` as a Tensor of input's dtype, unless it is a Tensor that requires grad."""
    if isinstance(target, Tensor) and target.requires_grad:
        return target
    data = target.data if isinstance(target, Tensor) else target
    return Tensor(np.asarray(data, dtype=input.dtype))


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction):
    """Apply ``reduction`` ("mean", "sum" or "none") to an elementwise loss."""
    _check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _check_same_shape(name, input, target):
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} "
                         f"differ (no broadcasting, to avoid silent mistakes)")


def _pair(name, input, target):
    """Input and target as same-shaped float Tensors of one dtype, after the checks."""
    input = _float_tensor(input)
    target = _target_like(input, target)
    _check_same_shape(name, input, target)
    return input, target

# --- layers ---------------------------------------------------------------------------


def linear(input, weight, bias=None):
    """Return ``input @ weight.T + bias``.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features,)
    -> (*, out_features).
    """
    if bias is None:
        return as_tensor(input) @ weight.T
    return nn_ops.LINEAR(as_tensor(input), weight, bias)


def dropout(input, p=0.5, training=True):
    """Zero each element with probability p, scale the rest by 1/(1-p); identity unless training.

    The mask comes from ``autograd.random.default_generator()`` (``autograd.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = as_tensor(input)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = default_generator().random(input.shape) >= p
    dtype = input.dtype if input.dtype.kind == "f" else np.float32
    return input * Tensor(keep.astype(dtype) / dtype.type(1.0 - p))


def embedding(input, weight):
    """Return the rows of ``weight`` picked by integer indices: shape ``input.shape + (dim,)``.

    Repeated indices accumulate their gradients into the same row.
    """
    indices = input.data if isinstance(input, Tensor) else np.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding indices must be integers, got dtype {indices.dtype}")
    num = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= num):
        bad = indices[(indices < 0) | (indices >= num)].flat[0]
        raise IndexError(f"embedding index {bad} is out of range for {num} embeddings "
                         f"(indices of shape {indices.shape}, weight of shape {weight.shape})")
    return weight[indices]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (axis 1) of ``input`` (N, C) or (N, C, L), then scale and shift.

    In training (or without running statistics) the batch's biased variance normalises and
    ``running_mean``/``running_var`` Tensors are updated in place, the variance unbiased,
    as in PyTorch: ``running = (1 - momentum) * running + momentum * batch``.
    """
    input = _float_tensor(input)
    if input.ndim not in (2, 3):
        raise ValueError(f"batch_norm expects input (N, C) or (N, C, L), got shape {input.shape}")
    axes = (0,) if input.ndim == 2 else (0, 2)
    shape = (1, -1) if input.ndim == 2 else (1, -1, 1)
    if training or running_mean is None:
        count = input.size // input.shape[1]
        if training and count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, "
                             f"got input of shape {input.shape}")
        mean = input.mean(axis=axes, keepdims=True)
        var = input.var(axis=axes, keepdims=True)
        if training and running_mean is not None:
            _update_running(running_mean, running_var, mean.data, var.data, count, momentum)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    out = (input - mean) / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _update_running(running_mean, running_var, mean, var, count, momentum):
    unbiased = var * (count / (count - 1))
    running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mean.reshape(-1)
    running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased.reshape(-1)

# --- activations ------------------------------------------------------------------------


def relu(input):
    """Return max(x, 0) elementwise (gradient 0 at x = 0)."""
    return as_tensor(input).relu()


def leaky_relu(input, negative_slope=0.01):
    """Return x where x > 0, else ``negative_slope * x`` (gradient ``negative_slope`` at 0)."""
    input = as_tensor(input)
    return where(input > 0, input, input * negative_slope)


def elu(input, alpha=1.0):
    """Return x where x > 0, else ``alpha * (exp(x) - 1)``."""
    input = as_tensor(input)
    # exp of min(x, 0), not of x: the unused branch must not overflow (inf * 0 = NaN in backward);
    # clip passes the gradient at 0 itself, so the gradient at 0 is alpha, as in PyTorch
    negative = (input.clip(None, 0.0).exp() - 1.0) * alpha
    return where(input > 0, input, negative)


def selu(input):
    """Return ``scale * elu(x, alpha)`` with the self-normalising constants of Klambauer et al."""
    return elu(input, SELU_ALPHA) * SELU_SCALE


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


def softmax(input, dim=-1):
    """Return exp(x) / sum(exp(x)) along ``dim`` (stable: the max is subtracted).

    Difference from PyTorch: ``dim`` defaults to -1 instead of a deprecated implicit choice.
    """
    return nn_ops.SOFTMAX(as_tensor(input), axis=dim)


def log_softmax(input, dim=-1):
    """Return log(softmax(x)) along ``dim``, computed as x - logsumexp(x) (no log of 0).

    Difference from PyTorch: ``dim`` defaults to -1.
    """
    return nn_ops.LOG_SOFTMAX(as_tensor(input), axis=dim)


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
    return input.reshape(input.shape[:-1] + (groups, num_pieces)).max(axis=-1)

# --- regression losses ------------------------------------------------------------------


def mse_loss(input, target, reduction="mean"):
    """Return the squared error (input - target)**2, reduced.

    Difference from PyTorch: shapes must match exactly (ValueError), no broadcasting.
    """
    input, target = _pair("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    """Return the absolute error |input - target|, reduced (MAE for "mean")."""
    input, target = _pair("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Return 0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta), with d = input - target."""
    input, target = _pair("huber_loss", input, target)
    diff = input - target
    size = diff.abs()
    return _reduce(where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta), reduction)

# --- classification losses ---------------------------------------------------------------


def _class_labels(name, input, target, ignore_index):
    """``(labels, ignored)``: labels checked against ``input``'s shape and class count, with
    ``ignore_index`` replaced by class 0, and the mask of ignored samples (None if none)."""
    expected = input.shape[:1] + input.shape[2:]
    if target.shape != expected:
        raise ValueError(f"{name}: target shape {target.shape} does not fit input shape "
                         f"{input.shape} (expected labels of shape {expected})")
    classes = input.shape[1]
    ignore_is_a_class = 0 <= ignore_index < classes
    if target.size == 0 or (not ignore_is_a_class and 0 <= np.minimum.reduce(target, axis=None)
                            and np.maximum.reduce(target, axis=None) < classes):
        return target, None  # the common case, in two reductions instead of six passes
    ignored = target == ignore_index
    bad = ((target < 0) | (target >= classes)) & ~ignored
    if bad.any():
        raise ValueError(f"{name}: label {target[bad].flat[0]} is out of range for {classes} "
                         f"classes (input shape {input.shape}, target shape {target.shape})")
    if not ignored.any():
        return target, None
    return np.where(ignored, 0, target), ignored


def _batched(name, input, target):
    """Input with classes on axis 1 and raw target; an unbatched (C,) input gets a batch of one."""
    input = _float_tensor(input)
    raw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class axis, got shape {input.shape}")
    unbatched = input.ndim == 1
    if unbatched:
        input = input.reshape(1, -1)
        raw = raw[None]
        target = target.reshape((1,) + target.shape) if isinstance(target, Tensor) else raw
    return input, target, raw, unbatched


def _sample_weights(labels, ignored, weight, dtype):
    """Each sample's weight: weight[label], 0 where ignored; None if all are 1."""
    if weight is None and ignored is None:
        return None
    w = 1.0 if weight is None else (weight.data if isinstance(weight, Tensor) else np.asarray(weight))[labels]
    if ignored is not None:
        w = np.where(ignored, 0.0, w)
    return np.asarray(w, dtype=dtype)


def _finish(loss, weights, reduction, unbatched):
    """Reduce an already weighted per-sample loss; "mean" divides by the total sample weight."""
    _check_reduction(reduction)
    if reduction == "none":
        return loss[0] if unbatched else loss
    if reduction == "sum" or weights is None:
        return _reduce(loss, reduction)
    return loss.sum() / weights.sum()


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Return the cross-entropy of logits ``input`` against ``target``, reduced.

    ``target`` holds integer class labels, shape (N,) for input (N, C) (or (N, *d) for
    (N, C, *d), () for (C,)), or class probabilities of the input's shape. ``weight``
    rescales classes, ``ignore_index`` labels are skipped, ``label_smoothing`` mixes the
    target with the uniform distribution, all as PyTorch. Labels out of range or
    shapes that do not fit raise ValueError naming both shapes.

    Example: ``cross_entropy(Tensor([[0, 0.006, 0.12]]), np.array([1]))`` is 1.13616 (the course rounds
    softmax to 0.321 first and writes 1.1363).
    """
    input, target, raw, unbatched = _batched("cross_entropy", input, target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if raw.dtype.kind in "iu":
        labels, ignored = _class_labels("cross_entropy", input, raw, ignore_index)
        weights = _sample_weights(labels, ignored, weight, input.dtype)
        if weights is None and not label_smoothing and reduction == "mean" and labels.size:
            # the common case in one node: the mean folded into the op
            return nn_ops.SOFTMAX_CROSS_ENTROPY(input, target=labels, mean=True, saved=Saved())
        loss = nn_ops.SOFTMAX_CROSS_ENTROPY(input, target=labels)
        if weights is not None:
            loss = loss * weights
        if label_smoothing:
            # as PyTorch: the uniform part is weighted by class inside the sum, not by weight[label]
            logp = log_softmax(input, dim=1)
            if weight is not None:
                logp = logp * _class_shape(weight, input)
            smooth = -logp.sum(axis=1) / input.shape[1]
            if ignored is not None:
                smooth = smooth * (~ignored).astype(input.dtype)
            loss = loss * (1.0 - label_smoothing) + smooth * label_smoothing
        return _finish(loss, weights, reduction, unbatched)
    if raw.dtype.kind == "f" and raw.shape == input.shape:
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, unbatched)
    raise ValueError(f"cross_entropy: target of shape {raw.shape} and dtype {raw.dtype} is neither "
                     f"integer class labels nor class probabilities of input shape {input.shape}")


def _class_shape(weight, input):
    """Per-class weights shaped to broadcast along axis 1 of ``input``."""
    w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    return Tensor(w.astype(input.dtype).reshape((1, -1) + (1,) * (input.ndim - 2)))


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing, unbatched):
    target = _target_like(input, target)
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / input.shape[1]
    logp = log_softmax(input, dim=1)
    if weight is not None:
        logp = logp * _class_shape(weight, input)
    loss = -(target * logp).sum(axis=1)
    if unbatched and reduction == "none":
        return loss[0]
    return _reduce(loss, reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Return the negative log-likelihood -input[n, target[n]] of log-probabilities, reduced.

    Shape: input (N, C) or (N, C, *d) (or (C,)), integer target (N,) or (N, *d) (or ()).
    """
    input, target, raw, unbatched = _batched("nll_loss", input, target)
    if raw.dtype.kind not in "iu":
        raise ValueError(f"nll_loss: target must hold integer class labels, got dtype {raw.dtype} "
                         f"(input shape {input.shape}, target shape {raw.shape})")
    labels, ignored = _class_labels("nll_loss", input, raw, ignore_index)
    weights = _sample_weights(labels, ignored, weight, input.dtype)
    loss = -input[nn_ops.label_index(labels)]
    return _finish(loss if weights is None else loss * weights, weights, reduction, unbatched)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Return -(y log p + (1 - y) log(1 - p)) for probabilities p = ``input``, reduced.

    Each log is clamped at -100 as in PyTorch, so p = 0 or 1 gives a finite loss.
    Inputs outside [0, 1] raise ValueError.
    """
    input, target = _pair("binary_cross_entropy", input, target)
    if input.size and (np.min(input.data) < 0 or np.max(input.data) > 1):
        raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1] "
                         "(for logits use binary_cross_entropy_with_logits)")
    loss = nn_ops.BINARY_CROSS_ENTROPY(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Return the binary cross-entropy of sigmoid(input) and target, computed from the logits.

    Stable for large |x|: softplus(x) - x y (with ``pos_weight`` p: (1 - y) x + (1 + (p - 1) y)
    softplus(-x)), whose gradient is exactly sigmoid(x) - y.
    """
    input, target = _pair("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        loss = nn_ops.SOFTPLUS(input) - input * target
    else:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * nn_ops.SOFTPLUS(-input)
    return _reduce(loss if weight is None else loss * weight, reduction)

# --- regularisation -----------------------------------------------------------------------


def l1_penalty(params):
    """Return the sum of |w| over every element of every parameter (a scalar Tensor)."""
    return sum((p.abs().sum() for p in params), Tensor(0.0))


def l2_penalty(params):
    """Return the sum of w**2 over every element of every parameter (no 1/2 factor)."""
    return sum(((p * p).sum() for p in params), Tensor(0.0))


# --- convolution and pooling: fused ops written alongside the kernels -------------------------

from autograd.conv_ops import avg_pool2d, conv2d, max_pool2d  # noqa: E402,F401  (re-exported)
