"""RNN, LSTM and GRU with PyTorch's constructor, parameters, shapes and equations.

Backprop through time needs no special op: each step is a matmul, a few sigmoids or
tanhs and slices of the gate pre-activations, so the engine differentiates the unrolled
graph like any other. Each layer projects its whole input sequence with one ``linear``
(both biases folded in where the equations allow), then steps through time with one
``h @ W_hh^T`` per step; the hidden states are joined with one ``stack`` per direction.
"""
import math
import warnings

import numpy as np

from autograd import Tensor, as_tensor, concatenate, stack

from . import functional as F
from . import init
from .module import Module, Parameter


def rnn_tanh_cell(xg, hg, state):
    """``(h,)`` with ``h = tanh(xg + hg)``: xg = x W_ih^T + b_ih (+ b_hh), hg = h W_hh^T."""
    return ((xg + hg).tanh(),)


def rnn_relu_cell(xg, hg, state):
    """``(h,)`` with ``h = relu(xg + hg)``."""
    return ((xg + hg).relu(),)


def lstm_cell(xg, hg, state):
    """``(h, c)`` of one LSTM step; gate order is PyTorch's (input, forget, cell, output)::

        i, f, g, o = sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o),  z = xg + hg
        c' = f * c + i * g;   h' = o * tanh(c')
    """
    z, c = xg + hg, state[1]
    size = c.shape[-1]
    i, f, g, o = (z[..., k * size:(k + 1) * size] for k in range(4))
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_cell(xg, hg, state):
    """``(h,)`` of one GRU step; gate order is PyTorch's (reset, update, new)::

        r = sigmoid(xg_r + hg_r),  z = sigmoid(xg_z + hg_z)
        n = tanh(xg_n + r * hg_n)          (hg = h W_hh^T + b_hh: b_hn sits inside r * ...)
        h' = (1 - z) * n + z * h
    """
    h = state[0]
    size = h.shape[-1]
    r = (xg[..., :size] + hg[..., :size]).sigmoid()
    z = (xg[..., size:2 * size] + hg[..., size:2 * size]).sigmoid()
    n = (xg[..., 2 * size:] + r * hg[..., 2 * size:]).tanh()
    return (n + z * (h - n),)


def _time_steps(x):
    """The slices ``x[0], ..., x[L-1]`` of a (L, ...) Tensor, cut by halving.

    ``x[t]`` taken L times would cost O(L^2) in backward (each slice's gradient is
    scattered into a zero array the size of x); halving keeps it at O(L log L).
    """
    if x.shape[0] <= 4:
        return [x[t] for t in range(x.shape[0])]
    middle = x.shape[0] // 2
    return _time_steps(x[:middle]) + _time_steps(x[middle:])


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
    Not supported: LSTM's ``proj_size``, PackedSequence inputs.
    """

    gates = 1  # gate blocks stacked in each weight: 4 for LSTM, 3 for GRU
    state_size = 1  # tensors in the recurrent state: h, or (h, c) for LSTM
    fold_hh_bias = True  # b_hh can join b_ih outside the loop (not for GRU: r * (W_hn h + b_hn))

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

    def _cell(self, xg, hg, state):  # pragma: no cover - subclasses define it
        raise NotImplementedError

    def _run(self, input, hx):
        """Shared forward: (output, list of final-state tensors, each (layers * directions, N, H))."""
        x, batched = self._check_input(input)
        states = self._initial_states(hx, x, batched)
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes()):
                hidden, final = self._direction(x, states.pop(0), self._layer(layer, suffix),
                                                reverse=direction == 1)
                outputs.append(stack(hidden, 0))
                finals.append(final)
            x = outputs[0] if len(outputs) == 1 else concatenate(outputs, -1)
            if self.dropout and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, self.training)
        last = [stack([final[j] for final in finals], 0) for j in range(self.state_size)]
        if not batched:
            return x.squeeze(1), [h.squeeze(1) for h in last]
        return (x.permute(1, 0, 2) if self.batch_first else x), last

    def _direction(self, x, state, params, reverse):
        """One direction of one layer over x (L, N, in): ([h_t for each t, in time order], state)."""
        b_ih, b_hh = params.get("bias_ih"), params.get("bias_hh")
        if b_ih is not None and self.fold_hh_bias:
            b_ih, b_hh = b_ih + b_hh, None  # the two biases always appear summed: add them once
        xg = F.linear(x, params["weight_ih"], b_ih)  # every step's input projection at once
        w_hh = params["weight_hh"].T  # transposed once per sequence, not once per step
        steps, hidden = _time_steps(xg), [None] * x.shape[0]
        for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
            hg = state[0] @ w_hh
            state = self._cell(steps[t], hg if b_hh is None else hg + b_hh, state)
            hidden[t] = state[0]
        return hidden, state

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

    def _cell(self, xg, hg, state):
        return (rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell)(xg, hg, state)

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

    _cell = staticmethod(lstm_cell)

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
    _cell = staticmethod(gru_cell)

    def forward(self, input, hx=None):
        """Return ``(output, h_n)``: the top layer's h at every step, and every layer's last h."""
        output, (h_n,) = self._run(input, None if hx is None else (hx,))
        return output, h_n
