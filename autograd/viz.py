"""Draw the backward graph with Graphviz, coloured by how much gradient flowed where.

``draw_graph(loss)`` returns a ``graphviz.Digraph``: one box per tensor/value, one
ellipse per op, inputs on the left and the output on the right. After backward,
leaves (and the edges leaving them) are coloured by the magnitude of their ``.grad``;
run backward inside ``with record_grads():`` and every node and edge is coloured by
the gradient that flowed through it. The colour is the gradient's L2 norm on a fixed
log scale (``LOG10_RANGE``: 1e-10 indigo, 1e-6 cyan, 1e-2 lime, 1 yellow, 1e6 dark
red), so vanishing gradients show blue and exploding ones red at a glance; NaN/Inf
gradients are magenta. Building the Digraph and its ``.source`` needs no Graphviz
binary; ``.render()``, ``.pipe()``, ``render_graph`` and Jupyter's inline SVG do.

This module reads the graph and never edits it; nothing in it recurses, so graphs
of any depth can be drawn (cut with ``max_nodes``).
"""
import contextlib
import html
import os
import weakref
from collections import deque
from functools import partial

import graphviz
import numpy as np

from . import engine
from .node import Node

__all__ = ["draw_graph", "record_grads", "render_graph", "grad_stats", "GradStats",
           "GraphvizNotFoundError", "colour_of", "LOG10_RANGE", "NONFINITE_COLOUR"]

# --- recording: per-node statistics, never the arrays ---------------------------------


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

        with autograd.viz.record_grads():
            loss.backward()
        autograd.viz.draw_graph(loss)
    """
    previous = engine.RECORDING.observer
    # an enclosing block's recorder writes the same store: chain to what it chains to
    foreign = previous.previous if isinstance(previous, _Recorder) else previous
    engine.RECORDING.observer = _Recorder(foreign)
    try:
        yield engine.RECORDING.observer
    finally:
        engine.RECORDING.observer = previous


# --- colours: a fixed log scale -------------------------------------------------------

LOG10_RANGE = (-10.0, 6.0)
"""The colour scale covers gradient norms 1e-10 .. 1e6 (clamped outside); 0 gets the bottom."""
# turbo, sampled every two decades: indigo (vanishing) .. lime/yellow (healthy) .. dark red
_PALETTE = ["#3b2f7f", "#467df4", "#20c6df", "#38f491", "#a4fc3b", "#e8d538", "#fd8f28",
            "#de3e08", "#9a0e01"]
NONFINITE_COLOUR = "#ff00ff"
"""Magenta: any NaN or Inf in a gradient."""
_NO_GRAD = "#ffffff"


def colour_of(magnitude):
    """Return the palette colour (``#rrggbb``) of a gradient magnitude on the fixed log scale."""
    low, high = LOG10_RANGE
    level = np.log10(magnitude) if magnitude > 0 else low
    t = (min(max(level, low), high) - low) / (high - low) * (len(_PALETTE) - 1)
    i = min(int(t), len(_PALETTE) - 2)
    a, b = _PALETTE[i], _PALETTE[i + 1]
    mix = [round(int(a[k:k + 2], 16) * (i + 1 - t) + int(b[k:k + 2], 16) * (t - i))
           for k in (1, 3, 5)]
    return "#%02x%02x%02x" % tuple(mix)


def _fill(stats):
    """(fill colour, font colour) of a node with these stats."""
    if stats is None:
        return _NO_GRAD, "black"
    if stats.nonfinite:
        return NONFINITE_COLOUR, "white"
    colour = colour_of(stats.norm)
    return colour, _font_on(colour)


def _font_on(colour):
    """White text on dark fills, black on light ones (by relative luminance)."""
    r, g, b = (int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5))
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "black"


