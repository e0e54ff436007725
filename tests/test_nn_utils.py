"""nn.utils: clip_grad_norm_, clip_grad_value_, get_total_norm, parameter vectors (PyTorch parity)."""
import importlib
import math

import numpy as np
import pytest

import nn
import nn.utils
from autograd import Tensor

RNG = np.random.default_rng(0)


def params_with_grads(*shapes, scale=1.0, dtype=np.float64):
    params = []
    for shape in shapes:
        p = nn.Parameter(RNG.standard_normal(shape).astype(dtype))
        p.grad = Tensor(scale * RNG.standard_normal(shape).astype(dtype))
        params.append(p)
    return params


def test_import_paths():
    assert importlib.import_module("nn.utils") is nn.utils
    assert nn.utils.clip_grad_norm_ is importlib.import_module("nn.utils.clip_grad").clip_grad_norm_


def test_clip_grad_norm_scales_to_max_norm_and_returns_the_total():
    params = params_with_grads((3, 2), (4,))
    grads = np.concatenate([p.grad.numpy().ravel() for p in params])
    total = np.linalg.norm(grads)
    result = nn.utils.clip_grad_norm_(iter(params), max_norm=0.5)  # a generator works
    assert isinstance(result, Tensor) and result.shape == ()
    assert math.isclose(result.item(), total, rel_tol=1e-12)
    clipped = np.concatenate([p.grad.numpy().ravel() for p in params])
    np.testing.assert_allclose(clipped, grads * 0.5 / (total + 1e-6), rtol=1e-12)
    before = [p.grad.numpy().copy() for p in params]
    nn.utils.clip_grad_norm_(params, max_norm=100.0)  # under the limit: unchanged
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.grad.numpy(), b)


def test_single_tensor_missing_grads_and_empty_input():
    p = params_with_grads((5,))[0]
    no_grad = nn.Parameter(np.ones(3))
    total = nn.utils.clip_grad_norm_([p, no_grad], 1.0)
    assert no_grad.grad is None and total.item() > 0
    assert nn.utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(1.0, rel=1e-5)
    assert nn.utils.clip_grad_norm_([no_grad], 1.0).item() == 0.0
    assert nn.utils.clip_grad_value_([no_grad], 1.0) is None


def test_nonfinite_totals_and_bad_arguments():
    p = params_with_grads((3,))[0]
    p.grad.numpy()[0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())
    for bad in (-1.0, float("nan"), "1"):
        with pytest.raises(ValueError, match="max_norm"):
            nn.utils.clip_grad_norm_(params_with_grads((2,)), bad)
        with pytest.raises(ValueError, match="clip_value"):
            nn.utils.clip_grad_value_(params_with_grads((2,)), bad)


def test_clip_grad_value_clamps_in_place():
    params = params_with_grads((4, 4), scale=3.0, dtype=np.float32)
    grads = [p.grad for p in params]
    nn.utils.clip_grad_value_(params, 0.5)
    assert params[0].grad is grads[0] and np.abs(params[0].grad.numpy()).max() <= 0.5
    assert params[0].grad.dtype == np.float32


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.3, 50.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    ours = params_with_grads((3, 4), (5,), (2, 2, 2))
    theirs = []
    for p in ours:
        t = torch.tensor(p.numpy().copy(), requires_grad=True)
        t.grad = torch.tensor(p.grad.numpy().copy())
        theirs.append(t)
    got = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert got.item() == pytest.approx(want.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    total = nn.utils.get_total_norm([p.grad for p in ours], norm_type)
    want_total = torch.nn.utils.get_total_norm([t.grad for t in theirs], norm_type)
    assert total.item() == pytest.approx(want_total.item(), rel=1e-12)


def test_clip_grad_value_and_parameter_vectors_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = params_with_grads((3, 4), (5,), scale=2.0)
    theirs = []
    for p in ours:
        t = torch.tensor(p.numpy().copy(), requires_grad=True)
        t.grad = torch.tensor(p.grad.numpy().copy())
        theirs.append(t)
    nn.utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    vector = nn.utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(vector.numpy(),
                                  torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    new = np.arange(17.0)
    nn.utils.vector_to_parameters(Tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.numpy(), t.detach().numpy())
    with pytest.raises(ValueError, match=r"\(17,\)"):
        nn.utils.vector_to_parameters(Tensor(np.ones(3)), ours)
