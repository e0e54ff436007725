"""Tensor's conversions: to Python (``item``, ``tolist``, ``float(t)``, ``bool(t)``) and NumPy
(``numpy``, ``__array__``), between dtypes (``to``, ``astype``, ``float()``, ``long()`` ...),
new tensors shaped from this one (``new_zeros`` ...), and ``Device``: kissgrad computes on the
CPU only, so ``"cpu"`` is the one device a tensor can be on or move to."""
import numpy as np

from . import dtypes
from . import ops as O
from .tensor_shape import checked_size


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


def _cast_method(dtype, name):
    def method(self):
        return self.to(dtype)

    method.__name__, method.__doc__ = name, f"This tensor as {dtype} (``to({dtype})``)."
    return method


class ConversionMethods:
    """Conversions to Python, NumPy, other dtypes and the (one) device."""

    __slots__ = ()

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

    # --- dtype and device -----------------------------------------------------------

    def to(self, *args, dtype=None, device=None, **_ignored):
        """This tensor as ``dtype`` and/or on ``device`` (``to(kg.float64)``, ``to("cpu")``,
        ``to(other_tensor)``); self when nothing changes. A non-CPU device raises."""
        for arg in args:
            if isinstance(arg, ConversionMethods):  # a Tensor (tensor.py builds on this module)
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
        out = self._constant(dtypes.infer_array(data, self.raw.dtype if dtype is None else dtype))
        return out.requires_grad_(True) if requires_grad else out

    def cpu(self):
        """Self (kissgrad tensors are always on the CPU)."""
        return self

    def cuda(self, *args, **kwargs):
        """Raise: kissgrad has no GPU backend."""
        check_device("cuda")

    def is_floating_point(self):
        """True for float dtypes."""
        return self.raw.dtype.kind == "f"

    # last in the body: from here on these names shadow the builtins inside this class body
    float = _cast_method(dtypes.float32, "float")
    double = _cast_method(dtypes.float64, "double")
    half = _cast_method(dtypes.float16, "half")
    long = _cast_method(dtypes.int64, "long")
    int = _cast_method(dtypes.int32, "int")
    bool = _cast_method(dtypes.bool_, "bool")
