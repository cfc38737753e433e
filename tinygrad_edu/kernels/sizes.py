"""Output sizes of sliding-window ops (convolution and pooling), one spatial dim at a time.

A window of ``kernel_size`` taps spaced ``dilation`` apart spans
``dilation * (kernel_size - 1) + 1`` pixels. Sliding it with step ``stride`` over an
input padded by ``padding`` on both sides gives (PyTorch's arithmetic)::

    out = floor((size + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1

Pooling may round up instead (``ceil_mode=True``), which adds one more window when the
stride does not divide evenly; PyTorch drops that window again if it would *start*
beyond the input and its left padding (it would then see only right padding).
"""


def output_size(size, kernel_size, stride=1, padding=0, dilation=1, ceil_mode=False):
    """Number of window positions along one dim (ints in, int out), PyTorch's rule exactly.

    With ``ceil_mode`` the division rounds up, and a window may even be larger than the
    padded input (an input smaller than the window gives one window), as long as the
    last window starts inside the input or its left padding.
    """
    span = dilation * (kernel_size - 1) + 1
    room = size + 2 * padding - span  # how far the window's start may move (< 0: the window sticks out)
    if not ceil_mode:
        out = room // stride + 1
    else:
        out = -(-room // stride) + 1  # ceil division (Python's // floors negative numbers too)
        if (out - 1) * stride >= size + padding:  # last window would start in the right padding
            out -= 1
    if out < 1:
        raise ValueError(
            f"output_size: the window spans {span} pixels (kernel_size={kernel_size}, dilation={dilation}) "
            f"but the padded input has only {size + 2 * padding} (size={size}, padding={padding}): calculated "
            f"output size {out} is too small; use a smaller kernel or more padding"
            + ("" if ceil_mode else " (or ceil_mode=True, for pooling)")
        )
    return out
