"""optim.lr_scheduler: each schedule against its closed form, plateau logic, resuming."""
import math

import numpy as np
import pytest

import optim
from autograd import Tensor
from optim import lr_scheduler as S

BASE_LRS = (0.1, 0.03)


def make_optimizer(lrs=BASE_LRS):
    groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0)


def lrs_over(scheduler, steps):
    """Return the group lrs at epoch 0 (after construction), then after each of `steps` steps."""
    history = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.step()
        history.append(scheduler.get_last_lr())
    return history


SCHEDULES = {
    "step": (lambda opt: S.StepLR(opt, step_size=3, gamma=0.5),
             lambda base, t: base * 0.5 ** (t // 3)),
    "exponential": (lambda opt: S.ExponentialLR(opt, gamma=0.9),
                    lambda base, t: base * 0.9**t),
    "inverse_time": (lambda opt: S.InverseTimeLR(opt),
                     lambda base, t: base / math.sqrt(t + 1)),
    "cosine": (lambda opt: S.CosineAnnealingLR(opt, T_max=8),
               lambda base, t: base * (1 + math.cos(math.pi * t / 8)) / 2),
    "cosine-eta_min": (lambda opt: S.CosineAnnealingLR(opt, T_max=8, eta_min=0.01),
                       lambda base, t: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * t / 8)) / 2),
    "multistep": (lambda opt: S.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5),
                  lambda base, t: base * 0.5 ** sum(t >= m for m in (2, 5, 5))),
    "lambda": (lambda opt: S.LambdaLR(opt, lambda t: 1 / (1 + t * t)),
               lambda base, t: base / (1 + t * t)),
    "linear": (lambda opt: S.LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=4),
               lambda base, t: base * (0.25 + 0.5 * min(t, 4) / 4)),
    "linear-default": (lambda opt: S.LinearLR(opt),
                       lambda base, t: base * (1 / 3 + 2 / 3 * min(t, 5) / 5)),
    "one_cycle": (lambda opt: S.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False),
                  # 3 rising steps (0..2), then 7 falling (2..9), cosine, from 1/25 to 1/25e4
                  lambda base, t: (1 / 25 + (1 - 1 / 25) * (1 - math.cos(math.pi * t / 2)) / 2
                                   if t <= 2 else 1 / 25e4 + (1 - 1 / 25e4)
                                   * (1 + math.cos(math.pi * (t - 2) / 7)) / 2)),
}
STARTS_AT_BASE = [name for name in SCHEDULES if not name.startswith(("linear", "one_cycle"))]


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_matches_closed_form(name):
    make, closed_form = SCHEDULES[name]
    opt = make_optimizer()
    history = lrs_over(make(opt), 8)
    want = [[closed_form(base, t) for base in BASE_LRS] for t in range(9)]
    np.testing.assert_allclose(history, want, rtol=1e-12)
    assert [g["lr"] for g in opt.param_groups] == history[-1]


def test_schedule_with_two_groups_of_their_own():
    opt = make_optimizer()
    history = lrs_over(S.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=10,
                                    cycle_momentum=False), 9)
    np.testing.assert_allclose([h[1] for h in history], [h[0] / 2 for h in history], rtol=1e-12)
    history = lrs_over(S.LambdaLR(make_optimizer(), [lambda t: t, lambda t: 2.0]), 3)
    np.testing.assert_allclose(history, [[0.0, 0.06], [0.1, 0.06], [0.2, 0.06], [0.3, 0.06]])


@pytest.mark.parametrize("name", STARTS_AT_BASE)
def test_construction_records_initial_lr_and_takes_epoch_zero(name):
    opt = make_optimizer()
    scheduler = SCHEDULES[name][0](opt)
    assert scheduler.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)
    assert scheduler.base_lrs == list(BASE_LRS)
    assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups] == list(BASE_LRS)


