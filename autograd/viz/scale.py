"""The one colour scale every kissgrad picture uses for a gradient's L2 norm.

A fixed log scale, the same in the drawn graph, the interactive page, the heatmaps and
bar plots of ``nn.gradient_plots`` and every legend: 1e-10 indigo (vanishing), 1e-6 blue,
1e-2 green, 1 yellow (healthy), 1e2 orange, 1e6 dark red (exploding); norms outside the
range are clamped. Three cases are not norms and get colours of their own, never taken
from the scale: exact zero (grey), no gradient at all (white) and NaN/Inf (magenta).
"""
import math
import os

__all__ = ["LOG10_RANGE", "PALETTE", "ZERO_COLOUR", "NO_GRAD_COLOUR", "NONFINITE_COLOUR",
           "colour_of", "stats_colour", "font_on", "swatches", "rgb", "SCALE_TITLE", "SCALE_HINT",
           "page_fields", "script"]

LOG10_RANGE = (-10.0, 6.0)
"""The scale covers gradient norms 1e-10 .. 1e6; norms outside it are clamped to its ends."""
PALETTE = ["#3b2f7f", "#467df4", "#20c6df", "#38f491", "#a4fc3b", "#e8d538", "#fd8f28",
           "#de3e08", "#9a0e01"]
"""Turbo sampled every two decades of LOG10_RANGE, linearly interpolated in between."""
ZERO_COLOUR = "#8c8c8c"
"""Grey: a gradient that is exactly zero everywhere (a dead ReLU), not a vanishing one."""
NO_GRAD_COLOUR = "#ffffff"
"""White: no gradient reached this node (or nothing was recorded)."""
NONFINITE_COLOUR = "#ff00ff"
"""Magenta: any NaN or Inf in a gradient."""
SCALE_TITLE = "gradient L2 norm (log scale)"
SCALE_HINT = "vanishing: blue · healthy: green-yellow · exploding: red"


def colour_of(norm):
    """Return the colour (``#rrggbb``) of a gradient L2 norm: the fixed log scale for a
    positive finite norm, ``ZERO_COLOUR`` for 0, ``NONFINITE_COLOUR`` for NaN or Inf and
    ``NO_GRAD_COLOUR`` for None."""
    if norm is None:
        return NO_GRAD_COLOUR
    if not math.isfinite(norm):
        return NONFINITE_COLOUR
    if norm <= 0:
        return ZERO_COLOUR
    low, high = LOG10_RANGE
    t = (min(max(math.log10(norm), low), high) - low) / (high - low) * (len(PALETTE) - 1)
    i = min(int(t), len(PALETTE) - 2)
    a, b = PALETTE[i], PALETTE[i + 1]
    # half rounds up (not Python's half-to-even round): page.js computes the same bytes
    mix = [int(int(a[k:k + 2], 16) * (i + 1 - t) + int(b[k:k + 2], 16) * (t - i) + 0.5)
           for k in (1, 3, 5)]
    return "#%02x%02x%02x" % tuple(mix)


def stats_colour(stats):
    """The colour of a ``GradStats`` (or None): NaN/Inf anywhere wins over the norm."""
    if stats is None:
        return NO_GRAD_COLOUR
    return NONFINITE_COLOUR if stats.nonfinite else colour_of(stats.norm)


def rgb(colour):
    """``#rrggbb`` as an ``(r, g, b)`` tuple of floats in [0, 1] (for matplotlib)."""
    return tuple(int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5))


def font_on(colour):
    """``"white"`` on dark fills, ``"black"`` on light ones (by relative luminance)."""
    r, g, b = rgb(colour)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "black"


def swatches():
    """The legend's ``(colour, text)`` pairs: one per two decades, then 0, NaN/Inf, no grad."""
    low, high = (int(x) for x in LOG10_RANGE)
    pairs = [(colour_of(10.0 ** e), f"1e{e:+d}") for e in range(low, high + 1, 2)]
    return pairs + [(ZERO_COLOUR, "exactly 0"), (NONFINITE_COLOUR, "NaN/Inf"),
                    (NO_GRAD_COLOUR, "no grad")]


def page_fields():
    """What a page's script needs of the scale (``scale.js``'s ``kgColourScale`` takes
    ``scale``) and its legend, as JSON-ready fields."""
    low, high = LOG10_RANGE
    return {"scale": {"low": low, "high": high, "palette": PALETTE, "zero": ZERO_COLOUR,
                      "none": NO_GRAD_COLOUR, "nonfinite": NONFINITE_COLOUR},
            "legend": swatches(), "legendTitle": SCALE_TITLE, "legendHint": SCALE_HINT}


def script():
    """``scale.js``: the scale's colour arithmetic in JavaScript, for a page to inline."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scale.js")
    with open(path, encoding="utf-8") as fh:
        return fh.read()
