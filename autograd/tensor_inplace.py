"""Tensor's in-place methods (``+=``, ``add_``, ``copy_``, ``fill_``, ``zero_``, ``clamp_``, the
random fills ``normal_``/``uniform_``) and how an in-place change is recorded: without a graph
the storage is written and its version counted (see versions.py); on a graph's tensor the
tensor becomes the output of the op applied to its old value (``_become``), which is also how
tensor_shape.py records ``t[idx] = v``."""
import numpy as np

from . import engine
from . import ops as O
from .grad_mode import GRAD_MODE
from .random import default_generator
from .versions import mark_modified

_NO_PARAMS = O.NO_PARAMS  # shared, never mutated: ops without params pass this


class InPlaceMethods:
    """In-place changes (``isinstance(x, InPlaceMethods)`` asks whether ``x`` is a Tensor:
    tensor.py builds on this module, which cannot import it)."""

    __slots__ = ()

    def _records_in_place(self, other):
        """Whether an in-place op must be recorded: on a graph's tensor, or with an operand that
        requires grad. A leaf that requires grad raises, as in PyTorch."""
        if not GRAD_MODE.enabled:
            return False
        if self.requires_grad and self.op is None:
            raise RuntimeError(f"a leaf tensor that requires grad (shape {self.shape}) is used in an "
                               f"in-place operation; do it under `with kissgrad.no_grad():` or on "
                               f"`.data`")
        return self.requires_grad or getattr(other, "requires_grad", False)

    def _become(self, op, others, params):
        """Record an in-place op: this tensor becomes ``op(its old value, *others)``. Its old node
        lives on as a parent; an op that used the old value before becomes an error in
        backward (see engine.backward), never a wrong gradient."""
        return self._become_result(lambda old: old._apply(op, (old,) + tuple(others), params))

    def _become_result(self, compute):
        """Record an in-place change: this tensor becomes ``compute(its old value)``."""
        old = self._constant(self.raw)  # a plain Tensor (a Parameter's old value too)
        old.op, old.parents, old.params = self.op, self.parents, self.params
        old.requires_grad = self.requires_grad
        old._seq, old._hooks, old._retains_grad = self._seq, self._hooks, self._retains_grad
        old.saved = self.saved  # what the old value's op saved for its backward
        new = compute(old)
        self.raw, self.op, self.parents, self.params = new.raw, new.op, new.parents, new.params
        self.requires_grad, self._seq = new.requires_grad, new._seq
        self._hooks, self._retains_grad = None, False
        engine.note_in_place()
        return self

    def _in_place(self, op, ufunc, other):
        if self._records_in_place(other):
            return self._become(op, (other,), _NO_PARAMS)
        other = other.raw if isinstance(other, InPlaceMethods) else other
        try:
            ufunc(self.raw, other, out=self.raw, casting="same_kind")
        except (ValueError, TypeError) as error:
            raise RuntimeError(f"in-place {ufunc.__name__} on a tensor of shape {self.shape} and dtype "
                               f"{self.dtype} with an operand of shape {np.shape(other)}: {error}") from None
        mark_modified(self)
        return self

    def __iadd__(self, other): return self._in_place(O.ADD, np.add, other)
    def __isub__(self, other): return self._in_place(O.SUB, np.subtract, other)
    def __imul__(self, other): return self._in_place(O.MUL, np.multiply, other)
    def __itruediv__(self, other): return self._in_place(O.DIV, np.divide, other)

    def add_(self, other, alpha=1):
        """In place: ``self += alpha * other``; returns self."""
        return self.__iadd__(other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        """In place: ``self -= alpha * other``; returns self."""
        return self.__isub__(other if alpha == 1 else other * alpha)

    def mul_(self, other):
        """In place: ``self *= other``; returns self."""
        return self.__imul__(other)

    def div_(self, other):
        """In place: ``self /= other``; returns self."""
        return self.__itruediv__(other)

    def copy_(self, src):
        """In place: copy ``src`` (broadcast to this shape, cast to this dtype); returns self."""
        if self._records_in_place(src):
            self[...] = src
            return self
        src = np.asarray(getattr(src, "raw", src))
        try:
            np.copyto(self.raw, np.broadcast_to(src, self.shape), casting="unsafe")
        except ValueError:
            raise RuntimeError(f"copy_: source of shape {src.shape} does not broadcast to "
                               f"{self.shape}") from None
        mark_modified(self)
        return self

    def fill_(self, value):
        """In place: every element becomes ``value``; returns self."""
        return self.copy_(np.asarray(getattr(value, "raw", value)))

    def zero_(self):
        """In place: every element becomes 0; returns self."""
        return self.copy_(np.zeros((), self.raw.dtype))

    def clamp_(self, min=None, max=None):
        """In place: clamp to [min, max]; returns self (recorded on a graph's tensor)."""
        if self._records_in_place(min) or self._records_in_place(max):
            return self._become_result(lambda old: old.clamp(min, max).to(self.dtype))
        return self.copy_(self.detach().clamp(min, max))

    clip_ = clamp_

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """In place: normal samples (the library's generator unless ``generator``); returns self."""
        return self.copy_(default_generator(generator).normal(mean, std, size=self.shape))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """In place: uniform samples in [a, b); returns self."""
        return self.copy_(default_generator(generator).uniform(a, b, size=self.shape))
