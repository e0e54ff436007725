"""The ``device=``/``dtype=`` keywords PyTorch's layers take (``factory_kwargs``)."""
import numpy as np

from autograd.tensor import check_device


def factory_dtype(device=None, dtype=None):
    """Return the dtype of a layer's parameters: ``dtype`` (default float32), a float dtype,
    after checking that ``device`` is the CPU (the only one there is)."""
    if device is not None:
        check_device(device)
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    if dtype.kind != "f":
        raise TypeError(f"layer parameters must be floating point, got dtype={dtype}")
    return dtype
