"""nn against PyTorch: values and gradients of layers and losses (skipped without torch)."""
import numpy as np
import pytest

import nn
import nn.functional as F
from autograd import Tensor
from nn import init

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def both(*arrays):
    """Each array as a kissgrad leaf and as a torch leaf, both float64 and requiring grad."""
    ours = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    return ours, theirs


def compare(our_fn, torch_fn, *arrays, rtol=1e-10, atol=1e-12):
    """Same forward value and same gradients for every input."""
    ours, theirs = both(*arrays)
    a, b = our_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(a.raw, b.detach().numpy(), rtol=rtol, atol=atol)
    seed = np.random.default_rng(0).standard_normal(np.shape(a.raw))
    a.backward(seed)
    b.backward(torch.tensor(seed))
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.raw, y.grad.numpy(), rtol=rtol, atol=atol)


RNG = np.random.default_rng(42)
LOGITS = RNG.standard_normal((5, 4)) * 3
LABELS = np.array([0, 3, 1, -100, 2])
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"weight": WEIGHT},
    {"label_smoothing": 0.2}, {"weight": WEIGHT, "label_smoothing": 0.1},
    {"weight": WEIGHT, "reduction": "none"}])
def test_cross_entropy_and_nll(kwargs):
    tkw = {k: torch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
    labels = torch.tensor(LABELS)
    compare(lambda x: F.cross_entropy(x, LABELS, **kwargs),
            lambda x: TF.cross_entropy(x, labels, **tkw), LOGITS)
    if "label_smoothing" not in kwargs:
        compare(lambda x: F.nll_loss(x, LABELS, **kwargs),
                lambda x: TF.nll_loss(x, labels, **tkw), LOGITS)


def test_cross_entropy_probabilities_and_spatial():
    probs = np.abs(RNG.standard_normal((5, 4)))
    probs /= probs.sum(axis=1, keepdims=True)
    compare(lambda x, p: F.cross_entropy(x, p, label_smoothing=0.1),
            lambda x, p: TF.cross_entropy(x, p, label_smoothing=0.1), LOGITS, probs)
    x = RNG.standard_normal((2, 3, 4))
    y = np.array([[0, 1, 2, 2], [1, 0, 0, 2]])
    compare(lambda a: F.cross_entropy(a, y), lambda a: TF.cross_entropy(a, torch.tensor(y)), x)


def test_binary_losses():
    p = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    y = np.array([1.0, 0.0, 0.3, 1.0, 0.0])
    compare(lambda a: F.binary_cross_entropy(a, y, reduction="none"),
            lambda a: TF.binary_cross_entropy(a, torch.tensor(y), reduction="none"), p, rtol=1e-7)
    x = np.array([-800.0, -3.0, 0.0, 0.5, 40.0])
    compare(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=2.5),
            lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor(2.5)),
            x, y)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_losses(name):
    a, b = RNG.standard_normal((3, 4)) * 2, RNG.standard_normal((3, 4))
    compare(lambda x, t: getattr(F, name)(x, t), lambda x, t: getattr(TF, name)(x, t), a, b)


@pytest.mark.parametrize("ours, theirs", [
    (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    (lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    (F.selu, TF.selu),
    (lambda x: F.softplus(x, 2.0, 5.0), lambda x: TF.softplus(x, 2.0, 5.0)),
    (F.softplus, TF.softplus),
    (lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    (lambda x: F.log_softmax(x, 1), lambda x: TF.log_softmax(x, 1)),
], ids=["leaky_relu", "elu", "selu", "softplus_beta", "softplus", "softmax", "log_softmax"])
def test_activations(ours, theirs):
    compare(ours, theirs, np.array([[-30.0, -1.0, -0.1, 0.0], [0.3, 2.0, 3.0, 40.0]]))


def test_batchnorm_running_stats_and_eval():
    ours = nn.BatchNorm1d(3).double()
    theirs = torch.nn.BatchNorm1d(3).double()
    for step in range(3):
        x = RNG.standard_normal((6, 3, 2)) * (step + 1) + step
        compare(lambda a: ours(a), lambda a: theirs(a), x)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], value.numpy(), rtol=1e-12, err_msg=name)
    ours.eval(), theirs.eval()
    compare(lambda a: ours(a), lambda a: theirs(a), RNG.standard_normal((4, 3)))


def test_torch_state_dict_loads_as_is():
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.BatchNorm1d(8),
                                 torch.nn.Linear(8, 3), torch.nn.Embedding(5, 3))
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 3),
                         nn.Embedding(5, 3))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval(), theirs.eval()
    x = RNG.standard_normal((2, 4)).astype(np.float32)
    expected = theirs[:4](torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours[:4](Tensor(x)).raw, expected, rtol=1e-5, atol=1e-6)


def test_init_gains_and_bounds():
    for name in ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "conv2d"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    shape = (16, 8, 3, 3)
    t = torch.empty(shape)
    assert init._calculate_fan_in_and_fan_out(Tensor(np.zeros(shape))) == \
        torch.nn.init._calculate_fan_in_and_fan_out(t)
    torch.nn.init.kaiming_uniform_(t, a=5 ** 0.5)
    ours = init.kaiming_uniform_(Tensor(np.zeros(shape)), a=5 ** 0.5).raw
    assert np.abs(ours).max() <= 1 / 72 ** 0.5 and t.abs().max().item() <= 1 / 72 ** 0.5
