"""Convolution and pooling, Embedding, losses, reductions and softmax dims against PyTorch
2.13 in float64, as test_nn_torch_layers.py does (forward values and every gradient, rtol
1e-10). Skipped without torch.
"""
import warnings

import numpy as np
import pytest
from torch_layer_check import ATOL, RNG, RTOL, TF, compare, compare_modules, torch

import nn
import nn.functional as F
from autograd import Tensor

# --- 5. Conv2d and pooling ---------------------------------------------------------------------


CONVS = [
    dict(kernel_size=3), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=3, dilation=2, padding=2), dict(kernel_size=(2, 3), dilation=(2, 1)),
    dict(kernel_size=3, groups=2), dict(kernel_size=(3, 1), groups=2, stride=2, bias=False),
    dict(kernel_size=3, padding="same"), dict(kernel_size=(2, 4), padding="same", dilation=(3, 1)),
    dict(kernel_size=3, padding="valid", stride=2),
    dict(kernel_size=3, padding=1, padding_mode="reflect"),
    dict(kernel_size=(2, 3), padding=(1, 2), padding_mode="replicate", groups=2),
    dict(kernel_size=3, padding=(2, 1), padding_mode="circular", dilation=(1, 2)),
    dict(kernel_size=4, padding="same", padding_mode="reflect"),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on its own copy
@pytest.mark.parametrize("kwargs", CONVS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_conv2d_module_matches_pytorch(kwargs):
    ours, theirs = nn.Conv2d(4, 6, **kwargs), torch.nn.Conv2d(4, 6, **kwargs)
    assert {n: p.shape for n, p in ours.named_parameters()} == \
        {n: tuple(p.shape) for n, p in theirs.named_parameters()}
    assert repr(ours) == repr(theirs)
    compare_modules(ours, theirs, RNG.standard_normal((2, 4, 7, 8)))
    compare_modules(ours, theirs, RNG.standard_normal((4, 6, 5)))  # unbatched


def test_conv2d_init_bound_uses_fan_in_per_group():
    conv = nn.Conv2d(8, 4, 3, groups=4)
    bound = 1 / np.sqrt(2 * 3 * 3)
    assert conv.weight.shape == (4, 2, 3, 3)
    assert np.abs(conv.weight.raw).max() <= bound and np.abs(conv.bias.raw).max() <= bound
    assert np.abs(conv.weight.raw).max() > 0.7 * bound


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, dilation=(1, 2), groups=2),
                                    dict(padding="same", dilation=2), dict(padding="valid")],
                         ids=str)
