"""The loss functions of ``nn.functional`` (re-exported there), and the helpers they share.

Names, arguments and defaults are PyTorch's, the deprecated ``size_average``/``reduce``
included (they override ``reduction`` with a warning, as in PyTorch). Every loss takes
``reduction="mean"|"sum"|"none"``. Difference from PyTorch: prediction and target shapes
must match exactly (ValueError naming both) where PyTorch would broadcast.
"""
import math
import warnings

import numpy as np

from autograd import Tensor, as_tensor, nn_ops, where

REDUCTIONS = ("mean", "sum", "none")

# --- helpers ------------------------------------------------------------------------


def _float_tensor(x, name="input"):
    """``x`` as a Tensor, which must be floating point (TypeError naming ``name`` otherwise)."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must be floating point, got dtype {x.dtype}")
    return x


def _raw(x):
    """The ndarray behind a Tensor, or ``x`` as an ndarray."""
    return x.raw if isinstance(x, Tensor) else np.asarray(x)


def _target_like(input, target):
    """``target`` as a Tensor of input's dtype, unless it is a Tensor that requires grad."""
    if isinstance(target, Tensor) and target.requires_grad:
        return target
    return Tensor(np.asarray(_raw(target), dtype=input.dtype))


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def legacy_reduction(size_average, reduce, reduction):
    """``reduction``, or what PyTorch's deprecated ``size_average``/``reduce`` (None: True) mean."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    legacy = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{legacy}' instead.", UserWarning, stacklevel=3)
    return legacy


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


def _weighted(loss, weight):
    """``loss * weight`` with ``weight`` (a Tensor or array) in the loss's dtype; None: ``loss``."""
    return loss if weight is None else loss * _target_like(loss, weight)

# --- regression losses ------------------------------------------------------------------


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Return the squared error (input - target)**2, reduced."""
    input, target = _pair("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, legacy_reduction(size_average, reduce, reduction))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Return the absolute error |input - target|, reduced (MAE for "mean")."""
    input, target = _pair("l1_loss", input, target)
    return _reduce((input - target).abs(), legacy_reduction(size_average, reduce, reduction))


def _check_positive(name, value, op, allow_zero=False):
    """Raise ValueError unless ``value`` is a number > 0 (>= 0 with ``allow_zero``), not NaN."""
    bad = not isinstance(value, (int, float, np.number)) or math.isnan(value)
    if bad or value < 0 or (value == 0 and not allow_zero):
        wanted = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{op}: {name} must be {wanted}, got {name}={value!r}")


