"""``Upsample``: resize feature maps by a scale factor or to a size (nearest or
bilinear), e.g. in the decoder of a segmentation network."""
from ..ops.upsample import interpolate
from .module import Module


class Upsample(Module):
    """Calls ``interpolate(input, size, scale_factor, mode, align_corners)``.

        nearest:   y[n, c, i, j] = x[n, c, floor(i * H_in / H_out), floor(j * W_in / W_out)]
        bilinear:  y[n, c, i, j] = weighted sum of the 4 nearest input pixels,
                   weights (1 - |dy|)(1 - |dx|)

    Shape:
        - Input: (N, C, H_in, W_in)
        - Output: (N, C, H_out, W_out), (H_out, W_out) = size, or
          H_out = floor(H_in * scale_factor), W_out likewise

    Backward: ops/upsample.py (UpsampleNearest2d, UpsampleBilinear2d); loops in kernels/upsample.py.
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"
