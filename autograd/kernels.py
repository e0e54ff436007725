"""Kernels: plain functions on ndarrays and ints that never see a node.

Layout NCHW throughout: inputs ``(N, C, H, W)``, conv weights ``(O, C, kh, kw)``.
Each kernel is a pair: ``_name_loops``, explicit loops that are valid Python and fast
under Numba, and ``_name_numpy``, its vectorised twin and the reference. At import
the loops are jitted (``njit(cache=True)``, so a second process loads them from the
cache instead of compiling) when Numba is installed, else the twin is used::

    _maxpool2d_fwd = _pick(_maxpool2d_fwd_loops, _maxpool2d_fwd_numpy)

``KISSGRAD_KERNELS=numpy`` (read once, at import) picks every twin, for debugging and
comparison; ``NUMBA_DISABLE_JIT=1`` runs the loops as plain Python. ``PAIRS`` lists
every kernel as (in use, loops, twin) for the tests. Plain GEMMs stay with BLAS (``np.matmul``): it is
the baseline to beat, and the convolution is laid out so that BLAS does its products.

Sizes follow PyTorch with ``ceil_mode=False``: an output has
``(H + 2 * padding - kh) // stride + 1`` rows, so trailing rows a window cannot
reach are left out (their gradient is zero).
"""
import os

import numpy as np

# KISSGRAD_KERNELS=numpy swaps every kernel for its NumPy twin (read once, at import)
KERNELS = os.environ.get("KISSGRAD_KERNELS", "numba").strip().lower() or "numba"
if KERNELS not in ("numba", "numpy"):
    raise ValueError(f"KISSGRAD_KERNELS must be 'numba' or 'numpy', got {KERNELS!r}")
HAVE_NUMBA = False
if KERNELS == "numba":
    try:  # Numba is optional: without it everything works, only slower
        from numba import njit
        HAVE_NUMBA = True
    except ImportError:
        pass
BACKEND = ("numba" if HAVE_NUMBA else "numpy (KISSGRAD_KERNELS=numpy)" if KERNELS == "numpy"
           else "numpy (numba is not installed)")

_windows = np.lib.stride_tricks.sliding_window_view


def pair(value, name="value"):
    """Return ``value`` as a pair of ints: ``3`` -> ``(3, 3)``, ``(2, 3)`` stays."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    try:
        first, second = value
        return int(first), int(second)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None


def pool_output_shape(x_shape, kernel, stride, padding, op="pool"):
    """Return ``(OH, OW)`` for windows ``kernel`` moved by ``stride`` over the padded ``x_shape``.

    Raises ValueError for a non-4-D input, non-positive kernel/stride, negative
    padding, or a kernel larger than the padded input.
    """
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D (N, C, H, W) input, got shape {tuple(x_shape)}")
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if min(kh, kw) < 1 or min(sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError(f"{op}: kernel size and stride must be >= 1 and padding >= 0; got "
                         f"kernel {kernel}, stride {stride}, padding {padding}")
    height, width = x_shape[2] + 2 * ph, x_shape[3] + 2 * pw
    if kh > height or kw > width:
        raise ValueError(f"{op}: kernel {kernel} is larger than the padded input "
                         f"({height}, {width}) (input shape {tuple(x_shape)}, padding {padding})")
    return (height - kh) // sh + 1, (width - kw) // sw + 1


def conv2d_output_shape(x_shape, w_shape, stride, padding):
    """Return a convolution's ``(N, O, OH, OW)`` shape; ValueError naming both shapes if none."""
    if len(w_shape) != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels, kh, kw), "
                         f"got shape {tuple(w_shape)}")
    if len(x_shape) == 4 and x_shape[1] != w_shape[1]:
        raise ValueError(f"conv2d: input shape {tuple(x_shape)} has {x_shape[1]} channels but "
                         f"weight shape {tuple(w_shape)} expects {w_shape[1]}")
    out_h, out_w = pool_output_shape(x_shape, w_shape[2:], stride, padding, op="conv2d")
    return x_shape[0], w_shape[0], out_h, out_w


