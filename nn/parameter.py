"""Parameter: a Tensor that a Module registers when it is assigned as an attribute."""
import numpy as np

from autograd import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad; assigning it to a Module attribute registers it.

    ``Parameter(data=None, requires_grad=True)``: the data is copied; Python numbers and
    lists become float32, ndarrays keep their float dtype; None gives an empty tensor.

    Example::

        w = nn.Parameter(np.zeros((3, 2)))
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data.raw if isinstance(data, Tensor) else data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
