"""optim's PyTorch surface: argument checks, gradients that don't fit, step's closure, and
load_state_dict / add_param_group leaving the optimizer as it was when they raise."""
import copy
import math

import numpy as np
import pytest
from optim_cases import GRADS, W0, param, run, set_grad

import optim
from autograd import Tensor, no_grad

NAN = math.nan
ALL = [optim.SGD, optim.Adagrad, optim.Adadelta, optim.RMSprop, optim.Adam, optim.AdamW,
       optim.Adamax, optim.NAdam, optim.RAdam]
WITH_BETAS = [optim.Adam, optim.AdamW, optim.Adamax, optim.NAdam, optim.RAdam]


def names(cls):
    return cls.__name__


@pytest.mark.parametrize("cls", ALL, ids=names)
@pytest.mark.parametrize("name, value", [("lr", -0.1), ("lr", NAN), ("weight_decay", -1.0),
                                         ("weight_decay", NAN), ("lr", -math.inf)])
def test_bad_lr_and_weight_decay_are_named(cls, name, value):
    with pytest.raises(ValueError, match=rf"Invalid {name}: {value}"):
        cls([param()], **{name: value})


@pytest.mark.parametrize("cls", [c for c in ALL if c is not optim.SGD], ids=names)
@pytest.mark.parametrize("value", [-1e-8, NAN])
def test_bad_eps_is_named(cls, value):
    with pytest.raises(ValueError, match=rf"Invalid eps: {value}"):
        cls([param()], eps=value)


@pytest.mark.parametrize("cls", WITH_BETAS, ids=names)
@pytest.mark.parametrize("betas, match", [
    ((1.0, 0.999), r"betas\[0\]: 1.0 \(must be in \[0, 1\)\)"),
    ((0.9, -0.1), r"betas\[1\]: -0.1"),
    ((NAN, 0.999), r"betas\[0\]: nan"),
    ((0.9, NAN), r"betas\[1\]: nan"),
    (0.9, r"betas: 0.9 \(must be a pair"),
    ((0.9,), r"betas: \(0.9,\)"),
    ((0.9, 0.99, 0.999), r"betas: \(0.9, 0.99, 0.999\)"),
    (("0.9", 0.999), r"betas: \('0.9', 0.999\)"),
    ("ab", r"betas: 'ab'"),
])
def test_bad_betas_are_named(cls, betas, match):
    with pytest.raises(ValueError, match=match):
        cls([param()], betas=betas)


@pytest.mark.parametrize("cls", WITH_BETAS, ids=names)
def test_betas_given_as_a_list_become_a_tuple(cls):
    opt = cls([param()], betas=[0.5, np.float64(0.9)])
    assert opt.param_groups[0]["betas"] == (0.5, 0.9)
    assert all(type(b) is float for b in opt.param_groups[0]["betas"])


@pytest.mark.parametrize("cls, kwargs, match", [
    (optim.SGD, dict(momentum=-0.5), r"momentum: -0.5"),
    (optim.SGD, dict(momentum=NAN), r"momentum: nan"),
    (optim.SGD, dict(dampening=NAN), r"dampening: nan"),
    (optim.SGD, dict(nesterov=True), r"nesterov=True with momentum=0 and dampening=0"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), r"dampening=0.1"),
    (optim.RMSprop, dict(momentum=-0.1), r"momentum: -0.1"),
    (optim.RMSprop, dict(alpha=NAN), r"alpha: nan"),
    (optim.Adagrad, dict(lr_decay=-1), r"lr_decay: -1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), r"initial_accumulator_value: -1"),
    (optim.Adadelta, dict(rho=1.5), r"rho: 1.5 \(must be in \[0, 1\]\)"),
    (optim.Adadelta, dict(rho=-0.1), r"rho: -0.1"),
    (optim.Adadelta, dict(rho=NAN), r"rho: nan"),
    (optim.NAdam, dict(momentum_decay=-4e-3), r"momentum_decay: -0.004"),
])
def test_bad_option_is_named(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls([param()], **kwargs)


@pytest.mark.parametrize("value", ["0.1", None, True, 1j])
def test_lr_that_is_not_a_real_number(value):
    with pytest.raises(TypeError, match=r"Invalid lr: .* \(must be a real number\)"):
        optim.Adam([param()], lr=value)


def test_adadelta_rho_may_be_one():
    # PyTorch allows rho in [0, 1]; rho = 1 keeps both running averages at zero, so that
    # delta = sqrt(eps) / sqrt(eps) * g: plain gradient descent.
    p = param()
    run(optim.Adadelta([p], lr=0.5, rho=1.0), p, GRADS[:2])
    np.testing.assert_allclose(p.raw, np.array(W0) - 0.5 * np.add(*GRADS[:2]), rtol=1e-12)


# --- gradients that do not fit their parameter ------------------------------------------

@pytest.mark.parametrize("cls", ALL, ids=names)
def test_gradient_of_another_shape_raises_and_changes_nothing(cls):
    p, q = param(), param([1.0, 2.0])
    opt = cls([p, q], lr=0.1)
    set_grad(p, GRADS[0])
    q.grad = Tensor(np.ones((3, 2)))  # would broadcast into q
    with pytest.raises(ValueError, match=r"parameter 1 has shape \(2,\) but its gradient has "
                                         r"shape \(3, 2\)"):
        opt.step()
    np.testing.assert_array_equal(p.raw, W0)  # p's good gradient was not applied either
    np.testing.assert_array_equal(q.raw, [1.0, 2.0])
    assert opt.state == {} or not any(opt.state.values())


@pytest.mark.parametrize("grad", [np.ones(1), np.ones((1, 3)), np.float64(1.0)])
def test_broadcastable_gradient_is_refused(grad):
    p = param()
    opt = optim.SGD([p], lr=0.1)
    p.grad = Tensor(grad)
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3,\) but its gradient"):
        opt.step()


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_gradient_that_is_not_float_raises(dtype):
    p = param()
    opt = optim.SGD([p], lr=0.1)
    p.grad = Tensor(np.ones(3, dtype=dtype))
    with pytest.raises(TypeError, match=rf"parameter 0 \(shape \(3,\)\) has dtype float64 but "
                                        rf"its gradient has dtype {np.dtype(dtype)}"):
        opt.step()


