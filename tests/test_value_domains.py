"""A Value leaving a function's domain gives NumPy's answer and NumPy's warning, not Python's
"math domain error": log(0) = -inf, log and sqrt of negatives nan, exp overflow inf, as a
Tensor of the same number does. The warning names the function and the value, and points at
the user's line."""
import math
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value

CASES = [("log", 0.0), ("log", -1.0), ("sqrt", -4.0), ("exp", 1000.0), ("log1p", -1.0),
         ("log1p", -3.0), ("expm1", 800.0)]


@pytest.mark.parametrize("name, x", CASES)
def test_value_matches_a_tensor_and_warns_naming_the_value(name, x):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = getattr(Value(x), name)().data
    with np.errstate(all="ignore"):
        want = float(getattr(Tensor(np.array(x)), name)().raw)
    assert got == want or (math.isnan(got) and math.isnan(want))
    messages = [str(w.message) for w in caught if w.category is RuntimeWarning]
    assert len(messages) == 1 and name in messages[0] and repr(x) in messages[0]
    assert caught[0].filename == __file__  # the user's line, not the library's


def test_values_inside_the_domain_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Value(1.0).log().data == 0.0
        assert Value(0.0).sqrt().data == 0.0
        assert Value(4.0).sqrt().data == 2.0


def test_power_overflow_keeps_the_sign_of_the_limit():
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert (Value(10.0) ** 400).data == math.inf
        assert (Value(-10.0) ** 401).data == -math.inf
        assert (Value(-10.0) ** 400).data == math.inf


def test_anomaly_mode_names_the_op_that_made_the_nan():
    from autograd import detect_anomaly

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with detect_anomaly(), pytest.raises(RuntimeError, match="sqrt"):
            Value(-1.0).sqrt()
