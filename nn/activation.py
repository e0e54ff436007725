"""Activation layers: each holds its settings and calls ``nn.functional``.

``inplace=True`` is accepted, as PyTorch's signatures have it, but the result is computed
out of place (returned; the input is left as it was).
"""
from . import functional as F
from .module import Module


class _InplaceActivation(Module):
    """Keeps PyTorch's ``inplace`` flag; the result is computed out of place all the same."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """Elementwise max(x, 0)."""

    def forward(self, input):
        """Return relu(input)."""
        return F.relu(input)


class LeakyReLU(_InplaceActivation):
    """Elementwise x for x > 0, else ``negative_slope * x``."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, input):
        """Return leaky_relu(input)."""
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_InplaceActivation):
    """Elementwise x for x > 0, else ``alpha * (exp(x) - 1)``."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, input):
        """Return elu(input)."""
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(_InplaceActivation):
    """Elementwise ``scale * elu(x, alpha)``, scale 1.0507 and alpha 1.6733 (self-normalising)."""

    def forward(self, input):
        """Return selu(input)."""
        return F.selu(input)


class SiLU(_InplaceActivation):
    """Elementwise ``x * sigmoid(x)`` (the swish)."""

    def forward(self, input):
        """Return silu(input)."""
        return F.silu(input)


class GELU(Module):
    """Elementwise ``x * Phi(x)``, Phi the standard normal CDF (exact, via erf), or PyTorch's
    tanh approximation with ``approximate="tanh"``."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in F.GELU_APPROXIMATIONS:
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        """Return gelu(input)."""
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """Elementwise 1 / (1 + exp(-x))."""

    def forward(self, input):
        """Return sigmoid(input)."""
        return F.sigmoid(input)


class Tanh(Module):
    """Elementwise tanh(x)."""

    def forward(self, input):
        """Return tanh(input)."""
        return F.tanh(input)


class Softplus(Module):
    """Elementwise ``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        """Return softplus(input)."""
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Maxout(Module):
    """Max over consecutive groups of ``num_pieces`` elements of the last axis.

    Shape: (*, D) -> (*, D // num_pieces). Ties share the gradient evenly.

    Goodfellow et al. (2013); PyTorch has no such layer. Put a Linear with
    ``num_pieces`` times as many outputs before it.
    """

    def __init__(self, num_pieces):
        super().__init__()
        if not isinstance(num_pieces, int) or num_pieces < 1:
            raise ValueError(f"num_pieces must be a positive int, got {num_pieces!r}")
        self.num_pieces = num_pieces

    def forward(self, input):
        """Return maxout(input)."""
        return F.maxout(input, self.num_pieces)

    def extra_repr(self):
        return f"num_pieces={self.num_pieces}"


class Softmax(Module):
    """Softmax along ``dim``; ``dim=None`` is PyTorch's deprecated implicit choice (a warning,
    then dim 0 for 0-, 1- and 3-D input, else 1)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        """Return softmax(input, dim)."""
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax) along ``dim``, computed stably; ``dim=None`` as ``Softmax``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        """Return log_softmax(input, dim)."""
        return F.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"