def _legend():
    """An HTML-label table: one cell per two decades, then NaN/Inf and no gradient."""
    low, high = (int(x) for x in LOG10_RANGE)
    swatches = [(colour_of(10.0 ** e), f"1e{e:+d}") for e in range(low, high + 1, 2)]
    swatches += [(NONFINITE_COLOUR, "NaN/Inf"), (_NO_GRAD, "no grad")]
    cells = "".join(f'<TD BGCOLOR="{c}" WIDTH="48"><FONT COLOR="{_font_on(c)}">{text}</FONT></TD>'
                    for c, text in swatches)
    row = f'<TR><TD COLSPAN="{len(swatches)}" ALIGN="LEFT">{{}}</TD></TR>'
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            + row.format("<B>gradient L2 norm (log scale)</B>  vanishing: blue · "
                         "healthy: green-yellow · exploding: red")
            + f"<TR>{cells}</TR>"
            + row.format('bold box: leaf requiring grad (parameter) · dashed: constant/input'
                         '<BR ALIGN="LEFT"/>double border: output · ellipse: op (filled like '
                         'the gradient it receives)<BR ALIGN="LEFT"/>')
            + "</TABLE>>")


# --- which nodes to draw --------------------------------------------------------------


def _select(root, max_nodes):
    """Breadth-first from ``root``: the nodes to draw (each counts 1, plus 1 for its op) up to
    ``max_nodes``, then how many drawn nodes were cut and which kept nodes lost parents."""
    kept, budget, cut, full = [], max_nodes, 0, False
    seen, queue = {id(root)}, deque([root])
    while queue:
        node = queue.popleft()
        cost = 1 if node.op is None else 2
        if not full and (budget is None or cost <= budget or not kept):
            kept.append(node)
            budget = None if budget is None else budget - cost
        else:
            full, cut = True, cut + cost  # keep counting: the note says how many
        for parent in node.parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    kept_ids = {id(n) for n in kept}
    boundary = [n for n in kept if any(id(p) not in kept_ids for p in n.parents)]
    return kept, kept_ids, cut, boundary


# --- module clusters ------------------------------------------------------------------


def _owners(model):
    """id(param) -> (dotted parameter name, name of the module that holds it, that module)."""
    names = {id(p): name for name, p in model.named_parameters()}
    owners = {}
    for module_name, module in model.named_modules():
        for _, param in module.named_parameters(recurse=False):
            if id(param) in names and id(param) not in owners:
                owners[id(param)] = (names[id(param)], module_name, module)
    return owners


def _clusters(order, owners):
    """id(node) -> module name, by the rule in ``draw_graph``'s docstring."""
    consumers, weights_of, cluster = {}, {}, {}
    for node in order:
        for parent in node.parents:
            consumers[id(parent)] = consumers.get(id(parent), 0) + 1
    for node in order:
        if id(node) in owners:
            weights_of[id(node)] = cluster[id(node)] = owners[id(node)][1]
            continue
        if node.op is None:
            continue
        grad_parents = [p for p in node.parents if p.requires_grad]
        # computed from one module's weights alone (W.T, w * 0.5): an input x would not be
        modules = {weights_of.get(id(p)) for p in node.parents
                   if p.requires_grad or np.size(p.raw) != 1}
        if len(modules) == 1 and None not in modules:
            weights_of[id(node)] = modules.pop()
        direct = [weights_of[id(p)] for p in node.parents if id(p) in weights_of]
        if direct:
            cluster[id(node)] = direct[0]
        elif len(grad_parents) == 1:
            p = grad_parents[0]
            if (p.op is not None and id(p) in cluster and consumers[id(p)] == 1
                    and np.shape(p.raw) == np.shape(node.raw)):
                cluster[id(node)] = cluster[id(p)]  # relu/dropout right after the layer
    return cluster


# --- labels ---------------------------------------------------------------------------


def _fmt(x):
    return f"{x:.2e}" if x and (abs(x) < 1e-3 or abs(x) >= 1e4) else f"{x:.4g}"


def _summary(data):
    """Compact text for a tensor's data: the values when small, else min/mean/max."""
    if data.size <= 6:
        return html.escape(np.array2string(data, precision=3, separator=", ", threshold=6))
    if data.dtype.kind == "b" or data.size == 0:
        return ""
    low, mean, high = (_fmt(float(f(data))) for f in (np.min, np.mean, np.max))
    return f"min {low} mean {mean} max {high}"


def _grad_lines(stats, scalar):
    if stats is None:
        return []
    if stats.nonfinite:
        return [f"<B>NaN/Inf: {stats.nonfinite} of {stats.size}</B>"]
    if scalar and stats.value is not None:
        return [f"grad {_fmt(stats.value)}"]
    return [f"|g| {_fmt(stats.norm)}  max {_fmt(stats.max)}"]


