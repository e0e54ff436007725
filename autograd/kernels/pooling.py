"""Pooling kernels, NCHW: max pooling (forward, backward, select) and average pooling.

Max pooling's forward and backward are each a pair of jitted loops and a NumPy twin;
average pooling and ``maxpool2d_nchw_select`` stay NumPy. Sizes and padding follow
PyTorch: padding at most half the kernel, ``dilation`` (max pooling's taps ``d`` apart),
``ceil_mode`` (a last, partial window; what it reads past the padded input counts as
padding) and average pooling's ``count_include_pad`` and ``divisor_override``.
"""
import numpy as np

from ._backend import _pick, jit_inline
from .geometry import padded_extent, pool2d_output_shape
from .shapes import _windows, pair

# --- pooling ------------------------------------------------------------------------


def _lowest(dtype):
    """The value padding takes in max pooling: it never wins against a real element."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def check_pool_padding(kernel, padding, op="pool"):
    """PyTorch's rule: padding at most half the kernel, so every window holds a real element."""
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel size {kernel}")


def _pool_args(kernel_size, stride, padding, dilation=1):
    """``(kernel, stride, padding, dilation)`` as pairs; ``stride`` None means the kernel size."""
    kernel, padding = pair(kernel_size, "kernel_size"), pair(padding, "padding")
    stride = kernel if stride is None else pair(stride, "stride")
    return kernel, stride, padding, pair(dilation, "dilation")


def _offsets(kernel):
    """Yield ``(k, i, j)`` for each place of a ``kh x kw`` window, row-major (k = i * kw + j)."""
    for k in range(kernel[0] * kernel[1]):
        yield (k,) + divmod(k, kernel[1])


def _padded_for(x, kh, kw, sh, sw, ph, pw, out_h, out_w, dh, dw, value=0):
    """``x`` padded by ``ph``/``pw`` with ``value``, and further on the bottom/right when
    ``ceil_mode``'s last window reads past that."""
    height = padded_extent(x.shape[2], kh, sh, ph, dh, out_h)
    width = padded_extent(x.shape[3], kw, sw, pw, dw, out_w)
    if height == x.shape[2] and width == x.shape[3]:
        return x
    spread = ((0, 0), (0, 0), (ph, height - x.shape[2] - ph), (pw, width - x.shape[3] - pw))
    return np.pad(x, spread, constant_values=value)


def _window_view(x, kh, kw, sh, sw, ph, pw, out_h, out_w, dh=1, dw=1, value=0):
    """A read-only ``(N, C, OH, OW, kh, kw)`` view of every (dilated) window."""
    padded = _padded_for(x, kh, kw, sh, sw, ph, pw, out_h, out_w, dh, dw, value)
    view = _windows(padded, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :out_h, :out_w]


# The twins below loop over the kh * kw window offsets, each step one vectorised pass over
# the (N, C, OH, OW) output: no (..., kh * kw) copy of the windows, and np.argmax along a
# short last axis is several times slower than these passes. The loops visit each window
# once, in the same row-major order, so they pick the same winners.

def _window_max(plane, y0, x0, kh, kw, dh, dw, lowest):
    """(max, row-major place) of the ``kh x kw`` window at (y0, x0) of ``plane``, its taps
    ``dh``/``dw`` apart, padding lowest."""
    h, w = plane.shape
    best, at = lowest, 0
    for i in range(kh):
        for j in range(kw):
            y, x = y0 + i * dh, x0 + j * dw
            v = plane[y, x] if 0 <= y < h and 0 <= x < w else lowest
            # a later element wins only when greater (ties: the first), or when NaN, so
            # NaN propagates as in PyTorch's CPU kernel
            if i + j == 0 or v > best or v != v:
                best, at = v, i * kw + j
    return best, at


jit_inline(globals(), "_window_max")  # inlined, so that a constant window size unrolls


