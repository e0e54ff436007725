"""Type promotion against PyTorch: ``+ - * / ** // %``, ``where``, ``clamp`` and ``cat`` between
bool/int32/int64/float32/float64 tensors, 0-d tensors, Python scalars and NumPy scalars.

An operand is named ``kind:dtype`` (``tensor:int32``, ``0d:float64``, ``py:float``, ``np:float32``);
the result's dtype (by name) and values must be torch's, and where torch raises kissgrad must
raise too. The torch-free table asserts the documented rules (API.md, autograd/dtypes.py).
"""
import operator

import numpy as np
import pytest
from torch_compare import assert_same, constant, dtype_name, outcome

import kissgrad as kg

DTYPES = ["bool", "int32", "int64", "float32", "float64"]
PYTHON = {"py:bool": True, "py:int": 2, "py:float": 2.5}
NUMPY = {"np:bool": np.bool_(True), "np:int32": np.int32(2), "np:int64": np.int64(2),
         "np:float32": np.float32(2.5), "np:float64": np.float64(2.5)}
SCALARS = {**PYTHON, **NUMPY}
TENSORS = [f"tensor:{d}" for d in DTYPES]
ZERO_DIM = [f"0d:{d}" for d in DTYPES]
OPERANDS = TENSORS + ZERO_DIM + list(SCALARS)
VALUES = {"left": [1, 2, 3], "right": [2, 1, 2]}  # no zero on the right: // and % stay defined
BOOL_VALUES = {"left": [True, False, True], "right": [True, True, True]}


def operand(lib, name, side="left"):
    """The operand called ``name`` in ``lib``: a tensor, a 0-d tensor or the scalar itself."""
    if name in SCALARS:
        return SCALARS[name]
    kind, dtype = name.split(":")
    values = (BOOL_VALUES if dtype == "bool" else VALUES)[side]
    return constant(lib, np.array(values if kind == "tensor" else values[0], dtype=dtype))


def pairs(left, right):
    """Every (left, right) with at least one tensor operand."""
    return [pytest.param(a, b, id=f"{a}-{b}") for a in left for b in right
            if not (a in SCALARS and b in SCALARS)]


def assert_same_outcome(fn, *names):
    """``fn`` on the named operands: torch's dtype and values, or an error where torch raises."""
    torch = pytest.importorskip("torch")
    sides = ("left", "right", "right")
    expected = outcome(fn, torch, *(operand(torch, n, s) for n, s in zip(names, sides)))
    actual = outcome(fn, kg, *(operand(kg, n, s) for n, s in zip(names, sides)))
    if isinstance(expected, NotImplementedError) and not isinstance(actual, Exception):
        # torch has no kernel for these dtypes: kissgrad may compute, in torch's promoted dtype
        message = f"torch raises {expected!r}; kissgrad gives {actual!r}"
        assert dtype_name(actual.dtype) == promoted(*names), message
        return
    if isinstance(expected, Exception):
        assert isinstance(actual, Exception), f"torch raises {expected!r}; kissgrad gives {actual!r}"
        return
    assert not isinstance(actual, Exception), f"kissgrad raises {actual!r}; torch gives {expected!r}"
    assert_same(actual, expected, rtol=1e-6)


OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
       "pow": operator.pow, "floordiv": operator.floordiv, "mod": operator.mod}
ORDER = ["bool", "int32", "int64", "float32", "float64"]
CATEGORY = {"bool": 0, "int32": 1, "int64": 1, "float32": 2, "float64": 2}
SCALAR_DTYPE = {"py:bool": "bool", "py:int": "int64", "py:float": "float32", "np:bool": "bool",
                "np:int32": "int64", "np:int64": "int64", "np:float32": "float32", "np:float64": "float32"}


def promoted(*names):
    """PyTorch's promotion (API.md) of named operands: the highest category wins; inside it
    tensors with dims decide, else 0-d tensors, else scalars as the category's default dtype.
    (It is torch's answer everywhere here except torch's np.bool_ quirk, see NP_BOOL.)"""
    groups = [[n.split(":")[1] for n in names if n.startswith("tensor:")],
              [n.split(":")[1] for n in names if n.startswith("0d:")],
              [SCALAR_DTYPE[n] for n in names if n in SCALARS]]
    top = max(CATEGORY[d] for group in groups for d in group)
    return next(max(in_top, key=ORDER.index) for group in groups
                if (in_top := [d for d in group if CATEGORY[d] == top]))


