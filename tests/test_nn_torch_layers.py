"""The layers and functions PyTorch programs use, against PyTorch 2.13 in float64.

Each check runs the same input through kissgrad and torch and compares the forward value
and the gradient of every input and parameter (rtol 1e-10). Skipped without torch.
"""
import warnings

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor, grad

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(7)
RTOL, ATOL = 1e-10, 1e-12


def run_both(ours, theirs, *arrays):
    """Forward both on float64 leaves, backward a random seed; return both leaves and outputs."""
    mine = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    ref = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    a, b = ours(*mine), theirs(*ref)
    np.testing.assert_allclose(a.raw, b.detach().numpy(), rtol=RTOL, atol=ATOL)
    seed = np.random.default_rng(0).standard_normal(tuple(b.shape))
    a.backward(seed)
    b.backward(torch.tensor(seed))
    return mine, ref


def compare(ours, theirs, *arrays):
    """Same forward value and the same gradient for every input."""
    mine, ref = run_both(ours, theirs, *arrays)
    for x, y in zip(mine, ref):
        np.testing.assert_allclose(x.grad.raw, y.grad.numpy(), rtol=RTOL, atol=ATOL)


def compare_modules(ours, theirs, x):
    """Load ``theirs``' state into ``ours`` (both float64), then compare the outputs and the
    gradients of the input and of every parameter, and the state dicts afterwards."""
    theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    compare(ours, theirs, x)
    for name, param in theirs.named_parameters():
        np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.raw,
                                   param.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].raw, value.numpy(), rtol=RTOL,
                                   err_msg=name)

# --- 1. GELU and SiLU -------------------------------------------------------------------


WIDE = np.concatenate([np.linspace(-8, 8, 41), [-40.0, -1e-3, 0.0, 1e-3, 40.0]])


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_values_and_gradients(approximate):
    compare(lambda x: F.gelu(x, approximate=approximate),
            lambda x: TF.gelu(x, approximate=approximate), WIDE)
    compare(nn.GELU(approximate), torch.nn.GELU(approximate), RNG.standard_normal((3, 4)))
    assert repr(nn.GELU(approximate)) == repr(torch.nn.GELU(approximate))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_second_derivative(approximate):
    x = RNG.standard_normal(6) * 2
    ours = Tensor(x, requires_grad=True)
    (g,) = grad(F.gelu(ours, approximate=approximate).sum(), ours, create_graph=True)
    (g * g).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    (h,) = torch.autograd.grad(TF.gelu(theirs, approximate=approximate).sum(), theirs,
                               create_graph=True)
    (h * h).sum().backward()
    np.testing.assert_allclose(g.raw, h.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.grad.raw, theirs.grad.numpy(), rtol=1e-9, atol=ATOL)


def test_silu_values_and_gradients():
    compare(F.silu, TF.silu, WIDE)
    compare(nn.SiLU(), torch.nn.SiLU(), RNG.standard_normal((2, 5)))
    assert repr(nn.SiLU()) == repr(torch.nn.SiLU()) and repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_gelu_float32_stays_float32():
    x = Tensor(RNG.standard_normal(5).astype(np.float32), requires_grad=True)
    out = F.gelu(x)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == np.float32
    np.testing.assert_allclose(out.raw, TF.gelu(torch.tensor(x.raw)).numpy(), rtol=1e-6)

# --- 2. SmoothL1Loss, HuberLoss ------------------------------------------------------------


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.5, 0.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_loss(beta, reduction):
    a, b = RNG.standard_normal((3, 4)) * 2, RNG.standard_normal((3, 4))
    a[0, 0] = b[0, 0]  # d = 0: L1's subgradient 0
    compare(lambda x, t: F.smooth_l1_loss(x, t, reduction=reduction, beta=beta),
            lambda x, t: TF.smooth_l1_loss(x, t, reduction=reduction, beta=beta), a, b)
    compare(lambda x, t: nn.SmoothL1Loss(reduction=reduction, beta=beta)(x, t),
            lambda x, t: torch.nn.SmoothL1Loss(reduction=reduction, beta=beta)(x, t), a, b)


@pytest.mark.parametrize("delta", [1.0, 0.3, 4.0])
def test_huber_loss_deltas(delta):
    a, b = RNG.standard_normal((5,)) * 3, RNG.standard_normal((5,))
    b[1] = a[1] - delta  # exactly on the seam: both sides give the same gradient
    for reduction in ("mean", "sum", "none"):
        compare(lambda x, t: nn.HuberLoss(reduction, delta)(x, t),
                lambda x, t: torch.nn.HuberLoss(reduction, delta)(x, t), a, b)