def _tensor_label(node, name, stats, show_data, show_grad):
    lines = [f"<B>{html.escape(name)}</B>"] if name else []
    if node.is_array:
        lines.append(f"{tuple(node.raw.shape)} {node.raw.dtype}")
        if show_data and _summary(node.raw):
            lines.append(f'<FONT POINT-SIZE="9">{_summary(node.raw)}</FONT>')
    elif show_data:
        lines.append(f"data {_fmt(node.raw)}")
    lines += _grad_lines(stats, not node.is_array)
    if show_grad and stats is None and not node.is_array and node.requires_grad and node.is_leaf:
        lines.append("grad 0")
    return "<" + "<BR/>".join(lines) + ">"


def _stats_of(node):
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


def _edge_stats(node, kept_stats):
    """One entry per parent position: what flowed from ``node`` back to that parent."""
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
            result.append(kept_stats.get(id(parent)))  # leaves: their .grad after backward
        else:
            result.append(None)
    return result


# --- the drawing ----------------------------------------------------------------------


class GraphvizNotFoundError(RuntimeError):
    """Raised when rendering needs Graphviz's ``dot`` program and it is not installed."""


_INSTALL = ("Rendering needs Graphviz's `dot` program, which is not installed or not on PATH "
            "(the `graphviz` Python package is only its interface). Install Graphviz: "
            "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
            "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`, "
            "Windows `winget install graphviz` (or https://graphviz.org/download/), then check "
            "that `dot -V` works. The graph's `.source` (DOT text) needs no installation.")


@contextlib.contextmanager
def _explain_missing_dot():
    try:
        yield
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(_INSTALL) from error


class GradGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose ``render``/``pipe`` (and Jupyter display) explain how to
    install Graphviz when ``dot`` is missing (``GraphvizNotFoundError``)."""

    def pipe(self, *args, **kwargs):
        with _explain_missing_dot():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        with _explain_missing_dot():
            return super().render(*args, **kwargs)


def render_graph(digraph, path):
    """Write ``digraph`` to ``path`` in the format its suffix names (.svg, .png, .pdf, ...);
    returns the path. Raises ``GraphvizNotFoundError`` (install instructions) without ``dot``."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    with _explain_missing_dot():
        data = digraph.pipe(format=fmt)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def draw_graph(root, show_grad=True, show_data=None, rankdir="LR", max_nodes=300, model=None):
    """Return a ``graphviz.Digraph`` of the graph that produced ``root`` (a Tensor or Value).

    One box per tensor/value (shape and dtype; data and grad for a Value), one ellipse
    per op (its name), edges in the forward direction. Styles: parameters (leaves that
    require grad) bold boxes, constants/inputs dashed, the output a double border.
    With ``show_grad``, nodes and edges are filled by gradient L2 norm on a fixed log
    scale (see the module docstring and the legend drawn with it): leaves by ``.grad``,
    and everything when backward ran inside ``record_grads()``; NaN/Inf is magenta and
    counted in the label. ``show_data`` (default: True for Values, False for Tensors)
    adds the data (a summary for tensors). ``max_nodes`` (None: no limit) keeps the
    nodes nearest the output, a note saying how many were cut.

    ``model``: names parameters as ``model.named_parameters()`` does and groups ops
    into one cluster per module. Rule: an op joins the module whose parameters it
    consumes, directly or through ops on those parameters alone (``W.T``); an op with
    one differentiable input that keeps its shape (an activation, dropout) joins the
    cluster of the op before it when it is that op's only consumer. Other ops (flatten,
    pooling, the loss) stay outside: the graph cannot see parameterless modules.

    Render with ``render_graph(g, "graph.svg")`` or ``g.render(outfile="graph.svg")``;
    in Jupyter the returned object displays as inline SVG.
    """
    show_data = (not root.is_array) if show_data is None else show_data
    kept, kept_ids, cut, boundary = _select(root, max_nodes)
    owners = _owners(model) if model is not None else {}
    stats = {id(n): _stats_of(n) for n in kept} if show_grad else {}
    graph = GradGraph("backward", graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                      node_attr={"fontname": "Helvetica", "fontsize": "10"},
                      edge_attr={"color": "#888888", "arrowsize": "0.7",
                                 "fontname": "Helvetica", "fontsize": "10"})
    in_drawing = lambda node: id(node) in kept_ids  # noqa: E731
    clusters = (_clusters(engine.topological_order(list(reversed(kept)), follow=in_drawing), owners)
                if model is not None else {})
    groups = {}
    for i, node in enumerate(kept):
        groups.setdefault(clusters.get(id(node)), []).append((i, node))
    ids = {id(n): i for i, n in enumerate(kept)}
    show = (show_data, show_grad)
    for k, (module_name, members) in enumerate(groups.items()):
        if module_name is None:
            _add_nodes(graph, members, root, owners, stats, show)
            continue
        with graph.subgraph(name=f"cluster_{k}") as sub:  # "cluster" prefix: dot boxes it
            sub.attr(label=_cluster_label(module_name, owners), style="rounded,filled",
                     fillcolor="#f4f4f4", color="#999999", fontsize="11")
            _add_nodes(sub, members, root, owners, stats, show)
    _add_edges(graph, kept, ids, stats)
    if cut:
        _add_cut_note(graph, cut, max_nodes, boundary, ids)
    if any(s is not None for s in stats.values()):
        graph.node("legend", _legend(), shape="plaintext")
    return graph


