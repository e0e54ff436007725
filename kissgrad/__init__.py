"""kissgrad: PyTorch's front door onto the ``autograd``, ``nn`` and ``optim`` packages.

``import kissgrad as torch`` runs a PyTorch program that uses what ``shared/API.md`` lists:
``kissgrad.nn``, ``kissgrad.optim``, ``kissgrad.autograd`` and ``kissgrad.viz`` are the same
module objects as the top-level packages, ``kissgrad.utils.data`` is ``torch.utils.data``.
``kissgrad.draw_graph`` and ``kissgrad.record_grads`` draw the backward graph coloured by
gradient. The package also carries the command-line program (``kissgrad train|graph``).

Example::

    import kissgrad as kg
    x = kg.tensor([[1.0, 2.0]], requires_grad=True)
    (x ** 2).sum().backward()
    x.grad   # Tensor([[2., 4.]])
"""
import numpy as _np

from . import _aliases

_aliases.install()

import autograd  # noqa: E402  (after the aliases, so kissgrad.autograd is this module)
import nn  # noqa: E402
import optim  # noqa: E402
from autograd import (  # noqa: E402
    Device,
    Generator,
    Tensor,
    arange,
    as_tensor,
    cat,
    concatenate,
    device,
    empty,
    empty_like,
    enable_grad,
    eye,
    from_numpy,
    full,
    full_like,
    inference_mode,
    is_grad_enabled,
    linspace,
    manual_seed,
    maximum,
    minimum,
    multinomial,
    no_grad,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    set_grad_enabled,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from autograd.dtypes import (  # noqa: E402
    bool_ as bool,
)
from autograd.dtypes import (  # noqa: E402
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from nn.serialization import load, save  # noqa: E402

from . import backends, cuda, utils  # noqa: E402
from ._functions import FUNCTIONS as _FUNCTIONS  # noqa: E402

globals().update(_FUNCTIONS)
float, double, half, long, int = float32, float64, float16, int64, int32
concat = cat
pi, e, inf, nan = _np.pi, _np.e, _np.inf, _np.nan
__version__ = "0.2.0"


def is_tensor(obj):
    """True when ``obj`` is a kissgrad Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """Number of elements of ``input``."""
    return input.numel()


def __getattr__(name):
    # graphviz-backed drawing loads on first use, not with every ``import kissgrad``:
    # kg.viz, kg.draw_graph(loss, model=..., depth=...) and kg.record_grads()
    if name in ("viz", "draw_graph", "record_grads"):
        import autograd.viz as viz
        return viz if name == "viz" else getattr(viz, name)
    if name == "distributed":  # mpi4py itself loads only at kg.distributed.init()
        import importlib
        return importlib.import_module("kissgrad.distributed")
    raise AttributeError(f"module 'kissgrad' has no attribute {name!r}")
