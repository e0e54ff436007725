"""nn's losses: cross-entropy (worked example, options, ignore_index and weights, stability,
label checks, first and second derivatives), the regression losses, binary cross-entropy and
the penalties, against closed forms and with gradient checks."""
import math

import numpy as np
import pytest
from module_check import check_module, rand

import nn
import nn.functional as F
from autograd import Tensor, gradcheck, gradgradcheck

# --- losses -----------------------------------------------------------------------------

def test_cross_entropy_worked_example():
    logits = Tensor([[0.0, 0.006, 0.12]])
    loss = nn.CrossEntropyLoss()(logits, np.array([1]))
    # the course rounds the probability first: -log(0.321) = 1.1363; unrounded it is 1.13616
    assert round(-math.log(0.321), 4) == 1.1363
    assert loss.item() == pytest.approx(-math.log(0.321051), abs=1e-5)
    assert round(loss.item(), 3) == 1.136
    unbatched = F.cross_entropy(Tensor([0.0, 0.006, 0.12]), np.array(1))
    assert unbatched.item() == pytest.approx(1.13616, abs=1e-5)


def test_cross_entropy_matches_log_softmax_nll_and_reductions():
    x = rand(5, 4, seed=2)
    y = np.array([0, 3, 1, 1, 2])
    logp = x.raw - np.log(np.exp(x.raw).sum(axis=1, keepdims=True))
    per_sample = -logp[np.arange(5), y]
    np.testing.assert_allclose(F.cross_entropy(x, y, reduction="none").raw, per_sample)
    assert F.cross_entropy(x, y).item() == pytest.approx(per_sample.mean())
    assert F.cross_entropy(x, y, reduction="sum").item() == pytest.approx(per_sample.sum())
    assert nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), y).item() == pytest.approx(per_sample.mean())
    onehot = np.eye(4)[y]
    assert F.cross_entropy(x, onehot).item() == pytest.approx(per_sample.mean())
    assert F.cross_entropy(x, Tensor(y)).item() == pytest.approx(per_sample.mean())


def test_cross_entropy_options_against_formulas():
    x = rand(4, 3, seed=3)
    y = np.array([0, 2, 1, 2])
    logp = x.raw - np.log(np.exp(x.raw).sum(axis=1, keepdims=True))
    nll = -logp[np.arange(4), y]
    w = np.array([1.0, 2.0, 0.5])
    assert F.cross_entropy(x, y, weight=w).item() == pytest.approx((w[y] * nll).sum() / w[y].sum())
    ignored = np.array([0, -100, 1, 2])
    keep = np.array([0, 2, 3])
    assert F.cross_entropy(x, ignored).item() == pytest.approx(nll[keep].mean())
    eps = 0.1
    smooth = (1 - eps) * nll - eps * logp.mean(axis=1)
    assert F.cross_entropy(x, y, label_smoothing=eps).item() == pytest.approx(smooth.mean())
    soft = np.eye(3)[y] * (1 - eps) + eps / 3
    assert F.cross_entropy(x, soft).item() == pytest.approx(smooth.mean())
    spatial = rand(2, 3, 4, seed=4)
    labels = np.array([[0, 1, 2, 0], [2, 2, 1, 0]])
    flat = F.cross_entropy(spatial.permute(0, 2, 1).reshape(8, 3), labels.reshape(8))
    assert F.cross_entropy(spatial, labels).item() == pytest.approx(flat.item())


def test_cross_entropy_is_stable_for_huge_logits():
    x = Tensor(np.array([[1e4, 0.0, -1e4]]), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1]))
    loss.backward()
    assert loss.item() == pytest.approx(1e4)
    np.testing.assert_allclose(x.grad.raw, [[1.0, -1.0, 0.0]])


def test_classification_losses_reject_bad_labels_and_shapes():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"label 4 is out of range for 4 .*\(3, 4\).*\(3,\)"):
        F.cross_entropy(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3, 4\)"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"\(3,\).*float"):
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="out of range"):
        nn.NLLLoss()(x, np.array([-1, 0, 0]))
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")


def _per_sample_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(labels)), labels]


@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_cross_entropy_ignore_index_and_weight(ignore_index):
    logits = rand(4, 3, seed=7).raw
    labels = np.array([0, ignore_index, 2, 1 if ignore_index != 1 else 0])
    kept = labels != ignore_index
    per_sample = _per_sample_cross_entropy(logits, np.where(kept, labels, 0))
    loss = F.cross_entropy(Tensor(logits), labels, ignore_index=ignore_index)
    assert loss.item() == pytest.approx(per_sample[kept].mean())
    w = np.array([0.5, 2.0, 3.0])
    weighted = F.cross_entropy(Tensor(logits), labels, weight=w, ignore_index=ignore_index)
    sample_w = w[np.where(kept, labels, 0)] * kept
    assert weighted.item() == pytest.approx((per_sample * sample_w).sum() / sample_w.sum())
    none = F.cross_entropy(Tensor(logits), labels, ignore_index=ignore_index, reduction="none")
    np.testing.assert_allclose(none.raw, per_sample * kept)


def test_cross_entropy_mean_is_one_node_and_backwards_twice_with_retain_graph():
    logits = rand(4, 3, seed=8)
    labels = np.array([0, 2, 1, 2])
    loss = F.cross_entropy(logits, labels)
    assert loss.grad_fn == "softmax_cross_entropy" and loss.shape == ()
    assert loss.item() == pytest.approx(_per_sample_cross_entropy(logits.raw, labels).mean())
    loss.backward(retain_graph=True)
    first = logits.grad.raw.copy()
    shifted = logits.raw - logits.raw.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(first, (probs - np.eye(3)[labels]) / 4, rtol=1e-10)
    loss.backward()  # the per-sample losses the forward kept are still there
    np.testing.assert_allclose(logits.grad.raw, 2 * first, rtol=1e-12)


