"""The engine: the graph's topological order and reverse-mode backward.

It sees only the node fields ``raw grad requires_grad op parents params saved`` (plus the
optional hooks and retain-grad flag; ``Node`` is in ``node.py``), so one engine serves the
array ``Tensor`` and
the scalar ``Value``. Nodes point at their parents, never at their children or at a
closure over themselves: a graph has no reference cycle and is freed by reference
counting as soon as its root is dropped.
"""
from sys import getrefcount

import numpy as np

from .anomaly import ANOMALY, check_backward
from .grad_mode import GRAD_MODE
from .node import SEQUENCE_NUMBER, HookHandle, Node, new_sequence_number  # noqa: F401 (re-exported)
from .ops import CAST, NO_PARAMS, SUM_TO
from .versions import LATEST, check_unchanged

RELEASED = object()  # stands in for a node's params once backward has freed them

_RELEASED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use values that were "
    "already freed by a previous backward). Pass retain_graph=True to the first "
    "backward() or grad() call if you need to backward through the graph again."
)


def _references_to_a_local():
    """What ``getrefcount`` reports for an object held by one local variable and nothing else.

    Measured rather than assumed (interpreters count borrowed references differently);
    backward compares against it with the same expression, on its own local ``g``.
    """
    local = np.empty(0)
    return getrefcount(local)


SOLE_REFERENCE = _references_to_a_local()


class _Recording:
    """Who backward reports gradients to: None, or an object with ``node(node, g)`` and
    ``edge(child, parent, g)`` methods (set by ``autograd.viz.record_grads``)."""

    observer = None


RECORDING = _Recording()


def topological_order(roots, follow=None):
    """Nodes reachable from ``roots`` through parents that ``follow`` accepts (by default those
    requiring grad), parents before children; no recursion.

    Every node is numbered when it is made, so after its parents: the order is one
    traversal and a sort by that number, in C, with no post-order bookkeeping per node.
    """
    seen = {id(root): root for root in roots}  # also the nodes found, in the order found
    stack = list(seen.values())
    pop, push = stack.pop, stack.append
    while stack:
        for p in pop().parents:
            key = id(p)
            if key not in seen and (p.requires_grad if follow is None else follow(p)):
                seen[key] = p
                push(p)
    order = list(seen.values())
    order.sort(key=SEQUENCE_NUMBER)
    return order


def _run_hooks(node, g, create_graph):
    """Pass ``g`` through the node's hooks; a hook returning None leaves it unchanged, one
    returning a gradient of another shape or kind raises, naming the hook."""
    for hook in node._hooks:
        wrapped = g if create_graph else node._wrap(g)
        result = hook(wrapped)
        if result is not None:
            _check_hook_result(hook, node, wrapped, result)
            g = result if create_graph else getattr(result, "raw", result)
    return g


def _check_hook_result(hook, node, g, result):
    """A hook's replacement gradient must look like the one it was given (as PyTorch checks)."""
    name = getattr(hook, "__qualname__", repr(hook))
    if not node.is_array:
        if not isinstance(getattr(result, "raw", result), (int, float)):
            raise TypeError(f"hook {name} returned {type(result).__name__}; a Value's hook must "
                            f"return a number, a Value or None")
        return
    raw, expected = getattr(result, "raw", result), getattr(g, "raw", g)
    if not isinstance(raw, np.ndarray):
        raise TypeError(f"hook {name} returned {type(result).__name__}; a tensor hook must return "
                        f"a Tensor of shape {expected.shape} or None")
    if raw.shape != expected.shape:
        raise RuntimeError(f"hook {name} returned a gradient of shape {raw.shape}, but the tensor "
                           f"it is registered on has shape {expected.shape}")
    if raw.dtype.kind != expected.dtype.kind:
        raise TypeError(f"hook {name} returned a gradient of dtype {raw.dtype}, but the tensor it "
                        f"is registered on has dtype {expected.dtype}")