def test_functional_conv2d_matches_pytorch(kwargs):
    groups = kwargs.get("groups", 1)
    x, w = RNG.standard_normal((2, 4, 6, 7)), RNG.standard_normal((6, 4 // groups, 3, 2))
    b = RNG.standard_normal(6)
    compare(lambda a, c, d: F.conv2d(a, c, d, **kwargs), lambda a, c, d: TF.conv2d(a, c, d, **kwargs),
            x, w, b)


POOLS = [
    dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
    dict(kernel_size=2, stride=3, padding=1, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", POOLS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_max_pool2d_matches_pytorch(kwargs):
    x = RNG.standard_normal((2, 3, 7, 8))
    compare(nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs), x)
    ours, mine_idx = nn.MaxPool2d(**kwargs, return_indices=True)(Tensor(x))
    theirs, their_idx = torch.nn.MaxPool2d(**kwargs, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(mine_idx.raw, their_idx.numpy())
    assert mine_idx.dtype == np.int64 and repr(nn.MaxPool2d(**kwargs)) == repr(torch.nn.MaxPool2d(**kwargs))


AVG_POOLS = [
    dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, stride=1, divisor_override=3), dict(kernel_size=2, padding=1, ceil_mode=True,
                                                            divisor_override=2),
]


@pytest.mark.parametrize("kwargs", AVG_POOLS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_avg_pool2d_matches_pytorch(kwargs):
    compare(nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs), RNG.standard_normal((2, 3, 7, 8)))
    compare(lambda a: F.avg_pool2d(a, **kwargs), lambda a: TF.avg_pool2d(a, **kwargs),
            RNG.standard_normal((3, 5, 6)))

# --- 6. Embedding -----------------------------------------------------------------------


@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_embedding_padding_idx_matches_pytorch(padding_idx):
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(5, 3, padding_idx=padding_idx).double()
    ours = nn.Embedding(5, 3, padding_idx=padding_idx)
    ours.load_state_dict({"weight": theirs.weight.detach().numpy()})
    ours.double()
    idx = np.array([[0, 3, 4], [3, 3, 1]])
    out, ref = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.raw, ref.detach().numpy(), rtol=RTOL)
    seed = RNG.standard_normal(out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.weight.grad.raw, theirs.weight.grad.numpy(), rtol=RTOL, atol=ATOL)
    assert ours.padding_idx == theirs.padding_idx and repr(ours) == repr(theirs)
    if padding_idx is not None:
        assert np.all(nn.Embedding(5, 3, padding_idx=padding_idx).weight.raw[padding_idx] == 0)


def test_embedding_max_norm_and_from_pretrained():
    w = RNG.standard_normal((6, 4)) * 2
    ours = nn.Embedding.from_pretrained(w, freeze=False, max_norm=1.5)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(w), freeze=False, max_norm=1.5)
    idx = np.array([1, 4, 4, 0])
    out, ref = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.raw, ref.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(ours.weight.raw, theirs.weight.detach().numpy(), rtol=RTOL)  # renormed rows
    frozen = nn.Embedding.from_pretrained(w)
    assert not frozen.weight.requires_grad and frozen.weight.dtype == np.float64
    compare(lambda a: F.embedding(idx, a, padding_idx=4),
            lambda a: TF.embedding(torch.tensor(idx), a, padding_idx=4), w)

# --- 7. losses, reductions, softmax dims --------------------------------------------------


LOGITS, LABELS = RNG.standard_normal((5, 4)) * 2, np.array([0, 3, 1, 2, 2])
PROBS = RNG.dirichlet(np.ones(4), size=5)
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
def test_regression_losses_reductions(name, reduction):
    a, b = RNG.standard_normal((3, 4)) * 2, RNG.standard_normal((3, 4))
    compare(lambda x, t: getattr(F, name)(x, t, reduction=reduction),
            lambda x, t: getattr(TF, name)(x, t, reduction=reduction), a, b)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_reductions(reduction):
    p, y, w = RNG.uniform(0.05, 0.95, (3, 4)), RNG.uniform(0, 1, (3, 4)), RNG.uniform(0.5, 2, (3, 4))
    compare(lambda a: nn.BCELoss(weight=w, reduction=reduction)(a, y),
            lambda a: torch.nn.BCELoss(weight=torch.tensor(w), reduction=reduction)(a, torch.tensor(y)), p)
    pos = RNG.uniform(0.5, 3, 4)
    compare(lambda a: nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=pos)(a, y),
            lambda a: torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), reduction=reduction,
                                                 pos_weight=torch.tensor(pos))(a, torch.tensor(y)),
            RNG.standard_normal((3, 4)) * 3)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kwargs", [{}, {"weight": WEIGHT}, {"label_smoothing": 0.15},
                                    {"weight": WEIGHT, "label_smoothing": 0.3}], ids=str)
