"""kissgrad's autograd: Tensor and Value on one reverse-mode engine."""
from . import functional
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .creation import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .engine import grad
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .op_table import OPS
from .ops import Op, op
from .random import Generator, manual_seed
from .tensor import (
    Device,
    Tensor,
    as_tensor,
    cat,
    concatenate,
    device,
    from_numpy,
    maximum,
    minimum,
    multinomial,
    stack,
    where,
)
from .value import Value

__all__ = [
    "Tensor", "Value", "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled",
    "grad",
    "zeros", "ones", "full", "randn", "rand", "arange", "eye", "zeros_like", "ones_like",
    "tensor", "empty", "empty_like", "full_like", "linspace", "rand_like", "randn_like", "randint",
    "randperm", "Generator", "Device", "device", "cat", "multinomial",
    "manual_seed", "concatenate", "stack", "maximum", "minimum", "where", "as_tensor", "from_numpy",
    "Op", "op", "OPS", "gradcheck", "gradgradcheck", "GradcheckError", "functional",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
]
