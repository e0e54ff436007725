"""optim: each update rule against its textbook formula, groups, state_dict. Bad input:
test_optim_validation.py."""
import copy

import numpy as np
import pytest
from optim_cases import (
    CASES,
    GRADS,
    W0,
    adagrad_reference,
    adam_reference,
    adamw_reference,
    param,
    rmsprop_reference,
    run,
    set_grad,
    sgd_reference,
)

import optim
from autograd import Tensor


@pytest.mark.parametrize("case", CASES, ids=str)
def test_trajectory_matches_textbook_formula(case):
    p = param()
    got = run(case.cls([p], **case.kwargs), p, GRADS)
    want = case.reference(W0, GRADS, **case.kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reference, plain, variant", [
    (sgd_reference, dict(lr=0.1, momentum=0.9), dict(nesterov=True)),
    (sgd_reference, dict(lr=0.1, momentum=0.9), dict(dampening=0.3)),
    (rmsprop_reference, dict(alpha=0.9), dict(centered=True)),
    (adam_reference, dict(lr=0.1, betas=(0.5, 0.9)), dict(amsgrad=True)),
    (adamw_reference, dict(lr=0.1, weight_decay=0.5), dict(amsgrad=True)),
    (adagrad_reference, dict(lr=0.1), dict(lr_decay=0.5)),
], ids=["nesterov", "dampening", "centered", "amsgrad", "adamw-amsgrad", "lr_decay"])
def test_gradient_sequence_tells_variants_apart(reference, plain, variant):
    # Otherwise the trajectory tests above could not catch an ignored flag.
    a = reference(W0, GRADS, **plain)
    b = reference(W0, GRADS, **plain, **variant)
    assert not np.allclose(a, b, rtol=1e-6)


def test_sgd_momentum_hand_computed():
    p = param([1.0])
    got = run(optim.SGD([p], lr=0.1, momentum=0.9), p, [[1.0]] * 3)
    # b = 1, 1.9, 2.71; w = 1 - 0.1 * (1 + 1.9 + 2.71) step by step
    np.testing.assert_allclose(np.ravel(got), [0.9, 0.71, 0.439], rtol=1e-12)


def test_sgd_nesterov_hand_computed():
    p = param([1.0])
    got = run(optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [[1.0]] * 2)
    # step 1: b = 1, g = 1 + 0.9 * 1 = 1.9; step 2: b = 1.9, g = 1 + 0.9 * 1.9 = 2.71
    np.testing.assert_allclose(np.ravel(got), [0.81, 0.539], rtol=1e-12)


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW, optim.Adagrad, optim.Adamax])
def test_first_step_moves_every_coordinate_by_lr(cls):
    # The first Adam/Adagrad step is lr * g / (|g| + eps): a step of lr against the sign of g.
    p = param()
    kwargs = dict(weight_decay=0) if cls is optim.AdamW else {}
    run(cls([p], lr=0.1, **kwargs), p, [[3.0, -0.25, 1e-3]])
    np.testing.assert_allclose(p.raw, np.array(W0) - 0.1 * np.array([1, -1, 1]), rtol=1e-6)


def test_adamw_decay_is_decoupled_from_the_gradient():
    # With zero gradients AdamW only shrinks weights by (1 - lr * wd) per step, while Adam's
    # L2 term goes through the moments and moves each weight by about lr per step.
    p, q = param(), param()
    run(optim.AdamW([p], lr=0.1, weight_decay=0.5), p, [[0.0] * 3] * 3)
    run(optim.Adam([q], lr=0.1, weight_decay=0.5), q, [[0.0] * 3] * 3)
    np.testing.assert_allclose(p.raw, np.array(W0) * 0.95**3, rtol=1e-12)
    np.testing.assert_allclose(np.abs(q.raw - W0), 0.3, atol=0.02)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_update_in_place_keeps_float32(case):
    p = param(dtype=np.float32)
    data = p.raw
    run(case.cls([p], **case.kwargs), p, GRADS)
    assert p.raw is data and p.raw.dtype == np.float32
    want = case.reference(W0, GRADS, **case.kwargs)[-1]
    np.testing.assert_allclose(p.raw, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_state_buffers_keep_float32(case):
    p = param(dtype=np.float32)
    opt = case.cls([p], **case.kwargs)
    run(opt, p, GRADS[:2])
    arrays = [v for v in opt.state.get(p, {}).values() if isinstance(v, np.ndarray)]
    assert all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_real_backward_minimizes_a_quadratic(case):
    target = np.array([1.0, -2.0, 0.5])
    p = param([0.0, 0.0, 0.0])
    kwargs = dict(case.kwargs, maximize=False, weight_decay=0)
    opt = case.cls([p], **kwargs)
    loss_before = float(((p - Tensor(target)) ** 2).sum().raw)
    for _ in range(300):
        opt.zero_grad()
        loss = ((p - Tensor(target)) ** 2).sum()
        loss.backward()
        opt.step()
    assert float(((p - Tensor(target)) ** 2).sum().raw) < 0.9 * loss_before


def test_step_with_closure_returns_its_loss():
    p = param([3.0])
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss.raw) == pytest.approx(9.0)
    assert p.raw[0] == pytest.approx(3.0 - 0.25 * 6.0)


