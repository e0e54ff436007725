"""The Neural Network Playground on kissgrad (``kissgrad playground``): a local web page
where a small network trains on a 2-D data set while the page shows the decision
boundary, every neuron's output, the weights and the gradients of the last step.

``datasets`` makes the data and features, ``model.Trainer`` trains one session with
kissgrad's ``nn`` and ``optim``, ``server`` serves the page and streams snapshots.

A snapshot (``Trainer.snapshot``, streamed as JSON) holds: ``config`` (the settings),
``epoch``, ``trainLoss``, ``testLoss``, ``history`` ([epoch, train, test] rows), ``output``
and ``neurons`` (heatmaps over the input plane, base64 bytes 0..255 for -1..1, ``grid`` and
``thumb`` cells per side; ``neurons`` per layer, input features first), ``weights`` and
``biases`` per layer, the last step's gradients ``edgeGrads`` (|dL/dw|), ``neuronGrads``
(L2 norm over the batch of dL/dz per neuron) and ``layerGrads`` (L2 norm of dL/dW per
layer, input side first; None before the first step), the ``train`` and ``test`` points
([x1, x2, label]), ``error`` (a message, or None), ``playing`` and ``session``.
"""
from .model import DEFAULTS, ConfigError, Trainer, check_config
from .server import PlaygroundServer, make_server, serve

__all__ = ["DEFAULTS", "ConfigError", "Trainer", "check_config", "PlaygroundServer",
           "make_server", "serve"]
