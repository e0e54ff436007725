"""Recording what backward sent where: ``record_grads()`` keeps, per node and per edge, the
gradient's L2 norm, largest |g| and NaN/Inf count (``GradStats``), never the arrays.

Statistics live as long as their nodes (weak references): recording never keeps a graph
alive. The drawing (``autograd.viz.draw``) and the page (``autograd.viz.page``) read them.
"""
import contextlib
import math
import weakref
from functools import partial

import numpy as np

from .. import engine
from ..node import Node

__all__ = ["GradStats", "record_grads", "grad_stats", "stats_of", "edge_stats"]


class GradStats:
    """Summary of one gradient: ``norm`` (L2, over its finite elements), ``max`` (largest
    finite |g|), ``nonfinite`` (count of NaN/Inf), ``size``, and ``value`` (the signed
    number itself for a one-element gradient, else None). Plain Python floats and ints."""

    __slots__ = ("norm", "max", "nonfinite", "size", "value")

    def __init__(self, g):
        data = g.raw if isinstance(g, Node) else g  # a node under create_graph
        a = np.asarray(data, dtype=np.float64)  # float64: squares of 1e20 must not overflow
        finite = np.isfinite(a)
        self.size = int(a.size)
        self.nonfinite = int(a.size - np.count_nonzero(finite))
        clean = a.ravel() if self.nonfinite == 0 else a[finite]
        self.norm = float(np.sqrt(np.dot(clean, clean)))
        self.max = float(np.max(np.abs(clean))) if clean.size else 0.0
        self.value = float(a.reshape(-1)[0]) if a.size == 1 else None

    @classmethod
    def combine(cls, parts):
        """The stats of all of ``parts`` taken as one gradient (None entries skipped);
        None when there is nothing to combine. The norm is the root of the summed squares."""
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        total = object.__new__(cls)
        total.norm = math.sqrt(sum(p.norm * p.norm for p in parts))
        total.max = max(p.max for p in parts)
        total.nonfinite = sum(p.nonfinite for p in parts)
        total.size = sum(p.size for p in parts)
        total.value = parts[0].value if len(parts) == 1 else None
        return total

    def as_dict(self):
        """The fields as a dict (JSON-ready: NaN/Inf never appear, they are counted)."""
        return {field: getattr(self, field) for field in self.__slots__}

    def __repr__(self):
        return (f"GradStats(norm={self.norm:.3g}, max={self.max:.3g}, "
                f"nonfinite={self.nonfinite}, size={self.size})")


class _Entry:
    """What is kept about one node: a weak reference to it, its stats, and the stats of
    the gradients it sent to its parents, as ``(id(parent), GradStats)`` in call order."""

    __slots__ = ("ref", "stats", "edges")


_RECORDED = {}  # id(node) -> _Entry; an entry is removed when its node dies


def _forget(key, ref):
    """Weakref callback: drop the entry of a node that died (unless the id was reused)."""
    entry = _RECORDED.get(key)
    if entry is not None and entry.ref is ref:
        del _RECORDED[key]


def _entry_of(node, create=False):
    """The live entry for ``node`` (checked by identity, so a reused id never matches)."""
    key = id(node)
    entry = _RECORDED.get(key)
    if entry is not None and entry.ref() is node:
        return entry
    if not create:
        return None
    entry = _Entry()
    entry.ref = weakref.ref(node, partial(_forget, key))  # no cycle: the callback holds an int
    entry.stats, entry.edges = None, []
    _RECORDED[key] = entry
    return entry


def grad_stats(node):
    """Return the ``GradStats`` recorded for ``node`` by ``record_grads``, or None."""
    entry = _entry_of(node)
    return None if entry is None else entry.stats


class _Recorder:
    """The observer ``record_grads`` installs on ``engine.RECORDING`` for its block."""

    def __init__(self, previous):
        self.previous = previous  # a foreign observer keeps getting its calls

    def node(self, node, g):
        entry = _entry_of(node, create=True)
        entry.stats, entry.edges = GradStats(g), []  # node() comes before its edges
        if self.previous is not None:
            self.previous.node(node, g)

    def edge(self, child, parent, g):
        _entry_of(child, create=True).edges.append((id(parent), GradStats(g)))
        if self.previous is not None:
            self.previous.edge(child, parent, g)

    grad_stats = staticmethod(grad_stats)

    def edge_stats(self, child):
        """``[(id(parent), GradStats), ...]`` for the gradients ``child`` sent back."""
        entry = _entry_of(child)
        return [] if entry is None else list(entry.edges)


@contextlib.contextmanager
def record_grads():
    """Context manager: backward inside it records, per node and per edge, the gradient's
    norm, max |g| and NaN/Inf count (never the arrays), for ``draw_graph`` to colour by.

    Statistics live as long as their nodes (weak references) and the latest backward
    through a node wins. Blocks nest; the previous observer is restored on exit.
    Without this block the engine pays one ``is None`` check per backward.

    Example::

        with kg.record_grads():
            loss.backward()
        kg.draw_graph(loss)
    """
    previous = engine.RECORDING.observer
    # an enclosing block's recorder writes the same store: chain to what it chains to
    foreign = previous.previous if isinstance(previous, _Recorder) else previous
    engine.RECORDING.observer = _Recorder(foreign)
    try:
        yield engine.RECORDING.observer
    finally:
        engine.RECORDING.observer = previous


def stats_of(node):
    """Recorded stats, else those of a leaf's (or retained) ``.grad``, else None."""
    recorded = grad_stats(node)
    if recorded is not None:
        return recorded
    if node.op is None or node._retains_grad:
        g = node.grad
        if node.is_array:
            return None if g is None else GradStats(g)
        # a Value's grad starts at 0.0: unrecorded, 0 cannot tell "none yet" from "vanished"
        return GradStats(g) if node.requires_grad and g != 0 else None
    return None


def edge_stats(node, stats_of_parent):
    """One entry per parent of ``node``: the stats of what flowed from ``node`` back to that
    parent (recorded), else for a leaf requiring grad ``stats_of_parent(parent)``, else None."""
    entry = _entry_of(node)
    recorded = {}
    for parent_id, stats in (entry.edges if entry is not None else ()):
        recorded.setdefault(parent_id, []).append(stats)
    result = []
    for parent in node.parents:
        queue = recorded.get(id(parent))
        if queue:
            result.append(queue.pop(0))
        elif parent.op is None and parent.requires_grad:
            result.append(stats_of_parent(parent))  # leaves: their .grad after backward
        else:
            result.append(None)
    return result