def _cluster_label(module_name, owners):
    for _, name, module in owners.values():
        if name == module_name:
            return f"{module_name or 'model'} ({type(module).__name__})"
    return module_name


def _node_name(node, root, owners):
    if id(node) in owners:
        return owners[id(node)][0]
    label = getattr(node, "label", "")  # a Value's micrograd-style label
    if label:
        return label
    if node is root:
        return "output"
    if node.op is None:
        return "leaf" if node.requires_grad else "constant"
    return ""


def _add_nodes(graph, members, root, owners, stats, show):
    """Box and op ellipse of each ``(index, node)``; ``show`` is ``(show_data, show_grad)``."""
    for i, node in members:
        s = stats.get(id(node))
        fill, font = _fill(s)
        attrs = {"shape": "box", "style": "filled,rounded", "fillcolor": fill, "fontcolor": font}
        if node is root:
            attrs.update(peripheries="2", penwidth="2")
        elif node.op is None and node.requires_grad:
            attrs.update(style="filled", penwidth="2.5")
        elif node.op is None:
            attrs.update(style="filled,dashed", color="#777777")
        label = _tensor_label(node, _node_name(node, root, owners), s, *show)
        graph.node(f"n{i}", label, **attrs)
        if node.op is not None:
            graph.node(f"op{i}", html.escape(node.op.name), shape="ellipse", style="filled",
                       fillcolor=fill, fontcolor=font, height="0.3")


def _edge_attrs(s):
    if s is None:
        return {}
    if s.nonfinite:
        return {"color": NONFINITE_COLOUR, "penwidth": "3", "label": f"{s.nonfinite} NaN/Inf",
                "fontcolor": NONFINITE_COLOUR}
    return {"color": colour_of(s.norm), "penwidth": "2.5"}


def _add_edges(graph, kept, ids, stats):
    for i, node in enumerate(kept):
        if node.op is None:
            continue
        graph.edge(f"op{i}", f"n{i}", **_edge_attrs(stats.get(id(node))))
        edge_stats = _edge_stats(node, stats) if stats else [None] * len(node.parents)
        for parent, s in zip(node.parents, edge_stats):
            if id(parent) in ids:
                graph.edge(f"n{ids[id(parent)]}", f"op{i}", **_edge_attrs(s))


def _add_cut_note(graph, cut, max_nodes, boundary, ids):
    graph.node("cut_note", f"{cut} more nodes not drawn\n(max_nodes={max_nodes}; the nodes "
               "nearest the output are shown)", shape="note", style="filled",
               fillcolor="#fff3c4", fontcolor="#333333")
    for node in boundary[:20]:
        target = f"op{ids[id(node)]}" if node.op is not None else f"n{ids[id(node)]}"
        graph.edge("cut_note", target, style="dashed", color="#aaaaaa", arrowhead="none")