def _padded(x, padding, value=0):
    """``x`` with ``padding`` rows/columns of ``value`` around its last two axes."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def window_view(x, kernel, stride, padding, value=0, op="pool"):
    """A read-only ``(N, C, OH, OW, kh, kw)`` view of every window (no copy beyond the padding)."""
    pool_output_shape(x.shape, kernel, stride, padding, op)  # validates
    view = _windows(_padded(x, padding, value), kernel, axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1]]  # (Hp - kh) // sh + 1 rows, as promised


PAIRS = {}
"""Every kernel by name: ``(in_use, loops, numpy_twin)``; the tests check loops against twins."""


def _pick(loops, twin):
    """The jitted ``loops`` when Numba is in use, else the NumPy ``twin``; records the pair.

    Serial: ``prange`` over the batch (``parallel=True``) made each pooling/col2im kernel
    1.3-2x faster alone on 2 cores, but cnn_step slower (median 17-21 ms against 11-13 ms
    serial): its threads fight BLAS's for the two cores. So the two cores go to BLAS.
    """
    in_use = njit(cache=True)(loops) if HAVE_NUMBA else twin
    PAIRS[loops.__name__[1:].removesuffix("_loops")] = (in_use, loops, twin)
    return in_use


# --- convolution (cross-correlation, as PyTorch's conv2d) ---------------------------
#
# Columns are laid out per sample, ``cols[n]`` = ``(C*kh*kw, OH*OW)``, so that the
# products are batched BLAS GEMMs whose results are already NCHW: no transposed copy of
# the output or of the incoming gradient. (Measured on 2 cores, batch 64, the second
# conv of cnn_step: forward 0.3 ms with this layout against 12 ms for the row layout
# ``(N*OH*OW, C*kh*kw) @ w.T``, where np.matmul on the transposed operand falls off BLAS.)


def _valid_range(offset, stride, pad, size, count):
    """Output positions ``o`` in [lo, hi) whose input ``o * stride + offset - pad`` is inside."""
    lo = max(0, -((offset - pad) // stride))  # ceil((pad - offset) / stride)
    hi = min(count, (size - 1 - offset + pad) // stride + 1)
    return lo, max(lo, hi)


if HAVE_NUMBA:
    _valid_range = njit(cache=True, inline="always")(_valid_range)


def _im2col_numpy(x, kh, kw, sh, sw, ph, pw, out_h, out_w):
    n, c = x.shape[:2]
    view = _windows(_padded(x, (ph, pw)), (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    cols = np.ascontiguousarray(view.transpose(0, 1, 4, 5, 2, 3))  # (N, C, kh, kw, OH, OW)
    return cols.reshape(n, c * kh * kw, out_h * out_w)


def _col2im_loops(cols, h, w, kh, kw, sh, sw, ph, pw, out_h, out_w):
    n, rows = cols.shape[:2]
    x = np.zeros((n, rows // (kh * kw), h, w), dtype=cols.dtype)
    for b in range(n):
        for ch in range(x.shape[1]):
            for i in range(kh):
                y_lo, y_hi = _valid_range(i, sh, ph, h, out_h)
                for j in range(kw):
                    x_lo, x_hi = _valid_range(j, sw, pw, w, out_w)
                    src = cols[b, (ch * kh + i) * kw + j]
                    for oy in range(y_lo, y_hi):
                        dst, at = x[b, ch, oy * sh + i - ph], oy * out_w
                        if sw == 1:
                            for ox in range(x_lo, x_hi):
                                dst[ox + j - pw] += src[at + ox]
                        else:
                            for ox in range(x_lo, x_hi):
                                dst[ox * sw + j - pw] += src[at + ox]
    return x


def _col2im_numpy(cols, h, w, kh, kw, sh, sw, ph, pw, out_h, out_w):
    n, rows = cols.shape[:2]
    cols = cols.reshape(n, rows // (kh * kw), kh, kw, out_h, out_w)
    grad = np.zeros((n, cols.shape[1], h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):  # one vectorised add per kernel offset
        for j in range(kw):
            grad[:, :, i: i + sh * out_h: sh, j: j + sw * out_w: sw] += cols[:, :, i, j]
    return grad[:, :, ph: ph + h, pw: pw + w]


# im2col stays NumPy in both modes: its strided copy beat every loop version tried (on
# cnn_step's shapes 0.21 and 0.52 ms against 0.34 and 0.92 ms jitted, 0.25 and 0.48 ms
# with prange on 2 cores): its rows of 14-28 elements are too short for loops to pay.
_im2col = _im2col_numpy
_col2im = _pick(_col2im_loops, _col2im_numpy)


def im2col_nchw(x, kernel, stride, padding):
    """Return the columns ``(N, C*kh*kw, OH*OW)``: ``cols[n, (c, i, j), (oh, ow)]`` is the
    padded ``x[n, c, oh * sh + i, ow * sw + j]``."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out_h, out_w = pool_output_shape(x.shape, kernel, stride, padding, op="conv2d")
    return _im2col(x, kh, kw, sh, sw, ph, pw, out_h, out_w)


