"""RNN and LSTM with PyTorch's parameters, unrolled over time from ordinary ops.

Backprop through time needs no special op: each step is a few matmuls, a sigmoid
or tanh, and slices of the gate pre-activations, so the engine differentiates the
unrolled graph like any other. Steps are read with one ``getitem`` each from the
input and the outputs are joined with one ``stack``; the hidden states in between
are handed from layer to layer as a list, so backward stays linear in the length.
"""
import math

import numpy as np

from autograd import as_tensor, stack

from . import init
from .module import Module, Parameter


def rnn_step(gates, state, nonlinearity="tanh"):
    """Return ``(h,)``: ``h = tanh(gates)`` (or relu), gates = x W_ih^T + b_ih + h W_hh^T + b_hh."""
    return (gates.tanh() if nonlinearity == "tanh" else gates.relu(),)


def lstm_step(gates, state):
    """Return ``(h, c)`` of one LSTM step from the ``(N, 4H)`` gate pre-activations and ``(h, c)``.

    Gate order is PyTorch's (input, forget, cell, output)::

        i, f, g, o = sigmoid(gates_i), sigmoid(gates_f), tanh(gates_g), sigmoid(gates_o)
        c' = f * c + i * g;   h' = o * tanh(c')
    """
    c = state[1]
    size = c.shape[-1]
    i, f, g, o = (gates[:, k * size:(k + 1) * size] for k in range(4))
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def unroll(steps, state, weight_ih, weight_hh, bias, step):
    """Run one layer over ``steps`` (a list of ``(N, in)`` Tensors); return ([h_t...], final state).

    ``state`` is a tuple whose first entry is ``h``; ``step(gates, state)`` gives the next one.
    """
    w_ih, w_hh = weight_ih.T, weight_hh.T  # transposed once per sequence, not once per step
    hidden = []
    for x in steps:
        gates = x @ w_ih + state[0] @ w_hh
        state = step(gates if bias is None else gates + bias, state)
        hidden.append(state[0])
    return hidden, state


class _RNNBase(Module):
    """Parameters ``weight_ih_l{k} weight_hh_l{k} bias_ih_l{k} bias_hh_l{k}`` and the time loop."""

    gates = 1
    state_size = 1  # tensors in the recurrent state: h for RNN, (h, c) for LSTM

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True):
        super().__init__()
        if num_layers < 1 or hidden_size < 1 or input_size < 1:
            raise ValueError(f"{type(self).__name__}: input_size, hidden_size and num_layers must "
                             f"be >= 1; got {input_size}, {hidden_size}, {num_layers}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        rows = self.gates * hidden_size
        for k in range(num_layers):
            columns = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", Parameter(np.empty((rows, columns), np.float32)))
            setattr(self, f"weight_hh_l{k}", Parameter(np.empty((rows, hidden_size), np.float32)))
            if bias:
                setattr(self, f"bias_ih_l{k}", Parameter(np.empty(rows, np.float32)))
                setattr(self, f"bias_hh_l{k}", Parameter(np.empty(rows, np.float32)))
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every parameter from uniform(-1/sqrt(hidden), 1/sqrt(hidden)) (PyTorch's init)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _layer_params(self, k):
        bias = None
        if self.bias:  # the two biases always appear summed: add them once per sequence
            bias = getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
        return getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}"), bias

    def _run(self, x, hx, step):
        """Shared forward: returns (output, list of final state tensors, each (layers, N, H))."""
        name = type(self).__name__
        x = as_tensor(x)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (N, T, {self.input_size}) "
                             f"(batch_first={self.batch_first}) or unbatched "
                             f"(T, {self.input_size}); got {x.shape}")
        unbatched = x.ndim == 2
        time_axis = 1 if self.batch_first else 0
        if unbatched:
            x = x.unsqueeze(1 - time_axis)
            hx = None if hx is None else [as_tensor(h).unsqueeze(1) for h in hx]
        length, batch = x.shape[time_axis], x.shape[1 - time_axis]
        if length == 0:
            raise ValueError(f"{name}: the input sequence is empty (shape {x.shape})")
        states = self._initial_states(hx, batch, x.dtype)
        steps = [x[:, t] if self.batch_first else x[t] for t in range(length)]
        finals = []
        for k in range(self.num_layers):
            steps, final = unroll(steps, states[k], *self._layer_params(k), step)
            finals.append(final)
        output = stack(steps, axis=time_axis)
        last = [stack([final[j] for final in finals], axis=0) for j in range(self.state_size)]
        if unbatched:
            output = output.squeeze(1 - time_axis)
            last = [h.squeeze(1) for h in last]
        return output, last

    def _initial_states(self, hx, batch, dtype):
        """Per layer, a tuple of state tensors ``(N, H)``: from ``hx`` or zeros."""
        shape = (self.num_layers, batch, self.hidden_size)
        if hx is None:
            zeros = as_tensor(np.zeros(shape[1:], dtype=np.result_type(dtype, np.float32)))
            return [(zeros,) * self.state_size for _ in range(self.num_layers)]
        hx = [as_tensor(h) for h in hx]
        for h in hx:
            if h.shape != shape:
                raise ValueError(f"{type(self).__name__}: expected initial state of shape {shape}, "
                                 f"got {h.shape}")
        return [tuple(h[k] for h in hx) for k in range(self.num_layers)]

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            text += ", bias=False"
        return text + (", batch_first=True" if self.batch_first else "")


