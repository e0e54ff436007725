"""Parameters as one flat vector and back, as ``torch.nn.utils``."""
import numpy as np

from autograd import Tensor, cat, no_grad


def parameters_to_vector(parameters):
    """Return every parameter flattened and joined into one 1-d Tensor (differentiable)."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if not parameters:
        raise ValueError("parameters_to_vector: no parameters given")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, in place; returns None."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected vec to be a Tensor, but got {type(vec).__name__}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    needed = sum(p.raw.size for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != needed:
        raise ValueError(f"vector_to_parameters: vec has shape {vec.shape}, the parameters need "
                         f"({needed},)")
    offset = 0
    with no_grad():
        for p in parameters:
            p.raw[...] = np.reshape(vec.raw[offset:offset + p.raw.size], p.shape)
            offset += p.raw.size
