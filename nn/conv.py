"""Conv2d, MaxPool2d, AvgPool2d: thin modules over autograd.conv_ops (NCHW)."""
import math

import numpy as np

from autograd.conv_ops import avg_pool2d, conv2d, max_pool2d
from autograd.kernels import pair

from . import init
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution over NCHW input: ``conv2d(x, weight, bias, stride, padding)``.

    ``weight`` is ``(out_channels, in_channels, kh, kw)`` and ``bias`` ``(out_channels,)``,
    both uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels * kh * kw``
    (PyTorch's default, ``kaiming_uniform_(a=sqrt(5))``). No ``dilation``, ``groups`` or
    ``padding_mode``.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` -> ``(N, out_channels, OH, OW)`` with
    ``OH = (H + 2 * padding - kh) // stride + 1``.

    Example::

        conv = nn.Conv2d(1, 8, 3, padding=1)
        conv(autograd.randn(64, 1, 28, 28)).shape   # (64, 8, 28, 28)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride, self.padding = pair(stride, "stride"), pair(padding, "padding")
        shape = (out_channels, in_channels) + self.kernel_size
        self.weight = Parameter(np.empty(shape, np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_channels, np.float32))
        else:
            self.register_parameter("bias", None)  # as PyTorch: known, but absent from state_dict
        self.reset_parameters()

    def reset_parameters(self):
        """Draw weight and bias again from uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # bound 1 / sqrt(fan_in)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        """Return the convolution of ``x`` plus the bias."""
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text if self.bias is not None else text + ", bias=False"


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        # kept as given, like PyTorch (an int stays an int in the repr)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over ``kernel_size`` windows moved by ``stride`` (default: ``kernel_size``).

    Shape: ``(N, C, H, W)`` -> ``(N, C, OH, OW)``, ``OH = (H + 2 * padding - kh) // stride + 1``.
    At tied maxima the whole gradient goes to the first one (row-major), as in PyTorch.
    No ``dilation``, ``ceil_mode`` or ``return_indices``.
    """

    def forward(self, x):
        """Return the window maxima of ``x``."""
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over ``kernel_size`` windows moved by ``stride`` (default: ``kernel_size``).

    Padded zeros count in the mean (PyTorch's default ``count_include_pad=True``).
    No ``ceil_mode``, ``count_include_pad=False`` or ``divisor_override``.
    """

    def forward(self, x):
        """Return the window means of ``x``."""
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)
