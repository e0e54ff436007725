"""Pickling and deep copies of tensors, as PyTorch does them.

``pickle`` stores a tensor's class, data and ``requires_grad``, and it comes back a leaf: the
graph (whose ops hold functions pickle cannot store), ``.grad`` and hooks are left out.
``copy.deepcopy`` copies every slot instead, gradients and graph included.
"""
import copy

import numpy as np


def rebuild_leaf(cls, data, requires_grad):
    """A leaf of class ``cls`` (Tensor, Parameter) holding ``data``: what unpickling gives."""
    leaf = cls._node(np.asarray(data), None, (), None, False)
    return leaf.requires_grad_(True) if requires_grad else leaf


def rebuild_value(cls, data, requires_grad, label):
    """A leaf Value: what unpickling a pickled Value gives."""
    return cls(data, requires_grad=requires_grad, label=label)


def reduce_value(value):
    """What pickle stores for a ``Value``: its data, ``requires_grad`` and label (a leaf comes
    back, as for tensors: the graph's ops hold functions pickle cannot store)."""
    return rebuild_value, (type(value), value.raw, value.requires_grad, value.label)


def reduce_leaf(tensor):
    """What pickle stores for ``tensor``, as PyTorch: its class, data and ``requires_grad``.

    It comes back a leaf: the graph (``grad_fn``, whose ops hold unpicklable functions),
    ``.grad`` and hooks are left out, as PyTorch leaves them out (a non-leaf that requires
    grad comes back a leaf that requires grad). For ``Tensor.__reduce__``.
    """
    return rebuild_leaf, (type(tensor), tensor.raw, tensor.requires_grad)


def deepcopy_node(node, memo):
    """A deep copy of every slot of ``node`` (data, ``.grad``, graph): ``copy.deepcopy``'s
    behaviour without ``__reduce__``, kept for ``Tensor.__deepcopy__`` so that deep copies
    of models still carry their gradients when pickling drops them."""
    twin = object.__new__(type(node))
    memo[id(node)] = twin
    for slot in _node_slots(type(node)):
        if hasattr(node, slot):
            setattr(twin, slot, copy.deepcopy(getattr(node, slot), memo))
    return twin


def _node_slots(cls):
    """Every data slot ``cls`` and its bases declare (``__weakref__`` is no data)."""
    return [slot for klass in cls.__mro__ for slot in getattr(klass, "__slots__", ())
            if slot != "__weakref__"]
