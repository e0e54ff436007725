"""``kissgrad.backends``: ``backends.mps.is_available()`` (False), as PyTorch scripts ask it."""
from . import mps

__all__ = ["mps"]
