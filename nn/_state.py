"""Module helpers kept out of module.py: load_state_dict's checks and copy, to()'s arguments."""
from collections import namedtuple
from collections.abc import Mapping

import numpy as np

from autograd import Device, Tensor, no_grad
from autograd.tensor import check_device
from autograd.versions import mark_modified

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def load_into(module, own, state_dict, strict, assign):
    """Module.load_state_dict: check ``state_dict`` against ``own`` (name -> Tensor), then copy."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    values = {k: as_array_value(k, state_dict[k]) for k in own if k in state_dict}
    errors = [f"size mismatch for {k}: copying a param with shape {v.shape} from checkpoint, "
              f"the shape in current model is {own[k].raw.shape}."
              for k, v in values.items() if v.shape != own[k].raw.shape]
    if strict and unexpected:
        errors.insert(0, "Unexpected key(s) in state_dict: "
                      + ", ".join(f'"{k}"' for k in unexpected) + ".")
    if strict and missing:
        errors.insert(0, "Missing key(s) in state_dict: "
                      + ", ".join(f'"{k}"' for k in missing) + ".")
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(module).__name__}:\n\t"
                           + "\n\t".join(errors))
    with no_grad():
        for key, value in values.items():
            if assign:  # as PyTorch: the module takes the given array, its dtype included
                own[key].raw = value
            else:
                own[key].raw[...] = value
            mark_modified(own[key])
    return IncompatibleKeys(missing, unexpected)


def parse_to(args, kwargs):
    """The dtype ``Module.to`` casts to (None: keep), after checking the device is the CPU."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "memory_format"}
    if unknown or len(args) > 3:
        raise TypeError(f"to() got unexpected arguments {sorted(unknown) or args}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, (str, Device)):
            device = arg
        elif arg is not None and not isinstance(arg, bool):  # bool: the non_blocking slot
            dtype = arg
    if device is not None:
        check_device(device)
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"to(): {dtype!r} is neither a dtype nor a device") from None
    if dtype.kind != "f":
        raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                        f"dtype={dtype}")
    return dtype


def as_array_value(key, value):
    """The ndarray of a state_dict entry (a Tensor's own storage, else ``np.asarray``)."""
    array = value.raw if isinstance(value, Tensor) else np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise RuntimeError(f"state_dict entry {key!r} has non-numeric dtype {array.dtype} "
                           f"({type(value).__name__})")
    return array