def test_cross_entropy_label_checks_with_ignore_index_a_class():
    x = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="label 7 is out of range"):
        F.cross_entropy(x, np.array([0, 7, 1]), ignore_index=1)
    with pytest.raises(ValueError, match="label -100 is out of range"):
        F.cross_entropy(x, np.array([0, -100, 1]), ignore_index=0)


def test_cross_entropy_gradients_first_and_second_order():
    y = np.array([2, 0, 1])
    assert gradcheck(lambda x: F.cross_entropy(x, y), (rand(3, 3),))
    assert gradgradcheck(lambda x: F.cross_entropy(x, y), (rand(3, 3),))
    w = np.array([0.5, 1.0, 2.0])
    assert gradcheck(lambda x: F.cross_entropy(x, y, weight=w, label_smoothing=0.2), (rand(3, 3),))
    probs = Tensor(np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]), requires_grad=True)
    assert gradcheck(lambda x, t: F.cross_entropy(x, t), (rand(2, 3), probs))
    assert check_module(nn.Linear(3, 4), rand(2, 3),
                        fn=lambda out: nn.CrossEntropyLoss()(out, np.array([3, 1])))
    assert gradcheck(lambda x: F.nll_loss(x, y, reduction="sum"), (rand(3, 3),))


REGRESSION = [
    (nn.MSELoss, lambda d: d ** 2),
    (nn.L1Loss, np.abs),
    (nn.HuberLoss, lambda d: np.where(np.abs(d) < 1, 0.5 * d ** 2, np.abs(d) - 0.5)),
]


@pytest.mark.parametrize("cls, elementwise", REGRESSION, ids=lambda v: getattr(v, "__name__", ""))
def test_regression_losses_closed_forms_reductions_and_gradcheck(cls, elementwise):
    pred, target = rand(3, 4, low=-3, high=3, seed=5), rand(3, 4, seed=6, requires_grad=False)
    d = pred.raw - target.raw
    assert cls()(pred, target).item() == pytest.approx(elementwise(d).mean())
    assert cls(reduction="sum")(pred, target).item() == pytest.approx(elementwise(d).sum())
    np.testing.assert_allclose(cls(reduction="none")(pred, target).raw, elementwise(d))
    assert gradcheck(lambda p, t: cls()(p, t), (pred, rand(3, 4, seed=6)))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(4,\)"):
        cls()(pred, np.zeros(4))


def test_huber_delta_and_mse_with_plain_targets():
    pred = Tensor(np.array([0.5, 3.0, -4.0]))
    loss = nn.HuberLoss(reduction="none", delta=2.0)(pred, [0.0, 0.0, 0.0]).raw
    np.testing.assert_allclose(loss, [0.125, 2 * (3 - 1), 2 * (4 - 1)])
    assert F.mse_loss(Tensor([1.0, 2.0]), np.array([1, 4])).dtype == np.float32


def test_bce_closed_form_clamp_and_gradients():
    p = Tensor(np.array([0.1, 0.8, 0.5]), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0])
    expected = -(y * np.log(p.raw) + (1 - y) * np.log(1 - p.raw))
    np.testing.assert_allclose(nn.BCELoss(reduction="none")(p, y).raw, expected)
    assert nn.BCELoss()(p, y).item() == pytest.approx(expected.mean())
    edge = Tensor(np.array([0.0, 1.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(edge, np.array([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.raw, [100.0, 100.0, 0.0])  # log clamped at -100
    loss.sum().backward()
    assert np.all(np.isfinite(edge.grad.raw))
    assert gradcheck(lambda a, b: F.binary_cross_entropy(a, b), (rand(2, 3, low=0.1, high=0.9),
                                                                 rand(2, 3, low=0, high=1, seed=1)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy(Tensor([1.5]), [1.0])


def test_bce_with_logits_matches_bce_and_is_stable():
    x = rand(2, 3, low=-4, high=4, seed=7)
    y = np.random.default_rng(8).uniform(size=(2, 3))
    via_probs = F.binary_cross_entropy(x.sigmoid(), y)
    assert nn.BCEWithLogitsLoss()(x, y).item() == pytest.approx(via_probs.item())
    big = Tensor(np.array([-1000.0, 0.0, 1000.0]), requires_grad=True)
    target = np.array([1.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(big, target, reduction="none")
    np.testing.assert_allclose(loss.raw, [1000.0, math.log(2), 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(big.grad.raw, [-1.0, -0.5, 1.0])  # exactly sigmoid(x) - y
    pos = F.binary_cross_entropy_with_logits(x, y, pos_weight=3.0, reduction="none").raw
    sig = 1 / (1 + np.exp(-x.raw))
    np.testing.assert_allclose(pos, -(3 * y * np.log(sig) + (1 - y) * np.log(1 - sig)), rtol=1e-10)
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=2.0),
                     (x, rand(2, 3, low=0, high=1, seed=9)))
    assert gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, y), (x,))


def test_penalties():
    a, b = Tensor([1.0, -2.0], requires_grad=True), Tensor([[3.0]], requires_grad=True)
    assert F.l1_penalty([a, b]).item() == 6.0
    assert F.l2_penalty(iter([a, b])).item() == 14.0
    (F.l1_penalty([a, b]) + F.l2_penalty([a, b])).backward()
    np.testing.assert_allclose(a.grad.raw, [1 + 2, -1 - 4])
    assert F.l2_penalty([]).item() == 0.0
