"""The one random source of kissgrad: init, dropout and shuffling all draw from it."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Seed every random source the library uses (init, dropout, shuffling).

    Example: ``autograd.manual_seed(0)`` makes a training run repeatable.
    """
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator():
    """Return the library's current ``np.random.Generator`` (replaced by ``manual_seed``)."""
    return _generator
