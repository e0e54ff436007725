"""kissgrad's autograd: Tensor and Value on one reverse-mode engine."""
from . import conv_ops as conv_ops  # registers conv2d and the pools in OPS
from . import functional
from . import nn_ops as nn_ops  # registers the fused nn ops in OPS
from .creation import arange, eye, full, ones, ones_like, rand, randn, zeros, zeros_like
from .engine import grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops import OPS, Op, op
from .random import manual_seed
from .tensor import Tensor, as_tensor, concatenate, from_numpy, maximum, minimum, stack, where
from .value import Value

__all__ = [
    "Tensor", "Value", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad",
    "zeros", "ones", "full", "randn", "rand", "arange", "eye", "zeros_like", "ones_like",
    "manual_seed", "concatenate", "stack", "maximum", "minimum", "where", "as_tensor", "from_numpy",
    "Op", "op", "OPS", "gradcheck", "gradgradcheck", "GradcheckError", "functional",
]
