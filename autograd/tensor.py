"""Tensor: an ndarray node. Conversions, graph methods, operators and elementwise methods map
to the op table; reductions and shape methods live in tensor_reduce.py and tensor_shape.py."""
import numbers

import numpy as np

from . import dtypes, engine
from . import ops as O
from .anomaly import watch_apply
from .grad_mode import GRAD_MODE
from .node import Node, new_sequence_number
from .pickling import deepcopy_node, reduce_leaf
from .random import default_generator
from .tensor_reduce import ReductionMethods
from .tensor_shape import ShapeMethods, checked_size, shape_args
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

    forward.__doc__ = f"Elementwise {op.name} with broadcasting."
    reflected.__doc__ = f"Elementwise {op.name} with a non-Tensor on the left."
    return forward, reflected


def _cast_method(dtype, name):
    def method(self):
        return self.to(dtype)

    method.__name__, method.__doc__ = name, f"This tensor as {dtype} (``to({dtype})``)."
    return method


class Device:
    """Where a tensor lives (``torch.device``): kissgrad computes on the CPU only, so ``"cpu"``
    is the one device; ``device("cuda")`` can be named but tensors cannot move there."""

    def __init__(self, type="cpu", index=None):
        self.type = str(getattr(type, "type", type)).split(":")[0]
        self.index = index

    def __eq__(self, other):
        return self.type == getattr(other, "type", str(other).split(":")[0])

    __hash__ = object.__hash__

    def __repr__(self):
        return f"device(type='{self.type}')"

    def __str__(self):
        return self.type


device = Device
CPU = Device("cpu")


def check_device(target):
    """Raise unless ``target`` names the CPU (kissgrad has no GPU backend)."""
    if Device(target).type != "cpu":
        raise RuntimeError(f"kissgrad runs on the CPU only; cannot move a tensor to {str(target)!r} "
                           f"(use device='cpu', or torch.device('cuda' if torch.cuda.is_available() "
                           f"else 'cpu'), which picks the CPU here)")


