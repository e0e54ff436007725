"""Convolution and pooling (NCHW) in the op table, and their PyTorch-style functions.

These are fused entries, for speed: written with getitem/matmul ops a convolution
would record kh * kw nodes; here one node calls an im2col + GEMM kernel
(``autograd.kernels``). Every backward is itself an op, whose forward runs a kernel
on raw arrays and reuses what the forward saved in its node (conv2d's im2col columns,
max pooling's winners: ``op(..., saves=True)``), and conv2d has one rule per input, so
a first layer's input gradient is never computed. Under ``create_graph`` the same rules
record nodes, and stay differentiable because the backward of every backward op is one
of the others (each is linear in each input, so the adjoints close up):

================================  ===================================================
op (inputs)                       gradient per input, ``u`` arriving at the op
================================  ===================================================
``conv2d(x, w[, b])``             ``conv2d_backward_input(u, w)``,
                                  ``conv2d_backward_weight(u, x)``, ``u.sum((0, 2, 3))``
``conv2d_backward_input(g, w)``   ``conv2d(u, w)``, ``conv2d_backward_weight(g, u)``
``conv2d_backward_weight(g, x)``  ``conv2d(x, u)``, ``conv2d_backward_input(g, u)``
``max_pool2d(x)``                 ``max_pool2d_backward(u)``
``max_pool2d_backward(g)``        ``max_pool2d_select(u)``
``max_pool2d_select(h)``          ``max_pool2d_backward(u)``
``avg_pool2d(x)``                 ``avg_pool2d_backward(u)``
``avg_pool2d_backward(g)``        ``avg_pool2d(u)``
================================  ===================================================

Max pooling is piecewise linear: its gradient depends on ``x`` only through which
element wins each window (a constant of the graph, ``argmax``), and is linear in ``u``.
The geometry (``stride``, ``padding``, ``dilation``, ``groups``, ``ceil_mode``, ...) rides
along as params, written ``**conv`` / ``**pool`` where a rule only passes it on.
"""
from .kernels import (
    avgpool2d_nchw_backward,
    avgpool2d_nchw_forward,
    check_pool_padding,
    conv2d_nchw_backward_input,
    conv2d_nchw_backward_weight,
    conv2d_nchw_forward,
    maxpool2d_nchw_backward,
    maxpool2d_nchw_forward,
    maxpool2d_nchw_select,
    pair,
)
from .kernels.geometry import conv2d_shape, pool2d_output_shape
from .kernels.pooling import maxpool2d_flat_indices
from .ops import PAD, SUM, op, unwrap
from .tensor import Tensor, as_tensor

# --- convolution --------------------------------------------------------------------


def _conv2d_forward(x, w, *bias, **conv):
    # (output, x's im2col columns): the columns are saved for the weight's gradient
    return conv2d_nchw_forward(x, w, bias=bias[0] if bias else None, **conv)


def _conv2d_grad_input(g, out, x, w, *bias, saved=None, **conv):
    return CONV2D_BACKWARD_INPUT(g, w, x_shape=x.shape, **conv)


def _conv2d_grad_weight(g, out, x, w, *bias, saved=None, **conv):
    return CONV2D_BACKWARD_WEIGHT(g, x, w_shape=w.shape, cols=saved, **conv)


def _conv2d_grad_bias(g, out, x, w, *bias, saved=None, **conv):
    return SUM(g, axis=(0, 2, 3)) if bias else None


# one rule per input: the engine skips the input gradient (a GEMM and a col2im) of a first
# layer, whose input is data
CONV2D = op("conv2d", _conv2d_forward, None,
            (_conv2d_grad_input, _conv2d_grad_weight, _conv2d_grad_bias), saves=True)

# gx = backward_input(g, w) satisfies <u, gx> = <conv2d(u, w), g>: read off both gradients
CONV2D_BACKWARD_INPUT = op(
    "conv2d_backward_input",
    lambda g, w, x_shape, **conv: conv2d_nchw_backward_input(g, w, x_shape, **conv),
    None,
    lambda u, out, g, w, x_shape, **conv: (
        CONV2D(u, w, **conv), CONV2D_BACKWARD_WEIGHT(g, u, w_shape=w.shape, **conv)))

