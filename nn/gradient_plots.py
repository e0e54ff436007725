"""Gradient-flow plots: how big each parameter's gradient is, now (``gradient_flow``) and
over training (``GradientRecorder``). Vanishing gradients show as the first layers' bars or
rows falling decades below the last ones.

Colours are the fixed log scale of the L2 norm that every kissgrad picture shares
(``autograd.viz.scale``: the drawn graph, its page, these bars and heatmaps), so a norm of
1 is the same yellow everywhere; exact zero is grey, no gradient white, NaN/Inf magenta
and marked in words. (``nn.viz`` is this module's old name.)

matplotlib is optional (``pip install 'kissgrad[plot]'``): it is imported only to plot,
and the numbers (``gradient_stats``, ``GradientRecorder.norms``) never need it.
"""
import math

import numpy as np

from autograd.viz import scale

__all__ = ["gradient_stats", "gradient_flow", "GradientRecorder", "norm_colours",
           "scale_colormap"]

_FLOOR = 1e-30  # zero gradients are drawn at this height on the log scales


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plotting gradients needs matplotlib, an optional extra: "
                          "pip install 'kissgrad[plot]' (or pip install matplotlib)") from error
    return plt


def _grads(model):
    """``(name, gradient ndarray as float64 or None)`` of each named parameter."""
    for name, param in model.named_parameters():
        yield name, None if param.grad is None else np.asarray(param.grad.raw, dtype=np.float64)


def _norm(g):
    """The L2 norm of ``g``; ``inf`` when it holds NaN or Inf (no finite norm describes it)."""
    flat = g.ravel()
    if not np.isfinite(flat).all():
        return math.inf
    return float(np.sqrt(np.dot(flat, flat)))


def gradient_stats(model):
    """Return ``{name: {"mean", "max", "norm", "nonfinite"}}`` (Python numbers) for every
    named parameter of ``model`` that has a ``.grad``, in ``named_parameters`` order: mean
    and max of |g| over the finite elements, the L2 norm (``inf`` with any NaN/Inf) and
    the count of NaN/Inf elements."""
    stats = {}
    for name, g in _grads(model):
        if g is None:
            continue
        finite = np.abs(g[np.isfinite(g)])
        stats[name] = {"mean": float(np.mean(finite)) if finite.size else 0.0,
                       "max": float(np.max(finite)) if finite.size else 0.0,
                       "norm": _norm(g), "nonfinite": int(g.size - finite.size)}
    return stats


def norm_colours(norms):
    """RGB floats (an (..., 3) array) of gradient norms on the shared scale: NaN means no
    gradient (white), 0 grey, inf NaN/Inf (magenta)."""
    norms = np.asarray(norms, dtype=np.float64)
    flat = [scale.rgb(scale.colour_of(None if math.isnan(n) else float(n))) for n in norms.ravel()]
    return np.array(flat, dtype=np.float64).reshape(norms.shape + (3,))


def scale_colormap():
    """``(colormap, norm)`` of the shared scale for matplotlib: a ``LogNorm`` over
    ``LOG10_RANGE`` and 256 samples of ``colour_of`` (needs matplotlib)."""
    from matplotlib.colors import ListedColormap, LogNorm

    low, high = scale.LOG10_RANGE
    samples = [scale.rgb(scale.colour_of(10.0 ** x)) for x in np.linspace(low, high, 256)]
    return ListedColormap(samples), LogNorm(10.0 ** low, 10.0 ** high)


