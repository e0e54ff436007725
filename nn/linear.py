"""Linear, Flatten and Identity layers."""
import math

import numpy as np

from autograd import as_tensor

from . import functional as F
from . import init
from .module import Module, Parameter


class Identity(Module):
    """Return the input unchanged (a placeholder layer); extra arguments are ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        """Return ``input``."""
        return input


class Linear(Module):
    """Affine map ``y = x @ weight.T + bias``.

    Shape: (*, in_features) -> (*, out_features). ``weight`` is (out_features,
    in_features), initialised as PyTorch: kaiming-uniform with a=sqrt(5), i.e.
    U(-1/sqrt(in_features), 1/sqrt(in_features)); ``bias`` (out_features,) from the
    same range. Parameters are float32.

    Example::

        layer = nn.Linear(784, 256)
        y = layer(x)          # x: (batch, 784) -> y: (batch, 256)
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw fresh initial values (PyTorch's scheme, from autograd's generator)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        """Return ``input @ weight.T + bias``."""
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one: (N, C, H, W) -> (N, C*H*W) by default."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        """Return the flattened input."""
        return as_tensor(input).flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
