"""``kissgrad.exp(x)``, ``kissgrad.sum(x, dim)``, ...: the Tensor methods as functions, as ``torch``
has them. Each takes a Tensor (or data, made into one) first and calls the method."""
from autograd import Tensor, as_tensor

METHODS = (
    "exp log log2 log10 log1p expm1 sqrt rsqrt abs sign sin cos tan tanh sigmoid relu neg "
    "reciprocal square floor ceil round clamp clip lerp sum mean prod var std norm logsumexp "
    "amax amin argmax argmin all any max min topk sort argsort cumsum reshape flatten unflatten "
    "squeeze unsqueeze transpose swapaxes permute chunk split unbind flip roll narrow matmul mm "
    "bmm gather take_along_dim isnan isfinite t numel pow add sub mul div eq ne lt le gt ge "
    "allclose equal movedim"
).split()


def _function(name):
    method = getattr(Tensor, name)

    def function(input, *args, **kwargs):
        return method(input if isinstance(input, Tensor) else as_tensor(input), *args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"``kissgrad.{name}(input, ...)`` is ``input.{name}(...)``: " + (method.__doc__ or "")
    return function


FUNCTIONS = {name: _function(name) for name in METHODS}
