"""Draw the backward graph with Graphviz, coloured by how much gradient flowed where.

``draw_graph(loss)`` returns a ``graphviz.Digraph``: one box per tensor/value, one
ellipse per op (its PyTorch-style ``grad_fn`` name), inputs on the left and the output
on the right. After backward, leaves (and the edges leaving them) are coloured by their
``.grad``; run backward inside ``with record_grads():`` and every node and edge is
coloured by the gradient that flowed through it, on the fixed scale of
``autograd.viz.scale`` (the one every kissgrad picture uses). Building the Digraph and
its ``.source`` needs no Graphviz binary; ``.render()``, ``.pipe()``, ``render_graph``
and Jupyter's inline SVG do. ``.save_html(path)`` writes the interactive page.

This module reads the graph and never edits it; nothing in it recurses, so graphs
of any depth can be drawn (cut with ``max_nodes``).
"""
import contextlib
import html
import os
import re
from collections.abc import Mapping

import graphviz

from . import labels, page, scale
from .structure import Structure, grad_fn_name
from .view import View, cost

__all__ = ["draw_graph", "render_graph", "GradGraph", "GraphvizNotFoundError", "choose_depth",
           "SCREEN"]

SCREEN = (1920, 1080)
"""``depth="auto"`` picks the deepest depth whose drawing fits this many pixels (PNG, 96 dpi)."""


class GraphvizNotFoundError(RuntimeError):
    """Raised when rendering needs Graphviz's ``dot`` program and it is not installed."""


_INSTALL = ("Rendering needs Graphviz's `dot` program, which is not installed or not on PATH "
            "(the `graphviz` Python package is only its interface). Install Graphviz: "
            "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
            "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`, "
            "Windows `winget install graphviz` (or https://graphviz.org/download/), then check "
            "that `dot -V` works. The graph's `.source` (DOT text) and `.save_html()` need "
            "no installation.")


@contextlib.contextmanager
def _explain_missing_dot():
    try:
        yield
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError(_INSTALL) from error


class GradGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose ``render``/``pipe`` (and Jupyter display) explain how to
    install Graphviz when ``dot`` is missing (``GraphvizNotFoundError``), and whose
    ``save_html(path)`` writes the interactive page of the same graph."""

    structure = None  # set by draw_graph: what the page is built from
    view = None
    depth = None
    show_data = False

    def pipe(self, *args, **kwargs):
        """graphviz's ``pipe``, saying how to install Graphviz when ``dot`` is missing."""
        with _explain_missing_dot():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        """graphviz's ``render``, saying how to install Graphviz when ``dot`` is missing."""
        with _explain_missing_dot():
            return super().render(*args, **kwargs)

    def to_html(self, title="kissgrad backward graph"):
        """The interactive page as one self-contained HTML string (see ``save_html``)."""
        return page.build_page(self.structure, self.depth, title, self.show_data)

    def save_html(self, path, title="kissgrad backward graph"):
        """Write one self-contained HTML file (no network access at view time): pan and
        zoom, click a module to expand or collapse it, hover a node or edge for its
        gradient statistics, search parameter names. Needs no Graphviz; returns the path."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.to_html(title))
        return path


def render_graph(digraph, path):
    """Write ``digraph`` to ``path`` in the format its suffix names (.svg, .png, .pdf, ...,
    .dot/.gv for the DOT text, .html for the interactive page); returns the path. Raises
    ``GraphvizNotFoundError`` (install instructions) where an image needs ``dot``."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    if fmt == "html":
        return digraph.save_html(path)
    if fmt in ("dot", "gv"):
        data = digraph.source.encode("utf-8")
    else:
        with _explain_missing_dot():
            data = digraph.pipe(format=fmt)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def _check(root, depth, max_nodes, rankdir, names):
    if not hasattr(root, "parents") or not hasattr(root, "op"):
        raise TypeError(f"draw_graph: root must be a Tensor or Value, got {type(root).__name__}")
    if depth not in (None, "auto") and not (isinstance(depth, int) and depth >= 0):
        raise ValueError(f"draw_graph: depth must be None, 'auto' or an int >= 0, got {depth!r}")
    if max_nodes is not None and not (isinstance(max_nodes, int) and max_nodes >= 1):
        raise ValueError(f"draw_graph: max_nodes must be None or an int >= 1, got {max_nodes!r}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if names is not None and not isinstance(names, Mapping):
        raise TypeError(f"draw_graph: names must be a mapping such as locals(), got "
                        f"{type(names).__name__}")


def draw_graph(root, show_grad=True, show_data=None, rankdir="LR", max_nodes=300, model=None,
               depth=None, names=None):
    """Return a ``GradGraph`` (a ``graphviz.Digraph``) of the graph that produced ``root``.

    One box per tensor/value (name, shape and dtype; data and grad for a Value), one
    ellipse per op named as PyTorch names ``grad_fn`` (``MulBackward0``), edges in the
    forward direction. Parameters (leaves that require grad) are bold boxes, constants
    and inputs dashed, the output has a double border. With ``show_grad``, nodes and
    edges are filled by gradient L2 norm on the fixed log scale of ``autograd.viz.scale``
    (legend drawn with it); exact zero, no gradient and NaN/Inf have colours of their own.
    ``show_data`` (default: True for Values, False for Tensors) adds the data.

    Names: a Value's ``label``, else ``names`` (a mapping such as ``locals()``), else
    the parameter names of ``model`` (as ``named_parameters`` gives them). ``model`` also
    boxes ops per module and unrolled recurrences per time step (rules in
    ``autograd.viz.structure``). ``depth=k`` collapses modules deeper than k (a
    top-level module has depth 1, a time step one more than its module) into one box
    each, coloured by the gradient at its inputs and at its outputs; its parameters stay
    drawn. ``depth="auto"``: the deepest that fits a 1920 x 1080 screen. ``max_nodes``
    (None: no limit) keeps every parameter and then the nodes nearest the output, and a
    note says what was cut.

    Example::

        with kg.record_grads():
            loss.backward()
        g = kg.draw_graph(loss, model=model, depth=1)
        g.render(outfile="graph.svg"); g.save_html("graph.html")
    """
    _check(root, depth, max_nodes, rankdir, names)
    show_data = (not root.is_array) if show_data is None else show_data
    structure = Structure(root, model, names, show_grad)
    if depth == "auto":
        depth = choose_depth(structure, show_data, rankdir, max_nodes)
    return _digraph(structure, depth, show_data, rankdir, max_nodes)


def _digraph(structure, depth, show_data, rankdir, max_nodes):
    view = View(structure, depth, max_nodes)
    graph = GradGraph("backward", graph_attr={"rankdir": rankdir, "fontname": "Helvetica",
                                              "fontsize": "10", "ranksep": "0.3",
                                              "nodesep": "0.2"},
                      node_attr={"fontname": "Helvetica", "fontsize": "10"},
                      edge_attr={"color": "#b4b4b4", "style": "dashed", "arrowsize": "0.7",
                                 "fontname": "Helvetica", "fontsize": "10"})
    graph.structure, graph.depth, graph.show_data = structure, depth, show_data
    graph.view = view
    _add_boxes(graph, view, show_data)
    _add_edges(graph, view)
    if view.cut:
        _add_cut_note(graph, view, max_nodes)
    if any(st is not None for st in structure.stats):
        # a graph label, not a node: a node would sit in the first rank and widen it
        graph.attr(label=labels.legend(view), labelloc="t", labeljust="l")
    return graph


# --- depth="auto" ---------------------------------------------------------------------


def choose_depth(structure, show_data=False, rankdir="LR", max_nodes=300, screen=SCREEN):
    """The deepest depth (None: everything expanded) whose drawing fits ``screen`` pixels,
    else 0. Sizes are measured by Graphviz where ``dot`` is installed, else estimated."""
    levels = structure.max_level()
    for depth in [None] + list(range(levels - 1, -1, -1)):
        graph = _digraph(structure, depth, show_data, rankdir, max_nodes)
        width, height = _size(graph, show_data, rankdir)
        if width <= screen[0] and height <= screen[1]:
            return depth
    return 0


def _size(graph, show_data, rankdir):
    """(width, height) in pixels of the PNG ``dot`` would draw (96 dpi)."""
    try:
        first = graph.pipe(format="plain").decode("utf-8").split("\n", 1)[0].split()
        return float(first[2]) * 96, float(first[3]) * 96  # "graph scale width height"
    except (GraphvizNotFoundError, graphviz.ExecutableNotFound, IndexError, ValueError):
        return _estimated_size(graph.view, show_data, rankdir)


def _text_size(label):
    """(width, height) in points of a node label at 10 pt Helvetica, roughly."""
    lines = re.sub(r"<BR[^>]*>|</TR>", "\n", label)
    lines = html.unescape(re.sub(r"<[^>]+>", "", lines)).strip().split("\n")
    return 5.8 * max(len(line) for line in lines) + 18, 13.5 * len(lines) + 10


def _estimated_size(view, show_data, rankdir):
    """Pixels (96 dpi) of the layered drawing: ranks side by side, nodes stacked in each."""
    s, sizes, rank = view.structure, {}, {}
    for v in view.vertices:
        kind, item = v
        if kind == "g":
            sizes[v] = [_text_size(labels.group_label(s.groups[item]))]
        else:
            sizes[v] = [_text_size(labels.tensor_label(s, item, show_data, s.stats[item]))]
            if s.nodes[item].op is not None:
                sizes[v].insert(0, _text_size(grad_fn_name(s.nodes[item].op.name)))
    inputs = {}
    for src, dst in view.edges:
        inputs.setdefault(dst, []).append(src)
    for v in view.vertices:  # topological; an edge closing a cycle is ignored
        rank[v] = max((rank[u] + len(sizes[u]) for u in inputs.get(v, ()) if u in rank), default=0)
    along, across = {}, {}
    for v in view.vertices:
        for k, (w, h) in enumerate(sizes[v]):
            r = rank[v] + k
            if rankdir in ("TB", "BT"):
                w, h = h, w
            along[r] = max(along.get(r, 0), w)
            across[r] = across.get(r, 0) + h + 18
    legend = (600, 75)  # the graph label on top
    width = sum(along.values()) + 36 * len(along)
    height = max(across.values(), default=0) + legend[1]
    if rankdir in ("TB", "BT"):
        width, height = height, width
    return max(width, legend[0]) * 4 / 3 * 1.15, height * 4 / 3 * 1.15  # err towards too big


# --- nodes, boxes, edges --------------------------------------------------------------


def _dot_name(view, vertex, end):
    """The Graphviz node of a vertex as an edge's ``"src"`` or ``"dst"`` end."""
    kind, item = vertex
    if kind == "g":
        return f"g{view.structure.group_ids[item]}"
    is_op = view.structure.nodes[item].op is not None
    return f"op{item}" if end == "dst" and is_op else f"n{item}"


def _add_vertex(graph, view, vertex, show_data):
    s = view.structure
    kind, i = vertex
    if kind == "g":
        group = s.groups[i]
        graph.node(_dot_name(view, vertex, "src"), labels.group_label(group), shape="plain",
                   tooltip=f"{group.title()}: at inputs {labels.stats_text(group.grad_at_inputs)}; "
                           f"at outputs {labels.stats_text(group.grad_at_outputs)}")
        return
    node, stats = s.nodes[i], s.stats[i]
    fill = scale.stats_colour(stats)
    tooltip = labels.role(s, i) or f"result of {node.op.name}"
    attrs = {"shape": "box", "style": "filled,rounded", "fillcolor": fill,
             "fontcolor": scale.font_on(fill),
             "tooltip": f"{tooltip}: {labels.stats_text(stats)}" if s.show_grad else tooltip}
    if i == len(s.nodes) - 1:
        attrs.update(peripheries="2", penwidth="2")
    elif node.op is None and node.requires_grad:
        attrs.update(style="filled", penwidth="2.5")
    elif node.op is None:
        attrs.update(style="filled,dashed", color="#777777")
    graph.node(f"n{i}", labels.tensor_label(s, i, show_data, stats), **attrs)
    if node.op is not None:
        graph.node(f"op{i}", grad_fn_name(node.op.name), shape="ellipse", style="filled",
                   fillcolor=fill, fontcolor=scale.font_on(fill), height="0.3",
                   tooltip=f"op {node.op.name} ({grad_fn_name(node.op.name)})")


def _add_boxes(graph, view, show_data):
    """Every vertex, inside nested clusters for the expanded groups that hold it."""
    s, members, children = view.structure, {}, {}
    for v in view.vertices:
        members.setdefault(view.place[v], []).append(v)
    for key in s.groups:
        if key in members or key in children:
            parent = s.groups[key].parent
            while True:  # every enclosing group holds its child's box
                children.setdefault(parent, [])
                if key not in children[parent]:
                    children[parent].append(key)
                if parent is None:
                    break
                key, parent = parent, s.groups[parent].parent
    _fill_box(graph, view, None, members, children, show_data)


def _fill_box(target, view, key, members, children, show_data):
    for v in members.get(key, ()):
        _add_vertex(target, view, v, show_data)
    for child in children.get(key, ()):
        group = view.structure.groups[child]
        with target.subgraph(name=f"cluster_{view.structure.group_ids[child]}") as sub:
            step = group.kind == "step"
            sub.attr(label=f"step {group.step}" if step else group.title(),
                     style="rounded,filled", fillcolor="#fafafa" if step else "#f0f0f0",
                     color="#bbbbbb" if step else "#999999", fontsize="11")
            _fill_box(sub, view, child, members, children, show_data)


def _edge_attrs(stats):
    if stats is None:
        return {}
    if stats.nonfinite:
        return {"color": scale.NONFINITE_COLOUR, "penwidth": "3", "style": "solid",
                "label": f"{stats.nonfinite} NaN/Inf", "fontcolor": scale.NONFINITE_COLOUR,
                "tooltip": labels.stats_text(stats)}
    return {"color": scale.colour_of(stats.norm), "penwidth": "2.5", "style": "solid",
            "tooltip": labels.stats_text(stats)}


def _add_edges(graph, view):
    s = view.structure
    for v in view.vertices:
        if v[0] == "n" and s.nodes[v[1]].op is not None:
            graph.edge(f"op{v[1]}", f"n{v[1]}", **_edge_attrs(s.stats[v[1]]))
    for (src, dst), links in view.edges.items():
        graph.edge(_dot_name(view, src, "src"), _dot_name(view, dst, "dst"),
                   **_edge_attrs(view.edge_stats(links)))


def _add_cut_note(graph, view, max_nodes):
    cut = sum(cost(view.structure, v) for v in view.cut)
    graph.node("cut_note", f"{cut} more nodes not drawn (max_nodes={max_nodes}; every parameter "
               f"and the nodes nearest the output are shown)\ncut: {view.cut_summary()}",
               shape="note", style="filled", fillcolor="#fff3c4", fontcolor="#333333")
    for v in view.boundary[:20]:
        graph.edge("cut_note", _dot_name(view, v, "dst"), style="dashed", color="#aaaaaa",
                   arrowhead="none")
