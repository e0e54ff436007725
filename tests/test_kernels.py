"""Each kernel of autograd/kernels/ against a naive loop reference written here."""
import numpy as np
import pytest

from autograd import kernels as K

# (x shape, kernel, stride, padding): odd sizes, windows that do not divide evenly,
# overlapping windows (stride < kernel), gaps (stride > kernel), pairs and ints
CONFIGS = [
    ((2, 3, 5, 5), 3, 1, 0),
    ((1, 2, 7, 6), (3, 2), 2, 1),
    ((2, 1, 6, 9), 2, (1, 3), (1, 0)),
    ((3, 2, 5, 4), (2, 3), (3, 2), (1, 1)),
    ((1, 1, 4, 4), 1, 2, 0),
    ((2, 2, 3, 3), 3, 1, 1),
    ((1, 3, 8, 5), (4, 2), (2, 3), (2, 1)),
]


def _pairs(kernel, stride, padding):
    return K.pair(kernel), K.pair(stride), K.pair(padding)


def _out_size(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def _pad(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv_reference(x, w, stride, padding):
    (sh, sw), (ph, pw) = K.pair(stride), K.pair(padding)
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = _pad(x, ph, pw)
    out = np.zeros((n, o, _out_size(h, kh, sh, ph), _out_size(wd, kw, sw, pw)))
    for b, c, i, j in np.ndindex(*out.shape):
        out[b, c, i, j] = np.sum(xp[b, :, i * sh: i * sh + kh, j * sw: j * sw + kw] * w[c])
    return out


def conv_backward_reference(g, x, w, stride, padding):
    """Both gradients of sum(g * conv(x, w)), accumulated window by window."""
    (sh, sw), (ph, pw) = K.pair(stride), K.pair(padding)
    kh, kw = w.shape[2:]
    xp = _pad(x, ph, pw)
    gxp, gw = np.zeros_like(xp), np.zeros_like(w)
    for b, c, i, j in np.ndindex(*g.shape):
        rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
        gxp[b, :, rows, cols] += g[b, c, i, j] * w[c]
        gw[c] += g[b, c, i, j] * xp[b, :, rows, cols]
    return gxp[:, :, ph: ph + x.shape[2], pw: pw + x.shape[3]], gw


def pool_reference(x, kernel, stride, padding, kind):
    """Pooled output and input gradient of sum(g * pool(x)) for a given g, by loops."""
    (kh, kw), (sh, sw), (ph, pw) = _pairs(kernel, stride, padding)
    xp = _pad(x, ph, pw, -np.inf if kind == "max" else 0.0)
    n, c = x.shape[:2]
    out = np.zeros((n, c, _out_size(x.shape[2], kh, sh, ph), _out_size(x.shape[3], kw, sw, pw)))
    g = np.random.default_rng(1).standard_normal(out.shape)
    gxp = np.zeros_like(xp)
    for b, ch, i, j in np.ndindex(*out.shape):
        window = xp[b, ch, i * sh: i * sh + kh, j * sw: j * sw + kw]
        if kind == "avg":
            out[b, ch, i, j] = window.sum() / (kh * kw)
            gxp[b, ch, i * sh: i * sh + kh, j * sw: j * sw + kw] += g[b, ch, i, j] / (kh * kw)
            continue
        best = (0, 0)  # first maximum in row-major order wins, as in PyTorch
        for r, s in np.ndindex(kh, kw):
            if window[r, s] > window[best]:
                best = (r, s)
        out[b, ch, i, j] = window[best]
        gxp[b, ch, i * sh + best[0], j * sw + best[1]] += g[b, ch, i, j]
    return out, g, gxp[:, :, ph: ph + x.shape[2], pw: pw + x.shape[3]]


@pytest.mark.parametrize("x_shape,kernel,stride,padding", CONFIGS)
def test_conv2d_kernels_match_loops(x_shape, kernel, stride, padding):
    rng = np.random.default_rng(0)
    kh, kw = K.pair(kernel)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((4, x_shape[1], kh, kw))
    out, cols = K.conv2d_nchw_forward(x, w, stride, padding)
    np.testing.assert_allclose(out, conv_reference(x, w, stride, padding), rtol=1e-10, atol=1e-12)
    assert out.flags.c_contiguous
    g = rng.standard_normal(out.shape)
    gx_ref, gw_ref = conv_backward_reference(g, x, w, stride, padding)
    gx = K.conv2d_nchw_backward_input(g, w, x.shape, stride, padding)
    assert gx.shape == x.shape
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(K.conv2d_nchw_backward_weight(g, x, w.shape, stride, padding),
                               gw_ref, rtol=1e-10, atol=1e-12)
    gw = K.conv2d_nchw_backward_weight(g, None, w.shape, stride, padding, cols=cols)
    np.testing.assert_allclose(gw, gw_ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape,kernel,stride,padding", CONFIGS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_kernels_match_loops(x_shape, kernel, stride, padding, kind):
    (kh, kw), _, (ph, pw) = _pairs(kernel, stride, padding)
    if ph > kh // 2 or pw > kw // 2:
        padding = 0  # PyTorch (and we) allow at most half the kernel as padding
    x = np.random.default_rng(0).standard_normal(x_shape)
    out_ref, g, gx_ref = pool_reference(x, kernel, stride, padding, kind)
    if kind == "max":
        out, argmax = K.maxpool2d_nchw_forward(x, kernel, stride, padding)
        gx = K.maxpool2d_nchw_backward(g, argmax, x.shape, kernel, stride, padding)
        np.testing.assert_array_equal(K.maxpool2d_nchw_select(x, argmax, kernel, stride, padding),
                                      out)
    else:
        out = K.avgpool2d_nchw_forward(x, kernel, stride, padding)
        gx = K.avgpool2d_nchw_backward(g, x.shape, kernel, stride, padding)
    np.testing.assert_allclose(out, out_ref, rtol=1e-12)
    assert gx.shape == x.shape
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-12, atol=1e-14)


def test_stride_defaults_to_kernel():
    x = np.random.default_rng(2).standard_normal((1, 1, 7, 5))
    out, argmax = K.maxpool2d_nchw_forward(x, 2)
    assert out.shape == (1, 1, 3, 2)  # floor: the last row and column are never read
    np.testing.assert_array_equal(out, pool_reference(x, 2, 2, 0, "max")[0])
    assert K.avgpool2d_nchw_forward(x, 3).shape == (1, 1, 2, 1)


def test_maxpool_ties_send_the_gradient_to_the_first_maximum():
    x = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    out, argmax = K.maxpool2d_nchw_forward(x, 2)
    assert out.item() == 3.0 and argmax.item() == 1
    gx = K.maxpool2d_nchw_backward(np.ones((1, 1, 1, 1)), argmax, x.shape, 2)
    np.testing.assert_array_equal(gx, [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_maxpool_padding_never_wins_and_nan_propagates():
    x = -np.ones((1, 1, 2, 2)) * 5
    out, _ = K.maxpool2d_nchw_forward(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(out, -5.0)
    x[0, 0, 1, 0] = np.nan
    assert np.isnan(K.maxpool2d_nchw_forward(x, 2)[0]).all()


def test_dtypes_are_kept():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    out, _ = K.conv2d_nchw_forward(x, w, 2, 1)
    g = np.ones_like(out)
    assert out.dtype == np.float32
    assert K.conv2d_nchw_backward_input(g, w, x.shape, 2, 1).dtype == np.float32
    assert K.conv2d_nchw_backward_weight(g, x, w.shape, 2, 1).dtype == np.float32
    pooled, argmax = K.maxpool2d_nchw_forward(x, 2)
    assert pooled.dtype == np.float32
    assert K.maxpool2d_nchw_backward(np.ones_like(pooled), argmax, x.shape, 2).dtype == np.float32
    assert K.avgpool2d_nchw_forward(x, 2).dtype == np.float32
    assert K.avgpool2d_nchw_backward(np.ones_like(pooled), x.shape, 2).dtype == np.float32


def test_errors_name_the_shapes():
    x, w = np.zeros((1, 3, 5, 5)), np.zeros((2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"\(1, 3, 5, 5\).*3 channels.*\(2, 4, 3, 3\).*4"):
        K.conv2d_nchw_forward(x, w)
    with pytest.raises(ValueError, match=r"kernel \(8, 8\) is larger than the padded input \(7, "):
        K.conv2d_nchw_forward(x, np.zeros((2, 3, 8, 8)), padding=1)
    with pytest.raises(ValueError, match="larger than the padded input"):
        K.maxpool2d_nchw_forward(np.zeros((1, 1, 2, 3)), (2, 4))
    with pytest.raises(ValueError, match="4-D"):
        K.avgpool2d_nchw_forward(np.zeros((3, 4, 4)), 2)
    with pytest.raises(ValueError, match="at most half"):
        K.maxpool2d_nchw_forward(np.zeros((1, 1, 4, 4)), 2, padding=2)
    with pytest.raises(ValueError, match="stride"):
        K.conv2d_nchw_forward(x, np.zeros((2, 3, 3, 3)), stride=0)
    with pytest.raises(ValueError, match="pair of ints"):
        K.pair((1, 2, 3))
