"""Tensor: an ndarray node. This module holds its data and attributes, the core that the engine
and the ops call (``_apply`` records an op, ``_accumulate_grad``), and the free functions that
make tensors from others (``from_numpy``, ``as_tensor``, ``cat``, ``stack``, ``where``,
``multinomial``), which construct the class and so live beside it. Its methods come from one
mixin per area: tensor_math.py (operators, elementwise math), tensor_inplace.py (in-place
changes), tensor_graph.py (``backward``, ``detach``, ``requires_grad_``), tensor_convert.py
(dtypes, Python/NumPy conversions, ``Device``), tensor_reduce.py and tensor_shape.py."""
import numbers

import numpy as np

from . import dtypes
from . import ops as O
from .anomaly import watch_apply
from .grad_mode import GRAD_MODE
from .node import Node, new_sequence_number
from .pickling import deepcopy_node, reduce_leaf
from .random import default_generator
from .tensor_convert import CPU, ConversionMethods, check_device, device
from .tensor_convert import Device as Device  # re-exported: autograd's Device
from .tensor_graph import GraphMethods
from .tensor_inplace import InPlaceMethods
from .tensor_math import MathMethods
from .tensor_reduce import ReductionMethods
from .tensor_shape import ShapeMethods, shape_args
from .tensor_shape import checked_size as checked_size
from .versions import mark_modified, version

_NO_PARAMS = O.NO_PARAMS  # shared, never mutated: ops without params pass this
as_array = dtypes.as_array


def _adoptable(g, dtype):
    """Whether a gradient array nothing else refers to can become ``.grad`` as it is: a
    writable ndarray of the leaf's dtype that owns its memory (not a view of another array)."""
    return type(g) is np.ndarray and g.base is None and g.dtype == dtype and g.flags.writeable


def _shape_error(op, parents, error):
    """The forward's ValueError, naming the operands: their shapes when those do not broadcast,
    else their dtypes (an integer to a negative power, say)."""
    shapes = " and ".join(str(p.raw.shape) for p in parents)
    try:
        np.broadcast_shapes(*(p.raw.shape for p in parents))
    except ValueError:
        return ValueError(f"{op.name}: operands with shapes {shapes} are incompatible ({error})")
    dtypes_ = " and ".join(str(p.raw.dtype) for p in parents)
    return ValueError(f"{op.name} of operands with shapes {shapes}, dtypes {dtypes_}: {error}")


def _needs_promotion(op, inputs):
    """Whether the inputs' dtypes differ (or an int meets a float-only op): the rare case."""
    first = inputs[0].dtype
    if len(inputs) == 2:
        mixed = inputs[1].dtype is not first
    else:
        mixed = any(a.dtype is not first for a in inputs)
    return mixed or (op.promotes == "float" and first.kind != "f")


def _promoted(op, inputs):
    """The inputs cast to the dtype PyTorch's promotion gives ``op`` (see autograd.dtypes)."""
    target = dtypes.result_dtype(inputs)
    if op.promotes == "float" and target.kind != "f":
        target = dtypes.DEFAULT_FLOAT
    return [a if a.dtype == target else a.astype(target) for a in inputs]


