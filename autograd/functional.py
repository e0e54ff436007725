"""Whole-function derivatives as ``torch.autograd.functional``: ``jacobian``, ``hessian`` and the
products ``vjp``, ``jvp``, ``vhp``, ``hvp`` (each returning ``(fn(inputs), product)``)."""
import numpy as np

from .engine import grad
from .tensor import Tensor


def _fresh_input(x):
    """A float leaf that requires grad, holding ``x``'s data (the caller's tensor is untouched)."""
    data = x.raw if isinstance(x, Tensor) else np.asarray(x)
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
    for k in range(y.numel()):
        seed = np.zeros(y.numel(), dtype=y.dtype)
        seed[k] = 1
        (g,) = grad(y, x, grad_outputs=seed.reshape(y.shape), retain_graph=True,
                    create_graph=create_graph, allow_unused=True)
        rows.append(g if g is not None else Tensor(np.zeros(x.shape, dtype=x.dtype)))
    if create_graph:
        from .tensor import stack
        return stack(rows).reshape(y.shape + x.shape)
    return Tensor(np.stack([r.raw for r in rows]).reshape(y.shape + x.shape))


def hessian(fn, x):
    """Return the Hessian of scalar ``fn`` at ``x``, shape ``x.shape + x.shape``."""
    x = _fresh_input(x)

    def gradient(t):
        y = fn(t)
        if y.numel() != 1:
            raise ValueError(f"hessian needs a scalar function; fn returned shape {y.shape}")
        (g,) = grad(y, t, create_graph=True, allow_unused=True)
        return g if g is not None else t * 0

    x.requires_grad_(True)
    return jacobian(gradient, x, create_graph=True).detach()


def _inputs(inputs):
    """Fresh float leaves for ``inputs`` (a Tensor or a tuple), and whether it was a tuple."""
    is_tuple = isinstance(inputs, (tuple, list))
    return [_fresh_input(x) for x in (inputs if is_tuple else (inputs,))], is_tuple


def _vectors(v, like, name):
    vs = list(v) if isinstance(v, (tuple, list)) else [v]
    shapes = [tuple(np.shape(getattr(a, "raw", a))) for a in vs]
    if len(vs) != len(like) or any(s != b.shape for s, b in zip(shapes, like)):
        raise ValueError(f"{name}: v must match the shapes {[b.shape for b in like]}, got {shapes}")
    return [a if isinstance(a, Tensor) else Tensor(np.asarray(a, dtype=b.dtype)) for a, b in zip(vs, like)]


def _shaped(results, is_tuple):
    results = tuple(r.detach() if r is not None else None for r in results)
    return results if is_tuple else results[0]


def _grads(y, xs, seed=None, create_graph=False):
    gs = grad(y, xs, grad_outputs=seed, retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [g if g is not None else x * 0 for g, x in zip(gs, xs)]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product (v may be omitted for a scalar output)."""
    xs, is_tuple = _inputs(inputs)
    y = func(*xs)
    seed = None if v is None else _vectors(v, [y], "vjp")[0]
    return y.detach(), _shaped(_grads(y, xs, seed, create_graph), is_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by differentiating a vjp (the
    "double backward" trick) so no forward mode is needed."""
    xs, is_tuple = _inputs(inputs)
    vs = _vectors(v if v is not None else [Tensor(np.ones(x.shape, x.dtype)) for x in xs], xs, "jvp")
    y = func(*xs)
    u = Tensor(np.zeros(y.shape, dtype=y.dtype), requires_grad=True)
    gs = _grads(y, xs, u, create_graph=True)
    total = sum((g * w).sum() for g, w in zip(gs, vs))
    (jv,) = grad(total, u, allow_unused=True)
    return y.detach(), (jv if jv is not None else u.detach() * 0).detach()


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``: a gradient of the gradient along ``v``."""
    xs, is_tuple = _inputs(inputs)
    vs = _vectors(v, xs, "vhp")
    y = func(*xs)
    if y.numel() != 1:
        raise ValueError(f"vhp/hvp need a scalar function; func returned shape {y.shape}")
    gs = _grads(y, xs, create_graph=True)
    total = sum((g * w).sum() for g, w in zip(gs, vs))
    return y.detach(), _shaped(_grads(total, xs) if total.requires_grad else [x * 0 for x in xs], is_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``; the Hessian of a twice-differentiable function is symmetric,
    so this is ``vhp``."""
    return vhp(func, inputs, v, create_graph, strict)