# gw = backward_weight(g, x) satisfies <u, gw> = <conv2d(x, u), g>; ``cols``, x's im2col
# columns when the forward saved them, only spares rebuilding them
CONV2D_BACKWARD_WEIGHT = op(
    "conv2d_backward_weight",
    lambda g, x, w_shape, cols=None, **conv: conv2d_nchw_backward_weight(
        g, x, w_shape, cols=cols, **conv),
    None,
    lambda u, out, g, x, w_shape, cols=None, **conv: (
        CONV2D(x, u, **conv), CONV2D_BACKWARD_INPUT(g, u, x_shape=x.shape, **conv)))

# --- max pooling --------------------------------------------------------------------


def _max_pool2d_forward(x, kernel_size, stride, padding, dilation=(1, 1), ceil_mode=False):
    # (output, each window's winner): the winners are saved for the backward
    return maxpool2d_nchw_forward(x, kernel_size, stride, padding, dilation, ceil_mode)


def _max_pool2d_backward(g, out, x, kernel_size, stride, padding, dilation=(1, 1),
                         ceil_mode=False, saved=None):
    # the winners (ties go to the first maximum) as the forward found them; found again
    # where none were kept (gradcheck's per-op checks, a node copied by an in-place change)
    argmax = saved
    if argmax is None:
        argmax = maxpool2d_nchw_forward(unwrap(x), kernel_size, stride, padding, dilation,
                                        ceil_mode)[1]
    return (MAX_POOL2D_BACKWARD(g, argmax=argmax, x_shape=x.shape, kernel_size=kernel_size,
                                stride=stride, padding=padding, dilation=dilation),)


MAX_POOL2D = op("max_pool2d", _max_pool2d_forward, None, _max_pool2d_backward, saves=True)

# scatter of g to the winners: linear in g; its adjoint reads u at the winners' places
MAX_POOL2D_BACKWARD = op(
    "max_pool2d_backward",
    lambda g, argmax, x_shape, **pool: maxpool2d_nchw_backward(g, argmax, x_shape, **pool),
    None,
    lambda u, out, g, argmax, x_shape, **pool: (MAX_POOL2D_SELECT(u, argmax=argmax, **pool),))

MAX_POOL2D_SELECT = op(
    "max_pool2d_select",
    lambda h, argmax, **pool: maxpool2d_nchw_select(h, argmax, **pool),
    None,
    lambda g, out, h, argmax, **pool: (
        MAX_POOL2D_BACKWARD(g, argmax=argmax, x_shape=h.shape, **pool),))

# --- average pooling (the divisor per window as PyTorch: count_include_pad, ceil_mode) --

AVG_POOL2D = op(
    "avg_pool2d",
    lambda x, **pool: avgpool2d_nchw_forward(x, **pool),
    None,
    lambda g, out, x, **pool: (AVG_POOL2D_BACKWARD(g, x_shape=x.shape, **pool),))

# spreading g / divisor over each window is the adjoint of averaging
AVG_POOL2D_BACKWARD = op(
    "avg_pool2d_backward",
    lambda g, x_shape, **pool: avgpool2d_nchw_backward(g, x_shape, **pool),
    None,
    lambda u, out, g, x_shape, **pool: (AVG_POOL2D(u, **pool),))

# --- the functions (PyTorch's torch.nn.functional signatures) -----------------------


def _batched(x, name):
    """``(x as (N, C, H, W), unbatched?)``: a 3-D ``(C, H, W)`` input gets a batch axis of 1."""
    if x.ndim == 3:
        return x.reshape((1,) + x.shape), True
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {x.shape}")
    return x, False


def _unbatched(out, unbatched):
    return out.reshape(out.shape[1:]) if unbatched else out


def _conv_padding(padding, kernel, stride, dilation):
    """``(padding pair, extra)``: 'same' pads ``dilation * (kernel - 1)`` in all, the odd one
    at the bottom/right (``extra``), as PyTorch; 'valid' is 0."""
    if not isinstance(padding, str):
        return pair(padding, "padding"), (0, 0)
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(f"conv2d: padding must be an int, a pair, 'same' or 'valid', "
                         f"got padding={padding!r}")
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' is not supported for strided convolutions "
                         f"(stride={stride}), as in PyTorch")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)


