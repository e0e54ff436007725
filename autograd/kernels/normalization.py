"""Kernels of the fused normalisation ops (batch norm, layer norm): loops and NumPy twins.

Every kernel sees the input as a 3-D array ``(N, C, S)`` whose statistics are taken per
``C`` over ``N`` and ``S``: batch norm's ``(N, C, *)`` is ``(N, C, H * W)``, layer norm's
``(*, *normalized_shape)`` is ``(1, rows, features)``. The weight and bias run along ``C``
(``per_channel``, batch norm) or along ``S`` (layer norm). Sums are accumulated in
float64 and the results rounded once to the input's dtype. With ``S == 1`` (BatchNorm1d
on ``(N, C)``) the loops walk the ``(N, C)`` matrix row by row, so that the inner loop
runs over contiguous channels.

Forward: ``y = (x - mean) * invstd * w + b`` with the biased variance,
``invstd = 1 / sqrt(var + eps)``. Input gradient, ``G = g * w`` and ``xhat`` the
normalised input: ``invstd * (G - mean(G) - xhat * mean(G * xhat))``. Weight gradient:
``sum(g * xhat)`` over what the weight is broadcast along.
"""
import numpy as np

from ._backend import _pick, jit_inline

# --- statistics ---------------------------------------------------------------------------


def _row_sum(row, m, squares):
    """``sum(row - m)`` or (``squares``) ``sum((row - m)**2)``, in float64. Four partial sums:
    one would chain every addition to the last (no fastmath, so no reordering), 4x slower."""
    a0 = a1 = a2 = a3 = 0.0
    n = row.size - row.size % 4
    for k in range(0, n, 4):
        d0, d1, d2, d3 = row[k] - m, row[k + 1] - m, row[k + 2] - m, row[k + 3] - m
        if squares:
            d0, d1, d2, d3 = d0 * d0, d1 * d1, d2 * d2, d3 * d3
        a0, a1, a2, a3 = a0 + d0, a1 + d1, a2 + d2, a3 + d3
    for k in range(n, row.size):
        d = row[k] - m
        a0 += d * d if squares else d
    return (a0 + a1) + (a2 + a3)


def _row_grad_sums(g, x, m, w):
    """``(sum(g * w), sum(g * w * (x - m)))`` over a row, in float64, four partial sums each."""
    a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = 0.0
    n = g.size - g.size % 4
    for k in range(0, n, 4):
        e0, e1 = g[k] * np.float64(w[k]), g[k + 1] * np.float64(w[k + 1])
        e2, e3 = g[k + 2] * np.float64(w[k + 2]), g[k + 3] * np.float64(w[k + 3])
        a0, a1, a2, a3 = a0 + e0, a1 + e1, a2 + e2, a3 + e3
        b0, b1 = b0 + e0 * (x[k] - m), b1 + e1 * (x[k + 1] - m)
        b2, b3 = b2 + e2 * (x[k + 2] - m), b3 + e3 * (x[k + 3] - m)
    for k in range(n, g.size):
        e = g[k] * np.float64(w[k])
        a0 += e
        b0 += e * (x[k] - m)
    return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)


def _channel_sums(x, mean, squares):
    """Per channel, the sum of ``x - mean`` or (``squares``) of ``(x - mean)**2``."""
    n, c, s = x.shape
    total = np.zeros(c)
    if s == 1:  # (N, C): the inner loop runs along the contiguous channels
        x2 = x.reshape((n, c))
        for i in range(n):
            for j in range(c):
                d = x2[i, j] - mean[j]
                total[j] += d * d if squares else d
        return total
    for i in range(n):
        for j in range(c):
            total[j] += _row_sum(x[i, j], mean[j], squares)
    return total


def _norm_stats_loops(x, eps):
    n, c, s = x.shape
    count = n * s
    mean = np.empty(c)
    for j, total in enumerate(_channel_sums(x, np.zeros(c), False)):
        mean[j] = np.divide(total, count)  # np.divide: 0 / 0 is NaN, not an exception
    var = np.empty(c)
    invstd = np.empty(c)
    for j, total in enumerate(_channel_sums(x, mean, True)):
        var[j] = np.divide(total, count)
        invstd[j] = np.divide(1.0, np.sqrt(var[j] + eps))
    return mean.astype(x.dtype), var.astype(x.dtype), invstd.astype(x.dtype)