def is_bool(name):
    return name.split(":")[1] == "bool" and name != "np:bool"


def is_integral_tensor(name):
    return name not in SCALARS and CATEGORY[name.split(":")[1]] < 2


def _raw(name):
    return SCALARS[name] if name in SCALARS else operand(kg, name, "right").numpy()


def numpy_differs(ufunc, a, b, computed_as=None):
    """Whether NumPy's own promotion of the raw operands (what kissgrad uses for ``//``, ``%``
    and ``** numpy-scalar`` today) differs from PyTorch's; ``computed_as`` names the operand
    kissgrad hands NumPy in place of ``a``."""
    return ufunc(_raw(computed_as or a), _raw(b)).dtype.name != promoted(a, b)


NP_BOOL = "torch quirk: it treats an np.bool_ scalar as a float (int32 tensor + np.bool_(True) is float32)"
NP_BOOL_SUB = ("torch quirk: `-` with a bool operand computes when a NumPy scalar is on the left or is "
               "np.bool_; kissgrad refuses a bool operand of `-` always, as torch does otherwise")
BOOL_POW = "** on two bools: kissgrad gives NumPy's int8, torch raises (its promotion says bool)"
NUMPY_PROMOTION = "** with a NumPy-scalar exponent (and bool ** int) promotes as NumPy, not as PyTorch"


def known_difference(op, a, b):
    """Why kissgrad differs from torch on ``a op b`` (None where it agrees), most specific first."""
    other = b if a == "np:bool" else a
    if op == "sub" and "np:bool" in (a, b):
        if is_integral_tensor(other) and not is_bool(other):
            return NP_BOOL
        return NP_BOOL_SUB if b == "np:bool" and not is_bool(a) else None
    if op == "sub" and a in NUMPY and is_bool(b):
        return NP_BOOL_SUB
    if is_bool(a) and is_bool(b) and op == "pow":
        return BOOL_POW
    if "np:bool" in (a, b) and is_integral_tensor(other) and op not in ("truediv", "sub"):
        return NP_BOOL
    if op == "pow" and b in NUMPY:  # an integer tensor meets a float exponent as float32
        floated = "tensor:float32" if is_integral_tensor(a) and "float" in b else None
        return NUMPY_PROMOTION if numpy_differs(np.power, a, b, floated) else None
    if op == "pow" and is_bool(a) and b == "py:int":
        return NUMPY_PROMOTION
    return None


def marked(params, reason_of):
    """``params`` with an xfail(strict) mark where ``reason_of(*values)`` names a known difference."""
    out = []
    for p in params:
        reason = reason_of(*p.values)
        out.append(p if reason is None else pytest.param(*p.values, id=p.id, marks=pytest.mark.xfail(
            strict=True, reason=reason)))
    return out


BINARY = [pytest.param(op, *p.values, id=f"{p.id}-{op}") for op in OPS for p in pairs(OPERANDS, OPERANDS)]


@pytest.mark.parametrize("op, left, right", marked(BINARY, known_difference))
def test_binary_operator_promotion_matches_torch(op, left, right):
    assert_same_outcome(lambda lib, a, b: OPS[op](a, b), left, right)


def np_bool_beside_integers(a, b):
    return NP_BOOL if "np:bool" in (a, b) and is_integral_tensor(b if a == "np:bool" else a) else None


@pytest.mark.parametrize("left, right", marked(pairs(OPERANDS, OPERANDS), np_bool_beside_integers))
def test_where_promotion_matches_torch(left, right):
    assert_same_outcome(lambda lib, a, b: lib.where(constant(lib, [True, False, True]), a, b), left, right)


@pytest.mark.parametrize("bound", ["min", "max"])
@pytest.mark.parametrize("x, value",
                         marked(pairs(TENSORS + ZERO_DIM, ZERO_DIM + list(SCALARS)), np_bool_beside_integers))
