"""Gradient-check cases of the fused norm ops (autograd/norm_ops.py).

The forward ops are checked through ``nn.functional`` (weight and bias given, or the
constants that stand for missing ones) and directly; the backward ops are called as the
forward's rules call them, and their own rules checked by gradgradcheck (third order of
the forward). Empty variants: no channels (batch norm), no rows (layer norm).
"""
import numpy as np
from op_cases import Case, copied_in_place

from autograd import Tensor
from autograd import norm_ops as N

EPS = 1e-5


def _bn(x, w, b):
    return N.BATCH_NORM(x, w, b, eps=EPS)


def _bn_constants(x):
    c = x.shape[1]
    return N.BATCH_NORM(x, Tensor(np.ones(c)), Tensor(np.zeros(c)), eps=EPS)


def _ln(dims):
    return lambda x, w, b: N.LAYER_NORM(x, w, b, eps=EPS, dims=dims)


def _backward_input(dims):
    return lambda g, x, w: N.NORM_BACKWARD_INPUT(g, x, w, eps=EPS, dims=dims)


def _backward_weight(dims):
    return lambda g, x: N.NORM_BACKWARD_WEIGHT(g, x, eps=EPS, dims=dims)


CASES = [
    Case("batch_norm", _bn, shapes=[((2, 3), (3,), (3,)), ((3, 2, 4), (2,), (2,)),
                                    ((2, 3, 2, 3), (3,), (3,))]),
    Case("batch_norm", _bn, shapes=[((3, 0, 2), (0,), (0,))], label="empty"),
    Case("batch_norm", _bn_constants, shapes=[(4, 2), (2, 2, 3, 2)], label="affine-false"),
    Case("batch_norm", lambda x, w, b: copied_in_place(_bn(x, w, b)),
         shapes=[((3, 2, 2), (2,), (2,))], label="nothing-saved"),
    Case("layer_norm", _ln(1), shapes=[((2, 4), (4,), (4,)), ((5,), (5,), (5,)),
                                       ((0, 3), (3,), (3,))]),
    Case("layer_norm", _ln(2), shapes=[((2, 3, 4), (3, 4), (3, 4))], label="2-dims"),
    Case("layer_norm", lambda x, w, b: copied_in_place(_ln(1)(x, w, b)),
         shapes=[((3, 4), (4,), (4,))], label="nothing-saved"),
    Case("norm_backward_input", _backward_input(None),
         shapes=[((2, 3), (2, 3), (3,)), ((2, 2, 3), (2, 2, 3), (2,))], label="batch"),
    Case("norm_backward_input", _backward_input(1), shapes=[((3, 4), (3, 4), (4,))],
         label="layer"),
    Case("norm_backward_input", _backward_input(2),
         shapes=[((2, 2, 3), (2, 2, 3), (2, 3)), ((0, 2, 3), (0, 2, 3), (2, 3))],
         label="layer-2-dims"),
    Case("norm_backward_weight", _backward_weight(None),
         shapes=[((3, 2), (3, 2)), ((2, 2, 3), (2, 2, 3))], label="batch"),
    Case("norm_backward_weight", _backward_weight(1), shapes=[((3, 4), (3, 4))], label="layer"),
    Case("norm_backward_weight", _backward_weight(2), shapes=[((2, 2, 3), (2, 2, 3))],
         label="layer-2-dims"),
]