def _huber(diff, delta):
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta): quadratic inside, linear out."""
    size = diff.abs()
    return where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Return the Huber loss of d = input - target, reduced; ``delta`` must be > 0 (ValueError).

    ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; the gradient is
    d inside and ``delta * sign(d)`` outside, continuous at ``|d| = delta``.
    """
    _check_positive("delta", delta, "huber_loss")
    input, target = _pair("huber_loss", input, target)
    return _reduce(_huber(input - target, delta), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Return the smooth L1 loss of d = input - target, reduced (PyTorch's ``F.smooth_l1_loss``).

    ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``: the Huber loss with
    ``delta = beta``, divided by beta. ``beta = 0`` is the L1 loss, as in PyTorch; a
    negative or NaN beta raises ValueError.
    """
    _check_positive("beta", beta, "smooth_l1_loss", allow_zero=True)
    input, target = _pair("smooth_l1_loss", input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta == 0:
        return _reduce((input - target).abs(), reduction)
    return _reduce(_huber(input - target, beta) / beta, reduction)

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
    raw = _raw(target)
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
    w = 1.0 if weight is None else _raw(weight)[labels]
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


def _class_shape(weight, input):
    """Per-class weights shaped to broadcast along axis 1 of ``input``."""
    return Tensor(_raw(weight).astype(input.dtype).reshape((1, -1) + (1,) * (input.ndim - 2)))


def _smoothing(input, weight, ignored):
    """Each sample's -sum_c w_c log p_c / C: the uniform part of a label-smoothed target."""
    logp = nn_ops.LOG_SOFTMAX(input, axis=1)
    if weight is not None:
        logp = logp * _class_shape(weight, input)
    smooth = -logp.sum(dim=1) / input.shape[1]
    return smooth if ignored is None else smooth * (~ignored).astype(input.dtype)


def _label_cross_entropy(input, target, raw, weight, ignore_index, reduction, label_smoothing,
                         unbatched):
    labels, ignored = _class_labels("cross_entropy", input, raw, ignore_index)
    weights = _sample_weights(labels, ignored, weight, input.dtype)
    if weights is None and not label_smoothing and reduction == "mean" and labels.size:
        # the common case in one node: the mean folded into the op
        return nn_ops.SOFTMAX_CROSS_ENTROPY(input, target=labels, mean=True)
    loss = nn_ops.SOFTMAX_CROSS_ENTROPY(input, target=labels)
    if weights is not None:
        loss = loss * weights
    if label_smoothing:
        # as PyTorch: the uniform part is weighted by class inside the sum, not by weight[label]
        smooth = _smoothing(input, weight, ignored)
        loss = loss * (1.0 - label_smoothing) + smooth * label_smoothing
    return _finish(loss, weights, reduction, unbatched)


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing, unbatched):
    target = _target_like(input, target)
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / input.shape[1]
    logp = nn_ops.LOG_SOFTMAX(input, axis=1)
    if weight is not None:
        logp = logp * _class_shape(weight, input)
    loss = -(target * logp).sum(dim=1)
    if unbatched and reduction == "none":
        return loss[0]
    return _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Return the cross-entropy of logits ``input`` against ``target``, reduced.

    ``target`` holds integer class labels, shape (N,) for input (N, C) (or (N, *d) for
    (N, C, *d), () for (C,)), or class probabilities of the input's shape. ``weight``
    rescales classes, ``ignore_index`` labels are skipped, ``label_smoothing`` mixes the
    target with the uniform distribution, all as PyTorch ("mean" divides by the summed
    weights of the labels; of probabilities, by N). Labels out of range or shapes that
    do not fit raise ValueError naming both shapes.

    Example: ``cross_entropy(Tensor([[0, 0.006, 0.12]]), np.array([1]))`` is 1.13616 (the course rounds
    softmax to 0.321 first and writes 1.1363).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target, raw, unbatched = _batched("cross_entropy", input, target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if raw.dtype.kind in "iu":
        return _label_cross_entropy(input, target, raw, weight, ignore_index, reduction,
                                    label_smoothing, unbatched)
    if raw.dtype.kind == "f" and raw.shape == input.shape:
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, unbatched)
    raise ValueError(f"cross_entropy: target of shape {raw.shape} and dtype {raw.dtype} is neither "
                     f"integer class labels nor class probabilities of input shape {input.shape}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Return the negative log-likelihood -input[n, target[n]] of log-probabilities, reduced.

    Shape: input (N, C) or (N, C, *d) (or (C,)), integer target (N,) or (N, *d) (or ()).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target, raw, unbatched = _batched("nll_loss", input, target)
    if raw.dtype.kind not in "iu":
        raise ValueError(f"nll_loss: target must hold integer class labels, got dtype {raw.dtype} "
                         f"(input shape {input.shape}, target shape {raw.shape})")
    labels, ignored = _class_labels("nll_loss", input, raw, ignore_index)
    weights = _sample_weights(labels, ignored, weight, input.dtype)
    loss = -input[nn_ops.label_index(labels)]
    return _finish(loss if weights is None else loss * weights, weights, reduction, unbatched)


def _check_probabilities(p):
    """Raise ValueError, with the range found, unless every element of ``p`` is in [0, 1]."""
    inside = (p >= 0) & (p <= 1)  # False for NaN
    if inside.all():
        return
    nan = np.isnan(p)
    found = [f"values in [{p[~nan].min():.6g}, {p[~nan].max():.6g}]"] if not nan.all() else []
    found += [f"{int(nan.sum())} NaN"] if nan.any() else []
    raise ValueError(f"binary_cross_entropy: input must be probabilities in [0, 1], found "
                     f"{' and '.join(found)} (for logits use binary_cross_entropy_with_logits)")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """Return -(y log p + (1 - y) log(1 - p)) for probabilities p = ``input``, reduced.

    Each log is clamped at -100 as in PyTorch, so p = 0 or 1 gives a finite loss.
    Inputs outside [0, 1], NaN included, raise ValueError (PyTorch raises too).
    """
    input, target = _pair("binary_cross_entropy", input, target)
    _check_probabilities(input.raw)
    loss = _weighted(nn_ops.BINARY_CROSS_ENTROPY(input, target), weight)
    return _reduce(loss, legacy_reduction(size_average, reduce, reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Return the binary cross-entropy of sigmoid(input) and target, computed from the logits.

    Stable for large |x|: softplus(x) - x y (with ``pos_weight`` p: (1 - y) x + (1 + (p - 1) y)
    softplus(-x)), whose gradient is exactly sigmoid(x) - y.
    """
    input, target = _pair("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        loss = nn_ops.SOFTPLUS(input) - input * target
    else:
        pos_weight = _target_like(input, pos_weight)
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * nn_ops.SOFTPLUS(-input)
    return _reduce(_weighted(loss, weight), legacy_reduction(size_average, reduce, reduction))