def test_clamp_promotion_matches_torch(x, value, bound):
    assert_same_outcome(lambda lib, a, b: a.clamp(**{bound: b}), x, value)


@pytest.mark.parametrize("left, right", pairs(TENSORS, TENSORS))
def test_cat_promotion_matches_torch(left, right):
    assert_same_outcome(lambda lib, a, b: lib.cat([a, b]), left, right)


# --- the documented rules, without torch ---------------------------------------------------

def t(dtype, zero_dim=False):
    """A kissgrad operand: a 1-d tensor (or a 0-d one) of ``dtype``."""
    return operand(kg, f"{'0d' if zero_dim else 'tensor'}:{dtype}", "right")


def case(text, expected, marks=()):
    """A documented rule: the expression ``text`` (over ``t``, ``kg``, ``np``) gives ``expected``."""
    return pytest.param(text, expected, id=f"{text} -> {expected}", marks=marks)


DOCUMENTED = [
    case("t('int64') + t('float32')", "float32"), case("t('int64') * 0.5", "float32"),
    case("t('float32') + 2.5", "float32"), case("2.5 - t('float32')", "float32"),
    case("t('float32') * t('float64', True)", "float32"), case("t('float32') + t('float64')", "float64"),
    case("t('int32') + t('int64')", "int64"), case("t('int32') + t('int64', True)", "int32"),
    case("t('int32') + t('float64', True)", "float64"), case("t('int32') * 2", "int32"),
    case("t('bool') + t('bool')", "bool"), case("t('bool') * True", "bool"), case("t('bool') + 2", "int64"),
    case("t('bool') * 2.5", "float32"), case("t('int32') / t('int32')", "float32"),
    case("t('int64') / 2", "float32"), case("t('int64') // 2", "int64"), case("t('int64') % 2", "int64"),
    case("t('int64') % 2.5", "float32"), case("t('int32') // t('float32')", "float32"),
    case("t('int64') ** 2", "int64"), case("t('int64') ** 0.5", "float32"), case("2 ** t('int32')", "int32"),
    case("t('float32') * np.float64(2.5)", "float32"), case("np.float64(2.5) * t('float32')", "float32"),
    case("t('int32') + np.int64(2)", "int32"), case("t('float32') ** t('float64', True)", "float32"),
    case("kg.where(t('bool'), t('int64'), 2.5)", "float32"),
    case("kg.where(t('bool'), t('float32'), t('float64'))", "float64"),
    case("kg.where(t('bool'), t('int32'), 2)", "int32"), case("t('int64').clamp(min=0.5)", "float32"),
    case("t('float32').clamp(0, t('float64', True))", "float32"), case("t('int32').clamp(0, 1)", "int32"),
    case("kg.cat([t('int64'), t('float32')])", "float32"), case("kg.cat([t('int32'), t('int64')])", "int64"),
    case("kg.cat([t('bool'), t('int32')])", "int32"),
]


@pytest.mark.parametrize("text, expected", DOCUMENTED)
def test_documented_promotion(text, expected):
    assert dtype_name(eval(text, {"t": t, "kg": kg, "np": np}).dtype) == expected


RULE_OPS = {"add": operator.add, "mul": operator.mul, "truediv": operator.truediv,
            "where": lambda a, b: kg.where(constant(kg, [True, False, True]), a, b)}


@pytest.mark.parametrize("op", RULE_OPS)
@pytest.mark.parametrize("left, right", pairs(OPERANDS, OPERANDS))
def test_promotion_follows_the_documented_rule(op, left, right):
    """Without torch: ``promoted`` (API.md's rule) names the dtype; ``/`` makes integers float32."""
    result = RULE_OPS[op](operand(kg, left), operand(kg, right, "right"))
    expected = promoted(left, right)
    assert dtype_name(result.dtype) == ("float32" if op == "truediv" and CATEGORY[expected] < 2 else expected)


def test_python_float_keeps_float32_gradient_dtype():
    x = kg.Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = (x * 2.5 + np.float64(1.0)) ** 2 / 3
    y.sum().backward()
    assert y.dtype == kg.float32 and x.grad.dtype == kg.float32
