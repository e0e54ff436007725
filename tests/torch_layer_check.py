"""The comparison the torch layer tests share: the same float64 input through kissgrad and
torch, forward values and every gradient compared (rtol 1e-10). Skips the importing test
module without torch."""
import numpy as np
import pytest

from autograd import Tensor

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