def test_hand_computed_values():
    opt = make_optimizer([0.8])
    history = lrs_over(S.StepLR(opt, step_size=2), 4)
    np.testing.assert_allclose(history, [[0.8], [0.8], [0.08], [0.08], [0.008]], rtol=1e-12)
    opt = make_optimizer([0.8])
    assert lrs_over(S.InverseTimeLR(opt), 3)[-1] == pytest.approx([0.4])  # 0.8 / sqrt(4)
    opt = make_optimizer([0.8])
    history = lrs_over(S.CosineAnnealingLR(opt, T_max=4, eta_min=0.2), 4)
    assert [h[0] for h in history] == pytest.approx([0.8, 0.2 + 0.3 * (1 + 0.5**0.5), 0.5,
                                                     0.2 + 0.3 * (1 - 0.5**0.5), 0.2])


def test_cosine_past_t_max_follows_the_cosine_back_up():
    opt = make_optimizer([0.8])
    history = lrs_over(S.CosineAnnealingLR(opt, T_max=4), 8)
    assert history[6] == pytest.approx([0.4]) and history[8] == pytest.approx([0.8])


def test_step_lr_multiplies_the_current_lr():
    # Chainable like PyTorch's: a change made between steps carries through the next decay.
    opt = make_optimizer([1.0])
    scheduler = S.StepLR(opt, step_size=2, gamma=0.5)
    scheduler.step()
    opt.param_groups[0]["lr"] = 0.3
    scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.15])


def test_two_schedulers_chain():
    opt = make_optimizer([1.0])
    first = S.ExponentialLR(opt, gamma=0.5)
    second = S.StepLR(opt, step_size=2, gamma=0.1)
    for _ in range(2):
        first.step()
        second.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 * 0.5**2 * 0.1)


def test_scheduled_lr_keeps_float32_parameters_float32():
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.Adam([p], lr=np.float64(0.1))
    scheduler = S.ExponentialLR(opt, gamma=np.float64(0.5))
    scheduler.step()
    assert type(opt.param_groups[0]["lr"]) is float
    p.grad = Tensor(np.ones(3, dtype=np.float32))
    opt.step()
    assert p.raw.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


