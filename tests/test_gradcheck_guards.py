"""gradcheck and gradgradcheck cannot pass wrongly: non-finite values, bad arguments, bad returns, kinks.

Each test here failed (or passed silently where it must not) before the guards were added.
"""
import re

import numpy as np
import pytest

import autograd
from autograd import GradcheckError, Tensor, Value, gradcheck, gradgradcheck
from autograd.gradcheck import first_wrong_op
from autograd.ops import constant_like, unwrap


def leaf(values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


# x^2 with a right backward, but its value is NaN exactly at x == 1 (finite differences skip it)
NAN_AT_ONE = autograd.op("nan_at_one", lambda x: np.where(x == 1.0, np.nan, x * x),
                         lambda x: np.nan if x == 1.0 else x * x, lambda g, out, x: (g * 2 * x,))
# x^2 whose backward gives NaN at x == 1, where the derivative is 2
NAN_GRAD = autograd.op("nan_grad", lambda x: x * x, lambda x: x * x,
                       lambda g, out, x: (g * constant_like(x, np.where(unwrap(x) == 1.0, np.nan,
                                                                           2 * unwrap(x))),))
BAD_CUBE = autograd.op("bad_cube_guards", lambda x: x ** 3, lambda x: x ** 3,
                       lambda g, out, x: (g * 2 * x * x,))
# exp with a backward 10% too large: a wrong rule on a steep, strongly curved function
BAD_EXP = autograd.op("bad_exp", np.exp, np.exp, lambda g, out, x: (g * out * 1.1,))


# --- never a success on a non-finite value ------------------------------------------------

def test_a_nan_output_fails_even_when_the_derivatives_agree():
    x = leaf([1.0, 2.0])
    with pytest.raises(GradcheckError, match=r"output 0 of fn is nan at element \(0,\)"):
        gradcheck(lambda a: NAN_AT_ONE(a), (x,))
    assert gradcheck(lambda a: NAN_AT_ONE(a), (x,), raise_exception=False) is False
    assert gradcheck(lambda a: NAN_AT_ONE(a), (leaf([0.5, 2.0]),))  # away from it: fine


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the function's own, at its domain edge
def test_an_inf_output_in_a_tuple_fails():
    x = leaf([0.5, 2.0])
    with pytest.raises(GradcheckError, match=r"output 1 of fn is inf at element \(\)"):
        gradcheck(lambda a: (a * a, (a.sum() * 0.0 + 1.0) / 0.0), (x,))


def test_a_nan_in_the_analytical_jacobian_is_located_and_its_op_named():
    x = leaf([0.5, 1.0, 2.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: NAN_GRAD(a).sin(), (x,))
    message = str(info.value)
    assert "Non-finite value in the analytical Jacobian for input 0 at element (1,)" in message
    assert "analytical nan" in message
    assert "First op whose own backward is wrong: 'nan_grad'" in message
    assert gradgradcheck(lambda a: NAN_AT_ONE(a).sin(), (leaf([0.5]),))  # the op itself is fine


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the function's own, at its domain edge
def test_a_nan_in_the_numerical_jacobian_is_located_without_blaming_an_op():
    # sqrt at x = eps / 2: defined there, but not at x - eps
    x = leaf([4.0, 5e-7])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a.sqrt(), (x,))
    message = str(info.value)
    assert "Non-finite value in the numerical Jacobian for input 0 at element (1,)" in message
    assert "within eps of where the function is undefined" in message
    assert "First op" not in message


def test_gradgradcheck_fails_on_a_nan_output():
    x = leaf([0.5, 1.5])
    with pytest.raises(GradcheckError, match=r"output 1 of fn is nan"):
        gradgradcheck(lambda a: (a * a, Tensor(np.array(np.nan))), (x,))
    assert gradgradcheck(lambda a: (a * a, a + np.inf), (x,), raise_exception=False) is False


def test_gradgradcheck_fails_on_a_nan_first_derivative():
    x = leaf([0.5, 1.0])
    with pytest.raises(GradcheckError, match=r"the first derivative \(the gradient for input 0\) "
                                             r"is nan at element \(1,\)"):
        gradgradcheck(lambda a: NAN_GRAD(a), (x,))


def test_an_empty_input_has_no_derivative_to_check():
    # logsumexp over an empty axis is -inf (as in PyTorch); no Jacobian entry uses it
    assert gradcheck(lambda a: a.logsumexp(-1), (Tensor(np.zeros((3, 0)), requires_grad=True),))


def test_a_non_finite_input_is_refused():
    with pytest.raises(ValueError, match=r"input 0 is nan at element \(1,\)"):
        gradcheck(lambda a: a * 2, (leaf([1.0, np.nan]),))
    with pytest.raises(ValueError, match=r"gradgradcheck: input 1 is inf at element \(\)"):
        gradgradcheck(lambda a, b: a * b, (leaf([1.0]), leaf(np.inf)))


# --- arguments ----------------------------------------------------------------------------

BAD_ARGUMENTS = [("eps", 0), ("eps", 0.0), ("eps", -1e-6), ("eps", float("nan")), ("eps", float("inf")),
                 ("eps", "1e-6"), ("atol", -1e-5), ("atol", float("nan")), ("atol", float("inf")),
                 ("rtol", -1e-3), ("rtol", float("nan")), ("rtol", None)]


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("name, value", BAD_ARGUMENTS, ids=[f"{n}={v!r}" for n, v in BAD_ARGUMENTS])
def test_bad_eps_and_tolerances_are_refused(check, name, value):
    pattern = rf"{check.__name__}: {name} must be a finite number >=? 0, got {re.escape(repr(value))}"
    with pytest.raises(ValueError, match=pattern):
        check(lambda a: BAD_CUBE(a), (leaf([1.0, 2.0]),), **{name: value})


def test_zero_tolerances_and_numpy_scalars_are_accepted():
    x = leaf([0.5, 1.5])
    assert gradcheck(lambda a: a.sin(), (x,), eps=np.float64(1e-6), atol=0, rtol=np.float32(1e-3))
    assert gradgradcheck(lambda a: a.sin(), (x,), atol=0.0)


# --- what fn returns ----------------------------------------------------------------------

NOT_TENSORS = [
    (lambda a: None, "None"),
    (lambda a: 3.0, "float 3.0"),
    (lambda a: np.ones(2), "a NumPy array of shape (2,)"),
    (lambda a: (), "a tuple of ()"),
    (lambda a: (a * 2, None), "a tuple of (a Tensor of shape (2,) with requires_grad=True, None)"),
]


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("fn, described", NOT_TENSORS, ids=[d for _, d in NOT_TENSORS])
def test_a_function_returning_no_tensor_is_refused(check, fn, described):
    with pytest.raises(TypeError, match=rf"{check.__name__}: fn must return a Tensor.*"
                                        rf"it returned {re.escape(described)}$"):
        check(fn, (leaf([1.0, 2.0]),))


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("fn", [lambda a: Tensor(np.ones(2)), lambda a: a.detach() * 2,
                                lambda a: (a.detach(), a.sum().detach())],
                         ids=["constant", "detached", "tuple"])
def test_a_function_with_no_output_requiring_grad_is_refused(check, fn):
    with pytest.raises(ValueError, match=r"no output of fn requires grad \(it returned .*grad=False"):
        check(fn, (leaf([1.0, 2.0]),))


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck], ids=["gradcheck", "gradgradcheck"])
def test_an_output_that_does_not_depend_on_the_inputs_is_refused(check):
    # a new leaf requires grad (Values do by default) but has no path back to the inputs
    with pytest.raises(ValueError, match=r"no output of fn depends on an input being checked "
                                         r"\(it returned a Value with requires_grad=True\)"):
        check(lambda p: Value(p.data * 2), (Value(1.0),))
    with pytest.raises(ValueError, match=r"no output of fn depends on an input being checked"):
        check(lambda a: leaf([1.0, 2.0]) * 2, (leaf([1.0, 2.0]),))