def test_param_groups_use_their_own_hyperparameters():
    p, q = param(), param()
    opt = optim.SGD([{"params": [p]}, {"params": q, "lr": 0.01, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[0]["momentum"] == 0 and opt.param_groups[1]["momentum"] == 0.9
    assert all(g["params"] == [x] for g, x in zip(opt.param_groups, [p, q]))
    for g in GRADS:
        set_grad(p, g)
        set_grad(q, g)
        opt.step()
    np.testing.assert_allclose(p.raw, sgd_reference(W0, GRADS, lr=0.1)[-1], rtol=1e-12)
    np.testing.assert_allclose(q.raw, sgd_reference(W0, GRADS, lr=0.01, momentum=0.9)[-1],
                               rtol=1e-12)


def test_sgd_needs_no_default_lr_when_every_group_has_one():
    p = param()
    opt = optim.SGD([{"params": [p], "lr": 0.5}])
    run(opt, p, [[1.0, 1.0, 1.0]])
    np.testing.assert_allclose(p.raw, np.array(W0) - 0.5)


def test_add_param_group_fills_defaults():
    p, q = param(), param()
    opt = optim.Adam([p], lr=0.1)
    opt.add_param_group({"params": [q], "betas": (0.5, 0.9)})
    group = opt.param_groups[1]
    assert group["lr"] == 0.1 and group["betas"] == (0.5, 0.9) and group["eps"] == 1e-8
    run(opt, q, GRADS)
    np.testing.assert_allclose(q.raw, adam_reference(W0, GRADS, lr=0.1, betas=(0.5, 0.9))[-1],
                               rtol=1e-12)


def test_step_skips_parameters_without_gradient():
    p, q = param(), param()
    opt = optim.Adam([p, q], lr=0.1)
    set_grad(p, GRADS[0])
    opt.step()
    np.testing.assert_array_equal(q.raw, W0)
    assert not np.array_equal(p.raw, W0)
    assert not opt.state.get(q)


def test_zero_grad():
    p, q = param(), param()
    opt = optim.SGD([p, q], lr=0.1)
    set_grad(p, GRADS[0])
    opt.zero_grad()
    assert p.grad is None and q.grad is None
    set_grad(p, GRADS[0])
    opt.zero_grad(set_to_none=False)
    assert q.grad is None
    assert p.grad.dtype == p.dtype
    np.testing.assert_array_equal(p.grad.raw, np.zeros(3))
    opt.step()
    np.testing.assert_array_equal(p.raw, W0)


def test_zero_grad_clears_what_backward_accumulates():
    p = param([2.0])
    opt = optim.SGD([p], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.raw, [4.0])  # not 8: the first gradient was cleared


# --- state_dict ----------------------------------------------------------------------------

def two_group_optimizer(case, dtype=np.float64):
    p, q = param(dtype=dtype), param([1.0, 2.0], dtype=dtype)
    lr = case.kwargs.get("lr", 0.01)
    groups = [{"params": [p]}, {"params": [q], "lr": lr / 2}]
    return case.cls(groups, **case.kwargs), p, q


def step_both(opt, p, q, grads):
    for g in grads:
        set_grad(p, g)
        set_grad(q, g[:2])
        opt.step()


@pytest.mark.parametrize("case", CASES, ids=str)
def test_state_dict_resume_continues_identically(case):
    first, p, q = two_group_optimizer(case)
    step_both(first, p, q, GRADS[:3])
    saved = first.state_dict()
    second, p2, q2 = two_group_optimizer(case)
    p2.raw[...], q2.raw[...] = p.raw, q.raw
    second.load_state_dict(saved)
    step_both(first, p, q, GRADS[3:])
    step_both(second, p2, q2, GRADS[3:])
    np.testing.assert_array_equal(p2.raw, p.raw)
    np.testing.assert_array_equal(q2.raw, q.raw)


def assert_state_dicts_equal(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for i in a["state"]:
        assert a["state"][i].keys() == b["state"][i].keys()
        for name, value in a["state"][i].items():
            np.testing.assert_array_equal(value, b["state"][i][name])


@pytest.mark.parametrize("case", CASES, ids=str)
def test_state_dict_round_trip_is_exact(case):
    first, p, q = two_group_optimizer(case)
    step_both(first, p, q, GRADS[:2])
    saved = first.state_dict()
    second, _, _ = two_group_optimizer(case)
    second.load_state_dict(saved)
    assert_state_dicts_equal(second.state_dict(), saved)


def test_state_dict_layout_is_pytorchs():
    opt, p, q = two_group_optimizer(CASES[1])  # sgd-momentum
    r = param([0.0])
    opt.add_param_group({"params": [r]})
    set_grad(q, [1.0, 1.0])
    opt.step()
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1], [2]]
    assert list(saved["state"]) == [1]  # only q has stepped
    assert set(saved["state"][1]) == {"momentum_buffer"}
    assert saved["param_groups"][1] == dict(opt.defaults, lr=0.05, params=[1])


def test_state_dict_is_a_snapshot():
    p = param()
    opt = optim.Adam([p], lr=0.1)
    run(opt, p, GRADS[:1])
    saved = opt.state_dict()
    kept = copy.deepcopy(saved)
    run(opt, p, GRADS[1:3])
    opt.param_groups[0]["lr"] = 0.5
    assert_state_dicts_equal(saved, kept)


def test_load_state_dict_restores_hyperparameters_and_copies():
    p = param()
    first = optim.SGD([p], lr=0.1, momentum=0.9)
    run(first, p, GRADS[:1])
    first.param_groups[0]["lr"] = 0.02
    saved = first.state_dict()
    q = param()
    second = optim.SGD([q], lr=0.1)
    second.load_state_dict(saved)
    assert second.param_groups[0]["lr"] == 0.02 and second.param_groups[0]["momentum"] == 0.9
    assert second.param_groups[0]["params"] == [q]
    run(second, q, GRADS[1:2])
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], GRADS[0])


