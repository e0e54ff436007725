"""What the boxes say: a node's label (name or role, shape and dtype or data, gradient),
a collapsed group's table, the legend, tooltips; shared by the drawing and the page."""
import html
import re

import numpy as np

from . import scale
from .structure import grad_fn_name

__all__ = ["role", "tensor_label", "label_lines", "group_label", "legend", "stats_text", "fmt"]


def fmt(x, digits=4):
    """A number in a label: ``digits`` significant digits, exponent form when tiny or huge."""
    return f"{x:.2e}" if x and (abs(x) < 1e-3 or abs(x) >= 1e4) else f"{x:.{digits}g}"


def _summary(data):
    """Compact text for a tensor's data: the values when small, else min/mean/max."""
    if data.size <= 6:
        return html.escape(np.array2string(data, precision=3, separator=", ", threshold=6))
    if data.dtype.kind == "b" or data.size == 0:
        return ""
    low, mean, high = (fmt(float(f(data))) for f in (np.min, np.mean, np.max))
    return f"min {low} mean {mean} max {high}"


def _grad_lines(stats, scalar):
    if stats is None:
        return []
    if stats.nonfinite:
        return [f"<B>NaN/Inf: {stats.nonfinite} of {stats.size}</B>"]
    if scalar and stats.value is not None:
        return [f"grad {fmt(stats.value)}"]
    return [f"|g| {fmt(stats.norm, 3)}  max {fmt(stats.max, 3)}"]


def role(structure, i):
    """A node's name, else what it is: ``output``, ``leaf`` (requires grad), ``constant``."""
    node = structure.nodes[i]
    if structure.names[i]:
        return structure.names[i]
    if i == len(structure.nodes) - 1:
        return "output"
    if node.op is None:
        return "leaf" if node.requires_grad else "constant"
    return ""


def tensor_label(structure, i, show_data, stats):
    """Node ``i``'s box as a Graphviz HTML label: name or role, shape and dtype (a Value's
    data), and the gradient."""
    node, name = structure.nodes[i], role(structure, i)
    lines = [f"<B>{html.escape(name)}</B>"] if name else []
    if node.is_array:
        lines.append(f"{tuple(node.raw.shape)} {node.raw.dtype}")
        if show_data and _summary(node.raw):
            lines.append(f'<FONT POINT-SIZE="9">{_summary(node.raw)}</FONT>')
    elif show_data:
        lines.append(f"data {fmt(node.raw)}")
    lines += _grad_lines(stats, not node.is_array)
    if (structure.show_grad and stats is None and not node.is_array and node.requires_grad
            and node.op is None):
        lines.append("grad 0")
    return "<" + "<BR/>".join(lines) + ">"


def label_lines(structure, i, show_data=False):
    """The plain text lines of node ``i`` in the page: its op's ``grad_fn`` name, its name
    (or role), shape and dtype (or data), and its gradient."""
    node, name = structure.nodes[i], role(structure, i)
    lines = [grad_fn_name(node.op.name)] if node.op is not None else []
    lines += [name] if name else []
    if node.is_array:
        lines.append(f"{tuple(node.raw.shape)} {node.raw.dtype}")
        summary = html.unescape(_summary(node.raw)) if show_data else ""
        lines += [summary] if summary else []
    elif show_data:
        lines.append(f"data {fmt(node.raw)}")
    stats = structure.stats[i]
    lines += [re.sub(r"</?B>", "", line) for line in _grad_lines(stats, not node.is_array)]
    return lines


def stats_text(stats):
    """A tooltip's words for a ``GradStats`` (or None)."""
    if stats is None:
        return "no gradient"
    text = f"|g| {fmt(stats.norm)}, max |g| {fmt(stats.max)}"
    return text + (f", NaN/Inf {stats.nonfinite} of {stats.size}" if stats.nonfinite else "")


def _short(stats):
    if stats is None:
        return "no grad"
    return f"NaN/Inf {stats.nonfinite}" if stats.nonfinite else f"|g| {stats.norm:.3g}"


def _cell(stats, where):
    colour = scale.stats_colour(stats)
    return (f'<TD BGCOLOR="{colour}"><FONT COLOR="{scale.font_on(colour)}" POINT-SIZE="9">'
            f"{where}<BR/>{_short(stats)}</FONT></TD>")


def group_label(group):
    """A collapsed group: title, size, and the gradient at its inputs | at its outputs."""
    size = f"{group.steps} steps · " if group.steps else ""
    ops = f"{group.ops} op" + ("s" if group.ops != 1 else "")
    return ('<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" '
            'COLOR="#444444" BGCOLOR="#eeeeee">'
            f'<TR><TD COLSPAN="2"><B>{html.escape(group.title())}</B></TD></TR>'
            f'<TR><TD COLSPAN="2"><FONT POINT-SIZE="9">{size}{ops}</FONT></TD></TR>'
            f"<TR>{_cell(group.grad_at_inputs, 'at inputs')}"
            f"{_cell(group.grad_at_outputs, 'at outputs')}</TR></TABLE>>")


def legend(view):
    """An HTML-label table: the fixed scale's swatches, then what the shapes mean."""
    cells = "".join(f'<TD BGCOLOR="{c}" WIDTH="44"><FONT COLOR="{scale.font_on(c)}">{text}'
                    f"</FONT></TD>" for c, text in scale.swatches())
    row = f'<TR><TD COLSPAN="{len(scale.swatches())}" ALIGN="LEFT">{{}}</TD></TR>'
    shapes = ('bold box: leaf requiring grad (parameter) · dashed box: constant/input · '
              'double border: output<BR ALIGN="LEFT"/>ellipse: op (filled like the gradient '
              'it receives) · dashed grey edge: no gradient')
    if any(v[0] == "g" for v in view.vertices):
        shapes += ('<BR ALIGN="LEFT"/>grey table: a collapsed module (or time step), the '
                   'gradient at its inputs | at its outputs')
    return ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4">'
            + row.format(f"<B>{scale.SCALE_TITLE}</B>  {scale.SCALE_HINT}")
            + f"<TR>{cells}</TR>" + row.format(shapes + '<BR ALIGN="LEFT"/>') + "</TABLE>>")
