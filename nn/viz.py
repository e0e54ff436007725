"""The old name of ``nn.gradient_plots`` (gradient-flow plots), kept so ``nn.viz.gradient_flow``
and ``nn.viz.GradientRecorder`` go on working. ``autograd.viz`` draws the backward graph."""
from .gradient_plots import GradientRecorder, gradient_flow, gradient_stats, norm_colours

__all__ = ["gradient_stats", "gradient_flow", "GradientRecorder", "norm_colours"]
