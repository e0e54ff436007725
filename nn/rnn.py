"""RNN, LSTM and GRU with PyTorch's constructor, parameters, shapes and equations.

Each layer and direction is two nodes: one ``linear`` projects the whole input sequence
(both biases folded in where the equations allow), then one fused op
(``autograd.rnn_ops``: ``lstm_sequence``, ``gru_sequence``, ``rnn_sequence``) runs the
recurrence over time, one ``h @ W_hh^T`` GEMM and one kernel pass per step, and its
backward. The step functions (``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell``,
``rnn_relu_cell``, re-exported here) are the reference those ops are checked against.
"""
import math
import warnings

import numpy as np

from autograd import Tensor, as_tensor, concatenate, stack
from autograd.rnn_ops import (  # noqa: F401 (the reference cells, re-exported)
    gru_cell,
    gru_sequence,
    lstm_cell,
    lstm_sequence,
    reference_sequence,
    rnn_relu_cell,
    rnn_sequence,
    rnn_tanh_cell,
)

from . import functional as F
from . import init
from .module import Module, Parameter


def _check_size(name, what, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}: {what} must be an integer >= {minimum}, got {value!r}")


class RNNBase(Module):
    """What RNN, LSTM and GRU share: PyTorch's constructor, parameters, checks and time loop.

    Shape: ``forward(input, hx=None)``; ``D = 2 if bidirectional else 1``:

    - input ``(L, N, input_size)`` (``(N, L, input_size)`` with ``batch_first=True``) or
      unbatched ``(L, input_size)``;
    - ``h_0``/``h_n`` (and ``c_0``/``c_n``) ``(D * num_layers, N, hidden_size)``, unbatched
      ``(D * num_layers, hidden_size)``, zeros when not given; batch_first does not apply;
    - output ``(L, N, D * hidden_size)`` (batch_first: ``(N, L, ...)``): the last layer's h
      at every step, both directions concatenated (forward first).

    Parameters are PyTorch's, so its state dicts load as they are: ``weight_ih_l{k}``
    ``(G * hidden_size, in)`` (in = input_size for k = 0, else D * hidden_size),
    ``weight_hh_l{k}`` ``(G * hidden_size, hidden_size)``, ``bias_ih_l{k}``, ``bias_hh_l{k}``
    ``(G * hidden_size,)``, each also with ``_reverse`` when bidirectional; all drawn from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). G is 1 (RNN), 4 (LSTM) or 3 (GRU).
    ``dropout`` applies to the outputs of every layer but the last, in training mode only.
    Each layer and direction records two nodes (the input projection and one fused
    recurrence); set ``module.fused = False`` to record every step with small ops instead.
    Not supported: LSTM's ``proj_size``, PackedSequence inputs.
    """

    gates = 1  # gate blocks stacked in each weight: 4 for LSTM, 3 for GRU
    state_size = 1  # tensors in the recurrent state: h, or (h, c) for LSTM
    fold_hh_bias = True  # b_hh can join b_ih outside the loop (not for GRU: r * (W_hn h + b_hn))
    fused = True
    """False records every time step with ordinary ops (the reference cells, ~37 nodes a
    step for an LSTM): the same results, slower; for drawing backprop through time step by
    step (``draw_graph`` groups the steps), or for checking the fused ops."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_size(name, "input_size", input_size, 1)
        _check_size(name, "hidden_size", hidden_size, 1)
        _check_size(name, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between layers, so with num_layers=1 "
                          f"it does nothing", UserWarning, stacklevel=3)
        self.to(device=device)  # only checks that the device is the CPU
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        rows, directions = self.gates * hidden_size, 2 if bidirectional else 1
        for layer in range(num_layers):
            columns = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (rows, columns), "weight_hh": (rows, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(rows,), bias_hh=(rows,))
                for kind, shape in shapes.items():
                    setattr(self, f"{kind}_l{layer}{suffix}", Parameter(np.empty(shape, dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) (PyTorch's init)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def flatten_parameters(self):
        """Do nothing (PyTorch compacts weights for cuDNN here; kissgrad has no cuDNN)."""

    @property
    def all_weights(self):
        """Per layer and direction, the list ``[weight_ih, weight_hh, bias_ih, bias_hh]``."""
        return [list(self._layer(layer, suffix).values()) for layer in range(self.num_layers)
                for suffix in self._suffixes()]

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def _layer(self, layer, suffix):
        kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if self.bias else ("weight_ih",
                                                                                   "weight_hh")
        return {kind: getattr(self, f"{kind}_l{layer}{suffix}") for kind in kinds}

    # --- forward ----------------------------------------------------------------------

    def _sequence(self, x, state, params, reverse):
        """One direction of one layer over x (L, N, in): (every h_t (L, N, H), final state)."""
        xg = self._projected(x, params)
        b_hh = None if self.fold_hh_bias else params.get("bias_hh")
        if self.fused:
            return self._fused_sequence(xg, state, params["weight_hh"], b_hh, reverse)
        states, _ = reference_sequence(self._kind(), xg, state, params["weight_hh"], b_hh, reverse)
        return stack([s[0] for s in states]), states[0 if reverse else -1]

    def _kind(self):  # pragma: no cover - subclasses define it
        """The recurrence's name in ``autograd.rnn_ops.CELLS``."""
        raise NotImplementedError

    def _fused_sequence(self, xg, state, w_hh, b_hh, reverse):  # pragma: no cover - subclasses
        """(every h_t (L, N, H), final state) from the projected inputs, by one fused op."""
        raise NotImplementedError

    def _run(self, input, hx):
        """Shared forward: (output, list of final-state tensors, each (layers * directions, N, H))."""
        x, batched = self._check_input(input)
        states = self._initial_states(hx, x, batched)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes()):
                hidden, final = self._sequence(x, states.pop(0), self._layer(layer, suffix),
                                               reverse=direction == 1)
                outputs.append(hidden)
                finals.append(final)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, -1)
            if self.dropout and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        last = [stack([final[j] for final in finals], 0) for j in range(self.state_size)]
        if not batched:
            return x.squeeze(1), [h.squeeze(1) for h in last]
        return (x.permute(1, 0, 2) if self.batch_first else x), last

    def _projected(self, x, params):
        """Every step's input projection at once, ``x W_ih^T + b_ih (+ b_hh)``: one GEMM."""
        b_ih = params.get("bias_ih")
        if b_ih is not None and self.fold_hh_bias:
            b_ih = b_ih + params["bias_hh"]  # the two biases always appear summed: add them once
        return F.linear(x, params["weight_ih"], b_ih)

    def _check_input(self, input):
        """Input as a time-major (L, N, input_size) float Tensor, and whether it was batched."""
        name = type(self).__name__
        x = as_tensor(input)
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D (L, {self.input_size}) or 3D "
                             f"({'N, L' if self.batch_first else 'L, N'}, {self.input_size}) "
                             f"(batch_first={self.batch_first}), got {x.ndim}D of shape {x.shape}")
        if x.dtype.kind != "f":
            raise TypeError(f"{name}: input must be floating point, got dtype {x.dtype}")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]} (input shape {x.shape})")
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.permute(1, 0, 2)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: the input sequence is empty (shape {input.shape})")
        return x, batched

    def _initial_states(self, hx, x, batched):
        """Per layer and direction (in PyTorch's order), a tuple of state tensors (N, H)."""
        name, count = type(self).__name__, self.num_layers * len(self._suffixes())
        dtype = np.result_type(x.dtype, self.weight_hh_l0.dtype)
        if hx is None:
            zeros = Tensor(np.zeros((x.shape[1], self.hidden_size), dtype=dtype))
            return [(zeros,) * self.state_size for _ in range(count)]
        expected = (count, x.shape[1], self.hidden_size) if batched else (count, self.hidden_size)
        states = []
        for h in hx:
            h = as_tensor(h)
            if h.ndim != len(expected):
                raise RuntimeError(f"{name}: for {'batched 3' if batched else 'unbatched 2'}-D "
                                   f"input, hx should also be {len(expected)}-D but got "
                                   f"{h.ndim}-D tensor of shape {h.shape}")
            if h.shape != expected:
                raise RuntimeError(f"{name}: Expected hidden size {expected}, got {h.shape}")
            states.append(h if batched else h.unsqueeze(1))
        return [tuple(h[k] for h in states) for k in range(count)]

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        return text + (", bidirectional=True" if self.bidirectional else "")


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), G = 1.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``:
    PyTorch's signature and defaults (time-major input unless ``batch_first=True``).
    Returns ``(output, h_n)``.

    Example::

        rnn = nn.RNN(8, 16, num_layers=2)
        output, h_n = rnn(kissgrad.randn(10, 4, 8))   # (10, 4, 16), (2, 4, 16)

    Shapes and parameter layout: see ``RNNBase``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r} (use 'tanh' or 'relu')")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
        self.nonlinearity = nonlinearity

    def _kind(self):
        return self.nonlinearity

    def _fused_sequence(self, xg, state, w_hh, b_hh, reverse):
        hidden = rnn_sequence(xg, state[0], w_hh, self.nonlinearity, reverse)
        return hidden, (hidden[0 if reverse else -1],)

    def forward(self, input, hx=None):
        """Return ``(output, h_n)``: the top layer's h at every step, and every layer's last h."""
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory with PyTorch's equations and gate order (i, f, g, o), G = 4.

    Per step, with ``W_ih`` stacking ``[W_ii; W_if; W_ig; W_io]``::

        i = sigmoid(x W_ii^T + b_ii + h W_hi^T + b_hi)    f, o alike
        g = tanh(x W_ig^T + b_ig + h W_hg^T + b_hg)
        c' = f * c + i * g;    h' = o * tanh(c')

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)``; ``proj_size``
    other than 0 is not supported. ``forward(input, (h_0, c_0)=None)`` returns
    ``(output, (h_n, c_n))``.

    Example::

        lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
        output, (h_n, c_n) = lstm(kissgrad.randn(4, 10, 8))   # (4, 10, 16), (2, 4, 16) twice

    Shapes and parameter layout: see ``RNNBase``.
    """

    gates, state_size = 4, 2

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        if proj_size != 0:
            raise NotImplementedError(f"LSTM: proj_size={proj_size!r} is not supported (only 0)")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
        self.proj_size = 0

    def _kind(self):
        return "lstm"

    def _fused_sequence(self, xg, state, w_hh, b_hh, reverse):
        # one output holds h and c of every step: c_n is then an output like h_n
        out = lstm_sequence(xg, state[0], state[1], w_hh, reverse)
        last = out[:, 0 if reverse else -1]
        return out[0], (last[0], last[1])

    def forward(self, input, hx=None):
        """Return ``(output, (h_n, c_n))``; ``hx`` is ``(h_0, c_0)`` or None for zeros."""
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTM: the initial state must be a tuple (h_0, c_0), got "
                            f"{type(hx).__name__}")
        output, (h_n, c_n) = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit with PyTorch's equations and gate order (r, z, n), G = 3.

    Per step, with ``W_ih`` stacking ``[W_ir; W_iz; W_in]``::

        r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr)    z alike
        n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
        h' = (1 - z) * n + z * h

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, device=None, dtype=None)``. Returns ``(output, h_n)``.

    Example::

        gru = nn.GRU(8, 16, bidirectional=True)
        output, h_n = gru(kissgrad.randn(10, 4, 8))   # (10, 4, 32), (2, 4, 16)

    Shapes and parameter layout: see ``RNNBase``.
    """

    gates, fold_hh_bias = 3, False

    def _kind(self):
        return "gru"

    def _fused_sequence(self, xg, state, w_hh, b_hh, reverse):
        if b_hh is None:  # bias=False: b_hn's place inside r * (...) holds zeros
            b_hh = Tensor(np.zeros(3 * self.hidden_size, w_hh.dtype))
        hidden = gru_sequence(xg, state[0], w_hh, b_hh, reverse)
        return hidden, (hidden[0 if reverse else -1],)

    def forward(self, input, hx=None):
        """Return ``(output, h_n)``: the top layer's h at every step, and every layer's last h."""
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n
