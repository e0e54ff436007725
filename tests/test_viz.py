"""autograd.viz's drawn graph (nodes, colours, size limits, rendering) and `kissgrad graph`.

Recorded gradients (record_grads, nn.viz's gradient flow): test_viz_grads.py; modules, depth and
time steps: test_viz_structure.py; the shared colour scale in the plots: test_viz_plots.py; the
interactive page in a real browser: test_viz_page.py."""
import re
import shutil

import numpy as np
import pytest
from viz_helpers import drawn, fill, small_graph

import nn
from autograd import Tensor, Value
from autograd.viz import (
    NONFINITE_COLOUR,
    ZERO_COLOUR,
    GraphvizNotFoundError,
    colour_of,
    draw_graph,
    record_grads,
    render_graph,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


# --- the drawing ----------------------------------------------------------------------

def test_one_node_per_tensor_and_per_op_with_names_shapes_dtypes():
    x, w, product, y = small_graph()
    source = draw_graph(y).source
    nodes = drawn(source)
    assert sum(name.startswith("n") for name in nodes) == 4
    assert sum(name.startswith("op") for name in nodes) == 2
    ops = sorted(re.search(r"label=(\w+)", a).group(1) for n, a in nodes.items()
                 if n.startswith("op"))
    assert ops == ["MulBackward0", "SumBackward0"]  # PyTorch's grad_fn names
    assert "(2, 3) float64" in source and "(3,) float64" in source and "() float64" in source
    assert "gradient L2 norm" not in source  # no gradients yet: no legend to explain them


def test_edges_follow_the_forward_direction():
    x, w, product, y = small_graph()
    source = draw_graph(y).source
    edges = re.findall(r"^\s*(\w+) -> (\w+)", source, re.M)
    assert len(edges) == 5  # x->mul, w->mul, mul->x*w, x*w->sum, sum->y
    # numbered parents first: x n0, w n1, x*w n2 (made by op2), y n3 (op3)
    assert set(edges) == {("n0", "op2"), ("n1", "op2"), ("op2", "n2"), ("n2", "op3"), ("op3", "n3")}


def test_styles_tell_leaves_parameters_constants_and_output_apart():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * Tensor(np.full(3, 2.0))).sum()
    nodes = drawn(draw_graph(y).source).values()
    output = [a for a in nodes if "output" in a][0]
    leaf = [a for a in nodes if "<B>leaf</B>" in a][0]
    constant = [a for a in nodes if "constant" in a][0]
    assert "peripheries=2" in output
    assert "penwidth=2.5" in leaf and "dashed" not in leaf
    assert "dashed" in constant
    assert len({output, leaf, constant}) == 3


def test_value_nodes_show_their_label():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    assert (a.label, b.label, c.label) == ("a", "b", "c")
    c.backward()
    labels = [attrs for attrs in drawn(draw_graph(c).source).values()]
    for name in ("a", "b", "c"):
        assert any(f"<B>{name}</B>" in attrs for attrs in labels), name


def test_value_nodes_show_data_and_grad():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + 1
    c.backward()
    source = draw_graph(c).source
    assert "data 2" in source and "grad -3" in source  # a: dc/da = b
    assert "data -3" in source and "grad 2" in source
    assert "data -5" in source
    lone = drawn(draw_graph(Value(3.0)).source)["n0"]
    assert "grad 0" in lone and fill(lone) == "#ffffff"  # 0.0 before any backward: no colour
    plain = draw_graph(c, show_data=False, show_grad=False).source
    assert "data 2" not in plain and "grad" not in plain


def test_show_data_defaults_off_for_tensors_and_summarises_when_on():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    big = Tensor(np.arange(100.0), requires_grad=True)
    y = (x.sum() + big.sum())
    assert "[1., 2.]" not in draw_graph(y).source
    shown = draw_graph(y, show_data=True).source
    assert "[1., 2.]" in shown and "min 0 mean 49.5 max 99" in shown


