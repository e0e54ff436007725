"""One colour scale everywhere: the graph, the recorder's heatmap and the gradient-flow bars
give a norm the same colour; exact zero, no gradient and NaN/Inf are distinct and marked."""
import math

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.viz import NO_GRAD_COLOUR, NONFINITE_COLOUR, ZERO_COLOUR, colour_of, draw_graph
from autograd.viz.scale import rgb
from nn.gradient_plots import (
    GradientRecorder,
    gradient_flow,
    gradient_stats,
    norm_colours,
    scale_colormap,
)

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def unit_model(scale=1.0):
    """Linear(1, 1, bias=False) after backward of scale * w * 1: its gradient is [[scale]]."""
    model = nn.Sequential(nn.Linear(1, 1, bias=False)).double()
    (model(Tensor(np.ones((1, 1)))) * scale).sum().backward()
    return model


def close(colour_a, colour_b):
    return np.allclose(colour_a[:3], colour_b[:3], atol=1.5 / 255)


def test_a_norm_of_one_has_the_same_colour_in_the_graph_the_heatmap_and_the_bars():
    model = nn.Sequential(nn.Linear(1, 1, bias=False)).double()
    loss = model(Tensor(np.ones((1, 1)))).sum()
    loss.backward()
    assert model[0].weight.grad.numpy().tolist() == [[1.0]]
    yellow = colour_of(1.0)
    graph = draw_graph(loss, model=model).source
    assert f'fillcolor="{yellow}"' in graph.split("<B>0.weight</B>")[1][:200]
    recorder = GradientRecorder()
    recorder.record(model)
    figure = recorder.plot()
    heatmap = figure.axes[1].images[0].get_array()
    assert close(heatmap[0, 0], rgb(yellow))
    plt.close(figure)
    ax, _ = gradient_flow(model)
    assert close(ax.patches[0].get_facecolor(), rgb(yellow))
    plt.close(ax.figure)
    colormap, norm = scale_colormap()  # the colorbars of both plots
    assert close(colormap(norm(1.0)), rgb(yellow))
    assert close(colormap(norm(1e-10)), rgb(colour_of(1e-10)))
    assert close(colormap(norm(1e6)), rgb(colour_of(1e6)))


def test_the_heatmap_scale_is_fixed_not_each_plots_own_range():
    small, large = GradientRecorder(), GradientRecorder()
    small.record(unit_model(1.0))
    large.record(unit_model(1.0))
    large.record(unit_model(1e5))  # another plot's range must not change the colour of 1
    for recorder in (small, large):
        figure = recorder.plot()
        assert close(figure.axes[1].images[0].get_array()[0, 0], rgb(colour_of(1.0)))
        plt.close(figure)


def test_zero_no_gradient_and_nan_are_recorded_and_drawn_apart():
    recorder = GradientRecorder()
    recorder.record(unit_model(1e-3))
    recorder.record(unit_model(0.0))
    model = unit_model(1.0)
    model[0].weight.grad = None
    recorder.record(model)
    recorder.record(unit_model(float("nan")))
    norms = recorder.norms["0.weight"]
    assert norms[0] == pytest.approx(1e-3) and norms[1] == 0.0
    assert math.isnan(norms[2]) and norms[3] == math.inf  # no gradient; NaN in the gradient
    figure = recorder.plot()
    row = figure.axes[1].images[0].get_array()[0]
    expected = [colour_of(1e-3), ZERO_COLOUR, NO_GRAD_COLOUR, NONFINITE_COLOUR]
    assert all(close(cell, rgb(c)) for cell, c in zip(row, expected))
    assert len({tuple(cell) for cell in row}) == 4
    lines = figure.axes[0]
    labels = [text.get_text() for text in lines.get_legend().get_texts()]
    assert "NaN/Inf (1)" in labels and "exactly 0 (1)" in labels
    plt.close(figure)


def test_gradient_flow_marks_nan_zero_and_missing_gradients_instead_of_dropping_them():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)).double()
    model(Tensor(np.ones((1, 2)))).sum().backward()
    model[0].weight.grad = model[0].weight.grad * float("nan")
    model[0].bias.grad = model[0].bias.grad * 0.0
    model[1].bias.grad = None
    ax, stats = gradient_flow(model)
    assert stats["0.weight"]["nonfinite"] == 4 and stats["0.weight"]["norm"] == math.inf
    assert stats["0.bias"]["norm"] == 0.0 and "1.bias" not in stats
    notes = {t.get_text() for t in ax.texts}
    assert {"NaN/Inf: 4", "0", "no grad"} <= notes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.weight", "0.bias", "1.weight",
                                                             "1.bias"]
    colours = [p.get_facecolor() for p in ax.patches[:4]]
    assert close(colours[0], rgb(NONFINITE_COLOUR)) and close(colours[1], rgb(ZERO_COLOUR))
    assert close(colours[2], rgb(colour_of(stats["1.weight"]["norm"])))
    plt.close(ax.figure)


def test_norm_colours_maps_every_case():
    cells = norm_colours([[1.0, 0.0], [math.nan, math.inf]])
    assert cells.shape == (2, 2, 3)
    assert close(cells[0, 0], rgb(colour_of(1.0))) and close(cells[0, 1], rgb(ZERO_COLOUR))
    assert close(cells[1, 0], rgb(NO_GRAD_COLOUR)) and close(cells[1, 1], rgb(NONFINITE_COLOUR))


def test_the_old_module_name_still_works():
    import nn.gradient_plots
    import nn.viz

    assert nn.viz.GradientRecorder is nn.gradient_plots.GradientRecorder
    assert nn.viz.gradient_flow is gradient_flow and nn.viz.gradient_stats is gradient_stats
