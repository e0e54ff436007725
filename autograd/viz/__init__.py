"""Seeing gradients: ``record`` keeps what backward sent where, ``scale`` is the one colour
scale of every picture, ``structure`` reads modules and time steps out of the graph,
``view`` collapses it to a depth, ``draw`` draws it with Graphviz and ``page`` writes the
interactive HTML page.

``kissgrad.viz`` is this package; ``kg.draw_graph`` and ``kg.record_grads`` are its two
entry points. The drawing names load on first use, so recording and the colour scale
(which ``nn.gradient_plots`` uses) never import Graphviz's Python package.
"""
from .record import GradStats, grad_stats, record_grads
from .scale import LOG10_RANGE, NO_GRAD_COLOUR, NONFINITE_COLOUR, ZERO_COLOUR, colour_of

_DRAWING = ("draw_graph", "render_graph", "GradGraph", "GraphvizNotFoundError", "choose_depth")
__all__ = ["record_grads", "grad_stats", "GradStats", "colour_of", "LOG10_RANGE",
           "NONFINITE_COLOUR", "ZERO_COLOUR", "NO_GRAD_COLOUR", *_DRAWING]


def __getattr__(name):
    if name in _DRAWING:
        from . import draw

        return getattr(draw, name)
    raise AttributeError(f"module 'autograd.viz' has no attribute {name!r}")
