"""Kernels of the fused recurrent ops: one LSTM/GRU/RNN time step over the whole gate block.

Layout: time-major. ``xg`` ``(T, N, G * H)`` is every step's input projection (with the
biases that can be folded in), ``w_hh`` ``(G * H, H)``, states ``(N, H)``; gate order is
PyTorch's (LSTM i, f, g, o; GRU r, z, n). Each kernel is a pair: ``_name_loops``, one pass
over a step's ``(N, G * H)`` block (Numba), and ``_name_numpy``, its vectorised twin; the
public ``*_cell_*`` functions run one step with them. Kernels write into the arrays they
are given (rows of the sequence's buffers, so a sequence allocates its buffers once) and
return what they wrote. The ``*_sequence_*`` drivers that loop over time
(one ``h @ W_hh^T`` GEMM and one cell pass per step) live in ``recurrent_sequence``.

The transcendentals run as NumPy ufuncs over the whole gate block (one ``np.tanh`` per
step: NumPy's is SIMD, 4.5 us for 32 x 512 float32 against ~270 us for a scalar-libm loop
under Numba, which cannot vectorise ``math.exp``/``math.tanh`` without SVML); the loops do
the rest in one pass each (an Elman step needs none: ``np.add`` and ``np.tanh``). Sigmoid
is ``(1 + tanh(z / 2)) / 2``: it cannot overflow, and its error is a rounding of 1 in
absolute terms (sigmoid(z) for z < ~-17 is 0 in float32 instead of < 4e-8: a gate acts by
its absolute size). Constants take the arrays' dtype, so float32 stays float32.
"""
import numpy as np

from ._backend import _pick

# --- LSTM: gates holds [i, f, g, o] per step (N, 4H), tc tanh(c_t) (N, H) ---------------

def _lstm_gates_loops(xg, hg, gates):
    # the gates' pre-activations, the sigmoid gates' halved: one tanh then serves all four
    size, half = hg.shape[1] // 4, gates.dtype.type(0.5)  # constants of the arrays' dtype:
    for n in range(hg.shape[0]):                            # a float64 one promotes all
        for k in range(2 * size):
            gates[n, k] = (xg[n, k] + hg[n, k]) * half
        for k in range(2 * size, 3 * size):
            gates[n, k] = xg[n, k] + hg[n, k]
        for k in range(3 * size, 4 * size):
            gates[n, k] = (xg[n, k] + hg[n, k]) * half
    return gates


def _lstm_gates_numpy(xg, hg, gates):
    size = hg.shape[1] // 4
    np.add(xg, hg, out=gates)
    gates[:, :2 * size] *= 0.5
    gates[:, 3 * size:] *= 0.5
    return gates


def _lstm_cell_loops(gates, c_prev, c):
    # i, f, o hold tanh(z / 2): turned into sigmoid(z) = (1 + tanh(z / 2)) / 2
    size, half = c.shape[1], c.dtype.type(0.5)
    for n in range(c.shape[0]):
        for k in range(size):
            i = half + half * gates[n, k]
            f = half + half * gates[n, size + k]
            gates[n, k], gates[n, size + k] = i, f
            gates[n, 3 * size + k] = half + half * gates[n, 3 * size + k]
            c[n, k] = gates[n, size + k] * c_prev[n, k] + gates[n, k] * gates[n, 2 * size + k]
    return gates, c


def _lstm_cell_numpy(gates, c_prev, c):
    size = c.shape[1]
    for block in (gates[:, :2 * size], gates[:, 3 * size:]):
        block *= 0.5
        block += 0.5
    c[...] = gates[:, size:2 * size] * c_prev + gates[:, :size] * gates[:, 2 * size:3 * size]
    return gates, c


def _lstm_bwd_loops(gh, gc, dh, dc, gates, tc, c_prev, dz):
    # dh: the gradient h_t gets from step t+1; dc: c_t's from step t+1, overwritten with
    # c_{t-1}'s from this step (dc_t * f)
    size, one = dc.shape[1], dc.dtype.type(1)
    for n in range(dc.shape[0]):
        for k in range(size):
            i, f, g = gates[n, k], gates[n, size + k], gates[n, 2 * size + k]
            o, t = gates[n, 3 * size + k], tc[n, k]
            dh_t = gh[n, k] + dh[n, k]
            dc_t = gc[n, k] + dc[n, k] + dh_t * o * (one - t * t)
            dz[n, k] = dc_t * g * i * (one - i)
            dz[n, size + k] = dc_t * c_prev[n, k] * f * (one - f)
            dz[n, 2 * size + k] = dc_t * i * (one - g * g)
            dz[n, 3 * size + k] = dh_t * t * o * (one - o)
            dc[n, k] = dc_t * f
    return dc, dz


