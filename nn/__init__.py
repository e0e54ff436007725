"""kissgrad.nn: modules, layers, losses, init and data utilities on top of autograd.

Example::

    import nn
    import nn.functional as F
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
"""
from . import data, datasets, functional, init, utils
from . import parallel as parallel  # nn.parallel: DistributedDataParallel (explicit re-export)
from . import viz as viz  # nn.viz: gradient-flow plots (explicit re-export)
from .activation import (
    ELU,
    GELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .container import ModuleDict, ModuleList, Sequential
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d
from .dropout import Dropout, Dropout2d
from .linear import Flatten, Identity, Linear, Unflatten
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .rnn import GRU, LSTM, RNN, RNNBase
from .sparse import Embedding

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "GRU", "RNNBase",
    "Linear", "Flatten", "Identity", "Dropout", "BatchNorm1d", "Embedding",
    "Conv2d", "MaxPool2d", "AvgPool2d", "RNN", "LSTM",
    "ReLU", "LeakyReLU", "ELU", "SELU", "Sigmoid", "Tanh", "Softplus", "Maxout", "Softmax",
    "LogSoftmax",
    "MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss",
    "GELU", "SiLU", "SmoothL1Loss", "Dropout2d", "AdaptiveAvgPool2d", "Unflatten", "BatchNorm2d",
    "LayerNorm",
    "data", "datasets", "functional", "init", "viz", "utils", "parallel",
]
