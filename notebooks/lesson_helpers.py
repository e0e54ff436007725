"""What the lessons share that is not part of what they teach.

The lessons import it as ``lesson_helpers``: Jupyter (and ``jupyter execute``, and
``python notebooks/NN_lesson.py``) puts the lesson's own folder on the import path.
"""
import shutil

from IPython.display import display

# How much of the DOT text to print when Graphviz cannot draw it: enough to see its shape.
DOT_PREVIEW_CHARS = 1500


def show_graph(graph):
    """Display a ``draw_graph`` result inline (SVG), or the start of its DOT source when
    Graphviz's ``dot`` is missing, so a lesson still runs without Graphviz."""
    if shutil.which("dot"):
        display(graph)
    else:
        print("Graphviz's `dot` is not installed, so here is the start of the DOT source:")
        print(graph.source[:DOT_PREVIEW_CHARS])
