"""kissgrad.utils: PyTorch's ``torch.utils`` namespace (``kissgrad.utils.data``)."""
from . import data

__all__ = ["data"]
