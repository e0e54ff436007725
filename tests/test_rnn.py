"""RNN, LSTM, GRU without PyTorch: equations, bidirectional layout, dropout, gradient checks, errors."""
import warnings

import numpy as np
import pytest
from module_check import module_function, output_and_state

import autograd
import nn
from autograd import Tensor, gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def weights(module):
    return {name: value.numpy() for name, value in module.state_dict().items()}


def gru_numpy(x, w, h, suffix="l0"):
    """PyTorch's GRU equations, time-major, one step at a time (gate order r, z, n)."""
    size, outputs = h.shape[-1], []
    for t in range(x.shape[0]):
        gi = x[t] @ w[f"weight_ih_{suffix}"].T + w[f"bias_ih_{suffix}"]
        gh = h @ w[f"weight_hh_{suffix}"].T + w[f"bias_hh_{suffix}"]
        r = sigmoid(gi[:, :size] + gh[:, :size])
        z = sigmoid(gi[:, size:2 * size] + gh[:, size:2 * size])
        n = np.tanh(gi[:, 2 * size:] + r * gh[:, 2 * size:])
        h = (1 - z) * n + z * h
        outputs.append(h)
    return np.stack(outputs), h


def rnn_numpy(x, w, h, suffix):
    outputs = []
    for t in range(x.shape[0]):
        h = np.tanh(x[t] @ w[f"weight_ih_{suffix}"].T + w[f"bias_ih_{suffix}"]
                    + h @ w[f"weight_hh_{suffix}"].T + w[f"bias_hh_{suffix}"])
        outputs.append(h)
    return np.stack(outputs), h


def test_gru_matches_its_equations():
    gru = nn.GRU(3, 4).double()
    x, h0 = RNG.standard_normal((6, 2, 3)), RNG.standard_normal((1, 2, 4))
    output, h_n = gru(Tensor(x), Tensor(h0))
    want, want_h = gru_numpy(x, weights(gru), h0[0])
    np.testing.assert_allclose(output.numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.numpy()[0], want_h, rtol=1e-12, atol=1e-12)


def test_gru_reset_gate_multiplies_the_hidden_bias():
    """With r = 0 (a large negative reset bias), n sees neither W_hn h nor b_hn."""
    gru = nn.GRU(1, 1).double()
    for p in gru.parameters():
        nn.init.zeros_(p)
    gru.bias_ih_l0.numpy()[:] = [-50.0, -50.0, 0.0]  # r = 0, z = 0
    gru.bias_hh_l0.numpy()[2] = 3.0  # b_hn: outside r * (...) it would give tanh(3)
    _, h_n = gru(Tensor(np.zeros((1, 1, 1))), Tensor(np.full((1, 1, 1), 0.7)))
    assert abs(h_n.item()) < 1e-12


def test_bidirectional_layout_is_pytorchs():
    """Output is [forward h_t, backward h_t]; h_n is [l0 fwd, l0 bwd, l1 fwd, l1 bwd]."""
    rnn = nn.RNN(3, 2, num_layers=2, bidirectional=True).double()
    assert [n for n, _ in rnn.named_parameters()][:8] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse",
        "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse"]
    assert rnn.weight_ih_l1.shape == (2, 4)  # layer 1 reads both directions
    x, h0 = RNG.standard_normal((5, 1, 3)), RNG.standard_normal((4, 1, 2))
    output, h_n = rnn(Tensor(x), Tensor(h0))
    w = weights(rnn)
    forward, h_f = rnn_numpy(x, w, h0[0], "l0")
    backward, h_b = rnn_numpy(x[::-1], w, h0[1], "l0_reverse")
    layer0 = np.concatenate([forward, backward[::-1]], axis=-1)
    forward1, h_f1 = rnn_numpy(layer0, w, h0[2], "l1")
    backward1, h_b1 = rnn_numpy(layer0[::-1], w, h0[3], "l1_reverse")
    np.testing.assert_allclose(output.numpy(), np.concatenate([forward1, backward1[::-1]], -1),
                               rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), np.stack([h_f, h_b, h_f1, h_b1]), rtol=1e-12)


def test_gru_gradcheck_deep_bidirectional_batch_first():
    gru = nn.GRU(2, 2, num_layers=2, bidirectional=True, batch_first=True)
    fn, params = module_function(gru, 2, output_and_state)
    x = Tensor(RNG.standard_normal((2, 3, 2)), requires_grad=True)
    h0 = Tensor(RNG.standard_normal((4, 2, 2)), requires_grad=True)
    assert gradcheck(fn, (x, h0) + params)


def test_lstm_second_derivatives():
    lstm = nn.LSTM(2, 2)
    fn, params = module_function(lstm, 1, output_and_state)
    x = Tensor(RNG.standard_normal((2, 1, 2)), requires_grad=True)
    assert gradgradcheck(fn, (x,) + params)


def test_dropout_acts_between_layers_in_training_only():
    autograd.manual_seed(0)
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = Tensor(RNG.standard_normal((5, 2, 3)).astype(np.float32))
    autograd.manual_seed(1)
    first, _ = lstm(x)
    autograd.manual_seed(1)
    again, _ = lstm(x)
    np.testing.assert_array_equal(first.numpy(), again.numpy())  # the default generator drives it
    plain, _ = lstm.eval()(x)
    assert not np.allclose(first.numpy(), plain.numpy())
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


def test_defaults_shapes_and_helpers():
    gru = nn.GRU(3, 5, dtype=np.float64)
    assert not gru.batch_first and gru.weight_ih_l0.dtype == np.float64
    assert gru.weight_ih_l0.shape == (15, 3) and gru.weight_hh_l0.shape == (15, 5)
    output, h_n = gru(Tensor(np.ones((7, 2, 3))))  # time-major by default
    assert output.shape == (7, 2, 5) and h_n.shape == (1, 2, 5)
    assert gru.flatten_parameters() is None
    assert [len(w) for w in nn.LSTM(3, 4, num_layers=2, bidirectional=True).all_weights] == [4] * 4
    plain = nn.RNN(3, 4, bias=False)
    assert plain.all_weights == [[plain.weight_ih_l0, plain.weight_hh_l0]]
    bound = 1 / np.sqrt(5)
    assert all(np.abs(p.numpy()).max() <= bound for p in gru.parameters())


def test_constructor_and_input_errors():
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers"):
        nn.LSTM(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="dropout"):
        nn.RNN(3, 4, dropout=1.5)
    with pytest.raises(NotImplementedError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(RuntimeError, match="CPU"):
        nn.GRU(3, 4, device="cuda")
    with pytest.raises(ValueError, match="empty"):
        nn.GRU(3, 4)(Tensor(np.ones((0, 2, 3))))
    with pytest.raises(RuntimeError, match="unbatched 2-D input, hx should also be 2-D"):
        nn.GRU(3, 4)(Tensor(np.ones((5, 3))), Tensor(np.ones((1, 1, 4))))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 1, 4\)"):
        nn.GRU(3, 4, bidirectional=True)(Tensor(np.ones((5, 1, 3))), Tensor(np.ones((1, 1, 4))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, num_layers=2, dropout=0.2)  # dropout with several layers: no warning
