"""Containers: Sequential (applies its modules in order), ModuleList and ModuleDict (hold them)."""
from collections import OrderedDict
from collections.abc import Mapping

from .module import Module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: ``len``, iteration, ``[i]`` and ``[a:b]``."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._slice(index)
        return list(self._modules.values())[_check_index(index, len(self))]


class Sequential(_ModuleSequence):
    """Modules applied in order: ``Sequential(m0, m1, ...)`` or ``Sequential(OrderedDict)``.

    Supports ``len``, iteration, ``model[i]`` and ``model[a:b]`` (a new Sequential).

    Example::

        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x):
        """Return the last module's output, each module feeding the next."""
        for module in self._modules.values():
            x = module(x)
        return x

    def _slice(self, index):
        return Sequential(OrderedDict(list(self._modules.items())[index]))

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self


def _check_index(index, length):
    index = int(index)
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a container of length {length}")
    return index % length


class ModuleList(_ModuleSequence):
    """A list of modules, each registered (so its parameters are found); it has no forward.

    Example::

        self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, index):
        return ModuleList(list(self._modules.values())[index])

    def __setitem__(self, index, module):
        self.add_module(list(self._modules)[_check_index(index, len(self))], module)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of an iterable; returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``."""
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for position, item in enumerate(items):
            self.add_module(str(position), item)

    def forward(self, *args, **kwargs):
        """ModuleList has no forward: iterate over it in the parent's forward."""
        raise NotImplementedError("ModuleList is a container and has no forward(); "
                                  "call its modules in your own forward()")


class ModuleDict(Module):
    """An ordered dict of modules, each registered under its key; it has no forward.

    PyTorch's surface: ``d[key]``, ``d[key] = module``, ``del d[key]``, ``len``, ``in``,
    iteration over keys, ``keys() values() items() update() pop() clear()``.

    Example::

        self.heads = nn.ModuleDict({"digit": nn.Linear(64, 10), "parity": nn.Linear(64, 2)})
        logits = self.heads["digit"](features)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self):
        """``(key, module)`` pairs, in insertion order."""
        return self._modules.items()

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove the module under ``key`` and return it."""
        return self._modules.pop(key)

    def update(self, modules):
        """Add (or replace) modules from a mapping or an iterable of ``(key, module)`` pairs."""
        if isinstance(modules, (Mapping, ModuleDict)):
            pairs = modules.items()
        else:
            pairs = []
            for index, pair in enumerate(modules):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise ValueError(f"ModuleDict.update: element #{index} of the iterable should "
                                     f"be a (key, module) pair, got {pair!r}")
                pairs.append(pair)
        for key, module in pairs:
            self[key] = module

    def forward(self, *args, **kwargs):
        """ModuleDict has no forward: call its modules in the parent's forward."""
        raise NotImplementedError("ModuleDict is a container and has no forward(); "
                                  "call its modules in your own forward()")
