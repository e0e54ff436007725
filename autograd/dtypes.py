"""Dtypes: what a Tensor is made of, and PyTorch's type promotion between operands.

Dtypes are NumPy dtypes. ``Tensor(data)`` is float32 unless data is an ndarray (as
``torch.Tensor``); ``tensor(data)`` infers as ``torch.tensor`` (Python ints -> int64, floats
-> float32, bools -> bool). Operands of different dtypes meet under PyTorch's category rules
(bool < integer < floating), not NumPy's: an int64 tensor times a float32 tensor is float32,
and a 0-d tensor or a Python number only raises the result's category, never its width
inside a category (float32 * 0-d float64 stays float32).
"""
import numbers

import numpy as np

float32, float64, float16 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.float16)
int64, int32, int16, int8, uint8 = (np.dtype(t) for t in (np.int64, np.int32, np.int16, np.int8, np.uint8))
bool_ = np.dtype(np.bool_)
DEFAULT_FLOAT = float32
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_DEFAULT_OF_CATEGORY = (bool_, int64, DEFAULT_FLOAT)


def to_dtype(dtype):
    """A NumPy dtype from a NumPy dtype, a type or a name (``"float32"``)."""
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype such as kissgrad.float32, got {dtype!r}") from None


def _check_numeric(array, source):
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor data must be numeric (bool, int or float); got dtype {array.dtype} "
                        f"from {type(source).__name__}")
    return array


def _numpy(raw, dtype=None):
    """``np.array(raw, dtype)``, with an error that says what is wrong for ragged nesting."""
    try:
        return np.array(raw, dtype=dtype)
    except ValueError as error:
        if "inhomogeneous" in str(error) or "sequence" in str(error):
            raise ValueError(f"tensor data is ragged: its nested sequences have different lengths "
                             f"({_sketch(raw)}); every row must have the same length") from None
        raise


def _sketch(raw, limit=60):
    text = repr(raw)
    return text if len(text) <= limit else text[:limit] + "..."


def as_array(data, dtype=None):
    """``Tensor(data)``'s array: Python numbers and lists become float32 (bools stay bool),
    ndarrays keep their dtype, ``dtype`` overrides both. Non-numeric data raises ``TypeError``."""
    raw = getattr(data, "raw", data) if not isinstance(data, np.ndarray) else data
    if dtype is not None:
        return _check_numeric(_numpy(raw, to_dtype(dtype)), data)
    array = _numpy(raw)
    if not isinstance(raw, (np.ndarray, np.generic)) and array.dtype.kind in "iuf":
        array = array.astype(DEFAULT_FLOAT)
    return _check_numeric(array, data)


def infer_array(data, dtype=None):
    """``tensor(data)``'s array, inferred as ``torch.tensor``: Python ints -> int64, floats ->
    float32, bools -> bool; ndarrays and tensors keep their dtype; always a copy."""
    raw = getattr(data, "raw", data) if not isinstance(data, np.ndarray) else data
    if dtype is not None:
        return _check_numeric(_numpy(raw, to_dtype(dtype)), data)
    array = _numpy(raw)
    if not _holds_numpy(raw):
        if array.dtype.kind == "f":
            array = array.astype(DEFAULT_FLOAT)
        elif array.dtype.kind in "iu":
            array = array.astype(int64)
        elif array.size == 0 and array.dtype.kind not in "b":
            array = array.astype(DEFAULT_FLOAT)  # tensor([]) is float32, as in PyTorch
    return _check_numeric(array, data)


def _holds_numpy(raw):
    """True when ``raw`` is, or its first leaf is, a NumPy array or scalar (which keeps its
    dtype, as in ``torch.tensor([np.float64(1)])``)."""
    while isinstance(raw, (list, tuple)) and len(raw):
        raw = raw[0]
    return isinstance(raw, (np.ndarray, np.generic))


def category(dtype):
    """0 for bool, 1 for integers, 2 for floats."""
    return _CATEGORY[dtype.kind]


def scalar_dtype(number, dtype):
    """The dtype a Python number takes beside a tensor of ``dtype``: the tensor's own when the
    number's category is not higher, else that category's default (float32, int64)."""
    if isinstance(number, (bool, np.bool_)):
        kind = 0
    elif isinstance(number, numbers.Integral):
        kind = 1
    else:
        kind = 2
    return dtype if kind <= category(dtype) else _DEFAULT_OF_CATEGORY[kind]


def promote_types(kinds):
    """PyTorch's promotion of dtypes: the highest category wins outright (int64 with float32 is
    float32, where NumPy says float64); inside it, the widest."""
    top = max(category(d) for d in kinds)
    return np.result_type(*[d for d in kinds if category(d) == top])


def result_dtype(arrays):
    """The dtype PyTorch gives an op on ``arrays``: the promotion of the dimensioned ones, raised
    to the 0-d ones' dtype only where those are of a higher category."""
    dimensioned = [a.dtype for a in arrays if a.ndim]
    zero_dim = [a.dtype for a in arrays if not a.ndim]
    result = promote_types(dimensioned) if dimensioned else None
    if zero_dim:
        zero = promote_types(zero_dim)
        if result is None or category(zero) > category(result):
            result = zero
    return result
