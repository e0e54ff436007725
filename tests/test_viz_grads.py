"""Gradients recorded for drawing: autograd.viz's record_grads (statistics per node and edge,
released with the graph, chained observers) and nn.viz's per-parameter statistics, norms over
steps and their plots. The drawn graph itself: test_viz.py."""
import gc
import math
import sys
import weakref

import numpy as np
import pytest
from viz_helpers import drawn, fill, small_graph

import nn
from autograd import Tensor, Value, engine
from autograd.viz import (
    colour_of,
    draw_graph,
    grad_stats,
    record_grads,
)
from autograd.viz import record as recording

# --- record_grads ---------------------------------------------------------------------

def test_record_grads_keeps_only_statistics_hand_computed():
    x, w, product, y = small_graph()
    with record_grads() as recorder:
        y.backward()
    s = grad_stats(product)
    assert s.norm == pytest.approx(math.sqrt(6)) and s.max == 1.0 and s.nonfinite == 0
    edges = dict(recorder.edge_stats(product))
    # to x: w broadcast over 2 rows; to w: summed back to (3,) by the engine
    assert edges[id(x)].norm == pytest.approx(math.sqrt(2 * (1 + 100 + 10000)))
    assert edges[id(w)].norm == pytest.approx(math.sqrt(5 ** 2 + 7 ** 2 + 9 ** 2))
    assert edges[id(w)].max == 9.0
    for stats in [grad_stats(n) for n in (x, w, product, y)] + list(edges.values()):
        for field in ("norm", "max", "nonfinite", "size", "value"):
            value = getattr(stats, field)
            assert value is None or type(value) in (float, int), (field, type(value))
    source = draw_graph(y).source
    assert f'color="{colour_of(edges[id(w)].norm)}"' in source
    inner = [a for a in drawn(source).values() if "(2, 3) float64" in a and "leaf" not in a][0]
    assert fill(inner) == colour_of(math.sqrt(6))


def test_recorded_statistics_are_released_with_the_graph():
    before = len(recording._RECORDED)

    def run():
        x = Tensor(np.ones((50, 50)), requires_grad=True)
        y = ((x * 2).tanh() * 3).sum()
        with record_grads():
            y.backward()
        assert grad_stats(y) is not None
        return weakref.ref(x), weakref.ref(y)

    refs = run()
    assert all(r() is None for r in refs)  # freed by reference counting, no gc needed
    assert len(recording._RECORDED) == before
    gc.collect()
    fresh = Tensor(np.ones(2), requires_grad=True)
    assert grad_stats(fresh) is None  # never confused with a dead node's id


def test_record_grads_restores_and_chains_the_previous_observer():
    calls = []

    class Spy:
        def node(self, node, g):
            calls.append("node")

        def edge(self, child, parent, g):
            calls.append("edge")

    assert engine.RECORDING.observer is None
    engine.RECORDING.observer = spy = Spy()
    try:
        x, w, product, y = small_graph()
        with record_grads():
            with record_grads():
                y.backward()
            assert isinstance(engine.RECORDING.observer, recording._Recorder)
        assert engine.RECORDING.observer is spy
        assert calls.count("node") == 4 and calls.count("edge") == 3
        assert len(recording._entry_of(product).edges) == 2  # nested blocks record once
    finally:
        engine.RECORDING.observer = None


def test_record_grads_under_create_graph_and_for_values():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x * x).sum()
    with record_grads():
        y.backward(create_graph=True)
    assert grad_stats(x).norm == pytest.approx(math.hypot(3, 12))
    a = Value(3.0)
    b = (a * a).tanh()
    with record_grads():
        b.backward()
    assert grad_stats(a).value == pytest.approx(a.grad)
    inner = [t for t in drawn(draw_graph(b).source).values() if "data 9" in t][0]
    assert f"grad {(1 - math.tanh(9) ** 2):.2e}" in inner  # recorded, not Value.grad (0.0)


# --- nn.viz ---------------------------------------------------------------------------

def linear_with_grads(x_rows):
    """A Linear(2, 1) after backward of sum(model(x)): weight.grad = column sums of x."""
    model = nn.Sequential(nn.Linear(2, 1))
    model(Tensor(np.array(x_rows, dtype=np.float32))).sum().backward()
    return model


def test_gradient_stats_hand_computed():
    from nn.viz import gradient_stats

    model = linear_with_grads([[1.0, -2.0]])
    stats = gradient_stats(model)
    assert stats == {"0.weight": {"mean": 1.5, "max": 2.0, "norm": math.sqrt(5), "nonfinite": 0},
                     "0.bias": {"mean": 1.0, "max": 1.0, "norm": 1.0, "nonfinite": 0}}
    assert all(type(v) in (float, int) for s in stats.values() for v in s.values())


def test_gradient_recorder_norms_hand_computed():
    from nn.viz import GradientRecorder

    recorder = GradientRecorder()
    model = linear_with_grads([[1.0, 2.0]])
    recorder.record(model)
    model.zero_grad()
    model(Tensor(np.array([[3.0, 4.0]], dtype=np.float32))).sum().backward()
    model[0].bias.grad = None  # a parameter without a gradient this step
    recorder.record(model)
    assert recorder.steps == 2
    assert recorder.norms["0.weight"] == pytest.approx([math.sqrt(5), 5.0])
    assert recorder.norms["0.bias"][0] == 1.0 and math.isnan(recorder.norms["0.bias"][1])
    assert all(type(v) is float for values in recorder.norms.values() for v in values)


def test_plots(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nn.viz import GradientRecorder, gradient_flow

    model = linear_with_grads([[1.0, -2.0]])
    ax, stats = gradient_flow(model)
    assert ax.get_yscale() == "log" and len(ax.containers) == 1
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.weight", "0.bias"]
    assert stats["0.weight"]["max"] == 2.0
    plt.close(ax.figure)
    recorder = GradientRecorder()
    for _ in range(3):
        recorder.record(model)
    figure = recorder.plot(tmp_path / "norms.png")
    assert (tmp_path / "norms.png").read_bytes()[:4] == b"\x89PNG"
    assert figure.axes[0].get_yscale() == "log"


def test_plotting_without_matplotlib_says_what_to_install(monkeypatch):
    from nn.viz import GradientRecorder, gradient_flow

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'kissgrad\[plot\]'"):
        gradient_flow(linear_with_grads([[1.0, 2.0]]))
    with pytest.raises(ImportError, match="kissgrad"):
        GradientRecorder().plot()
