"""Convolution kernels (cross-correlation, as PyTorch's conv2d), NCHW.

im2col/col2im lay the windows out as columns, so that the forward and both backward
products are BLAS GEMMs (``np.matmul``); im2col and col2im (the scatter back into the
input's shape) are each jitted loops with a NumPy twin. Dilation (taps ``d`` apart) only
changes which positions im2col reads and col2im writes; groups split the columns' rows and
the weight into ``groups`` independent products.
"""
import numpy as np

from ._backend import _pick, jit_inline
from .geometry import conv2d_shape, pool2d_output_shape
from .shapes import _padded, _windows, pair

# --- convolution (cross-correlation, as PyTorch's conv2d) ---------------------------
#
# The columns are indexed ``cols[n, (c, i, j), (oh, ow)]`` in both of two memory layouts:
#
# - per sample, ``(N, C*kh*kw, OH*OW)`` contiguous: the products are batched GEMMs, one per
#   sample, whose results are already NCHW (no transposed copy of the output or of g);
# - batch-wide, ``(C*kh*kw, N*OH*OW)`` contiguous (``cols`` is its transposed view): the
#   forward is ONE GEMM ``w @ cols`` and the weight gradient ONE GEMM ``cols @ g.T`` over the
#   whole batch, at the price of transposing the output and ``g`` (small when OH*OW is).
#
# Small planes take the batch-wide layout: a per-sample GEMM over 64 positions runs far
# below BLAS's peak, and the weight gradient's per-sample products (N, O, C*kh*kw) then
# summed cost more than the products themselves (cnn_large's second conv, OH*OW = 64, on 2
# cores: weight gradient 9 ms against 28 ms, forward 12 against 14 ms). Larger planes keep
# per-sample GEMMs: they are big enough, the transposed copies would cost more than one GEMM
# saves (cnn_large's first conv, C = 1, OH*OW = 576: weight gradient 2.2 against 3.8 ms),
# and GEMMs under OpenBLAS's threading threshold run on one thread, which keeps them steady
# when other processes share the cores (cnn_step's second conv, OH*OW = 196: forward GEMMs'
# median 0.6 ms per sample against 11 ms for one two-thread GEMM that waits for a busy core).
_BATCH_WIDE_BELOW = 128  # OH*OW under which the columns are batch-wide
_PRODUCTS_BYTES = 4 << 20  # the per-sample weight-gradient products go in blocks this large


def _tap_view(xp, kh, kw, sh, sw, dh, dw):
    """A read-only ``(N, C, OH, OW, kh, kw)`` view of the taps of ``xp``'s windows."""
    reach = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    return _windows(xp, reach, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]


def _im2col_numpy(xp, kh, kw, sh, sw, out_h, out_w, dh=1, dw=1, wide=False):
    # the columns of the padded xp: (N, C*kh*kw, OH*OW), or (C*kh*kw, N, OH*OW) when wide
    n, c = xp.shape[:2]
    view = _tap_view(xp, kh, kw, sh, sw, dh, dw)  # (N, C, OH, OW, kh, kw)
    if wide:
        cols = np.ascontiguousarray(view.transpose(1, 4, 5, 0, 2, 3))  # (C, kh, kw, N, OH, OW)
        return cols.reshape(c * kh * kw, n, out_h * out_w)
    cols = np.ascontiguousarray(view.transpose(0, 1, 4, 5, 2, 3))  # (N, C, kh, kw, OH, OW)
    return cols.reshape(n, c * kh * kw, out_h * out_w)


def _im2col_plane(xp, cols, wide, b, ch, kh, kw, sh, sw, out_h, out_w, dh, dw):
    """Write the column rows of sample ``b``, channel ``ch`` from its padded plane."""
    plane = xp[b, ch]
    for i in range(kh):
        for j in range(kw):
            k = (ch * kh + i) * kw + j
            row = cols[k, b] if wide else cols[b, k]
            for oy in range(out_h):
                src, at = plane[oy * sh + i * dh], oy * out_w
                if sw == 1 and dw == 1:
                    # j + ox, from ranges, is known to be >= 0: no negative-index check,
                    # so LLVM vectorises the copy (2.2x against j * dw + ox)
                    for ox in range(out_w):
                        row[at + ox] = src[j + ox]
                else:
                    for ox in range(out_w):
                        row[at + ox] = src[ox * sw + j * dw]


jit_inline(globals(), "_im2col_plane")