def _lstm_bwd_numpy(gh, gc, dh, dc, gates, tc, c_prev, dz):
    size = dc.shape[1]
    i, f, g, o = (gates[:, j * size:(j + 1) * size] for j in range(4))
    dh_t = gh + dh
    dc_t = gc + dc + dh_t * o * (1 - tc * tc)
    dz[:, :size] = dc_t * g * i * (1 - i)
    dz[:, size:2 * size] = dc_t * c_prev * f * (1 - f)
    dz[:, 2 * size:3 * size] = dc_t * i * (1 - g * g)
    dz[:, 3 * size:] = dh_t * tc * o * (1 - o)
    dc[...] = dc_t * f
    return dc, dz


# --- GRU: act holds [r, z, n, W_hn h + b_hn] per step (N, 4H) ----------------------------

def _gru_gates_loops(xg, hg, b_hh, act):
    # r's and z's pre-activations halved (for tanh), and W_hn h + b_hn
    size, half = act.shape[1] // 4, act.dtype.type(0.5)
    for n in range(hg.shape[0]):
        for k in range(2 * size):
            act[n, k] = (xg[n, k] + hg[n, k] + b_hh[k]) * half
        for k in range(2 * size, 3 * size):
            act[n, size + k] = hg[n, k] + b_hh[k]
    return act


def _gru_gates_numpy(xg, hg, b_hh, act):
    size = act.shape[1] // 4
    act[:, :2 * size] = (xg[:, :2 * size] + hg[:, :2 * size] + b_hh[:2 * size]) * 0.5
    act[:, 3 * size:] = hg[:, 2 * size:] + b_hh[2 * size:]
    return act


def _gru_new_loops(xg, act):
    # r and z from tanh(z / 2) to sigmoid(z); then n's pre-activation xg_n + r * (W_hn h + b_hn)
    size, half = act.shape[1] // 4, act.dtype.type(0.5)
    for n in range(act.shape[0]):
        for k in range(size):
            act[n, k] = half + half * act[n, k]
            act[n, size + k] = half + half * act[n, size + k]
            act[n, 2 * size + k] = xg[n, 2 * size + k] + act[n, k] * act[n, 3 * size + k]
    return act


def _gru_new_numpy(xg, act):
    size = act.shape[1] // 4
    act[:, :2 * size] *= 0.5
    act[:, :2 * size] += 0.5
    act[:, 2 * size:3 * size] = xg[:, 2 * size:] + act[:, :size] * act[:, 3 * size:]
    return act


def _gru_mix_loops(act, h_prev, h):
    size = h.shape[1]
    for n in range(h.shape[0]):
        for k in range(size):
            new = act[n, 2 * size + k]
            h[n, k] = new + act[n, size + k] * (h_prev[n, k] - new)
    return h


def _gru_mix_numpy(act, h_prev, h):
    size = h.shape[1]
    new = act[:, 2 * size:3 * size]
    h[...] = new + act[:, size:2 * size] * (h_prev - new)
    return h


def _gru_bwd_loops(gh, dh, act, h_prev, dxg, dhg):
    # dh: the gradient h_t gets from step t+1, overwritten with what h_{t-1} gets directly
    # (dh_t * z); the rest, dhg @ W_hh, the caller adds
    size, one = dh.shape[1], dh.dtype.type(1)
    for n in range(dh.shape[0]):
        for k in range(size):
            r, z, new, hn = act[n, k], act[n, size + k], act[n, 2 * size + k], act[n, 3 * size + k]
            dh_t = gh[n, k] + dh[n, k]
            dn = dh_t * (one - z) * (one - new * new)
            dr = dn * hn * r * (one - r)
            dzz = dh_t * (h_prev[n, k] - new) * z * (one - z)
            dxg[n, k], dxg[n, size + k], dxg[n, 2 * size + k] = dr, dzz, dn
            dhg[n, k], dhg[n, size + k], dhg[n, 2 * size + k] = dr, dzz, dn * r
            dh[n, k] = dh_t * z
    return dh, dxg, dhg


