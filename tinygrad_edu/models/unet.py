"""U-Net (Ronneberger, Fischer & Brox 2015, "U-Net: convolutional networks for biomedical
image segmentation").

An encoder of ``depth`` stages (two 3x3 convolutions + ReLU, then a 2x2 max pool; the
width doubles each stage, 64 -> 128 -> 256 -> 512), a bottleneck (1024 channels), and a
decoder that mirrors it: a 2x2 up-convolution (transpose conv, stride 2) halves the
channels and doubles the size, the encoder's feature map of that scale is merged in, and
two 3x3 convolutions follow. A 1x1 convolution gives ``num_classes`` scores per pixel.

- ``padding=0`` (the paper): unpadded convolutions lose 2 pixels per side each, so the
  encoder's maps are larger than the decoder's and are *cropped* to the centre before they
  are concatenated ("copy and crop"); the output is smaller than the input (572 -> 388
  for depth 4), and only some input sizes work (each map to be pooled must be even).
  ``valid_sizes`` lists them. ``padding=1``: size-preserving convolutions; any size that is
  a multiple of 2^depth works and the output has the input's size.
- ``merge="concat"``: the decoder sees [skip, upsampled] (2x the channels), the paper's
  merge connection; ``merge="add"``: skip + upsampled, a skip connection as in ResNet
  (fewer weights; the lecture's contrast: adding can cancel information, concatenating cannot).

Parameters with the defaults (1 input channel, 2 classes, 64 features, depth 4):
31,030,658, the count of the paper's architecture (every conv with a bias, no BatchNorm).
"""
from ..nn.activation import ReLU
from ..nn.containers import ModuleList, Sequential
from ..nn.conv import Conv2d, ConvTranspose2d
from ..nn.module import Module
from ..nn.pooling import MaxPool2d
from ..ops.shape import cat
from .checks import check_images


def double_conv(in_channels, out_channels, padding):
    """(3x3 conv -> ReLU) twice: the unit of every U-Net stage."""
    return Sequential(Conv2d(in_channels, out_channels, 3, padding=padding), ReLU(),
                      Conv2d(out_channels, out_channels, 3, padding=padding), ReLU())


def center_crop(x, height, width):
    """The central height x width window of x (N, C, H, W): the paper's "crop"."""
    # BEGIN SOLUTION task 5.4
    top, left = (x.shape[2] - height) // 2, (x.shape[3] - width) // 2
    return x[:, :, top:top + height, left:left + width]
    # END SOLUTION


def merge_skip(skip, x, merge):
    """Join the encoder's map ``skip`` and the decoder's ``x`` (same N, H, W):
    ``merge="concat"``: cat([skip, x], dim=1), 2C channels (the U-Net's merge connection; the
    backward splits g along the channels: dskip = g[:, :C], dx = g[:, C:]);
    ``merge="add"``: skip + x, C channels (a ResNet-style skip connection; dskip = dx = g)."""
    # BEGIN SOLUTION task 4.6
    if merge == "concat":
        return cat([skip, x], dim=1)
    if merge == "add":
        return skip + x
    raise ValueError(f"unet: merge must be 'concat' or 'add', got {merge!r}")
    # END SOLUTION


def decoder_level(x, skip, up, stage, merge):
    """One decoder level of the U-Net: up-convolve x (``up``, a 2x2 stride-2 transposed
    convolution: half the channels, twice the size), crop the encoder's ``skip`` to the centre
    of that size (``center_crop``), merge the two (``merge_skip``) and apply ``stage`` (the
    double convolution)."""
    # BEGIN SOLUTION task 5.4
    x = up(x)
    skip = center_crop(skip, x.shape[2], x.shape[3])  # the identity when padding=1
    return stage(merge_skip(skip, x, merge))
    # END SOLUTION


def output_size(size, depth=4, padding=0):
    """The U-Net's output size for an input of ``size`` pixels (per side), or None when some
    map to be max-pooled has an odd size (or a map vanishes)."""
    shrink = 0 if padding else 4  # two unpadded 3x3 convolutions lose 4 pixels
    for _ in range(depth):
        size -= shrink
        if size <= 0 or size % 2:
            return None
        size //= 2
    size -= shrink  # bottleneck
    for _ in range(depth):
        size = 2 * size - shrink
    return size if size > 0 else None


def valid_sizes(depth=4, padding=0, up_to=1024):
    """Input sizes (per side) up to ``up_to`` that the U-Net accepts."""
    return [s for s in range(1, up_to + 1) if output_size(s, depth, padding)]


class UNet(Module):
    def __init__(self, in_channels=1, num_classes=2, features=64, depth=4, padding=0, merge="concat"):
        super().__init__()
        if merge not in ("concat", "add"):
            raise ValueError(f"unet: merge must be 'concat' or 'add', got {merge!r}")
        if padding not in (0, 1):
            raise ValueError(f"unet: padding must be 0 (the paper's valid convolutions) or 1 (same size), got {padding}")
        self.in_channels, self.depth, self.padding, self.merge = in_channels, depth, padding, merge
        widths = [features * 2 ** i for i in range(depth + 1)]  # 64, 128, 256, 512, 1024
        self.encoder = ModuleList()
        channels = in_channels
        for w in widths[:-1]:
            self.encoder.append(double_conv(channels, w, padding))
            channels = w
        self.pool = MaxPool2d(2)
        self.bottleneck = double_conv(widths[-2], widths[-1], padding)
        self.upconvs, self.decoder = ModuleList(), ModuleList()
        for w in reversed(widths[:-1]):
            self.upconvs.append(ConvTranspose2d(2 * w, w, kernel_size=2, stride=2))
            self.decoder.append(double_conv(2 * w if merge == "concat" else w, w, padding))
        self.head = Conv2d(widths[0], num_classes, kernel_size=1)

    def _check(self, x):
        check_images("unet", x, self.in_channels, "encoder.0 (the first convolution)")
        for size in x.shape[2:]:
            if not output_size(size, self.depth, self.padding):
                sizes = valid_sizes(self.depth, self.padding, max(x.shape[2:]) + 64)
                near = sorted(sizes, key=lambda s: (abs(s - size), s))[:2]
                rule = (f"multiples of {2 ** self.depth}" if self.padding else
                        f"sizes whose maps stay even before each of the {self.depth} max pools "
                        f"(unpadded 3x3 convolutions remove 4 pixels per stage)")
                raise ValueError(
                    f"unet: input of size {x.shape[2]}x{x.shape[3]} does not work with depth={self.depth}, "
                    f"padding={self.padding}: a 2x2 max pool in the encoder would get an odd-sized (or empty) map. "
                    f"Valid sizes are {rule}: the nearest to {size} are {sorted(near)}; smallest {sizes[0]}, "
                    f"e.g. {sizes[:6]}")

    def forward(self, x):
        self._check(x)
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for up, stage, skip in zip(self.upconvs, self.decoder, reversed(skips)):
            x = decoder_level(x, skip, up, stage, self.merge)
        return self.head(x)


def unet(in_channels=1, num_classes=2, features=64, depth=4, padding=0, merge="concat"):
    """The 2015 U-Net; returns per-pixel class scores (N, num_classes, H', W')."""
    return UNet(in_channels, num_classes, features, depth, padding, merge)