def _im2col_loops(xp, kh, kw, sh, sw, out_h, out_w, dh=1, dw=1, wide=False):
    # row by row from the padded planes, no bounds checks: on cnn_large's second conv 2.1 ms
    # against 4.6 ms for the twin's strided copy (whose inner runs are only OW long), on
    # cnn_step's 0.34 against 0.46 ms; batch-wide a channel at a time over the batch
    n, c = xp.shape[:2]
    shape = (c * kh * kw, n, out_h * out_w) if wide else (n, c * kh * kw, out_h * out_w)
    cols = np.empty(shape, dtype=xp.dtype)
    for outer in range(c if wide else n):
        for inner in range(n if wide else c):
            b, ch = (inner, outer) if wide else (outer, inner)
            _im2col_plane(xp, cols, wide, b, ch, kh, kw, sh, sw, out_h, out_w, dh, dw)
    return cols


def _col2im_block(cols, wide, x, planes, first, ch, kh, kw, sh, sw, ph, pw, out_h, out_w, dh,
                  dw):
    """Add channel ``ch``'s columns of samples ``first`` to ``first + len(planes)`` into those
    padded planes (L1/L2-resident, no bounds checks), then copy their inside into ``x``;
    ``cols`` is ``(N, C*kh*kw, L)``, or ``(C*kh*kw, N, L)`` when ``wide``."""
    count, reach_h, reach_w = planes.shape
    h, w = x.shape[2:]
    planes[:] = 0
    for i in range(kh):
        for j in range(kw):
            k = (ch * kh + i) * kw + j
            for s in range(count):
                src = cols[k, first + s] if wide else cols[first + s, k]
                plane = planes[s]
                for oy in range(out_h):
                    # indices, not a row slice: a slice is an array made per short row
                    y, at = oy * sh + i * dh, oy * out_w
                    if sw == 1 and dw == 1:  # contiguous, which LLVM vectorises: 1.7x
                        dst = plane[y]
                        for ox in range(out_w):
                            dst[j + ox] += src[at + ox]
                    else:
                        for ox in range(out_w):
                            plane[y, ox * sw + j * dw] += src[at + ox]
    for s in range(count):  # padding is dropped; what no window reaches stays 0
        for y in range(h):
            for xx in range(w):
                inside = y + ph < reach_h and xx + pw < reach_w
                x[first + s, ch, y, xx] = planes[s, y + ph, xx + pw] if inside else 0


jit_inline(globals(), "_col2im_block")


def _col2im_loops(cols, h, w, kh, kw, sh, sw, ph, pw, out_h, out_w, dh=1, dw=1, wide=False):
    # the windows add into small padded planes, whose inside is then copied out: on
    # cnn_step's second conv 0.82 ms against 1.02 ms adding straight into x with per-row
    # bounds, and 1.27 ms for the NumPy twin. Per-sample columns go a plane at a time;
    # batch-wide ones (``wide``: cols is (C*kh*kw, N, L), C-contiguous, so that its rows are
    # typed contiguous and vectorise) a channel at a time over the whole batch, each row of
    # the columns read in order (cnn_large's second conv: 3 ms against 14.6 ms a plane at a
    # time on the transposed view)
    n, rows = (cols.shape[1], cols.shape[0]) if wide else (cols.shape[0], cols.shape[1])
    c = rows // (kh * kw)
    x = np.empty((n, c, h, w), dtype=cols.dtype)
    reach_h, reach_w = (out_h - 1) * sh + dh * (kh - 1) + 1, (out_w - 1) * sw + dw * (kw - 1) + 1
    if wide:
        planes = np.empty((n, reach_h, reach_w), dtype=cols.dtype)
        for ch in range(c):
            _col2im_block(cols, wide, x, planes, 0, ch, kh, kw, sh, sw, ph, pw, out_h, out_w,
                          dh, dw)
        return x
    planes = np.empty((1, reach_h, reach_w), dtype=cols.dtype)
    for b in range(n):
        for ch in range(c):
            _col2im_block(cols, wide, x, planes, b, ch, kh, kw, sh, sw, ph, pw, out_h, out_w,
                          dh, dw)
    return x


