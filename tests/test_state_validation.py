"""No silent wrong answers in saved and restored state: schedulers and optimizers refuse factors,
betas and state dicts that would change results (and change nothing when they raise), and
files and pickles fail loudly and clearly (pickled tensors and Values come back as leaves).

Each test pins one defect; PyTorch comparisons skip when torch is not installed.
"""
import copy
import io
import math
import pickle
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

import kissgrad
import nn
import optim
from autograd import Tensor, Value
from autograd.pickling import deepcopy_node
from optim import lr_scheduler as S

INF, NAN = math.inf, math.nan


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


# --- learning-rate schedulers --------------------------------------------------------------

def sgd(lrs=(0.1,)):
    groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=1.0)


BAD_SCHEDULERS = [
    (lambda o: S.MultiStepLR(o, [5, 2]), r"milestones: \[5, 2\] \(must be increasing"),
    (lambda o: S.StepLR(o, 2, gamma=INF), "gamma: inf"),
    (lambda o: S.MultiStepLR(o, [1], gamma=NAN), "gamma: nan"),
    (lambda o: S.ExponentialLR(o, gamma=-0.5), "gamma: -0.5"),
    (lambda o: S.ExponentialLR(o, gamma=INF), "gamma: inf"),
    (lambda o: S.CosineAnnealingLR(o, 10, eta_min=INF), "eta_min: inf"),
    (lambda o: S.CosineAnnealingLR(o, 10, eta_min=-1e-3), "eta_min: -0.001"),
    (lambda o: S.ReduceLROnPlateau(o, factor=NAN), "factor: nan"),
    (lambda o: S.ReduceLROnPlateau(o, threshold=INF), "threshold: inf"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=INF), "min_lr: inf"),
    (lambda o: S.ReduceLROnPlateau(o, eps=INF), "eps: inf"),
    (lambda o: S.OneCycleLR(o, max_lr=INF, total_steps=10), "max_lr: inf"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, div_factor=INF), "div_factor: inf"),
    (lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, base_momentum=INF),
     "base_momentum: inf"),
]


@pytest.mark.parametrize("make, message", BAD_SCHEDULERS)
def test_schedulers_refuse_factors_that_would_change_results(make, message):
    opt = sgd()
    before = copy.deepcopy([{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups])
    with pytest.raises(ValueError, match=message):
        make(opt)
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == before


@pytest.mark.parametrize("factor", [NAN, -0.5, INF])
def test_a_lambda_factor_that_is_not_a_finite_number_ge_0_raises_and_changes_nothing(factor):
    opt = sgd()
    scheduler = S.LambdaLR(opt, lambda epoch: 1.0 if epoch < 2 else factor)
    scheduler.step()
    with pytest.raises(ValueError, match=rf"lr_lambda\[0\]\(2\): {factor}"):
        scheduler.step()
    assert opt.param_groups[0]["lr"] == 0.1 and scheduler.last_epoch == 1


def test_scheduler_load_state_dict_checks_first_and_changes_nothing_when_it_raises():
    scheduler = S.StepLR(sgd(), step_size=2, gamma=0.5)
    saved = scheduler.state_dict()
    saved.update(gamma=-1.0, last_epoch=7)
    with pytest.raises(ValueError, match=r"gamma: -1.0"):
        scheduler.load_state_dict(saved)
    assert scheduler.gamma == 0.5 and scheduler.last_epoch == 0
    plateau = S.ReduceLROnPlateau(sgd())
    saved = plateau.state_dict()
    saved["factor"] = NAN
    with pytest.raises(ValueError, match="factor: nan"):
        plateau.load_state_dict(saved)
    assert plateau.factor == 0.1


def test_multistep_resumes_from_a_checkpoint_file(tmp_path):
    scheduler = S.MultiStepLR(sgd(), milestones=[2, 4, 4], gamma=0.5)
    kissgrad.save(scheduler.state_dict(), tmp_path / "sched.npz")  # its Counter comes back a dict
    resumed = S.MultiStepLR(sgd(), milestones=[1])
    resumed.load_state_dict(kissgrad.load(tmp_path / "sched.npz"))
    for _ in range(5):
        resumed.step()
    assert resumed.get_last_lr() == pytest.approx([0.1 * 0.5 ** 3])


# --- optimizers ---------------------------------------------------------------------------

def adam_with_state():
    p = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = Tensor(np.ones(2))
    opt.step()
    return opt


def snapshot(opt):
    saved = opt.state_dict()
    return saved["param_groups"], {k: v.tolist() if isinstance(v, np.ndarray) else v
                                   for k, v in saved["state"][0].items()}


@pytest.mark.parametrize("change, error, message", [
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), ValueError, "lr: -1.0"),
    (lambda sd: sd["param_groups"][0].update(lr=NAN), ValueError, "lr: nan"),
    (lambda sd: sd["param_groups"][0].update(betas=(0.9, 0.99, 0.9)), ValueError, "betas"),
    (lambda sd: sd["state"][0].update(exp_avg=np.zeros(3)), ValueError, "exp_avg"),
    (lambda sd: sd.update(param_groups=[[0]]), ValueError, "'param_groups' must be a list of dicts"),
    (lambda sd: sd.update(state=[0]), ValueError, "'state' must be a dict"),
    (lambda sd: sd["state"].update({0: 5}), ValueError, "state for parameter 0 must be a dict"),
])
def test_optimizer_load_state_dict_changes_nothing_when_it_raises(change, error, message):
    opt = adam_with_state()
    before = snapshot(opt)
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = 0.5  # a good change that must not go in either
    change(saved)
    with pytest.raises(error, match=message):
        opt.load_state_dict(saved)
    assert snapshot(opt) == before


