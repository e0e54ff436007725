"""Loss modules: each holds its options and calls ``nn.functional``.

Signatures are PyTorch's, the deprecated ``size_average``/``reduce`` included (they set
``reduction`` with a warning). ``reduction`` is "mean" (default), "sum" or "none"
everywhere. Class weights and ``pos_weight`` are buffers, as in PyTorch, so they appear
in ``state_dict``. Prediction and target shapes must match exactly (ValueError naming
both), where PyTorch would broadcast with a warning.
"""
from autograd import Tensor

from . import functional as F
from .module import Module


class _Loss(Module):
    """Base of the losses: validates and keeps ``reduction``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        reduction = F.legacy_reduction(size_average, reduce, reduction)
        F._check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with per-class ``weight``, kept as a buffer (None: not in state_dict)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor_or_none(weight))


def _as_tensor_or_none(value):
    return None if value is None or isinstance(value, Tensor) else Tensor(value)


class MSELoss(_Loss):
    """Mean squared error (input - target)**2."""

    def forward(self, input, target):
        """Return the reduced squared error."""
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |input - target| (MAE)."""

    def forward(self, input, target):
        """Return the reduced absolute error."""
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """0.5 d**2 for |d| < delta, else delta (|d| - 0.5 delta), with d = input - target.

    ``delta`` must be > 0 (ValueError, here and in ``F.huber_loss``).
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        F._check_positive("delta", delta, "HuberLoss")
        self.delta = delta

    def forward(self, input, target):
        """Return the reduced Huber loss."""
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """0.5 d**2 / beta for |d| < beta, else |d| - 0.5 beta, with d = input - target.

    The Huber loss divided by ``beta``; ``beta=0`` is the L1 loss, a negative beta raises
    ValueError, as in PyTorch.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        F._check_positive("beta", beta, "SmoothL1Loss", allow_zero=True)
        self.beta = beta

    def forward(self, input, target):
        """Return the reduced smooth L1 loss."""
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits (N, C) against integer labels (N,) or class probabilities (N, C).

    Also (N, C, *d) with labels (N, *d), and PyTorch's ``weight``, ``ignore_index`` and
    ``label_smoothing``. Combines log_softmax and nll_loss in one fused, stable op.

    Example::

        loss = nn.CrossEntropyLoss()(model(x), y)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        """Return the reduced cross-entropy."""
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (N, C) (from LogSoftmax) and labels (N,)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        """Return the reduced negative log-likelihood."""
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities in [0, 1] (logs clamped at -100, as PyTorch)."""

    def forward(self, input, target):
        """Return the reduced binary cross-entropy."""
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(logits), computed stably from the logits."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor_or_none(weight))
        self.register_buffer("pos_weight", _as_tensor_or_none(pos_weight))

    def forward(self, input, target):
        """Return the reduced binary cross-entropy."""
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)
