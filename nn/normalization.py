"""BatchNorm1d, BatchNorm2d (running statistics for eval) and LayerNorm, as PyTorch's.

Training-mode batch norm and layer norm are one fused op each (``autograd.norm_ops``).
"""
import numpy as np

from autograd import Tensor, as_tensor

from . import functional as F
from . import init
from ._factory import factory_dtype
from .module import Module, Parameter


class _BatchNorm(Module):
    """Normalise each channel (dim 1) over the batch and the other dims, then scale by
    ``weight`` and shift by ``bias``.

    In training the batch mean and biased variance normalise, and ``running_mean``/
    ``running_var`` move towards the batch mean and *unbiased* variance by ``momentum``
    (``None``: a cumulative average); in eval the running statistics normalise (without
    ``track_running_stats``, the batch's always do). ``num_batches_tracked`` is kept as
    PyTorch does, so PyTorch state_dicts load as is. Parameters and buffers are float32
    unless ``dtype`` says otherwise; ``bias=False`` (keyword only, as PyTorch) drops the shift.
    """

    ranks, expected = range(2, 9), "(N, C, *)"  # what a subclass takes, for its error message

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
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

    def reset_parameters(self):
        """Running statistics reset; weight 1 and bias 0."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _check_input_dim(self, input):
        if input.ndim not in self.ranks or input.shape[1] != self.num_features:
            c = self.num_features
            shapes = self.expected.replace("C", str(c))
            raise ValueError(f"{type(self).__name__}({c}) expects input of shape {shapes}, "
                             f"got {input.shape}")

    def forward(self, input):
        """Return the normalised, scaled and shifted input."""
        input = as_tensor(input)
        self._check_input_dim(input)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.raw += 1
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / int(self.num_batches_tracked.raw)
        use_batch = self.training or not self.track_running_stats
        return F.batch_norm(input, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None,
                            self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C (see ``_BatchNorm``)."""

    ranks, expected = (2, 3), "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel C over N, H and W.

    Example::

        bn = nn.BatchNorm2d(16)
        bn(autograd.randn(8, 16, 14, 14)).shape   # (8, 16, 14, 14)
    """

    ranks, expected = (4,), "(N, C, H, W)"


class LayerNorm(Module):
    """Normalise over the last ``len(normalized_shape)`` dims of each sample, then scale by
    ``weight`` and shift by ``bias`` (both of ``normalized_shape``: ones and zeros).

    Shape: ``(*, *normalized_shape)`` -> the same. The variance is biased, as PyTorch's;
    the same in training and eval.

    Example::

        ln = nn.LayerNorm(64)
        ln(autograd.randn(8, 10, 64)).shape   # (8, 10, 64)
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self):
        """Weight 1 and bias 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        """Return the normalised, scaled and shifted input."""
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