def test_a_linear_function_still_passes_gradgradcheck():
    # its first derivative is a constant that requires no grad: a zero second derivative, not an error
    assert gradgradcheck(lambda a, b: a * 2.0 + b, (leaf([0.5, 1.0]), leaf([1.0, 2.0])))
    assert gradgradcheck(lambda a, b: a * a, (leaf([0.5]), leaf([1.0])))  # b unused


def test_gradgradcheck_checks_grad_outputs():
    x = leaf([0.5])
    with pytest.raises(ValueError, match=r"grad_outputs has 2 entries but fn returned 1 outputs"):
        gradgradcheck(lambda a: a ** 3, (x,), grad_outputs=[np.ones(1), np.ones(1)])
    with pytest.raises(ValueError, match=r"grad_outputs\[0\] is nan at element \(0,\)"):
        gradgradcheck(lambda a: a ** 3, (x,), grad_outputs=[np.array([np.nan])])


# --- non-differentiable points: said so, no op blamed ---------------------------------------

def test_relu_at_zero_is_reported_as_a_kink_not_as_a_wrong_relu():
    x = leaf([[1.0, 0.0], [-1.0, 2.0]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a.relu() * 3.0, (x,))
    message = str(info.value)
    assert ("input 0 element (0, 1) = 0 sits at a point where the function is not differentiable: "
            "left slope 0, right slope 3") in message
    assert "'relu'" not in message and "First op" not in message
    assert gradcheck(lambda a: a.relu() * 3.0, (x,), raise_exception=False) is False


def test_value_relu_at_zero_is_a_kink():
    with pytest.raises(GradcheckError, match=r"input 1 element \(\) = 0 sits at a point where the "
                                             r"function is not differentiable: left slope 0, right slope 2"):
        gradcheck(lambda p, q: p * q.relu(), (Value(2.0), Value(0.0)))


def test_max_with_ties_is_a_kink():
    x = leaf([[1.0, 2.0], [1.0, 0.0]])  # column 0 is tied
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a.max(dim=0).values, (x,))
    message = str(info.value)
    assert re.search(r"input 0 element \((0|1), 0\) = 1 sits at a point where the function is not "
                     r"differentiable: left slope (0|1), right slope (0|1)", message), message
    assert "1 more mismatching elements" in message
    assert "First op" not in message