def col2im_nchw(cols, x_shape, kernel, stride, padding):
    """Sum columns ``(N, C*kh*kw, OH*OW)`` back into an array of ``x_shape`` (adjoint of im2col).

    Positions shared by overlapping windows accumulate; positions in the padding are dropped.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out_h, out_w = pool_output_shape(x_shape, kernel, stride, padding, op="conv2d")
    return _col2im(cols, x_shape[2], x_shape[3], kh, kw, sh, sw, ph, pw, out_h, out_w)


def conv2d_nchw_forward(x, w, stride=1, padding=0, bias=None):
    """Return ``(out, cols)``: the cross-correlation ``(N, O, OH, OW)`` (+ ``bias``) and its columns.

    ``x`` is ``(N, C, H, W)``, ``w`` is ``(O, C, kh, kw)``; ``cols`` (``im2col_nchw``)
    can be handed to ``conv2d_nchw_backward_weight`` to skip rebuilding it. One batched GEMM.
    """
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    n, o, out_h, out_w = conv2d_output_shape(x.shape, w.shape, stride, padding)
    cols = im2col_nchw(x, w.shape[2:], stride, padding)
    out = np.matmul(w.reshape(o, -1), cols)  # (N, O, OH*OW): BLAS, one GEMM per sample
    if bias is not None and np.result_type(out, bias) == out.dtype:
        out += bias.reshape(o, 1)  # in place: no second output-sized array
    elif bias is not None:
        out = out + bias.reshape(o, 1)
    return out.reshape(n, o, out_h, out_w), cols


def conv2d_nchw_backward_input(g, w, x_shape, stride=1, padding=0):
    """Return d(sum(g * conv2d(x, w)))/dx, of ``x_shape``: a batched GEMM, then col2im.

    ``g`` is ``(N, O, OH, OW)``. Linear in ``g`` and in ``w`` (the transposed convolution).
    """
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    n, o, out_h, out_w = g.shape
    cols = np.matmul(w.reshape(o, -1).T, g.reshape(n, o, out_h * out_w))  # (N, C*kh*kw, OH*OW)
    return col2im_nchw(cols, x_shape, w.shape[2:], stride, padding)


def conv2d_nchw_backward_weight(g, x, w_shape, stride=1, padding=0, cols=None):
    """Return d(sum(g * conv2d(x, w)))/dw, of ``w_shape``: per-sample GEMMs against im2col of ``x``.

    Pass ``cols`` from ``conv2d_nchw_forward`` to reuse it; otherwise it is rebuilt.
    """
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    n, o, out_h, out_w = g.shape
    if cols is None:
        cols = im2col_nchw(x, tuple(w_shape[2:]), stride, padding)
    # batched GEMMs summed over the batch: 0.37 ms on cnn_step's second conv, against 1.5 ms
    # for tensordot and 216 ms for one big GEMM on transposed copies (off BLAS)
    per_sample = np.matmul(g.reshape(n, o, out_h * out_w), cols.transpose(0, 2, 1))
    return per_sample.sum(axis=0).reshape(w_shape)


# --- pooling ------------------------------------------------------------------------


def _lowest(dtype):
    """The value padding takes in max pooling: it never wins against a real element."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def check_pool_padding(kernel, padding, op="pool"):
    """PyTorch's rule: padding at most half the kernel, so every window holds a real element."""
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half of kernel size {kernel}")


