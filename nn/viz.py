"""Gradient flow: how big each layer's gradients are, now (``gradient_flow``) and over
training (``GradientRecorder``). Vanishing gradients show as the first layers' bars or
lines falling decades below the last ones.

matplotlib is optional (``pip install 'kissgrad[plot]'``): it is imported only to plot,
and the numbers (``gradient_stats``, ``GradientRecorder.norms``) never need it.
"""
import math

import numpy as np

__all__ = ["gradient_stats", "gradient_flow", "GradientRecorder"]

_FLOOR = 1e-30  # zero gradients are drawn at this height on the log scales


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plotting gradients needs matplotlib, an optional extra: "
                          "pip install 'kissgrad[plot]' (or pip install matplotlib)") from error
    return plt


def _grads(model):
    """``(name, gradient ndarray as float64)`` of each named parameter that has a gradient."""
    for name, param in model.named_parameters():
        if param.grad is not None:
            yield name, np.asarray(param.grad.raw, dtype=np.float64)


def gradient_stats(model):
    """Return ``{name: {"mean": mean |g|, "max": max |g|}}`` (Python floats) for every
    named parameter of ``model`` that has a ``.grad``, in ``named_parameters`` order."""
    return {name: {"mean": float(np.mean(np.abs(g))) if g.size else 0.0,
                   "max": float(np.max(np.abs(g))) if g.size else 0.0}
            for name, g in _grads(model)}


def gradient_flow(model, ax=None):
    """Plot each parameter's mean and max |gradient| as bars on a log scale; returns
    ``(ax, stats)``, ``stats`` being ``gradient_stats(model)``.

    Call it after ``loss.backward()``. ``ax``: a matplotlib Axes to draw on (default: a
    new figure). Needs matplotlib (``pip install 'kissgrad[plot]'``).

    Example::

        loss.backward()
        ax, stats = nn.viz.gradient_flow(model)
    """
    stats = gradient_stats(model)
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(max(6.0, 0.6 * len(stats) + 2), 4))
    else:
        _pyplot()
    names = list(stats)
    positions = np.arange(len(names))
    ax.bar(positions, [max(stats[n]["max"], _FLOOR) for n in names], width=0.8,
           color="#9ecae1", label="max |grad|")
    ax.bar(positions, [max(stats[n]["mean"], _FLOOR) for n in names], width=0.5,
           color="#08519c", label="mean |grad|")
    ax.set_yscale("log")
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set(xlabel="parameter (input side first)", ylabel="|gradient| (log scale)",
           title="gradient flow")
    ax.set_axisbelow(True)
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.legend()
    if ax.figure is not None:
        ax.figure.tight_layout()
    return ax, stats


class GradientRecorder:
    """Collects each parameter's gradient L2 norm at every step, as plain floats.

    Call ``record(model)`` after each ``backward()``; ``norms`` maps a parameter name
    to its list of norms, one per step (NaN where that parameter had no gradient).
    ``plot()`` draws them over training.

    Example::

        recorder = nn.viz.GradientRecorder()
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
            flat = g.ravel()
            self.norms.setdefault(name, [math.nan] * self.steps).append(
                float(np.sqrt(np.dot(flat, flat))))
        self.steps += 1
        for values in self.norms.values():  # parameters without a gradient this step
            if len(values) < self.steps:
                values.append(math.nan)

    def plot(self, path=None):
        """Draw the norms over training: lines (top) and a parameters x steps heatmap
        (bottom), both on log scales; save to ``path`` if given. Returns the Figure."""
        plt = _pyplot()
        from matplotlib.colors import LogNorm

        names = list(self.norms)
        table = np.array([self.norms[n] for n in names], dtype=np.float64).reshape(len(names), -1)
        figure, (lines, heat) = plt.subplots(2, 1, figsize=(10, 3 + 0.35 * len(names) + 3))
        for name, row in zip(names, table):
            lines.plot(np.arange(1, self.steps + 1), np.maximum(row, _FLOOR), label=name, lw=1)
        lines.set(yscale="log", xlabel="step", ylabel="gradient L2 norm",
                  title="gradient norms over training")
        lines.grid(alpha=0.3, which="both")
        if names:
            lines.legend(fontsize=7, ncol=max(1, len(names) // 8), loc="best")
            positive = table[np.isfinite(table) & (table > 0)]
            low, high = (positive.min(), positive.max()) if positive.size else (1.0, 10.0)
            norm = LogNorm(low, high if high > low else low * 10)
            image = heat.imshow(np.where(table > 0, table, np.nan), aspect="auto",
                                interpolation="nearest", cmap="turbo", norm=norm,
                                extent=(0.5, self.steps + 0.5, len(names) - 0.5, -0.5))
            figure.colorbar(image, ax=heat, label="gradient L2 norm (log)")
            heat.set_yticks(range(len(names)))
            heat.set_yticklabels(names, fontsize=8)
        heat.set(xlabel="step", title="per-parameter gradient norm (blank: no gradient)")
        figure.tight_layout()
        if path is not None:
            figure.savefig(path, dpi=100)
            plt.close(figure)  # scripts and training runs: do not keep figures open
        return figure
