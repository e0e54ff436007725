"""Module and Parameter: registration by assignment, lookup, calling with hooks, traversal, repr.

``Module.__setattr__`` files a ``Parameter`` under ``_parameters``, a ``Module`` under
``_modules``; ``register_buffer`` files non-trainable state (BatchNorm's running
statistics) under ``_buffers``. Attribute reads fall back to those dicts, as in PyTorch.
Modes, dtypes and the saved state (``train``, ``to``, ``state_dict``, ``save``/``load``)
come from module_state.py.
"""
from collections import OrderedDict

import numpy as np

from autograd import Tensor

from . import hooks as _hooks
from .module_state import StateMethods
from .parameter import Parameter


def _named(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _addindent(text, spaces=2):
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


_REGISTRIES = ("_parameters", "_buffers", "_modules", "_forward_pre_hooks", "_forward_hooks",
               "_backward_hooks", "_backward_pre_hooks")


class Module(StateMethods):
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
        for name in _REGISTRIES:
            object.__setattr__(self, name, OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
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

    def _check_name(self, name, kind, registry):
        self._registry(name)
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"{kind} name can't contain \".\" or be empty, got {name!r}")
        if hasattr(self, name) and name not in registry:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Register ``param`` (a Parameter, or None: known but absent from state_dict) as ``name``."""
        self._check_name(name, "parameter", self.__dict__.get("_parameters", {}))
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} "
                            f"(nn.Parameter or None expected)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register non-trainable state (a Tensor, ndarray or None) under ``name``.

        Persistent buffers are part of ``state_dict`` (BatchNorm's running statistics).
        """
        self._check_name(name, "buffer", self.__dict__.get("_buffers", {}))
        self._buffers[name] = _as_buffer(name, tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        """Register ``module`` (a Module or None) as a child under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", self.__dict__.get("_modules", {}))
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """Return the descendant named by the dotted path ``target`` ("" is self)."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = child
        return module

    def get_parameter(self, target):
        """Return the parameter named by the dotted path ``target``."""
        return self._get_member(target, "_parameters", "parameter")

    def get_buffer(self, target):
        """Return the buffer named by the dotted path ``target``."""
        return self._get_member(target, "_buffers", "buffer")

    def _get_member(self, target, registry, kind):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in getattr(module, registry):
            raise AttributeError(f"{type(module).__name__} has no {kind} {name!r}")
        return getattr(module, registry)[name]

    # --- calling and hooks ----------------------------------------------------------

    def forward(self, *args, **kwargs):
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  f"\"forward\" function")

    def __call__(self, *args, **kwargs):
        if (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks
                or self._backward_pre_hooks):
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each forward; a returned value replaces ``args``.

        With ``with_kwargs=True`` it is ``hook(module, args, kwargs)`` and may return
        ``(args, kwargs)``. Returns a handle whose ``remove()`` unregisters the hook.
        """
        return _hooks.add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args, output)`` after each forward; a returned value replaces output.

        With ``with_kwargs=True`` it is ``hook(module, args, kwargs, output)``. Returns a
        handle whose ``remove()`` unregisters the hook.
        """
        return _hooks.add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` during backward; it may return new grad_input.

        As PyTorch's: ``grad_input`` has one entry per positional argument, ``grad_output``
        one per output (the output itself, or each item of a returned tuple); an entry is
        None where the item is not a tensor, does not require grad, or gets no gradient.
        Returns a handle whose ``remove()`` unregisters the hook.
        """
        return _hooks.add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_output)`` when the output gradients are known; it may return
        new grad_output. Returns a handle whose ``remove()`` unregisters the hook."""
        return _hooks.add_hook(self._backward_pre_hooks, hook, prepend)

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

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted_name, module)`` for self (name "") and every descendant, once each."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(memo, _named(prefix, name), remove_duplicate)

    def modules(self):
        """Yield this module and every descendant, once each."""
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry_name, prefix, recurse, remove_duplicate):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, member in getattr(module, registry_name).items():
                if member is None or (remove_duplicate and id(member) in seen):
                    continue
                seen.add(id(member))
                yield _named(module_prefix, name), member

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, Parameter)``, e.g. ``("0.weight", ...)``; shared ones once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield every Parameter of this module and its descendants (shared ones once)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, buffer Tensor)``."""
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

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


def _as_buffer(name, value):
    if value is None or isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} "
                    f"(Tensor, ndarray or None expected)")
