"""What a drawing shows of a ``Structure`` at one depth: the vertices (a node, or a whole
collapsed group), the box each sits in, the edges between them, and the ``max_nodes`` cut.

A group deeper than ``depth`` (a module's level is its number of dotted name parts; a
time step sits one below its module) is one vertex; parameters always stay vertices of
their own. The cut keeps every parameter, then the vertices nearest the output.
"""
from .record import GradStats

__all__ = ["View", "cost"]


def cost(structure, vertex):
    """How many drawn nodes a vertex takes: an op is a box and an ellipse, the rest one."""
    kind, item = vertex
    return 2 if kind == "n" and structure.nodes[item].op is not None else 1


class View:
    """The drawing of ``structure`` with groups deeper than ``depth`` collapsed (None: none).

    ``vertices``: ``("n", node index)`` or ``("g", group key)`` in topological order of
    first appearance; ``place[v]``: key of the innermost expanded group around ``v`` (None:
    top level); ``edges``: ``{(src, dst): [node index, parent position], ...}`` in the
    forward direction; ``cut``: vertices left out by ``max_nodes``; ``boundary``: kept
    vertices that lost an input to the cut.
    """

    def __init__(self, structure, depth=None, max_nodes=None):
        s = self.structure = structure
        self.depth = depth
        self.rep = [self._rep(i) for i in range(len(s.nodes))]
        self.vertices = list(dict.fromkeys(self.rep))
        self.place = {v: self._place(v) for v in self.vertices}
        self.edges = {}
        for i, parents in enumerate(s.parents):
            for k, j in enumerate(parents):
                if self.rep[j] != self.rep[i]:
                    self.edges.setdefault((self.rep[j], self.rep[i]), []).append((i, k))
        self.cut, self.boundary = self._cut(max_nodes)
        if self.cut:
            cut = set(self.cut)
            self.vertices = [v for v in self.vertices if v not in cut]
            self.edges = {e: links for e, links in self.edges.items()
                          if e[0] not in cut and e[1] not in cut}

    def collapsed(self, key):
        """Whether group ``key`` is drawn as one vertex (or hidden inside one)."""
        return self.depth is not None and self.structure.groups[key].level > self.depth

    def _rep(self, i):
        if self.structure.is_param(i):
            return ("n", i)
        for key in self.structure.path[i]:
            if self.collapsed(key):
                return ("g", key)
        return ("n", i)

    def _place(self, vertex):
        kind, item = vertex
        if kind == "g":
            return self.structure.groups[item].parent
        open_groups = [k for k in self.structure.path[item] if not self.collapsed(k)]
        return open_groups[-1] if open_groups else None

    def edge_stats(self, links):
        """The combined ``GradStats`` of the graph edges ``links`` (``(node, position)``)."""
        return GradStats.combine(self.structure.edge_stats(i)[k] for i, k in links)

    def _cut(self, max_nodes):
        """(vertices cut, kept vertices that lost an input): every parameter is kept, then
        the vertices made last (nearest the output) while the drawn nodes fit in
        ``max_nodes``; a time step is kept whole or cut whole."""
        s = self.structure
        if max_nodes is None or sum(cost(s, v) for v in self.vertices) <= max_nodes:
            return [], []
        kept = {v for v in self.vertices if v[0] == "n" and s.is_param(v[1])}
        budget, units = max_nodes - len(kept), {}
        for v in self.vertices:  # a unit: a time step's vertices, or one vertex
            if v not in kept:
                units.setdefault(self._step_of(v) or v, []).append(v)
        first, position = True, {v: k for k, v in enumerate(self.vertices)}
        for unit in sorted(units.values(), key=lambda u: position[u[-1]], reverse=True):
            price = sum(cost(s, v) for v in unit)
            if price > budget and not first:
                break
            kept.update(unit)
            budget, first = budget - price, False
        inputs = {}
        for src, dst in self.edges:
            inputs.setdefault(dst, []).append(src)
        cut = [v for v in self.vertices if v not in kept]
        boundary = [v for v in self.vertices if v in kept
                    and any(u not in kept for u in inputs.get(v, ()))]
        return cut, boundary

    def _step_of(self, vertex):
        """The key of the time step around ``vertex`` (None outside every step)."""
        key = vertex[1] if vertex[0] == "g" else self.place[vertex]
        while key is not None and self.structure.groups[key].kind != "step":
            key = self.structure.groups[key].parent
        return key

    def cut_summary(self):
        """A short text naming what the cut left out, e.g. ``"lstm steps 1-9: 230 nodes"``."""
        s, counts = self.structure, {}
        for v in self.cut:
            key = v[1] if v[0] == "g" else self.place[v]
            group = s.groups[key] if key is not None else None
            if group is not None and group.kind == "step":
                where = (f"{group.name} steps", group.loop)
                counts.setdefault(where, {}).setdefault(group.step, 0)
                counts[where][group.step] += cost(s, v)
            else:
                where = (group.title() if group is not None else "outside any module", None)
                counts.setdefault(where, {}).setdefault(None, 0)
                counts[where][None] += cost(s, v)
        parts = []
        for (title, loop), by_step in counts.items():
            steps = sorted(k for k in by_step if k is not None)
            span = f" {_ranges(steps)}" if steps else ""
            loop_text = f" (loop {loop + 1})" if loop else ""
            parts.append(f"{title}{span}{loop_text}: {sum(by_step.values())} nodes")
        return "; ".join(parts)


def _ranges(numbers):
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    spans, start = [], None
    for k, n in enumerate(numbers):
        if start is None:
            start = n
        if k + 1 == len(numbers) or numbers[k + 1] != n + 1:
            spans.append(f"{start}-{n}" if n != start else f"{n}")
            start = None
    return ", ".join(spans)
