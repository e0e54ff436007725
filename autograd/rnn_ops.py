"""Fused recurrent ops (LSTM, GRU, Elman RNN): one node per layer and direction.

Fused for speed: unrolled, each step of an LSTM records ~37 small ops. Here the input
projection of every step stays one GEMM outside (``nn.RNNBase``), and one op runs the whole
recurrence over time: per step one ``h @ W_hh^T`` GEMM and one kernel pass over the gate
block (``kernels.recurrent_sequence``), saving the activated gates for backward.

================================================  ==========================================
op (inputs)                                       output
================================================  ==========================================
``lstm_sequence(xg, h0, c0, w_hh)``               ``(2, T, N, H)``: ``[h_t; c_t]`` every step
``gru_sequence(xg, h0, w_hh, b_hh)``              ``(T, N, H)``: every h_t
``rnn_sequence(xg, h0, w_hh, nonlinearity)``      ``(T, N, H)``: every h_t (tanh or relu)
``*_sequence_backward(g, <the same inputs>)``     the backward block (``recurrent_sequence``)
================================================  ==========================================

``xg`` ``(T, N, G * H)`` is ``x W_ih^T + b_ih`` (LSTM and RNN: ``+ b_hh`` too; GRU's
``b_hn`` sits inside ``r * (W_hn h + b_hn)``, so GRU takes ``b_hh`` as an input). LSTM
returns h and c together so that c_n is an output like h_n, differentiable, and one op
serves both: ``out[0]`` is the layer's output, ``out[:, -1]`` its final state.

Each op's rule calls its backward op once (one kernel pass per step) and reads every
gradient off the block it returns: ``xg``'s is a view, ``w_hh``'s ONE GEMM over all
steps (the stacked gate gradients against the stacked previous hidden states), ``h0``'s
and ``c0``'s a slice. The backward ops' own rule (second order: HVPs through an LSTM)
differentiates the reference: ``lstm_cell``, ``gru_cell`` and ``rnn_*_cell`` below,
written with ordinary ops, are the one definition of the math; the kernels are their
fast implementation, checked against them by gradcheck of the backward ops (whose
numerical derivative runs the kernels and whose rule runs the reference). Second order
re-runs the reference step by step, so an HVP through an LSTM costs about what it did
unfused (1.3x: LSTM(32, 128), 35 steps, batch 32: 1.17 s against 0.87 s).
"""
import numpy as np

from .engine import grad
from .grad_mode import enable_grad
from .kernels.recurrent_sequence import (
    gru_sequence_backward,
    gru_sequence_forward,
    lstm_sequence_backward,
    lstm_sequence_forward,
    rnn_sequence_backward,
    rnn_sequence_forward,
)
from .node import Node
from .ops import CONCATENATE, MATMUL, RESHAPE, SUM, op, swap_last, unwrap
from .tensor import Tensor, stack

# --- the reference: one step with ordinary ops (xg = x W_ih^T + biases, hg = h W_hh^T) ---


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


CELLS = {"lstm": lstm_cell, "gru": gru_cell, "tanh": rnn_tanh_cell, "relu": rnn_relu_cell}
"""The reference step of each recurrence, by kind."""


def reference_sequence(kind, xg, state, w_hh, b_hh=None, reverse=False):
    """``(states, hgs)`` of the reference recurrence, in time order: per step the state tuple
    after it and its ``h W_hh^T (+ b_hh)``. Tensors in, Tensors out (a graph of small ops)."""
    length, w_t = xg.shape[0], w_hh.T
    states, hgs = [None] * length, [None] * length
    for t in (range(length - 1, -1, -1) if reverse else range(length)):
        hg = state[0] @ w_t
        hgs[t] = hg if b_hh is None else hg + b_hh
        state = states[t] = CELLS[kind](xg[t], hgs[t], state)
    return states, hgs


def _zeros(x, shape):
    return Tensor(np.zeros(shape, x.dtype))


def _reference_block(kind, g, xg, h0, *rest, reverse=False):
    """The backward block of the reference (the layout of ``recurrent_sequence``'s)."""
    batch, size = xg.shape[1], h0.shape[1]
    if kind == "lstm":
        c0, w_hh = rest
        states, _ = reference_sequence(kind, xg, (h0, c0), w_hh, reverse=reverse)
        out = stack([stack([s[0] for s in states]), stack([s[1] for s in states])])
        dxg, dh0, dc0 = grad(out, (xg, h0, c0), g, create_graph=True, allow_unused=True)
        last = CONCATENATE(dh0, dc0, _zeros(xg, (batch, 2 * size)), axis=-1)
        return CONCATENATE(dxg, RESHAPE(last, shape=(1, batch, 4 * size)), axis=0)
    w_hh, b_hh = rest if kind == "gru" else (rest[0], None)
    states, hgs = reference_sequence(kind, xg, (h0,), w_hh, b_hh, reverse)
    grads = grad(stack([s[0] for s in states]), (xg, h0) + tuple(hgs), g, create_graph=True,
                 allow_unused=True)
    if kind != "gru":
        return CONCATENATE(grads[0], RESHAPE(grads[1], shape=(1, batch, size)), axis=0)
    last = CONCATENATE(grads[1], _zeros(xg, (batch, 2 * size)), axis=-1)
    return CONCATENATE(grads[0], stack(grads[2:]), RESHAPE(last, shape=(1, batch, 3 * size)),
                       axis=0)


