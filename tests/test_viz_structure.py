"""draw_graph's names, modules collapsed by depth, recurrences grouped per time step, the
max_nodes cut that keeps every parameter, and `depth="auto"` fitting the LSTM on a screen."""
import math
import re
import shutil
import struct

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, Value, manual_seed
from autograd.viz import colour_of, draw_graph, record_grads, render_graph
from autograd.viz.draw import SCREEN, choose_depth
from autograd.viz.structure import Structure, grad_fn_name
from kissgrad.graph import RowLSTM

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")
PARAMS = ["lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
          "head.weight", "head.bias"]


def boxes(source):
    """{graphviz node name: attribute text} of the tensor, op and collapsed-group nodes."""
    return dict(re.findall(r"^\s*(n\d+|op\d+|g\d+) \[(.*)\]$", source, re.M))


def clusters(source):
    """The labels of the clusters (boxes around expanded modules and steps), in order."""
    return re.findall(r'subgraph cluster_\d+ \{\n[^\n]*label="([^"]+)"', source)


@pytest.fixture(scope="module")
def lstm():
    """(model, loss) of the RowLSTM of `kissgrad graph --model lstm`: 20 steps, recorded."""
    manual_seed(0)
    model = RowLSTM(steps=20)
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32))
    loss = F.cross_entropy(model(x), Tensor(np.array([0, 1, 2, 3])))
    with record_grads():
        loss.backward()
    return model, loss


def mlp_loss():
    """Sequential(Linear, ReLU, Linear) on ones, loss = sum of the outputs, recorded."""
    manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).double()
    loss = model(Tensor(np.ones((5, 3)))).sum()
    with record_grads():
        loss.backward()
    return model, loss


# --- names ----------------------------------------------------------------------------

def test_names_come_from_labels_a_mapping_and_the_model():
    weights = Tensor(np.ones((3, 2)), requires_grad=True)
    inputs = Tensor(np.ones((4, 3)))
    hidden = inputs @ weights
    _alias = hidden  # noqa: F841  (names without a leading underscore win)
    loss = hidden.sum()
    source = draw_graph(loss, names=locals()).source
    for name in ("weights", "inputs", "hidden", "loss"):
        assert f"<B>{name}</B>" in source, name
    assert "_alias" not in source
    a = Value(2.0, label="a")
    b = a * 3
    assert "<B>a</B>" in draw_graph(b, names={"other": a}).source  # a label wins
    with pytest.raises(TypeError, match="names must be a mapping"):
        draw_graph(b, names=["a"])


def test_op_nodes_carry_pytorch_style_grad_fn_names():
    assert grad_fn_name("mul") == "MulBackward0"
    assert grad_fn_name("softmax_cross_entropy") == "SoftmaxCrossEntropyBackward0"
    x = Tensor(np.ones(3), requires_grad=True)
    source = draw_graph((x.tanh() * 2).sum()).source
    assert {"TanhBackward0", "MulBackward0", "SumBackward0"} <= set(re.findall(r"label=(\w+)", source))


# --- depth ----------------------------------------------------------------------------

def test_depth_zero_collapses_each_module_and_keeps_its_parameters():
    model, loss = mlp_loss()
    full = draw_graph(loss, model=model).source
    collapsed = draw_graph(loss, model=model, depth=0).source
    groups = [a for name, a in boxes(collapsed).items() if name.startswith("g")]
    assert len(groups) == 2 and not clusters(collapsed)
    assert {"0 (Linear)", "2 (Linear)"} == {re.search(r"<B>(.*?)</B>", a).group(1) for a in groups}
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f"<B>{name}</B>" in collapsed and f"<B>{name}</B>" in full
    assert "label=LinearBackward0" in full and "LinearBackward0" not in collapsed
    assert "label=SumBackward0" in collapsed  # the loss is in no module


def test_a_collapsed_module_shows_the_gradient_at_its_inputs_and_outputs():
    model, loss = mlp_loss()
    s = Structure(loss, model)
    first, second = s.groups["m:0"], s.groups["m:2"]
    # d(sum)/d(output of layer 2) is all ones (5 x 2); layer 2 sends ones @ W2 to its input
    assert second.grad_at_outputs.norm == pytest.approx(math.sqrt(10))
    w2 = model[2].weight.numpy()
    assert second.grad_at_inputs.norm == pytest.approx(np.linalg.norm(np.ones((5, 2)) @ w2))
    assert first.grad_at_outputs.norm == pytest.approx(second.grad_at_inputs.norm)  # relu joined 0
    assert first.grad_at_inputs is None  # the input needs no gradient
    label = [a for a in boxes(draw_graph(loss, model=model, depth=0).source).values()
             if "<B>2 (Linear)</B>" in a][0]
    assert f'BGCOLOR="{colour_of(math.sqrt(10))}"' in label and "|g| 3.16" in label
    assert "at inputs" in label and "at outputs" in label and "1 op<" in label


@pytest.mark.parametrize("depth", [-1, 1.5, "deep"])
def test_a_bad_depth_says_what_is_allowed(depth):
    model, loss = mlp_loss()
    with pytest.raises(ValueError, match=r"depth must be None, 'auto' or an int >= 0, got"):
        draw_graph(loss, model=model, depth=depth)