class Tensor(MathMethods, InPlaceMethods, GraphMethods, ConversionMethods, ReductionMethods,
             ShapeMethods, Node):
    """An n-dimensional array that records the operations applied to it for backward.

    ``Tensor(data)`` makes float32 from Python numbers and lists, as ``torch.Tensor`` does;
    ``kissgrad.tensor(data)`` infers the dtype as ``torch.tensor`` (ints stay int64).

    Example::

        x = Tensor([[1.0, 2.0]], requires_grad=True)
        (x * x).sum().backward()
        x.grad   # Tensor([[2., 4.]])
    """

    __slots__ = ()
    is_array = True
    __hash__ = object.__hash__  # == is elementwise, identity hashes
    __reduce__ = reduce_leaf  # pickled as a leaf: data, class and requires_grad
    __deepcopy__ = deepcopy_node

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy meeting a Tensor: ``ndarray + tensor`` and the like record our op (a Tensor
        comes back); ``ndarray += tensor`` and every other ufunc (``np.isclose``, ``np.exp``)
        run on the raw arrays and give arrays, as NumPy code expects."""
        op = _UFUNC_OPS.get(ufunc)
        if op is not None and method == "__call__" and not kwargs:
            return self._apply(op, inputs, _NO_PARAMS)
        name = _UFUNC_METHODS.get(ufunc)
        if name is not None and method == "__call__" and not kwargs and len(inputs) == 2:
            left, right = inputs
            if isinstance(left, Tensor):
                return getattr(left, f"__{name}__")(right)
            return getattr(right, f"__r{name}__")(left)
        raw = [x.raw if isinstance(x, Tensor) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(x.raw if isinstance(x, Tensor) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*raw, **kwargs)

    def __init__(self, data, requires_grad=False, dtype=None):
        self.raw = as_array(data, dtype)
        self.grad, self.requires_grad, self.op, self.parents = None, False, None, ()
        self.params, self._hooks, self._retains_grad, self.saved = None, None, False, None
        self._seq = new_sequence_number()
        if requires_grad:
            self.requires_grad_(True)

    # --- what the engine and the ops need -------------------------------------------

    def _constant(self, data):
        return Tensor._node(np.asarray(data), None, (), None, False)

    _wrap = _constant

    def _lift(self, x):
        """Turn an operand that is not a Tensor into a constant Tensor (a Python number takes
        this tensor's dtype unless it is of a higher category: int tensor * 0.5 is float32)."""
        if type(x) is float and self.raw.dtype.kind == "f":  # fast path: no ABC check
            return Tensor._node(np.asarray(x, dtype=self.raw.dtype), None, (), None, False)
        if isinstance(x, (numbers.Number, np.bool_)) and not isinstance(x, np.ndarray):
            return self._constant(np.asarray(x, dtype=dtypes.scalar_dtype(x, self.raw.dtype)))
        if isinstance(x, (np.ndarray, list, tuple)):
            return Tensor(x) if isinstance(x, np.ndarray) else Tensor(dtypes.infer_array(x))
        raise TypeError(f"unsupported operand type for Tensor: {type(x).__name__}")

    def _apply(self, op, args, params):
        # one or two Tensors is nearly every call: spelled out, it costs half the generic path
        if len(args) == 1 and isinstance(args[0], Tensor):
            parents, inputs = args, (args[0].raw,)
        elif len(args) == 2 and isinstance(args[0], Tensor) and isinstance(args[1], Tensor):
            parents, inputs = args, (args[0].raw, args[1].raw)
        elif (len(args) == 3 and isinstance(args[0], Tensor) and isinstance(args[1], Tensor)
              and isinstance(args[2], Tensor)):  # linear's x, w, b
            parents, inputs = args, (args[0].raw, args[1].raw, args[2].raw)
        else:
            parents = tuple(a if isinstance(a, Tensor) else self._lift(a) for a in args)
            inputs = [p.raw for p in parents]
        if op.promotes is not None and _needs_promotion(op, inputs):
            inputs = _promoted(op, inputs)
        try:
            data = op.forward_saving(*inputs, **params) if params else op.forward_saving(*inputs)
        except ValueError as error:
            raise _shape_error(op, parents, error) from None
        saved = None
        if type(data) is not np.ndarray:
            if op.saves:  # (output, what the backward reuses): kept in the node, if recorded
                data, saved = data
            data = np.asarray(data)
        if GRAD_MODE.enabled:
            for p in parents:
                if p.requires_grad:
                    return Tensor._node(data, op, parents, params or None, True, saved)
        return Tensor._node(data, None, (), None, False)

    def _accumulate_grad(self, g, create_graph, sole_reference=False):
        dtype = self.raw.dtype
        if create_graph:
            g = g if g.dtype == dtype else O.CAST(g, dtype=dtype)
            self.grad = g if self.grad is None else self.grad + g
        elif self.grad is None:
            if not (sole_reference and _adoptable(g, dtype)):
                g = np.array(g, dtype=dtype)  # own copy: g may be shared, or a view of an array
            self.grad = Tensor._node(g, None, (), None, False)
        else:
            self.grad = Tensor._node(np.asarray(self.grad.raw + g, dtype=dtype), None, (), None, False)

    # --- attributes -----------------------------------------------------------------

    @property
    def data(self):
        """This tensor's storage as a detached Tensor (PyTorch's ``.data``): in-place changes to
        it (``p.data += -lr * p.grad``, ``p.data.zero_()``) update this tensor unrecorded."""
        return Tensor._node(self.raw, None, (), None, False)

    @data.setter
    def data(self, value):
        raw = value.raw if isinstance(value, Tensor) else as_array(value)
        if raw is not self.raw:  # (``t.data += 1`` gives back the same array, already counted)
            self.raw = raw
            mark_modified(self)  # ops made before read the new data in backward: see versions

    @property
    def _version(self):
        """How many in-place changes this tensor's storage has had (PyTorch's ``_version``)."""
        return version(self)

    shape = property(lambda self: self.raw.shape, doc="Tuple of dimensions.")
    ndim = property(lambda self: self.raw.ndim, doc="Number of dimensions.")
    dtype = property(lambda self: self.raw.dtype, doc="NumPy dtype of the data.")
    device = property(lambda self: CPU, doc="Always the CPU: ``device(type='cpu')``.")
    is_cuda = False
    is_leaf = property(lambda self: self.op is None, doc="True unless made by a recorded op.")
    grad_fn = property(lambda self: self.op.name if self.op is not None else None,
                       doc="Name of the op that made this tensor, or None for a leaf.")

    def size(self, dim=None):
        """The shape as a tuple, or the length of ``dim`` (``x.size(0)``), as PyTorch's ``size()``."""
        return self.raw.shape if dim is None else self.raw.shape[self._dim(dim)]

    def dim(self):
        """Number of dimensions (``ndim``)."""
        return self.raw.ndim

    def numel(self):
        """Number of elements."""
        return self.raw.size

    nelement = numel

    def __repr__(self):
        body = np.array2string(self.raw, separator=", ", prefix="Tensor(")
        extra = f", dtype={self.dtype}" if self.dtype != np.float32 else ""
        if self.op is not None:
            extra += f", grad_fn=<{self.op.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"Tensor({body}{extra})"

    def __format__(self, spec):
        if self.raw.size == 1 and spec:
            return format(self.raw.item(), spec)
        return format(str(self), spec)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return self.raw.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(len(self)))

    def multinomial(self, num_samples, replacement=False, generator=None):
        """Draw ``num_samples`` indices per row with probabilities proportional to the rows (int64)."""
        return multinomial(self, num_samples, replacement, generator)


