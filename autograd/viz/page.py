"""The interactive page: one self-contained HTML file of a backward graph.

The graph (every node's label lines, gradient statistics and colour, every group) goes
into the page as JSON; ``page.js`` (the project's own code, no library, no network)
lays it out in the browser and lets the reader pan and zoom, click a module or time step
to expand or collapse it, hover a node or edge for its gradient statistics, and search
parameter names. ``page.css`` styles it. Colours of merged edges are computed in the
page from the palette of ``autograd.viz.scale``, so the page and the drawing agree.
"""
import html
import json
import math
import os

from . import scale
from .labels import label_lines
from .structure import grad_fn_name
from .view import View

__all__ = ["build_page", "PAGE_MAX_NODES"]

PAGE_MAX_NODES = 5000
"""Graphs larger than this keep every parameter and the nodes nearest the output."""
_HERE = os.path.dirname(os.path.abspath(__file__))


def _asset(name):
    with open(os.path.join(_HERE, name), encoding="utf-8") as fh:
        return fh.read()


def _stats(stats):
    """JSON-ready stats (a NaN one-element value becomes null: the count says NaN/Inf)."""
    if stats is None:
        return None
    fields = stats.as_dict()
    if fields["value"] is not None and not math.isfinite(fields["value"]):
        fields["value"] = None
    return fields


def _kind(structure, i):
    node = structure.nodes[i]
    if i == len(structure.nodes) - 1:
        return "output"
    if node.op is not None:
        return "op"
    return "param" if node.requires_grad else "constant"


def _node(structure, i, ids, show_data):
    node = structure.nodes[i]
    path = structure.path[i]
    return {"id": ids[i], "kind": _kind(structure, i), "name": structure.names[i],
            "op": node.op.name if node.op is not None else None,
            "fn": grad_fn_name(node.op.name) if node.op is not None else None,
            "lines": label_lines(structure, i, show_data),
            "group": structure.group_ids[path[-1]] if path else -1,
            "stats": _stats(structure.stats[i]),
            "colour": scale.stats_colour(structure.stats[i]),
            "parents": [ids[j] for j in structure.parents[i] if j in ids],
            "edges": [_stats(st) for j, st in zip(structure.parents[i], structure.edge_stats(i))
                      if j in ids]}


def _group(structure, group):
    return {"id": structure.group_ids[group.key], "title": group.title(), "kind": group.kind,
            "label": f"step {group.step}" if group.kind == "step" else group.title(),
            "level": group.level, "steps": group.steps, "ops": group.ops,
            "parent": structure.group_ids[group.parent] if group.parent is not None else -1,
            "inputs": _stats(group.grad_at_inputs), "outputs": _stats(group.grad_at_outputs)}


def page_data(structure, depth, title, show_data=False):
    """The JSON the page script reads: nodes, groups, the colour scale and the depth."""
    view = View(structure, None, PAGE_MAX_NODES)
    kept = [v[1] for v in view.vertices]
    ids = {i: k for k, i in enumerate(kept)}
    return {"title": title, "depth": depth,
            "nodes": [_node(structure, i, ids, show_data) for i in kept],
            "groups": [_group(structure, g) for g in structure.groups.values()],
            **scale.page_fields(),
            "legendShapes": "bold box: parameter · dashed box: constant/input · double border: "
                            "output · grey box: a collapsed module or time step (click it), the "
                            "gradient at its inputs | outputs · dashed grey edge: no gradient",
            "cut": view.cut_summary() if view.cut else None}


def build_page(structure, depth, title, show_data=False):
    """The whole page as a string: HTML, ``page.css``, the data and ``page.js`` inline."""
    data = json.dumps(page_data(structure, depth, title, show_data),
                      separators=(",", ":"), allow_nan=False)
    data = data.replace("</", "<\\/")  # a name holding "</script>" must not end the script
    return (_asset("page.html")
            .replace("/*TITLE*/", html.escape(title))
            .replace("/*CSS*/", _asset("page.css"))
            .replace("/*DATA*/", data)
            .replace("/*JS*/", scale.script() + _asset("page.js")))
