"""nn.init: fill tensors in place (on ``.raw``, under no_grad) as PyTorch's ``torch.nn.init``.

Names, signatures, defaults, fans and gains are PyTorch's. Random draws come from
``autograd.random.default_generator(generator)``: the library's default generator
(``kissgrad.manual_seed(n)`` makes them repeatable) or the ``generator=`` given. The
numbers differ from PyTorch's for the same seed. Each function returns its tensor.
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
            raise ValueError(f"negative_slope {param} not a valid number")
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
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    """``fan_in`` or ``fan_out`` of ``tensor``, as ``mode`` says."""
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Write ``values`` into ``tensor``'s data in place (keeping its dtype); returns tensor."""
    with no_grad():
        data = tensor.raw if isinstance(tensor, Tensor) else tensor
        data[...] = values
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b)."""
    return _fill(tensor, default_generator(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std**2)."""
    return _fill(tensor, default_generator(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with samples from N(mean, std**2) truncated to [a, b] (a and b are absolute values).

    Drawn by rejection (exact); an interval so far in the tail that under 0.1% of the
    normal's mass lies in it raises ``ValueError`` (PyTorch warns and draws anyway).
    """
    if not a < b or std <= 0:
        raise ValueError(f"trunc_normal_ needs a < b and std > 0, got a={a}, b={b}, std={std}")
    mass = 0.5 * (math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2))))
    if mass < 1e-3:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds only {mass:.2e} of "
                         f"N({mean}, {std}**2); the samples would not follow it")
    rng, values = default_generator(generator), np.empty(tensor.shape)
    todo = np.ones(tensor.shape, dtype=bool)
    while todo.any():  # each round keeps the draws inside [a, b] and redraws the others
        draws = rng.normal(mean, std, size=int(todo.sum()))
        values[todo] = draws
        todo[todo] = (draws < a) | (draws > b)
    return _fill(tensor, values)


def constant_(tensor, val):
    """Fill with ``val``."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill with zeros."""
    return _fill(tensor, 0)


def ones_(tensor):
    """Fill with ones."""
    return _fill(tensor, 1)


def eye_(tensor):
    """Fill the 2-d ``tensor`` with the identity matrix (ones on the diagonal)."""
    if len(tensor.shape) != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill the 3-, 4- or 5-d ``tensor`` (a conv weight) with the Dirac delta: an identity conv
    per group (input channels kept as far as the output channels allow)."""
    shape = tensor.shape
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"Only tensors with 3, 4, or 5 dimensions are supported, got {shape}")
    if shape[0] % groups != 0:
        raise ValueError(f"dim 0 ({shape[0]}) must be divisible by groups ({groups})")
    per_group = shape[0] // groups
    values, centre = np.zeros(shape), tuple(n // 2 for n in shape[2:])
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill with U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill with N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill with U(-b, b), b = gain * sqrt(3 / fan) (He et al., 2015), gain from nonlinearity and a.

    ``Linear`` uses ``a=sqrt(5)``, which gives b = 1 / sqrt(fan_in), as PyTorch.
    """
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor  # PyTorch warns and leaves an empty tensor alone
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill with N(0, std**2), std = gain / sqrt(fan) (He et al., 2015)."""
    fan = _calculate_correct_fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2013), as PyTorch.

    Dimensions after the first are flattened: rows = shape[0], columns = the rest; the
    rows (or, if fewer, the columns) are orthonormal.
    """
    if len(tensor.shape) < 2:
        raise ValueError(f"Only tensors with 2 or more dimensions are supported, got {tensor.shape}")
    rows = tensor.shape[0]
    if rows == 0 or math.prod(tensor.shape) == 0:
        return tensor
    columns = math.prod(tensor.shape) // rows
    flat = default_generator(generator).normal(0.0, 1.0, size=(rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)  # signs from R's diagonal: uniform over rotations
    if rows < columns:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Fill the 2-d ``tensor`` from N(0, std**2), then zero ``ceil(sparsity * rows)`` random
    rows in each column (Martens, 2010)."""
    if len(tensor.shape) != 2:
        raise ValueError(f"Only tensors with 2 dimensions are supported, got shape {tensor.shape}")
    rows, columns = tensor.shape
    rng = default_generator(generator)
    values = rng.normal(0.0, std, size=(rows, columns))
    zeros = int(math.ceil(sparsity * rows))
    for column in range(columns):
        values[rng.permutation(rows)[:zeros], column] = 0
    return _fill(tensor, values)
