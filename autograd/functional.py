"""Whole-function derivatives: ``jacobian`` and ``hessian`` (as ``torch.autograd.functional``)."""
import numpy as np

from .engine import grad
from .tensor import Tensor


def _fresh_input(x):
    """A float leaf that requires grad, holding ``x``'s data (the caller's tensor is untouched)."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype.kind != "f":
        data = data.astype(np.float32)
    return Tensor(data, requires_grad=True)


def jacobian(fn, x, create_graph=False):
    """Return d fn(x) / dx as a Tensor of shape ``fn(x).shape + x.shape``.

    Example: ``jacobian(lambda t: t ** 2, Tensor([1., 2.]))`` is ``[[2, 0], [0, 4]]``.
    """
    x = x if create_graph and isinstance(x, Tensor) and x.requires_grad else _fresh_input(x)
    y = fn(x)
    if not y.requires_grad:
        return Tensor(np.zeros(y.shape + x.shape, dtype=y.dtype))
    rows = []
    for k in range(y.size):
        seed = np.zeros(y.size, dtype=y.dtype)
        seed[k] = 1
        (g,) = grad(y, x, grad_outputs=seed.reshape(y.shape), retain_graph=True,
                    create_graph=create_graph, allow_unused=True)
        rows.append(g if g is not None else Tensor(np.zeros(x.shape, dtype=x.dtype)))
    if create_graph:
        from .tensor import stack
        return stack(rows).reshape(y.shape + x.shape)
    return Tensor(np.stack([r.data for r in rows]).reshape(y.shape + x.shape))


def hessian(fn, x):
    """Return the Hessian of scalar ``fn`` at ``x``, shape ``x.shape + x.shape``."""
    x = _fresh_input(x)

    def gradient(t):
        y = fn(t)
        if y.size != 1:
            raise ValueError(f"hessian needs a scalar function; fn returned shape {y.shape}")
        (g,) = grad(y, t, create_graph=True, allow_unused=True)
        return g if g is not None else t * 0

    x.requires_grad_(True)
    return jacobian(gradient, x, create_graph=True).detach()
