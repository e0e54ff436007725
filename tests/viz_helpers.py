"""What the graph-drawing tests share: the drawn nodes of a Graphviz source, a node's fill
colour, and a small graph with known gradients."""
import re

import numpy as np

from autograd import Tensor

NODE_LINE = re.compile(r"^\s*(n\d+|op\d+) \[(.*)\]$", re.M)


def drawn(source):
    """{graphviz node name: its attribute text} for the tensor and op nodes of a source."""
    return dict(NODE_LINE.findall(source))


def fill(attrs):
    return re.search(r'fillcolor="(#[0-9a-f]{6})"', attrs).group(1)


def small_graph():
    """y = sum(x * w): tensors x, w, x*w, y; ops mul, sum."""
    x = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)
    w = Tensor(np.array([1.0, 10.0, 100.0]), requires_grad=True)
    product = x * w
    return x, w, product, product.sum()