# --- recurrences ----------------------------------------------------------------------

def test_the_lstm_collapses_to_one_box_with_its_step_count(lstm):
    model, loss = lstm
    source = draw_graph(loss, model=model, depth=0).source
    lstm_box = [a for a in boxes(source).values() if "<B>lstm (LSTM)</B>" in a][0]
    assert "20 steps" in lstm_box
    for name in PARAMS:
        assert f"<B>{name}</B>" in source, name


def test_the_expanded_lstm_is_grouped_per_time_step(lstm):
    model, loss = lstm
    s = Structure(loss, model)
    steps = [g for g in s.groups.values() if g.kind == "step"]
    assert [g.step for g in steps] == list(range(1, 21)) and s.groups["m:lstm"].steps == 20
    sizes = {g.ops for g in steps[1:]}
    assert len(sizes) == 1 and sizes.pop() >= 10  # every step the same cell
    for g in steps:  # each step holds its own h @ W_hh
        assert sum(s.nodes[i].op is not None and s.nodes[i].op.name == "matmul"
                   for i in g.nodes) == 1
    source = draw_graph(loss, model=model, max_nodes=None).source
    labels = clusters(source)
    assert labels[0] == "lstm (LSTM)" and labels[1:21] == [f"step {k}" for k in range(1, 21)]
    # backprop through time: the gradient shrinks from the last step to the first
    assert steps[0].grad_at_outputs.norm < steps[-1].grad_at_outputs.norm / 100


def test_depth_one_shows_each_time_step_as_a_box(lstm):
    model, loss = lstm
    source = draw_graph(loss, model=model, depth=1).source
    titles = re.findall(r"<B>(lstm step \d+)</B>", source)
    assert titles == [f"lstm step {k}" for k in range(1, 21)]
    assert clusters(source) == ["lstm (LSTM)", "head (Linear)"]


@pytest.mark.parametrize("cls", [nn.GRU, nn.RNN])
def test_each_layer_of_a_stacked_recurrence_is_its_own_loop(cls):
    manual_seed(0)
    model = cls(3, 4, num_layers=2)
    model.fused = False  # the unrolled reference graph: one group per time step
    out, _ = model(Tensor(np.random.default_rng(1).standard_normal((6, 2, 3)).astype(np.float32)))
    s = Structure(out.sum(), model)
    titles = {g.title() for g in s.groups.values() if g.kind == "step"}
    assert titles == {f"step {k}" for k in range(1, 7)} | {f"step {k} (loop 2)" for k in range(1, 7)}


# --- the cut --------------------------------------------------------------------------

def test_the_cut_keeps_every_parameter_and_whole_time_steps(lstm):
    model, loss = lstm
    source = draw_graph(loss, model=model, max_nodes=300).source
    for name in PARAMS:
        assert f"<B>{name}</B>" in source, name
    assert len(boxes(source)) <= 300
    note = re.search(r'cut_note \[label="([^"]*)"', source).group(1)
    kept = [int(k) for k in re.findall(r"^step (\d+)$", "\n".join(clusters(source)), re.M)]
    assert kept and kept == list(range(kept[0], 21))  # the steps nearest the output
    assert f"lstm steps 1-{kept[0] - 1}" in note and "more nodes not drawn" in note
    tiny = draw_graph(loss, model=model, max_nodes=3).source
    assert all(f"<B>{name}</B>" in tiny for name in PARAMS)


# --- depth="auto" and the screen ------------------------------------------------------

def test_auto_depth_collapses_the_lstm_without_graphviz(lstm, monkeypatch, tmp_path):
    model, loss = lstm
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`: the layered estimate decides
    s = Structure(loss, model)
    assert choose_depth(s) == 0
    mlp, mlp_loss_ = mlp_loss()
    assert choose_depth(Structure(mlp_loss_, mlp)) is None  # small: nothing to collapse


def png_size(path):
    with open(path, "rb") as fh:
        return struct.unpack(">II", fh.read(24)[16:24])


@needs_dot
def test_the_lstm_at_the_default_depth_fits_1920_by_1080(tmp_path):
    from kissgrad.cli import main

    out = tmp_path / "lstm.png"
    assert main(["graph", "--model", "lstm", "--out", str(out)]) == 0
    width, height = png_size(out)
    assert width <= SCREEN[0] and height <= SCREEN[1], (width, height)
    dot = tmp_path / "lstm.dot"
    assert main(["graph", "--model", "lstm", "--out", str(dot)]) == 0
    source = dot.read_text()
    for name in PARAMS:
        assert f"<B>{name}</B>" in source, name
    assert "20 steps" in source


@needs_dot
def test_a_fully_expanded_lstm_renders(lstm, tmp_path):
    model, loss = lstm
    path = render_graph(draw_graph(loss, model=model, max_nodes=None), tmp_path / "all.svg")
    text = open(path).read()
    assert text.count(">step ") == 20 and "lstm (LSTM)" in text
