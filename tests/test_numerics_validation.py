"""No silent wrong answers: numerics at the edges (0 ** 0, -inf logits, NaN extrema), argument
checks that would otherwise change results, and files and pickles that fail loudly and clearly.

Each test pins one defect; PyTorch comparisons skip when torch is not installed.
"""
import copy
import io
import math
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

import kissgrad
import nn
import optim
from autograd import Tensor, Value, arange
from autograd.pickling import deepcopy_node
from nn import functional as F
from optim import lr_scheduler as S

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


def test_a_value_in_a_graph_pickles_as_a_leaf_and_deep_copies_whole():
    a = Value(2.0, label="a")
    b = a * 3
    back = pickle.loads(pickle.dumps(b))
    assert (back.data, back.requires_grad, back.is_leaf) == (6.0, True, True)
    assert pickle.loads(pickle.dumps(a)).label == "a"
    b.backward()
    twin = copy.deepcopy(b)
    assert twin.grad_fn == "mul" and twin.parents[0].grad == a.grad == 3.0
