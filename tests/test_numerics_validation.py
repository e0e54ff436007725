"""No silent wrong answers in the numbers: numerics at the edges (0 ** 0, -inf logits, NaN
extrema, Value powers at 0) and argument checks of tensors, layers and factories that would
otherwise change results. Optimizer and scheduler state, files and pickles that fail loudly and
change nothing: test_state_validation.py.

Each test pins one defect; PyTorch comparisons skip when torch is not installed.
"""
import math
import warnings

import numpy as np
import pytest

import kissgrad
import nn
from autograd import Tensor, Value, arange
from nn import functional as F

INF, NAN = math.inf, math.nan


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def grads_of(out, *inputs):
    out.sum().backward()
    return [x.grad.numpy() for x in inputs]


# --- pow at 0 --------------------------------------------------------------------------

def test_x_to_the_zero_at_zero_has_gradient_zero():
    x = leaf([0.0, 1.0, -2.0])
    assert grads_of(x ** 0, x)[0].tolist() == [0.0, 0.0, 0.0]
    x, y = leaf([0.0, 1.0, 2.0]), leaf(0.0)
    gx, gy = grads_of(x ** y, x, y)
    assert gx.tolist() == [0.0, 0.0, 0.0]
    assert gy == pytest.approx(math.log(2.0))  # x ** y * log(x): 0 at x = 0, as PyTorch


POW_POINTS = [(x, y) for x in (0.0, 0.5, 1.0, 2.0) for y in (0.0, 1.0, 2.0, 0.5, -0.5, -1.0, -2.0)]


