"""Conv2d, MaxPool2d, AvgPool2d, RNN, LSTM: shapes, gradient checks, equations, PyTorch parity."""
import numpy as np
import pytest
from module_check import module_function

import autograd
from autograd import Tensor, gradcheck, gradgradcheck
from autograd.conv_ops import avg_pool2d, conv2d, max_pool2d
from nn import init as nn_init
from nn.conv import AvgPool2d, Conv2d, MaxPool2d
from nn.rnn import LSTM, RNN

RNG = np.random.default_rng(0)


def randn(*shape, requires_grad=False):
    return Tensor(RNG.standard_normal(shape), requires_grad=requires_grad)


# --- Conv2d and pooling modules -----------------------------------------------------

def test_conv2d_module_shapes_init_and_repr():
    autograd.manual_seed(0)
    conv = Conv2d(3, 8, (3, 2), stride=2, padding=1)
    assert conv.weight.shape == (8, 3, 3, 2) and conv.bias.shape == (8,)
    assert conv.weight.dtype == np.float32
    bound = 1 / np.sqrt(3 * 3 * 2)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.8 * bound  # uniform over the whole range
    assert conv(randn(2, 3, 7, 6)).shape == (2, 8, 4, 4)
    assert conv(randn(3, 7, 6)).shape == (8, 4, 4)  # unbatched (C, H, W), as in PyTorch
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1))"
    plain = Conv2d(1, 2, 3, bias=False)
    assert plain.bias is None and [n for n, _ in plain.named_parameters()] == ["weight"]
    assert repr(plain) == "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)"
    assert list(conv.state_dict()) == ["weight", "bias"]


def test_pool_modules_shapes_and_repr():
    x = randn(2, 3, 7, 5)
    assert MaxPool2d(2)(x).shape == (2, 3, 3, 2)
    assert AvgPool2d(3, stride=2, padding=1)(x).shape == (2, 3, 4, 3)
    assert MaxPool2d((3, 2), stride=(1, 2))(x).shape == (2, 3, 5, 2)
    assert repr(MaxPool2d(2)) == ("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, "
                                  "ceil_mode=False)")  # PyTorch's repr
    assert repr(AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert list(MaxPool2d(2).parameters()) == []


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((1, 2), (0, 1))])
def test_conv2d_module_gradcheck(stride, padding):
    conv = Conv2d(2, 3, (2, 3), stride=stride, padding=padding)
    fn, params = module_function(conv, 1)
    assert gradcheck(fn, (randn(2, 2, 4, 5, requires_grad=True),) + params)


@pytest.mark.parametrize("pool", [MaxPool2d(2), MaxPool2d(3, 2, 1), AvgPool2d(2),
                                  AvgPool2d((3, 2), (2, 1), (1, 0))])
def test_pool_module_gradcheck(pool):
    assert gradcheck(pool, (randn(2, 2, 5, 4, requires_grad=True),))


def test_float32_stays_float32():
    conv = Conv2d(2, 4, 3, padding=1)
    x = Tensor(RNG.standard_normal((2, 2, 6, 6)).astype(np.float32), requires_grad=True)
    out = AvgPool2d(2)(MaxPool2d(2, 1)(conv(x)))
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == np.float32


def test_second_derivatives_through_a_small_cnn():
    """A gradient penalty: d/dw of |d loss/d x|^2 through conv, relu, max and average pooling."""
    def net(x, w, b):
        h = max_pool2d(conv2d(x, w, b, stride=1, padding=1).relu(), 2, stride=1)
        return avg_pool2d(h, 2, padding=1)

    inputs = (randn(1, 2, 4, 4, requires_grad=True), randn(3, 2, 3, 3, requires_grad=True),
              randn(3, requires_grad=True))
    assert gradgradcheck(net, inputs)
    x, w, b = inputs
    (gx,) = autograd.grad(net(x, w, b).sum(), x, create_graph=True)
    (gx * gx).sum().backward()
    assert w.grad.shape == w.shape and np.abs(w.grad.data).max() > 0


