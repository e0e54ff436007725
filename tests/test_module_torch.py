"""Module against PyTorch: the same architecture has the same names, and torch state dicts load
strictly and give the same outputs. Skipped without torch."""
import numpy as np
import pytest

import nn
from autograd import Tensor

torch = pytest.importorskip("torch")


def build(lib):
    """One architecture written against either library (``torch.nn`` or ``nn``)."""

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib.Embedding(10, 4)
            self.rnn = lib.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True)
            self.gru = lib.GRU(10, 3)
            self.heads = lib.ModuleDict({"a": lib.Linear(3, 2), "b": lib.Sequential(
                lib.Linear(3, 4), lib.BatchNorm1d(4), lib.ReLU(), lib.Linear(4, 1))})
            self.blocks = lib.ModuleList([lib.Conv2d(1, 2, 3), lib.Linear(2, 2, bias=False)])
            self.register_buffer("scale", torch.ones(2) * 2 if lib is torch.nn
                                 else Tensor(np.full(2, 2.0, dtype=np.float32)))

        def forward(self, tokens):
            out, _ = self.rnn(self.embed(tokens))       # (N, L, 10)
            out, h = self.gru(out.transpose(0, 1))      # time-major (L, N, 3)
            last = h[-1]
            return self.heads["a"](last) * self.scale, self.heads["b"](last)

    return Net()


def test_names_order_and_shapes_are_pytorchs():
    theirs, ours = build(torch.nn), build(nn)
    want = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    got = {k: v.shape for k, v in ours.state_dict().items()}
    assert list(got) == list(want) and got == want
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert list(ours.heads.keys()) == list(theirs.heads.keys())


def test_a_pytorch_state_dict_loads_strictly_and_computes_the_same():
    torch.manual_seed(0)
    theirs, ours = build(torch.nn).double(), build(nn).double()
    theirs.heads["b"][1].running_mean.fill_(0.3)
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                                  strict=True)
    assert result == ([], [])
    theirs.eval(), ours.eval()
    tokens = np.random.default_rng(0).integers(0, 10, size=(2, 6))
    want = theirs(torch.tensor(tokens))
    got = ours(Tensor(tokens))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), theirs.state_dict()[name].numpy(), err_msg=name)


def test_strict_loading_reports_what_pytorch_reports():
    theirs, ours = build(torch.nn), build(nn)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    del state["gru.bias_hh_l0"]
    state["extra.weight"] = np.zeros(1)
    for module, convert in ((theirs, torch.tensor), (ours, lambda a: a)):
        with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "gru.bias_hh_l0"'):
            module.load_state_dict({k: convert(v) for k, v in state.items()})
    want = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    got = ours.load_state_dict(state, strict=False)
    assert got.missing_keys == want.missing_keys and got.unexpected_keys == want.unexpected_keys


def test_module_dict_surface_matches_pytorch():
    def exercise(lib):
        d = lib.ModuleDict([("x", lib.ReLU()), ("y", lib.Tanh())])
        d.update({"z": lib.Sigmoid()})
        d["x"] = lib.Identity()
        popped = d.pop("y")
        return (list(d.keys()), [type(m).__name__ for m in d.values()], type(popped).__name__,
                "z" in d, len(d), [k for k, _ in d.items()], list(iter(d)))

    assert exercise(nn) == exercise(torch.nn)


def test_zero_grad_train_and_requires_grad_match_pytorch():
    def exercise(lib, make):
        model = lib.Sequential(lib.Linear(2, 2), lib.Dropout(), lib.Linear(2, 1))
        model(make(np.ones((3, 2), dtype=np.float32))).sum().backward()
        model.zero_grad(set_to_none=False)
        zeros = [float(np.abs(np.asarray(p.grad)).sum()) for p in model.parameters()]
        model.zero_grad()
        nones = [p.grad is None for p in model.parameters()]
        model.eval()
        modes = [m.training for m in model.modules()]
        model[0].requires_grad_(False)
        return zeros, nones, modes, [p.requires_grad for p in model.parameters()]

    assert exercise(nn, Tensor) == exercise(torch.nn, torch.tensor)