def _reference_vjp(kind, u, inputs, reverse):
    """The gradients of ``<u, reference block(inputs)>``, one per input.

    Raw arrays in (the fast path): fresh leaves, raw gradients out. Nodes in (create_graph):
    a view of each input, so the gradients are nodes on their graph (the next order), one
    per argument even where one node is passed twice (LSTM's h0 and c0)."""
    building = isinstance(u, Node)
    leaves = [RESHAPE(x, shape=x.shape) if building and x.requires_grad
              else Tensor(unwrap(x), requires_grad=True) for x in inputs]
    with enable_grad():
        block = _reference_block(kind, *leaves, reverse=reverse)
        grads = grad(block, leaves, u, create_graph=building, allow_unused=True)
    if building:
        return grads
    return tuple(None if d is None else d.raw for d in grads)


# --- reading the gradients off the backward block ----------------------------------------


def _previous_hidden(hs, h0, reverse):
    """``(T * N, H)``: the hidden state each step starts from (h0, then h_0, h_1, ...)."""
    length, batch, size = hs.shape
    first = RESHAPE(h0, shape=(1, batch, size))
    stacked = (CONCATENATE(hs[1:], first, axis=0) if reverse
               else CONCATENATE(first, hs[:length - 1], axis=0))
    return RESHAPE(stacked, shape=(length * batch, size))


def _weight_grad(dhg, hs, h0, reverse):
    """W_hh's gradient, ``sum_t dhg_t^T h_{t-1}``, as ONE GEMM over all steps."""
    length, batch, width = dhg.shape
    return MATMUL(swap_last(RESHAPE(dhg, shape=(length * batch, width))),
                  _previous_hidden(hs, h0, reverse))


def _lstm_rule(g, out, xg, h0, c0, w_hh, reverse=False, saved=None):
    cache = None if saved is None else (unwrap(out), saved)
    block = LSTM_SEQUENCE_BACKWARD(g, xg, h0, c0, w_hh, reverse=reverse, cache=cache)
    length, size = xg.shape[0], h0.shape[1]
    dz = block[:length]
    return (dz, block[length, :, :size], block[length, :, size:2 * size],
            _weight_grad(dz, out[0], h0, reverse))


def _gru_rule(g, out, xg, h0, w_hh, b_hh, reverse=False, saved=None):
    cache = None if saved is None else (unwrap(out), saved)
    block = GRU_SEQUENCE_BACKWARD(g, xg, h0, w_hh, b_hh, reverse=reverse, cache=cache)
    length, size = xg.shape[0], h0.shape[1]
    dhg = block[length:2 * length]
    return (block[:length], block[2 * length, :, :size], _weight_grad(dhg, out, h0, reverse),
            SUM(dhg, axis=(0, 1)))


def _rnn_rule(g, out, xg, h0, w_hh, nonlinearity="tanh", reverse=False):
    block = RNN_SEQUENCE_BACKWARD(g, xg, h0, w_hh, nonlinearity=nonlinearity, reverse=reverse,
                                  cache=unwrap(out))
    length = xg.shape[0]
    dz = block[:length]
    return dz, block[length], _weight_grad(dz, out, h0, reverse)


# --- the backward ops: kernels forward, the reference's derivative as their rule ---------


def _lstm_backward_forward(g, xg, h0, c0, w_hh, reverse=False, cache=None):
    out, saved = lstm_sequence_forward(xg, h0, c0, w_hh, reverse) if cache is None else cache
    return lstm_sequence_backward(g, xg, h0, c0, w_hh, out, saved, reverse)


def _gru_backward_forward(g, xg, h0, w_hh, b_hh, reverse=False, cache=None):
    out, act = gru_sequence_forward(xg, h0, w_hh, b_hh, reverse) if cache is None else cache
    return gru_sequence_backward(g, xg, h0, w_hh, out, act, reverse)


def _rnn_backward_forward(g, xg, h0, w_hh, nonlinearity="tanh", reverse=False, cache=None):
    relu = nonlinearity == "relu"
    out = rnn_sequence_forward(xg, h0, w_hh, relu, reverse) if cache is None else cache
    return rnn_sequence_backward(g, xg, h0, w_hh, out, relu, reverse)