def test_huber_and_smooth_l1_reject_bad_parameters():
    x = Tensor(np.zeros(3))
    for delta in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="delta must be > 0"):
            F.huber_loss(x, x, delta=delta)
        with pytest.raises(ValueError, match="delta"):
            nn.HuberLoss(delta=delta)
    for beta in (-0.5, float("nan")):
        with pytest.raises(ValueError, match="beta must be >= 0"):
            F.smooth_l1_loss(x, x, beta=beta)
        with pytest.raises(ValueError, match="beta"):
            nn.SmoothL1Loss(beta=beta)
    with pytest.raises(RuntimeError):  # torch agrees: delta <= 0 is an error there too
        TF.huber_loss(torch.zeros(3), torch.zeros(3), delta=0.0)

# --- 3. F.pad ---------------------------------------------------------------------------


@pytest.mark.parametrize("pad, mode, value", [
    ((1, 2), "constant", None), ((2, 0, 1, 3), "constant", -1.5), ((1, 1, 0, 2, 1, 0), "constant", 0),
    ((-1, 2), "constant", 2.0), ((-1, -2, 3, -1), "constant", None), ((2, -4), "constant", 1.0),
    ((0, 0), "constant", None), ((1, 2, 2, 1), "reflect", None), ((2, 0, 0, 3), "replicate", None),
    ((1, 3, 2, 0), "circular", None), ((3, 2, 1, 1), "reflect", None), ((4, 4, 0, 5), "circular", None)],
    ids=lambda v: str(v).replace(" ", ""))
def test_pad_matches_pytorch(pad, mode, value):
    x = RNG.standard_normal((2, 3, 5, 4))
    compare(lambda a: F.pad(a, pad, mode, value), lambda a: TF.pad(a, pad, mode, value), x)


def test_pad_three_d_input_and_errors():
    x = RNG.standard_normal((2, 3, 4))
    compare(lambda a: F.pad(a, (2, 1), mode="reflect"), lambda a: TF.pad(a, (2, 1), mode="reflect"), x)
    compare(lambda a: F.pad(a, [1, 0, 0, 2], value=3.0), lambda a: TF.pad(a, [1, 0, 0, 2], value=3.0), x)
    t = Tensor(x)
    with pytest.raises(ValueError, match="even number"):
        F.pad(t, (1, 2, 3))
    with pytest.raises(ValueError, match="pads 4 dims"):
        F.pad(t, (1,) * 8)
    with pytest.raises(ValueError, match="negative size"):
        F.pad(t, (-3, -2))
    with pytest.raises(ValueError, match="less than the input size 4"):
        F.pad(t, (4, 0), mode="reflect")
    with pytest.raises(ValueError, match="only mode='constant' crops"):
        F.pad(t, (-1, 0), mode="replicate")
    with pytest.raises(ValueError, match="takes no value"):
        F.pad(t, (1, 1), mode="reflect", value=2.0)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(t, (1, 1), mode="symmetric")

# --- 4. Dropout2d, AdaptiveAvgPool2d, Unflatten, BatchNorm2d, LayerNorm ---------------------


@pytest.mark.parametrize("output_size", [1, 3, (2, 3), (5, 4), (None, 3), (4, None), (7, 6),
                                         (3, 5)], ids=str)
def test_adaptive_avg_pool2d(output_size):
    x = RNG.standard_normal((2, 3, 7, 6))
    compare(nn.AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size), x)
    compare(lambda a: F.adaptive_avg_pool2d(a, output_size),
            lambda a: TF.adaptive_avg_pool2d(a, output_size), x[0])  # unbatched (C, H, W)


def test_unflatten_matches_pytorch():
    x = RNG.standard_normal((2, 12, 5))
    for dim, sizes in [(1, (3, 4)), (-1, (5, 1)), (1, (2, -1, 3)), (0, [1, 2])]:
        compare(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), x)
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None}, {"momentum": 0.3, "eps": 1e-3},
                                    {"affine": False}, {"track_running_stats": False}], ids=str)
def test_batchnorm2d_training_eval_and_state(kwargs):
    ours, theirs = nn.BatchNorm2d(3, **kwargs), torch.nn.BatchNorm2d(3, **kwargs).double()
    if kwargs.get("affine", True):
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
    for step in range(3):
        x = RNG.standard_normal((4, 3, 5, 2)) * (step + 1) + step
        compare_modules(ours, theirs, x)
        theirs.zero_grad()
        ours.zero_grad()
    ours.eval(), theirs.eval()
    compare_modules(ours, theirs, RNG.standard_normal((2, 3, 4, 4)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("shape, kwargs", [
    (6, {}), ((4, 6), {}), ((3, 4, 6), {"eps": 1e-2}), (6, {"elementwise_affine": False}),
    (6, {"bias": False})], ids=str)
def test_layernorm(shape, kwargs):
    ours, theirs = nn.LayerNorm(shape, **kwargs), torch.nn.LayerNorm(shape, **kwargs).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(-1, 2)
    compare_modules(ours, theirs, RNG.standard_normal((2, 3, 4, 6)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    compare(lambda a: F.layer_norm(a, (6,)), lambda a: TF.layer_norm(a, (6,)), RNG.standard_normal((5, 6)))

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
