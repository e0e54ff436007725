"""Small modules the Module tests share: a Block with nested modules, a parameter and
buffers, an MLP, and a snapshot of a state dict."""
import numpy as np

import nn
from autograd import Tensor


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter([1.0, 2.0])
        self.layers = nn.ModuleList([nn.Linear(2, 3), nn.Linear(3, 2)])
        self.norm = nn.BatchNorm1d(2)  # for its buffers (an int64 one among them)
        self.register_buffer("steps", np.zeros(1))
        self.note = Tensor([5.0])  # a plain Tensor attribute is not registered

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return x * self.scale


def mlp():
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 1))


def snapshot(module):
    """{name: a copy of the array} of ``module``'s state dict."""
    return {name: value.numpy().copy() for name, value in module.state_dict().items()}
