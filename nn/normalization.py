"""BatchNorm1d: per-feature normalisation with running statistics for eval."""
import numpy as np

from autograd import Tensor, as_tensor

from . import functional as F
from . import init
from .module import Module, Parameter


class BatchNorm1d(Module):
    """Normalise each feature over the batch, then scale by ``weight`` and shift by ``bias``.

    Shape: (N, C) or (N, C, L). In training the batch mean and biased variance
    normalise, and ``running_mean``/``running_var`` move towards the batch mean and
    *unbiased* variance by ``momentum`` (``None``: a cumulative average); in eval the
    running statistics normalise. ``num_batches_tracked`` is kept as PyTorch does, so
    PyTorch state_dicts load as is. Parameters and buffers are float32.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=np.float32):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def forward(self, input):
        """Return the normalised, scaled and shifted input."""
        input = as_tensor(input)
        if input.ndim not in (2, 3) or input.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d({self.num_features}) expects input of shape "
                             f"(N, {self.num_features}) or (N, {self.num_features}, L), "
                             f"got {input.shape}")
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / int(self.num_batches_tracked.data)
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(input, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None,
                            self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")
