"""Kernels: plain functions on ndarrays and ints that never see a node.

Layout NCHW throughout: inputs ``(N, C, H, W)``, conv weights ``(O, C, kh, kw)``.
Each kernel is a pair: ``_name_loops``, explicit loops that are valid Python and fast
under Numba, and ``_name_numpy``, its vectorised twin and the reference. When Numba is
installed the loops are used, jitted on a kernel's first call (``njit(cache=True)``, so a
second process loads them from the cache instead of compiling; Numba itself is imported
only then), else the twin is used::

    _maxpool2d_fwd = _pick(_maxpool2d_fwd_loops, _maxpool2d_fwd_numpy)

``KISSGRAD_KERNELS=numpy`` (read once, at import) picks every twin, for debugging and
comparison; ``NUMBA_DISABLE_JIT=1`` runs the loops as plain Python. ``PAIRS`` lists
every kernel as (in use, loops, twin) for the tests. Plain GEMMs stay with BLAS (``np.matmul``): it is
the baseline to beat, and the convolution is laid out so that BLAS does its products.

Sizes follow PyTorch with ``ceil_mode=False``: an output has
``(H + 2 * padding - kh) // stride + 1`` rows, so trailing rows a window cannot
reach are left out (their gradient is zero).

The package re-exports every public name; the code lives in submodules:
``_backend`` (``KISSGRAD_KERNELS``, the optional Numba import, ``HAVE_NUMBA``,
``BACKEND``, ``PAIRS`` and ``_pick``), ``shapes`` (``pair``, output shapes, padding,
``window_view``: no kernels), ``conv`` (im2col and col2im, both kernel pairs, and the convolution),
``pooling`` (max and average pooling), ``elementwise`` (sigmoid, relu and tanh backward,
SGD's in-place ``add_scaled_``), ``optimizers`` (one-pass Adam/AdamW, RMSprop and Adagrad
updates), ``normalization`` (batch and layer norm statistics, forward and backward),
``recurrent`` (LSTM, GRU and RNN cell kernels), ``recurrent_sequence`` (their time loops:
one GEMM and the cell work per step), ``softmax`` (softmax cross-entropy) and ``scatter``
(``scatter_add_rows``).
"""
from ._backend import BACKEND, HAVE_NUMBA, KERNELS, PAIRS
from .conv import (
    col2im_nchw,
    conv2d_nchw_backward_input,
    conv2d_nchw_backward_weight,
    conv2d_nchw_forward,
    im2col_nchw,
)
from .elementwise import add_scaled_, relu_backward, sigmoid, tanh_backward
from .normalization import norm_backward_input, norm_backward_weight, norm_forward, norm_stats
from .optimizers import adagrad_step_, adam_step_, rmsprop_step_
from .pooling import (
    avgpool2d_nchw_backward,
    avgpool2d_nchw_forward,
    check_pool_padding,
    maxpool2d_nchw_backward,
    maxpool2d_nchw_forward,
    maxpool2d_nchw_select,
)
from .recurrent_sequence import (
    gru_sequence_backward,
    gru_sequence_forward,
    lstm_sequence_backward,
    lstm_sequence_forward,
    rnn_sequence_backward,
    rnn_sequence_forward,
)
from .scatter import scatter_add_rows
from .shapes import conv2d_output_shape, pair, pool_output_shape, window_view
from .softmax import softmax_cross_entropy_backward, softmax_cross_entropy_forward

__all__ = [
    "rnn_sequence_forward",
    "rnn_sequence_backward",
    "lstm_sequence_forward",
    "lstm_sequence_backward",
    "gru_sequence_forward",
    "gru_sequence_backward",
    "rmsprop_step_",
    "adam_step_",
    "adagrad_step_",
    "norm_stats",
    "norm_forward",
    "norm_backward_weight",
    "norm_backward_input",
    "sigmoid",
    "BACKEND",
    "HAVE_NUMBA",
    "KERNELS",
    "PAIRS",
    "add_scaled_",
    "avgpool2d_nchw_backward",
    "avgpool2d_nchw_forward",
    "check_pool_padding",
    "col2im_nchw",
    "conv2d_nchw_backward_input",
    "conv2d_nchw_backward_weight",
    "conv2d_nchw_forward",
    "conv2d_output_shape",
    "im2col_nchw",
    "maxpool2d_nchw_backward",
    "maxpool2d_nchw_forward",
    "maxpool2d_nchw_select",
    "pair",
    "pool_output_shape",
    "relu_backward",
    "scatter_add_rows",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
    "tanh_backward",
    "window_view",
]