def _maxpool2x2_loops(x, out_h, out_w, out, argmax):
    """The common 2x2, stride 2, unpadded window: every window inside, its four reads spelled
    out (0.32 ms against 0.49 ms through ``_window_max`` on (64, 8, 28, 28) float32)."""
    for b in range(x.shape[0]):
        for ch in range(x.shape[1]):
            plane, best_of, place_of = x[b, ch], out[b, ch], argmax[b, ch]
            for oy in range(out_h):
                top, bottom = plane[2 * oy], plane[2 * oy + 1]
                for ox in range(out_w):
                    best, at = top[2 * ox], 0
                    v = top[2 * ox + 1]
                    if v > best or v != v:  # the same rule as _window_max: NaN wins
                        best, at = v, 1
                    v = bottom[2 * ox]
                    if v > best or v != v:
                        best, at = v, 2
                    v = bottom[2 * ox + 1]
                    if v > best or v != v:
                        best, at = v, 3
                    best_of[oy, ox], place_of[oy, ox] = best, at
    return out, argmax


jit_inline(globals(), "_maxpool2x2_loops")


def _maxpool2d_fwd_loops(x, kh, kw, sh, sw, ph, pw, out_h, out_w, lowest, dh=1, dw=1):
    n, c, h, w = x.shape
    out = np.empty((n, c, out_h, out_w), dtype=x.dtype)
    argmax = np.empty((n, c, out_h, out_w), dtype=np.int64)
    plain = ph == 0 and pw == 0 and dh == 1 and dw == 1 and 2 * out_h <= h and 2 * out_w <= w
    if kh == 2 and kw == 2 and sh == 2 and sw == 2 and plain:
        return _maxpool2x2_loops(x, out_h, out_w, out, argmax)
    for b in range(n):
        for ch in range(c):
            plane = x[b, ch]
            for oy in range(out_h):
                for ox in range(out_w):
                    y0, x0 = oy * sh - ph, ox * sw - pw
                    if kh == 2 and kw == 2:  # the common 2x2 window, as constants: 3x faster
                        best, at = _window_max(plane, y0, x0, 2, 2, dh, dw, lowest)
                    else:
                        best, at = _window_max(plane, y0, x0, kh, kw, dh, dw, lowest)
                    out[b, ch, oy, ox], argmax[b, ch, oy, ox] = best, at
    return out, argmax


def _maxpool2d_fwd_numpy(x, kh, kw, sh, sw, ph, pw, out_h, out_w, lowest, dh=1, dw=1):
    view = _window_view(x, kh, kw, sh, sw, ph, pw, out_h, out_w, dh, dw, lowest)
    out = view[..., 0, 0].copy()
    argmax = np.zeros(out.shape, dtype=np.int64)
    for k, i, j in _offsets((kh, kw)):
        if k:
            candidate = view[..., i, j]
            wins = candidate > out
            if x.dtype.kind == "f":
                wins |= np.isnan(candidate)
            argmax += wins * (k - argmax)  # arithmetic: np.where/copyto on a mask is ~5x slower
            np.maximum(out, candidate, out=out)  # same values: NaN propagates, ties are equal
    return out, argmax


def _maxunpool2x2_loops(g, argmax, grad):
    """The backward of ``_maxpool2x2_loops``: each window's four places written once (the
    winner gets g, the others 0) instead of zeroing ``grad`` and then adding into it; rows
    and columns no window reaches are zeroed."""
    n, c, out_h, out_w = g.shape
    h, w = grad.shape[2:]
    for b in range(n):
        for ch in range(c):
            plane, src, place_of = grad[b, ch], g[b, ch], argmax[b, ch]
            for oy in range(out_h):
                top, bottom = plane[2 * oy], plane[2 * oy + 1]
                for ox in range(out_w):
                    v, at = src[oy, ox], place_of[oy, ox]
                    top[2 * ox] = v if at == 0 else 0
                    top[2 * ox + 1] = v if at == 1 else 0
                    bottom[2 * ox] = v if at == 2 else 0
                    bottom[2 * ox + 1] = v if at == 3 else 0
                for x in range(2 * out_w, w):
                    top[x], bottom[x] = 0, 0
            for y in range(2 * out_h, h):
                for x in range(w):
                    plane[y, x] = 0
    return grad


jit_inline(globals(), "_maxunpool2x2_loops")


