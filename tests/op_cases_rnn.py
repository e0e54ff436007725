"""Gradient-check cases of the fused rnn ops (autograd/rnn_ops.py).

Tiny shapes (H = 2), so float64 gradcheck and gradgradcheck stay fast: one step, batch 1,
an empty batch, both directions, and a node copied by an in-place change (nothing saved,
so the rule runs the forward again). The backward ops are checked directly too: their
numerical derivative runs the kernels and their rule differentiates the reference cells,
so these cases check the kernels against the reference, to the second order.
"""
from op_cases import Case, copied_in_place

from autograd import rnn_ops as R


def _lstm_shapes(length, batch, size=2):
    return ((length, batch, 4 * size), (batch, size), (batch, size), (4 * size, size))


def _gru_shapes(length, batch, size=2):
    return ((length, batch, 3 * size), (batch, size), (3 * size, size), (3 * size,))


def _rnn_shapes(length, batch, size=2):
    return ((length, batch, size), (batch, size), (size, size))


def _with_g(shapes, g_shape):
    return (g_shape,) + shapes


SIZES = [(3, 2), (1, 1), (2, 0)]  # (T, N): a few steps, one step of batch 1, an empty batch


def _lstm(reverse=False):
    return lambda xg, h0, c0, w: R.lstm_sequence(xg, h0, c0, w, reverse=reverse)


def _gru(reverse=False):
    return lambda xg, h0, w, b: R.gru_sequence(xg, h0, w, b, reverse=reverse)


def _rnn(nonlinearity, reverse=False):
    return lambda xg, h0, w: R.rnn_sequence(xg, h0, w, nonlinearity, reverse=reverse)


CASES = [
    Case("lstm_sequence", _lstm(), shapes=[_lstm_shapes(*s) for s in SIZES]),
    Case("lstm_sequence", _lstm(reverse=True), shapes=[_lstm_shapes(3, 2)], label="reverse"),
    Case("lstm_sequence", lambda *a: copied_in_place(_lstm()(*a)), shapes=[_lstm_shapes(2, 2)],
         label="nothing-saved"),
    Case("lstm_sequence", _lstm(), shapes=[_lstm_shapes(2, 2)], domain=(-6.0, 6.0),
         label="saturated", atol=1e-4),
    Case("gru_sequence", _gru(), shapes=[_gru_shapes(*s) for s in SIZES]),
    Case("gru_sequence", _gru(reverse=True), shapes=[_gru_shapes(3, 2)], label="reverse"),
    Case("gru_sequence", lambda *a: copied_in_place(_gru()(*a)), shapes=[_gru_shapes(2, 2)],
         label="nothing-saved"),
    Case("rnn_sequence", _rnn("tanh"), shapes=[_rnn_shapes(*s) for s in SIZES], label="tanh"),
    Case("rnn_sequence", _rnn("tanh", reverse=True), shapes=[_rnn_shapes(3, 2)],
         label="tanh-reverse"),
    # relu's kink: inputs in (0.1, 1) keep every pre-activation away from 0
    Case("rnn_sequence", _rnn("relu"), shapes=[_rnn_shapes(*s) for s in SIZES], label="relu",
         domain=(0.1, 1.0)),
    Case("rnn_sequence", _rnn("relu", reverse=True), shapes=[_rnn_shapes(3, 2)],
         label="relu-reverse", domain=(0.1, 1.0)),
    Case("lstm_sequence_backward",
         lambda g, xg, h0, c0, w: R.LSTM_SEQUENCE_BACKWARD(g, xg, h0, c0, w),
         shapes=[_with_g(_lstm_shapes(t, n), (2, t, n, 2)) for t, n in SIZES]),
    Case("lstm_sequence_backward",
         lambda g, xg, h0, c0, w: R.LSTM_SEQUENCE_BACKWARD(g, xg, h0, c0, w, reverse=True),
         shapes=[_with_g(_lstm_shapes(2, 2), (2, 2, 2, 2))], label="reverse"),
    Case("gru_sequence_backward",
         lambda g, xg, h0, w, b: R.GRU_SEQUENCE_BACKWARD(g, xg, h0, w, b),
         shapes=[_with_g(_gru_shapes(t, n), (t, n, 2)) for t, n in SIZES]),
    Case("gru_sequence_backward",
         lambda g, xg, h0, w, b: R.GRU_SEQUENCE_BACKWARD(g, xg, h0, w, b, reverse=True),
         shapes=[_with_g(_gru_shapes(2, 2), (2, 2, 2))], label="reverse"),
    Case("rnn_sequence_backward",
         lambda g, xg, h0, w: R.RNN_SEQUENCE_BACKWARD(g, xg, h0, w),
         shapes=[_with_g(_rnn_shapes(t, n), (t, n, 2)) for t, n in SIZES], label="tanh"),
    Case("rnn_sequence_backward",
         lambda g, xg, h0, w: R.RNN_SEQUENCE_BACKWARD(g, xg, h0, w, nonlinearity="relu",
                                                      reverse=True),
         shapes=[_with_g(_rnn_shapes(2, 2), (2, 2, 2))], label="relu-reverse",
         domain=(0.1, 1.0)),
]
