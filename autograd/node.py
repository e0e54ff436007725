"""The graph's vertex: ``Node``, its hook handle, and the numbering of nodes as they are made.

This module imports nothing from the package: ``Tensor`` and ``Value`` build on it, the ops
test for it, the engine walks it.
"""
import itertools
import operator


class Node:
    """A vertex of the graph: a leaf (``op is None``) or the output of ``op`` on ``parents``.

    Subclasses (``Tensor``, ``Value``) say how raw data is wrapped and how a leaf
    accumulates its gradient; everything the engine needs is in these slots.
    """

    __slots__ = ("raw", "grad", "requires_grad", "op", "parents", "params", "saved",
                 "_hooks", "_retains_grad", "_seq", "__weakref__")
    is_array = True  # Tensor: gradients are reduced back to the parent's shape
    empty_grad = None  # what .grad holds before any backward (Value: 0.0, as micrograd)

    @classmethod
    def _node(cls, data, op, parents, params, requires_grad, saved=None):
        """A new node of this class, bypassing ``__init__``'s checks (the ops' hot path).

        ``saved`` is what the forward of an op that saves left for its backward (conv2d's
        im2col columns, max pooling's winners), kept until backward releases it.
        """
        node = object.__new__(cls)  # one statement per slot: packing them in tuples is slower
        node.raw = data
        node.grad = cls.empty_grad
        node.requires_grad = requires_grad
        node.op = op
        node.parents = parents
        node.params = params
        node.saved = saved
        node._hooks = None
        node._retains_grad = False
        node._seq = new_sequence_number()  # larger than its parents': see backward
        return node

    def register_hook(self, hook):
        """Call ``hook(grad)`` with the gradient flowing into this node; a returned value replaces it.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a node that does not require grad")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return HookHandle(self._hooks, hook)

    def _apply(self, op, args, params):  # pragma: no cover - subclasses implement
        raise NotImplementedError

    def _accumulate_grad(self, g, create_graph, sole_reference):  # pragma: no cover
        raise NotImplementedError

    def _wrap(self, raw):  # pragma: no cover
        raise NotImplementedError


class HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        """Unregister the hook (a second call does nothing)."""
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


new_sequence_number = itertools.count(1).__next__
"""Numbers every node as it is made (``_seq``): a node's number is larger than its parents'."""
SEQUENCE_NUMBER = operator.attrgetter("_seq")