def _call_rule(node, g, create_graph):
    """Run the node's backward rule on nodes (create_graph) or on raw data (fast path).

    An op whose ``rules`` holds one rule per input gets only the gradients its parents
    need: a first layer's input gradient (a GEMM, and col2im for a convolution) is not
    computed for data that does not require grad. An op that saves gets what its forward
    left in the node as ``saved=`` (on both paths: it holds raw arrays, constants of the graph).
    """
    params = node.params
    if params is RELEASED:
        raise RuntimeError(_RELEASED_MESSAGE)
    parents, op = node.parents, node.op
    if create_graph:
        inputs, out = parents, node
    elif len(parents) == 2:  # most nodes; a list comprehension costs twice as much (3.11)
        inputs, out = (parents[0].raw, parents[1].raw), node.raw
    elif len(parents) == 1:
        inputs, out = (parents[0].raw,), node.raw
    else:
        inputs, out = [p.raw for p in parents], node.raw
    if op.simple:  # most nodes: one rule, nothing saved
        if params is None:  # no ** unpacking
            return op.backward(g, out, *inputs)
        return op.backward(g, out, *inputs, **params)
    if op.saves:
        params = dict(params or NO_PARAMS, saved=node.saved)
    if op.rules is None:
        return op.backward(g, out, *inputs, **params)
    return _call_rules(op.rules, parents, g, out, inputs, params or NO_PARAMS)


def _call_rules(rules, parents, g, out, inputs, params):
    """One rule per input, run only for the parents that require grad (None for the others)."""
    grads = []
    for rule, parent in zip(rules, parents):
        grads.append(rule(g, out, *inputs, **params) if parent.requires_grad else None)
    return grads


def backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None):
    """Propagate ``root_grads`` from ``roots`` to every node that requires grad.

    Without ``inputs`` gradients accumulate into ``.grad`` of leaves (and of nodes
    that called ``retain_grad``). With ``inputs`` nothing is stored: the total
    gradient reaching each input is returned in a dict keyed by ``id(input)``.
    Unless ``retain_graph``, each node's params and saved arrays are released as it is used.

    One loop, its rare steps in helpers (hooks, version and anomaly checks): the per-node
    work stays inline because a method call per node (a ``_Run.visit`` tried for
    readability) made micrograd-style scalar backward 5-9% slower (``python -m
    bench.overhead``).
    """
    order = topological_order(roots)
    pending = {}
    for root, g in zip(roots, root_grads):
        _add_pending(pending, root, g)
    wanted = None if inputs is None else {id(x) for x in inputs}
    captured = {}
    observer = RECORDING.observer
    checking = ANOMALY.enabled
    previous_mode = GRAD_MODE.enabled
    GRAD_MODE.enabled = create_graph  # rules are recorded only when building a graph
    pop, get = pending.pop, pending.get  # the hot path of backward: bound once
    # a node's parents are of its kind (Tensor or Value), so a root's whole graph is of its kind:
    # read once, not per node (reading the class attribute per node cost 1% of a scalar backward)
    kinds = {root.is_array for root in roots}
    is_array, mixed_kinds = True in kinds, len(kinds) > 1
    # gradient buffers the engine allocated for ops that accumulate (getitem): only these are
    # written in place; others may be a user's array or shared by two edges (add's g, g)
    owned = {}
    accumulating = not create_graph and observer is None and not checking
    try:
        for node in reversed(order):
            g = pop(id(node), None)
            if g is None:
                continue
            if owned:
                owned.pop(id(node), None)
            if node._hooks:
                g = _run_hooks(node, g, create_graph)
            if observer is not None:
                observer.node(node, g)
            if wanted is not None:
                if id(node) in wanted:
                    captured[id(node)] = g
            elif node.op is None or node._retains_grad:
                # a gradient nothing else refers to may become .grad without a copy, as
                # PyTorch's AccumulateGrad steals a gradient whose use count is one (counted
                # before the call, whose argument list would hold one more reference)
                sole_reference = getrefcount(g) == SOLE_REFERENCE
                node._accumulate_grad(g, create_graph, sole_reference)
            op = node.op
            if op is None:
                continue
            if node._seq < LATEST.seq:  # made before the latest in-place change: did it see it?
                check_unchanged(node)
            parents = node.parents
            if node.params is None and op.simple and not create_graph:
                # most nodes (a binary or unary op on raw data): the rule called here, saving a call
                if len(parents) == 2:
                    grads = op.backward(g, node.raw, parents[0].raw, parents[1].raw)
                elif len(parents) == 1:
                    grads = op.backward(g, node.raw, parents[0].raw)
                else:
                    grads = _call_rule(node, g, create_graph)
            elif op.accumulate is not None and accumulating:
                _accumulate_into_parent(node, g, pending, owned)
                grads = ()
            else:
                grads = _call_rule(node, g, create_graph)
            if checking:
                check_backward(node, g, grads)
            if mixed_kinds:
                is_array = node.is_array
            for parent, parent_grad in zip(parents, grads):
                if parent_grad is None or not parent.requires_grad:
                    continue
                if is_array and parent_grad.shape != parent.raw.shape:
                    parent_grad = SUM_TO(parent_grad, shape=parent.raw.shape)
                if observer is not None:
                    observer.edge(node, parent, parent_grad)
                key = id(parent)  # written out, not _add_pending: a call per edge costs
                previous = get(key)
                pending[key] = parent_grad if previous is None else previous + parent_grad
            # let go of this node's gradients: a reference kept here would stop a leaf adopting one
            grads = parent_grad = previous = None
            if not retain_graph:
                node.params = RELEASED
                node.saved = None
    finally:
        GRAD_MODE.enabled = previous_mode
    _check_nothing_left(pending)
    return captured


