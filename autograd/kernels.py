"""Kernels: plain functions on ndarrays and ints that never see a node.

Layout NCHW throughout: inputs ``(N, C, H, W)``, conv weights ``(O, C, kh, kw)``.
Each public kernel here is the vectorised NumPy reference (the "twin" of STYLE.md).
A Numba loop version may later sit beside one and replace it where ``make bench``
shows it wins::

    def _col2im_loops(cols, x_shape, kernel, stride, padding): ...  # valid Python, fast jitted
    col2im_nchw = njit(cache=True)(_col2im_loops) if HAVE_NUMBA else _col2im_numpy

Sizes follow PyTorch with ``ceil_mode=False``: an output has
``(H + 2 * padding - kh) // stride + 1`` rows, so trailing rows a window cannot
reach are left out (their gradient is zero).
"""
import numpy as np

try:  # Numba is optional: without it everything works, only slower
    from numba import njit  # noqa: F401  (used by jitted kernels as they are added)
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the environment
    njit = None
    HAVE_NUMBA = False

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


def col2im_nchw(cols, x_shape, stride, padding):
    """Sum windows back into an input: ``cols`` ``(N, C, OH, OW, kh, kw)`` -> array of ``x_shape``.

    Each window element is added to the input position it was read from; positions
    shared by overlapping windows accumulate, positions in the padding are dropped.
    One vectorised add per kernel offset (kh * kw of them).
    """
    n, c, out_h, out_w, kh, kw = cols.shape
    (sh, sw), (ph, pw) = stride, padding
    grad = np.zeros((n, c, x_shape[2] + 2 * ph, x_shape[3] + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            grad[:, :, i: i + sh * out_h: sh, j: j + sw * out_w: sw] += cols[:, :, :, :, i, j]
    return grad[:, :, ph: ph + x_shape[2], pw: pw + x_shape[3]]


# --- convolution (cross-correlation, as PyTorch's conv2d) ---------------------------

def im2col_nchw(x, kernel, stride, padding):
    """Return the im2col matrix ``(N*OH*OW, C*kh*kw)``: rows (n, oh, ow), columns (c, i, j)."""
    view = window_view(x, kernel, stride, padding, op="conv2d")  # (N, C, OH, OW, kh, kw)
    n, c, out_h, out_w, kh, kw = view.shape
    return view.transpose(0, 2, 3, 1, 4, 5).reshape(n * out_h * out_w, c * kh * kw)  # the copy


def conv2d_nchw_forward(x, w, stride=1, padding=0):
    """Return ``(out, cols)``: the cross-correlation ``(N, O, OH, OW)`` and its im2col matrix.

    ``x`` is ``(N, C, H, W)``, ``w`` is ``(O, C, kh, kw)``; ``cols`` (``im2col_nchw``)
    can be handed to ``conv2d_nchw_backward_weight`` to skip rebuilding it. One GEMM.
    """
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    n, o, out_h, out_w = conv2d_output_shape(x.shape, w.shape, stride, padding)
    cols = im2col_nchw(x, w.shape[2:], stride, padding)
    out = cols @ w.reshape(o, -1).T  # (N*OH*OW, O)
    return np.ascontiguousarray(out.reshape(n, out_h, out_w, o).transpose(0, 3, 1, 2)), cols


def conv2d_nchw_backward_input(g, w, x_shape, stride=1, padding=0):
    """Return d(sum(g * conv2d(x, w)))/dx, of ``x_shape``: one GEMM, then col2im scatter-add.

    ``g`` is ``(N, O, OH, OW)``. Linear in ``g`` and in ``w`` (the transposed convolution).
    """
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    n, o, out_h, out_w = g.shape
    c, kh, kw = w.shape[1:]
    cols = g.transpose(0, 2, 3, 1).reshape(-1, o) @ w.reshape(o, -1)  # (N*OH*OW, C*kh*kw)
    cols = cols.reshape(n, out_h, out_w, c, kh, kw).transpose(0, 3, 1, 2, 4, 5)
    return col2im_nchw(cols, x_shape, stride, padding)


def conv2d_nchw_backward_weight(g, x, w_shape, stride=1, padding=0, cols=None):
    """Return d(sum(g * conv2d(x, w)))/dw, of ``w_shape``: one GEMM against im2col of ``x``.

    Pass ``cols`` from ``conv2d_nchw_forward`` to reuse it; otherwise it is rebuilt.
    """
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    o = w_shape[0]
    if cols is None:
        cols = im2col_nchw(x, w_shape[2:], stride, padding)
    return (g.transpose(0, 2, 3, 1).reshape(-1, o).T @ cols).reshape(w_shape)


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


# The pools below loop over the kh * kw window offsets, each step one vectorised pass over
# the (N, C, OH, OW) output: no (..., kh * kw) copy of the windows, and np.argmax along a
# short last axis is several times slower than these passes.

def maxpool2d_nchw_forward(x, kernel_size, stride=None, padding=0):
    """Return ``(out, argmax)``: window maxima ``(N, C, OH, OW)`` and their places in the windows.

    ``argmax`` (int64) counts row-major within the ``kh x kw`` window. As in PyTorch's
    CPU kernel a later element wins only when greater, so ties go to the first maximum,
    and NaN wins (it propagates). ``stride`` defaults to ``kernel_size``; padding is
    -inf, so it is never selected.
    """
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    check_pool_padding(kernel, padding, "max_pool2d")
    view = window_view(x, kernel, stride, padding, _lowest(x.dtype), "max_pool2d")
    out = view[..., 0, 0].copy()
    argmax = np.zeros(out.shape, dtype=np.int64)
    for k, i, j in _offsets(kernel):
        if k:
            candidate = view[..., i, j]
            wins = candidate > out
            if x.dtype.kind == "f":
                wins |= np.isnan(candidate)
            argmax += wins * (k - argmax)  # arithmetic: np.where/copyto on a mask is ~5x slower
            np.maximum(out, candidate, out=out)  # same values: NaN propagates, ties are equal
    return out, argmax


def maxpool2d_nchw_backward(g, argmax, x_shape, kernel_size, stride=None, padding=0):
    """Return the input gradient of max pooling: each ``g`` added at its window's argmax.

    Linear in ``g``; overlapping windows (stride < kernel) that pick the same element add up.
    """
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    (sh, sw), (ph, pw) = stride, padding
    out_h, out_w = g.shape[2:]
    grad = np.zeros(x_shape[:2] + (x_shape[2] + 2 * ph, x_shape[3] + 2 * pw), dtype=g.dtype)
    finite = np.isfinite(g).all()  # then g * mask is exact (inf * 0 would leak NaN), and faster
    for k, i, j in _offsets(kernel):
        hit = argmax == k
        grad[:, :, i: i + sh * out_h: sh, j: j + sw * out_w: sw] += (
            g * hit if finite else np.where(hit, g, 0))
    return grad[:, :, ph: ph + x_shape[2], pw: pw + x_shape[3]]


def maxpool2d_nchw_select(h, argmax, kernel_size, stride=None, padding=0):
    """Return, per window of ``h``, the element at ``argmax``: the adjoint of the backward scatter.

    With ``h`` the pooled input this is the forward itself; the second derivative of max
    pooling uses it on gradients (the winners stay those of the original input).
    """
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    view = window_view(h, kernel, stride, padding)
    out = np.zeros(argmax.shape, dtype=h.dtype)
    for k, i, j in _offsets(kernel):  # a second-derivative path: clarity over speed
        out = np.where(argmax == k, view[..., i, j], out)
    return out


def avgpool2d_nchw_forward(x, kernel_size, stride=None, padding=0):
    """Return window means ``(N, C, OH, OW)``; padded zeros count in the divisor.

    That is PyTorch's default ``count_include_pad=True``: every window divides by kh * kw.
    """
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    check_pool_padding(kernel, padding, "avg_pool2d")
    view = window_view(x, kernel, stride, padding, op="avg_pool2d")
    out = np.array(view[..., 0, 0], dtype=x.dtype if x.dtype.kind == "f" else np.float64)
    for k, i, j in _offsets(kernel):
        if k:
            out += view[..., i, j]
    out /= kernel[0] * kernel[1]
    return out


def avgpool2d_nchw_backward(g, x_shape, kernel_size, stride=None, padding=0):
    """Return the input gradient of average pooling: ``g / (kh * kw)`` spread over each window."""
    kernel, stride, padding = _pool_args(kernel_size, stride, padding)
    share = g / (kernel[0] * kernel[1])
    cols = np.broadcast_to(share[..., None, None], g.shape + kernel)
    return col2im_nchw(cols, x_shape, stride, padding)