def _norm_stats_numpy(x, eps):
    count = x.shape[0] * x.shape[2]
    with np.errstate(invalid="ignore", divide="ignore"):  # empty channels: NaN, as the loops
        mean = np.add.reduce(x, axis=(0, 2), dtype=np.float64) / count
        centered = x - mean[:, None]
        var = np.add.reduce(centered * centered, axis=(0, 2)) / count
        invstd = 1.0 / np.sqrt(var + eps)
    return mean.astype(x.dtype), var.astype(x.dtype), invstd.astype(x.dtype)


jit_inline(globals(), "_row_sum")
jit_inline(globals(), "_row_grad_sums")
jit_inline(globals(), "_channel_sums")
jit_inline(globals(), "_gradient_sums")
_norm_stats = _pick(_norm_stats_loops, _norm_stats_numpy)

# --- forward: normalise, scale and shift ---------------------------------------------------


def _norm_fwd_loops(x, w, b, mean, invstd, per_channel):
    n, c, s = x.shape
    y = np.empty_like(x)
    if per_channel:  # y = (x - mean) * scale + b, scale = invstd * w per channel
        scale = invstd.astype(np.float64) * w
        if s == 1:
            x2, y2 = x.reshape((n, c)), y.reshape((n, c))
            for i in range(n):
                for j in range(c):
                    y2[i, j] = (x2[i, j] - np.float64(mean[j])) * scale[j] + b[j]
            return y
        for i in range(n):
            for j in range(c):
                m, sc, sh = np.float64(mean[j]), scale[j], np.float64(b[j])
                for k in range(s):
                    y[i, j, k] = (x[i, j, k] - m) * sc + sh
        return y
    for i in range(n):
        for j in range(c):
            m, r = np.float64(mean[j]), np.float64(invstd[j])
            for k in range(s):
                y[i, j, k] = (x[i, j, k] - m) * r * w[k] + b[k]
    return y


def _norm_fwd_numpy(x, w, b, mean, invstd, per_channel):
    wb, bb = (w[:, None], b[:, None]) if per_channel else (w, b)
    centered = x - mean[:, None].astype(np.float64)
    return (centered * (invstd[:, None].astype(np.float64) * wb) + bb).astype(x.dtype)


_norm_fwd = _pick(_norm_fwd_loops, _norm_fwd_numpy)

# --- input gradient ------------------------------------------------------------------------


def _gradient_sums(g, x, w, mean, per_channel):
    """Per channel: ``sum(G)`` and ``sum(G * (x - mean))``, ``G = g * w``."""
    n, c, s = x.shape
    sum_g, sum_gx = np.zeros(c), np.zeros(c)
    if s == 1 and per_channel:
        g2, x2 = g.reshape((n, c)), x.reshape((n, c))
        for i in range(n):
            for j in range(c):
                sum_g[j] += g2[i, j]
                sum_gx[j] += g2[i, j] * (x2[i, j] - np.float64(mean[j]))
        return sum_g * w, sum_gx * w
    ones = np.ones(s, x.dtype)
    for i in range(n):
        for j in range(c):
            a, b = _row_grad_sums(g[i, j], x[i, j], np.float64(mean[j]),
                                  ones if per_channel else w)
            sum_g[j] += a
            sum_gx[j] += b
    if per_channel:
        return sum_g * w, sum_gx * w
    return sum_g, sum_gx


def _norm_bwd_input_loops(g, x, w, mean, invstd, per_channel):
    n, c, s = x.shape
    count = n * s
    sum_g, sum_gx = _gradient_sums(g, x, w, mean, per_channel)
    r = invstd.astype(np.float64)
    # dx = r * (G - mean(G) - (x - mean) * r**2 * mean(G * (x - mean)))
    shift = sum_g / count
    slope = sum_gx * r * r / count
    dx = np.empty_like(g)
    if s == 1 and per_channel:
        g2, x2, dx2 = g.reshape((n, c)), x.reshape((n, c)), dx.reshape((n, c))
        for i in range(n):
            for j in range(c):
                gw = g2[i, j] * np.float64(w[j])
                dx2[i, j] = r[j] * (gw - shift[j] - (x2[i, j] - np.float64(mean[j])) * slope[j])
        return dx
    for i in range(n):
        for j in range(c):
            m, rj, sh, sl = np.float64(mean[j]), r[j], shift[j], slope[j]
            if per_channel:
                wj = np.float64(w[j])
                for k in range(s):
                    dx[i, j, k] = rj * (g[i, j, k] * wj - sh - (x[i, j, k] - m) * sl)
            else:
                for k in range(s):
                    dx[i, j, k] = rj * (g[i, j, k] * np.float64(w[k]) - sh - (x[i, j, k] - m) * sl)
    return dx