@pytest.mark.parametrize("name", ["Adam", "AdamW", "NAdam", "RAdam", "Adamax"])
@pytest.mark.parametrize("betas, message", [((0.9, 0.99, 0.9), r"betas: \(0.9, 0.99, 0.9\)"),
                                            ((0.9, 1.0), r"betas\[1\]: 1.0"),
                                            ((NAN, 0.9), r"betas\[0\]: nan"),
                                            ("ab", "betas: 'ab'")])
def test_every_optimizer_with_betas_checks_them_at_construction(name, betas, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([Tensor(np.zeros(2), requires_grad=True)], betas=betas)


# --- files and pickles ------------------------------------------------------------------

def test_a_header_claiming_terabytes_is_a_value_error_naming_key_and_shape(tmp_path):
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                               "shape": (512, 1024, 1024, 1024)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("weight.npy", header.getvalue() + b"\0" * 64)
    with pytest.raises(ValueError, match=r"huge.npz.*'weight'.*\(512, 1024, 1024, 1024\)"):
        kissgrad.load(path)


def test_an_unreadable_file_is_a_permission_error_naming_it(tmp_path, monkeypatch):
    path = tmp_path / "locked.npz"
    kissgrad.save({"epoch": 1}, path)
    real_open = open

    def locked(file, *args, **kwargs):  # what chmod 000 does for anyone but root
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", locked)
    with pytest.raises(PermissionError, match="locked.npz"):
        kissgrad.load(path)


def pickled(obj):
    """``obj`` through pickle and back."""
    return pickle.loads(pickle.dumps(obj))


def test_pickling_keeps_data_and_requires_grad_and_drops_graph_and_grad_as_torch():
    torch = pytest.importorskip("torch")
    x = leaf([1.0, 2.0])
    y = x * 2
    x.grad = Tensor(np.ones(2))
    back_y, back_x, back_p = pickled([y, x, nn.Parameter([3.0])])
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx * 2
    tx.grad = torch.ones(2)
    for ours, theirs in ((back_y, pickle.loads(pickle.dumps(ty))), (back_x, pickle.loads(pickle.dumps(tx)))):
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
        assert (ours.requires_grad, ours.is_leaf, ours.grad_fn) == (True, True, None)
        assert (theirs.requires_grad, theirs.is_leaf, theirs.grad_fn) == (True, True, None)
        assert ours.grad is None and theirs.grad is None
    assert type(back_p) is nn.Parameter and back_p.requires_grad
    assert not pickled(Tensor(np.arange(3))).requires_grad


def test_deep_copies_keep_gradients_and_parameter_types():
    # pickling drops .grad, deepcopy must not
    model = nn.Linear(2, 3)
    model(Tensor(np.ones((1, 2), np.float32))).sum().backward()
    for twin in (copy.deepcopy(model).weight, deepcopy_node(model.weight, {})):
        assert type(twin) is nn.Parameter and twin is not model.weight
        np.testing.assert_array_equal(twin.grad.numpy(), model.weight.grad.numpy())
        assert twin.raw is not model.weight.raw


def test_pickle_of_a_tensor_in_a_graph_works():
    y = leaf([1.0, 2.0]) * 2
    back = pickle.loads(pickle.dumps(y))
    assert back.is_leaf and back.requires_grad and back.numpy().tolist() == [2.0, 4.0]


def test_a_value_in_a_graph_pickles_as_a_leaf_and_deep_copies_whole():
    a = Value(2.0, label="a")
    b = a * 3
    back = pickle.loads(pickle.dumps(b))
    assert (back.data, back.requires_grad, back.is_leaf) == (6.0, True, True)
    assert pickle.loads(pickle.dumps(a)).label == "a"
    b.backward()
    twin = copy.deepcopy(b)
    assert twin.grad_fn == "mul" and twin.parents[0].grad == a.grad == 3.0
