"""Tensor: an ndarray node. Dtype rules, then every operator and method mapped to an op."""
import numbers

import numpy as np

from . import engine
from . import ops as O
from .engine import Node
from .grad_mode import GRAD_MODE

_NO_PARAMS = {}  # shared, never mutated: ops without params pass this


def as_array(data, dtype=None):
    """Return ``data`` as an ndarray under kissgrad's dtype rules.

    Python numbers and lists become float32 (bools stay bool); ndarrays keep their
    dtype; ``dtype`` overrides both. Non-numeric data raises ``TypeError``.
    """
    if isinstance(data, Node):
        data = data.data
    if dtype is not None:
        array = np.array(data, dtype=dtype)
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data)
    else:
        array = np.array(data)
        if array.dtype.kind in "iuf":
            array = array.astype(np.float32)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numeric (bool, int or float); got dtype {array.dtype} "
                        f"from {type(data).__name__}")
    return array


def _adoptable(g, dtype):
    """Whether a gradient array nothing else refers to can become ``.grad`` as it is: a
    writable ndarray of the leaf's dtype that owns its memory (not a view of another array)."""
    return type(g) is np.ndarray and g.base is None and g.dtype == dtype and g.flags.writeable


def _check_index(index):
    """Turn Tensors and lists inside an index into ndarrays NumPy understands."""
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(i.data if isinstance(i, Tensor) else np.asarray(i) if isinstance(i, list) else i
                  for i in items)
    return items if isinstance(index, tuple) else items[0]


def _shape_error(op, parents, error):
    shapes = " and ".join(str(p.data.shape) for p in parents)
    return ValueError(f"{op.name}: operands with shapes {shapes} are incompatible ({error})")


