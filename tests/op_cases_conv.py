"""Gradient-check cases for the convolution and pooling ops (autograd/conv_ops.py).

Tiny shapes, so float64 gradcheck and gradgradcheck stay fast. The backward ops
(``*_backward*``, ``max_pool2d_select``) are called directly with the shapes and
winners a forward would give them; they are linear in each input, so their own
second derivatives are checked too.
"""
import numpy as np
from op_cases import Case, copied_in_place

from autograd import conv_ops as C
from autograd.kernels import maxpool2d_nchw_forward


def _conv(stride=1, padding=0, bias=True, **more):
    if bias:
        return lambda x, w, b: C.conv2d(x, w, b, stride=stride, padding=padding, **more)
    return lambda x, w: C.conv2d(x, w, stride=stride, padding=padding, **more)


# max_pool2d_backward/select need winners: those of a fixed input, kernel 3, stride 2, padding 1
_POOL = dict(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
_X_SHAPE = (1, 2, 5, 4)  # pooled to (1, 2, 3, 2)
_ARGMAX = maxpool2d_nchw_forward(np.random.default_rng(0).standard_normal(_X_SHAPE), **_POOL)[1]
# conv2d_backward_*: kernel (3, 2), stride 2, padding 1 on a (1, 2, 5, 4) input -> (1, 3, 3, 3)
_CONV = dict(stride=(2, 2), padding=(1, 1))
_W_SHAPE = (3, 2, 3, 2)

CASES = [
    Case("conv2d", _conv(), shapes=[((2, 2, 4, 4), (3, 2, 3, 3), (3,))], label="bias"),
    Case("conv2d", _conv(bias=False), shapes=[((1, 3, 4, 5), (2, 3, 2, 3))], label="nobias"),
    Case("conv2d", lambda x, w: copied_in_place(C.conv2d(x, w, padding=1)),
         shapes=[((1, 2, 3, 4), (2, 2, 2, 2))], label="nothing-saved"),
    Case("conv2d", _conv(stride=2), shapes=[((1, 2, 5, 5), (2, 2, 3, 3), (2,))], label="stride2"),
    Case("conv2d", _conv(padding=1), shapes=[((1, 2, 3, 4), (2, 2, 3, 3), (2,))], label="pad1"),
    Case("conv2d", _conv(stride=(2, 1), padding=(1, 0)),
         shapes=[((2, 1, 5, 4), (2, 1, 2, 3), (2,))], label="nonsquare"),
    Case("conv2d", _conv(bias=False), shapes=[((2, 3, 3), (2, 2, 2, 2))], label="unbatched"),
    Case("conv2d", _conv(dilation=(2, 1), padding=(1, 0)),
         shapes=[((1, 2, 6, 5), (2, 2, 2, 3), (2,))], label="dilation"),
    Case("conv2d", _conv(groups=2, stride=(1, 2)),
         shapes=[((2, 4, 4, 5), (6, 2, 2, 2), (6,))], label="groups"),
    Case("conv2d", _conv(bias=False, padding="same", dilation=(1, 2)),
         shapes=[((1, 2, 4, 5), (3, 2, 2, 2))], label="same-asymmetric"),
    # planes of OH*OW >= 128 keep per-sample columns and GEMMs (smaller ones are batch-wide)
    Case("conv2d", _conv(groups=2, padding=(0, 1)),
         shapes=[((2, 2, 13, 10), (2, 1, 2, 2), (2,))], label="per-sample-layout"),
    Case("conv2d", _conv(), shapes=[((0, 2, 4, 4), (3, 2, 3, 3), (3,)),
                                    ((0, 1, 13, 12), (2, 1, 2, 2), (2,))], label="empty-batch"),
    Case("conv2d_backward_input",
         lambda g, w: C.CONV2D_BACKWARD_INPUT(g, w, x_shape=_X_SHAPE, **_CONV),
         shapes=[((1, 3, 3, 3), _W_SHAPE)]),
    Case("conv2d_backward_input",  # dilation 2 and 2 groups: (1, 4, 5, 4) -> (1, 4, 3, 4)
         lambda g, w: C.CONV2D_BACKWARD_INPUT(g, w, x_shape=(1, 4, 5, 4), stride=(2, 1),
                                              padding=(1, 1), dilation=(2, 2), groups=2),
         shapes=[((1, 4, 3, 4), (4, 2, 2, 2))], label="dilation-groups"),
    Case("conv2d_backward_weight",
         lambda g, x: C.CONV2D_BACKWARD_WEIGHT(g, x, w_shape=_W_SHAPE, **_CONV),
         shapes=[((1, 3, 3, 3), _X_SHAPE)]),
    Case("conv2d_backward_weight",
         lambda g, x: C.CONV2D_BACKWARD_WEIGHT(g, x, w_shape=(4, 2, 2, 2), stride=(2, 1),
                                               padding=(1, 1), dilation=(2, 2), groups=2),
         shapes=[((1, 4, 3, 4), (1, 4, 5, 4))], label="dilation-groups"),
    Case("max_pool2d", lambda x: C.max_pool2d(x, 2), shapes=[(1, 2, 4, 4), (2, 1, 5, 3)]),
    Case("max_pool2d", lambda x: C.max_pool2d(x, 2), shapes=[(0, 2, 4, 4), (2, 1, 5, 7)],
         label="empty-batch-odd"),
    Case("max_pool2d", lambda x: copied_in_place(C.max_pool2d(x, 2)), shapes=[(1, 2, 4, 4)],
         label="nothing-saved"),
    Case("max_pool2d", lambda x: C.max_pool2d(x, (3, 2), stride=(2, 1), padding=1),
         shapes=[(1, 2, 5, 4)], label="stride-pad"),
    Case("max_pool2d", lambda x: C.max_pool2d(x, (2, 3), stride=2, padding=1, dilation=(2, 1),
                                               ceil_mode=True),
         shapes=[(1, 2, 6, 5)], label="dilation-ceil"),
    Case("max_pool2d_backward",
         lambda g: C.MAX_POOL2D_BACKWARD(g, argmax=_ARGMAX, x_shape=_X_SHAPE, **_POOL),
         shapes=[(1, 2, 3, 2)]),
    Case("max_pool2d_select", lambda h: C.MAX_POOL2D_SELECT(h, argmax=_ARGMAX, **_POOL),
         shapes=[_X_SHAPE]),
    Case("avg_pool2d", lambda x: C.avg_pool2d(x, 2), shapes=[(1, 2, 4, 4), (2, 1, 5, 3)]),
    Case("avg_pool2d", lambda x: C.avg_pool2d(x, (3, 2), stride=(2, 1), padding=1),
         shapes=[(1, 2, 5, 4)], label="stride-pad"),
    Case("avg_pool2d", lambda x: C.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                                               count_include_pad=False),
         shapes=[(1, 2, 6, 5)], label="ceil-exclude-pad"),
    Case("avg_pool2d", lambda x: C.avg_pool2d(x, 2, stride=(2, 1), divisor_override=3),
         shapes=[(1, 1, 4, 3)], label="divisor"),
    Case("avg_pool2d_backward",
         lambda g: C.AVG_POOL2D_BACKWARD(g, x_shape=_X_SHAPE, **_POOL), shapes=[(1, 2, 3, 2)]),
]