def _check_groups(groups):
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got groups={groups!r}")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Return the 2-D cross-correlation of ``input`` with ``weight``, plus ``bias`` (``F.conv2d``).

    Shape: input ``(N, C, H, W)`` or ``(C, H, W)``; weight ``(O, C // groups, kh, kw)``;
    bias ``(O,)``; output ``(N, O, OH, OW)`` (or ``(O, OH, OW)``) with
    ``OH = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1``. ``stride``,
    ``padding`` and ``dilation`` are ints or pairs; ``padding`` may also be ``"valid"`` (0)
    or ``"same"`` (output of the input's size; stride 1 only), as PyTorch.

    Example::

        x, w = autograd.randn(2, 3, 8, 8), autograd.randn(4, 3, 3, 3, requires_grad=True)
        conv2d(x, w, padding=1).shape   # (2, 4, 8, 8)
    """
    x, unbatched = _batched(as_tensor(input), "conv2d")
    w = as_tensor(weight)
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    _check_groups(groups)
    if w.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels / groups, kh, "
                         f"kw), got shape {w.shape}")
    padding, extra = _conv_padding(padding, w.shape[2:], stride, dilation)
    if extra != (0, 0):
        x = PAD(x, pad_width=((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))
    conv2d_shape(x.shape, w.shape, stride, padding, dilation, groups)
    args = (x, w)
    if bias is not None:
        b = as_tensor(bias)
        if b.shape != (w.shape[0],):
            raise ValueError(f"conv2d: bias shape {b.shape} does not match the weight's "
                             f"{w.shape[0]} output channels (weight shape {w.shape})")
        args = (x, w, b)
    out = CONV2D(*args, stride=stride, padding=padding, dilation=dilation, groups=groups)
    return _unbatched(out, unbatched)


def _pool_geometry(name, x, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """Kernel, stride, padding and dilation as pairs, checked against ``x``."""
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else pair(stride, "stride")
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    pool2d_output_shape(x.shape, kernel, stride, padding, dilation, ceil_mode, op=name)
    check_pool_padding(kernel, padding, name)
    return kernel, stride, padding, dilation


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Return the maximum of each ``kernel_size`` window (PyTorch's ``F.max_pool2d``).

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, OH, OW)`` with
    ``OH = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1`` (rounded up with
    ``ceil_mode``). ``stride`` defaults to ``kernel_size``; padding (at most half the
    kernel) never wins. ``return_indices=True`` also returns each winner's flat index
    into its ``H * W`` plane (int64), as PyTorch. Gradient: all of it goes to the first
    maximum of a window (row-major) at ties, as in PyTorch (``Tensor.max`` splits it
    instead); NaN propagates.
    """
    x, unbatched = _batched(as_tensor(input), "max_pool2d")
    kernel, stride, padding, dilation = _pool_geometry("max_pool2d", x, kernel_size, stride,
                                                       padding, dilation, ceil_mode)
    out = MAX_POOL2D(x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                     ceil_mode=ceil_mode)
    if not return_indices:
        return _unbatched(out, unbatched)
    argmax = out.saved  # the winners, when the node was recorded
    if argmax is None:
        argmax = maxpool2d_nchw_forward(x.raw, kernel, stride, padding, dilation, ceil_mode)[1]
    indices = Tensor(maxpool2d_flat_indices(argmax, x.shape, kernel, stride, padding, dilation))
    return _unbatched(out, unbatched), _unbatched(indices, unbatched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Return the mean of each ``kernel_size`` window (PyTorch's ``F.avg_pool2d``).

    Shape as ``max_pool2d`` (no dilation). The divisor is PyTorch's: ``kh * kw`` with
    ``count_include_pad=True`` (padded zeros count), else only the input's positions in
    the window; ``ceil_mode``'s partial last windows divide by what they cover of the
    padded input; ``divisor_override`` (non-zero) replaces the divisor everywhere.
    """
    if divisor_override is not None and divisor_override == 0:
        raise ValueError("avg_pool2d: divisor_override must be non-zero, got 0")
    x, unbatched = _batched(as_tensor(input), "avg_pool2d")
    kernel, stride, padding, _ = _pool_geometry("avg_pool2d", x, kernel_size, stride, padding,
                                                ceil_mode=ceil_mode)
    out = AVG_POOL2D(x, kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
                     count_include_pad=count_include_pad, divisor_override=divisor_override)
    return _unbatched(out, unbatched)

