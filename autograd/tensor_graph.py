"""Tensor's graph methods: leaving the graph (``detach``) or staying in it (``clone``), choosing
what records gradients (``requires_grad_``, ``retain_grad``), and ``backward``, which hands the
output's gradient to engine.backward."""
import numpy as np

from . import engine
from . import ops as O
from .node import Node


class GraphMethods:
    """Gradients and the graph (``isinstance(x, GraphMethods)`` asks whether ``x`` is a Tensor:
    tensor.py builds on this module, which cannot import it)."""

    __slots__ = ()

    def detach(self):
        """Return a new leaf sharing this tensor's data, outside the graph."""
        return self._constant(self.raw)

    def clone(self):
        """A copy of the data that stays in the graph (the gradient flows back to this tensor)."""
        return self._apply(O.CAST, (self,), {"dtype": self.raw.dtype})

    def requires_grad_(self, requires_grad=True):
        """Set whether this leaf records gradients; returns self. Only float tensors can."""
        if requires_grad and self.raw.dtype.kind != "f":
            raise TypeError(f"only floating point Tensors can require gradients; this one has dtype "
                            f"{self.raw.dtype} (convert with .float())")
        if not requires_grad and self.op is not None:
            raise RuntimeError("requires_grad can only be turned off on leaves; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() on a tensor that does not require grad")
        self._retains_grad = True

    def zero_grad(self):
        """Forget the accumulated gradient (sets ``.grad`` to None, as PyTorch does by default)."""
        self.grad = None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        A non-scalar output needs ``gradient`` (same shape). ``retain_graph`` defaults to
        ``create_graph``; without it a second backward raises ``RuntimeError``. ``inputs``
        limits accumulation to those tensors.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
        seed = self._seed_gradient(gradient, create_graph)
        retain = create_graph if retain_graph is None else retain_graph
        if inputs is None:
            engine.backward([self], [seed], retain, create_graph)
            return
        inputs = [inputs] if isinstance(inputs, Node) else list(inputs)
        captured = engine.backward([self], [seed], retain, create_graph, inputs=inputs)
        for x in inputs:
            if id(x) in captured:
                x._accumulate_grad(captured[id(x)], create_graph)

    def _seed_gradient(self, gradient, create_graph):
        """The gradient backward starts from: ones for a one-element output, else ``gradient``."""
        if gradient is None:
            if self.raw.size != 1:
                raise RuntimeError(f"backward() of a non-scalar output (shape {self.shape}) needs "
                                   f"gradient= with that shape; grad can be implicitly created "
                                   f"only for scalar outputs")
            seed = np.ones_like(self.raw)
        else:
            seed = gradient.raw if isinstance(gradient, GraphMethods) else np.asarray(gradient, self.dtype)
            if seed.shape != self.shape:
                raise ValueError(f"gradient has shape {seed.shape} but the output has shape {self.shape}")
        if create_graph:
            return gradient if isinstance(gradient, GraphMethods) else self._constant(seed)
        return seed
