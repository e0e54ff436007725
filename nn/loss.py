"""Loss modules: each holds its options and calls ``nn.functional``.

``reduction`` is "mean" (default), "sum" or "none" everywhere. Prediction and target
shapes must match exactly (ValueError naming both), where PyTorch would broadcast
with a warning.
"""
from . import functional as F
from .module import Module


class _Loss(Module):
    """Base of the losses: validates and keeps ``reduction``."""

    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error (input - target)**2."""

    def forward(self, input, target):
        """Return the reduced squared error."""
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |input - target| (MAE)."""

    def forward(self, input, target):
        """Return the reduced absolute error."""
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """0.5 d**2 for |d| < delta, else delta (|d| - 0.5 delta), with d = input - target."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        """Return the reduced Huber loss."""
        return F.huber_loss(input, target, self.reduction, self.delta)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (N, C) against integer labels (N,) or class probabilities (N, C).

    Also (N, C, *d) with labels (N, *d), and PyTorch's ``weight``, ``ignore_index`` and
    ``label_smoothing``. Combines log_softmax and nll_loss in one fused, stable op.

    Example::

        loss = nn.CrossEntropyLoss()(model(x), y)
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input, target):
        """Return the reduced cross-entropy."""
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C) (from LogSoftmax) and labels (N,)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        """Return the reduced negative log-likelihood."""
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1] (logs clamped at -100, as PyTorch)."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        """Return the reduced binary cross-entropy."""
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        """Return the reduced binary cross-entropy."""
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)
