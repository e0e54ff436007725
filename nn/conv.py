"""Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d: thin modules over the functions (NCHW)."""
import math

import numpy as np

from autograd.kernels import pair

from . import functional as F
from . import init
from ._factory import factory_dtype
from .module import Module, Parameter

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _positive_pair(value, name):
    """``value`` as a pair of ints >= 1; ValueError naming ``name`` (no division by zero later)."""
    value = pair(value, name)
    if min(value) < 1:
        raise ValueError(f"Conv2d: {name} must be >= 1, got {name}={value}")
    return value


def _check_channels(in_channels, out_channels, groups):
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"Conv2d: groups must be a positive int, got groups={groups!r}")
    for name, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups:
            raise ValueError(f"Conv2d: {name}={count} must be divisible by groups={groups}")


def _padding(padding, stride):
    """``padding`` as a pair, or the string 'same'/'valid' (PyTorch keeps it as given)."""
    if not isinstance(padding, str):
        padding = pair(padding, "padding")
        if min(padding) < 0:
            raise ValueError(f"Conv2d: padding must be >= 0, got padding={padding}")
        return padding
    if padding not in ("same", "valid"):
        raise ValueError(f"Conv2d: padding must be an int, a pair, 'same' or 'valid', "
                         f"got padding={padding!r}")
    if padding == "same" and stride != (1, 1):
        raise ValueError(f"Conv2d: padding='same' is not supported for strided convolutions "
                         f"(stride={stride}), as in PyTorch")
    return padding


class Conv2d(Module):
    """2-D convolution over NCHW input, PyTorch's ``nn.Conv2d``.

    ``weight`` is ``(out_channels, in_channels // groups, kh, kw)`` and ``bias``
    ``(out_channels,)``, both uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in =
    in_channels // groups * kh * kw`` (PyTorch's default, ``kaiming_uniform_(a=sqrt(5))``).
    ``padding`` is an int, a pair, ``"valid"`` or ``"same"`` (stride 1 only); ``padding_mode``
    ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``. Bad sizes raise ValueError
    naming the argument.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, out_channels, OH, OW)`` with
    ``OH = (H + 2 * padding - dilation * (kh - 1) - 1) // stride + 1``.

    Example::

        conv = nn.Conv2d(1, 8, 3, padding=1)
        conv(autograd.randn(64, 1, 28, 28)).shape   # (64, 8, 28, 28)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        _check_channels(in_channels, out_channels, groups)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"Conv2d: padding_mode must be one of {PADDING_MODES}, got "
                             f"padding_mode={padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _positive_pair(kernel_size, "kernel_size")
        self.stride = _positive_pair(stride, "stride")
        self.dilation = _positive_pair(dilation, "dilation")
        self.padding, self.padding_mode = _padding(padding, self.stride), padding_mode
        self.output_padding, self.transposed = (0, 0), False  # PyTorch's attributes
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype))
        else:
            self.register_parameter("bias", None)  # as PyTorch: known, but absent from state_dict
        self.reset_parameters()

    def reset_parameters(self):
        """Draw weight and bias again from uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # bound 1 / sqrt(fan_in)
        if self.bias is not None:
            fan_in = self.in_channels // self.groups * self.kernel_size[0] * self.kernel_size[1]
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def _mode_padding(self):
        """PyTorch's (left, right, top, bottom) widths of the explicit padding a mode pads."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            total = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            return (total[1] // 2, total[1] - total[1] // 2, total[0] // 2, total[0] - total[0] // 2)
        return (self.padding[1], self.padding[1], self.padding[0], self.padding[0])

    def forward(self, input):
        """Return the convolution of ``input`` plus the bias."""
        if self.padding_mode == "zeros":
            return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)
        padded = F.pad(input, self._mode_padding(), mode=self.padding_mode)
        return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class MaxPool2d(Module):
    """Maximum over ``kernel_size`` windows moved by ``stride`` (default: ``kernel_size``).

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, OH, OW)``, ``OH = (H + 2 * padding -
    dilation * (kh - 1) - 1) // stride + 1`` (rounded up with ``ceil_mode``). At tied maxima
    the whole gradient goes to the first one (row-major), as in PyTorch. With
    ``return_indices`` it returns ``(output, indices)``, as PyTorch.
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        # kept as given, like PyTorch (an int stays an int in the repr)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        """Return the window maxima of ``input`` (and their indices, if asked for)."""
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over ``kernel_size`` windows moved by ``stride`` (default: ``kernel_size``).

    The divisor is PyTorch's: ``kh * kw`` with ``count_include_pad=True`` (the default:
    padded zeros count), else only the input's positions; ``ceil_mode`` and
    ``divisor_override`` as in ``F.avg_pool2d``.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        """Return the window means of ``input``."""
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Mean over the windows that give ``output_size`` (an int or a pair; None keeps a size).

    Window i of a dim of size H spans ``floor(i H / OH)`` to ``ceil((i + 1) H / OH)``, as
    PyTorch. ``AdaptiveAvgPool2d(1)`` is global average pooling.
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        """Return the adaptively pooled input, ``(N, C, *output_size)``."""
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
