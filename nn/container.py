"""Containers: Sequential (applies its modules in order) and ModuleList (holds them)."""
from collections import OrderedDict

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
