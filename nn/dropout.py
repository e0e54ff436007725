"""Dropout and Dropout2d."""
from . import functional as F
from .module import Module


class Dropout(Module):
    """Training: zero each element with probability p, scale the rest by 1/(1-p). Eval: identity.

    The mask is drawn from ``autograd``'s generator (``autograd.manual_seed``). ``inplace``
    is accepted, as PyTorch's signature has it; the result is computed out of place.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        F._check_p(p)
        self.p, self.inplace = p, inplace

    def forward(self, input):
        """Return dropout(input, p, self.training)."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Training: zero whole channels (each H x W plane) with probability p, scale the rest by
    1/(1-p). Eval: identity.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)`` (one sample's channels; see ``F.dropout2d`` for
    how this differs from PyTorch 2.13's 3-D behaviour).
    """

    def forward(self, input):
        """Return dropout2d(input, p, self.training)."""
        return F.dropout2d(input, self.p, self.training)
