"""nn.init: fill parameters in place (on ``.data``, under no_grad) as PyTorch's ``torch.nn.init``.

Random draws come from ``autograd.random.default_generator()``, so
``autograd.manual_seed(n)`` makes them repeatable. Each function returns its tensor.
"""
import math

import numpy as np

from autograd import Tensor, no_grad
from autograd.random import default_generator

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """Return the recommended gain for ``nonlinearity`` (PyTorch's values).

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope**2))
    (slope ``param``, default 0.01), selu 3/4.
    """
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """Return (fan_in, fan_out): shape[1] and shape[0] times the receptive field prod(shape[2:])."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (shape {shape})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Write ``values`` into ``tensor``'s data in place (keeping its dtype); returns tensor."""
    with no_grad():
        data = tensor.data if isinstance(tensor, Tensor) else tensor
        data[...] = values
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with samples from U(a, b)."""
    return _fill(tensor, default_generator().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with samples from N(mean, std**2)."""
    return _fill(tensor, default_generator().normal(mean, std, size=tensor.shape))


def constant_(tensor, val):
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with zeros."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with ones."""
    return _fill(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Fill with U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Fill with N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """Fill with U(-b, b), b = gain * sqrt(3 / fan) (He et al., 2015), gain from nonlinearity and a.

    ``Linear`` uses ``a=sqrt(5)``, which gives b = 1 / sqrt(fan_in), as PyTorch.
    """
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor  # PyTorch warns and leaves an empty tensor alone
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """Fill with N(0, std**2), std = gain / sqrt(fan) (He et al., 2015)."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))
