"""The convolution's two column layouts and the pooling fast paths, against references.

Small output planes (``OH*OW`` under ``_BATCH_WIDE_BELOW``) lay the im2col columns out
batch-wide, ``(C*kh*kw, N*OH*OW)``, so that the forward and the weight gradient are one
GEMM over the batch; larger planes keep per-sample columns and GEMMs. Both must give the
same numbers as a direct sum over every output element, with groups, dilation, stride,
padding, bias, float32 and an empty batch; PyTorch is compared where it is installed.
"""
import numpy as np
import pytest

from autograd import kernels as K
from autograd.kernels import conv as KC
from autograd.kernels.geometry import pool2d_output_shape

RNG = np.random.default_rng(11)


def conv_reference(x, w, stride, padding, dilation, groups):
    """Cross-correlation as one einsum per kernel offset (float64), with dilation and groups."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    o, cg, kh, kw = w.shape
    out_h = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, out_h, out_w))
    per = o // groups
    for group in range(groups):
        xg = xp[:, group * cg:(group + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                taps = xg[:, :, i * dh: i * dh + sh * (out_h - 1) + 1: sh,
                          j * dw: j * dw + sw * (out_w - 1) + 1: sw]
                out[:, group * per:(group + 1) * per] += np.einsum(
                    "nchw,oc->nohw", taps, w[group * per:(group + 1) * per, :, i, j])
    return out


# (x shape, weight shape, stride, padding, dilation, groups): planes under and over the
# batch-wide limit, with each of the geometry options
GEOMETRIES = [
    ((3, 4, 9, 8), (6, 4, 3, 3), (1, 1), (0, 0), (1, 1), 1),  # 7 x 6: batch-wide
    ((2, 4, 20, 19), (6, 4, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # 20 x 19: per sample
    ((2, 4, 9, 10), (6, 2, 2, 3), (2, 1), (1, 0), (2, 1), 2),  # batch-wide, groups, dilation
    ((2, 6, 18, 17), (9, 2, 3, 2), (1, 1), (1, 2), (1, 2), 3),  # per sample, groups
    ((1, 3, 12, 13), (2, 3, 2, 2), (1, 1), (0, 0), (1, 1), 1),  # one sample, 11 x 12
    ((0, 3, 8, 8), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # an empty batch, batch-wide
    ((0, 3, 16, 16), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # an empty batch, per sample
]


def _arrays(x_shape, w_shape, dtype=np.float64):
    x = RNG.standard_normal(x_shape).astype(dtype)
    w = RNG.standard_normal(w_shape).astype(dtype)
    return x, w, RNG.standard_normal(w_shape[0]).astype(dtype)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", GEOMETRIES)
def test_both_layouts_match_the_reference(x_shape, w_shape, stride, padding, dilation, groups):
    x, w, b = _arrays(x_shape, w_shape)
    out, cols = K.conv2d_nchw_forward(x, w, stride, padding, b, dilation, groups)
    want = conv_reference(x, w, stride, padding, dilation, groups) + b.reshape(-1, 1, 1)
    np.testing.assert_allclose(out, want, rtol=1e-10, atol=1e-12)
    assert out.flags.c_contiguous and out.shape == want.shape
    g = RNG.standard_normal(out.shape)
    gx = K.conv2d_nchw_backward_input(g, w, x.shape, stride, padding, dilation, groups)
    gw = K.conv2d_nchw_backward_weight(g, x, w.shape, stride, padding, cols, dilation, groups)
    rebuilt = K.conv2d_nchw_backward_weight(g, x, w.shape, stride, padding, None, dilation,
                                            groups)
    assert gx.shape == x.shape and gw.shape == w.shape
    np.testing.assert_allclose(gw, rebuilt, rtol=1e-12, atol=1e-12)
    # the adjoint identities: <g, conv(u, w)> = <gx, u> and <g, conv(x, v)> = <gw, v>
    u, v = RNG.standard_normal(x.shape), RNG.standard_normal(w.shape)
    np.testing.assert_allclose(np.sum(g * conv_reference(u, w, stride, padding, dilation, groups)),
                               np.sum(gx * u), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.sum(g * conv_reference(x, v, stride, padding, dilation, groups)),
                               np.sum(gw * v), rtol=1e-10, atol=1e-12)


def test_small_planes_get_batch_wide_columns_and_large_ones_per_sample():
    small = K.im2col_nchw(RNG.standard_normal((3, 2, 6, 6)), (3, 3), (1, 1), (0, 0))
    large = K.im2col_nchw(RNG.standard_normal((3, 2, 20, 20)), (3, 3), (1, 1), (1, 1))
    assert small.shape == (3, 18, 16) and small.transpose(1, 0, 2).flags.c_contiguous
    assert large.shape == (3, 18, 400) and large.flags.c_contiguous
    # either way cols[n, (c, i, j), (oh, ow)] is the padded x at (oh + i, ow + j)
    x = RNG.standard_normal((2, 2, 5, 4))
    cols = K.im2col_nchw(x, (2, 3), (1, 1), (0, 0))
    assert cols[1, 1 * 6 + 1 * 3 + 2, 2 * 2 + 1] == x[1, 1, 2 + 1, 1 + 2]


@pytest.mark.parametrize("x_shape, w_shape", [((4, 3, 8, 9), (5, 3, 3, 3)),
                                              ((2, 3, 18, 18), (5, 3, 3, 3))])
def test_float32_stays_float32_in_both_layouts(x_shape, w_shape):
    x, w, b = _arrays(x_shape, w_shape, np.float32)
    out, cols = K.conv2d_nchw_forward(x, w, 1, 1, b)
    g = RNG.standard_normal(out.shape).astype(np.float32)
    gx = K.conv2d_nchw_backward_input(g, w, x.shape, 1, 1)
    gw = K.conv2d_nchw_backward_weight(g, x, w.shape, 1, 1, cols)
    assert {a.dtype for a in (out, cols, gx, gw)} == {np.dtype(np.float32)}
    want = conv_reference(x, w, (1, 1), (1, 1), (1, 1), 1) + b.reshape(-1, 1, 1)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


def test_a_float64_bias_promotes_a_float32_batch_wide_output():
    x, w, _ = _arrays((2, 3, 6, 6), (4, 3, 3, 3), np.float32)
    out, _ = K.conv2d_nchw_forward(x, w, 1, 0, np.ones(4))
    assert out.dtype == np.float64 and out.flags.c_contiguous


def test_weight_gradient_summed_in_blocks_matches_one_block(monkeypatch):
    x, w, _ = _arrays((5, 4, 16, 16), (6, 2, 3, 3))
    out, cols = K.conv2d_nchw_forward(x, w, 1, 1, None, 1, 2)
    g = RNG.standard_normal(out.shape)
    whole = K.conv2d_nchw_backward_weight(g, x, w.shape, 1, 1, cols, 1, 2)
    monkeypatch.setattr(KC, "_PRODUCTS_BYTES", 2 * 6 * 18 * 8)  # two samples a block
    np.testing.assert_allclose(K.conv2d_nchw_backward_weight(g, x, w.shape, 1, 1, cols, 1, 2),
                               whole, rtol=1e-12)


@pytest.mark.parametrize("stride, dilation", [((1, 1), (1, 1)), ((1, 2), (1, 1)),
                                              ((1, 1), (2, 1)), ((2, 1), (1, 1))])
def test_col2im_loops_match_the_twin_on_both_layouts(stride, dilation):
    x_shape, kernel, padding = (3, 2, 9, 8), (3, 2), (1, 1)
    out_h, out_w = K.pool_output_shape((3, 2, 9 - 2 * (dilation[0] - 1), 8 - (dilation[1] - 1)),
                                       kernel, stride, padding)
    base = RNG.standard_normal((12, 3, out_h * out_w))  # (C*kh*kw, N, OH*OW)
    geometry = (*x_shape[2:], *kernel, *stride, *padding, out_h, out_w, *dilation)
    want = K.PAIRS["col2im"][2](np.ascontiguousarray(base.transpose(1, 0, 2)), *geometry)
    for cols, wide in ((base, True), (base.transpose(1, 0, 2), False),
                       (np.ascontiguousarray(base.transpose(1, 0, 2)), False)):
        for impl in K.PAIRS["col2im"]:
            np.testing.assert_allclose(impl(cols, *geometry, wide), want, rtol=1e-12)
    np.testing.assert_allclose(  # the wrapper finds the batch-wide layout by its strides
        K.col2im_nchw(base.transpose(1, 0, 2), x_shape, kernel, stride, padding, dilation),
        want, rtol=1e-12)


@pytest.mark.parametrize("x_shape", [(2, 3, 8, 6), (2, 3, 7, 9), (1, 1, 3, 2), (0, 2, 4, 4)])
def test_maxpool_2x2_backward_fast_path_matches_the_twin(x_shape):
    x = RNG.standard_normal(x_shape)
    x.flat[::4] = x.flat[1::4][: len(x.flat[::4])]  # ties
    out, argmax = K.maxpool2d_nchw_forward(x, 2)
    g = RNG.standard_normal(out.shape)
    if g.size:
        g.flat[0], g.flat[-1] = np.inf, np.nan  # never leak into the other places
    args = (g, argmax, *x_shape[2:], 2, 2, 2, 2, 0, 0, 1, 1)
    want = K.PAIRS["maxpool2d_bwd"][2](*args)
    for impl in K.PAIRS["maxpool2d_bwd"][:2]:
        np.testing.assert_array_equal(impl(*args), want)


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups", GEOMETRIES[:5])
def test_float32_layouts_match_pytorch(x_shape, w_shape, stride, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    x, w, b = _arrays(x_shape, w_shape, np.float32)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    want = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    out, cols = K.conv2d_nchw_forward(x, w, stride, padding, b, dilation, groups)
    np.testing.assert_allclose(out, want.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = RNG.standard_normal(out.shape).astype(np.float32)
    want.backward(torch.tensor(g))
    gx = K.conv2d_nchw_backward_input(g, w, x.shape, stride, padding, dilation, groups)
    gw = K.conv2d_nchw_backward_weight(g, x, w.shape, stride, padding, cols, dilation, groups)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("x_shape, kernel, stride, padding, dilation", [
    ((3, 2, 7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 3, 9, 8), (2, 3), (2, 3), (1, 2), (1, 1)),
    ((2, 1, 9, 10), (3, 2), (1, 2), (2, 0), (2, 3)),
    ((1, 2, 5, 5), (5, 5), (1, 1), (2, 2), (1, 1)),
    ((0, 2, 6, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
])
def test_batch_wide_im2col_holds_every_tap(x_shape, kernel, stride, padding, dilation):
    x = RNG.standard_normal(x_shape)
    out_h, out_w = pool2d_output_shape(x_shape, kernel, stride, padding, dilation)
    cols = K.im2col_nchw(x, kernel, stride, padding, dilation)
    assert cols.shape == (x_shape[0], x_shape[1] * kernel[0] * kernel[1], out_h * out_w)
    assert cols.transpose(1, 0, 2).flags.c_contiguous  # batch-wide: out_h * out_w < 128
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    for c, i, j in np.ndindex(x_shape[1], kh, kw):
        taps = xp[:, c, i * dh: i * dh + sh * (out_h - 1) + 1: sh,
                  j * dw: j * dw + sw * (out_w - 1) + 1: sw]
        np.testing.assert_array_equal(cols[:, (c * kh + i) * kw + j],
                                      taps.reshape(x_shape[0], out_h * out_w))


@pytest.mark.parametrize("x_shape, kernel, stride, dilation", [
    ((3, 2, 7, 6), (3, 3), (1, 1), (1, 1)),
    ((2, 3, 9, 8), (2, 3), (2, 3), (1, 1)),
    ((2, 1, 11, 10), (3, 2), (1, 2), (2, 3)),
    ((1, 2, 5, 5), (5, 5), (1, 1), (1, 1)),
    ((0, 2, 6, 6), (3, 3), (1, 1), (1, 1)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("wide", [True, False])
def test_im2col_loops_match_the_twin(x_shape, kernel, stride, dilation, dtype, wide):
    xp = RNG.standard_normal(x_shape).astype(dtype)  # already padded, as the kernel takes it
    out_h, out_w = pool2d_output_shape(x_shape, kernel, stride, (0, 0), dilation)
    args = (xp, *kernel, *stride, out_h, out_w, *dilation, wide)
    want = K.PAIRS["im2col"][2](*args)
    rows, n = x_shape[1] * kernel[0] * kernel[1], x_shape[0]
    assert want.shape == ((rows, n) if wide else (n, rows)) + (out_h * out_w,)
    for impl in K.PAIRS["im2col"][:2]:
        got = impl(*args)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, want)