LSTM_SEQUENCE_BACKWARD = op(
    "lstm_sequence_backward", _lstm_backward_forward, None,
    lambda u, out, *inputs, reverse=False, cache=None: _reference_vjp("lstm", u, inputs, reverse),
    "common")
GRU_SEQUENCE_BACKWARD = op(
    "gru_sequence_backward", _gru_backward_forward, None,
    lambda u, out, *inputs, reverse=False, cache=None: _reference_vjp("gru", u, inputs, reverse),
    "common")
RNN_SEQUENCE_BACKWARD = op(
    "rnn_sequence_backward", _rnn_backward_forward, None,
    lambda u, out, *inputs, nonlinearity="tanh", reverse=False, cache=None: _reference_vjp(
        nonlinearity, u, inputs, reverse),
    "common")

# --- the ops ------------------------------------------------------------------------------

LSTM_SEQUENCE = op("lstm_sequence", lstm_sequence_forward, None, _lstm_rule, "common",
                   saves=True)
GRU_SEQUENCE = op("gru_sequence", gru_sequence_forward, None, _gru_rule, "common", saves=True)
RNN_SEQUENCE = op(
    "rnn_sequence",
    lambda xg, h0, w_hh, nonlinearity="tanh", reverse=False: rnn_sequence_forward(
        xg, h0, w_hh, nonlinearity == "relu", reverse),
    None, _rnn_rule, "common")

# --- the functions: checked shapes, then one op ---------------------------------------------


def _check(name, gates, xg, h0, w_hh, c0=None, b_hh=None):
    """Raise ValueError naming the argument whose shape does not fit (T, N, G*H) / (N, H)."""
    if h0.ndim != 2:
        raise ValueError(f"{name}: h0 must be 2-D (N, H), got shape {h0.shape}")
    batch, size = h0.shape
    if xg.ndim != 3 or xg.shape[1:] != (batch, gates * size):
        raise ValueError(f"{name}: xg must be (T, N, {gates} * H) = (T, {batch}, {gates * size}) "
                         f"for h0 of shape {h0.shape}, got shape {xg.shape}")
    if xg.shape[0] == 0:
        raise ValueError(f"{name}: xg holds no time step (shape {xg.shape}); T must be >= 1")
    if w_hh.shape != (gates * size, size):
        raise ValueError(f"{name}: w_hh must be ({gates * size}, {size}), got shape {w_hh.shape}")
    if c0 is not None and c0.shape != h0.shape:
        raise ValueError(f"{name}: c0 must have h0's shape {h0.shape}, got shape {c0.shape}")
    if b_hh is not None and b_hh.shape != (gates * size,):
        raise ValueError(f"{name}: b_hh must be ({gates * size},), got shape {b_hh.shape}")


def lstm_sequence(xg, h0, c0, w_hh, reverse=False):
    """Return ``[h_t; c_t]`` of every step, ``(2, T, N, H)``, of an LSTM over ``xg``.

    Shape: xg ``(T, N, 4H)`` (``x W_ih^T + b_ih + b_hh``), h0 and c0 ``(N, H)``, w_hh
    ``(4H, H)``. ``reverse=True`` runs from the last step to the first (outputs stay in
    time order, the final state is then ``out[:, 0]``). One node; see the module docstring.
    """
    _check("lstm_sequence", 4, xg, h0, w_hh, c0=c0)
    return LSTM_SEQUENCE(xg, h0, c0, w_hh, reverse=bool(reverse))


def gru_sequence(xg, h0, w_hh, b_hh, reverse=False):
    """Return every h_t, ``(T, N, H)``, of a GRU over ``xg`` ``(T, N, 3H)`` (``x W_ih^T + b_ih``).

    Shape: h0 ``(N, H)``, w_hh ``(3H, H)``, b_hh ``(3H,)`` (zeros for a GRU without bias).
    """
    _check("gru_sequence", 3, xg, h0, w_hh, b_hh=b_hh)
    return GRU_SEQUENCE(xg, h0, w_hh, b_hh, reverse=bool(reverse))


def rnn_sequence(xg, h0, w_hh, nonlinearity="tanh", reverse=False):
    """Return every h_t, ``(T, N, H)``, of an Elman RNN: ``h_t = tanh(xg_t + h_{t-1} W_hh^T)``.

    ``nonlinearity`` is ``"tanh"`` or ``"relu"``; xg ``(T, N, H)`` (``x W_ih^T + b_ih + b_hh``).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', "
                         f"got {nonlinearity!r}")
    _check("rnn_sequence", 1, xg, h0, w_hh)
    return RNN_SEQUENCE(xg, h0, w_hh, nonlinearity=nonlinearity, reverse=bool(reverse))
