"""Dilation, groups, 'same' padding, padding modes and ceil_mode: kernels, gradients, errors.

Kernels are checked against naive loops written here and against their NumPy twins (the
loops both jitted and as plain Python); the layers by float64 gradcheck/gradgradcheck;
bad arguments by the error they raise. PyTorch parity is in test_nn_torch_layers.py.
"""
import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, gradcheck, gradgradcheck
from autograd import kernels as K
from autograd.engine import topological_order
from autograd.kernels.geometry import pool2d_output_shape, window_count

RNG = np.random.default_rng(3)


def leaf(*shape):
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


def conv_reference(x, w, stride, padding, dilation, groups):
    """Cross-correlation by loops over every output element, with dilation and groups."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    o, cg, kh, kw = w.shape
    out_h = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], o, out_h, out_w))
    for b, c, i, j in np.ndindex(*out.shape):
        group = c // (o // groups)
        window = xp[b, group * cg:(group + 1) * cg, i * sh: i * sh + dh * (kh - 1) + 1: dh,
                    j * sw: j * sw + dw * (kw - 1) + 1: dw]
        out[b, c, i, j] = np.sum(window * w[c])
    return out


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    ((1, 1), (0, 0), (2, 2), 1), ((2, 1), (1, 2), (1, 3), 2), ((1, 2), (2, 0), (2, 1), 4),
    ((3, 3), (1, 1), (1, 1), 1)])
def test_conv_kernels_with_dilation_and_groups(stride, padding, dilation, groups):
    x, w = RNG.standard_normal((2, 4, 9, 8)), RNG.standard_normal((8, 4 // groups, 3, 2))
    out, cols = K.conv2d_nchw_forward(x, w, stride, padding, None, dilation, groups)
    np.testing.assert_allclose(out, conv_reference(x, w, stride, padding, dilation, groups),
                               rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(out.shape)
    gx = K.conv2d_nchw_backward_input(g, w, x.shape, stride, padding, dilation, groups)
    gw = K.conv2d_nchw_backward_weight(g, x, w.shape, stride, padding, cols, dilation, groups)
    # the adjoint identities: <g, conv(u, w)> = <gx, u> and <g, conv(x, v)> = <gw, v>
    u, v = RNG.standard_normal(x.shape), RNG.standard_normal(w.shape)
    np.testing.assert_allclose(np.sum(g * conv_reference(u, w, stride, padding, dilation, groups)),
                               np.sum(gx * u), rtol=1e-10)
    np.testing.assert_allclose(np.sum(g * conv_reference(x, v, stride, padding, dilation, groups)),
                               np.sum(gw * v), rtol=1e-10)


# (x shape, kernel, stride, padding, dilation, ceil_mode)
WINDOWS = [((2, 2, 9, 7), (3, 2), (2, 1), (1, 1), (2, 3), False),
           ((1, 3, 7, 8), (3, 3), (2, 2), (1, 0), (1, 1), True),
           ((2, 1, 8, 9), (2, 3), (3, 2), (1, 1), (2, 2), True),
           ((1, 2, 7, 7), (2, 2), (2, 2), (0, 0), (1, 1), True)]  # the 2x2 shape, ceil: no fast path


@pytest.mark.parametrize("x_shape, kernel, stride, padding, dilation, ceil", WINDOWS)
def test_pool_and_col2im_loops_match_twins_with_dilation_and_ceil(x_shape, kernel, stride, padding,
                                                                  dilation, ceil):
    x = RNG.standard_normal(x_shape)
    x.flat[::5] = x.flat[1::5][: len(x.flat[::5])]  # ties
    out_h, out_w = pool2d_output_shape(x_shape, kernel, stride, padding, dilation, ceil)
    fwd = (x, *kernel, *stride, *padding, out_h, out_w, -np.inf, *dilation)
    for impl in K.PAIRS["maxpool2d_fwd"][:2]:
        for got, want in zip(impl(*fwd), K.PAIRS["maxpool2d_fwd"][2](*fwd)):
            np.testing.assert_array_equal(got, want)
    out, argmax = K.PAIRS["maxpool2d_fwd"][2](*fwd)
    g = RNG.standard_normal(out.shape)
    bwd = (g, argmax, *x_shape[2:], *kernel, *stride, *padding, *dilation)
    for impl in K.PAIRS["maxpool2d_bwd"][:2]:
        np.testing.assert_allclose(impl(*bwd), K.PAIRS["maxpool2d_bwd"][2](*bwd), rtol=1e-12)
    if not ceil:
        cols = RNG.standard_normal((x_shape[0], x_shape[1] * kernel[0] * kernel[1], out_h * out_w))
        args = (cols, *x_shape[2:], *kernel, *stride, *padding, out_h, out_w, *dilation)
        for impl in K.PAIRS["col2im"][:2]:
            np.testing.assert_allclose(impl(*args), K.PAIRS["col2im"][2](*args), rtol=1e-12)


def test_window_counts_follow_pytorch_formula():
    assert window_count(7, 3, 2, 0) == 3 and window_count(7, 3, 2, 0, ceil_mode=True) == 3
    assert window_count(8, 3, 2, 0, ceil_mode=True) == 4  # a last, partial window
    # ceil would start a window in the right padding: PyTorch drops it
    assert window_count(5, 2, 2, 1, ceil_mode=True) == 3
    assert window_count(9, 3, 1, 0, dilation=3) == 3


# --- gradients of the layers (float64) ----------------------------------------------------

def module_gradcheck(module, x, twice=True):
    """gradcheck (and gradgradcheck) of ``module`` with respect to its input and parameters."""
    module.double()
    names = [n for n, _ in module.named_parameters()]
    params = tuple(Tensor(p.raw.copy(), requires_grad=True) for p in module.parameters())

    def fn(x, *ps):
        saved = dict(module._parameters)
        module._parameters.update(zip(names, ps))
        try:
            return module(x)
        finally:
            module._parameters.update(saved)

    assert gradcheck(fn, (x,) + params)
    if twice:
        assert gradgradcheck(fn, (x,) + params)


@pytest.mark.parametrize("kwargs", [
    dict(dilation=(2, 1), padding=(2, 1)), dict(groups=2, stride=2), dict(padding="same"),
    dict(padding="same", dilation=(1, 2), kernel_size=(2, 2)),
    dict(padding=1, padding_mode="reflect"), dict(padding=(1, 2), padding_mode="circular"),
    dict(padding=(2, 1), padding_mode="replicate", groups=2)], ids=str)
def test_conv2d_layers_gradcheck(kwargs):
    kwargs = dict({"kernel_size": 3}, **kwargs)
    module_gradcheck(nn.Conv2d(2, 4, **kwargs), leaf(1, 2, 5, 6))


@pytest.mark.parametrize("layer", [
    nn.MaxPool2d(3, 2, padding=1, dilation=(1, 2), ceil_mode=True),
    nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False),
    nn.AvgPool2d((2, 3), 2, ceil_mode=True, divisor_override=4),
    nn.AdaptiveAvgPool2d((3, 2)), nn.AdaptiveAvgPool2d(2), nn.AdaptiveAvgPool2d((None, 4))], ids=repr)
def test_pool_layers_gradcheck(layer):
    module_gradcheck(layer, leaf(2, 2, 7, 6), twice=not isinstance(layer, nn.MaxPool2d))


def test_conv2d_fast_path_records_one_node_and_padding_modes_gather():
    x = leaf(2, 3, 6, 6)
    out = nn.Conv2d(3, 4, 3, padding=1)(x)
    assert {n.op.name for n in topological_order([out]) if n.op is not None} == {"conv2d"}
    out = nn.Conv2d(3, 4, 3, padding="same")(x)
    assert {n.op.name for n in topological_order([out]) if n.op is not None} == {"conv2d"}
    out = nn.Conv2d(3, 4, 2, padding="same")(x)  # even kernel: one extra row and column of zeros
    assert {n.op.name for n in topological_order([out]) if n.op is not None} == {"conv2d", "pad"}
    assert out.shape == (2, 4, 6, 6)

# --- bad arguments ------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, match", [
    (dict(kernel_size=0), "kernel_size must be >= 1"), (dict(kernel_size=(3, 0)), "kernel_size"),
    (dict(stride=0), "stride must be >= 1"), (dict(dilation=(1, 0)), "dilation must be >= 1"),
    (dict(padding=-1), "padding must be >= 0"), (dict(groups=0), "groups must be a positive"),
    (dict(groups=3), "in_channels=4 must be divisible by groups=3"),
    (dict(groups=4, out_channels=6), "out_channels=6 must be divisible by groups=4"),
    (dict(padding="same", stride=2), "'same' is not supported for strided"),
    (dict(padding="full"), "'same' or 'valid'"), (dict(padding_mode="zero"), "padding_mode")],
    ids=str)
def test_conv2d_rejects_bad_arguments(kwargs, match):
    args = dict(in_channels=4, out_channels=8, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(**args)


def test_functional_conv_and_pool_reject_bad_arguments():
    x, w = Tensor(np.zeros((1, 4, 5, 5))), Tensor(np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="stride must be >= 1, got stride=\\(0, 0\\)"):
        F.conv2d(x, w, stride=0, groups=2)
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        F.conv2d(x, w, dilation=0, groups=2)
    with pytest.raises(ValueError, match=r"4 channels but .* expects 2"):
        F.conv2d(x, w)
    with pytest.raises(ValueError, match="2 per group times groups=3"):
        F.conv2d(Tensor(np.zeros((1, 3, 5, 5))), Tensor(np.zeros((3, 2, 3, 3))), groups=3)
    with pytest.raises(ValueError, match="with dilation \\(3, 3\\)"):
        F.conv2d(x, w, dilation=3, groups=2)
    with pytest.raises(ValueError, match="kernel_size must be >= 1"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.avg_pool2d(x, 2, stride=(1, 0))
    with pytest.raises(ValueError, match="dilation must be >= 1"):
        F.max_pool2d(x, 2, dilation=0)
    with pytest.raises(ValueError, match="divisor_override must be non-zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match="4-D"):
        F.adaptive_avg_pool2d(Tensor(np.zeros((4, 4))), 2)
