"""Convolution and pooling (NCHW) in the op table, and their PyTorch-style functions.

These are fused entries, for speed: written with getitem/matmul ops a convolution
would record kh * kw nodes; here one node calls an im2col + GEMM kernel
(``autograd.kernels``). In the fast path (no ``create_graph``) the rules run the
kernels on raw arrays, reusing what the forward saved (conv2d's im2col columns, max
pooling's winners: see ``ops.Saved``), and conv2d has one rule per input, so a first
layer's input gradient is never computed. Under ``create_graph`` the same rules record
nodes, and stay differentiable because every backward is itself an op whose backward
is one of the others (each is linear in each input, so the adjoints close up):

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
"""
from .kernels import (
    avgpool2d_nchw_backward,
    avgpool2d_nchw_forward,
    check_pool_padding,
    conv2d_nchw_backward_input,
    conv2d_nchw_backward_weight,
    conv2d_nchw_forward,
    conv2d_output_shape,
    maxpool2d_nchw_backward,
    maxpool2d_nchw_forward,
    maxpool2d_nchw_select,
    pair,
    pool_output_shape,
)
from .ops import SUM, Saved, op, raw, register_ops, saved_array
from .tensor import as_tensor

# --- convolution --------------------------------------------------------------------


def _conv2d_forward(x, w, *bias, stride, padding, saved=None):
    out, cols = conv2d_nchw_forward(x, w, stride, padding, bias[0] if bias else None)
    if saved is not None:
        saved.keep(cols)
    return out


def _conv2d_grad_input(g, out, x, w, *bias, stride, padding, saved=None):
    return CONV2D_BACKWARD_INPUT(g, w, x_shape=x.shape, stride=stride, padding=padding)


def _conv2d_grad_weight(g, out, x, w, *bias, stride, padding, saved=None):
    return CONV2D_BACKWARD_WEIGHT(g, x, w_shape=w.shape, stride=stride, padding=padding,
                                  cols=saved_array(saved, g))


def _conv2d_grad_bias(g, out, x, w, *bias, stride, padding, saved=None):
    return SUM(g, axis=(0, 2, 3)) if bias else None


# one rule per input: the engine skips the input gradient (a GEMM and a col2im) of a first
# layer, whose input is data
CONV2D = op("conv2d", _conv2d_forward, None,
            (_conv2d_grad_input, _conv2d_grad_weight, _conv2d_grad_bias))

# gx = backward_input(g, w) satisfies <u, gx> = <conv2d(u, w), g>: read off both gradients
CONV2D_BACKWARD_INPUT = op(
    "conv2d_backward_input",
    lambda g, w, x_shape, stride, padding: conv2d_nchw_backward_input(
        g, w, x_shape, stride, padding),
    None,
    lambda u, out, g, w, x_shape, stride, padding: (
        CONV2D(u, w, stride=stride, padding=padding),
        CONV2D_BACKWARD_WEIGHT(g, u, w_shape=w.shape, stride=stride, padding=padding)))

# gw = backward_weight(g, x) satisfies <u, gw> = <conv2d(x, u), g>; ``cols``, x's im2col
# columns when the forward saved them, only spares rebuilding them
CONV2D_BACKWARD_WEIGHT = op(
    "conv2d_backward_weight",
    lambda g, x, w_shape, stride, padding, cols=None: conv2d_nchw_backward_weight(
        g, x, w_shape, stride, padding, cols),
    None,
    lambda u, out, g, x, w_shape, stride, padding, cols=None: (
        CONV2D(x, u, stride=stride, padding=padding),
        CONV2D_BACKWARD_INPUT(g, u, x_shape=x.shape, stride=stride, padding=padding)))

# --- max pooling --------------------------------------------------------------------


def _max_pool2d_forward(x, kernel_size, stride, padding, saved=None):
    out, argmax = maxpool2d_nchw_forward(x, kernel_size, stride, padding)
    if saved is not None:
        saved.keep(argmax)
    return out


def _max_pool2d_backward(g, out, x, kernel_size, stride, padding, saved=None):
    # the winners (ties go to the first maximum) as the forward found them, else found again
    argmax = saved_array(saved, g)
    if argmax is None:
        argmax = maxpool2d_nchw_forward(raw(x), kernel_size, stride, padding)[1]
    return (MAX_POOL2D_BACKWARD(g, argmax=argmax, x_shape=x.shape, kernel_size=kernel_size,
                                stride=stride, padding=padding),)


MAX_POOL2D = op("max_pool2d", _max_pool2d_forward, None, _max_pool2d_backward)

# scatter of g to the winners: linear in g; its adjoint reads u at the winners' places
MAX_POOL2D_BACKWARD = op(
    "max_pool2d_backward",
    lambda g, argmax, x_shape, kernel_size, stride, padding: maxpool2d_nchw_backward(
        g, argmax, x_shape, kernel_size, stride, padding),
    None,
    lambda u, out, g, argmax, x_shape, kernel_size, stride, padding: (
        MAX_POOL2D_SELECT(u, argmax=argmax, kernel_size=kernel_size, stride=stride,
                          padding=padding),))