def _pool_args(kernel_size, stride, padding):
    """``(kernel, stride, padding)`` as pairs; ``stride`` None means the kernel size."""
    kernel, padding = pair(kernel_size, "kernel_size"), pair(padding, "padding")
    return kernel, kernel if stride is None else pair(stride, "stride"), padding


def _offsets(kernel):
    """Yield ``(k, i, j)`` for each place of a ``kh x kw`` window, row-major (k = i * kw + j)."""
    for k in range(kernel[0] * kernel[1]):
        yield (k,) + divmod(k, kernel[1])


# The twins below loop over the kh * kw window offsets, each step one vectorised pass over
# the (N, C, OH, OW) output: no (..., kh * kw) copy of the windows, and np.argmax along a
# short last axis is several times slower than these passes. The loops visit each window
# once, in the same row-major order, so they pick the same winners.

def _window_max(plane, y0, x0, kh, kw, lowest):
    """(max, row-major place) of the ``kh x kw`` window at (y0, x0) of ``plane``, padding lowest."""
    h, w = plane.shape
    best, at = lowest, 0
    for i in range(kh):
        for j in range(kw):
            inside = 0 <= y0 + i < h and 0 <= x0 + j < w
            v = plane[y0 + i, x0 + j] if inside else lowest
            # a later element wins only when greater (ties: the first), or when NaN, so
            # NaN propagates as in PyTorch's CPU kernel
            if i + j == 0 or v > best or v != v:
                best, at = v, i * kw + j
    return best, at


if HAVE_NUMBA:  # inlined, so that a constant window size unrolls
    _window_max = njit(cache=True, inline="always")(_window_max)


