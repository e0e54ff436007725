"""One-pass optimizer updates: Adam (and AdamW), RMSprop and Adagrad, in place.

NumPy spends a pass and a temporary the size of the weight on every operator of an
update (Adam: about ten); these loops read each element once. They are bit for bit the
NumPy formulas they replace (the twins): the same operations in the same order, each
rounded to the weight's dtype (the hyper-parameters are rounded to it first, as NumPy
does with a Python float), no fastmath, so no fused multiply-add. ``np.divide`` divides
where a denominator may be 0 (``eps=0``): it gives inf or NaN as NumPy does, where
Numba's ``/`` would raise.

The wrappers take the arrays of one parameter (weight, gradient, buffers) and use the
loops on their flat views when all are C-contiguous, writable and of the weight's float
dtype; otherwise the twin, which is NumPy's formula on the arrays as they are.
"""
import numpy as np

from ._backend import _pick

# --- Adam / AdamW ------------------------------------------------------------------------


def _adam_step_loops(w, g, m, v, v_max, beta1, rest1, beta2, rest2, lr, c1, c2, eps, amsgrad):
    for i in range(w.size):
        gi = g[i]
        mi = m[i] * beta1 + rest1 * gi
        vi = v[i] * beta2 + rest2 * gi * gi
        m[i] = mi
        v[i] = vi
        if amsgrad:
            top = v_max[i]
            if not (top > vi or top != top):  # np.maximum: NaN wins, else the larger
                top = vi
            v_max[i] = top
            vi = top
        w[i] -= np.divide(lr * (mi / c1), np.sqrt(vi / c2) + eps)
    return w


def _adam_step_numpy(w, g, m, v, v_max, beta1, rest1, beta2, rest2, lr, c1, c2, eps, amsgrad):
    m *= beta1
    m += rest1 * g
    v *= beta2
    v += rest2 * g * g
    if amsgrad:
        v = np.maximum(v_max, v, out=v_max)
    w -= lr * (m / c1) / (np.sqrt(v / c2) + eps)
    return w


_adam_step = _pick(_adam_step_loops, _adam_step_numpy)

# --- RMSprop -----------------------------------------------------------------------------


def _rmsprop_step_loops(w, g, v, a, b, alpha, rest, lr, eps, mu, centered, momentum):
    for i in range(w.size):
        gi = g[i]
        vi = v[i] * alpha + rest * gi * gi
        v[i] = vi
        if centered:
            ai = a[i] * alpha + rest * gi
            a[i] = ai
            vi = vi - ai * ai
        d = np.sqrt(vi) + eps
        if momentum:
            bi = b[i] * mu + np.divide(gi, d)
            b[i] = bi
            w[i] -= lr * bi
        else:
            w[i] -= np.divide(lr * gi, d)
    return w


def _rmsprop_step_numpy(w, g, v, a, b, alpha, rest, lr, eps, mu, centered, momentum):
    v *= alpha
    v += rest * g * g
    if centered:
        a *= alpha
        a += rest * g
        v = v - a * a
    d = np.sqrt(v) + eps
    if momentum:
        b *= mu
        b += g / d
        w -= lr * b
    else:
        w -= lr * g / d
    return w


_rmsprop_step = _pick(_rmsprop_step_loops, _rmsprop_step_numpy)

# --- Adagrad -----------------------------------------------------------------------------


def _adagrad_step_loops(w, g, total, lr, eps):
    for i in range(w.size):
        gi = g[i]
        s = total[i] + gi * gi
        total[i] = s
        w[i] -= np.divide(lr * gi, np.sqrt(s) + eps)
    return w


def _adagrad_step_numpy(w, g, total, lr, eps):
    total += g * g
    w -= lr * g / (np.sqrt(total) + eps)
    return w


_adagrad_step = _pick(_adagrad_step_loops, _adagrad_step_numpy)

# --- the functions the optimizers call -----------------------------------------------------


_LOOP_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _flat(w, *others):
    """Flat views of ``w`` and ``others`` for the loops, or None where the twin must run."""
    if w.dtype not in _LOOP_DTYPES or not (w.flags.c_contiguous and w.flags.writeable):
        return None
    for a in others:
        if (a.shape != w.shape or a.dtype != w.dtype or not a.flags.c_contiguous
                or not a.flags.writeable):
            return None
    return [a.reshape(-1) for a in (w,) + others]


def _run(loops_or_twin, twin, arrays, scalars):
    """``loops_or_twin`` on flat views of ``arrays`` when it can, else ``twin`` on them as they are."""
    flat = _flat(*arrays)
    if flat is None:
        twin(*arrays, *scalars)
    else:
        loops_or_twin(*flat, *scalars)


def adam_step_(w, g, m, v, v_max, *, beta1, beta2, lr, eps, step):
    """One Adam step on weight ``w`` in place, updating its moments ``m``, ``v`` (and the
    running maximum ``v_max`` of ``v``, AMSGrad, unless None); ``step`` counts from 1.

    ``w -= lr * (m / (1 - beta1**step)) / (sqrt(v / (1 - beta2**step)) + eps)``.
    """
    cast = w.dtype.type
    scalars = (cast(beta1), cast(1 - beta1), cast(beta2), cast(1 - beta2), cast(lr),
               cast(1 - beta1**step), cast(1 - beta2**step), cast(eps), v_max is not None)
    arrays = (w, g, m, v, v if v_max is None else v_max)
    _run(_adam_step, _adam_step_numpy, arrays, scalars)
    return w


def rmsprop_step_(w, g, v, a, b, *, alpha, lr, eps, momentum):
    """One RMSprop step on ``w`` in place: ``v`` the square average, ``a`` the gradient
    average (centered; None otherwise), ``b`` the momentum buffer (None without momentum)."""
    cast = w.dtype.type
    scalars = (cast(alpha), cast(1 - alpha), cast(lr), cast(eps), cast(momentum),
               a is not None, b is not None)
    arrays = (w, g, v, v if a is None else a, v if b is None else b)
    _run(_rmsprop_step, _rmsprop_step_numpy, arrays, scalars)
    return w


def adagrad_step_(w, g, total, *, lr, eps):
    """One Adagrad step on ``w`` in place: ``total += g * g``; ``w -= lr * g / (sqrt(total) + eps)``."""
    cast = w.dtype.type
    _run(_adagrad_step, _adagrad_step_numpy, (w, g, total), (cast(lr), cast(eps)))
    return w