@pytest.mark.parametrize("x, y", POW_POINTS)
def test_pow_tensor_value_and_both_gradients_match_torch(x, y):
    torch = pytest.importorskip("torch")
    a, b = leaf(x), leaf(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a ** b
        out.backward()
    ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    (ta ** tb).backward()
    # at x = 0 with y < 0 PyTorch gives d/dy = inf * log(0) = -inf, never nan
    np.testing.assert_array_equal([out.item(), a.grad.item(), b.grad.item()],
                                  [(ta ** tb).item(), ta.grad.item(), tb.grad.item()])


def test_pow_tensor_second_derivative_at_zero_with_exponent_zero_is_zero():
    x, y = leaf([0.0, 0.0]), Tensor(np.zeros(2))
    (g,) = kissgrad.autograd.grad((x ** y).sum(), x, create_graph=True)
    g.sum().backward()
    assert g.numpy().tolist() == [0.0, 0.0] and x.grad.numpy().tolist() == [0.0, 0.0]


# --- cross-entropy with -inf logits -------------------------------------------------------

@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_a_minus_inf_logit_is_finite_as_in_torch(reduction):
    torch = pytest.importorskip("torch")
    logits = [[1.0, -INF, 2.0], [0.5, 0.1, -INF]]
    x = leaf(logits, np.float32)
    loss = F.cross_entropy(x, Tensor(np.array([0, 1])), reduction=reduction)
    loss.sum().backward()
    tx = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tx, torch.tensor([0, 1]), reduction=reduction)
    tloss.sum().backward()
    assert np.isfinite(loss.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(loss.numpy(), tloss.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)


# --- extrema over NaN ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_over_nan_give_nan_and_torchs_gradient(name):
    torch = pytest.importorskip("torch")
    data = [1.0, NAN, 3.0, NAN]
    x = leaf(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 along the way
        out = getattr(x, name)()
        out.backward()
    tx = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    getattr(tx, name)().backward()
    assert math.isnan(out.item())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())  # the NaNs share it
    assert x.grad.numpy().tolist() == [0.0, 0.5, 0.0, 0.5]


def test_max_along_a_dim_over_nan_matches_torch():
    torch = pytest.importorskip("torch")
    data = [[1.0, NAN, 3.0], [1.0, 2.0, 3.0]]
    x = leaf(data)
    values, indices = x.max(dim=1)
    values.sum().backward()
    tx = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    tvalues, tindices = tx.max(dim=1)
    tvalues.sum().backward()
    np.testing.assert_array_equal(values.numpy(), tvalues.detach().numpy())
    np.testing.assert_array_equal(indices.numpy(), tindices.numpy())
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_over_nan_sends_the_gradient_to_the_nan(name):
    # amax/amin share max()'s op: the NaN that made the result gets the gradient and the rest
    # of the slice 0, as torch's max() (torch's amax gives NaN to the whole slice instead)
    x = leaf([[1.0, NAN, 3.0], [4.0, 2.0, 4.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(x, name)(dim=1)
        out.sum().backward()
    assert math.isnan(out.numpy()[0])
    expected_row = [0.5, 0.0, 0.5] if name == "amax" else [0.0, 1.0, 0.0]
    assert x.grad.numpy().tolist() == [[0.0, 1.0, 0.0], expected_row]


# --- binary cross-entropy's input range ------------------------------------------------

@pytest.mark.parametrize("values, found", [
    ([0.5, NAN], r"\[0\.5, 0\.5\] and 1 NaN"),
    ([NAN, NAN], r"2 NaN"),
    ([0.2, 1.5], r"\[0\.2, 1\.5\]"),
    ([-0.1, 0.3], r"\[-0\.1, 0\.3\]"),
])
def test_binary_cross_entropy_refuses_nan_and_out_of_range_input(values, found):
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must be probabilities in "
                                         r"\[0, 1\], found (.* )?" + found):
        F.binary_cross_entropy(Tensor(np.array(values)), Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="NaN" if math.isnan(values[0]) else "found"):
        nn.BCELoss()(Tensor(np.array(values)), Tensor(np.ones(2)))


def test_binary_cross_entropy_range_check_agrees_with_torch():
    torch = pytest.importorskip("torch")
    for values in ([0.5, NAN], [1.5, 0.5], [0.0, 1.0]):
        try:
            torch.nn.functional.binary_cross_entropy(torch.tensor(values), torch.ones(2))
            torch_raises = False
        except RuntimeError:
            torch_raises = True
        try:
            F.binary_cross_entropy(Tensor(np.array(values, np.float32)), Tensor(np.ones(2)))
            ours_raises = False
        except ValueError:
            ours_raises = True
        assert ours_raises == torch_raises, values


# --- shapes, dtypes, layers, factories -----------------------------------------------------

@pytest.mark.parametrize("shape, dims", [((), (5,)), ((), (1,)), ((), (-2,)), ((), (0, 1)),
                                         ((2, 3), (5,)), ((2, 3), (0, 2)), ((2, 3), (-3,)),
                                         ((4,), (0, 1))])
def test_flatten_refuses_dims_out_of_range_as_torch(shape, dims):
    x = Tensor(np.zeros(shape))
    with pytest.raises(IndexError, match=rf"dim {[d for d in dims if abs(d) > 0][-1]} is out of "
                                         rf"range for a tensor of shape {re_shape(shape)}"):
        x.flatten(*dims)
    torch = pytest.importorskip("torch")
    with pytest.raises(IndexError):
        torch.zeros(shape).flatten(*dims)


def re_shape(shape):
    return str(shape).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("dims, shape", [((), (1,)), ((0,), (1,)), ((-1,), (1,)), ((0, -1), (1,))])
def test_flatten_of_a_0d_tensor_takes_dims_0_and_minus_1(dims, shape):
    assert Tensor(np.float64(2.0)).flatten(*dims).shape == shape


def test_casting_to_an_integer_dtype_passes_no_gradient():
    x = leaf([1.5, 2.5])
    for cast in (x.astype(np.int64), x.to(np.int64), x.long(), x.to(kissgrad.int32)):
        assert not cast.requires_grad and cast.grad_fn is None and cast.is_leaf


@pytest.mark.parametrize("kwargs, message", [
    (dict(kernel_size=0), r"kernel_size must be >= 1, got kernel_size=\(0, 0\)"),
    (dict(kernel_size=3, stride=0), r"stride must be >= 1, got stride=\(0, 0\)"),
    (dict(kernel_size=3, padding=-1), r"padding must be >= 0, got padding=\(-1, -1\)"),
    (dict(kernel_size=3, dilation=0), r"dilation must be >= 1, got dilation=\(0, 0\)"),
])
def test_conv2d_refuses_geometry_that_divides_by_zero(kwargs, message):
    with pytest.raises(ValueError, match="Conv2d: " + message):
        nn.Conv2d(1, 8, **kwargs)


@pytest.mark.parametrize("args", [(0, 10, 0), (0.0, 1.0, 0.0)])
def test_arange_refuses_step_zero(args):
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        arange(*args)


@pytest.mark.parametrize("exponent, value, grad", [(0.5, 0.0, math.inf), (-1, math.inf, -math.inf),
                                                   (-2, math.inf, -math.inf), (2, 0.0, 0.0)])
def test_value_power_at_zero_is_numpys_not_a_python_exception(exponent, value, grad):
    # Value(0.) ** 0.5 raised ZeroDivisionError in backward, ** -1 "math domain error" in forward
    a = Value(0.0)
    b = a ** exponent
    b.backward()
    assert (b.data, a.grad) == (value, grad)


def test_value_power_matches_torch_at_zero():
    torch = pytest.importorskip("torch")
    for exponent in (0.5, -1, -2, 2, 3):
        t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        (t ** exponent).backward()
        a = Value(0.0)
        (a ** exponent).backward()
        assert a.grad == t.grad.item() or (math.isnan(a.grad) and math.isnan(t.grad.item()))
