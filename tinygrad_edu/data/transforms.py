"""Data augmentation on NCHW batches: flips, one affine warp (rotation, translation,
scaling / stretching, shearing), random crop with padding, Gaussian noise, normalisation.

Too little training data? Show the network the same images moved, turned, stretched and
sheared: the label does not change, so it must learn features that do not care.

Each transform is a small class called on a batch ``x`` of shape (N, C, H, W) (a single
(C, H, W) image works too) and draws *separate* random parameters for every image, from
its ``generator`` (a ``tge.Generator``; default: the framework's, so ``tge.manual_seed``
makes a run repeat)::

    augment = Compose([RandomAffine(degrees=10, translate=(0.1, 0.1)), GaussianNoise(0.05)])
    xb = augment(xb)

The arguments follow torchvision's. The work uses the array namespace of the input
(NumPy or CuPy) and is vectorised over the batch; the affine warp's sampling is a kernel
(kernels/warp.py), compiled loops for NumPy arrays. Augmentation is data preparation, not
part of the model: results are new tensors without autograd history.
"""
import numbers

import numpy as np

from .. import backend, kernels
from ..backend import get_array_module
from ..random import numpy_generator
from ..tensor import Tensor


# ----------------------------------------------------------------------------- helpers
def _as_batch(op, x):
    """The raw (N, C, H, W) array of ``x`` and a function that wraps a result like ``x``."""
    is_tensor = isinstance(x, Tensor)
    array = x.array if is_tensor else x
    if not backend.is_array(array):
        raise TypeError(f"{op}: expected a Tensor (or array) of images, got {type(x).__name__}")
    single = array.ndim == 3
    if single:
        array = array[None]
    elif array.ndim != 4:
        raise ValueError(f"{op}: expected a batch of images (N, C, H, W) or one image (C, H, W), got shape {tuple(array.shape)}")

    def wrap(out):
        out = out[0] if single else out
        return Tensor._wrap(out) if is_tensor else out

    return array, wrap


def _float_dtype(array):
    """Floating dtype to compute in: the input's, or float32 for integer images."""
    return array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)


def _back_to(dtype, out, xp):
    """Round and clip to the integer range when the input was an integer image."""
    if dtype.kind == "f":
        return out
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    out = xp.round(out)
    if info is not None:
        out = xp.clip(out, info.min, info.max)
    return out.astype(dtype)


def _pair(value, name):
    if isinstance(value, numbers.Number):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"{name}: expected a number or a pair, got {value}")
    return value


# ------------------------------------------------------------------ functional forms
def hflip(x):
    """Mirror left-right (reverse the W axis)."""
    array, wrap = _as_batch("hflip", x)
    return wrap(array[..., ::-1].copy())


def vflip(x):
    """Mirror top-bottom (reverse the H axis)."""
    array, wrap = _as_batch("vflip", x)
    return wrap(array[..., ::-1, :].copy())


def affine_matrices(angle, translate, scale, shear, stretch=1.0):
    """The (N, 2, 3) matrices that map each *output* pixel to where it is read in the input.

    Coordinates are (x right, y down) in pixels, relative to the image centre. The forward
    map of torchvision's ``affine`` is ``p_out = A p_in + t`` with

        A = R(angle) . diag(scale * stretch, scale / stretch) . SHy(shear_y) . SHx(shear_x)
        R(a) = [[cos a, -sin a], [sin a, cos a]]     (y points down: positive a turns clockwise)
        SHx(s) = [[1, -tan s], [0, 1]]   SHy(s) = [[1, 0], [-tan s, 1]]

    A warp is computed backwards (every output pixel looks up its source, so there are no
    holes): ``p_in = A^-1 (p_out - t)``. All arguments are per image: arrays of length N
    (``translate`` and ``shear`` of shape (N, 2)); angles in degrees. Host NumPy arrays.
    """
    a = np.radians(np.asarray(angle, dtype=np.float64))
    sx, sy = np.radians(np.asarray(shear, dtype=np.float64)).T
    scale = np.asarray(scale, dtype=np.float64)
    stretch = np.asarray(stretch, dtype=np.float64)
    n = a.shape[0]
    rot = np.stack([np.stack([np.cos(a), -np.sin(a)], -1), np.stack([np.sin(a), np.cos(a)], -1)], -2)
    zeros, ones = np.zeros(n), np.ones(n)
    size = np.stack([np.stack([scale * stretch, zeros], -1), np.stack([zeros, scale / stretch], -1)], -2)
    shear_y = np.stack([np.stack([ones, zeros], -1), np.stack([-np.tan(sy), ones], -1)], -2)
    shear_x = np.stack([np.stack([ones, -np.tan(sx)], -1), np.stack([zeros, ones], -1)], -2)
    forward = rot @ size @ shear_y @ shear_x
    inverse = np.linalg.inv(forward)
    t = np.asarray(translate, dtype=np.float64)[..., None]  # (N, 2, 1)
    return np.concatenate([inverse, -inverse @ t], axis=-1)


