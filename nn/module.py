"""Module and Parameter: registration by assignment, traversal, state_dict, save/load, repr.

``Module.__setattr__`` files a ``Parameter`` under ``_parameters``, a ``Module`` under
``_modules``; ``register_buffer`` files non-trainable state (BatchNorm's running
statistics) under ``_buffers``. Attribute reads fall back to those dicts, as in PyTorch.
"""
import os
import zipfile
from collections import OrderedDict, namedtuple

import numpy as np

from autograd import Tensor, no_grad

from ._files import atomic_write

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A leaf Tensor that requires grad; assigning it to a Module attribute registers it.

    ``Parameter(tensor_or_array, requires_grad=True)``: the data is copied; Python
    numbers and lists become float32, ndarrays keep their float dtype.

    Example::

        w = nn.Parameter(np.zeros((3, 2)))
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.data if isinstance(data, Tensor) else data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _named(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _addindent(text, spaces=2):
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of every layer and model: set attributes in ``__init__``, define ``forward``.

    Example::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Linear(2, 8)
                self.out = nn.Linear(8, 1)

            def forward(self, x):
                return self.out(self.hidden(x).relu())
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration ---------------------------------------------------------------

    def _registry(self, name):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() call "
                                 f"(call super().__init__() first in {type(self).__name__})")
        return self._parameters, self._buffers, self._modules

    def __setattr__(self, name, value):
        params, buffers, modules = self._registry(name)
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value  # an existing name keeps its place (state_dict order)
        elif isinstance(value, Module):
            self._forget(name, keep=modules)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                f"(nn.Parameter or None expected)")
            params[name] = None
        elif name in buffers:
            buffers[name] = _as_buffer(name, value)
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} "
                                f"(nn.Module or None expected)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Drop ``name`` from every registry but ``keep`` and from the plain attributes."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self.__dict__.pop(name, None)
        self._non_persistent.discard(name)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the registries
        registries = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            registry = registries.get(key)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                self._forget(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter or None) under ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r}")
        self._registry(name)
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register non-trainable state (a Tensor, ndarray or None) under ``name``.

        Persistent buffers are part of ``state_dict`` (BatchNorm's running statistics).
        """
        self._registry(name)
        self._forget(name, keep=self._buffers)
        self._buffers[name] = _as_buffer(name, tensor)
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register ``module`` (a Module or None) as a child under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._registry(name)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # --- calling --------------------------------------------------------------------

    def forward(self, *args, **kwargs):
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- traversal ------------------------------------------------------------------

    def named_children(self):
        """Yield ``(name, module)`` for each direct child."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self):
        """Yield each direct child module."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix="", _seen=None):
        """Yield ``(dotted_name, module)`` for self (name "") and every descendant, once each."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(_named(prefix, name), seen)

    def modules(self):
        """Yield this module and every descendant, once each."""
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry_name, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, member in getattr(module, registry_name).items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield _named(module_prefix, name), member

    def named_parameters(self, prefix="", recurse=True):
        """Yield ``(dotted_name, Parameter)``, e.g. ``("0.weight", ...)``; shared ones once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        """Yield every Parameter of this module and its descendants (shared ones once)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        """Yield ``(dotted_name, buffer Tensor)``."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        """Yield every buffer Tensor."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant, then on self (custom init); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- modes and gradients --------------------------------------------------------

    def train(self, mode=True):
        """Set training mode here and below (Dropout drops, BatchNorm uses batch stats).

        Returns self.
        """
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def zero_grad(self):
        """Forget the gradients of every parameter (``.grad = None``, PyTorch's default)."""
        for param in self.parameters():
            param.grad = None

    def requires_grad_(self, requires_grad=True):
        """Turn gradient recording on or off for every parameter (freezing); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, dtype):
        """Cast floating parameters and buffers to ``dtype`` in place (no devices); returns self.

        Example: ``model.to(np.float64)`` before a float64 gradient check.
        """
        dtype = np.dtype(dtype)
        for member in list(self.parameters()) + list(self.buffers()):
            if member.data.dtype.kind == "f":
                member.data = member.data.astype(dtype)
                if member.grad is not None:
                    member.grad = None
        return self

    def double(self):
        """Cast floating parameters and buffers to float64; returns self."""
        return self.to(np.float64)

    def float(self):
        """Cast floating parameters and buffers to float32; returns self."""
        return self.to(np.float32)

    # --- state ----------------------------------------------------------------------

    def _state_items(self, prefix=""):
        """(name, Tensor) of this module's params and persistent buffers, then its children's."""
        for name, param in self._parameters.items():
            if param is not None:
                yield _named(prefix, name), param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                yield _named(prefix, name), buffer
        for name, child in self.named_children():
            yield from child._state_items(_named(prefix, name))

    def state_dict(self):
        """Return an OrderedDict of dotted names to copies (ndarrays) of parameters and buffers.

        Names and layouts are PyTorch's (``0.weight`` is (out, in) for a Linear).
        """
        return OrderedDict((name, np.array(t.data, copy=True)) for name, t in self._state_items())

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into the existing parameters and buffers.

        With ``strict=True`` missing or unexpected keys raise ``RuntimeError``; a wrong
        shape always does (the message names the key and both shapes). Returns
        ``IncompatibleKeys(missing_keys, unexpected_keys)`` as PyTorch does.
        """
        own = OrderedDict(self._state_items())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = _as_array_value(key, state_dict[key])
            if value.shape != target.data.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape {value.shape} "
                              f"from checkpoint, the shape in current model is "
                              f"{target.data.shape}.")
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.data[...] = _as_array_value(key, state_dict[key])
        return IncompatibleKeys(missing, unexpected)

    def save(self, path):
        """Write ``state_dict()`` to ``path`` (a ``.npz`` file), atomically; returns the path.

        The arrays go to a temporary file in the same folder, which then replaces
        ``path`` in one step: a crash never leaves a half-written model behind.
        """
        path = os.fspath(path)
        if not path.endswith(".npz"):
            raise ValueError(f"save: models are saved as .npz files; got {path!r}")
        state = self.state_dict()
        return atomic_write(path, lambda file: np.savez(file, **state))

    def load(self, path, strict=True):
        """Load parameters and buffers saved by ``save`` (``.npz``, never pickles); returns self.

        A file that is not a valid ``.npz`` of plain arrays raises ``ValueError``;
        keys and shapes are checked as in ``load_state_dict``.
        """
        self.load_state_dict(read_npz(path), strict=strict)
        return self

    # --- repr -----------------------------------------------------------------------

    def extra_repr(self):
        """The text inside this module's parentheses in ``repr`` (e.g. ``in_features=2, ...``)."""
        return ""

    def __repr__(self):
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        for name, child in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(child)))
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def read_npz(path):
    """Return the arrays of a ``.npz`` file as an OrderedDict, with ``allow_pickle=False``.

    Raises ``ValueError`` naming the file when it is not a readable ``.npz`` of plain arrays.
    """
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not a .npz archive of named arrays")
        with archive:
            return OrderedDict((key, archive[key]) for key in archive.files)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ValueError(f"{path!r} is not a valid .npz model file: {error}") from None


def _as_buffer(name, value):
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                    f"(Tensor, ndarray or None expected)")


def _as_array_value(key, value):
    array = np.asarray(value.data if isinstance(value, Tensor) else value)
    if array.dtype.kind not in "biuf":
        raise RuntimeError(f"state_dict entry {key!r} has non-numeric dtype {array.dtype}")
    return array