watch_apply(Tensor)  # anomaly mode checks every op a Tensor records

_UFUNC_OPS = {np.add: O.ADD, np.subtract: O.SUB, np.multiply: O.MUL, np.true_divide: O.DIV,
              np.power: O.POW_TENSOR, np.matmul: O.MATMUL, np.maximum: O.MAXIMUM, np.minimum: O.MINIMUM}
_UFUNC_METHODS = {np.floor_divide: "floordiv", np.remainder: "mod"}


def from_numpy(array):
    """Return a Tensor that shares ``array``'s memory (no copy), as ``torch.from_numpy``.

    ``Tensor(array)`` copies; this does not, so writing to one changes the other.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numeric (bool, int or float); got dtype {array.dtype}")
    return Tensor._node(array, None, (), None, False)


def as_tensor(x, dtype=None):
    """Return ``x`` if it is a Tensor (of ``dtype``), else a Tensor of it with PyTorch's dtype inference."""
    if isinstance(x, Tensor):
        return x if dtype is None else x.to(dtype)
    return Tensor._node(dtypes.infer_array(x, dtype), None, (), None, False)


def maximum(a, b):
    """Elementwise maximum; at ties each input gets half the gradient."""
    return O.MAXIMUM(*_with_a_tensor(a, b))


def minimum(a, b):
    """Elementwise minimum; at ties each input gets half the gradient."""
    return O.MINIMUM(*_with_a_tensor(a, b))


def where(condition, a, b):
    """Elementwise ``a`` where ``condition`` holds, else ``b`` (condition gets no gradient)."""
    condition = np.asarray(condition.raw if isinstance(condition, Tensor) else condition, dtype=bool)
    return O.WHERE(*_with_a_tensor(a, b), condition=condition)


def _tensors(tensors, name):
    tensors = list(tensors) if not isinstance(tensors, Tensor) else None
    if not tensors:
        raise ValueError(f"{name} expects a non-empty list or tuple of tensors, got "
                         f"{'a Tensor' if tensors is None else 'an empty sequence'}")
    return [t if isinstance(t, Tensor) else as_tensor(t) for t in tensors]


def cat(tensors, dim=0, *, axis=None):
    """Join tensors along an existing ``dim`` (alias ``axis``)."""
    tensors = _tensors(tensors, "cat")
    dim = dim if axis is None else axis
    return O.CONCATENATE(*tensors, axis=tensors[0]._dim(dim))


concatenate = concat = cat


def stack(tensors, dim=0, *, axis=None):
    """Join tensors along a new ``dim`` (alias ``axis``); they must all have one shape."""
    tensors = _tensors(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack expects tensors of one shape, got shapes {sorted(shapes)}")
    dim = dim if axis is None else axis
    if not -tensors[0].ndim - 1 <= dim <= tensors[0].ndim:
        raise IndexError(f"stack: dim {dim} is out of range for {tensors[0].ndim + 1}-d output")
    return O.STACK(*tensors, axis=dim)


def multinomial(probs, num_samples, replacement=False, generator=None):
    """Sample indices from the rows of ``probs`` (1-d or 2-d, non-negative, any scale), int64."""
    p = np.asarray(getattr(probs, "raw", probs), dtype=np.float64)
    if p.ndim not in (1, 2) or (p < 0).any() or not np.isfinite(p).all():
        raise ValueError(f"multinomial: probs must be a 1-d or 2-d tensor of finite non-negative "
                         f"weights; got shape {p.shape}")
    rows = p.reshape(-1, p.shape[-1])
    if (rows.sum(axis=1) <= 0).any():
        raise ValueError("multinomial: every row of probs needs a positive sum")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {rows.shape[1]} categories")
    rng = default_generator(generator)
    out = np.stack([rng.choice(len(r), size=num_samples, replace=replacement, p=r / r.sum())
                    for r in rows]).astype(np.int64)
    return Tensor._node(out.reshape(p.shape[:-1] + (num_samples,)), None, (), None, False)


def _with_a_tensor(a, b):
    """Make sure at least one operand is a Tensor, so the op records a node."""
    if not isinstance(a, Node) and not isinstance(b, Node):
        a = as_tensor(a)
    return a, b


__all__ = ["Tensor", "as_array", "shape_args", "from_numpy", "as_tensor", "maximum", "minimum",
           "where", "cat", "concatenate", "stack", "multinomial", "device", "check_device"]
