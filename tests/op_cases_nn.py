"""Gradient-check cases for the fused ops of ``autograd/nn_ops.py`` (collected by test_op_table)."""
import numpy as np
from op_cases import Case, copied_in_place

from autograd import nn_ops
from autograd.kernels import softmax_cross_entropy_forward


def labels_for(shape):
    """Deterministic integer labels for logits of ``shape`` (classes on axis 1)."""
    target_shape = shape[:1] + shape[2:]
    return (np.arange(int(np.prod(target_shape))) % shape[1]).reshape(target_shape)


def _xent_backward(g, x, with_loss=False):
    """The cross-entropy backward op on labels for x; ``with_loss`` passes the losses of x."""
    target = labels_for(x.shape)
    loss = softmax_cross_entropy_forward(x.numpy(), target) if with_loss else None
    return nn_ops.SOFTMAX_CROSS_ENTROPY_BACKWARD(g, x, target=target, loss=loss)


CASES = [
    Case("log_softmax", lambda x: nn_ops.LOG_SOFTMAX(x, axis=-1), shapes=[(3,), (2, 4)]),
    Case("log_softmax", lambda x: nn_ops.LOG_SOFTMAX(x, axis=0), shapes=[(3, 2)], label="axis0"),
    Case("softmax", lambda x: nn_ops.SOFTMAX(x, axis=-1), shapes=[(3,), (2, 4)]),
    Case("softmax", lambda x: nn_ops.SOFTMAX(x, axis=1), shapes=[(2, 3, 2)], label="axis1"),
    Case("softmax_cross_entropy",
         lambda x: nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=labels_for(x.shape)),
         shapes=[(4, 3), (2, 3, 2)]),
    Case("softmax_cross_entropy",
         lambda x: nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=labels_for(x.shape), mean=True),
         shapes=[(4, 3), (2, 3, 2)], label="mean"),
    Case("softmax_cross_entropy",
         lambda x: copied_in_place(nn_ops.SOFTMAX_CROSS_ENTROPY(x, target=labels_for(x.shape),
                                                                mean=True)),
         shapes=[(3, 4)], label="mean-nothing-saved"),
    # g per sample or 0-d (a mean's), the losses passed or recomputed, no sample at all
    Case("softmax_cross_entropy_backward", _xent_backward,
         shapes=[((4,), (4, 3)), ((2, 2), (2, 3, 2)), ((), (3, 4)), ((0,), (0, 3))]),
    # ``loss`` (and gelu_backward's ``cdf``) caches a function of x, so the per-op search of
    # gradgradcheck, which shifts x alone, cannot check it: first order here; the second order
    # with the cache runs in gradgradcheck of the forward op, whose rule passes it
    Case("softmax_cross_entropy_backward", lambda g, x: _xent_backward(g, x, with_loss=True),
         shapes=[((4,), (4, 3)), ((), (2, 3, 2))], label="loss", twice=False),
    Case("linear", lambda x, w, b: nn_ops.LINEAR(x, w, b),
         shapes=[((4, 3), (2, 3), (2,)), ((3,), (2, 3), (2,)), ((2, 2, 3), (4, 3), (4,))]),
    Case("softplus", lambda x: nn_ops.SOFTPLUS(x), shapes=[(), (2, 3)], domain=(-4.0, 4.0)),
    Case("binary_cross_entropy", lambda p, y: nn_ops.BINARY_CROSS_ENTROPY(p, y),
         shapes=[((2, 3), (2, 3)), ((4,), (4,))], domain=(0.1, 0.9)),
    Case("erf", lambda x: nn_ops.ERF(x), shapes=[(), (2, 3), (0,)], domain=(-2.5, 2.5)),
    Case("gelu", lambda x: nn_ops.GELU(x), shapes=[(), (2, 3), (0, 2)], domain=(-3.0, 3.0)),
    Case("gelu", lambda x: copied_in_place(nn_ops.GELU(x)), shapes=[(3, 2)], domain=(-3.0, 3.0),
         label="nothing-saved"),
    Case("gelu", lambda x: nn_ops.GELU(x, approximate="tanh"), shapes=[(), (2, 3)],
         domain=(-3.0, 3.0), label="tanh"),
    Case("gelu_backward", lambda g, x: nn_ops.GELU_BACKWARD(g, x),
         shapes=[((), ()), ((2, 3), (2, 3)), ((3,), (2, 3)), ((0, 2), (0, 2))], domain=(-3.0, 3.0)),
    Case("gelu_backward", lambda g, x: nn_ops.GELU_BACKWARD(g, x, cdf=nn_ops.normal_cdf(x.numpy())),
         shapes=[((2, 3), (2, 3))], domain=(-3.0, 3.0), label="cdf", twice=False),
]
