"""Module's modes and state: training mode (``train``/``eval``), gradients of every parameter
(``zero_grad``, ``requires_grad_``), casting parameters and buffers (``to``, ``double``,
``float`` ...), and the state that is saved and loaded (``state_dict``, ``load_state_dict``,
``save``, ``load``). The methods act on whatever module.py's registries hold."""
import os
from collections import OrderedDict

import numpy as np

from autograd import Tensor

from . import _state
from ._files import atomic_write
from .serialization import load as _load_file


class StateMethods:
    """Modes, gradients, dtypes and saved state of a Module and its descendants."""

    # --- modes, gradients, dtypes ---------------------------------------------------

    def train(self, mode=True):
        """Set training mode here and below (Dropout drops, BatchNorm uses batch stats); returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {type(mode).__name__}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of every parameter: ``.grad = None`` (default) or zeros in place."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            elif param.grad.is_leaf and param.grad.raw.flags.writeable:
                param.grad.raw[...] = 0
            else:  # a gradient with a graph (create_graph=True): detach it, as PyTorch does
                param.grad = Tensor(np.zeros_like(param.grad.raw))

    def requires_grad_(self, requires_grad=True):
        """Turn gradient recording on or off for every parameter (freezing); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, *args, **kwargs):
        """Cast floating parameters and buffers in place; returns self. ``to(dtype)``,
        ``to("cpu")``, ``to(device, dtype)``, ``to(tensor)`` or keywords, as PyTorch.

        There is only the CPU: any other device raises ``RuntimeError``.
        Example: ``model.to(np.float64)`` before a float64 gradient check.
        """
        dtype = _state.parse_to(args, kwargs)
        if dtype is not None:
            self._cast(dtype)
        return self

    def _cast(self, dtype):
        for member in list(self.parameters()) + list(self.buffers()):
            if member.raw.dtype.kind == "f" and member.raw.dtype != dtype:
                member.raw = member.raw.astype(dtype)
                if member.grad is not None:
                    member.grad = Tensor(member.grad.raw.astype(dtype))

    def double(self):
        """Cast floating parameters and buffers to float64; returns self."""
        return self.to(np.float64)

    def float(self):
        """Cast floating parameters and buffers to float32; returns self."""
        return self.to(np.float32)

    def half(self):
        """Cast floating parameters and buffers to float16; returns self."""
        return self.to(np.float16)

    def cpu(self):
        """Return self (everything already lives on the CPU)."""
        return self

    def cuda(self, device=None):
        """Raise ``RuntimeError``: kissgrad has no GPU backend."""
        return self.to("cuda" if device is None else f"cuda:{device}")

    # --- state ----------------------------------------------------------------------

    def _state_items(self, prefix=""):
        """(prefix + name, Tensor) of its params and persistent buffers, then its children's."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent:
                yield prefix + name, buffer
        for name, child in self.named_children():
            yield from child._state_items(prefix + name + ".")

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """Return an OrderedDict of dotted names (each after ``prefix``) to parameters and
        persistent buffers.

        As PyTorch's: the values are detached Tensors sharing storage with the module (an
        optimizer step changes them too: ``copy.deepcopy(model.state_dict())`` snapshots),
        or with ``keep_vars=True`` the Parameters themselves. Names and layouts are
        PyTorch's (``0.weight`` is (out, in) for a Linear), so the arrays of a PyTorch
        state dict load as they are.
        """
        destination = OrderedDict() if destination is None else destination
        for name, tensor in self._state_items(prefix):
            destination[name] = tensor if keep_vars else tensor.detach()
        return destination

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values (Tensors, ndarrays, numbers) from ``state_dict`` into the parameters and buffers.

        With ``strict=True`` missing or unexpected keys raise ``RuntimeError``; a wrong
        shape always does (the message names the key and both shapes), and then nothing
        is changed. ``assign=True`` makes the module's tensors use the given arrays instead
        of copying into them. Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.
        """
        return _state.load_into(self, OrderedDict(self._state_items()), state_dict, strict, assign)

    def save(self, path):
        """Write ``state_dict()`` to ``path`` (a ``.npz`` file of name -> array), atomically.

        The arrays go to a temporary file in the same folder, which then replaces
        ``path`` in one step: a crash never leaves a half-written model behind. Returns
        the path. ``kissgrad.save(model.state_dict(), path)`` writes the same arrays in
        the checkpoint format, which also holds optimizer states and other values.
        """
        path = os.fspath(path)
        if not path.endswith(".npz"):
            raise ValueError(f"save: models are saved as .npz files; got {path!r}")
        arrays = OrderedDict((name, t.raw) for name, t in self._state_items())
        return atomic_write(path, lambda file: np.savez(file, **arrays))

    def load(self, path, strict=True):
        """Load parameters and buffers saved by ``save`` or ``kissgrad.save(state_dict)``; returns self.

        The file is read with ``allow_pickle=False``: one that is not a valid ``.npz`` of
        plain arrays raises ``ValueError``; keys and shapes are checked as in
        ``load_state_dict``.
        """
        self.load_state_dict(_load_file(path), strict=strict)
        return self
