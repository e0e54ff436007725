"""Gradient-check cases for the fused ops of ``autograd/nn_ops.py`` (collected by test_op_table)."""
import numpy as np
from op_cases import Case

from autograd import nn_ops
from autograd.ops import Saved


def labels_for(shape):
    """Deterministic integer labels for logits of ``shape`` (classes on axis 1)."""
    target_shape = shape[:1] + shape[2:]
    return (np.arange(int(np.prod(target_shape))) % shape[1]).reshape(target_shape)


CASES = [
    Case("log_softmax", lambda x: nn_ops.LOG_SOFTMAX(x, axis=-1), shapes=[(3,), (2, 4)]),
    Case("log_softmax", lambda x: nn_ops.LOG_SOFTMAX(x, axis=0), shapes=[(3, 2)], label="axis0"),
    Case("softmax", lambda x: nn_ops.SOFTMAX(x, axis=-1), shapes=[(3,), (2, 4)]),
    Case("softmax", lambda x: nn_ops.SOFTMAX(x, axis=1), shapes=[(2, 3, 2)], label="axis1"),
    Case("softmax_cross_entropy",
         lambda x: nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=labels_for(x.shape)),
         shapes=[(4, 3), (2, 3, 2)]),
    Case("softmax_cross_entropy",
         lambda x: nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=labels_for(x.shape), mean=True, saved=Saved()),
         shapes=[(4, 3), (2, 3, 2)], label="mean"),
    Case("softmax_cross_entropy",  # without saved losses the backward recomputes them
         lambda x: nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=labels_for(x.shape), mean=True),
         shapes=[(3, 4)], label="mean-unsaved"),
    Case("linear", lambda x, w, b: nn_ops.LINEAR(x, w, b),
         shapes=[((4, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)), ((2, 2, 3), (4, 3), (4,))]),
    Case("softplus", lambda x: nn_ops.SOFTPLUS(x), shapes=[(), (2, 3)], domain=(-4.0, 4.0)),
    Case("binary_cross_entropy", lambda p, y: nn_ops.BINARY_CROSS_ENTROPY(p, y),
         shapes=[((2, 3), (2, 3)), ((4,), (4,))], domain=(0.1, 0.9)),
    Case("erf", lambda x: nn_ops.ERF(x), shapes=[(), (2, 3), (0,)], domain=(-2.5, 2.5)),
    Case("gelu", lambda x: nn_ops.GELU(x), shapes=[(), (2, 3), (0, 2)], domain=(-3.0, 3.0)),
    Case("gelu", lambda x: nn_ops.GELU(x, approximate="none", saved=Saved()), shapes=[(3, 2)],
         domain=(-3.0, 3.0), label="saved"),
    Case("gelu", lambda x: nn_ops.GELU(x, approximate="tanh"), shapes=[(), (2, 3)],
         domain=(-3.0, 3.0), label="tanh"),
]