def warp_affine(array, theta, interpolation="bilinear", fill=0.0):
    """Resample each image of ``array`` (N, C, H, W) at ``theta[n] @ (x, y, 1)`` for every
    output pixel (x, y) (centred coordinates, see ``affine_matrices``).

    Bilinear sampling: with the source point (u, v) = (x0 + fx, y0 + fy), x0 = floor(u),

        out = (1-fy)(1-fx) img[y0, x0] + (1-fy) fx img[y0, x0+1]
              + fy (1-fx) img[y0+1, x0] + fy fx img[y0+1, x0+1]

    Neighbours outside the image read ``fill``. Nearest: the pixel at (floor(v + 0.5),
    floor(u + 0.5)). Integer images are warped in float32 and rounded back. The sampling
    is a kernel, ``kernels.warp_affine`` (kernels/warp.py: loops to read, the vectorised
    form that runs on CuPy too, and the loops compiled for NumPy arrays).
    """
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"warp_affine: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    xp = get_array_module(array)
    source = array.astype(_float_dtype(array), copy=False)
    return _back_to(array.dtype, kernels.warp_affine(source, theta, interpolation, fill), xp)


def affine(x, angle, translate, scale, shear, interpolation="bilinear", fill=0.0, stretch=1.0):
    """Apply one affine warp per image (torchvision's ``affine`` conventions, see
    ``affine_matrices``): ``angle`` in degrees (positive: clockwise), ``translate`` (tx, ty)
    in pixels, ``scale`` a factor, ``shear`` a number (x-shear) or (shear_x, shear_y) in
    degrees. Each may be given once for the whole batch or per image (length N, or (N, 2)
    for ``translate`` and ``shear``)."""
    array, wrap = _as_batch("affine", x)
    n = array.shape[0]
    if isinstance(shear, numbers.Number):
        shear = (shear, 0.0)
    theta = affine_matrices(
        np.broadcast_to(np.asarray(angle, dtype=np.float64), (n,)),
        np.broadcast_to(np.asarray(translate, dtype=np.float64), (n, 2)),
        np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,)),
        np.broadcast_to(np.asarray(shear, dtype=np.float64), (n, 2)),
        np.broadcast_to(np.asarray(stretch, dtype=np.float64), (n,)),
    )
    return wrap(warp_affine(array, theta, interpolation, fill))