def _gru_bwd_numpy(gh, dh, act, h_prev, dxg, dhg):
    size = dh.shape[1]
    r, z, new, hn = (act[:, j * size:(j + 1) * size] for j in range(4))
    dh_t = gh + dh
    dn = dh_t * (1 - z) * (1 - new * new)
    dxg[:, :size] = dn * hn * r * (1 - r)
    dxg[:, size:2 * size] = dh_t * (h_prev - new) * z * (1 - z)
    dxg[:, 2 * size:] = dn
    dhg[:, :2 * size] = dxg[:, :2 * size]
    dhg[:, 2 * size:] = dn * r
    dh[...] = dh_t * z
    return dh, dxg, dhg


# --- Elman RNN (relu=False: tanh), nothing saved beyond h ---------------------------------

def _rnn_bwd_loops(gh, dh, h, dz, relu):
    # dh: the gradient h_t gets from step t+1; relu's subgradient at 0 is 0
    zero, one = dz.dtype.type(0), dz.dtype.type(1)
    for n in range(h.shape[0]):
        for k in range(h.shape[1]):
            dh_t = gh[n, k] + dh[n, k]
            if relu:
                dz[n, k] = dh_t if h[n, k] > 0 else dh_t * zero
            else:
                dz[n, k] = dh_t * (one - h[n, k] * h[n, k])
    return dz


def _rnn_bwd_numpy(gh, dh, h, dz, relu):
    dh_t = gh + dh
    dz[...] = dh_t * (h > 0) if relu else dh_t * (1 - h * h)
    return dz


_lstm_gates = _pick(_lstm_gates_loops, _lstm_gates_numpy)
_lstm_cell = _pick(_lstm_cell_loops, _lstm_cell_numpy)
_lstm_bwd = _pick(_lstm_bwd_loops, _lstm_bwd_numpy)
_gru_gates = _pick(_gru_gates_loops, _gru_gates_numpy)
_gru_new = _pick(_gru_new_loops, _gru_new_numpy)
_gru_mix = _pick(_gru_mix_loops, _gru_mix_numpy)
_gru_bwd = _pick(_gru_bwd_loops, _gru_bwd_numpy)
_rnn_bwd = _pick(_rnn_bwd_loops, _rnn_bwd_numpy)


def lstm_cell_forward(xg, hg, c_prev, gates, tc, h, c):
    """One LSTM step into ``gates`` (N, 4H: i, f, g, o), ``tc`` = tanh(c), ``h`` and ``c``."""
    _lstm_gates(xg, hg, gates)
    np.tanh(gates, out=gates)  # every gate's transcendental in one SIMD pass
    _lstm_cell(gates, c_prev, c)
    np.tanh(c, out=tc)
    np.multiply(gates[:, 3 * c.shape[1]:], tc, out=h)


def lstm_cell_backward(gh, gc, dh, dc, gates, tc, c_prev, dz):
    """One LSTM step back: ``dz`` (N, 4H) the gate pre-activations' gradient; ``dc`` becomes
    c_{t-1}'s gradient through this step."""
    _lstm_bwd(gh, gc, dh, dc, gates, tc, c_prev, dz)


def gru_cell_forward(xg, hg, b_hh, h_prev, act, h):
    """One GRU step into ``act`` (N, 4H: r, z, n, W_hn h + b_hn) and ``h`` (N, H)."""
    size = h.shape[1]
    _gru_gates(xg, hg, b_hh, act)
    np.tanh(act[:, :2 * size], out=act[:, :2 * size])
    _gru_new(xg, act)
    np.tanh(act[:, 2 * size:3 * size], out=act[:, 2 * size:3 * size])
    _gru_mix(act, h_prev, h)


def gru_cell_backward(gh, dh, act, h_prev, dxg, dhg):
    """One GRU step back into ``dxg`` and ``dhg`` (N, 3H); ``dh`` becomes dh_t * z."""
    _gru_bwd(gh, dh, act, h_prev, dxg, dhg)


def rnn_cell_forward(xg, hg, h, relu):
    """One Elman step: ``h = tanh(xg + hg)`` (or relu) into ``h``: two NumPy passes, which
    no kernel beats (NumPy's tanh is SIMD)."""
    np.add(xg, hg, out=h)
    if relu:
        np.maximum(h, 0, out=h)
    else:
        np.tanh(h, out=h)


def rnn_cell_backward(gh, dh, h, dz, relu):
    """One Elman step back: ``dz = (gh + dh) * tanh'`` (or relu's mask) into ``dz``."""
    _rnn_bwd(gh, dh, h, dz, relu)