def test_conv_and_pool_errors_are_clear():
    x = randn(1, 3, 5, 5)
    with pytest.raises(ValueError, match=r"input shape \(1, 3, 5, 5\) has 3 channels but weight "
                                         r"shape \(2, 4, 3, 3\) expects 4"):
        conv2d(x, randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv2d(x, randn(2, 3, 6, 6))
    with pytest.raises(ValueError, match=r"bias shape \(3,\)"):
        conv2d(x, randn(2, 3, 3, 3), randn(3))
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        max_pool2d(randn(5, 5), 2)
    with pytest.raises(ValueError, match="at most half"):
        avg_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        MaxPool2d(6)(x)


# --- RNN and LSTM -------------------------------------------------------------------

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_state(module):
    return {name: value.numpy() for name, value in module.state_dict().items()}


def lstm_numpy(x, state_dict, num_layers, h0, c0):
    """PyTorch's LSTM equations, batch-first, one step at a time (gate order i, f, g, o)."""
    sequence, h_n, c_n = x, [], []
    for k in range(num_layers):
        w_ih, w_hh = state_dict[f"weight_ih_l{k}"], state_dict[f"weight_hh_l{k}"]
        b = state_dict[f"bias_ih_l{k}"] + state_dict[f"bias_hh_l{k}"]
        size = w_hh.shape[1]
        h, c, outputs = h0[k], c0[k], []
        for t in range(sequence.shape[1]):
            z = sequence[:, t] @ w_ih.T + h @ w_hh.T + b
            i, f = sigmoid(z[:, :size]), sigmoid(z[:, size:2 * size])
            g, o = np.tanh(z[:, 2 * size:3 * size]), sigmoid(z[:, 3 * size:])
            c = f * c + i * g
            h = o * np.tanh(c)
            outputs.append(h)
        sequence = np.stack(outputs, axis=1)
        h_n.append(h)
        c_n.append(c)
    return sequence, np.stack(h_n), np.stack(c_n)


def rnn_numpy(x, state_dict, num_layers, h0, activation):
    sequence, h_n = x, []
    for k in range(num_layers):
        w_ih, w_hh = state_dict[f"weight_ih_l{k}"], state_dict[f"weight_hh_l{k}"]
        b = state_dict[f"bias_ih_l{k}"] + state_dict[f"bias_hh_l{k}"]
        h, outputs = h0[k], []
        for t in range(sequence.shape[1]):
            h = activation(sequence[:, t] @ w_ih.T + h @ w_hh.T + b)
            outputs.append(h)
        sequence = np.stack(outputs, axis=1)
        h_n.append(h)
    return sequence, np.stack(h_n)


def test_rnn_and_lstm_parameters_follow_pytorch():
    autograd.manual_seed(1)
    lstm = LSTM(3, 5, num_layers=2)
    shapes = {name: p.shape for name, p in lstm.named_parameters()}
    assert shapes == {"weight_ih_l0": (20, 3), "weight_hh_l0": (20, 5), "bias_ih_l0": (20,),
                      "bias_hh_l0": (20,), "weight_ih_l1": (20, 5), "weight_hh_l1": (20, 5),
                      "bias_ih_l1": (20,), "bias_hh_l1": (20,)}
    bound = 1 / np.sqrt(5)
    assert all(np.abs(p.numpy()).max() <= bound for p in lstm.parameters())
    rnn = RNN(3, 4, bias=False)
    assert [n for n, _ in rnn.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert rnn.weight_ih_l0.shape == (4, 3)
    assert not rnn.batch_first  # PyTorch's default: time-major input
    assert repr(lstm) == "LSTM(3, 5, num_layers=2)"
    relu = RNN(3, 4, nonlinearity="relu", batch_first=True)
    assert repr(relu) == "RNN(3, 4, nonlinearity='relu', batch_first=True)"


@pytest.mark.parametrize("batch_first", [True, False])
def test_rnn_and_lstm_output_shapes(batch_first):
    x = randn(2, 6, 3) if batch_first else randn(6, 2, 3)
    seq = (2, 6, 4) if batch_first else (6, 2, 4)
    output, h_n = RNN(3, 4, num_layers=3, batch_first=batch_first)(x)
    assert output.shape == seq and h_n.shape == (3, 2, 4)
    output, (h_n, c_n) = LSTM(3, 4, num_layers=2, batch_first=batch_first)(x)
    assert output.shape == seq and h_n.shape == c_n.shape == (2, 2, 4)
    np.testing.assert_allclose(output.numpy()[(slice(None), -1) if batch_first else -1], h_n.numpy()[-1])


def test_unbatched_input_and_given_initial_state():
    lstm = LSTM(3, 4, num_layers=2)
    h0, c0 = randn(2, 4), randn(2, 4)
    output, (h_n, c_n) = lstm(randn(5, 3), (h0, c0))
    assert output.shape == (5, 4) and h_n.shape == c_n.shape == (2, 4)
    output, h_n = RNN(3, 4)(randn(5, 3))
    assert output.shape == (5, 4) and h_n.shape == (1, 4)


def test_rnn_errors():
    with pytest.raises(RuntimeError, match="Expected 3, got 4"):
        RNN(3, 4)(randn(2, 5, 4))
    with pytest.raises(ValueError, match="2D .* or 3D"):
        RNN(3, 4)(randn(2, 5, 3, 1))
    with pytest.raises(RuntimeError, match=r"hx should also be 3-D"):
        RNN(3, 4)(randn(2, 5, 3), randn(5, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 5, 4\), got \(1, 2, 4\)"):
        RNN(3, 4)(randn(2, 5, 3), randn(1, 2, 4))
    with pytest.raises(TypeError, match="tuple"):
        LSTM(3, 4)(randn(2, 5, 3), randn(1, 5, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(TypeError, match="floating point"):
        RNN(3, 4)(Tensor(np.ones((2, 5, 3), dtype=np.int64)))


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lstm_matches_numpy_equations_step_by_step(num_layers):
    lstm = LSTM(3, 4, num_layers=num_layers, batch_first=True).double()
    shapes = [(2, 5, 3), (num_layers, 2, 4), (num_layers, 2, 4)]
    x, h0, c0 = (RNG.standard_normal(s) for s in shapes)
    output, (h_n, c_n) = lstm(Tensor(x), (Tensor(h0), Tensor(c0)))
    expected = lstm_numpy(x, numpy_state(lstm), num_layers, h0, c0)
    for got, want in zip((output, h_n, c_n), expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    # each prefix of the sequence gives the same states: step t only sees steps <= t
    short, _ = lstm(Tensor(x[:, :3]), (Tensor(h0), Tensor(c0)))
    np.testing.assert_allclose(short.numpy(), output.numpy()[:, :3], rtol=1e-12)


def test_lstm_gate_order_is_input_forget_cell_output():
    """Zero weights, biases that shut the input gate and open the forget gate: c carries over."""
    lstm = LSTM(2, 3, batch_first=True).double()
    for p in lstm.parameters():
        nn_init.zeros_(p)
    bias = lstm.bias_ih_l0.numpy()  # shares the parameter's memory
    bias[:3] = -50.0  # i = 0
    bias[3:6] = 50.0  # f = 1
    bias[9:] = 50.0  # o = 1
    c0 = RNG.standard_normal((1, 1, 3))
    _, (h_n, c_n) = lstm(randn(1, 4, 2), (Tensor(np.zeros((1, 1, 3))), Tensor(c0)))
    np.testing.assert_allclose(c_n.numpy(), c0, rtol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), np.tanh(c0), rtol=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_matches_numpy_equations(nonlinearity):
    rnn = RNN(3, 4, num_layers=2, nonlinearity=nonlinearity, batch_first=True).double()
    x, h0 = RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 2, 4))
    output, h_n = rnn(Tensor(x), Tensor(h0))
    activation = np.tanh if nonlinearity == "tanh" else (lambda z: np.maximum(z, 0))
    expected = rnn_numpy(x, numpy_state(rnn), 2, h0, activation)
    np.testing.assert_allclose(output.numpy(), expected[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.numpy(), expected[1], rtol=1e-12, atol=1e-12)


def test_rnn_gradcheck_through_time():
    rnn = RNN(2, 3, num_layers=2, batch_first=True)
    fn, params = module_function(rnn, 2, flatten=lambda out: out)
    assert gradcheck(fn, (randn(2, 4, 2, requires_grad=True), randn(2, 2, 3, requires_grad=True))
                     + params)


def test_lstm_gradcheck_through_time():
    lstm = LSTM(2, 3, num_layers=2, batch_first=False)

    def flatten(out):
        output, (h_n, c_n) = out
        return output, h_n, c_n

    fn, params = module_function(lstm, 2, flatten)
    h0, c0 = randn(2, 2, 3, requires_grad=True), randn(2, 2, 3, requires_grad=True)
    assert gradcheck(lambda x, h, c, *ps: fn(x, (h, c), *ps),
                     (randn(3, 2, 2, requires_grad=True), h0, c0) + params)


# --- PyTorch parity (skipped unless torch is installed) -----------------------------

@pytest.mark.parametrize("batch_first", [True, False])
def test_lstm_loads_a_pytorch_state_dict(batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    reference = torch.nn.LSTM(3, 4, num_layers=2, batch_first=batch_first).double()
    lstm = LSTM(3, 4, num_layers=2, batch_first=batch_first)
    lstm.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    lstm.double()
    x = RNG.standard_normal((2, 5, 3) if batch_first else (5, 2, 3))
    h0, c0 = RNG.standard_normal((2, 2, 4)), RNG.standard_normal((2, 2, 4))
    x_torch = torch.tensor(x, requires_grad=True)
    want, (want_h, want_c) = reference(x_torch, (torch.tensor(h0), torch.tensor(c0)))
    x_ours = Tensor(x, requires_grad=True)
    got, (got_h, got_c) = lstm(x_ours, (Tensor(h0), Tensor(c0)))
    for a, b in [(got, want), (got_h, want_h), (got_c, want_c)]:
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    (want.sum() + want_c.sum()).backward()
    (got.sum() + got_c.sum()).backward()
    np.testing.assert_allclose(x_ours.grad.data, x_torch.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, param in reference.named_parameters():
        np.testing.assert_allclose(getattr(lstm, name).grad.data, param.grad.numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_rnn_loads_a_pytorch_state_dict():
    torch = pytest.importorskip("torch")
    reference = torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True).double()
    rnn = RNN(3, 4, num_layers=2, nonlinearity="relu", batch_first=True)
    rnn.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = RNG.standard_normal((2, 5, 3))
    want, want_h = reference(torch.tensor(x))
    got, got_h = rnn.double()(Tensor(x))
    np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_h.data, want_h.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), ((2, 1), (1, 0))])
def test_conv_and_pools_match_pytorch(stride, padding):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, w, b = (RNG.standard_normal(s) for s in [(2, 3, 7, 6), (4, 3, 3, 2), (4,)])
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ox, ow, ob = (Tensor(a, requires_grad=True) for a in (x, w, b))
    cases = [
        (F.conv2d(tx, tw, tb, stride, padding), conv2d(ox, ow, ob, stride, padding)),
        (F.max_pool2d(tx, 3, stride, padding), max_pool2d(ox, 3, stride, padding)),
        (F.avg_pool2d(tx, (3, 2), stride, padding), avg_pool2d(ox, (3, 2), stride, padding)),
    ]
    for want, got in cases:
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-10, atol=1e-12)
        seed = RNG.standard_normal(want.shape)
        want.backward(torch.tensor(seed))
        got.backward(seed)
    for ours, theirs in [(ox, tx), (ow, tw), (ob, tb)]:
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_loads_a_pytorch_state_dict():
    torch = pytest.importorskip("torch")
    reference = torch.nn.Conv2d(2, 3, (3, 2), stride=2, padding=1).double()
    conv = Conv2d(2, 3, (3, 2), stride=2, padding=1)
    conv.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = RNG.standard_normal((2, 2, 5, 5))
    np.testing.assert_allclose(conv.double()(Tensor(x)).data,
                               reference(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