def _norm_bwd_input_numpy(g, x, w, mean, invstd, per_channel):
    count = x.shape[0] * x.shape[2]
    big = g * np.asarray(w[:, None] if per_channel else w, np.float64)
    r = invstd[:, None].astype(np.float64)
    xhat = (x - mean[:, None].astype(np.float64)) * r
    mg = np.add.reduce(big, axis=(0, 2)) / count
    mgx = np.add.reduce(big * xhat, axis=(0, 2)) / count
    return (r * (big - mg[:, None] - xhat * mgx[:, None])).astype(g.dtype)


_norm_bwd_input = _pick(_norm_bwd_input_loops, _norm_bwd_input_numpy)

# --- weight gradient -----------------------------------------------------------------------


def _norm_bwd_weight_loops(g, x, mean, invstd, per_channel):
    n, c, s = x.shape
    if per_channel:  # sum(g * (x - mean)) * invstd per channel; 0 (not NaN) if empty
        if n * s == 0:
            return np.zeros(c, g.dtype)
        ones = np.ones(c, x.dtype)
        return (_gradient_sums(g, x, ones, mean, True)[1] * invstd).astype(g.dtype)
    dw = np.zeros(s)
    for i in range(n):
        for j in range(c):
            m, r = np.float64(mean[j]), np.float64(invstd[j])
            for k in range(s):
                dw[k] += g[i, j, k] * ((x[i, j, k] - m) * r)
    return dw.astype(g.dtype)


def _norm_bwd_weight_numpy(g, x, mean, invstd, per_channel):
    xhat = (x - mean[:, None].astype(np.float64)) * invstd[:, None]
    return np.add.reduce(g * xhat, axis=(0, 2) if per_channel else (0, 1)).astype(g.dtype)


_norm_bwd_weight = _pick(_norm_bwd_weight_loops, _norm_bwd_weight_numpy)

# --- the functions the ops call --------------------------------------------------------------


_LOOP_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _call(kernel, twin, dtype, arrays, *rest):
    """``kernel`` on C-contiguous copies (or views) of ``arrays`` in ``dtype``; the NumPy twin
    for a dtype the loops are not compiled for (float16)."""
    arrays = [np.ascontiguousarray(a, dtype=dtype) for a in arrays]
    return (kernel if dtype in _LOOP_DTYPES else twin)(*arrays, *rest)


def norm_stats(x, eps):
    """``(mean, biased var, 1 / sqrt(var + eps))`` per channel of ``x`` ``(N, C, S)``, over N and S."""
    return _call(_norm_stats, _norm_stats_numpy, x.dtype, (x,), float(eps))


def norm_forward(x, w, b, mean, invstd, per_channel):
    """``(x - mean) * invstd * w + b`` on ``x`` ``(N, C, S)``; ``w``, ``b`` along C or S."""
    return _call(_norm_fwd, _norm_fwd_numpy, x.dtype, (x, w, b, mean, invstd),
                 bool(per_channel))


def norm_backward_input(g, x, w, mean, invstd, per_channel):
    """The input gradient of ``norm_forward`` (with the statistics of ``x``) for ``g``."""
    return _call(_norm_bwd_input, _norm_bwd_input_numpy, np.result_type(g, x),
                 (g, x, w, mean, invstd), bool(per_channel))


def norm_backward_weight(g, x, mean, invstd, per_channel):
    """``sum(g * xhat)`` over what the weight is broadcast along: shape ``(C,)`` or ``(S,)``."""
    return _call(_norm_bwd_weight, _norm_bwd_weight_numpy, np.result_type(g, x),
                 (g, x, mean, invstd), bool(per_channel))