def test_float32_gradient_of_float64_parameter_is_cast():
    p = param()
    opt = optim.SGD([p], lr=0.5)
    p.grad = Tensor(np.ones(3, dtype=np.float32))
    opt.step()
    assert p.raw.dtype == np.float64
    np.testing.assert_allclose(p.raw, np.array(W0) - 0.5)


# --- step, zero_grad, add_param_group ----------------------------------------------------

def test_closure_runs_with_gradients_on_and_its_loss_is_returned():
    p = param([3.0])
    opt = optim.Adam([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with no_grad():
        loss = opt.step(closure)
    assert float(loss.raw) == 9.0
    np.testing.assert_allclose(p.raw, [2.9])
    assert opt.step() is None


def test_zero_grad_defaults_to_none():
    p = param()
    opt = optim.SGD([p], lr=0.1)
    set_grad(p, GRADS[0])
    opt.zero_grad()
    assert p.grad is None


def test_add_param_group_with_a_bad_option_changes_nothing():
    p, q = param(), param()
    opt = optim.Adam([p], lr=0.1)
    with pytest.raises(ValueError, match=r"betas\[1\]: 1.5"):
        opt.add_param_group({"params": [q], "betas": (0.9, 1.5)})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": [q]})  # q was not left registered
    assert opt.param_groups[1]["params"] == [q]


# --- load_state_dict: all or nothing ------------------------------------------------------

def two_groups(lr=0.1):
    p, q, r = param(), param([1.0, 2.0]), param([0.0])
    opt = optim.Adam([{"params": [p, q]}, {"params": [r], "lr": 0.05}], lr=lr)
    for g in GRADS[:2]:
        set_grad(p, g)
        set_grad(q, g[:2])
        set_grad(r, g[:1])
        opt.step()
    return opt


def spoil(saved, how):
    saved = copy.deepcopy(saved)
    how(saved)
    return saved


SPOILED = {
    "a later group's bad lr": (lambda s: s["param_groups"][1].update(lr=-1.0), r"Invalid lr: -1.0"),
    "a later group's bad betas": (lambda s: s["param_groups"][1].update(betas=(0.9,)), "betas"),
    "a buffer of the wrong shape": (lambda s: s["state"][2].update(exp_avg=np.zeros(4)), "shape"),
    "state for an unknown parameter": (lambda s: s["state"].update({9: s["state"][0]}),
                                       "parameter 9"),
    "an index listed twice": (lambda s: s["param_groups"][1].update(params=[0]), "more than once"),
    "an index that is not an int": (lambda s: s["param_groups"][1].update(params=["x"]), "'x'"),
    "a missing group": (lambda s: s["param_groups"].pop(), "parameter groups"),
    "a group of another size": (lambda s: s["param_groups"][0]["params"].pop(), "group 0 has 1"),
    "no param_groups": (lambda s: s.pop("param_groups"), "'state' and 'param_groups'"),
}


@pytest.mark.parametrize("what", SPOILED)
def test_load_state_dict_that_raises_leaves_the_optimizer_unchanged(what):
    how, match = SPOILED[what]
    source, target = two_groups(), two_groups(lr=0.3)
    target.param_groups[0]["lr"] = 0.7
    before, groups = target.state_dict(), list(target.param_groups)
    with pytest.raises(ValueError, match=match):
        target.load_state_dict(spoil(source.state_dict(), how))
    after = target.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert all(a is b for a, b in zip(target.param_groups, groups))
    for i, buffers in before["state"].items():
        for name, value in buffers.items():
            np.testing.assert_array_equal(after["state"][i][name], value)


def test_load_state_dict_keeps_the_group_dicts():
    # Schedulers and user code hold on to param_groups' dicts: loading updates them in place.
    source, target = two_groups(), two_groups()
    source.param_groups[1]["lr"] = 0.01
    group = target.param_groups[1]
    target.load_state_dict(source.state_dict())
    assert target.param_groups[1] is group and group["lr"] == 0.01