def _maxpool2d_bwd_loops(g, argmax, h, w, kh, kw, sh, sw, ph, pw, dh=1, dw=1):
    n, c, out_h, out_w = g.shape
    plain = ph == 0 and pw == 0 and dh == 1 and dw == 1 and 2 * out_h <= h and 2 * out_w <= w
    if kh == 2 and kw == 2 and sh == 2 and sw == 2 and plain:
        return _maxunpool2x2_loops(g, argmax, np.empty((n, c, h, w), dtype=g.dtype))
    grad = np.zeros((n, c, h, w), dtype=g.dtype)
    # each window place's row and column offset, looked up instead of divided out per element:
    # 0.37 ms against 0.55 ms for k // kw and k % kw in the loop on (64, 8, 28, 28) float32
    rows, cols = np.empty(kh * kw, dtype=np.int64), np.empty(kh * kw, dtype=np.int64)
    for k in range(kh * kw):
        rows[k], cols[k] = (k // kw) * dh - ph, (k % kw) * dw - pw
    for b in range(n):
        for ch in range(c):
            for oy in range(out_h):
                for ox in range(out_w):
                    k = argmax[b, ch, oy, ox]
                    iy, ix = oy * sh + rows[k], ox * sw + cols[k]
                    if 0 <= iy < h and 0 <= ix < w:
                        grad[b, ch, iy, ix] += g[b, ch, oy, ox]
    return grad


def _maxpool2d_bwd_numpy(g, argmax, h, w, kh, kw, sh, sw, ph, pw, dh=1, dw=1):
    out_h, out_w = g.shape[2:]
    height = padded_extent(h, kh, sh, ph, dh, out_h)
    width = padded_extent(w, kw, sw, pw, dw, out_w)
    grad = np.zeros(g.shape[:2] + (height, width), dtype=g.dtype)
    finite = np.isfinite(g).all()  # then g * mask is exact (inf * 0 would leak NaN), and faster
    for k, i, j in _offsets((kh, kw)):
        hit = argmax == k
        grad[:, :, i * dh: i * dh + sh * out_h: sh, j * dw: j * dw + sw * out_w: sw] += (
            g * hit if finite else np.where(hit, g, 0))
    return grad[:, :, ph: ph + h, pw: pw + w]


def _avgpool2d_fwd_numpy(x, kh, kw, sh, sw, ph, pw, out_h, out_w, divisor):
    view = _window_view(x, kh, kw, sh, sw, ph, pw, out_h, out_w)
    out = view[..., 0, 0].copy()
    for k, i, j in _offsets((kh, kw)):
        if k:
            out += view[..., i, j]
    out /= divisor
    return out


def _avgpool2d_bwd_numpy(g, h, w, kh, kw, sh, sw, ph, pw, divisor):
    out_h, out_w = g.shape[2:]
    share = g / divisor
    height = padded_extent(h, kh, sh, ph, 1, out_h)
    width = padded_extent(w, kw, sw, pw, 1, out_w)
    grad = np.zeros(g.shape[:2] + (height, width), dtype=g.dtype)
    for k, i, j in _offsets((kh, kw)):
        grad[:, :, i: i + sh * out_h: sh, j: j + sw * out_w: sw] += share
    return grad[:, :, ph: ph + h, pw: pw + w]


_maxpool2d_fwd = _pick(_maxpool2d_fwd_loops, _maxpool2d_fwd_numpy)
_maxpool2d_bwd = _pick(_maxpool2d_bwd_loops, _maxpool2d_bwd_numpy)
# Average pooling stays NumPy in both modes: a sum is what its vectorised passes do best.
# Loops, even with the 2x2 window unrolled, only tied them (on (64, 8, 28, 28) float32:
# forward 0.29 ms against 0.31, backward 0.95 against 0.93; a generic 3x3 window lost).
_avgpool2d_fwd = _avgpool2d_fwd_numpy
_avgpool2d_bwd = _avgpool2d_bwd_numpy


def maxpool2d_nchw_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Return ``(out, argmax)``: window maxima ``(N, C, OH, OW)`` and their places in the windows.

    ``argmax`` (int64) counts row-major within the ``kh x kw`` window. As in PyTorch's
    CPU kernel a later element wins only when greater, so ties go to the first maximum,
    and NaN wins (it propagates). ``stride`` defaults to ``kernel_size``; padding is
    -inf, so it is never selected.
    """
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    check_pool_padding(kernel, padding, "max_pool2d")
    out_h, out_w = pool2d_output_shape(x.shape, kernel, stride, padding, dilation, ceil_mode,
                                       "max_pool2d")
    lowest = x.dtype.type(_lowest(x.dtype))
    return _maxpool2d_fwd(x, *kernel, *stride, *padding, out_h, out_w, lowest, *dilation)


def maxpool2d_nchw_backward(g, argmax, x_shape, kernel_size, stride=None, padding=0, dilation=1):
    """Return the input gradient of max pooling: each ``g`` added at its window's argmax.

    Linear in ``g``; overlapping windows (stride < kernel) that pick the same element add up.
    """
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    return _maxpool2d_bwd(g, argmax, x_shape[2], x_shape[3], *kernel, *stride, *padding,
                          *dilation)


def maxpool2d_nchw_select(h, argmax, kernel_size, stride=None, padding=0, dilation=1):
    """Return, per window of ``h``, the element at ``argmax``: the adjoint of the backward scatter.

    With ``h`` the pooled input this is the forward itself; the second derivative of max
    pooling uses it on gradients (the winners stay those of the original input). NumPy
    only: a second-derivative path, where clarity wins over speed.
    """
    kernel, stride, padding, dilation = _pool_args(kernel_size, stride, padding, dilation)
    view = _window_view(h, *kernel, *stride, *padding, *argmax.shape[2:], *dilation)
    out = np.zeros(argmax.shape, dtype=h.dtype)
    for k, i, j in _offsets(kernel):
        out = np.where(argmax == k, view[..., i, j], out)
    return out


def maxpool2d_flat_indices(argmax, x_shape, kernel_size, stride=None, padding=0, dilation=1):
    """Return PyTorch's ``return_indices``: each winner's flat index into its ``H * W`` plane."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pool_args(kernel_size, stride, padding, dilation)
    out_h, out_w = argmax.shape[2:]
    rows = (np.arange(out_h) * sh - ph)[:, None] + (argmax // kw) * dh
    cols = (np.arange(out_w) * sw - pw) + (argmax % kw) * dw
    return rows * x_shape[3] + cols


def _covered(size, kernel, stride, padding, count, count_include_pad):
    """How many positions each window along one axis averages over, as PyTorch counts them."""
    start = np.arange(count) * stride - padding
    end = np.minimum(start + kernel, size + padding)  # a ceil_mode window is cut at the padding
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start


def _avg_divisor(x_shape, kernel, stride, padding, out_shape, count_include_pad, divisor_override):
    """The divisor of each window: ``divisor_override``, else a scalar or an ``(OH, OW)`` array."""
    if divisor_override:
        return divisor_override
    rows, cols = (_covered(x_shape[2 + a], kernel[a], stride[a], padding[a], out_shape[a],
                           count_include_pad) for a in range(2))
    if (rows == kernel[0]).all() and (cols == kernel[1]).all():
        return kernel[0] * kernel[1]
    return np.outer(rows, cols)


def avgpool2d_nchw_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                           count_include_pad=True, divisor_override=None):
    """Return window means ``(N, C, OH, OW)``. Integer input gives float64.

    The divisor is PyTorch's: ``kh * kw`` (padded zeros count, ``count_include_pad=True``),
    else only the input's positions in the window; ``ceil_mode``'s last windows are cut at
    the padding; a ``divisor_override`` replaces it everywhere.
    """
    kernel, stride, padding, _ = _pool_args(kernel_size, stride, padding)
    check_pool_padding(kernel, padding, "avg_pool2d")
    out_shape = pool2d_output_shape(x.shape, kernel, stride, padding, (1, 1), ceil_mode,
                                    "avg_pool2d")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    divisor = _avg_divisor(x.shape, kernel, stride, padding, out_shape, count_include_pad,
                           divisor_override)
    return _avgpool2d_fwd(x, *kernel, *stride, *padding, *out_shape, divisor)


def avgpool2d_nchw_backward(g, x_shape, kernel_size, stride=None, padding=0, ceil_mode=False,
                            count_include_pad=True, divisor_override=None):
    """Return the input gradient of average pooling: ``g / divisor`` spread over each window."""
    kernel, stride, padding, _ = _pool_args(kernel_size, stride, padding)
    divisor = _avg_divisor(x_shape, kernel, stride, padding, g.shape[2:], count_include_pad,
                           divisor_override)
    return _avgpool2d_bwd(g, x_shape[2], x_shape[3], *kernel, *stride, *padding, divisor)
