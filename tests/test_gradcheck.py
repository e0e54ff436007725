"""gradcheck and gradgradcheck: they pass on right functions and say what is wrong otherwise."""
import re
import warnings

import numpy as np
import pytest

import autograd
from autograd import GradcheckError, Tensor, Value, gradcheck, gradgradcheck
from autograd.ops import constant_like, unwrap


def leaf(shape, seed=0, low=-2.0, high=2.0):
    return Tensor(np.random.default_rng(seed).uniform(low, high, shape), requires_grad=True)


# a custom op whose backward is wrong: d(x^3)/dx written as 2 x^2 instead of 3 x^2
BAD_CUBE = autograd.op("bad_cube", lambda x: x ** 3, lambda x: x ** 3,
                       lambda g, out, x: (g * 2 * x * x,))
# right at first order, but 2x is built from raw data: a constant, so no second derivative
FROZEN_SQUARE = autograd.op("frozen_square", lambda x: x * x, lambda x: x * x,
                            lambda g, out, x: (g * constant_like(x, 2 * unwrap(x)),))
GOOD_SQUARE = autograd.op("good_square", lambda x: x * x, lambda x: x * x,
                          lambda g, out, x: (g * 2 * x,))


def test_custom_ops_are_not_registered_as_built_ins():
    assert "bad_cube" not in autograd.OPS


@pytest.mark.parametrize("fn, shapes", [
    (lambda x: (x * x).sum(), [(3,)]),
    (lambda x, y: (x @ y).tanh(), [(2, 3), (3, 4)]),
    (lambda x, y: (x.exp() / (1 + y.sigmoid())).logsumexp(axis=-1), [(2, 3), (3,)]),
    (lambda x: (x[[0, 0, 1]] * 2.0, x.sum()), [(3, 2)]),  # a tuple of outputs
    (lambda x: GOOD_SQUARE(x).sin(), [(2, 2)]),
])
def test_gradcheck_passes_on_correct_functions(fn, shapes):
    inputs = [leaf(s, seed=i) for i, s in enumerate(shapes)]
    assert gradcheck(fn, inputs) is True


def test_gradcheck_checks_only_inputs_that_require_grad():
    x, c = leaf((3,)), Tensor(np.array([1.0, 2.0, 3.0]))
    assert gradcheck(lambda a, b: (a * b).sum(), (x, c))
    with pytest.raises(ValueError):
        gradcheck(lambda a: a.sum(), (Tensor(np.ones(2)),))


def test_gradcheck_does_not_modify_the_inputs():
    x = leaf((2, 3))
    before = x.numpy().copy()
    gradcheck(lambda a: a.exp().sum(), (x,))
    np.testing.assert_array_equal(x.numpy(), before)
    assert x.grad is None


def test_wrong_backward_inside_a_composite_is_named():
    x, y = leaf((2, 3), seed=1), leaf((3,), seed=2, low=0.5, high=2.0)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: (BAD_CUBE(a * b).tanh() + b.log()).sum(axis=0), (x, y))
    message = str(info.value)
    assert "input 0" in message
    match = re.search(r"at element \((\d+), (\d+)\)", message)
    assert match, message
    numbers = re.search(r"numerical (\S+) vs analytical (\S+?)\.?\s", message)
    assert numbers, message
    numerical, analytical = float(numbers.group(1)), float(numbers.group(2))
    # check the reported element: d/dx of tanh(a^3 b^3) at that element, both ways
    i, j = int(match.group(1)), int(match.group(2))
    a, b = x.numpy()[i, j], y.numpy()[j]
    sech2 = 1 - np.tanh((a * b) ** 3) ** 2
    assert numerical == pytest.approx(sech2 * 3 * a ** 2 * b ** 3, rel=1e-4, abs=1e-6)
    assert analytical == pytest.approx(sech2 * 2 * a ** 2 * b ** 3, rel=1e-4, abs=1e-6)
    assert "'bad_cube'" in message
    assert "'tanh'" not in message and "'log'" not in message


def test_the_worst_element_is_reported():
    # the wrong factor only matters where x is large: the worst element is x's largest
    x = Tensor(np.array([0.1, 0.2, 1.5, 0.3]), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"at element \(2,\)"):
        gradcheck(lambda a: BAD_CUBE(a), (x,))


def test_second_input_is_named():
    x, y = leaf((2,), seed=3), leaf((2,), seed=4)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: a * 2.0 + BAD_CUBE(b), (x, y))


def test_raise_exception_false_returns_false():
    assert gradcheck(lambda a: BAD_CUBE(a).sum(), (leaf((3,)),), raise_exception=False) is False
    assert gradgradcheck(lambda a: FROZEN_SQUARE(a).sum(), (leaf((3,)),),
                         raise_exception=False) is False


def test_float32_inputs_warn_and_still_pass():
    x = Tensor(np.array([0.5, -1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        assert gradcheck(lambda a: (a * a).tanh().sum(), (x,))
    assert x.dtype == np.float32


def test_float64_inputs_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(lambda a: a.sin(), (leaf((2,)),))


def test_value_inputs():
    a, b = Value(0.7), Value(-1.3)
    assert gradcheck(lambda p, q: (p * q + p ** 3).tanh() / (1 + q.exp()), (a, b))
    assert gradgradcheck(lambda p, q: (p * q).sigmoid() * q.sin(), (a, b))
    assert a.grad == 0.0 and a.data == 0.7
    with pytest.raises(GradcheckError, match="bad_cube"):
        gradcheck(lambda p: BAD_CUBE(p) * 2, (Value(1.5),))


def test_gradgradcheck_passes_on_twice_differentiable_functions():
    assert gradgradcheck(lambda a, b: (a @ b).tanh().sum(axis=0), (leaf((2, 3)), leaf((3, 2), 1)))
    assert gradgradcheck(lambda a: GOOD_SQUARE(a).exp(), (leaf((3,)),))


def test_gradgradcheck_catches_a_wrong_second_derivative():
    x = leaf((3,))
    assert gradcheck(lambda a: FROZEN_SQUARE(a).sin(), (x,))  # first order is right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda a: FROZEN_SQUARE(a).sin(), (x,))
    message = str(info.value)
    assert "input 0" in message and "numerical" in message and "analytical" in message
    assert "'frozen_square'" in message and "second derivatives" in message
    assert "'sin'" not in message


def test_gradgradcheck_with_grad_outputs():
    x = leaf((2,))
    assert gradgradcheck(lambda a: a ** 3, (x,), grad_outputs=[np.array([1.0, -2.0])])


def test_tolerances_are_used():
    # analytical 2x^2 vs numerical 3x^2 near x = 0.01: within atol=1e-3, outside atol=1e-6
    x = Tensor(np.array([0.01]), requires_grad=True)
    assert gradcheck(lambda a: BAD_CUBE(a), (x,), atol=1e-3)
    assert not gradcheck(lambda a: BAD_CUBE(a), (x,), atol=1e-6, rtol=1e-6, raise_exception=False)