def _col2im_numpy(cols, h, w, kh, kw, sh, sw, ph, pw, out_h, out_w, dh=1, dw=1, wide=False):
    if wide:  # (C*kh*kw, N, L) given: index it as (N, C*kh*kw, L)
        cols = cols.transpose(1, 0, 2)
    n, rows = cols.shape[:2]
    cols = cols.reshape(n, rows // (kh * kw), kh, kw, out_h, out_w)
    grad = np.zeros((n, cols.shape[1], h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):  # one vectorised add per kernel offset
        for j in range(kw):
            grad[:, :, i * dh: i * dh + sh * out_h: sh, j * dw: j * dw + sw * out_w: sw] += (
                cols[:, :, i, j])
    return grad[:, :, ph: ph + h, pw: pw + w]


_im2col = _pick(_im2col_loops, _im2col_numpy)
_col2im = _pick(_col2im_loops, _col2im_numpy)


def im2col_nchw(x, kernel, stride, padding, dilation=(1, 1)):
    """Return the columns ``(N, C*kh*kw, OH*OW)``: ``cols[n, (c, i, j), (oh, ow)]`` is the
    padded ``x[n, c, oh * sh + i * dh, ow * sw + j * dw]``. For output planes under
    ``_BATCH_WIDE_BELOW`` positions this is a view of batch-wide ``(C*kh*kw, N, OH*OW)``."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    out_h, out_w = pool2d_output_shape(x.shape, kernel, stride, padding, dilation, op="conv2d")
    wide = out_h * out_w < _BATCH_WIDE_BELOW
    cols = _im2col(_padded(x, (ph, pw)), kh, kw, sh, sw, out_h, out_w, dh, dw, wide)
    return cols.transpose(1, 0, 2) if wide else cols


def col2im_nchw(cols, x_shape, kernel, stride, padding, dilation=(1, 1)):
    """Sum columns ``(N, C*kh*kw, OH*OW)`` back into an array of ``x_shape`` (adjoint of im2col).

    Positions shared by overlapping windows accumulate; positions in the padding are dropped.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    out_h, out_w = pool2d_output_shape(x_shape, kernel, stride, padding, dilation, op="conv2d")
    wide = cols.shape[0] > 1 and cols.strides[0] < cols.strides[1]  # the batch-wide layout
    if wide:
        cols = cols.transpose(1, 0, 2)  # its (C*kh*kw, N, OH*OW) base
    return _col2im(cols, x_shape[2], x_shape[3], kh, kw, sh, sw, ph, pw, out_h, out_w, dh, dw,
                   wide)


def _geometry(stride, padding, dilation):
    return pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")


def _grouped(a, groups):
    """``(N, R, L)`` as ``(N, groups, R // groups, L)``: a group's rows are contiguous."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, a.shape[2])


def _rows_by_group(a, groups):
    """``(N, R, L)`` as ``(groups, R // groups, N * L)``: free for the batch-wide layout, a
    copy otherwise."""
    n, rows, length = a.shape
    return a.transpose(1, 0, 2).reshape(groups, rows // groups, n * length)


def _group_matmul(a, b):
    """``np.matmul`` over a leading group axis; a plain 2-D GEMM for one group."""
    return np.matmul(a[0], b[0])[None] if a.shape[0] == 1 else np.matmul(a, b)


def _nchw(products, n, length, bias):
    """``(O, N * L)`` products as a C-contiguous ``(N, O, L)`` (+ ``bias``): one pass."""
    o = products.shape[0]
    products = products.reshape(o, n, length).transpose(1, 0, 2)
    dtype = products.dtype if bias is None else np.result_type(products, bias)
    out = np.empty(products.shape, dtype=dtype)
    if bias is None:
        np.copyto(out, products)
    else:
        np.add(products, bias.reshape(o, 1), out=out)
    return out


def conv2d_nchw_forward(x, w, stride=1, padding=0, bias=None, dilation=1, groups=1):
    """Return ``(out, cols)``: the cross-correlation ``(N, O, OH, OW)`` (+ ``bias``) and its columns.

    ``x`` is ``(N, C, H, W)``, ``w`` is ``(O, C // groups, kh, kw)``; ``cols`` (``im2col_nchw``)
    can be handed to ``conv2d_nchw_backward_weight`` to skip rebuilding it. Small output
    planes take one GEMM over the whole batch (one per group), large ones one per sample.
    """
    stride, padding, dilation = _geometry(stride, padding, dilation)
    n, o, out_h, out_w = conv2d_shape(x.shape, w.shape, stride, padding, dilation, groups)
    cols = im2col_nchw(x, w.shape[2:], stride, padding, dilation)
    if out_h * out_w < _BATCH_WIDE_BELOW:  # (groups, O/g, K) @ (groups, K, N*L)
        products = _group_matmul(w.reshape(groups, o // groups, -1), _rows_by_group(cols, groups))
        out = _nchw(products.reshape(o, -1), n, out_h * out_w, bias)
        return out.reshape(n, o, out_h, out_w), cols
    if groups == 1:
        out = np.matmul(w.reshape(o, -1), cols)  # (N, O, OH*OW): BLAS, one GEMM per sample
    else:  # (groups, O/g, K) @ (N, groups, K, L) -> (N, groups, O/g, L)
        out = np.matmul(w.reshape(groups, o // groups, -1), _grouped(cols, groups))
        out = out.reshape(n, o, out_h * out_w)
    if bias is not None and np.result_type(out, bias) == out.dtype:
        out += bias.reshape(o, 1)  # in place: no second output-sized array
    elif bias is not None:
        out = out + bias.reshape(o, 1)
    return out.reshape(n, o, out_h, out_w), cols


def conv2d_nchw_backward_input(g, w, x_shape, stride=1, padding=0, dilation=1, groups=1):
    """Return d(sum(g * conv2d(x, w)))/dx, of ``x_shape``: GEMMs (one over the batch for small
    output planes, else one per sample), then col2im.

    ``g`` is ``(N, O, OH, OW)``. Linear in ``g`` and in ``w`` (the transposed convolution).
    """
    stride, padding, dilation = _geometry(stride, padding, dilation)
    n, o, out_h, out_w = g.shape
    g = g.reshape(n, o, out_h * out_w)
    per_group = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)  # (groups, K, O/g)
    if out_h * out_w < _BATCH_WIDE_BELOW:  # (groups, K, O/g) @ (groups, O/g, N*L), batch-wide
        cols = _group_matmul(per_group, _rows_by_group(g, groups))
        cols = cols.reshape(groups * per_group.shape[1], n, out_h * out_w).transpose(1, 0, 2)
    elif groups == 1:
        cols = np.matmul(per_group[0], g)  # (N, C*kh*kw, OH*OW)
    else:
        cols = np.matmul(per_group, _grouped(g, groups)).reshape(n, -1, out_h * out_w)
    return col2im_nchw(cols, x_shape, w.shape[2:], stride, padding, dilation)


def conv2d_nchw_backward_weight(g, x, w_shape, stride=1, padding=0, cols=None, dilation=1,
                                groups=1):
    """Return d(sum(g * conv2d(x, w)))/dw, of ``w_shape``, against the im2col columns of ``x``.

    Pass ``cols`` from ``conv2d_nchw_forward`` to reuse it; otherwise it is rebuilt. Small
    output planes take one GEMM over the whole batch (one per group), with no per-sample
    products; large ones per-sample GEMMs, summed a block of samples at a time.
    """
    stride, padding, dilation = _geometry(stride, padding, dilation)
    n, o, out_h, out_w = g.shape
    if cols is None:
        cols = im2col_nchw(x, tuple(w_shape[2:]), stride, padding, dilation)
    g = g.reshape(n, o, out_h * out_w)
    if out_h * out_w < _BATCH_WIDE_BELOW:
        # (groups, K, N*L) @ (groups, N*L, O/g): the (K, O/g) way round, as BLAS is slow on
        # a short, wide result with a long inner dimension (64 x 800 over 8192: 150 ms
        # against 12 ms)
        per_group = _group_matmul(_rows_by_group(cols, groups),
                                  _rows_by_group(g, groups).transpose(0, 2, 1))
        return per_group.transpose(0, 2, 1).reshape(w_shape)
    return _summed_products(_grouped(g, groups), _grouped(cols, groups)).reshape(w_shape)


def _summed_products(g, cols):
    """``sum_n g[n] @ cols[n].T`` over the leading axis, ``(N, groups, ...)``, a block of
    samples at a time, so that the per-sample products never take more than
    ``_PRODUCTS_BYTES``."""
    n, groups, o, _ = g.shape
    k = cols.shape[2]
    dtype = np.result_type(g, cols)
    block = max(1, _PRODUCTS_BYTES // max(1, groups * o * k * dtype.itemsize))
    total = np.zeros((groups, o, k), dtype=dtype)
    for start in range(0, n, block):
        part = slice(start, start + block)
        total += np.matmul(g[part], cols[part].transpose(0, 1, 3, 2)).sum(axis=0)
    return total
