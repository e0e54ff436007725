"""What the engine tests share: float64 leaves and a closeness check."""
import numpy as np

from autograd import Tensor


def leaf(values, dtype=np.float64):
    """A float64 (or ``dtype``) leaf that requires grad."""
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    """``actual`` (a Tensor or an array) equals ``expected`` to tight tolerances."""
    actual = actual.numpy() if isinstance(actual, Tensor) else actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)
