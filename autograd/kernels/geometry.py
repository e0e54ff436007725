"""Window geometry of convolution and pooling with dilation, groups and ceil_mode: no kernels here.

PyTorch's formulas: a window of ``k`` taps ``d`` apart spans ``d * (k - 1) + 1`` positions;
along an axis of ``size`` padded by ``p`` on both sides, windows moved by ``s`` number
``(size + 2p - span) // s + 1`` (``ceil_mode`` rounds up instead, but the last window must
start inside the input or the left padding). Every check raises ValueError naming the
argument and its value.
"""


def check_at_least(name, value, least, op):
    """Raise ValueError unless every entry of the pair ``value`` is >= ``least``."""
    if min(value) < least:
        raise ValueError(f"{op}: {name} must be >= {least}, got {name}={value}")


def span(kernel, dilation):
    """Positions one window covers along each axis: ``dilation * (kernel - 1) + 1``."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))


def window_count(size, kernel, stride, padding, dilation=1, ceil_mode=False):
    """How many windows fit along one axis (PyTorch's formula, ``ceil_mode`` included)."""
    room = size + 2 * padding - (dilation * (kernel - 1) + 1)
    count = (-(-room // stride) if ceil_mode else room // stride) + 1
    if ceil_mode and (count - 1) * stride >= size + padding:
        count -= 1  # a window starting in the right padding would hold no input
    return count


def pool2d_output_shape(x_shape, kernel, stride, padding, dilation=(1, 1), ceil_mode=False,
                        op="pool"):
    """Return ``(OH, OW)`` for ``kernel`` windows over the padded last two axes of ``x_shape``.

    Raises ValueError for a non-4-D input, kernel_size, stride or dilation below 1, negative
    padding, or a (dilated) kernel larger than the padded input.
    """
    if len(x_shape) != 4:
        raise ValueError(f"{op}: expected a 4-D (N, C, H, W) input, got shape {tuple(x_shape)}")
    check_at_least("kernel_size", kernel, 1, op)
    check_at_least("stride", stride, 1, op)
    check_at_least("padding", padding, 0, op)
    check_at_least("dilation", dilation, 1, op)
    height, width = x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1]
    reach = span(kernel, dilation)
    if reach[0] > height or reach[1] > width:
        dilated = "" if dilation == (1, 1) else f" with dilation {dilation} (span {reach})"
        raise ValueError(f"{op}: kernel {tuple(kernel)}{dilated} is larger than the padded input "
                         f"({height}, {width}) (input shape {tuple(x_shape)}, padding {padding})")
    return tuple(window_count(x_shape[2 + a], kernel[a], stride[a], padding[a], dilation[a],
                              ceil_mode) for a in range(2))


def conv2d_shape(x_shape, w_shape, stride, padding, dilation=(1, 1), groups=1):
    """Return a convolution's ``(N, O, OH, OW)``; ValueError naming both shapes if it has none.

    ``w_shape`` is ``(O, C // groups, kh, kw)``; ``O`` must be divisible by ``groups``.
    """
    if len(w_shape) != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels / groups, kh, kw), "
                         f"got shape {tuple(w_shape)}")
    if groups < 1 or w_shape[0] % groups:
        raise ValueError(f"conv2d: groups={groups} must be >= 1 and divide the weight's "
                         f"{w_shape[0]} output channels (weight shape {tuple(w_shape)})")
    if len(x_shape) == 4 and x_shape[1] != w_shape[1] * groups:
        per_group = "" if groups == 1 else f" ({w_shape[1]} per group times groups={groups})"
        raise ValueError(f"conv2d: input shape {tuple(x_shape)} has {x_shape[1]} channels but "
                         f"weight shape {tuple(w_shape)} expects {w_shape[1] * groups}{per_group}")
    out_h, out_w = pool2d_output_shape(x_shape, tuple(w_shape[2:]), stride, padding, dilation,
                                       op="conv2d")
    return x_shape[0], w_shape[0], out_h, out_w


def padded_extent(size, kernel, stride, padding, dilation, count):
    """Length the padded axis needs so that ``count`` windows fit: ``ceil_mode`` may need more
    than ``size + 2 * padding`` (the extra reads as padding on the right)."""
    return max(size + 2 * padding, (count - 1) * stride + dilation * (kernel - 1) + 1)
