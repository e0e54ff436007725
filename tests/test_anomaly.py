"""detect_anomaly: the first op making a NaN/inf from finite numbers raises at the user's line;
in backward, the first rule doing so raises with its forward's line."""
import inspect

import numpy as np
import pytest

import kissgrad as kg
from autograd import Value
from autograd.anomaly import ANOMALY


def _line_of(text):
    """The line number in this file whose code is ``text``."""
    with open(inspect.getsourcefile(_line_of)) as source:
        return next(i for i, line in enumerate(source, 1) if line.strip() == text)


def test_forward_names_the_first_sqrt_at_its_line():
    x = kg.tensor([1.0, 3.0], requires_grad=True)
    with kg.autograd.detect_anomaly(), pytest.raises(RuntimeError) as error:
        y = (x - 2).sqrt().sqrt()  # noqa: F841
    message = str(error.value)
    assert "'sqrt'" in message and "from finite inputs" in message
    assert f"test_anomaly.py:{_line_of('y = (x - 2).sqrt().sqrt()  # noqa: F841')}:" in message
    assert "y = (x - 2).sqrt().sqrt()" in message
    assert "input 0: shape (2,) in [-1, 1]" in message


def test_a_nan_that_came_in_is_not_blamed_on_the_next_op():
    x = kg.tensor([np.nan, 1.0])
    with kg.autograd.detect_anomaly():
        y = (x * 2).exp()  # the NaN was there before: no op made it
    assert np.isnan(y.numpy()[0])


def test_backward_names_the_rule_and_its_forward_line():
    x = kg.tensor([1.0, 3.0], requires_grad=True)
    with kg.autograd.detect_anomaly():
        z = (x - 1).sqrt()
        with pytest.raises(RuntimeError) as error:
            z.sum().backward()
    message = str(error.value)
    assert "backward of 'sqrt'" in message and "gradient of its input 0" in message
    assert f"test_anomaly.py:{_line_of('z = (x - 1).sqrt()')}:" in message


def test_values_are_checked_too():
    a = Value(1e300, requires_grad=True)
    with kg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="'mul'"):
        a * a


def test_off_by_default_and_restored_after_the_block_and_after_an_error():
    assert not kg.autograd.is_anomaly_enabled()
    hot_paths = (kg.Tensor.__dict__["_apply"], Value.__dict__["_apply"], Value.__dict__["__mul__"])
    with pytest.raises(RuntimeError):
        with kg.autograd.detect_anomaly():
            assert kg.autograd.is_anomaly_enabled()
            kg.tensor([-1.0]).log()
    assert not kg.autograd.is_anomaly_enabled()
    # off, nothing of it is left on the hot paths
    assert (kg.Tensor.__dict__["_apply"], Value.__dict__["_apply"], Value.__dict__["__mul__"]) == hot_paths
    assert np.isnan(kg.tensor([-1.0]).log().numpy()).all()  # off: NaN, no error, as NumPy


def test_set_detect_anomaly_switches_now_and_as_a_context_manager():
    kg.autograd.set_detect_anomaly(True)
    try:
        assert ANOMALY.enabled
        with kg.autograd.set_detect_anomaly(False):
            assert not ANOMALY.enabled
        assert ANOMALY.enabled
    finally:
        kg.autograd.set_detect_anomaly(False)
    assert not kg.autograd.is_anomaly_enabled()


def test_decorator_form():
    @kg.autograd.detect_anomaly()
    def f(x):
        return (x * 0).log()

    with pytest.raises(RuntimeError, match="'log'"):
        f(kg.ones(2))


def test_finite_training_runs_unchanged_inside_the_mode():
    kg.manual_seed(0)
    layer = kg.nn.Linear(3, 1)
    x = kg.randn(8, 3)
    with kg.autograd.detect_anomaly():
        layer(x).pow(2).mean().backward()
    inside = layer.weight.grad.numpy().copy()
    layer.zero_grad()
    layer(x).pow(2).mean().backward()
    np.testing.assert_array_equal(inside, layer.weight.grad.numpy())