class RNN(_RNNBase):
    """Elman RNN, ``num_layers`` deep: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``.

    ``batch_first=True`` by default (input ``(N, T, input_size)``); PyTorch's default is
    False (``(T, N, input_size)``), which is also accepted. Parameters and their init are
    PyTorch's: ``weight_ih_l{k}`` ``(hidden, in)``, ``weight_hh_l{k}`` ``(hidden, hidden)``,
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(hidden,)``, all uniform(-1/sqrt(hidden), 1/sqrt(hidden)).
    No ``dropout`` or ``bidirectional``.

    Shape: ``forward(x, h0=None)`` -> ``(output, h_n)``: output ``(N, T, hidden)``,
    ``h0``/``h_n`` ``(num_layers, N, hidden)`` (zeros when ``h0`` is None); an unbatched
    ``(T, input_size)`` input gives ``(T, hidden)`` and ``(num_layers, hidden)``.

    Example::

        rnn = nn.RNN(8, 16)
        output, h_n = rnn(autograd.randn(4, 10, 8))   # (4, 10, 16), (1, 4, 16)
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=True):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (use 'tanh' or 'relu')")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first)
        self.nonlinearity = nonlinearity

    def forward(self, x, h0=None):
        """Return ``(output, h_n)``: every top-layer hidden state, and each layer's last one."""
        nonlinearity = self.nonlinearity
        output, (h_n,) = self._run(x, None if h0 is None else (h0,),
                                   lambda gates, state: rnn_step(gates, state, nonlinearity))
        return output, h_n


class LSTM(_RNNBase):
    """Long short-term memory, PyTorch's equations and gate order (input, forget, cell, output).

    Per step, with ``W_ih`` ``(4*hidden, in)`` stacking ``[W_ii; W_if; W_ig; W_io]``::

        i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)    f, o alike
        g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg)
        c' = f * c + i * g;    h' = o * tanh(c')

    ``batch_first=True`` by default (PyTorch's default is False, also accepted).
    Parameters as PyTorch's (so its ``state_dict`` arrays load as is), init
    uniform(-1/sqrt(hidden), 1/sqrt(hidden)). No ``dropout``, ``bidirectional`` or ``proj_size``.

    Shape: ``forward(x, (h0, c0)=None)`` -> ``(output, (h_n, c_n))``: output
    ``(N, T, hidden)``, states ``(num_layers, N, hidden)``; unbatched ``(T, in)`` works too.

    Example::

        lstm = nn.LSTM(8, 16, num_layers=2)
        output, (h_n, c_n) = lstm(autograd.randn(4, 10, 8))   # (4, 10, 16), (2, 4, 16) twice
    """

    gates = 4
    state_size = 2

    def forward(self, x, hx=None):
        """Return ``(output, (h_n, c_n))``; ``hx`` is ``(h0, c0)`` or None for zeros."""
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError("LSTM: the initial state must be a tuple (h0, c0)")
        output, (h_n, c_n) = self._run(x, hx, lstm_step)
        return output, (h_n, c_n)