class Tensor(ReductionMethods, ShapeMethods, Node):
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

    def __bool__(self):
        if self.raw.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self.raw.size} elements is ambiguous "
                               f"(shape {self.shape}); use .any() or .all()")
        return bool(self.raw)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.raw.dtype.kind not in "iu" or self.raw.size != 1:
            raise TypeError(f"only integer tensors of a single element can be used as an index; "
                            f"this one has dtype {self.dtype} and shape {self.shape}")
        return int(self.raw)

    def __array__(self, dtype=None, copy=None):
        return self.raw if dtype is None else self.raw.astype(dtype, copy=False)

    def item(self):
        """Return the single element as a Python number."""
        if self.raw.size != 1:
            raise ValueError(f"item() needs a tensor with one element; this one has shape {self.shape}")
        return self.raw.item()

    def numpy(self):
        """Return the underlying ndarray (shared, not copied)."""
        return self.raw

    def tolist(self):
        """Return the data as (nested) Python lists."""
        return self.raw.tolist()

    def detach(self):
        """Return a new leaf sharing this tensor's data, outside the graph."""
        return self._constant(self.raw)

    def clone(self):
        """A copy of the data that stays in the graph (the gradient flows back to this tensor)."""
        return self._apply(O.CAST, (self,), {"dtype": self.raw.dtype})

    # --- dtype and device -----------------------------------------------------------

    def to(self, *args, dtype=None, device=None, **_ignored):
        """This tensor as ``dtype`` and/or on ``device`` (``to(kg.float64)``, ``to("cpu")``,
        ``to(other_tensor)``); self when nothing changes. A non-CPU device raises."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, Device)):
                device = arg
            else:
                dtype = arg
        if device is not None:
            check_device(device)
        if dtype is None or dtypes.to_dtype(dtype) == self.raw.dtype:
            return self
        return self.astype(dtype)

    def astype(self, dtype):
        """This tensor cast to ``dtype``: float to float passes the gradient (cast back); a cast
        to an integer or bool dtype is a constant, outside the graph, as in PyTorch."""
        dtype = dtypes.to_dtype(dtype)
        if dtype.kind != "f":
            return self._constant(self.raw.astype(dtype))
        return self._apply(O.CAST, (self,), {"dtype": dtype})

    type = astype

    def type_as(self, other):
        """This tensor cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def contiguous(self):
        """Self: a NumPy array needs no copy to be read in order (PyTorch's views may)."""
        return self

    def is_contiguous(self):
        """True: kissgrad's tensors are always usable as contiguous ones."""
        return True

    def _new(self, factory, size, dtype, requires_grad, device):
        if device is not None:
            check_device(device)
        shape = checked_size(size, f"new_{factory.__name__.removesuffix('s')}s")
        array = factory(shape, dtype=self.raw.dtype if dtype is None else dtypes.to_dtype(dtype))
        out = self._constant(array)
        return out.requires_grad_(True) if requires_grad else out

    def new_zeros(self, *size, dtype=None, requires_grad=False, device=None):
        """Zeros of ``size`` with this tensor's dtype (unless ``dtype``)."""
        return self._new(np.zeros, size, dtype, requires_grad, device)

    def new_ones(self, *size, dtype=None, requires_grad=False, device=None):
        """Ones of ``size`` with this tensor's dtype (unless ``dtype``)."""
        return self._new(np.ones, size, dtype, requires_grad, device)

    def new_empty(self, *size, dtype=None, requires_grad=False, device=None):
        """A tensor of ``size`` with this tensor's dtype, filled with zeros (never garbage)."""
        return self._new(np.zeros, size, dtype, requires_grad, device)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False, device=None):
        """``fill_value`` everywhere in ``size``, with this tensor's dtype (unless ``dtype``)."""
        out = self.new_zeros(size, dtype=dtype, device=device).fill_(fill_value)
        return out.requires_grad_(True) if requires_grad else out

    def new_tensor(self, data, dtype=None, requires_grad=False, device=None):
        """A copy of ``data`` as a leaf with this tensor's dtype (unless ``dtype``)."""
        if device is not None:
            check_device(device)
        array = dtypes.infer_array(data, self.raw.dtype if dtype is None else dtype)
        out = Tensor._node(array, None, (), None, False)
        return out.requires_grad_(True) if requires_grad else out

    float = _cast_method(dtypes.float32, "float")
    double = _cast_method(dtypes.float64, "double")
    half = _cast_method(dtypes.float16, "half")
    long = _cast_method(dtypes.int64, "long")
    int = _cast_method(dtypes.int32, "int")
    bool = _cast_method(dtypes.bool_, "bool")

    def cpu(self):
        """Self (kissgrad tensors are always on the CPU)."""
        return self

    def cuda(self, *args, **kwargs):
        """Raise: kissgrad has no GPU backend."""
        check_device("cuda")

    def is_floating_point(self):
        """True for float dtypes."""
        return self.raw.dtype.kind == "f"

    # --- graph ----------------------------------------------------------------------

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
            seed = gradient.raw if isinstance(gradient, Tensor) else np.asarray(gradient, self.dtype)
            if seed.shape != self.shape:
                raise ValueError(f"gradient has shape {seed.shape} but the output has shape {self.shape}")
        if create_graph:
            return gradient if isinstance(gradient, Tensor) else self._constant(seed)
        return seed

    # --- arithmetic -----------------------------------------------------------------

    __add__, __radd__ = _binary_methods(O.ADD)
    _sub, _rsub = _binary_methods(O.SUB)

    def __sub__(self, other):
        _check_no_bool_subtraction(self, other)
        return self._sub(other)

    def __rsub__(self, other):
        _check_no_bool_subtraction(self, other)
        return self._rsub(other)
    __mul__, __rmul__ = _binary_methods(O.MUL)
    __truediv__, __rtruediv__ = _binary_methods(O.DIV)
    __rpow__ = _binary_methods(O.POW_TENSOR)[1]

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Number) and not isinstance(exponent, bool):
            if self.raw.dtype.kind != "f" and not isinstance(exponent, numbers.Integral):
                return self.float() ** exponent  # int tensor ** 0.5 is float32, as in PyTorch
            return self._apply(O.POW, (self,), {"exponent": exponent})
        return self._apply(O.POW_TENSOR, (self, exponent), _NO_PARAMS)

    def _promoted_pair(self, other, name, reflected=False):
        """This tensor's and ``other``'s raw arrays in PyTorch's promoted dtype (for the ops
        without a gradient); ``reflected`` puts ``other`` on the left. Two bools raise."""
        other = other if isinstance(other, Tensor) else self._lift(other)
        dtype = dtypes.result_dtype([self.raw, other.raw])
        if dtype.kind == "b":
            raise TypeError(f"{name} is not defined for two bool operands; convert one with .int()")
        pair = (self.raw.astype(dtype, copy=False), other.raw.astype(dtype, copy=False))
        return pair[::-1] if reflected else pair

    def __floordiv__(self, other):
        """Elementwise floor division (no gradient, as PyTorch's floor_divide)."""
        return self._constant(np.floor_divide(*self._promoted_pair(other, "//")))

    def __rfloordiv__(self, other):
        return self._constant(np.floor_divide(*self._promoted_pair(other, "//", reflected=True)))

    def __mod__(self, other):
        """Elementwise remainder with the divisor's sign (Python's and PyTorch's ``%``)."""
        if self.requires_grad or getattr(other, "requires_grad", False):
            return self - (self / other).floor() * other
        return self._constant(np.remainder(*self._promoted_pair(other, "%")))

    def __rmod__(self, other):
        if self.requires_grad:
            return self._lift(other) % self
        return self._constant(np.remainder(*self._promoted_pair(other, "%", reflected=True)))

    floor_divide, remainder = __floordiv__, __mod__

    def __matmul__(self, other):
        other = other if isinstance(other, Tensor) else self._lift(other)
        _check_matmul(self.shape, other.shape)
        return self._apply(O.MATMUL, (self, other), _NO_PARAMS)

    def __rmatmul__(self, other):
        return self._lift(other).__matmul__(self)

    def add(self, other, alpha=1):
        """``self + alpha * other``."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        """``self - alpha * other``."""
        return self - (other if alpha == 1 else other * alpha)

    def div(self, other, rounding_mode=None):
        """``self / other``; ``rounding_mode="floor"|"trunc"`` rounds the quotient (no gradient)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")
        quotient = np.true_divide(self.raw, getattr(other, "raw", other))
        rounded = np.floor(quotient) if rounding_mode == "floor" else np.trunc(quotient)
        dtype = dtypes.result_dtype([self.raw, np.asarray(getattr(other, "raw", other))])
        return self._constant(rounded.astype(dtype if dtype is not None else rounded.dtype))

    mul = __mul__
    multiply, subtract, divide, true_divide = __mul__, sub, div, __truediv__

    def pow(self, exponent):
        """``self ** exponent`` (a number or a Tensor)."""
        return self ** exponent

    def matmul(self, other):
        """Matrix product with NumPy/PyTorch broadcasting (``@``)."""
        return self @ other

    def mm(self, other):
        """Product of two 2-d matrices."""
        _require_ndim("mm", self, 2, other, 2)
        return self @ other

    def bmm(self, other):
        """Batched product of (b, n, m) and (b, m, p) tensors."""
        _require_ndim("bmm", self, 3, other, 3)
        if self.shape[0] != other.shape[0]:
            raise ValueError(f"bmm: batch sizes differ: {self.shape} and {other.shape}")
        return self @ other

    # --- in place -------------------------------------------------------------------

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
        old = Tensor._node(self.raw, self.op, self.parents, self.params, self.requires_grad)
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
        other = other.raw if isinstance(other, Tensor) else other
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

    # --- comparisons and logic: constants, no gradient ------------------------------

    def _compare(self, ufunc, other):
        other = other.raw if isinstance(other, Tensor) else other
        return self._constant(ufunc(self.raw, other))

    def __lt__(self, other): return self._compare(np.less, other)
    def __le__(self, other): return self._compare(np.less_equal, other)
    def __gt__(self, other): return self._compare(np.greater, other)
    def __ge__(self, other): return self._compare(np.greater_equal, other)
    def __eq__(self, other): return self._compare(np.equal, other)
    def __ne__(self, other): return self._compare(np.not_equal, other)
    def _logical_or_bitwise(self, logical, bitwise, other):
        return self._compare(logical if self.dtype.kind == "b" else bitwise, other)

    def __and__(self, other): return self._logical_or_bitwise(np.logical_and, np.bitwise_and, other)
    def __or__(self, other): return self._logical_or_bitwise(np.logical_or, np.bitwise_or, other)
    def __xor__(self, other): return self._logical_or_bitwise(np.logical_xor, np.bitwise_xor, other)
    def __invert__(self): return self._constant(np.invert(self.raw))

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__
    less, less_equal, greater, greater_equal, not_equal = lt, le, gt, ge, ne
    logical_and, logical_or = __and__, __or__

    def equal(self, other):
        """True when ``other`` has the same shape and elements (a Python bool)."""
        other = np.asarray(getattr(other, "raw", other))
        return self.shape == other.shape and bool(np.array_equal(self.raw, other))

    def allclose(self, other, rtol=1e-5, atol=1e-8, equal_nan=False):
        """Whether every element is close to ``other``'s (a Python bool)."""
        return bool(np.allclose(self.raw, getattr(other, "raw", other), rtol, atol, equal_nan))

    def isnan(self):
        """Bool tensor: where the elements are NaN."""
        return self._constant(np.isnan(self.raw))

    def isfinite(self):
        """Bool tensor: where the elements are finite."""
        return self._constant(np.isfinite(self.raw))

    # --- elementwise ----------------------------------------------------------------

    exp = _unary_method(O.EXP, "Elementwise e**x.")
    log = _unary_method(O.LOG, "Elementwise natural logarithm.")
    log1p = _unary_method(O.LOG1P, "Elementwise log(1 + x), precise for tiny x.")
    expm1 = _unary_method(O.EXPM1, "Elementwise e**x - 1, precise for tiny x.")
    sqrt = _unary_method(O.SQRT, "Elementwise square root.")
    abs = _unary_method(O.ABS, "Elementwise |x| (subgradient 0 at x = 0).")
    sin = _unary_method(O.SIN, "Elementwise sine.")
    cos = _unary_method(O.COS, "Elementwise cosine.")
    tan = _unary_method(O.TAN, "Elementwise tangent.")
    tanh = _unary_method(O.TANH, "Elementwise hyperbolic tangent.")
    sigmoid = _unary_method(O.SIGMOID, "Elementwise logistic function 1 / (1 + e**-x).")
    relu = _unary_method(O.RELU, "Elementwise max(x, 0) (subgradient 0 at x = 0).")
    sign = _unary_method(O.SIGN, "Elementwise sign (-1, 0, 1; gradient 0).")
    floor = _unary_method(O.FLOOR, "Elementwise floor (gradient 0).")
    ceil = _unary_method(O.CEIL, "Elementwise ceiling (gradient 0).")
    round = _unary_method(O.ROUND, "Elementwise rounding, half to even (gradient 0).")
    __neg__ = _unary_method(O.NEG, "Elementwise negation.")
    neg = negative = __neg__
    __abs__ = absolute = abs

    def __pos__(self):
        return self

    def log2(self):
        """Elementwise base-2 logarithm."""
        return self.log() * (1 / np.log(2))

    def log10(self):
        """Elementwise base-10 logarithm."""
        return self.log() * (1 / np.log(10))

    def rsqrt(self):
        """Elementwise 1 / sqrt(x)."""
        return 1 / self.sqrt()

    def reciprocal(self):
        """Elementwise 1 / x."""
        return 1 / self

    def square(self):
        """Elementwise x * x."""
        return self * self

    def clamp(self, min=None, max=None):
        """Elementwise clamp to [min, max] (numbers or Tensors, either may be None). Inside the
        bounds, both ends included, the gradient goes to x; outside, to the bound it took."""
        if min is None and max is None:
            raise ValueError("clamp needs at least one of min and max")
        if not isinstance(min, Tensor) and not isinstance(max, Tensor):
            target = self.raw.dtype  # a bound raises the category, never the width (as PyTorch)
            for bound in (min, max):
                target = target if bound is None else dtypes.scalar_dtype(bound, target)
            x = self if target == self.raw.dtype else self.to(target)
            low, high = (None if b is None else target.type(b) for b in (min, max))
            return x._apply(O.CLIP, (x,), {"a_min": low, "a_max": high})
        out = self
        if min is not None:
            out = where(self.raw < getattr(min, "raw", min), min, out)
        if max is not None:
            out = where(self.raw > getattr(max, "raw", max), max, out)
        return out

    clip = clamp

    def lerp(self, end, weight):
        """``self + weight * (end - self)``."""
        return self + weight * (end - self)

    def maximum(self, other):
        """Elementwise maximum (ties split the gradient evenly)."""
        return maximum(self, other)

    def minimum(self, other):
        """Elementwise minimum (ties split the gradient evenly)."""
        return minimum(self, other)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other``."""
        return where(condition, self, other)

    def multinomial(self, num_samples, replacement=False, generator=None):
        """Draw ``num_samples`` indices per row with probabilities proportional to the rows (int64)."""
        return multinomial(self, num_samples, replacement, generator)


watch_apply(Tensor)  # anomaly mode checks every op a Tensor records

_UFUNC_OPS = {np.add: O.ADD, np.subtract: O.SUB, np.multiply: O.MUL, np.true_divide: O.DIV,
              np.power: O.POW_TENSOR, np.matmul: O.MATMUL, np.maximum: O.MAXIMUM, np.minimum: O.MINIMUM}
_UFUNC_METHODS = {np.floor_divide: "floordiv", np.remainder: "mod"}


def _check_no_bool_subtraction(a, b):
    """PyTorch refuses ``-`` with a bool operand (use ``~`` or ``logical_xor``); so do we."""
    for x in (a, b):
        if isinstance(x, (bool, np.bool_)) or getattr(getattr(x, "dtype", None), "kind", "") == "b":
            raise TypeError("subtraction, the `-` operator, with a bool operand is not supported; "
                            "use `~` or logical_not() (or convert with .int())")


def _require_ndim(name, a, na, b, nb):
    if a.ndim != na or b.ndim != nb:
        raise ValueError(f"{name} needs {na}-d and {nb}-d tensors; got shapes {a.shape} and {b.shape}")


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
