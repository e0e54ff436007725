"""Tensor's arithmetic and elementwise math: the operators (``+ - * / ** @ // %``, comparisons,
``& | ^ ~``), their method names (``add``, ``mul``, ``div(rounding_mode=)``, ``matmul`` ...) and
the elementwise functions (``exp``, ``log``, ``clamp``, ``maximum`` ...), each mapped to an op of
the table; comparisons, logic and rounding division give constants, outside the graph."""
import numbers

import numpy as np

from . import dtypes
from . import ops as O

_NO_PARAMS = O.NO_PARAMS  # shared, never mutated: ops without params pass this


_unary_method = O.unary_method


def _binary_methods(op):
    """The operator method and its reflected twin (``a + b`` and ``b + a`` for a non-Tensor b)."""
    def forward(self, other):
        return self._apply(op, (self, other), _NO_PARAMS)

    def reflected(self, other):
        return self._apply(op, (self._lift(other), self), _NO_PARAMS)

    forward.__doc__ = f"Elementwise {op.name} with broadcasting."
    reflected.__doc__ = f"Elementwise {op.name} with a non-Tensor on the left."
    return forward, reflected


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


def _where(condition, a, b):
    """``a`` where the raw bool array ``condition`` holds, else ``b`` (one of them a Tensor)."""
    return O.WHERE(a, b, condition=np.asarray(condition, dtype=bool))


class MathMethods:
    """Operators and elementwise functions (``isinstance(x, MathMethods)`` asks whether ``x``
    is a Tensor: tensor.py builds on this module, which cannot import it)."""

    __slots__ = ()

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
        other = other if isinstance(other, MathMethods) else self._lift(other)
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
        other = other if isinstance(other, MathMethods) else self._lift(other)
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

    # --- comparisons and logic: constants, no gradient ------------------------------

    def _compare(self, ufunc, other):
        other = other.raw if isinstance(other, MathMethods) else other
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
        if not isinstance(min, MathMethods) and not isinstance(max, MathMethods):
            target = self.raw.dtype  # a bound raises the category, never the width (as PyTorch)
            for bound in (min, max):
                target = target if bound is None else dtypes.scalar_dtype(bound, target)
            x = self if target == self.raw.dtype else self.to(target)
            low, high = (None if b is None else target.type(b) for b in (min, max))
            return x._apply(O.CLIP, (x,), {"a_min": low, "a_max": high})
        out = self
        if min is not None:
            out = _where(self.raw < getattr(min, "raw", min), min, out)
        if max is not None:
            out = _where(self.raw > getattr(max, "raw", max), max, out)
        return out

    clip = clamp

    def lerp(self, end, weight):
        """``self + weight * (end - self)``."""
        return self + weight * (end - self)

    def maximum(self, other):
        """Elementwise maximum (ties split the gradient evenly)."""
        return O.MAXIMUM(self, other)

    def minimum(self, other):
        """Elementwise minimum (ties split the gradient evenly)."""
        return O.MINIMUM(self, other)

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other``."""
        condition = condition.raw if isinstance(condition, MathMethods) else condition
        return _where(condition, self, other)