def _maxpool2d_fwd_loops(x, kh, kw, sh, sw, ph, pw, out_h, out_w, lowest):
    n, c = x.shape[:2]
    out = np.empty((n, c, out_h, out_w), dtype=x.dtype)
    argmax = np.empty((n, c, out_h, out_w), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            plane = x[b, ch]
            for oy in range(out_h):
                for ox in range(out_w):
                    y0, x0 = oy * sh - ph, ox * sw - pw
                    if kh == 2 and kw == 2:  # the common 2x2 window, as constants: 3x faster
                        best, at = _window_max(plane, y0, x0, 2, 2, lowest)
                    else:
                        best, at = _window_max(plane, y0, x0, kh, kw, lowest)
                    out[b, ch, oy, ox], argmax[b, ch, oy, ox] = best, at
    return out, argmax


def _maxpool2d_fwd_numpy(x, kh, kw, sh, sw, ph, pw, out_h, out_w, lowest):
    view = _windows(_padded(x, (ph, pw), lowest), (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
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


def _maxpool2d_bwd_loops(g, argmax, h, w, kh, kw, sh, sw, ph, pw):
    n, c, out_h, out_w = g.shape
    grad = np.zeros((n, c, h, w), dtype=g.dtype)
    for b in range(n):
        for ch in range(c):
            for oy in range(out_h):
                for ox in range(out_w):
                    k = argmax[b, ch, oy, ox]
                    iy, ix = oy * sh + k // kw - ph, ox * sw + k % kw - pw
                    if 0 <= iy < h and 0 <= ix < w:
                        grad[b, ch, iy, ix] += g[b, ch, oy, ox]
    return grad


def _maxpool2d_bwd_numpy(g, argmax, h, w, kh, kw, sh, sw, ph, pw):
    out_h, out_w = g.shape[2:]
    grad = np.zeros(g.shape[:2] + (h + 2 * ph, w + 2 * pw), dtype=g.dtype)
    finite = np.isfinite(g).all()  # then g * mask is exact (inf * 0 would leak NaN), and faster
    for k, i, j in _offsets((kh, kw)):
        hit = argmax == k
        grad[:, :, i: i + sh * out_h: sh, j: j + sw * out_w: sw] += (
            g * hit if finite else np.where(hit, g, 0))
    return grad[:, :, ph: ph + h, pw: pw + w]


def _avgpool2d_fwd_numpy(x, kh, kw, sh, sw, ph, pw, out_h, out_w):
    view = _windows(_padded(x, (ph, pw)), (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    out = view[..., 0, 0].copy()
    for k, i, j in _offsets((kh, kw)):
        if k:
            out += view[..., i, j]
    out /= kh * kw
    return out


def _avgpool2d_bwd_numpy(g, h, w, kh, kw, sh, sw, ph, pw):
    out_h, out_w = g.shape[2:]
    share = g / (kh * kw)
    grad = np.zeros(g.shape[:2] + (h + 2 * ph, w + 2 * pw), dtype=g.dtype)
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


def maxpool2d_nchw_forward(x, kernel_size, stride=None, padding=0):
    """Return ``(out, argmax)``: window maxima ``(N, C, OH, OW)`` and their places in the windows.

    ``argmax`` (int64) counts row-major within the ``kh x kw`` window. As in PyTorch's
    CPU kernel a later element wins only when greater, so ties go to the first maximum,
    and NaN wins (it propagates). ``stride`` defaults to ``kernel_size``; padding is
    -inf, so it is never selected.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    check_pool_padding(kernel, padding, "max_pool2d")
    out_h, out_w = pool_output_shape(x.shape, kernel, stride, padding, "max_pool2d")
    lowest = x.dtype.type(_lowest(x.dtype))
    return _maxpool2d_fwd(x, kh, kw, sh, sw, ph, pw, out_h, out_w, lowest)


def maxpool2d_nchw_backward(g, argmax, x_shape, kernel_size, stride=None, padding=0):
    """Return the input gradient of max pooling: each ``g`` added at its window's argmax.

    Linear in ``g``; overlapping windows (stride < kernel) that pick the same element add up.
    """
    (kh, kw), (sh, sw), (ph, pw) = _pool_args(kernel_size, stride, padding)
    return _maxpool2d_bwd(g, argmax, x_shape[2], x_shape[3], kh, kw, sh, sw, ph, pw)


def maxpool2d_nchw_select(h, argmax, kernel_size, stride=None, padding=0):
    """Return, per window of ``h``, the element at ``argmax``: the adjoint of the backward scatter.

    With ``h`` the pooled input this is the forward itself; the second derivative of max
    pooling uses it on gradients (the winners stay those of the original input). NumPy
    only: a second-derivative path, where clarity wins over speed.
    """
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    view = window_view(h, kernel, stride, padding)
    out = np.zeros(argmax.shape, dtype=h.dtype)
    for k, i, j in _offsets(kernel):
        out = np.where(argmax == k, view[..., i, j], out)
    return out


def avgpool2d_nchw_forward(x, kernel_size, stride=None, padding=0):
    """Return window means ``(N, C, OH, OW)``; padded zeros count in the divisor.

    That is PyTorch's default ``count_include_pad=True``: every window divides by kh * kw.
    Integer input gives float64.
    """
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    check_pool_padding(kernel, padding, "avg_pool2d")
    out_h, out_w = pool_output_shape(x.shape, kernel, stride, padding, "avg_pool2d")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return _avgpool2d_fwd(x, kh, kw, sh, sw, ph, pw, out_h, out_w)


def avgpool2d_nchw_backward(g, x_shape, kernel_size, stride=None, padding=0):
    """Return the input gradient of average pooling: ``g / (kh * kw)`` spread over each window."""
    (kh, kw), (sh, sw), (ph, pw) = _pool_args(kernel_size, stride, padding)
    return _avgpool2d_bwd(g, x_shape[2], x_shape[3], kh, kw, sh, sw, ph, pw)


# --- elementwise backward rules of relu and tanh -----------------------------------------
# One pass where NumPy makes two or three (and allocates as many temporaries); on small
# arrays the call overhead is what counts: tanh's rule on 16 elements costs 0.9 us jitted
# against 1.4-2.4 us in NumPy.

def _relu_bwd_loops(g, x):
    grad = np.empty_like(g)
    for i in range(g.size):
        v = g[i]
        grad[i] = v if x[i] > 0 else v * 0  # a product, as the twin: inf * 0 is NaN
    return grad


def _relu_bwd_numpy(g, x):
    return g * (x > 0).astype(g.dtype)


def _tanh_bwd_loops(g, out):
    grad = np.empty_like(g)
    for i in range(g.size):
        grad[i] = g[i] * (1 - out[i] * out[i])
    return grad


def _tanh_bwd_numpy(g, out):
    return g * (1 - out * out)


_relu_bwd = _pick(_relu_bwd_loops, _relu_bwd_numpy)
_tanh_bwd = _pick(_tanh_bwd_loops, _tanh_bwd_numpy)


def _elementwise(kernel, g, x, twin):
    """``kernel`` on flat copies of same-shape, same-dtype arrays; else the twin's promotion."""
    if g.shape != x.shape or g.dtype != x.dtype:
        return twin(g, x)
    flat = kernel(np.ascontiguousarray(g).reshape(-1), np.ascontiguousarray(x).reshape(-1))
    return flat.reshape(g.shape)


def relu_backward(g, x):
    """Return ``g * (x > 0)``: relu's input gradient (subgradient 0 at 0, as PyTorch)."""
    return _elementwise(_relu_bwd, g, x, lambda g, x: g * (x > 0).astype(x.dtype))


def tanh_backward(g, out):
    """Return ``g * (1 - out**2)``: tanh's input gradient, from its output ``out``."""
    return _elementwise(_tanh_bwd, g, out, _tanh_bwd_numpy)


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
    """Logits ``(N, C, *d)`` as ``(N, C, D)`` and labels ``(N, *d)`` as ``(N, D)``, checked."""
    n, c = x.shape[:2]
    target = np.asarray(target, dtype=np.int64)
    if target.shape != x.shape[:1] + x.shape[2:]:
        raise ValueError(f"labels of shape {target.shape} do not fit logits of shape {x.shape}")
    if target.size and (target.min() < 0 or target.max() >= c):  # the loops do not check
        raise IndexError(f"a label is out of range for {c} classes")
    d = target.size // n if n else 0
    return x.reshape(n, c, d), target.reshape(n, d)


def softmax_cross_entropy_forward(x, target):
    """Return per-sample ``logsumexp(x, axis=1) - x[target]``: shape ``target.shape``.

    ``x`` is ``(N, C, *d)`` logits, ``target`` ``(N, *d)`` integer labels in range.
    """
    x3, t2 = _as_ncd(x, target)
    return _softmax_xent_fwd(x3, t2).reshape(np.shape(target))


def softmax_cross_entropy_backward(g, x, target, loss):
    """Return ``g * (softmax(x, axis=1) - onehot(target))``, of ``x.shape``.

    ``loss`` is the forward's output: ``loss + x[target]`` gives back the logsumexp.
    """
    x3, t2 = _as_ncd(x, target)
    g2 = np.broadcast_to(g, np.shape(target)).reshape(t2.shape).astype(x.dtype, copy=False)
    return _softmax_xent_bwd(g2, x3, t2, loss.reshape(t2.shape)).reshape(x.shape)


# --- scatter-add of rows (backward of x[index] and of Embedding) ------------------------

def _scatter_add_rows_loops(g, index, rows):
    out = np.zeros((rows, g.shape[1]), dtype=g.dtype)
    for k in range(index.shape[0]):  # serial: repeated indices add into the same row
        out[index[k]] += g[k]
    return out


def _scatter_add_rows_numpy(g, index, rows):
    out = np.zeros((rows, g.shape[1]), dtype=g.dtype)
    np.add.at(out, index, g)
    return out


_scatter_add_rows = _pick(_scatter_add_rows_loops, _scatter_add_rows_numpy)


def scatter_add_rows(g, index, shape):
    """Zeros of ``shape`` with ``g[k]`` added at row ``index[k]``; repeated rows accumulate.

    ``index`` is an integer array (any shape, entries in [-shape[0], shape[0])) and
    ``g`` has shape ``index.shape + shape[1:]``: the gradient of ``x[index]``.
    """
    rows = shape[0]
    flat = np.asarray(index, dtype=np.int64).reshape(-1)
    if flat.size and (flat.min() < -rows or flat.max() >= rows):
        raise IndexError(f"index out of range for {rows} rows")
    flat = np.where(flat < 0, flat + rows, flat)  # negative rows count from the end
    g2 = np.ascontiguousarray(g).reshape(flat.size, int(np.prod(shape[1:], dtype=np.int64)))
    return _scatter_add_rows(g2, flat, rows).reshape(shape)