def _shape_args(shape):
    """Accept shapes given either way: ``f(2, 3)`` or ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _unary_method(op, doc):
    """A Tensor method applying the one-input ``op``."""
    def method(self):
        return self._apply(op, (self,), _NO_PARAMS)

    method.__name__, method.__doc__ = op.name, doc
    return method


def _binary_methods(op):
    """The operator method and its reflected twin (``a + b`` and ``b + a`` for a non-Tensor b)."""
    def forward(self, other):
        return self._apply(op, (self, other), _NO_PARAMS)

    def reflected(self, other):
        return self._apply(op, (self._lift(other), self), _NO_PARAMS)

    forward.__doc__ = f"Elementwise {op.name} with NumPy broadcasting."
    reflected.__doc__ = f"Elementwise {op.name} with a non-Tensor on the left."
    return forward, reflected


class Tensor(Node):
    """An n-dimensional array that records the operations applied to it for backward.

    Example::

        x = Tensor([[1.0, 2.0]], requires_grad=True)
        (x * x).sum().backward()
        x.grad   # Tensor([[2., 4.]])
    """

    __slots__ = ()
    is_array = True
    __array_ufunc__ = None  # NumPy defers to our reflected operators (ndarray + Tensor)
    __hash__ = object.__hash__  # == is elementwise, identity hashes

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = as_array(data, dtype)
        self.grad, self.requires_grad, self.op, self.parents = None, False, None, ()
        self.params, self._hooks, self._retains_grad = None, None, False
        self._seq = engine.new_sequence_number()
        if requires_grad:
            self.requires_grad_(True)

    # --- what the engine and the ops need -------------------------------------------

    def _constant(self, data):
        return Tensor._node(np.asarray(data), None, (), None, False)

    _wrap = _constant

    def _lift(self, x):
        """Turn an operand that is not a Tensor into a constant Tensor."""
        if type(x) is float and self.data.dtype.kind == "f":  # fast path: no ABC check
            return Tensor._node(np.asarray(x, dtype=self.data.dtype), None, (), None, False)
        if isinstance(x, bool) or not isinstance(x, numbers.Number):
            if isinstance(x, (np.ndarray, np.generic, list, tuple, bool)):
                return Tensor(x)
            raise TypeError(f"unsupported operand type for Tensor: {type(x).__name__}")
        kind = self.data.dtype.kind
        dtype = self.data.dtype if kind == "f" or isinstance(x, numbers.Integral) else np.float32
        return self._constant(np.asarray(x, dtype=dtype))

    def _apply(self, op, args, params):
        # one or two Tensors is nearly every call: spelled out, it costs half the generic path
        if len(args) == 1 and isinstance(args[0], Tensor):
            parents, inputs = args, (args[0].data,)
        elif len(args) == 2 and isinstance(args[0], Tensor) and isinstance(args[1], Tensor):
            parents, inputs = args, (args[0].data, args[1].data)
        elif (len(args) == 3 and isinstance(args[0], Tensor) and isinstance(args[1], Tensor)
              and isinstance(args[2], Tensor)):  # linear's x, w, b
            parents, inputs = args, (args[0].data, args[1].data, args[2].data)
        else:
            parents = tuple(a if isinstance(a, Tensor) else self._lift(a) for a in args)
            inputs = [p.data for p in parents]
        try:
            data = op.forward(*inputs, **params) if params else op.forward(*inputs)
        except ValueError as error:
            raise _shape_error(op, parents, error) from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        if GRAD_MODE.enabled:
            for p in parents:
                if p.requires_grad:
                    return Tensor._node(data, op, parents, params or None, True)
        return Tensor._node(data, None, (), None, False)

    def _accumulate_grad(self, g, create_graph, sole_reference=False):
        dtype = self.data.dtype
        if create_graph:
            g = g if g.dtype == dtype else O.CAST(g, dtype=dtype)
            self.grad = g if self.grad is None else self.grad + g
        elif self.grad is None:
            if not (sole_reference and _adoptable(g, dtype)):
                g = np.array(g, dtype=dtype)  # own copy: g may be shared, or a view of an array
            self.grad = Tensor._node(g, None, (), None, False)
        else:
            self.grad = Tensor._node(np.asarray(self.grad.data + g, dtype=dtype), None, (), None, False)

    # --- attributes -----------------------------------------------------------------

    shape = property(lambda self: self.data.shape, doc="Tuple of dimensions.")
    ndim = property(lambda self: self.data.ndim, doc="Number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="NumPy dtype of the data.")
    size = property(lambda self: self.data.size, doc="Number of elements.")
    is_leaf = property(lambda self: self.op is None, doc="True unless made by a recorded op.")
    grad_fn = property(lambda self: self.op.name if self.op is not None else None,
                       doc="Name of the op that made this tensor, or None for a leaf.")
    T = property(lambda self: self.transpose(), doc="Axes reversed (NumPy's ``.T``).")

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = f", dtype={self.dtype}" if self.dtype != np.float32 else ""
        if self.op is not None:
            extra += f", grad_fn=<{self.op.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def item(self):
        """Return the single element as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element; this one has shape {self.shape}")
        return self.data.item()

    def numpy(self):
        """Return the underlying ndarray (shared, not copied)."""
        return self.data

    def tolist(self):
        """Return the data as (nested) Python lists."""
        return self.data.tolist()

    def detach(self):
        """Return a new leaf sharing this tensor's data, outside the graph."""
        return self._constant(self.data)

    def astype(self, dtype):
        """Return this tensor cast to ``dtype``; the gradient is cast back."""
        return O.CAST(self, dtype=np.dtype(dtype))

    # --- graph ----------------------------------------------------------------------

    def requires_grad_(self, requires_grad=True):
        """Set whether this leaf records gradients; returns self. Only float tensors can."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating point Tensors can require gradients; this one has dtype "
                            f"{self.data.dtype} (convert with .astype(np.float32))")
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

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        A non-scalar output needs ``gradient`` (same shape). ``retain_graph`` defaults to
        ``create_graph``; without it a second backward raises ``RuntimeError``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad and has no grad_fn")
        seed = self._seed_gradient(gradient, create_graph)
        retain = create_graph if retain_graph is None else retain_graph
        engine.backward([self], [seed], retain, create_graph)

    def _seed_gradient(self, gradient, create_graph):
        """The gradient backward starts from: ones for a one-element output, else ``gradient``."""
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() of a non-scalar output (shape {self.shape}) needs "
                                   f"gradient= with that shape; grad can be implicitly created "
                                   f"only for scalar outputs")
            seed = np.ones_like(self.data)
        else:
            seed = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient, self.dtype)
            if seed.shape != self.shape:
                raise ValueError(f"gradient has shape {seed.shape} but the output has shape {self.shape}")
        if create_graph:
            return gradient if isinstance(gradient, Tensor) else self._constant(seed)
        return seed

    # --- arithmetic -----------------------------------------------------------------

    __add__, __radd__ = _binary_methods(O.ADD)
    __sub__, __rsub__ = _binary_methods(O.SUB)
    __mul__, __rmul__ = _binary_methods(O.MUL)
    __truediv__, __rtruediv__ = _binary_methods(O.DIV)
    __rpow__ = _binary_methods(O.POW_TENSOR)[1]

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Number) and not isinstance(exponent, bool):
            return self._apply(O.POW, (self,), {"exponent": exponent})
        return self._apply(O.POW_TENSOR, (self, exponent), _NO_PARAMS)

    def __matmul__(self, other):
        other = other if isinstance(other, Tensor) else self._lift(other)
        _check_matmul(self.shape, other.shape)
        return self._apply(O.MATMUL, (self, other), _NO_PARAMS)

    def __rmatmul__(self, other):
        return self._lift(other).__matmul__(self)

    def _in_place(self, ufunc, other):
        if self.requires_grad and GRAD_MODE.enabled:
            raise RuntimeError("in-place operation on a tensor that requires grad; "
                               "do it under `with autograd.no_grad():` (leaves only)")
        if self.op is not None:
            raise RuntimeError("in-place operation on a non-leaf tensor would corrupt its graph")
        if GRAD_MODE.enabled and getattr(other, "requires_grad", False):
            raise RuntimeError("in-place operation with an operand that requires grad is not "
                               "recorded; write `a = a + b` instead")
        ufunc(self.data, other.data if isinstance(other, Tensor) else other, out=self.data)
        return self

    def __iadd__(self, other): return self._in_place(np.add, other)
    def __isub__(self, other): return self._in_place(np.subtract, other)
    def __imul__(self, other): return self._in_place(np.multiply, other)
    def __itruediv__(self, other): return self._in_place(np.divide, other)

    # --- comparisons and logic: constants, no gradient ------------------------------

    def _compare(self, ufunc, other):
        other = other.data if isinstance(other, Tensor) else other
        return self._constant(ufunc(self.data, other))

    def __lt__(self, other): return self._compare(np.less, other)
    def __le__(self, other): return self._compare(np.less_equal, other)
    def __gt__(self, other): return self._compare(np.greater, other)
    def __ge__(self, other): return self._compare(np.greater_equal, other)
    def __eq__(self, other): return self._compare(np.equal, other)
    def __ne__(self, other): return self._compare(np.not_equal, other)
    def __and__(self, other): return self._compare(np.logical_and, other)
    def __or__(self, other): return self._compare(np.logical_or, other)
    def __invert__(self): return self._constant(np.logical_not(self.data))

    # --- elementwise ----------------------------------------------------------------

    exp = _unary_method(O.EXP, "Elementwise e**x.")
    log = _unary_method(O.LOG, "Elementwise natural logarithm.")
    sqrt = _unary_method(O.SQRT, "Elementwise square root.")
    abs = _unary_method(O.ABS, "Elementwise |x| (subgradient 0 at x = 0).")
    sin = _unary_method(O.SIN, "Elementwise sine.")
    cos = _unary_method(O.COS, "Elementwise cosine.")
    tanh = _unary_method(O.TANH, "Elementwise hyperbolic tangent.")
    sigmoid = _unary_method(O.SIGMOID, "Elementwise logistic function 1 / (1 + e**-x).")
    relu = _unary_method(O.RELU, "Elementwise max(x, 0) (subgradient 0 at x = 0).")
    __neg__ = _unary_method(O.NEG, "Elementwise negation.")
    __abs__ = abs

    def clip(self, lo=None, hi=None):
        """Elementwise clamp to [lo, hi]; the gradient passes where lo <= x <= hi."""
        if lo is None and hi is None:
            raise ValueError("clip needs at least one of lo and hi")
        return self._apply(O.CLIP, (self,), {"a_min": lo, "a_max": hi})

    # --- reductions -----------------------------------------------------------------

    def _reduce(self, op, axis, keepdims):
        axis = tuple(axis) if isinstance(axis, list) else axis
        return self._apply(op, (self,), {"axis": axis, "keepdims": keepdims})

    def sum(self, axis=None, keepdims=False):
        """Sum over ``axis`` (None: all; int or tuple; negative counts from the end)."""
        return self._reduce(O.SUM, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        """Mean over ``axis``."""
        return self._reduce(O.MEAN, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """Maximum over ``axis``. Tied maxima share the gradient evenly (so it still sums to g)."""
        return self._reduce(O.MAX, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        """Minimum over ``axis``. Tied minima share the gradient evenly."""
        return self._reduce(O.MIN, axis, keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        """log(sum(exp(x))) over ``axis``, computed without overflow."""
        return self._reduce(O.LOGSUMEXP, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        """Variance over ``axis`` with NumPy's default ``ddof=0`` (PyTorch's default is 1)."""
        mean = self.mean(axis=axis, keepdims=True)  # first: it names a bad axis
        count = O.reduced_count(self.shape, tuple(axis) if isinstance(axis, list) else axis)
        if count - ddof <= 0:
            raise ValueError(f"var over {count} element(s) with ddof={ddof} has no degrees of freedom")
        centered = self - mean
        return (centered * centered).sum(axis=axis, keepdims=keepdims) / (count - ddof)

    def argmax(self, axis=None, keepdims=False):
        """Indices of the maxima (int64, no gradient)."""
        return self._constant(np.argmax(self.data, axis=axis, keepdims=keepdims))

    # --- shape ----------------------------------------------------------------------

    def reshape(self, *shape):
        """Same data in a new shape (one entry may be -1); ``reshape(2, 3)`` or ``reshape((2, 3))``."""
        return self._apply(O.RESHAPE, (self,), {"shape": _shape_args(shape)})

    def transpose(self, *axes):
        """Permute the axes as NumPy does; with no axes, reverse them."""
        axes = _shape_args(axes) or None
        return self._apply(O.TRANSPOSE, (self,), {"axes": axes})

    def permute(self, *axes):
        """Permute the axes (PyTorch's name for ``transpose(*axes)``)."""
        return self.transpose(*axes)

    def squeeze(self, axis=None):
        """Remove axes of length one (all of them, or ``axis``, which must have length one)."""
        return self.reshape(np.squeeze(np.empty(self.shape, dtype=bool), axis=axis).shape)

    def unsqueeze(self, axis):
        """Insert an axis of length one at ``axis``."""
        return self.reshape(np.expand_dims(np.empty(self.shape, dtype=bool), axis).shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge the axes ``start_dim..end_dim`` (inclusive) into one, as PyTorch's flatten."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def expand(self, *shape):
        """Broadcast to ``shape`` without copying; -1 keeps an axis's length."""
        shape = _shape_args(shape)
        lead = len(shape) - self.ndim
        if lead < 0 or any(n == -1 for n in shape[:lead]):
            raise ValueError(f"expand{shape}: -1 can only keep an existing axis of a tensor "
                             f"of shape {self.shape}")
        full = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return self._apply(O.BROADCAST_TO, (self,), {"shape": full})

    def pad(self, pad_width, value=0):
        """Pad with ``value`` using NumPy's ``((before, after), ...)`` widths."""
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (self.ndim, 2))
        if (widths < 0).any():
            raise ValueError(f"pad widths must be >= 0, got {pad_width}")
        widths = tuple((int(a), int(b)) for a, b in widths)
        return self._apply(O.PAD, (self,), {"pad_width": widths, "value": value})

    def __getitem__(self, index):
        return self._apply(O.GETITEM, (self,), {"index": _check_index(index)})


def _check_matmul(a, b):
    """Raise ValueError naming both shapes when ``a @ b`` cannot be formed."""
    if not a or not b:
        raise ValueError(f"matmul: operands must be at least 1-d; got shapes {a} and {b}")
    inner_a = a[-1]
    inner_b = b[0] if len(b) == 1 else b[-2]
    if inner_a != inner_b:
        raise ValueError(f"matmul: shapes {a} and {b} are incompatible "
                         f"(inner dimensions {inner_a} and {inner_b} differ)")


def from_numpy(array):
    """Return a Tensor that shares ``array``'s memory (no copy), as ``torch.from_numpy``.

    ``Tensor(array)`` copies; this does not, so writing to one changes the other.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numeric (bool, int or float); got dtype {array.dtype}")
    return Tensor._node(array, None, (), None, False)


def as_tensor(x):
    """Return ``x`` if it is a Tensor, else a constant Tensor of it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def maximum(a, b):
    """Elementwise maximum; at ties each input gets half the gradient."""
    return O.MAXIMUM(*_with_a_tensor(a, b))


def minimum(a, b):
    """Elementwise minimum; at ties each input gets half the gradient."""
    return O.MINIMUM(*_with_a_tensor(a, b))


def where(condition, a, b):
    """Elementwise ``a`` where ``condition`` holds, else ``b`` (condition gets no gradient)."""
    condition = np.asarray(condition.data if isinstance(condition, Tensor) else condition, dtype=bool)
    return O.WHERE(*_with_a_tensor(a, b), condition=condition)


def concatenate(tensors, axis=0):
    """Join tensors along an existing ``axis``."""
    return O.CONCATENATE(*[as_tensor(t) for t in tensors], axis=axis)


def stack(tensors, axis=0):
    """Join tensors along a new ``axis``."""
    return O.STACK(*[as_tensor(t) for t in tensors], axis=axis)


def _with_a_tensor(a, b):
    """Make sure at least one operand is a Tensor, so the op records a node."""
    if not isinstance(a, Node) and not isinstance(b, Node):
        a = Tensor(a)
    return a, b