def test_load_state_dict_casts_buffers_to_parameter_dtype():
    p = param()
    first = optim.Adam([p])
    run(first, p, GRADS[:1])
    q = param(dtype=np.float32)
    second = optim.Adam([q])
    second.load_state_dict(first.state_dict())
    assert second.state[q]["exp_avg"].dtype == np.float32


def test_load_state_dict_accepts_string_indices():
    # As after a JSON round trip, where dict keys become strings.
    p = param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    run(opt, p, GRADS[:1])
    saved = opt.state_dict()
    saved["state"] = {str(k): v for k, v in saved["state"].items()}
    q = param()
    other = optim.SGD([q], lr=0.1, momentum=0.9)
    other.load_state_dict(saved)
    np.testing.assert_array_equal(other.state[q]["momentum_buffer"], GRADS[0])


def test_load_state_dict_rejects_mismatched_layouts():
    opt, p, q = two_group_optimizer(CASES[1])
    step_both(opt, p, q, GRADS[:1])
    saved = opt.state_dict()
    one_group = optim.SGD([param(), param([1.0, 2.0])], lr=0.1)
    with pytest.raises(ValueError, match="parameter groups"):
        one_group.load_state_dict(saved)
    other_sizes = optim.SGD([{"params": [param(), param()]}, {"params": [param()]}], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 1 parameters.*has 2"):
        other_sizes.load_state_dict(saved)
    other_shapes = optim.SGD([{"params": [param([1.0])]}, {"params": [param([1.0, 2.0])]}], lr=0.1)
    with pytest.raises(ValueError, match="shape"):
        other_shapes.load_state_dict(saved)
    stray = copy.deepcopy(saved)
    stray["state"][7] = stray["state"][0]
    same_layout = optim.SGD([{"params": [param()]}, {"params": [param([1.0, 2.0])]}], lr=0.1)
    with pytest.raises(ValueError, match="parameter 7"):
        same_layout.load_state_dict(stray)
