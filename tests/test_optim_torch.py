"""optim against PyTorch itself: every optimizer, step by step, on the same float64 parameters
and gradients, with two param groups and a parameter that never gets a gradient."""
import numpy as np
import pytest

import optim
from autograd import Tensor

SHAPES = [(3, 4), (4,), (2,)]   # parameter 2 never gets a gradient
STEPS = 12
# (optimizer, constructor kwargs, group 1's own options); group 0 holds parameters 0 and 2
CONFIGS = [
    ("SGD", dict(lr=0.1), dict(lr=0.03)),
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.03, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1), dict(lr=0.03)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.2, maximize=True), dict(momentum=0.0)),
    ("Adagrad", dict(lr=0.1), dict(lr=0.05)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.3, initial_accumulator_value=0.2, eps=1e-6),
     dict(weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True), dict(lr=0.02)),
    ("Adadelta", dict(), dict(lr=0.5)),
    ("Adadelta", dict(lr=2.0, rho=0.5, eps=1e-4, weight_decay=0.1), dict(rho=0.95)),
    ("Adadelta", dict(lr=1.0, maximize=True), dict(weight_decay=0.3)),
    ("RMSprop", dict(lr=0.01), dict(lr=0.003)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True), dict(momentum=0.5)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1, eps=1e-4), dict(centered=True)),
    ("RMSprop", dict(lr=0.01, maximize=True), dict(alpha=0.5)),
    ("Adam", dict(lr=0.05), dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-4, amsgrad=True), dict(weight_decay=0.1)),
    ("Adam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True), dict(amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True, weight_decay=0.1), dict(betas=(0.8, 0.99))),
    ("AdamW", dict(lr=0.05), dict(weight_decay=0.5)),
    ("AdamW", dict(lr=0.05, amsgrad=True, weight_decay=0.1), dict(lr=0.02, betas=(0.5, 0.9))),
    ("AdamW", dict(lr=0.05, maximize=True), dict(lr=0.02)),
    ("Adamax", dict(), dict(lr=0.01)),
    ("Adamax", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1), dict(lr=0.01)),
    ("Adamax", dict(lr=0.05, maximize=True), dict(betas=(0.8, 0.95))),
    ("NAdam", dict(), dict(lr=0.01)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.1, weight_decay=0.1), dict(betas=(0.5, 0.9))),
    ("NAdam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True), dict(lr=0.01)),
    ("NAdam", dict(lr=0.05, maximize=True, eps=1e-4), dict(momentum_decay=0.0)),
    ("RAdam", dict(), dict(lr=0.01)),
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1), dict(lr=0.01)),
    ("RAdam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True), dict(eps=1e-4)),
    ("RAdam", dict(lr=0.05, maximize=True), dict(betas=(0.9, 0.5))),  # group 1 never rectifies
]


def config_id(config):
    name, kwargs, own = config
    options = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{name}({options})+group({','.join(f'{k}={v}' for k, v in own.items())})"


@pytest.fixture
def torch():
    """PyTorch with float64 as its default dtype (NAdam keeps mu_product in that dtype)."""
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


def initial_values(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for shape in SHAPES]


def gradient_sequence(seed=1):
    """STEPS lists of gradients (None: no gradient); parameter 1 has none at steps 3 and 4."""
    rng = np.random.default_rng(seed)
    steps = [[rng.normal(scale=2.0, size=shape) for shape in SHAPES[:2]] + [None]
             for _ in range(STEPS)]
    for t in (3, 4):
        steps[t][1] = None
    return steps


def groups(params, own):
    return [{"params": [params[0], params[2]]}, {"params": [params[1]], **own}]


class Ours:
    """kissgrad's side: parameters, optimizer, one step from a list of gradient arrays."""

    def __init__(self, name, kwargs, own, values):
        self.params = [Tensor(v.copy(), requires_grad=True) for v in values]
        self.opt = getattr(optim, name)(groups(self.params, own), **kwargs)

    def step(self, grads):
        for p, g in zip(self.params, grads):
            p.grad = None if g is None else Tensor(g.copy())
        self.opt.step()
        return [p.raw.copy() for p in self.params]


class Theirs(Ours):
    """PyTorch's side, the same interface."""

    def __init__(self, torch, name, kwargs, own, values):
        self.torch = torch
        self.params = [torch.tensor(v, requires_grad=True) for v in values]
        self.opt = getattr(torch.optim, name)(groups(self.params, own), **kwargs)

    def step(self, grads):
        for p, g in zip(self.params, grads):
            p.grad = None if g is None else self.torch.tensor(g)
        self.opt.step()
        return [p.detach().numpy().copy() for p in self.params]


def assert_same_params(got, want, step):
    for i, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12,
                                   err_msg=f"parameter {i} after step {step}")


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_step_by_step_matches_pytorch(torch, config):
    values = initial_values()
    ours, theirs = Ours(*config, values), Theirs(torch, *config, values)
    for t, grads in enumerate(gradient_sequence()):
        assert_same_params(ours.step(grads), theirs.step(grads), t)
    np.testing.assert_array_equal(ours.params[2].raw, values[2])


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_state_dict_resume_matches_uninterrupted_pytorch(torch, config):
    # Save mid-way, load into a fresh optimizer over fresh copies, continue: the
    # trajectory is PyTorch's uninterrupted one (and so our own uninterrupted one).
    values, grads = initial_values(), gradient_sequence()
    first, theirs = Ours(*config, values), Theirs(torch, *config, values)
    for step in grads[:5]:
        first.step(step)
        theirs.step(step)
    resumed = Ours(*config, [p.raw for p in first.params])
    resumed.opt.load_state_dict(first.opt.state_dict())
    for t, step in enumerate(grads[5:], start=5):
        want = theirs.step(step)
        assert_same_params(resumed.step(step), want, t)
        assert_same_params(first.step(step), want, t)


def as_numpy(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_state_dict_layout_matches_pytorch(torch, config):
    values = initial_values()
    ours, theirs = Ours(*config, values), Theirs(torch, *config, values)
    for step in gradient_sequence()[:4]:
        ours.step(step)
        theirs.step(step)
    mine, torchs = ours.opt.state_dict(), theirs.opt.state_dict()
    assert [g["params"] for g in mine["param_groups"]] == [g["params"] for g in torchs["param_groups"]]
    for group, their_group in zip(mine["param_groups"], torchs["param_groups"]):
        assert {k: v for k, v in their_group.items() if k in group} == group
    # Adagrad (only) also gives the parameter that never had a gradient (index 1) its state
    assert set(torchs["state"]) - set(mine["state"]) <= {1}
    for i, buffers in mine["state"].items():
        assert set(buffers) == set(torchs["state"][i])
        for name, value in buffers.items():
            np.testing.assert_allclose(value, as_numpy(torchs["state"][i][name]), rtol=1e-12,
                                       atol=1e-14, err_msg=f"state[{i}][{name!r}]")