def _colour_bar(figure, ax):
    """The shared scale as a matplotlib colorbar, with swatches for 0, NaN/Inf, no gradient."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.patches import Patch

    colormap, norm = scale_colormap()
    figure.colorbar(ScalarMappable(norm, colormap), ax=ax, label=scale.SCALE_TITLE)
    specials = [(scale.ZERO_COLOUR, "exactly 0"), (scale.NONFINITE_COLOUR, "NaN/Inf"),
                (scale.NO_GRAD_COLOUR, "no gradient")]
    return [Patch(facecolor=c, edgecolor="#555555", label=text) for c, text in specials]


def gradient_flow(model, ax=None):
    """Plot each parameter's gradient as a bar on a log scale; returns ``(ax, stats)``,
    ``stats`` being ``gradient_stats(model)``.

    The bar's height is the L2 norm, its colour the shared scale's colour of that norm;
    black ticks mark the mean and max |g|. A parameter without a gradient, with an exactly
    zero one, or with NaN/Inf is labelled so above its slot (never left out). Call it after
    ``loss.backward()``. ``ax``: a matplotlib Axes to draw on (default: a new figure).

    Example::

        loss.backward()
        ax, stats = nn.gradient_plots.gradient_flow(model)
    """
    stats = gradient_stats(model)
    names = [name for name, _ in model.named_parameters()]
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(names) + 3), 4))
    norms = [stats[n]["norm"] if n in stats else math.nan for n in names]
    finite = [n for n in norms if math.isfinite(n) and n > 0]
    top = max(finite, default=1.0) * 10
    heights = [top if math.isinf(n) else _FLOOR if not n > 0 else n for n in norms]
    positions = np.arange(len(names))
    ax.bar(positions, heights, width=0.7, color=norm_colours(norms), edgecolor="#555555",
           label="L2 norm")
    for k, name in enumerate(names):
        if name in stats and stats[name]["nonfinite"] == 0:
            for key, width in (("mean", 0.5), ("max", 0.7)):
                if stats[name][key] > 0:
                    ax.hlines(stats[name][key], k - width / 2, k + width / 2, colors="black",
                              linewidth=1.5 if key == "max" else 1, linestyles="-" if key == "max" else ":")
        note = _note(stats.get(name))
        if note:
            ax.annotate(note, (k, heights[k] if heights[k] > _FLOOR else min(finite, default=1.0)),
                        textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8,
                        color=scale.NONFINITE_COLOUR if "NaN" in note else "#333333")
    ax.set_yscale("log")
    if finite:
        ax.set_ylim(min(finite) / 10, top * 3)
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set(xlabel="parameter (input side first)", ylabel="|gradient| (log scale)",
           title="gradient flow: L2 norm (bar), max |g| (tick), mean |g| (dotted)")
    ax.set_axisbelow(True)
    ax.grid(axis="y", alpha=0.3, which="both")
    if ax.figure is not None:
        ax.legend(handles=_colour_bar(ax.figure, ax), fontsize=8, loc="upper left")
        ax.figure.tight_layout()
    return ax, stats


def _note(stats):
    if stats is None:
        return "no grad"
    if stats["nonfinite"]:
        return f"NaN/Inf: {stats['nonfinite']}"
    return "0" if stats["norm"] == 0 else ""


class GradientRecorder:
    """Collects each parameter's gradient L2 norm at every step, as plain floats.

    Call ``record(model)`` after each ``backward()``; ``norms`` maps a parameter name
    to its list of norms, one per step: NaN where that parameter had no gradient, ``inf``
    where its gradient held NaN or Inf. ``plot()`` draws them over training.

    Example::

        recorder = nn.gradient_plots.GradientRecorder()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad(); loss.backward()
            recorder.record(model)
            optimizer.step()
        recorder.plot("gradient_norms.png")
    """

    def __init__(self):
        self.norms = {}
        self.steps = 0

    def record(self, model):
        """Append this step's gradient norm of every named parameter of ``model``."""
        for name, g in _grads(model):
            if g is not None:
                self.norms.setdefault(name, [math.nan] * self.steps).append(_norm(g))
        self.steps += 1
        for values in self.norms.values():  # parameters without a gradient this step
            if len(values) < self.steps:
                values.append(math.nan)

    def plot(self, path=None):
        """Draw the norms over training: lines (top) and a parameters x steps heatmap
        (bottom) on the shared colour scale; save to ``path`` if given. Returns the Figure."""
        plt = _pyplot()
        names = list(self.norms)
        table = np.array([self.norms[n] for n in names], dtype=np.float64).reshape(len(names), -1)
        figure, (lines, heat) = plt.subplots(2, 1, figsize=(10, 3 + 0.35 * len(names) + 3))
        _plot_lines(lines, names, table, self.steps)
        heat.imshow(norm_colours(table) if names else np.ones((1, 1, 3)), aspect="auto",
                    interpolation="nearest", extent=(0.5, self.steps + 0.5, len(names) - 0.5, -0.5))
        heat.set_yticks(range(len(names)))
        heat.set_yticklabels(names, fontsize=8)
        heat.set(xlabel="step", title="per-parameter gradient L2 norm (same colours as the graph)")
        heat.legend(handles=_colour_bar(figure, heat), fontsize=8, loc="upper center",
                    bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False)
        figure.tight_layout()
        if path is not None:
            figure.savefig(path, dpi=100)
            plt.close(figure)  # scripts and training runs: do not keep figures open
        return figure


def _plot_lines(ax, names, table, steps):
    """One line per parameter (broken where there is no norm to plot); NaN/Inf steps marked
    with a magenta x above the lines, exact zeros with a grey v below them."""
    x = np.arange(1, steps + 1)
    for name, row in zip(names, table):
        ax.plot(x, np.where(np.isfinite(row) & (row > 0), row, np.nan), label=name, lw=1)
    ax.set(yscale="log", xlabel="step", ylabel="gradient L2 norm",
           title="gradient norms over training")
    ax.grid(alpha=0.3, which="both")
    if not names:
        return
    bad, zero = np.isinf(table), table == 0
    if bad.any() or zero.any():
        finite = table[np.isfinite(table) & (table > 0)]
        high, low = (finite.max() * 10, finite.min() / 10) if finite.size else (10.0, 0.1)
        steps_bad = np.nonzero(bad)[1] + 1
        ax.plot(steps_bad, np.full(steps_bad.shape, high), "x", color=scale.NONFINITE_COLOUR,
                markersize=8, label=f"NaN/Inf ({int(bad.sum())})" if bad.any() else None)
        steps_zero = np.nonzero(zero)[1] + 1
        ax.plot(steps_zero, np.full(steps_zero.shape, low), "v", color=scale.ZERO_COLOUR,
                label=f"exactly 0 ({int(zero.sum())})" if zero.any() else None)
    ax.legend(fontsize=7, ncol=max(1, len(names) // 8), loc="best")
