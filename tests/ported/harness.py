"""The two sets of modules a ported program runs on, and weights in a form both can load."""
import numpy as np


def kissgrad_libs():
    """kissgrad's torch-shaped modules, keyed as ``run`` takes them."""
    import kissgrad.nn as nn
    import kissgrad.nn.functional as F
    import kissgrad.optim as optim

    import kissgrad
    import kissgrad.utils.data as data
    return dict(torch=kissgrad, nn=nn, F=F, optim=optim, data=data)


def torch_libs():
    """PyTorch's modules, keyed as ``run`` takes them (the caller has checked torch imports)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    import torch.utils.data as data
    return dict(torch=torch, nn=nn, F=F, optim=optim, data=data)


def numpy_state(model):
    """A model's state dict as NumPy arrays (copies), the form both libraries can load."""
    return {name: np.array(value.detach().numpy(), copy=True) for name, value in model.state_dict().items()}

