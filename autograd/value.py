"""Value: a scalar node (a Python float, no NumPy per op) on the same engine and op table."""
import numbers

from . import engine
from . import ops as O
from .anomaly import watch_apply, watch_operator
from .grad_mode import GRAD_MODE
from .node import Node, new_sequence_number
from .pickling import deepcopy_node, reduce_value
from .versions import mark_modified

_NO_PARAMS = O.NO_PARAMS  # shared, never mutated: ops without params pass this


_method = O.unary_method


def _operators(op):
    """The operator method and its reflected twin (``v + 1`` and ``1 + v``)."""
    scalar = op.scalar

    def forward(self, other):
        # the hot path of scalar code, so written out rather than through _apply
        if type(other) is not Value:
            other = self._lift(other)
        data = scalar(self.raw, other.raw)
        if GRAD_MODE.enabled and (self.requires_grad or other.requires_grad):
            return Value._node(data, op, (self, other), None, True)
        return Value._node(data, None, (), None, False)

    def reflected(self, other):
        return self._apply(op, (self._lift(other), self), _NO_PARAMS)

    forward.__doc__ = f"{op.name} of two scalars."
    reflected.__doc__ = f"{op.name} with a number on the left."
    return forward, reflected


class Value(Node):
    """A scalar that records the operations applied to it (micrograd-compatible).

    ``.raw`` and ``.grad`` are Python floats. Unlike a Tensor, a Value requires
    grad by default, as in micrograd.

    Example::

        a, b = Value(2.0), Value(-3.0)
        c = (a * b + 1).tanh()
        c.backward()
        a.grad   # dc/da
    """

    __slots__ = ("_label",)
    __reduce__ = reduce_value  # pickled as a leaf: data, requires_grad and label
    __deepcopy__ = deepcopy_node
    is_array = False
    empty_grad = 0.0

    def __init__(self, data, requires_grad=True, label=""):
        if isinstance(data, Value):
            data = data.raw
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value holds a real number; got {type(data).__name__}")
        self.raw, self.grad, self.requires_grad = float(data), 0.0, bool(requires_grad)
        self.op, self.parents, self.params, self._hooks, self._retains_grad = None, (), None, None, False
        self._seq, self.saved = new_sequence_number(), None
        if label:
            self._label = str(label)

    @property
    def label(self):
        """A name for drawings (``Value(2.0, label="a")``, micrograd's ``label``); "" by default."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, text):
        self._label = str(text)

    @property
    def data(self):
        """The value, a Python float (micrograd's ``.data``; ``v.data -= lr * v.grad`` works)."""
        return self.raw

    @data.setter
    def data(self, value):
        self.raw = float(value)
        mark_modified(self)  # ops made before read the new value in backward: see versions

    # --- what the engine and the ops need -------------------------------------------

    def _constant(self, data):
        return Value._node(float(data), None, (), None, False)

    _wrap = _constant

    def _lift(self, x):
        if type(x) is float or type(x) is int:  # the common case, without an ABC check
            return Value._node(float(x), None, (), None, False)
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"unsupported operand type for Value: {type(x).__name__}")
        return Value._node(float(x), None, (), None, False)

    def _apply(self, op, args, params):
        parents = args if len(args) == 1 else tuple(
            a if isinstance(a, Value) else self._lift(a) for a in args)
        if op.scalar is None:
            raise TypeError(f"{op.name} is defined for Tensors, not for Values")
        data = op.scalar(*[p.raw for p in parents], **params)
        if GRAD_MODE.enabled:
            for p in parents:
                if p.requires_grad:
                    return Value._node(data, op, parents, params or None, True)
        return Value._node(data, None, (), None, False)

    def _accumulate_grad(self, g, create_graph, sole_reference=False):
        self.grad = self.grad + g  # under create_graph this builds a Value node

    def _seed_gradient(self, gradient, create_graph):
        seed = 1.0 if gradient is None else float(getattr(gradient, "data", gradient))
        return self._constant(seed) if create_graph else seed

    # --- API ------------------------------------------------------------------------

    grad_fn = property(lambda self: self.op.name if self.op is not None else None,
                       doc="Name of the op that made this value, or None for a leaf.")
    is_leaf = property(lambda self: self.op is None, doc="True unless made by a recorded op.")

    def __repr__(self):
        return f"Value(data={self.raw}, grad={self.grad})"

    def item(self):
        """Return ``.raw``."""
        return self.raw

    def __float__(self):
        return self.raw

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf Value."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a Value that does not require grad")
        retain = create_graph if retain_graph is None else retain_graph
        engine.backward([self], [self._seed_gradient(gradient, create_graph)], retain, create_graph)

    def zero_grad(self):
        """Set ``.grad`` back to 0.0."""
        self.grad = 0.0

    def __pow__(self, exponent):
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            return self._apply(O.POW, (self,), {"exponent": exponent})
        return self._apply(O.POW_TENSOR, (self, exponent), _NO_PARAMS)

    __add__, __radd__ = _operators(O.ADD)
    __sub__, __rsub__ = _operators(O.SUB)
    __mul__, __rmul__ = _operators(O.MUL)
    __truediv__, __rtruediv__ = _operators(O.DIV)
    __rpow__ = _operators(O.POW_TENSOR)[1]
    __neg__ = _method(O.NEG, "Negation.")
    exp = _method(O.EXP, "e**x.")
    log = _method(O.LOG, "Natural logarithm (-inf at 0 and nan below, with NumPy's warning).")
    sqrt = _method(O.SQRT, "Square root.")
    tanh = _method(O.TANH, "Hyperbolic tangent.")
    sigmoid = _method(O.SIGMOID, "Logistic function 1 / (1 + e**-x).")
    relu = _method(O.RELU, "max(x, 0) (subgradient 0 at x = 0).")
    sin = _method(O.SIN, "Sine.")
    cos = _method(O.COS, "Cosine.")
    abs = _method(O.ABS, "|x| (subgradient 0 at x = 0).")
    log1p = _method(O.LOG1P, "log(1 + x), precise for tiny x.")
    expm1 = _method(O.EXPM1, "e**x - 1, precise for tiny x.")
    tan = _method(O.TAN, "Tangent.")
    sign = _method(O.SIGN, "Sign: -1.0, 0.0 or 1.0 (gradient 0).")
    floor = _method(O.FLOOR, "Floor, as a float (gradient 0).")
    ceil = _method(O.CEIL, "Ceiling, as a float (gradient 0).")
    round = _method(O.ROUND, "Rounded half to even, as a float (gradient 0).")
    __abs__ = abs

    def __lt__(self, other): return self.raw < float(other)
    def __le__(self, other): return self.raw <= float(other)
    def __gt__(self, other): return self.raw > float(other)
    def __ge__(self, other): return self.raw >= float(other)


watch_apply(Value)
for _name, _op in (("__add__", O.ADD), ("__sub__", O.SUB), ("__mul__", O.MUL), ("__truediv__", O.DIV)):
    watch_operator(Value, _name, _op)  # fast paths that skip _apply
