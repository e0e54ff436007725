"""Whole-sequence LSTM, GRU and Elman recurrences: per step one ``h @ W_hh^T`` GEMM (BLAS)
and one pass of a cell kernel (``recurrent``) over the gate block; backward loops back
over time the same way, one kernel pass and one ``dz @ W_hh`` GEMM per step.

Shapes (time-major): ``xg`` ``(T, N, G * H)``, ``h0``/``c0`` ``(N, H)``, ``w_hh``
``(G * H, H)``, ``b_hh`` ``(G * H,)``; ``g`` has the forward output's shape. ``reverse``
runs time backwards (the second direction of a bidirectional layer): step ``t`` then
follows step ``t + 1`` and the outputs stay in time order.

What the backward drivers return, one array each, stacked on the time axis so that every
piece the caller needs is a contiguous view (the weight's gradient is then one GEMM):

- LSTM ``(T + 1, N, 4H)``: ``[:T]`` the gate pre-activations' gradients (= xg's);
  ``[T]`` ``[dh0 | dc0 | 0 | 0]``;
- GRU ``(2T + 1, N, 3H)``: ``[:T]`` xg's gradients, ``[T:2T]`` those of
  ``h W_hh^T + b_hh`` (they differ in the n block: b_hn sits inside ``r * (...)``),
  ``[2T]`` ``[dh0 | 0 | 0]``;
- RNN ``(T + 1, N, H)``: ``[:T]`` the pre-activations' gradients, ``[T]`` dh0.
"""
import numpy as np

from .recurrent import (
    gru_cell_backward,
    gru_cell_forward,
    lstm_cell_backward,
    lstm_cell_forward,
    rnn_cell_backward,
    rnn_cell_forward,
)


def _steps(length, reverse):
    """``(t, previous t or -1)`` in the order the recurrence visits them."""
    if reverse:
        return [(t, t + 1 if t + 1 < length else -1) for t in range(length - 1, -1, -1)]
    return [(t, t - 1) for t in range(length)]


def _arrays(dtype, *arrays):
    """C-contiguous arrays of ``dtype`` (the cell kernels index rows of them)."""
    return [np.ascontiguousarray(a, dtype=dtype) for a in arrays]


def _transposed(w_hh, dtype):
    """``W_hh^T`` as a C-contiguous copy: ``h @ W_hh^T`` on it is ~25% faster (BLAS, 32 x 128
    x 512 float32: 24 us against 32 us on the transposed view); made once per sequence."""
    return np.ascontiguousarray(w_hh.T, dtype=dtype)