def test_parameter_names_and_module_clusters():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    loss = model(Tensor(np.ones((5, 3), dtype=np.float32))).sum()
    loss.backward()
    source = draw_graph(loss, model=model).source
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"<B>{name}</B>" in source
    clusters = dict(re.findall(r"subgraph (cluster_\S+) \{(.*?)\n\t\}", source, re.S))
    labels = {re.search(r'label="([^"]+)"', body).group(1): body for body in clusters.values()}
    assert set(labels) == {"0 (Linear)", "2 (Linear)"}
    # relu follows the first Linear (its only consumer, same shape): same cluster
    assert "label=ReluBackward0" in labels["0 (Linear)"]
    assert "label=LinearBackward0" in labels["0 (Linear)"]
    assert "label=ReluBackward0" not in labels["2 (Linear)"]
    assert "label=LinearBackward0" in labels["2 (Linear)"]
    assert "<B>2.weight</B>" in labels["2 (Linear)"]
    outside = source.split("subgraph")[0]
    assert "label=SumBackward0" in outside  # the loss belongs to no module


# --- colours --------------------------------------------------------------------------

def rgb(colour):
    return np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)], dtype=float)


def test_three_magnitudes_get_three_clearly_different_colours():
    a, b, c = (Tensor(np.array([1.0]), requires_grad=True) for _ in range(3))
    loss = (a * 1e-9 + b * 1.0 + c * 1e6).sum()
    loss.backward()
    nodes = drawn(draw_graph(loss).source)
    colours = {}
    for attrs in nodes.values():
        for magnitude in ("1.00e-09", "|g| 1 ", "1.00e+06"):
            if "<B>leaf</B>" in attrs and magnitude in attrs:
                colours[magnitude] = fill(attrs)
    assert colours == {"1.00e-09": colour_of(1e-9), "|g| 1 ": colour_of(1.0),
                       "1.00e+06": colour_of(1e6)}
    values = list(colours.values())
    for i in range(3):
        for j in range(i):
            assert np.linalg.norm(rgb(values[i]) - rgb(values[j])) > 120


def test_colour_scale_is_fixed_and_clamped():
    assert colour_of(1e-30) == colour_of(1e-10)
    assert colour_of(1e30) == colour_of(1e6)
    assert colour_of(1e-3) != colour_of(1e-2)
    assert colour_of(1.0) == "#e8d538"  # healthy yellow, in every picture


def test_zero_no_gradient_and_nonfinite_are_not_on_the_scale():
    on_scale = {colour_of(10.0 ** (k / 4)) for k in range(-60, 40)}
    specials = [colour_of(0.0), colour_of(None), colour_of(float("nan")), colour_of(float("inf"))]
    assert specials == [ZERO_COLOUR, "#ffffff", NONFINITE_COLOUR, NONFINITE_COLOUR]
    assert not on_scale & set(specials)
    assert colour_of(0.0) != colour_of(1e-10)  # a dead ReLU is not a vanishing gradient


def test_exact_zero_gradient_is_drawn_grey():
    x = Tensor(np.array([-1.0, -2.0]), requires_grad=True)
    y = x.relu().sum()  # every input negative: the gradient is exactly 0
    with record_grads():
        y.backward()
    leaf = [a for a in drawn(draw_graph(y).source).values() if "<B>leaf</B>" in a][0]
    assert fill(leaf) == ZERO_COLOUR and "|g| 0" in leaf


def test_legend_explains_the_scale_once_there_are_gradients():
    x, w, product, y = small_graph()
    y.backward()
    source = draw_graph(y).source
    legend = re.search(r"^\tlabel=<(.*)> labeljust", source, re.M).group(1)  # the graph's label
    assert source.count("gradient L2 norm (log scale)") == 1
    for label in ("1e-10", "1e+0", "1e+6", "NaN/Inf", "exactly 0", "no grad"):
        assert label in legend
    assert NONFINITE_COLOUR in legend and ZERO_COLOUR in legend and colour_of(1.0) in legend


def test_nan_gradients_get_their_own_colour_and_count():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = (x * float("nan")).sum()
    with record_grads():
        y.backward()
    source = draw_graph(y).source
    leaf = [a for a in drawn(source).values() if "<B>leaf</B>" in a][0]
    assert fill(leaf) == NONFINITE_COLOUR and "NaN/Inf: 3 of 3" in leaf
    edge = re.search(r"n\d+ -> op\d+ \[.*NaN/Inf.*\]", source).group(0)
    assert f'color="{NONFINITE_COLOUR}"' in edge and 'label="3 NaN/Inf"' in edge


