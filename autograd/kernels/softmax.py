"""Softmax cross-entropy kernels, classes on axis 1: the per-sample loss and its gradient.

Logits ``(N, C, *d)`` and labels ``(N, *d)`` are checked and flattened to ``(N, C, D)``
and ``(N, D)``; the forward and backward are each a pair of jitted loops and a NumPy twin.
"""
import numpy as np

from ._backend import _pick

# --- softmax cross-entropy, classes on axis 1 of (N, C, D) ------------------------------
# Per row a max, a sum of exps and a log: NumPy's reductions along a short class axis cost
# more in call overhead than the arithmetic, one pass per row does it all.

def _softmax_xent_fwd_loops(x, target):
    n, c, d = x.shape
    loss = np.empty((n, d), dtype=x.dtype)
    for b in range(n):
        for k in range(d):
            peak = x[b, 0, k]
            for j in range(1, c):
                peak = max(peak, x[b, j, k])
            if not np.isfinite(peak):
                peak = 0  # as logsumexp: x - peak must not be inf - inf
            total = 0.0
            for j in range(c):
                total += np.exp(x[b, j, k] - peak)
            loss[b, k] = np.log(total) + peak - x[b, target[b, k], k]
    return loss


def _softmax_xent_fwd_numpy(x, target):
    peak = np.max(x, axis=1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)  # as logsumexp: x - peak must not be inf - inf
    lse = np.log(np.sum(np.exp(x - peak), axis=1)) + peak[:, 0]
    return lse - np.take_along_axis(x, target[:, None], axis=1)[:, 0]


def _softmax_xent_bwd_loops(g, x, target, loss):
    n, c, d = x.shape
    grad = np.empty_like(x)
    for b in range(n):
        for k in range(d):
            lse = loss[b, k] + x[b, target[b, k], k]  # logsumexp, from the forward's output
            for j in range(c):
                grad[b, j, k] = g[b, k] * np.exp(x[b, j, k] - lse)
            grad[b, target[b, k], k] -= g[b, k]
    return grad


def _softmax_xent_bwd_numpy(g, x, target, loss):
    lse = loss + np.take_along_axis(x, target[:, None], axis=1)[:, 0]
    grad = np.exp(x - lse[:, None])
    np.put_along_axis(grad, target[:, None], np.take_along_axis(grad, target[:, None], 1) - 1, 1)
    grad *= g[:, None]
    return grad


_softmax_xent_fwd = _pick(_softmax_xent_fwd_loops, _softmax_xent_fwd_numpy)
_softmax_xent_bwd = _pick(_softmax_xent_bwd_loops, _softmax_xent_bwd_numpy)


def _as_ncd(x, target):
    """Logits ``(N, C, *d)`` as ``(N, C, D)`` and labels ``(N, *d)`` as ``(N, D)``."""
    n, c = x.shape[:2]
    d = target.size // n if n else 0
    return x.reshape(n, c, d), target.reshape(n, d)


def _checked_labels(x, target):
    """``target`` as int64 labels, after checking their shape and range against logits ``x``."""
    target = np.asarray(target, dtype=np.int64)
    if target.shape != x.shape[:1] + x.shape[2:]:
        raise ValueError(f"labels of shape {target.shape} do not fit logits of shape {x.shape}")
    # the loops do not check; the ufuncs' own reduce skips ndarray.min's Python layer
    if target.size and (np.minimum.reduce(target, axis=None) < 0
                        or np.maximum.reduce(target, axis=None) >= x.shape[1]):
        raise IndexError(f"a label is out of range for {x.shape[1]} classes")
    return target


def softmax_cross_entropy_forward(x, target):
    """Return per-sample ``logsumexp(x, axis=1) - x[target]``: shape ``target.shape``.

    ``x`` is ``(N, C, *d)`` logits, ``target`` ``(N, *d)`` integer labels in range.
    """
    target = _checked_labels(x, target)
    x3, t2 = _as_ncd(x, target)
    return _softmax_xent_fwd(x3, t2).reshape(target.shape)


def softmax_cross_entropy_backward(g, x, target, loss=None):
    """Return ``g * (softmax(x, axis=1) - onehot(target))``, of ``x.shape``; ``g`` is per
    sample (``target.shape``) or broadcast to it.

    ``loss`` is the forward's output, from which ``loss + x[target]`` gives back the
    logsumexp, with labels the forward checked; without it the forward runs again here.
    """
    if loss is None:
        loss = softmax_cross_entropy_forward(x, target)
    target = np.asarray(target, dtype=np.int64)
    x3, t2 = _as_ncd(x, target)
    if np.shape(g) != target.shape:
        g = np.broadcast_to(g, target.shape)
    g2 = np.asarray(g, dtype=x.dtype).reshape(t2.shape)
    return _softmax_xent_bwd(g2, x3, t2, loss.reshape(t2.shape)).reshape(x.shape)
