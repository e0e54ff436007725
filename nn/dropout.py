"""Dropout."""
from . import functional as F
from .module import Module


class Dropout(Module):
    """Training: zero each element with probability p, scale the rest by 1/(1-p). Eval: identity.

    The mask is drawn from ``autograd``'s generator (``autograd.manual_seed``).
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, input):
        """Return dropout(input, p, self.training)."""
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
