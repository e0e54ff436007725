"""Make ``kissgrad.nn``, ``kissgrad.optim``, ``kissgrad.autograd`` and ``kissgrad.viz`` (and every
submodule below them, such as ``kissgrad.nn.functional``) the very module objects of the top-level
``nn``, ``optim``, ``autograd`` and ``autograd.viz`` packages, so that ``import kissgrad.nn as nn``
and ``import nn`` share one set of classes and one op table."""
import importlib
import importlib.abc
import importlib.util
import sys

ALIASES = {"kissgrad.nn": "nn", "kissgrad.optim": "optim", "kissgrad.autograd": "autograd",
           "kissgrad.viz": "autograd.viz"}


def target_of(fullname):
    """The real module name behind an alias name, or None."""
    for alias, real in ALIASES.items():
        if fullname == alias or fullname.startswith(alias + "."):
            return real + fullname[len(alias):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands back the already-importable real module instead of loading a second copy."""

    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return importlib.import_module(self.real)

    def exec_module(self, module):
        pass  # the real module ran when it was imported


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``kissgrad.nn...`` names by importing the real ``nn...`` module."""

    def find_spec(self, fullname, path=None, target=None):
        """A spec that loads the real module for a ``kissgrad.*`` alias; None for other names."""
        real = target_of(fullname)
        if real is None or importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


def install():
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, AliasFinder())
