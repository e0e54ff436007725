"""Which op is wrong, once gradcheck has found a mismatch that no kink explains: the function
is run again and each recorded op's own backward rule is checked against finite differences
of its forward at the values that op saw, in forward order; with ``second_order``
(gradgradcheck) each rule is also differentiated, as ``create_graph=True`` would."""
import math
import warnings

import numpy as np

from .engine import topological_order
from .grad_mode import enable_grad, no_grad
from .gradcheck_guards import as_tuple, to_float64
from .gradcheck_jacobian import compare, nonsmooth
from .node import Node
from .ops import sum_to_shape


def first_wrong_op(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, second_order=False):
    """Describe the first op (in forward order) whose backward disagrees with finite differences.

    An op that sees a non-differentiable point (a kink such as relu at 0) or non-finite
    values nearby is not judged. With ``second_order`` (gradgradcheck) an op whose rule
    is right but whose rule's own derivative is wrong is named too.
    """
    with enable_grad():
        outputs = [o for o in as_tuple(fn(*inputs)) if isinstance(o, Node) and o.requires_grad]
    order = topological_order(outputs)
    for position, node in enumerate(order):
        if node.op is not None:
            problem = _local_check(node, eps, atol, rtol)
            if problem is None and second_order:
                problem = _local_second_order_check(node, eps, atol, rtol)
            if problem:
                return (f"First op whose own backward is wrong: '{node.op.name}' (node {position} "
                        f"of {len(order)} in forward order) {problem}")
    return ("Every op's own backward agrees with finite differences at the values it saw "
            "(ops at a kink or next to a non-finite value are not judged); look for a forward "
            "that does not compute what its backward assumes.")


def _local_check(node, eps, atol, rtol):
    """Check one op's rule with a random output gradient u and random input direction v."""
    rng = np.random.default_rng(0)
    datas = [_as_float64(p) for p in node.parents]
    params = node.params or {}
    forward = node.op.forward if node.is_array else node.op.scalar
    out = forward(*datas, **params)
    u = rng.standard_normal(np.shape(out)) if node.is_array else 1.0
    with no_grad():
        grads = node.op.backward(u, out, *datas, **params)
    for j, (parent, g) in enumerate(zip(node.parents, grads)):
        if g is None or not parent.requires_grad or np.size(datas[j]) == 0:
            continue
        v = rng.standard_normal(np.shape(datas[j])) if node.is_array else 1.0

        def along(t, j=j, v=v):  # u . op(x + t v): the op's output seen along direction v
            return float(np.sum(u * forward(*_shifted(datas, j, t * v), **params)))

        analytic = float(np.sum(_reduced(g, datas[j]) * v))
        numeric = (along(eps) - along(-eps)) / (2 * eps)
        tol = atol + rtol * abs(numeric)
        if not math.isfinite(numeric) or abs(analytic - numeric) <= tol:
            continue
        if nonsmooth(float(np.sum(u * out)), along(eps), along(-eps), along(eps / 2),
                      along(-eps / 2), h=eps, tol=tol):
            continue
        return (f"for its input {j}: along a random direction finite differences give "
                f"{numeric:.8g} but its backward gives {analytic:.8g}.")
    return None


def _local_second_order_check(node, eps, atol, rtol):
    """Check one op's rule, run on nodes as under create_graph, against its finite differences."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the float32 warning is for the user's inputs
        parents = to_float64(node.parents)
    u = np.random.default_rng(0).standard_normal(np.shape(node.raw)) if node.is_array else 1.0
    params = node.params or {}

    def rule(*xs):
        out = node.op(*xs, **params)
        grads = node.op.backward(out._constant(u), out, *xs, **params)
        return tuple(g for g, x in zip(grads, xs) if g is not None and x.requires_grad)

    with enable_grad():
        if not any(p.requires_grad for p in parents) or not rule(*parents):
            return None
    targets = [i for i, p in enumerate(parents) if p.requires_grad]
    failure = compare(rule, parents, targets, eps, atol, rtol, True)
    if failure is None or not failure[1]:  # agrees, or a kink / non-finite value: not judged
        return None
    return ("for second derivatives: its backward rule is right but not differentiable as "
            "written (is part of it computed from raw data instead of with ops?).")


def _as_float64(node):
    if not node.is_array:
        return float(node.raw)
    return np.array(node.raw, dtype=np.float64) if node.raw.dtype.kind == "f" else node.raw


def _reduced(g, like):
    g = np.asarray(g, dtype=np.float64)
    return sum_to_shape(g, np.shape(like)) if g.shape != np.shape(like) else g


def _shifted(datas, j, delta):
    return [d + delta if k == j else d for k, d in enumerate(datas)]
