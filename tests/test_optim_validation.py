"""optim refuses bad input before changing anything, naming the argument and the value:
hyper-parameters, parameter lists, gradients of the wrong shape or dtype."""

import numpy as np
import pytest
from optim_cases import (
    GRADS,
    W0,
    param,
    run,
    set_grad,
)

import optim

# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize("cls, kwargs, name", [
    (optim.SGD, dict(lr=-0.1), "lr"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "momentum"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1), "weight_decay"),
    (optim.SGD, dict(lr=float("nan")), "lr"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov"),
    (optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    (optim.Adagrad, dict(lr=-1), "lr"),
    (optim.Adagrad, dict(lr_decay=-1), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    (optim.Adagrad, dict(eps=-1), "eps"),
    (optim.RMSprop, dict(lr=-1), "lr"),
    (optim.RMSprop, dict(alpha=-0.1), "alpha"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum"),
    (optim.Adam, dict(lr=-1e-3), "lr"),
    (optim.Adam, dict(eps=-1), "eps"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    (optim.Adam, dict(weight_decay=-1), "weight_decay"),
    (optim.AdamW, dict(weight_decay=-1), "weight_decay"),
], ids=lambda x: x if isinstance(x, str) else None)
def test_invalid_hyperparameter_is_named(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls([param()], **kwargs)


def test_invalid_hyperparameter_in_a_group_is_rejected():
    with pytest.raises(ValueError, match="lr"):
        optim.Adam([{"params": [param()], "lr": -1.0}])


def test_sgd_default_lr_is_pytorchs():
    p = param()
    run(optim.SGD([p]), p, [[1.0, 1.0, 1.0]])
    np.testing.assert_allclose(p.raw, np.array(W0) - 1e-3, rtol=1e-12)


def test_a_required_hyperparameter_must_be_given():
    from optim.optimizer import required
    with pytest.raises(ValueError, match="required optimization parameter lr"):
        optim.Optimizer([param()], dict(lr=required))


@pytest.mark.parametrize("params, error, match", [
    ([], ValueError, "empty parameter list"),
    (iter([]), ValueError, "empty parameter list"),
    (param(), TypeError, "iterable"),
    ({param()}, TypeError, "ordered"),
    ([np.zeros(3)], TypeError, "Tensors"),
    ([{"lr": 0.1}], ValueError, "'params'"),
    ([{"params": {param()}}], TypeError, "set"),
])
def test_bad_params(params, error, match):
    with pytest.raises(error, match=match):
        optim.SGD(params, lr=0.1)


def test_a_parameter_given_twice_is_rejected():
    p = param()
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": p})
    assert len(opt.param_groups) == 1


def test_non_leaf_tensor_is_rejected():
    p = param()
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


def test_base_optimizer_needs_an_update_rule():
    p = param()
    opt = optim.Optimizer([p], dict(lr=0.1))
    set_grad(p, GRADS[0])
    with pytest.raises(NotImplementedError):
        opt.step()


def test_repr_lists_groups():
    text = repr(optim.SGD([param()], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text
