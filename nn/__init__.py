"""kissgrad.nn: modules, layers, losses, init and data utilities on top of autograd.

Example::

    import nn
    import nn.functional as F
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
"""
from . import data, datasets, functional, init
from . import viz as viz  # nn.viz: gradient-flow plots (explicit re-export)
from .activation import (
    ELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from .container import ModuleList, Sequential
from .conv import AvgPool2d, Conv2d, MaxPool2d
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter
from .normalization import BatchNorm1d
from .rnn import LSTM, RNN
from .sparse import Embedding

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList",
    "Linear", "Flatten", "Identity", "Dropout", "BatchNorm1d", "Embedding",
    "Conv2d", "MaxPool2d", "AvgPool2d", "RNN", "LSTM",
    "ReLU", "LeakyReLU", "ELU", "SELU", "Sigmoid", "Tanh", "Softplus", "Maxout", "Softmax",
    "LogSoftmax",
    "MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss",
    "data", "datasets", "functional", "init", "viz",
]