MAX_POOL2D_SELECT = op(
    "max_pool2d_select",
    lambda h, argmax, kernel_size, stride, padding: maxpool2d_nchw_select(
        h, argmax, kernel_size, stride, padding),
    None,
    lambda g, out, h, argmax, kernel_size, stride, padding: (
        MAX_POOL2D_BACKWARD(g, argmax=argmax, x_shape=h.shape, kernel_size=kernel_size,
                            stride=stride, padding=padding),))

# --- average pooling (padded zeros count in the divisor, PyTorch's count_include_pad) --

AVG_POOL2D = op(
    "avg_pool2d",
    lambda x, kernel_size, stride, padding: avgpool2d_nchw_forward(x, kernel_size, stride, padding),
    None,
    lambda g, out, x, kernel_size, stride, padding: (
        AVG_POOL2D_BACKWARD(g, x_shape=x.shape, kernel_size=kernel_size, stride=stride,
                            padding=padding),))

# spreading g / (kh * kw) over each window is the adjoint of averaging
AVG_POOL2D_BACKWARD = op(
    "avg_pool2d_backward",
    lambda g, x_shape, kernel_size, stride, padding: avgpool2d_nchw_backward(
        g, x_shape, kernel_size, stride, padding),
    None,
    lambda u, out, g, x_shape, kernel_size, stride, padding: (
        AVG_POOL2D(u, kernel_size=kernel_size, stride=stride, padding=padding),))

# --- the functions (PyTorch's torch.nn.functional signatures) -----------------------


def _batched(x, name):
    """``(x as (N, C, H, W), unbatched?)``: a 3-D ``(C, H, W)`` input gets a batch axis of 1."""
    if x.ndim == 3:
        return x.reshape((1,) + x.shape), True
    if x.ndim != 4:
        raise ValueError(f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                         f"got shape {x.shape}")
    return x, False


def conv2d(input, weight, bias=None, stride=1, padding=0):
    """Return the 2-D cross-correlation of ``input`` with ``weight``, plus ``bias`` (``F.conv2d``).

    Shape: input ``(N, C, H, W)`` or ``(C, H, W)``; weight ``(O, C, kh, kw)``; bias
    ``(O,)``; output ``(N, O, OH, OW)`` (or ``(O, OH, OW)``) with
    ``OH = (H + 2 * padding - kh) // stride + 1``. ``stride`` and ``padding`` are ints or
    pairs. Unlike PyTorch there is no ``dilation``, ``groups`` or string padding.

    Example::

        x, w = autograd.randn(2, 3, 8, 8), autograd.randn(4, 3, 3, 3, requires_grad=True)
        conv2d(x, w, padding=1).shape   # (2, 4, 8, 8)
    """
    x, unbatched = _batched(as_tensor(input), "conv2d")
    w = as_tensor(weight)
    stride, padding = pair(stride, "stride"), pair(padding, "padding")
    conv2d_output_shape(x.shape, w.shape, stride, padding)  # a clear error before any work
    args = (x, w)
    if bias is not None:
        b = as_tensor(bias)
        if b.shape != (w.shape[0],):
            raise ValueError(f"conv2d: bias shape {b.shape} does not match the weight's "
                             f"{w.shape[0]} output channels (weight shape {w.shape})")
        args = (x, w, b)
    out = CONV2D(*args, stride=stride, padding=padding, saved=Saved())
    return out.reshape(out.shape[1:]) if unbatched else out


def _pool(pool_op, name, input, kernel_size, stride, padding, **saved):
    x, unbatched = _batched(as_tensor(input), name)
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else pair(stride, "stride")
    padding = pair(padding, "padding")
    pool_output_shape(x.shape, kernel, stride, padding, op=name)
    check_pool_padding(kernel, padding, name)
    out = pool_op(x, kernel_size=kernel, stride=stride, padding=padding, **saved)
    return out.reshape(out.shape[1:]) if unbatched else out


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Return the maximum of each ``kernel_size`` window (PyTorch's ``F.max_pool2d``).

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, OH, OW)`` with
    ``OH = (H + 2 * padding - kh) // stride + 1`` (``ceil_mode=False``). ``stride``
    defaults to ``kernel_size``; padding (at most half the kernel) never wins.
    Gradient: all of it goes to the first maximum of a window (row-major) at ties,
    as in PyTorch (``Tensor.max`` splits it instead); NaN propagates. No ``dilation``,
    ``ceil_mode`` or ``return_indices``.
    """
    return _pool(MAX_POOL2D, "max_pool2d", input, kernel_size, stride, padding, saved=Saved())


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Return the mean of each ``kernel_size`` window (PyTorch's ``F.avg_pool2d``).

    Shape as ``max_pool2d``. Padded zeros count in the divisor (PyTorch's default
    ``count_include_pad=True``), so every window divides by ``kh * kw``. No
    ``ceil_mode``, ``count_include_pad=False`` or ``divisor_override``.
    """
    return _pool(AVG_POOL2D, "avg_pool2d", input, kernel_size, stride, padding)


register_ops(globals())
