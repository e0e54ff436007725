"""Property tests: binary ops over random broadcastable shape pairs.

Each operand's gradient has the operand's own shape and dtype and equals the closed
form, reduced over the broadcast axes by a reference written independently of the
engine's ``sum_to``.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autograd
from autograd import Tensor

SHAPES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3)

# op, forward, (d out / d x, d out / d y) on broadcast arrays; y is kept away from 0 for div
BINARY = {
    "add": (lambda x, y: x + y, lambda x, y: (np.ones_like(x), np.ones_like(y))),
    "sub": (lambda x, y: x - y, lambda x, y: (np.ones_like(x), -np.ones_like(y))),
    "mul": (lambda x, y: x * y, lambda x, y: (y, x)),
    "div": (lambda x, y: x / y, lambda x, y: (1 / y, -x / y ** 2)),
    "maximum": (autograd.maximum, lambda x, y: ((x > y).astype(x.dtype), (y > x).astype(x.dtype))),
    "minimum": (autograd.minimum, lambda x, y: ((x < y).astype(x.dtype), (y < x).astype(x.dtype))),
}


def reduce_to(a, shape):
    """Sum ``a`` down to ``shape`` the long way: leading axes one by one, then each 1-axis."""
    while a.ndim > len(shape):
        a = a.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and a.shape[axis] != 1:
            a = a.sum(axis=axis, keepdims=True)
    return a


def draw(rng, shape, dtype):
    # magnitudes in [0.5, 2] with random signs: no zero divisors, ties have probability 0
    return (rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)


@settings(max_examples=50, deadline=None)
@given(shapes=SHAPES, name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2 ** 32 - 1),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_binary_op_gradients_have_operand_shapes_and_closed_form(shapes, name, seed, dtype):
    (shape_x, shape_y), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    x_data, y_data = draw(rng, shape_x, dtype), draw(rng, shape_y, dtype)
    forward, closed_form = BINARY[name]
    x, y = Tensor(x_data, requires_grad=True), Tensor(y_data, requires_grad=True)
    out = forward(x, y)
    assert out.shape == out_shape and out.grad_fn == name
    seed_grad = rng.standard_normal(out_shape).astype(dtype)
    out.backward(seed_grad)
    xb, yb = np.broadcast_to(x_data, out_shape), np.broadcast_to(y_data, out_shape)
    expected_x, expected_y = (reduce_to(seed_grad * d, s)
                              for d, s in zip(closed_form(xb, yb), (shape_x, shape_y)))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for t, expected, shape in ((x, expected_x, shape_x), (y, expected_y, shape_y)):
        assert t.grad.shape == shape and t.grad.dtype == dtype
        np.testing.assert_allclose(t.grad.numpy(), expected, **tol)


@settings(max_examples=50, deadline=None)
@given(shapes=SHAPES, seed=st.integers(0, 2 ** 32 - 1))
def test_gradients_through_a_shared_operand_add_up(shapes, seed):
    # x appears in two broadcasts at once: x * y + x / y
    (shape_x, shape_y), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    x_data, y_data = draw(rng, shape_x, np.float64), draw(rng, shape_y, np.float64)
    x, y = Tensor(x_data, requires_grad=True), Tensor(y_data, requires_grad=True)
    (x * y + x / y).sum().backward()
    yb = np.broadcast_to(y_data, out_shape)
    np.testing.assert_allclose(x.grad.numpy(), reduce_to(yb + 1 / yb, shape_x), rtol=1e-10)
    assert y.grad.shape == shape_y