# ------------------------------------------------------------------------ transforms
class Compose:
    """Apply transforms one after the other."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        lines = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p`` (independently per image)."""

    def __init__(self, p=0.5, generator=None):
        self.p, self.generator = p, generator

    def __call__(self, x):
        array, wrap = _as_batch("RandomHorizontalFlip", x)
        xp = get_array_module(array)
        flip = numpy_generator(self.generator).random(array.shape[0]) < self.p
        return wrap(xp.where(xp.asarray(flip)[:, None, None, None], array[..., ::-1], array))

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip:
    """Mirror each image top-bottom with probability ``p`` (independently per image)."""

    def __init__(self, p=0.5, generator=None):
        self.p, self.generator = p, generator

    def __call__(self, x):
        array, wrap = _as_batch("RandomVerticalFlip", x)
        xp = get_array_module(array)
        flip = numpy_generator(self.generator).random(array.shape[0]) < self.p
        return wrap(xp.where(xp.asarray(flip)[:, None, None, None], array[..., ::-1, :], array))

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomAffine:
    """Random rotation, translation, scaling, stretching and shearing as ONE affine warp per
    image, with bilinear sampling and ``fill`` outside (torchvision's ``RandomAffine``).

    - ``degrees``: angle range (min, max), or d for (-d, d); positive turns clockwise.
    - ``translate``: (a, b): shifts dx in (-a W, a W), dy in (-b H, b H), rounded to whole
      pixels as torchvision does.
    - ``scale``: (lo, hi) factor range.  ``shear``: s for an x-shear in (-s, s) degrees,
      (lo, hi) for x, or (xlo, xhi, ylo, yhi) for both.
    - ``stretch`` (not in torchvision): (lo, hi) range of r, scaling x by r and y by 1/r.
    - ``interpolation``: "bilinear" (default here; torchvision's default is "nearest").
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="bilinear", fill=0.0,
                 stretch=None, generator=None):
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError(f"RandomAffine: if degrees is a single number, it must be non-negative, got {degrees}")
            degrees = (-degrees, degrees)
        self.degrees = tuple(float(d) for d in _pair(degrees, "RandomAffine: degrees"))
        if translate is not None:
            translate = _pair(translate, "RandomAffine: translate")
            if any(not 0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"RandomAffine: translation values should be between 0 and 1, got {translate}")
        if scale is not None:
            scale = _pair(scale, "RandomAffine: scale")
            if any(s <= 0 for s in scale):
                raise ValueError(f"RandomAffine: scale values should be positive, got {scale}")
        if stretch is not None:
            stretch = _pair(stretch, "RandomAffine: stretch")
            if any(s <= 0 for s in stretch):
                raise ValueError(f"RandomAffine: stretch values should be positive, got {stretch}")
        if shear is not None:
            if isinstance(shear, numbers.Number):
                if shear < 0:
                    raise ValueError(f"RandomAffine: if shear is a single number, it must be non-negative, got {shear}")
                shear = (-shear, shear)
            shear = tuple(float(s) for s in shear)
            if len(shear) not in (2, 4):
                raise ValueError(f"RandomAffine: shear should be a number or a sequence of 2 or 4 values, got {shear}")
        if interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"RandomAffine: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
        self.translate, self.scale, self.shear, self.stretch = translate, scale, shear, stretch
        self.interpolation, self.fill, self.generator = interpolation, fill, generator

    def sample_params(self, n, height, width):
        """Per-image parameters: angle (N,), translate (N, 2), scale (N,), shear (N, 2), stretch (N,)."""
        rng = numpy_generator(self.generator)
        angle = rng.uniform(self.degrees[0], self.degrees[1], n)
        translate = np.zeros((n, 2))
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            translate = np.round(np.stack([rng.uniform(-max_dx, max_dx, n), rng.uniform(-max_dy, max_dy, n)], -1))
        scale = np.ones(n) if self.scale is None else rng.uniform(self.scale[0], self.scale[1], n)
        shear = np.zeros((n, 2))
        if self.shear is not None:
            shear[:, 0] = rng.uniform(self.shear[0], self.shear[1], n)
            if len(self.shear) == 4:
                shear[:, 1] = rng.uniform(self.shear[2], self.shear[3], n)
        stretch = np.ones(n) if self.stretch is None else rng.uniform(self.stretch[0], self.stretch[1], n)
        return angle, translate, scale, shear, stretch

    def __call__(self, x):
        array, wrap = _as_batch("RandomAffine", x)
        n, _, h, w = array.shape
        angle, translate, scale, shear, stretch = self.sample_params(n, h, w)
        theta = affine_matrices(angle, translate, scale, shear, stretch)
        return wrap(warp_affine(array, theta, self.interpolation, self.fill))

    def __repr__(self):
        return (f"{type(self).__name__}(degrees={list(self.degrees)}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, stretch={self.stretch}, interpolation={self.interpolation})")


class RandomCrop:
    """Pad (optionally), then cut a random ``size`` window out of each image (torchvision's
    ``RandomCrop``). ``padding``: p (all sides), (left/right, top/bottom) or (left, top,
    right, bottom); ``padding_mode``: "constant" (with ``fill``), "edge", "reflect" or
    "symmetric"; ``pad_if_needed`` pads images smaller than ``size``."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant", generator=None):
        self.size = (int(size), int(size)) if isinstance(size, numbers.Number) else tuple(int(s) for s in size)
        if len(self.size) != 2 or min(self.size) <= 0:
            raise ValueError(f"RandomCrop: size should be a positive int or a pair (h, w), got {size}")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"RandomCrop: padding_mode should be constant, edge, reflect or symmetric, got {padding_mode!r}")
        if padding is not None:
            padding = (padding,) if isinstance(padding, numbers.Number) else tuple(padding)
            if len(padding) not in (1, 2, 4) or any(p < 0 for p in padding):
                raise ValueError(f"RandomCrop: padding must be a non-negative int or a sequence of 1, 2 or 4 of them, got {padding}")
            if len(padding) == 1:
                padding = padding * 4
            elif len(padding) == 2:
                padding = (padding[0], padding[1], padding[0], padding[1])
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode
        self.generator = generator

    def _pad(self, array, left, top, right, bottom):
        xp = get_array_module(array)
        widths = ((0, 0), (0, 0), (top, bottom), (left, right))
        if self.padding_mode == "constant":
            return xp.pad(array, widths, mode="constant", constant_values=self.fill)
        return xp.pad(array, widths, mode=self.padding_mode)

    def __call__(self, x):
        array, wrap = _as_batch("RandomCrop", x)
        xp = get_array_module(array)
        if self.padding is not None:
            array = self._pad(array, *self.padding)
        th, tw = self.size
        n, _, h, w = array.shape
        if self.pad_if_needed and (h < th or w < tw):
            dh, dw = max(th - h, 0), max(tw - w, 0)
            array = self._pad(array, dw, dh, dw, dh)  # torchvision pads both sides by the shortfall
            n, _, h, w = array.shape
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the (padded) input image size {(h, w)}")
        rng = numpy_generator(self.generator)
        top = rng.integers(0, h - th + 1, n)
        left = rng.integers(0, w - tw + 1, n)
        rows = xp.asarray(top[:, None] + np.arange(th))[:, None, :, None]  # (N, 1, th, 1)
        cols = xp.asarray(left[:, None] + np.arange(tw))[:, None, None, :]  # (N, 1, 1, tw)
        batch = xp.arange(n)[:, None, None, None]
        channel = xp.arange(array.shape[1])[None, :, None, None]
        return wrap(array[batch, channel, rows, cols])

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class GaussianNoise:
    """Add independent N(mean, std^2) noise to every pixel: y = x + w (the denoising
    lecture's forward model). ``clip=True`` clips the result to [0, 1] (torchvision's
    ``GaussianNoise`` clips by default; here the default keeps the noise purely additive)."""

    def __init__(self, std=0.1, mean=0.0, clip=False, generator=None):
        if std < 0:
            raise ValueError(f"GaussianNoise: std should be non-negative, got {std}")
        self.std, self.mean, self.clip, self.generator = std, mean, clip, generator

    def __call__(self, x):
        array, wrap = _as_batch("GaussianNoise", x)
        if array.dtype.kind != "f":
            raise TypeError(f"GaussianNoise: expected floating-point images, got {array.dtype}; convert first, e.g. x.float() / 255")
        xp = get_array_module(array)
        # drawn on the host from the framework's generator, so a seed gives the same noise on any device
        noise = numpy_generator(self.generator).standard_normal(array.shape, dtype=np.float64)
        out = array + xp.asarray(noise * self.std + self.mean, dtype=array.dtype)
        return wrap(xp.clip(out, 0.0, 1.0) if self.clip else out)

    def __repr__(self):
        return f"{type(self).__name__}(std={self.std}, mean={self.mean}, clip={self.clip})"


class Normalize:
    """Per channel: (x - mean[c]) / std[c] (torchvision's ``Normalize``)."""

    def __init__(self, mean, std, inplace=False):
        self.mean = [float(m) for m in (mean if isinstance(mean, (list, tuple)) else [mean])]
        self.std = [float(s) for s in (std if isinstance(std, (list, tuple)) else [std])]
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std evaluated to zero, leading to division by zero (std={self.std})")
        self.inplace = inplace

    def __call__(self, x):
        array, wrap = _as_batch("Normalize", x)
        if array.dtype.kind != "f":
            raise TypeError(f"Normalize: expected floating-point images, got {array.dtype}; convert first, e.g. x.float() / 255")
        c = array.shape[1]
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, c):
                raise ValueError(f"Normalize: {name} has {len(values)} values but the images have {c} channels")
        xp = get_array_module(array)
        mean = xp.asarray(self.mean, dtype=array.dtype)[None, :, None, None]
        std = xp.asarray(self.std, dtype=array.dtype)[None, :, None, None]
        if self.inplace:
            array -= mean
            array /= std
            return wrap(array)
        return wrap((array - mean) / std)

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"