def test_abs_at_zero_passes_and_its_gradient_jump_is_reported():
    x = leaf([0.0, 1.5])
    assert gradcheck(lambda a: a.abs(), (x,))  # the central difference 0 is abs's subgradient at 0
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda a: a.abs(), (x,))
    message = str(info.value)
    assert "input 0 element (0,) = 0 sits at a point where the first derivative is not continuous" in message
    assert "'abs'" not in message


def test_gradgradcheck_relu_at_zero_and_a_kink_of_the_first_derivative():
    with pytest.raises(GradcheckError, match=r"the first derivative is not continuous") as info:
        gradgradcheck(lambda a: a.relu(), (leaf([0.0, 1.0]),))
    assert "'relu'" not in str(info.value)
    with pytest.raises(GradcheckError, match=r"the first derivative is not differentiable: "
                                             r"left slope 0, right slope"):
        gradgradcheck(lambda p: p.relu() * p, (Value(0.0),))


def test_a_step_is_reported_as_a_jump():
    with pytest.raises(GradcheckError, match=r"element \(0,\) = 1 sits at a point where the function "
                                             r"is not continuous: it jumps from 0 to 1") as info:
        gradcheck(lambda a: a.floor(), (leaf([1.0, 0.5]),))
    assert "'floor'" not in str(info.value)


def test_a_kink_does_not_hide_a_wrong_backward_elsewhere():
    x, y = leaf([0.0, 1.0, -1.0]), leaf([0.5, 1.5])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a.relu().sum() + BAD_CUBE(b).sum(), (x, y))
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for input 1 at element (1,)"), message
    assert "First op whose own backward is wrong: 'bad_cube_guards'" in message
    assert "'relu'" not in message
    assert "input 0 element (0,) = 0 sits at a point where the function is not differentiable" in message


def test_the_op_search_does_not_judge_an_op_at_a_kink():
    found = first_wrong_op(lambda a: (a.relu() * a.abs()).sum() + a.max(), (leaf([0.0, 1.0, 1.0]),))
    assert found.startswith("Every op's own backward agrees"), found


def test_a_wrong_backward_on_a_steep_smooth_function_is_not_called_a_kink():
    # one-sided differences of exp(2000 x) differ by more than the tolerance, but halve with eps
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: BAD_EXP(a * 2000.0), (leaf([0.001]),))
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for input 0"), message
    assert "'bad_exp'" in message and "Non-differentiable" not in message
    assert gradcheck(lambda a: (a * 2000.0).exp(), (leaf([0.001]),))
