"""kissgrad's random sources: one default ``Generator`` that init, dropout and shuffling draw
from, and user-made ``Generator`` objects passed as ``generator=`` (as ``torch.Generator``)."""
import numbers

import numpy as np


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:  # PyTorch maps negative seeds to 2**64 + seed; NumPy refuses them
        seed = int(seed) + 2 ** 64
    return int(seed)


class Generator:
    """A random number generator (``torch.Generator``): pass it as ``generator=`` to factories,
    ``multinomial``, ``randperm``, ``DataLoader`` and ``random_split``.

    It wraps a NumPy ``np.random.Generator`` (``.rng``), so the numbers differ from PyTorch's
    for the same seed; a seeded run is repeatable within kissgrad.

    Example::

        g = kissgrad.Generator().manual_seed(2147483647)
        C = kissgrad.randn((27, 10), generator=g)
    """

    def __init__(self, device="cpu"):
        self.rng = np.random.default_rng()
        self._seed = None

    def manual_seed(self, seed):
        """Reseed; returns the generator itself, so ``Generator().manual_seed(n)`` chains."""
        self._seed = _check_seed(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        """The seed last given to ``manual_seed`` (None before the first)."""
        return self._seed

    def __repr__(self):
        return f"Generator(seed={self._seed})"


_default = Generator()


def manual_seed(seed):
    """Seed every random source the library uses (init, dropout, shuffling); returns the
    default ``Generator``.

    Example: ``kissgrad.manual_seed(0)`` makes a training run repeatable.
    """
    return _default.manual_seed(seed)


def default_generator(generator=None):
    """The ``np.random.Generator`` to draw from: ``generator``'s when one is given (a
    ``Generator`` or a NumPy generator), else the library's default (see ``manual_seed``)."""
    if generator is None:
        return _default.rng
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a kissgrad.Generator, got {type(generator).__name__}")