def _accumulate_into_parent(node, g, pending, owned):
    """Add ``g`` into the gradient pending for the node's one parent through ``op.accumulate``,
    in place in a buffer of the parent's shape that the engine allocated (once per parent)."""
    if node.params is RELEASED:
        raise RuntimeError(_RELEASED_MESSAGE)
    parent = node.parents[0]
    if not parent.requires_grad:
        return
    key = id(parent)
    previous = pending.get(key)
    buffer = owned.get(key)
    if buffer is None or buffer is not previous or np.result_type(buffer, g) != buffer.dtype:
        dtype = g.dtype if previous is None else np.result_type(previous, g)
        buffer = (np.zeros(parent.raw.shape, dtype) if previous is None
                  else np.array(previous, dtype, order="C"))
        pending[key] = owned[key] = buffer
    node.op.accumulate(buffer, g, **node.params)


class _InPlace:
    """Whether any recorded in-place op has run (``Tensor._become``): only then can a gradient
    arrive at a node after its turn, which backward then reports."""

    seen = False


IN_PLACE = _InPlace()


def note_in_place():
    """Called by a recorded in-place op (see ``_InPlace``)."""
    IN_PLACE.seen = True


def _check_nothing_left(pending):
    if pending and IN_PLACE.seen:
        raise RuntimeError("one of the tensors needed for gradient computation was modified by an "
                           "in-place operation (t[i] = v, +=, add_) after an op had used it; "
                           "compute a new tensor instead (torch.cat, torch.stack, x = x + y)")


def _add_pending(pending, node, g):
    """Add ``g`` to the gradient waiting at ``node`` (a fresh sum, never in place)."""
    key = id(node)
    previous = pending.get(key)
    pending[key] = g if previous is None else previous + g


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Return the gradients of ``outputs`` with respect to ``inputs`` as a tuple; ``.grad`` is untouched.

    ``grad_outputs`` weights each output (needed for non-scalar outputs). With
    ``create_graph=True`` the returned gradients are differentiable themselves
    (Hessian-vector products, gradient penalties). An input the outputs do not
    depend on raises unless ``allow_unused=True``, which gives None for it.
    """
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    seeds = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outputs)
    if len(seeds) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(seeds)} grad_outputs")
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError("grad: an output does not require grad and has no grad_fn")
    for x in inputs:
        if not x.requires_grad:
            raise RuntimeError("grad: an input does not require grad; call requires_grad_() on it")
    retain = create_graph if retain_graph is None else retain_graph
    roots = [out._seed_gradient(seed, create_graph) for out, seed in zip(outputs, seeds)]
    captured = backward(outputs, roots, retain, create_graph, inputs=inputs)
    return tuple(_captured_grad(x, captured.get(id(x)), create_graph, allow_unused) for x in inputs)


def _captured_grad(x, g, create_graph, allow_unused):
    """Wrap the gradient captured for input ``x`` as a node of x's kind."""
    if g is None:
        if allow_unused:
            return None
        raise RuntimeError("grad: one of the inputs was not used to compute the outputs; "
                           "pass allow_unused=True to get None for it")
    if create_graph:
        if x.is_array and g.dtype != x.raw.dtype:  # as .grad does: the input's own dtype
            return CAST(g, dtype=x.raw.dtype)
        return g
    if x.is_array:  # a fresh, writable copy: g may be the caller's grad_outputs or a view
        return x._wrap(np.array(g, dtype=x.raw.dtype))
    return x._wrap(g)
