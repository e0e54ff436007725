"""optim.lr_scheduler against torch.optim.lr_scheduler: the same schedulers (the names match)
on the same two-group optimizers, 40 steps, resumed from state_dict or from last_epoch."""
import numpy as np
import pytest

import optim
from autograd import Tensor
from optim import lr_scheduler as S

BASE_LRS = (0.1, 0.03)
STEPS = 40

# name -> (optimizer, [(scheduler, kwargs), ...] stepped together, in order)
CONFIGS = {
    "step": ("SGD", [("StepLR", dict(step_size=7, gamma=0.5))]),
    "step-every-epoch": ("SGD", [("StepLR", dict(step_size=1, gamma=0.9))]),
    "multistep": ("SGD", [("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.3))]),
    "exponential": ("SGD", [("ExponentialLR", dict(gamma=0.93))]),
    "cosine": ("SGD", [("CosineAnnealingLR", dict(T_max=10, eta_min=0.001))]),
    "cosine-odd": ("SGD", [("CosineAnnealingLR", dict(T_max=7))]),
    "lambda": ("SGD", [("LambdaLR", dict(lr_lambda=lambda t: 0.97**t))]),
    "lambda-per-group": ("SGD", [("LambdaLR", dict(lr_lambda=[lambda t: 1 / (t + 1),
                                                              lambda t: 0.5 + t % 3]))]),
    "linear": ("SGD", [("LinearLR", {})]),
    "linear-warmup": ("SGD", [("LinearLR", dict(start_factor=0.1, end_factor=0.6,
                                                total_iters=17))]),
    "linear-decay": ("SGD", [("LinearLR", dict(start_factor=1.0, end_factor=0.0,
                                               total_iters=30))]),
    "one_cycle": ("SGD", [("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS))]),
    "one_cycle-three_phase": ("SGD", [("OneCycleLR", dict(
        max_lr=[0.5, 0.2], epochs=4, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10.0, final_div_factor=100.0, base_momentum=[0.8, 0.7],
        max_momentum=0.9))]),
    "one_cycle-no-momentum": ("SGD", [("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS,
                                                          pct_start=0.5, cycle_momentum=False))]),
    "one_cycle-adam": ("Adam", [("OneCycleLR", dict(max_lr=0.01, total_steps=STEPS + 5))]),
    "chain-linear-cosine": ("SGD", [("LinearLR", dict(start_factor=0.1, total_iters=5)),
                                    ("CosineAnnealingLR", dict(T_max=STEPS))]),
    "chain-exponential-multistep": ("SGD", [("ExponentialLR", dict(gamma=0.95)),
                                            ("MultiStepLR", dict(milestones=[10, 20]))]),
}


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def optimizer(lib, config, resuming=False):
    """CONFIGS[config]'s optimizer from `lib` (optim, or the torch module): one group per lr.

    resuming: each group already holds "initial_lr", its lr is half of it (as if a
    schedule had run), as PyTorch needs for a scheduler built with last_epoch >= 0.
    """
    name = CONFIGS[config][0]
    if lib is optim:
        def param():
            return Tensor(np.zeros(1), requires_grad=True)
    else:
        def param():
            return lib.zeros(1, requires_grad=True)
    opt_lib = optim if lib is optim else lib.optim
    extra = dict(momentum=0.9) if name == "SGD" else dict(betas=(0.9, 0.99))
    if resuming:
        groups = [{"params": [param()], "lr": lr / 2, "initial_lr": lr} for lr in BASE_LRS]
    else:
        groups = [{"params": [param()], "lr": lr} for lr in BASE_LRS]
    return getattr(opt_lib, name)(groups, **extra)


class Run:
    """An optimizer with its schedulers, from either library; records lrs and momenta."""

    def __init__(self, lib, config, opt=None, **extra):
        sched_lib = S if lib is optim else lib.optim.lr_scheduler
        self.opt = opt or optimizer(lib, config)
        self.schedulers = [getattr(sched_lib, name)(self.opt, **kwargs, **extra)
                           for name, kwargs in CONFIGS[config][1]]

    def record(self):
        momenta = [g.get("momentum", g.get("betas", (0,))[0]) for g in self.opt.param_groups]
        return [float(x) for x in self.schedulers[-1].get_last_lr() + momenta]

    def steps(self, n):
        """Step n times; return the record before the first step and after each."""
        history = [self.record()]
        for _ in range(n):
            self.opt.step()  # PyTorch warns when a scheduler steps before its optimizer
            for scheduler in self.schedulers:
                scheduler.step()
            history.append(self.record())
        return history


def assert_same(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("config", CONFIGS)
def test_lrs_and_momenta_match_pytorch(torch, config):
    assert_same(Run(optim, config).steps(STEPS), Run(torch, config).steps(STEPS))


@pytest.mark.parametrize("config", CONFIGS)
def test_state_dict_resume_matches_uninterrupted_pytorch(torch, config):
    first = Run(optim, config)
    got = first.steps(15)
    resumed = Run(optim, config)  # PyTorch's order: schedulers first, then load both states
    resumed.opt.load_state_dict(first.opt.state_dict())
    for scheduler, saved in zip(resumed.schedulers, first.schedulers):
        scheduler.load_state_dict(saved.state_dict())
    got += resumed.steps(STEPS - 15)[1:]
    assert_same(got, Run(torch, config).steps(STEPS))


@pytest.mark.parametrize("config", [name for name in CONFIGS if "one_cycle" not in name])
def test_last_epoch_resume_matches_pytorch(torch, config):
    # Built with last_epoch=5 on groups holding "initial_lr": the first step goes to
    # epoch 6 as PyTorch's does (chainable schedules leave the lr as it is then).
    def history(lib):
        run = Run(lib, config, opt=optimizer(lib, config, resuming=True), last_epoch=5)
        return run.steps(20)

    assert_same(history(optim), history(torch))


def test_inverse_time_is_pytorchs_lambda(torch):
    t_opt = optimizer(torch, "lambda")
    t_sched = torch.optim.lr_scheduler.LambdaLR(t_opt, lambda t: (t + 1) ** -0.5)
    ours = S.InverseTimeLR(optimizer(optim, "lambda"))
    for _ in range(STEPS):
        assert_same(ours.get_last_lr(), t_sched.get_last_lr())
        t_opt.step()
        t_sched.step()
        ours.step()


def plateau_lrs(metrics, **kwargs):
    opt = optim.SGD([Tensor(np.zeros(1), requires_grad=True)], lr=1.0)
    scheduler = S.ReduceLROnPlateau(opt, **kwargs)
    history = []
    for metric in metrics:
        scheduler.step(metric)
        history.append(scheduler.get_last_lr()[0])
    return history


@pytest.mark.parametrize("kwargs", [
    dict(patience=2), dict(mode="max", patience=3, cooldown=2, factor=0.5),
    dict(threshold=0.05, threshold_mode="abs", patience=1, min_lr=0.01),
])
def test_plateau_matches_pytorch(torch, kwargs):
    rng = np.random.default_rng(0)
    metrics = list(1 + np.cumsum(rng.normal(0, 0.05, 60)) ** 2)  # positive, as noted in the doc
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    t_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kwargs)
    want = []
    for m in metrics:
        t_sched.step(m)
        want.append(t_sched.get_last_lr()[0])
    assert_same(plateau_lrs(metrics, **kwargs), want)
