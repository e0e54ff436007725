"""``kissgrad.backends.mps``: Apple's GPU backend is not there, so ``is_available()`` is False."""


def is_available():
    """False: kissgrad computes on the CPU only."""
    return False


def is_built():
    """False."""
    return False