def lstm_sequence_forward(xg, h0, c0, w_hh, reverse=False):
    """``(out, (gates, tc))``: out ``(2, T, N, H)`` is ``[h_t; c_t]`` for every step, gates
    ``(T, N, 4H)`` each step's i, f, g, o and tc ``(T, N, H)`` tanh(c_t) (what backward reuses)."""
    xg, h0, c0 = _arrays(xg.dtype, xg, h0, c0)
    length, batch, size = xg.shape[0], xg.shape[1], h0.shape[1]
    out = np.empty((2, length, batch, size), xg.dtype)
    # one allocation for both (gates, then tanh c), each still contiguous per step: measured
    # in lstm_step, two allocations made glibc hand later large arrays fresh mmapped pages
    # (~1,600 page faults a training step, ~1 ms); one kept them on its heap (0 faults)
    saved = np.empty(length * batch * 5 * size, xg.dtype)
    gates = saved[:4 * saved.size // 5].reshape(length, batch, 4 * size)
    tc = saved[4 * saved.size // 5:].reshape(length, batch, size)
    hg, w_t = np.empty((batch, 4 * size), xg.dtype), _transposed(w_hh, xg.dtype)
    for t, prev in _steps(length, reverse):
        h, c = (h0, c0) if prev < 0 else (out[0, prev], out[1, prev])
        np.matmul(h, w_t, out=hg)
        lstm_cell_forward(xg[t], hg, c, gates[t], tc[t], out[0, t], out[1, t])
    return out, (gates, tc)


def lstm_sequence_backward(g, xg, h0, c0, w_hh, out, saved, reverse=False):
    """The LSTM backward block ``(T + 1, N, 4H)`` (see the module docstring) for ``g``
    ``(2, T, N, H)``, from the forward's ``out`` and ``saved`` (gates, tanh c)."""
    gates, tc = saved
    g, c0, w_hh = _arrays(xg.dtype, g, c0, w_hh)
    length, batch, size = xg.shape[0], xg.shape[1], c0.shape[1]
    block = np.empty((length + 1, batch, 4 * size), xg.dtype)  # every slab gets written
    dh, dc = np.zeros((batch, size), xg.dtype), np.zeros((batch, size), xg.dtype)
    for t, prev in reversed(_steps(length, reverse)):
        c_prev = c0 if prev < 0 else out[1, prev]
        lstm_cell_backward(g[0, t], g[1, t], dh, dc, gates[t], tc[t], c_prev, block[t])
        np.matmul(block[t], w_hh, out=dh)
    block[length, :, :size], block[length, :, size:2 * size] = dh, dc
    block[length, :, 2 * size:] = 0
    return block


def gru_sequence_forward(xg, h0, w_hh, b_hh, reverse=False):
    """``(out, act)``: out ``(T, N, H)`` every h_t, act ``(T, N, 4H)`` each step's r, z, n
    and ``W_hn h + b_hn``."""
    xg, h0, b_hh = _arrays(xg.dtype, xg, h0, b_hh)
    length, batch, size = xg.shape[0], xg.shape[1], h0.shape[1]
    out = np.empty((length, batch, size), xg.dtype)
    act = np.empty((length, batch, 4 * size), xg.dtype)
    hg, w_t = np.empty((batch, 3 * size), xg.dtype), _transposed(w_hh, xg.dtype)
    for t, prev in _steps(length, reverse):
        h = h0 if prev < 0 else out[prev]
        np.matmul(h, w_t, out=hg)
        gru_cell_forward(xg[t], hg, b_hh, h, act[t], out[t])
    return out, act


def gru_sequence_backward(g, xg, h0, w_hh, out, act, reverse=False):
    """The GRU backward block ``(2T + 1, N, 3H)`` (see the module docstring)."""
    g, h0, w_hh = _arrays(xg.dtype, g, h0, w_hh)
    length, batch, size = xg.shape[0], xg.shape[1], h0.shape[1]
    block = np.empty((2 * length + 1, batch, 3 * size), xg.dtype)
    dh, through_w = np.zeros((batch, size), xg.dtype), np.empty((batch, size), xg.dtype)
    for t, prev in reversed(_steps(length, reverse)):
        h_prev = h0 if prev < 0 else out[prev]
        gru_cell_backward(g[t], dh, act[t], h_prev, block[t], block[length + t])
        np.matmul(block[length + t], w_hh, out=through_w)
        dh += through_w
    block[2 * length, :, :size], block[2 * length, :, size:] = dh, 0
    return block


def rnn_sequence_forward(xg, h0, w_hh, relu=False, reverse=False):
    """Every h_t ``(T, N, H)`` of an Elman RNN (tanh, or relu with ``relu=True``)."""
    xg, h0 = _arrays(xg.dtype, xg, h0)
    length, batch, size = xg.shape[0], xg.shape[1], h0.shape[1]
    out = np.empty((length, batch, size), xg.dtype)
    hg, w_t = np.empty((batch, size), xg.dtype), _transposed(w_hh, xg.dtype)
    for t, prev in _steps(length, reverse):
        np.matmul(h0 if prev < 0 else out[prev], w_t, out=hg)
        rnn_cell_forward(xg[t], hg, out[t], relu)
    return out


def rnn_sequence_backward(g, xg, h0, w_hh, out, relu=False, reverse=False):
    """The Elman backward block ``(T + 1, N, H)`` (see the module docstring)."""
    g, w_hh = _arrays(xg.dtype, g, w_hh)
    length, batch, size = xg.shape[0], xg.shape[1], h0.shape[1]
    block = np.empty((length + 1, batch, size), xg.dtype)
    dh = np.zeros((batch, size), xg.dtype)
    for t, _ in reversed(_steps(length, reverse)):
        rnn_cell_backward(g[t], dh, out[t], block[t], relu)
        np.matmul(block[t], w_hh, out=dh)
    block[length] = dh
    return block
