"""Natural images that work offline, and what the restoration demos do with them.

Three photographs ship with the package (``tinygrad_edu/data/files/``, all CC0, copied
byte for byte from scikit-image's wheel; sources in ``files/README.md``):

    "camera"   512 x 512 grayscale, a photographer with a camera (Lav Varshney)
    "coffee"   400 x 600 colour, a cup of coffee (Rachel Michetti)
    "chelsea"  300 x 451 colour, Chelsea the cat (Stefan van der Walt)

- ``load_image(name, gray=False)``: a (C, H, W) float32 tensor in [0, 1];
- ``random_patches(images, size, count)``: patches cut at random places (DnCNN trains on 40x40);
- ``add_gaussian_noise(x, sigma)``: y = x + w, w ~ N(0, sigma^2) (sigma on the image's scale:
  25/255 for the lecture's sigma = 25 on 8-bit images);
- ``random_pixel_mask``, ``box_mask``, ``line_mask``: inpainting masks (1 = known pixel,
  0 = missing), for ``pnp_hqs``'s ``MaskOperator`` and the inpainting demo;
- ``DenoisingPatches``: a dataset of (noisy, clean) patch pairs, the noise drawn anew each time.

Every random draw comes from the framework's generator (``tge.manual_seed``) unless a
``generator`` is given, so a seed reproduces the data.
"""
import numpy as np

from ...random import numpy_generator
from ...tensor import Tensor
from ..dataset import Dataset
from .bundled import data_file

IMAGES = ("camera", "coffee", "chelsea")
GRAY_WEIGHTS = (0.2125, 0.7154, 0.0721)  # ITU-R BT.709 luma, as scikit-image's rgb2gray


def load_image(name, gray=False):
    """The bundled photograph ``name`` as a float32 tensor (C, H, W) in [0, 1] (C = 1 for
    "camera" or with ``gray=True``, else 3)."""
    if name not in IMAGES:
        raise ValueError(f"load_image: unknown image {name!r}; the bundled images are {list(IMAGES)}")
    import matplotlib.image  # slow to import: only when an image is read (README: deferred slow dependencies)

    array = matplotlib.image.imread(data_file(f"{name}.png")).astype(np.float32)  # PNG -> floats in [0, 1]
    if array.ndim == 2:
        array = array[None]
    else:
        array = array[..., :3].transpose(2, 0, 1)
        if gray:
            array = np.tensordot(np.asarray(GRAY_WEIGHTS, dtype=np.float32), array, axes=1)[None]
    return Tensor(np.ascontiguousarray(array))


def _as_array(x):
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def random_patches(images, size, count, generator=None):
    """``count`` random ``size`` x ``size`` patches (count, C, size, size), each from a random
    image of ``images`` (a list of (C, H, W) tensors or arrays with the same C) at a random place."""
    rng = numpy_generator(generator)
    arrays = [_as_array(im) for im in images]
    for a in arrays:
        if a.ndim != 3 or a.shape[1] < size or a.shape[2] < size:
            raise ValueError(f"random_patches: each image must be (C, H, W) with H, W >= {size}, got {a.shape}")
    which = rng.integers(len(arrays), size=count)
    patches = []
    for k in which:
        a = arrays[k]
        i, j = rng.integers(a.shape[1] - size + 1), rng.integers(a.shape[2] - size + 1)
        patches.append(a[:, i:i + size, j:j + size])
    return Tensor(np.stack(patches))


def add_gaussian_noise(x, sigma, generator=None):
    """y = x + w with w ~ N(0, sigma^2), independent per pixel (x a tensor)."""
    noise = numpy_generator(generator).standard_normal(tuple(x.shape)).astype(x.dtype)
    return x + Tensor(noise, device=x.device) * float(sigma)


def random_pixel_mask(shape, missing=0.5, generator=None):
    """A float32 mask of ``shape``: each pixel missing (0) with probability ``missing``, else 1."""
    return Tensor((numpy_generator(generator).random(shape) >= missing).astype(np.float32))


def box_mask(shape, top, left, height, width):
    """A float32 mask of ``shape`` (.., H, W) with the box [top, top+height) x [left, left+width) missing."""
    mask = np.ones(shape, dtype=np.float32)
    mask[..., top:top + height, left:left + width] = 0.0
    return Tensor(mask)


def line_mask(shape, lines=5, thickness=2, generator=None):
    """A float32 mask of ``shape`` (.., H, W) with ``lines`` random straight scribbles missing
    (scratches on a photograph)."""
    rng = numpy_generator(generator)
    h, w = shape[-2:]
    ys, xs = np.mgrid[0:h, 0:w]
    keep = np.ones((h, w), dtype=bool)
    for _ in range(lines):
        (y0, y1), (x0, x1) = rng.uniform(0, h, 2), rng.uniform(0, w, 2)
        dy, dx = y1 - y0, x1 - x0
        length = max(np.hypot(dy, dx), 1e-9)
        t = np.clip(((ys - y0) * dy + (xs - x0) * dx) / length ** 2, 0, 1)  # closest point on the segment
        distance = np.hypot(ys - (y0 + t * dy), xs - (x0 + t * dx))
        keep &= distance > thickness / 2
    return Tensor(np.broadcast_to(keep, shape).astype(np.float32))


class DenoisingPatches(Dataset):
    """``count`` clean patches cut once (seeded) from ``images``; item i is (noisy, clean) with
    fresh N(0, sigma^2) noise at every access (from the framework's generator), so each epoch
    sees new noise, as DnCNN's training does."""

    def __init__(self, images, size=40, count=1024, sigma=25 / 255, generator=None):
        self.clean = random_patches(images, size, count, generator).array
        self.sigma = float(sigma)

    def __len__(self):
        return self.clean.shape[0]

    def __getitem__(self, index):
        clean = Tensor(self.clean[index])
        return add_gaussian_noise(clean, self.sigma), clean
