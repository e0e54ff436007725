"""``F.pad`` and ``F.adaptive_avg_pool2d`` (re-exported by ``nn.functional``): compositions of ops.

``pad`` in constant mode is the ``pad`` op (plus a slice where a width is negative: a
crop, as PyTorch); the other modes gather each padded dim through an integer index, so
their backward (``scatter_add``) adds up the gradient of every copy of an element.
"""
import numpy as np

from autograd import Tensor, as_tensor
from autograd.conv_ops import avg_pool2d
from autograd.ops import PAD

PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_widths(pad, ndim):
    """``[(dim, before, after), ...]`` from PyTorch's last-dim-first ``pad`` tuple."""
    try:
        widths = [int(w) for w in pad]
        exact = all(int(w) == w and not isinstance(w, (bool, float)) for w in pad)
    except (TypeError, ValueError):
        exact = False
    if not exact or len(widths) % 2:
        raise ValueError(f"pad: pad must be a sequence of an even number of ints (before, after "
                         f"for the last dim, then the one before...), got pad={pad!r}")
    if len(widths) // 2 > ndim:
        raise ValueError(f"pad: pad={tuple(widths)} pads {len(widths) // 2} dims, but the input "
                         f"has only {ndim}")
    return [(ndim - 1 - i, widths[2 * i], widths[2 * i + 1]) for i in range(len(widths) // 2)]


def _pad_constant(input, widths, value):
    """Pad with ``value``, then crop where a width is negative (PyTorch's negative padding)."""
    spread, crop = [(0, 0)] * input.ndim, [slice(None)] * input.ndim
    for dim, before, after in widths:
        size = input.shape[dim] + before + after
        if size < 0:
            raise ValueError(f"pad: the input size {input.shape[dim]}, plus padding {before} and "
                             f"{after}, gives a negative size {size} in dim {dim} (input shape "
                             f"{input.shape})")
        spread[dim] = (max(before, 0), max(after, 0))
        crop[dim] = slice(max(-before, 0), max(-before, 0) + size)
    out = PAD(input, pad_width=tuple(spread), value=value)
    return out[tuple(crop)] if any(b < 0 or a < 0 for _, b, a in widths) else out


def _source_index(mode, size, before, after):
    """For each padded position along one dim, the input position it copies."""
    at = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(at, 0, size - 1)
    if mode == "circular":
        return at % size
    at = np.abs(at)  # reflect: mirror at both edges, the edge itself not repeated
    return np.where(at >= size, 2 * (size - 1) - at, at)


def _check_mode_widths(mode, shape, dim, before, after):
    size, bad = shape[dim], None
    if before < 0 or after < 0:
        bad = "must be >= 0 (only mode='constant' crops)"
    elif mode == "reflect" and max(before, after) >= size:
        bad = f"must be less than the input size {size} in that dim"
    elif mode == "circular" and max(before, after) > size:
        bad = f"must be at most the input size {size} in that dim (it would wrap around twice)"
    elif mode == "replicate" and size == 0 and before + after:
        bad = "needs a non-empty dim to copy"
    if bad:
        raise ValueError(f"pad: mode={mode!r} padding ({before}, {after}) of dim {dim} {bad} "
                         f"(input shape {shape})")


def pad(input, pad, mode="constant", value=None):
    """Return ``input`` padded as PyTorch's ``F.pad``: ``pad`` pairs widths from the last dim on.

    ``pad=(left, right)`` pads the last dim, ``(left, right, top, bottom)`` the last two, and
    so on. ``mode="constant"`` fills with ``value`` (default 0) and crops where a width is
    negative; ``"reflect"`` mirrors (edge not repeated), ``"replicate"`` repeats the edge,
    ``"circular"`` wraps around; these take no ``value``. Differentiable in every mode.

    Example: ``pad(x, (1, 1, 2, 0))`` adds a column on each side and two rows on top.
    """
    input = as_tensor(input)
    widths = _pad_widths(pad, input.ndim)
    if mode == "constant":
        return _pad_constant(input, widths, 0 if value is None else value)
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {PAD_MODES}, got mode={mode!r}")
    if value is not None and value != 0:
        raise ValueError(f"pad: mode={mode!r} takes no value (got value={value!r})")
    out = input
    for dim, before, after in widths:
        _check_mode_widths(mode, input.shape, dim, before, after)
        if before or after:
            index = _source_index(mode, input.shape[dim], before, after)
            out = out[(slice(None),) * dim + (index,)]
    return out


def _output_size(output_size, size):
    """``output_size`` (an int or a pair; None keeps the input's size) as a pair of ints."""
    pair = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else output_size
    if len(pair) != 2 or any(n is not None and (isinstance(n, bool) or not isinstance(n, int)
                                                or n < 1) for n in pair):
        raise ValueError(f"adaptive_avg_pool2d: output_size must be a positive int or a pair of "
                         f"positive ints (or None), got output_size={output_size!r}")
    return tuple(size[a] if n is None else n for a, n in enumerate(pair))


def _averaging_matrix(size, out, dtype):
    """``(out, size)``: row i averages positions floor(i size / out) .. ceil((i + 1) size / out)."""
    start = np.arange(out) * size // out
    end = -(-(np.arange(out) + 1) * size // out)
    at = np.arange(size)
    inside = (at >= start[:, None]) & (at < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def adaptive_avg_pool2d(input, output_size):
    """Return the mean over PyTorch's adaptive windows, shape ``(..., OH, OW)``.

    Shape: ``(N, C, H, W)`` or ``(C, H, W)``; ``output_size`` an int or a pair, None keeping
    that size. Window i of a dim of size H spans ``floor(i H / OH)`` to ``ceil((i + 1) H /
    OH)`` (overlapping when OH does not divide H), as PyTorch. Sizes that divide evenly run
    ``avg_pool2d``; others two matmuls with the averaging matrices.
    """
    x = as_tensor(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) "
                         f"input, got shape {x.shape}")
    (h, w), (out_h, out_w) = x.shape[-2:], _output_size(output_size, x.shape[-2:])
    if x.dtype.kind != "f":
        raise TypeError(f"adaptive_avg_pool2d: input must be floating point, got dtype {x.dtype}")
    if min(h, w) < 1:
        raise ValueError(f"adaptive_avg_pool2d: input of shape {x.shape} has an empty plane")
    if h % out_h == 0 and w % out_w == 0:
        return avg_pool2d(x, (h // out_h, w // out_w))
    rows = Tensor(_averaging_matrix(h, out_h, x.dtype))
    cols = Tensor(_averaging_matrix(w, out_w, x.dtype).T)
    return rows @ (x @ cols)