def test_leaves_and_their_edges_are_coloured_by_grad_without_recording():
    x, w, product, y = small_graph()
    y.backward()
    source = draw_graph(y).source
    nodes = drawn(source)
    x_norm = float(np.linalg.norm(x.grad.numpy()))
    leaf_x = [n for n, a in nodes.items() if "(2, 3) float64" in a and "<B>leaf</B>" in a][0]
    assert fill(nodes[leaf_x]) == colour_of(x_norm)
    assert re.search(rf'{leaf_x} -> op\d+ \[color="{colour_of(x_norm)}"', source)
    inner = [a for a in nodes.values() if "(2, 3) float64" in a and "leaf" not in a][0]
    assert fill(inner) == "#ffffff"  # nothing recorded: intermediate nodes stay blank


# --- size limits ----------------------------------------------------------------------

def test_max_nodes_cuts_and_says_how_many():
    y = leaf = Tensor(np.ones(3), requires_grad=True)
    for _ in range(50):
        y = -y  # 51 tensors and 50 ops: 101 drawn nodes in all
    source = draw_graph(y, max_nodes=10).source
    nodes = drawn(source)
    # the leaf (a parameter: never cut), then 4 ops nearest the output, box and ellipse each
    assert len(nodes) == 9 and "n0" in nodes and "<B>leaf</B>" in nodes["n0"]
    assert "92 more nodes not drawn" in source and "max_nodes=10" in source
    assert "cut: outside any module: 92 nodes" in source
    assert leaf.requires_grad
    assert "cut_note" not in draw_graph(y, max_nodes=None).source
    assert len(drawn(draw_graph(y, max_nodes=None).source)) == 101


def test_a_100000_node_tensor_chain_draws_without_recursion():
    y = Tensor(np.ones(2), requires_grad=True)
    for _ in range(100_000):
        y = -y
    source = draw_graph(y, max_nodes=40).source
    assert len(drawn(source)) == 39  # the leaf, then 19 ops (box and ellipse)
    assert f"{200_001 - 39} more nodes not drawn" in source


def test_a_long_value_chain_draws_without_recursion():
    v = Value(0.5)
    for _ in range(20_000):
        v = v * 1.0
    v.backward()
    source = draw_graph(v, max_nodes=30).source
    assert 27 <= len(drawn(source)) <= 30 and "more nodes not drawn" in source


# --- rendering ------------------------------------------------------------------------

def test_rendering_without_dot_says_how_to_install(tmp_path, monkeypatch):
    x, w, product, y = small_graph()
    graph = draw_graph(y)
    assert "digraph" in graph.source  # building needs no binary
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
        render_graph(graph, tmp_path / "g.svg")
    assert isinstance(info.value, RuntimeError) and "brew install graphviz" in str(info.value)
    with pytest.raises(GraphvizNotFoundError, match="Install Graphviz"):
        graph.render(outfile=str(tmp_path / "g.png"))
    with pytest.raises(GraphvizNotFoundError):
        graph.pipe(format="svg")


@needs_dot
def test_render_svg_and_jupyter_inline_svg(tmp_path):
    x, w, product, y = small_graph()
    with record_grads():
        y.backward()
    graph = draw_graph(y)
    path = render_graph(graph, tmp_path / "g.svg")
    text = open(path).read()
    assert "<svg" in text and "mul" in text
    bundle = graph._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    png = render_graph(graph, str(tmp_path / "g.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_kissgrad_graph_command_writes_an_svg(tmp_path, capsys):
    from kissgrad.cli import main

    out = tmp_path / "graph.svg"
    assert main(["graph", "--model", "mlp", "--out", str(out), "--batch-size", "4"]) == 0
    text = out.read_text()
    assert "<svg" in text and "1.weight" in text and "SoftmaxCrossEntropyBackward0" in text
    assert "wrote" in capsys.readouterr().out
