"""Embedding: a lookup table of trainable vectors."""
import numpy as np

from . import functional as F
from . import init
from .module import Module, Parameter


class Embedding(Module):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by integer indices.

    Shape: indices (*) (an integer Tensor or ndarray) -> (*, embedding_dim). ``weight``
    starts as N(0, 1), as PyTorch. Float or out-of-range indices raise clear errors;
    repeated indices accumulate their gradients. PyTorch's ``padding_idx``, ``max_norm``
    and ``sparse`` are not supported.
    """

    def __init__(self, num_embeddings, embedding_dim, dtype=np.float32):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        """Draw fresh N(0, 1) values."""
        init.normal_(self.weight)

    def forward(self, input):
        """Return the embeddings of ``input``'s indices."""
        return F.embedding(input, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