def test_scheduled_lr_drives_the_optimizer():
    p = Tensor(np.zeros(1), requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    scheduler = S.InverseTimeLR(opt)
    for _ in range(4):
        p.grad = Tensor(np.ones(1))
        opt.step()
        scheduler.step()
    np.testing.assert_allclose(p.raw, [-(1 + 2**-0.5 + 3**-0.5 + 0.5)], rtol=1e-12)


@pytest.mark.parametrize("name", SCHEDULES)
def test_state_dict_resume_gives_the_same_lrs(name):
    make = SCHEDULES[name][0]
    opt = make_optimizer()
    scheduler = make(opt)
    lrs_over(scheduler, 3)
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved
    # PyTorch's order: build the scheduler first (it sets the lrs), then load both states
    resumed_opt = make_optimizer()
    resumed = make(resumed_opt)
    resumed_opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    assert resumed.last_epoch == 3
    np.testing.assert_allclose(lrs_over(resumed, 6), lrs_over(scheduler, 6), rtol=1e-12)


def test_resume_with_last_epoch():
    opt = make_optimizer()
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(opt, step_size=2, last_epoch=3)
    S.StepLR(opt, step_size=2)
    assert S.InverseTimeLR(opt, last_epoch=2).get_last_lr() == pytest.approx(
        [base / 2 for base in BASE_LRS])  # last_epoch 2 -> 3 on construction, as PyTorch


def test_second_scheduler_keeps_the_first_initial_lr():
    opt = make_optimizer([1.0])
    first = S.ExponentialLR(opt, gamma=0.5)
    first.step()
    later = S.InverseTimeLR(opt)
    assert later.base_lrs == [1.0] and later.get_last_lr() == [1.0]


NAN = float("nan")


@pytest.mark.parametrize("make, match", [
    (lambda opt: S.StepLR(opt, step_size=0), "step_size: 0"),
    (lambda opt: S.StepLR(opt, step_size=1.5), "step_size: 1.5"),
    (lambda opt: S.StepLR(opt, step_size=2, gamma=-0.5), "gamma: -0.5"),
    (lambda opt: S.StepLR(opt, step_size=2, gamma=NAN), "gamma: nan"),
    (lambda opt: S.MultiStepLR(opt, [2, 4], gamma=-1.0), "gamma: -1.0"),
    (lambda opt: S.MultiStepLR(opt, [2, 4.5]), r"milestones\[1\]: 4.5"),
    (lambda opt: S.MultiStepLR(opt, [-2]), r"milestones\[0\]: -2"),
    (lambda opt: S.ExponentialLR(opt, gamma=-0.9), "gamma: -0.9"),
    (lambda opt: S.ExponentialLR(opt, gamma=NAN), "gamma: nan"),
    (lambda opt: S.CosineAnnealingLR(opt, T_max=0), "T_max: 0"),
    (lambda opt: S.CosineAnnealingLR(opt, T_max=5, eta_min=-0.1), "eta_min: -0.1"),
    (lambda opt: S.LambdaLR(opt, [lambda t: 1.0]), "Expected 2 lr_lambdas"),
    (lambda opt: S.LinearLR(opt, start_factor=0), r"start_factor: 0 \(must be in \(0, 1\]\)"),
    (lambda opt: S.LinearLR(opt, start_factor=1.5), "start_factor: 1.5"),
    (lambda opt: S.LinearLR(opt, start_factor=NAN), "start_factor: nan"),
    (lambda opt: S.LinearLR(opt, end_factor=-0.1), r"end_factor: -0.1 \(must be in \[0, 1\]\)"),
    (lambda opt: S.LinearLR(opt, end_factor=NAN), "end_factor: nan"),
    (lambda opt: S.LinearLR(opt, total_iters=-1), "total_iters: -1"),
    (lambda opt: S.OneCycleLR(opt, max_lr=-1.0, total_steps=10), "max_lr: -1.0"),
    (lambda opt: S.OneCycleLR(opt, max_lr=NAN, total_steps=10), "max_lr: nan"),
    (lambda opt: S.OneCycleLR(opt, max_lr=[0.1], total_steps=10), "2 values for max_lr"),
    (lambda opt: S.OneCycleLR(opt, max_lr=[0.1, -0.1], total_steps=10), r"max_lr\[1\]: -0.1"),
    (lambda opt: S.OneCycleLR(opt, max_lr=0.1, total_steps=0), "total_steps: 0"),
    (lambda opt: S.OneCycleLR(opt, max_lr=0.1, epochs=3), "total_steps OR"),
    (lambda opt: S.OneCycleLR(opt, max_lr=0.1, epochs=0, steps_per_epoch=4), "epochs: 0"),
    (lambda opt: S.OneCycleLR(opt, max_lr=0.1, epochs=2, steps_per_epoch=-4),
     "steps_per_epoch: -4"),
    (lambda opt: S.OneCycleLR(opt, 0.1, 10, pct_start=1.5), "pct_start: 1.5"),
    (lambda opt: S.OneCycleLR(opt, 0.1, 10, pct_start=NAN), "pct_start: nan"),
    (lambda opt: S.OneCycleLR(opt, 0.1, 10, anneal_strategy="exp"), "anneal_strategy: 'exp'"),
    (lambda opt: S.OneCycleLR(opt, 0.1, 10, div_factor=0), r"div_factor: 0 \(must be > 0\)"),
    (lambda opt: S.OneCycleLR(opt, 0.1, 10, final_div_factor=-1e4), "final_div_factor: -10000"),
    (lambda opt: S.OneCycleLR(opt, 0.1, 10, max_momentum=-0.95), "max_momentum: -0.95"),
    (lambda opt: S.OneCycleLR(opt, 0.1, 10, base_momentum=NAN), "base_momentum: nan"),
    (lambda opt: S.ReduceLROnPlateau(opt, mode="best"), "mode"),
    (lambda opt: S.ReduceLROnPlateau(opt, threshold_mode="ratio"), "threshold_mode"),
    (lambda opt: S.ReduceLROnPlateau(opt, factor=1.0), "factor: 1.0"),
    (lambda opt: S.ReduceLROnPlateau(opt, factor=-0.5), "factor: -0.5"),
    (lambda opt: S.ReduceLROnPlateau(opt, factor=NAN), "factor: nan"),
    (lambda opt: S.ReduceLROnPlateau(opt, patience=-1), "patience: -1"),
    (lambda opt: S.ReduceLROnPlateau(opt, cooldown=1.5), "cooldown: 1.5"),
    (lambda opt: S.ReduceLROnPlateau(opt, threshold=NAN), "threshold: nan"),
    (lambda opt: S.ReduceLROnPlateau(opt, min_lr=-1e-3), "min_lr: -0.001"),
    (lambda opt: S.ReduceLROnPlateau(opt, min_lr=[0.0, NAN]), r"min_lr\[1\]: nan"),
    (lambda opt: S.ReduceLROnPlateau(opt, min_lr=[0.0]), "min_lrs"),
])
def test_bad_arguments(make, match):
    opt = make_optimizer()
    before = hyperparameters(opt)
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert hyperparameters(opt) == before  # nothing was written into the groups


def hyperparameters(opt):
    return [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups]


@pytest.mark.parametrize("make", [
    lambda opt: S.StepLR(opt, 2), lambda opt: S.OneCycleLR(opt, 0.1, 10),
    lambda opt: S.ReduceLROnPlateau(opt), lambda opt: S.LambdaLR(opt, lambda t: 1.0),
])
def test_scheduler_needs_an_optimizer(make):
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        make([])


def test_lambda_that_is_not_callable():
    with pytest.raises(TypeError, match=r"lr_lambda\[1\]: 0.5 \(must be callable\)"):
        S.LambdaLR(make_optimizer(), [lambda t: 1.0, 0.5])


def test_one_cycle_momentum_needs_an_optimizer_with_momentum():
    opt = optim.Adagrad([Tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1.*Adagrad"):
        S.OneCycleLR(opt, 0.1, 10)
    assert "max_lr" not in opt.param_groups[0]
    opt = optim.Adam([Tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(ValueError, match=r"max_momentum: 1.0 \(must be in \[0, 1\)\)"):
        S.OneCycleLR(opt, 0.1, 10, max_momentum=1.0)  # it becomes beta1


def test_one_cycle_cannot_step_past_total_steps():
    scheduler = S.OneCycleLR(make_optimizer(), 0.1, total_steps=4)
    lrs_over(scheduler, 4)  # epochs 0..4: PyTorch allows one more than total_steps - 1
    with pytest.raises(ValueError, match="Tried to step 5 times.*total steps is 4"):
        scheduler.step()


def test_one_cycle_phase_of_one_step():
    # pct_start * total_steps = 1: the rise has length 0 (PyTorch divides by zero there)
    history = lrs_over(S.OneCycleLR(make_optimizer([0.1]), 1.0, total_steps=10, pct_start=0.1), 9)
    assert history[0] == [pytest.approx(1 / 25)]
    assert history[1][0] == pytest.approx(1 / 25e4 + (1 - 1 / 25e4) * (1 + np.cos(np.pi / 9)) / 2)


def test_one_cycle_cycles_momentum_and_beta1():
    sgd = make_optimizer([0.1])
    scheduler = S.OneCycleLR(sgd, 1.0, total_steps=11, pct_start=0.5, anneal_strategy="linear")
    momenta = [sgd.param_groups[0]["momentum"]]
    for _ in range(10):
        scheduler.step()
        momenta.append(sgd.param_groups[0]["momentum"])
    # down from 0.95 to 0.85 while the lr rises (steps 0..4.5), then back up
    np.testing.assert_allclose(momenta[:5], 0.95 - 0.1 * np.arange(5) / 4.5, rtol=1e-12)
    assert momenta[-1] == pytest.approx(0.95)
    adam = optim.Adam([Tensor(np.zeros(2), requires_grad=True)], betas=(0.9, 0.99))
    S.OneCycleLR(adam, 1.0, total_steps=10, base_momentum=0.8, max_momentum=0.9).step()
    beta1, beta2 = adam.param_groups[0]["betas"]
    assert 0.8 < beta1 < 0.9 and beta2 == 0.99


def test_lambda_state_dict_saves_callable_objects_but_not_functions():
    class Warmup:
        def __init__(self):
            self.calls = 0

        def __call__(self, t):
            self.calls += 1
            return min(1.0, (t + 1) / 4)

    warmup = Warmup()
    scheduler = S.LambdaLR(make_optimizer(), [warmup, lambda t: 0.5])
    lrs_over(scheduler, 3)
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"calls": 4}, None]
    other = Warmup()
    resumed = S.LambdaLR(make_optimizer(), [other, lambda t: 0.5])
    resumed.load_state_dict(saved)
    assert other.calls == 4 and resumed.last_epoch == 3
    assert saved["lr_lambdas"] == [{"calls": 4}, None]  # loading did not consume the dict


def test_base_scheduler_needs_get_lr():
    with pytest.raises(NotImplementedError):
        S.LRScheduler(make_optimizer())


# --- ReduceLROnPlateau -------------------------------------------------------------------

def plateau_lrs(metrics, lrs=(1.0,), **kwargs):
    opt = make_optimizer(lrs)
    scheduler = S.ReduceLROnPlateau(opt, **kwargs)
    history = []
    for metric in metrics:
        scheduler.step(metric)
        history.append(scheduler.get_last_lr()[0] if len(lrs) == 1 else scheduler.get_last_lr())
    return history


def test_plateau_reduces_after_more_than_patience_bad_steps():
    got = plateau_lrs([1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9], patience=2, factor=0.5)
    # best 0.9 at step 2; bad steps 1, 2, 3 > patience -> halve at step 5, count restarts
    assert got == pytest.approx([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25])


def test_plateau_improvement_resets_the_count():
    got = plateau_lrs([1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6], patience=2, factor=0.5)
    assert got == pytest.approx([1, 1, 1, 1, 1, 1, 0.5])


def test_plateau_max_mode():
    got = plateau_lrs([1.0, 2.0, 1.5, 1.9, 2.0], mode="max", patience=2, factor=0.1)
    assert got == pytest.approx([1, 1, 1, 1, 0.1])


def test_plateau_relative_threshold():
    # 1.0 -> 0.99995 improves by 5e-5, under the relative threshold of 1e-4: a bad step.
    assert plateau_lrs([1.0, 0.99995], patience=0) == pytest.approx([1, 0.1])
    assert plateau_lrs([1.0, 0.9998], patience=0) == pytest.approx([1, 1])


def test_plateau_absolute_threshold():
    got = plateau_lrs([1.0, 0.95, 0.85, 0.8], threshold=0.1, threshold_mode="abs", patience=1)
    # 0.95 is bad (not below 0.9), 0.85 is better, 0.8 bad once: within patience
    assert got == pytest.approx([1, 1, 1, 1])
    got = plateau_lrs([1.0, 0.95, 0.92], threshold=0.1, threshold_mode="abs", patience=1)
    assert got == pytest.approx([1, 1, 0.1])


def test_plateau_negative_metric_must_really_improve():
    # PyTorch's rel test would call -9.5 better than -10 (it is worse); kissgrad does not.
    assert plateau_lrs([-10.0, -9.5], patience=0) == pytest.approx([1, 0.1])
    assert plateau_lrs([-10.0, -10.5], patience=0) == pytest.approx([1, 1])


def test_plateau_cooldown_ignores_bad_steps():
    got = plateau_lrs([1.0] * 8, patience=1, cooldown=2, factor=0.5)
    # reduce at step 3; steps 4 and 5 cool down; bad steps count again from 6; reduce at 7
    assert got == pytest.approx([1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25])


def test_plateau_min_lr_and_eps():
    assert plateau_lrs([1.0] * 4, patience=0, min_lr=0.05) == pytest.approx([1, 0.1, 0.05, 0.05])
    got = plateau_lrs([1.0] * 3, lrs=(1.0, 1.0), patience=0, min_lr=[0.5, 0.0])
    np.testing.assert_allclose(got, [[1, 1], [0.5, 0.1], [0.5, 0.01]], rtol=1e-12)
    # a reduction smaller than eps is skipped
    assert plateau_lrs([1.0] * 2, lrs=(1e-8,), patience=0, factor=0.5) == [1e-8, 1e-8]


def test_plateau_state_dict_resume():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.97, 0.99, 0.99]
    opt = make_optimizer()
    scheduler = S.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for m in metrics[:4]:
        scheduler.step(m)
    resumed_opt = make_optimizer()
    resumed_opt.load_state_dict(opt.state_dict())
    resumed = S.ReduceLROnPlateau(resumed_opt)
    resumed.load_state_dict(scheduler.state_dict())
    for m in metrics[4:]:
        scheduler.step(m)
        resumed.step(m)
        assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert resumed.best == scheduler.best == 0.9
