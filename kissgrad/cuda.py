"""``kissgrad.cuda``: kissgrad has no GPU backend, so ``is_available()`` is False and
``torch.device("cuda" if torch.cuda.is_available() else "cpu")`` picks the CPU."""


def is_available():
    """False: kissgrad computes on the CPU only."""
    return False


def device_count():
    """0: there are no GPUs kissgrad can use."""
    return 0


def manual_seed(seed):
    """Does nothing (there is no GPU generator); ``kissgrad.manual_seed`` seeds the CPU one."""


manual_seed_all = manual_seed