def test_cross_entropy_labels_and_probabilities(kwargs, reduction):
    tkw = {k: torch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
    for target in (LABELS, PROBS):
        compare(lambda x: nn.CrossEntropyLoss(reduction=reduction, **kwargs)(x, target),
                lambda x: torch.nn.CrossEntropyLoss(reduction=reduction, **tkw)(x, torch.tensor(target)),
                LOGITS)
    # spatial (N, C, d): labels (N, d) with an ignored one, probabilities (N, C, d)
    x = RNG.standard_normal((2, 4, 3))
    labels = np.array([[0, 3, -100], [2, 1, 1]])
    probs = RNG.dirichlet(np.ones(4), size=(2, 3)).transpose(0, 2, 1)
    for target in (labels, probs):
        compare(lambda a: F.cross_entropy(a, target, reduction=reduction, **kwargs),
                lambda a: TF.cross_entropy(a, torch.tensor(target), reduction=reduction, **tkw), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_reductions(reduction):
    labels = np.array([0, -100, 1, 2, 3])
    compare(lambda x: nn.NLLLoss(weight=WEIGHT, reduction=reduction)(x, labels),
            lambda x: torch.nn.NLLLoss(weight=torch.tensor(WEIGHT), reduction=reduction)(
                x, torch.tensor(labels)),
            LOGITS)


def test_legacy_size_average_and_reduce():
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    for size_average, reduce in [(False, None), (None, False), (True, True), (False, True)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.nn.MSELoss(size_average, reduce)
            compare(lambda x, t: nn.MSELoss(size_average, reduce)(x, t),
                    lambda x, t: theirs(x, t), a, b)
            assert nn.MSELoss(size_average, reduce).reduction == theirs.reduction
    with pytest.warns(UserWarning, match="reduction='sum'"):
        F.l1_loss(Tensor(a), b, size_average=False)


def test_weighted_losses_keep_weight_as_a_buffer():
    ours, theirs = nn.CrossEntropyLoss(weight=WEIGHT), torch.nn.CrossEntropyLoss(weight=torch.tensor(WEIGHT))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=np.ones(3)).state_dict()) == \
        list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(3)).state_dict())
    assert list(nn.CrossEntropyLoss().state_dict()) == []


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 3, 2, 2)], ids=str)
def test_softmax_implicit_dim_warns_and_matches_pytorch(shape):
    x = RNG.standard_normal(shape)
    for ours, theirs in [(F.softmax, TF.softmax), (F.log_softmax, TF.log_softmax)]:
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            mine = ours(Tensor(x))
        with pytest.warns(UserWarning):
            ref = theirs(torch.tensor(x))
        np.testing.assert_allclose(mine.raw, ref.numpy(), rtol=RTOL, atol=ATOL)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        nn.Softmax()(Tensor(x))
    for dim in range(-len(shape), len(shape)):
        compare(lambda a: F.softmax(a, dim=dim), lambda a: TF.softmax(a, dim=dim), x)
        compare(lambda a: nn.LogSoftmax(dim)(a), lambda a: torch.nn.LogSoftmax(dim)(a), x)


def test_softmax_dtype_and_zero_d():
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    out = F.softmax(Tensor(x), dim=1, dtype=np.float64)
    assert out.dtype == np.float64
    expected = TF.softmax(torch.tensor(x), 1, dtype=torch.float64).numpy()
    np.testing.assert_allclose(out.raw, expected, rtol=RTOL)
    assert F.log_softmax(Tensor(np.array(3.0)), dim=0).item() == TF.log_softmax(torch.tensor(3.0), 0).item()


@pytest.mark.parametrize("make", [
    lambda nn: nn.AvgPool2d(3, 2, 1), lambda nn: nn.AdaptiveAvgPool2d((2, 3)),
    lambda nn: nn.Dropout(0.2), lambda nn: nn.Dropout2d(), lambda nn: nn.LeakyReLU(0.2, True),
    lambda nn: nn.ELU(), lambda nn: nn.Softplus(), lambda nn: nn.Softmax(1),
    lambda nn: nn.LogSoftmax(), lambda nn: nn.SELU(), lambda nn: nn.BatchNorm1d(4, affine=False),
    lambda nn: nn.Conv2d(2, 4, (1, 3), dilation=2, padding="valid", padding_mode="reflect"),
    lambda nn: nn.Embedding(4, 2, max_norm=1.0), lambda nn: nn.Flatten(),
    lambda nn: nn.CrossEntropyLoss(), lambda nn: nn.HuberLoss(delta=2.0)])
def test_reprs_match_pytorch(make):
    """(A loss with a reduction other than "mean" shows it, where PyTorch prints nothing.)"""
    assert repr(make(nn)) == repr(make(torch.nn))
