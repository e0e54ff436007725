"""Convolution kernels (cross-correlation, as PyTorch's conv2d), NCHW.

im2col/col2im lay each sample's windows out as columns, so that the forward and both
backward products are batched BLAS GEMMs (``np.matmul``); col2im, the scatter back into
the input's shape, is the one kernel here with jitted loops and a NumPy twin. Dilation
(taps ``d`` apart) only changes which positions im2col reads and col2im writes; groups
split the columns' rows and the weight into ``groups`` independent products.
"""
import numpy as np

from ._backend import _pick
from .geometry import conv2d_shape, pool2d_output_shape
from .shapes import _padded, _windows, pair

# --- convolution (cross-correlation, as PyTorch's conv2d) ---------------------------
#
# Columns are laid out per sample, ``cols[n]`` = ``(C*kh*kw, OH*OW)``, so that the
# products are batched BLAS GEMMs whose results are already NCHW: no transposed copy of
# the output or of the incoming gradient. (Measured on 2 cores, batch 64, the second
# conv of cnn_step: forward 0.3 ms with this layout against 12 ms for the row layout
# ``(N*OH*OW, C*kh*kw) @ w.T``, where np.matmul on the transposed operand falls off BLAS.)


def _im2col_numpy(x, kh, kw, sh, sw, ph, pw, out_h, out_w, dh=1, dw=1):
    n, c = x.shape[:2]
    reach = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = _windows(_padded(x, (ph, pw)), reach, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    cols = np.ascontiguousarray(view.transpose(0, 1, 4, 5, 2, 3))  # (N, C, kh, kw, OH, OW)
    return cols.reshape(n, c * kh * kw, out_h * out_w)


def _col2im_loops(cols, h, w, kh, kw, sh, sw, ph, pw, out_h, out_w, dh=1, dw=1):
    # per (sample, channel) the windows add into a small padded plane (L1-resident, no bounds
    # checks), whose inside is then copied out: on cnn_step's second conv 0.82 ms against
    # 1.02 ms adding straight into x with per-row bounds, and 1.27 ms for the NumPy twin
    n, rows = cols.shape[:2]
    x = np.empty((n, rows // (kh * kw), h, w), dtype=cols.dtype)
    # padded rows/cols the windows touch
    reach_h, reach_w = (out_h - 1) * sh + dh * (kh - 1) + 1, (out_w - 1) * sw + dw * (kw - 1) + 1
    plane = np.empty((reach_h, reach_w), dtype=cols.dtype)
    for b in range(n):
        for ch in range(x.shape[1]):
            plane[:, :] = 0
            for i in range(kh):
                for j in range(kw):
                    src = cols[b, (ch * kh + i) * kw + j]
                    for oy in range(out_h):
                        row, at = plane[oy * sh + i * dh], oy * out_w
                        for ox in range(out_w):
                            row[ox * sw + j * dw] += src[at + ox]
            for y in range(h):  # padding is dropped; what no window reaches stays 0
                for xx in range(w):
                    inside = y + ph < reach_h and xx + pw < reach_w
                    x[b, ch, y, xx] = plane[y + ph, xx + pw] if inside else 0
    return x


def _col2im_numpy(cols, h, w, kh, kw, sh, sw, ph, pw, out_h, out_w, dh=1, dw=1):
    n, rows = cols.shape[:2]
    cols = cols.reshape(n, rows // (kh * kw), kh, kw, out_h, out_w)
    grad = np.zeros((n, cols.shape[1], h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):  # one vectorised add per kernel offset
        for j in range(kw):
            grad[:, :, i * dh: i * dh + sh * out_h: sh, j * dw: j * dw + sw * out_w: sw] += (
                cols[:, :, i, j])
    return grad[:, :, ph: ph + h, pw: pw + w]


# im2col stays NumPy in both modes: its strided copy beat every loop version tried (on
# cnn_step's shapes 0.21 and 0.52 ms against 0.34 and 0.92 ms jitted, 0.25 and 0.48 ms
# with prange on 2 cores): its rows of 14-28 elements are too short for loops to pay.
_im2col = _im2col_numpy
_col2im = _pick(_col2im_loops, _col2im_numpy)


def im2col_nchw(x, kernel, stride, padding, dilation=(1, 1)):
    """Return the columns ``(N, C*kh*kw, OH*OW)``: ``cols[n, (c, i, j), (oh, ow)]`` is the
    padded ``x[n, c, oh * sh + i * dh, ow * sw + j * dw]``."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    out_h, out_w = pool2d_output_shape(x.shape, kernel, stride, padding, dilation, op="conv2d")
    return _im2col(x, kh, kw, sh, sw, ph, pw, out_h, out_w, dh, dw)


def col2im_nchw(cols, x_shape, kernel, stride, padding, dilation=(1, 1)):
    """Sum columns ``(N, C*kh*kw, OH*OW)`` back into an array of ``x_shape`` (adjoint of im2col).

    Positions shared by overlapping windows accumulate; positions in the padding are dropped.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    out_h, out_w = pool2d_output_shape(x_shape, kernel, stride, padding, dilation, op="conv2d")
    return _col2im(cols, x_shape[2], x_shape[3], kh, kw, sh, sw, ph, pw, out_h, out_w, dh, dw)


def _geometry(stride, padding, dilation):
    return pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")


def _grouped(a, groups):
    """``(N, R, L)`` as ``(N, groups, R // groups, L)``: a group's rows are contiguous."""
    return a.reshape(a.shape[0], groups, a.shape[1] // groups, a.shape[2])


def conv2d_nchw_forward(x, w, stride=1, padding=0, bias=None, dilation=1, groups=1):
    """Return ``(out, cols)``: the cross-correlation ``(N, O, OH, OW)`` (+ ``bias``) and its columns.

    ``x`` is ``(N, C, H, W)``, ``w`` is ``(O, C // groups, kh, kw)``; ``cols`` (``im2col_nchw``)
    can be handed to ``conv2d_nchw_backward_weight`` to skip rebuilding it. One batched GEMM
    (one per group with ``groups > 1``).
    """
    stride, padding, dilation = _geometry(stride, padding, dilation)
    n, o, out_h, out_w = conv2d_shape(x.shape, w.shape, stride, padding, dilation, groups)
    cols = im2col_nchw(x, w.shape[2:], stride, padding, dilation)
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
    """Return d(sum(g * conv2d(x, w)))/dx, of ``x_shape``: a batched GEMM, then col2im.

    ``g`` is ``(N, O, OH, OW)``. Linear in ``g`` and in ``w`` (the transposed convolution).
    """
    stride, padding, dilation = _geometry(stride, padding, dilation)
    n, o, out_h, out_w = g.shape
    g = g.reshape(n, o, out_h * out_w)
    if groups == 1:
        cols = np.matmul(w.reshape(o, -1).T, g)  # (N, C*kh*kw, OH*OW)
    else:
        per_group = w.reshape(groups, o // groups, -1).transpose(0, 2, 1)
        cols = np.matmul(per_group, _grouped(g, groups)).reshape(n, -1, out_h * out_w)
    return col2im_nchw(cols, x_shape, w.shape[2:], stride, padding, dilation)


def conv2d_nchw_backward_weight(g, x, w_shape, stride=1, padding=0, cols=None, dilation=1,
                                groups=1):
    """Return d(sum(g * conv2d(x, w)))/dw, of ``w_shape``: per-sample GEMMs against im2col of ``x``.

    Pass ``cols`` from ``conv2d_nchw_forward`` to reuse it; otherwise it is rebuilt.
    """
    stride, padding, dilation = _geometry(stride, padding, dilation)
    n, o, out_h, out_w = g.shape
    if cols is None:
        cols = im2col_nchw(x, tuple(w_shape[2:]), stride, padding, dilation)
    g = g.reshape(n, o, out_h * out_w)
    if groups == 1:
        # batched GEMMs summed over the batch: 0.37 ms on cnn_step's second conv, against
        # 1.5 ms for tensordot and 216 ms for one big GEMM on transposed copies (off BLAS)
        per_sample = np.matmul(g, cols.transpose(0, 2, 1))
    else:
        per_sample = np.matmul(_grouped(g, groups), _grouped(cols, groups).transpose(0, 1, 3, 2))
    return per_sample.sum(axis=0).reshape(w_shape)

