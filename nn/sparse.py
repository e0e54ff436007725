"""Embedding: a lookup table of trainable vectors."""
import numpy as np

from autograd import Tensor

from . import functional as F
from . import init
from ._factory import factory_dtype
from .module import Module, Parameter


class Embedding(Module):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by integer indices.

    Shape: indices (*) (an integer Tensor or ndarray) -> (*, embedding_dim). ``weight``
    starts as N(0, 1), as PyTorch, with the ``padding_idx`` row zeroed; that row gets no
    gradient. ``max_norm`` rescales looked-up rows in place, as PyTorch. Float or
    out-of-range indices raise clear errors; repeated indices accumulate their gradients.
    ``scale_grad_by_freq`` and ``sparse`` are not supported (NotImplementedError).

    Example::

        emb = nn.Embedding(10, 3, padding_idx=0)
        emb(np.array([[0, 2], [4, 0]])).shape   # (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        dtype = factory_dtype(device, dtype)
        if scale_grad_by_freq or sparse:
            raise NotImplementedError("Embedding: scale_grad_by_freq=True and sparse=True are "
                                      "not supported (gradients are dense and unscaled)")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = F._padding_index(padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        shape = (num_embeddings, embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            weight = _weight.raw if isinstance(_weight, Tensor) else np.asarray(_weight)
            if weight.shape != shape:
                raise ValueError(f"Embedding: _weight of shape {weight.shape} does not match "
                                 f"num_embeddings and embedding_dim {shape}")
            self.weight = Parameter(weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Draw fresh N(0, 1) values; the padding row is zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.raw[self.padding_idx] = 0

    def forward(self, input):
        """Return the embeddings of ``input``'s indices."""
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """Return an Embedding whose weight is a copy of the 2-D ``embeddings``; ``freeze``
        (default) keeps it from training (``requires_grad=False``), as PyTorch."""
        data = embeddings.raw if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{data.shape}")
        return cls(*data.shape, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=data,
                   _freeze=freeze, dtype=data.dtype)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        return text
