"""Augmentation transforms: exact geometry on simple inputs, per-image randomness,
seed reproducibility, the array-namespace rule, and agreement with PyTorch's grid_sample."""
import math

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.data import transforms as T

from tests.strict_array import StrictArray


def _gen(seed=0):
    return tge.Generator().manual_seed(seed)


def _rand_batch(n=3, c=2, h=6, w=5, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


def _dot(h, w, i, j, n=1):
    """A batch of n black images with one white pixel at (i, j)."""
    x = np.zeros((n, 1, h, w), dtype=np.float32)
    x[:, 0, i, j] = 1.0
    return x


# ------------------------------------------------------------------------ flips
def test_flips_of_a_known_image():
    x = tge.tensor(np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3))
    assert T.hflip(x).tolist() == [[[[2, 1, 0], [5, 4, 3]]]]
    assert T.vflip(x).tolist() == [[[[3, 4, 5], [0, 1, 2]]]]
    assert T.RandomHorizontalFlip(p=1.0)(x).tolist() == T.hflip(x).tolist()
    assert T.RandomVerticalFlip(p=1.0)(x).tolist() == T.vflip(x).tolist()
    assert T.RandomHorizontalFlip(p=0.0)(x).tolist() == x.tolist()


@pytest.mark.parametrize("flip_cls,reverse", [(T.RandomHorizontalFlip, lambda a: a[..., ::-1]),
                                              (T.RandomVerticalFlip, lambda a: a[..., ::-1, :])])
def test_random_flip_is_per_image_and_seeded(flip_cls, reverse):
    x = np.repeat(_rand_batch(1), 64, axis=0)
    out = flip_cls(p=0.5, generator=_gen(3))(tge.tensor(x)).cpu().numpy()
    flipped = np.array([np.array_equal(o, reverse(x[0])) for o in out])
    unchanged = np.array([np.array_equal(o, x[0]) for o in out])
    assert np.all(flipped | unchanged) and 10 < flipped.sum() < 54
    again = flip_cls(p=0.5, generator=_gen(3))(tge.tensor(x)).cpu().numpy()
    assert np.array_equal(out, again)


# ----------------------------------------------------------------------- affine
def test_identity_affine_is_identity():
    x = _rand_batch()
    assert np.array_equal(T.affine(x, 0.0, (0, 0), 1.0, 0.0), x)
    assert np.array_equal(T.RandomAffine(degrees=0)(tge.tensor(x)).cpu().numpy(), x)


@pytest.mark.parametrize("tx,ty", [(1, 0), (0, 2), (-2, 1), (3, -3)])
def test_whole_pixel_translation_moves_a_pixel_exactly(tx, ty):
    x = _dot(7, 8, 3, 4)
    out = T.affine(x, 0.0, (tx, ty), 1.0, 0.0)
    assert np.array_equal(out, _dot(7, 8, 3 + ty, 4 + tx))  # +x right, +y down


def test_translation_shifts_content_and_fills_zero():
    x = _rand_batch(h=5, w=6) + 1.0
    out = T.affine(x, 0.0, (2, 1), 1.0, 0.0)
    assert np.array_equal(out[..., 1:, 2:], x[..., :-1, :-2])
    assert np.all(out[..., :1, :] == 0) and np.all(out[..., :, :2] == 0)


def test_half_pixel_translation_averages_neighbours():
    x = np.zeros((1, 1, 1, 4), dtype=np.float32)
    x[0, 0, 0] = [0, 2, 4, 6]
    out = T.affine(x, 0.0, (0.5, 0), 1.0, 0.0)
    assert np.allclose(out[0, 0, 0], [0.0, 1.0, 3.0, 5.0])  # pixel j reads x[j - 0.5]; x[-1] is fill 0


@pytest.mark.parametrize("size", [4, 5, 8])
def test_rotation_by_90_equals_rot90(size):
    x = _rand_batch(2, 3, size, size)
    # positive angles turn clockwise (torchvision's affine): rot90 with k=-1
    assert np.allclose(T.affine(x, 90.0, (0, 0), 1.0, 0.0), np.rot90(x, -1, axes=(2, 3)), atol=1e-6)
    assert np.allclose(T.affine(x, -90.0, (0, 0), 1.0, 0.0), np.rot90(x, 1, axes=(2, 3)), atol=1e-6)
    assert np.allclose(T.affine(x, 180.0, (0, 0), 1.0, 0.0), x[..., ::-1, ::-1], atol=1e-6)
    rotate = T.RandomAffine(degrees=(90, 90))
    assert np.allclose(rotate(tge.tensor(x)).cpu().numpy(), np.rot90(x, -1, axes=(2, 3)), atol=1e-6)


def test_rotation_turns_clockwise():
    out = T.affine(_dot(5, 5, 2, 4), 90.0, (0, 0), 1.0, 0.0)  # a dot right of the centre ...
    assert np.allclose(out, _dot(5, 5, 4, 2), atol=1e-6)  # ... ends below it (y points down)


def test_scale_about_the_centre():
    x = np.zeros((1, 1, 1, 9), dtype=np.float32)
    x[0, 0, 0] = np.arange(9)
    # output pixel j reads input 4 + (j - 4) / scale: the centre (4) stays
    assert np.allclose(T.affine(x, 0.0, (0, 0), 2.0, 0.0)[0, 0, 0], 4 + (np.arange(9) - 4) / 2)
    assert np.array_equal(T.affine(x, 0.0, (0, 0), 0.5, 0.0)[0, 0, 0], [0, 0, 0, 2, 4, 6, 8, 0, 0])
    # stretch (x by r, y by 1/r): horizontally like scale r
    assert np.allclose(T.affine(x, 0.0, (0, 0), 1.0, 0.0, stretch=2.0)[0, 0, 0], 4 + (np.arange(9) - 4) / 2)


def test_shear_moves_a_point_as_the_matrix_says():
    # SHx(s) = [[1, -tan s], [0, 1]]: a point at (x, y) = (0, 2) from the centre goes to (-2 tan s, 2)
    out = T.affine(_dot(7, 7, 5, 3), 0.0, (0, 0), 1.0, 45.0)
    assert np.allclose(out, _dot(7, 7, 5, 1), atol=1e-6)
    out = T.affine(_dot(7, 7, 3, 5), 0.0, (0, 0), 1.0, (0.0, 45.0))  # y-shear: (2, 0) -> (2, -2 tan s)
    assert np.allclose(out, _dot(7, 7, 1, 5), atol=1e-6)


def test_nearest_interpolation_and_integer_images():
    x = (_rand_batch(2, 1, 6, 6) * 255).astype(np.uint8)
    out = T.affine(x, 90.0, (0, 0), 1.0, 0.0, interpolation="nearest")
    assert out.dtype == np.uint8 and np.array_equal(out, np.rot90(x, -1, axes=(2, 3)))
    out = T.affine(x, 0.0, (1, 0), 1.0, 0.0)  # bilinear on uint8: computed in float, rounded back
    assert out.dtype == np.uint8 and np.array_equal(out[..., 1:], x[..., :-1])


def test_fill_value():
    x = np.ones((1, 1, 3, 3), dtype=np.float32)
    out = T.affine(x, 0.0, (1, 0), 1.0, 0.0, fill=0.5)
    assert np.allclose(out[..., 0], 0.5) and np.allclose(out[..., 1:], 1.0)


def test_random_affine_per_image_and_seeded():
    x = tge.tensor(np.repeat(_rand_batch(1, 1, 9, 9), 4, axis=0))
    aug = T.RandomAffine(degrees=30, translate=(0.2, 0.2), scale=(0.8, 1.2), shear=10, generator=_gen(5))
    out = aug(x).cpu().numpy()
    assert all(not np.allclose(out[0], out[k]) for k in range(1, 4))
    again = T.RandomAffine(degrees=30, translate=(0.2, 0.2), scale=(0.8, 1.2), shear=10, generator=_gen(5))(x).cpu().numpy()
    assert np.array_equal(out, again)
    tge.manual_seed(11)
    a = T.RandomAffine(degrees=30)(x).cpu().numpy()
    tge.manual_seed(11)
    assert np.array_equal(a, T.RandomAffine(degrees=30)(x).cpu().numpy())


def test_random_affine_parameter_ranges():
    aug = T.RandomAffine(degrees=(10, 20), translate=(0.25, 0.5), scale=(0.5, 0.6), shear=(1, 2, 3, 4),
                         stretch=(1.1, 1.2), generator=_gen(0))
    angle, translate, scale, shear, stretch = aug.sample_params(500, height=8, width=12)
    assert np.all((10 <= angle) & (angle <= 20)) and np.all((0.5 <= scale) & (scale <= 0.6))
    assert np.all(np.abs(translate[:, 0]) <= 3) and np.all(np.abs(translate[:, 1]) <= 4)
    assert np.array_equal(translate, np.round(translate))  # whole pixels, as torchvision
    assert np.all((1 <= shear[:, 0]) & (shear[:, 0] <= 2)) and np.all((3 <= shear[:, 1]) & (shear[:, 1] <= 4))
    assert np.all((1.1 <= stretch) & (stretch <= 1.2))


def test_random_affine_argument_errors():
    with pytest.raises(ValueError, match="non-negative"):
        T.RandomAffine(-5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        T.RandomAffine(0, translate=(0.5, 2))
    with pytest.raises(ValueError, match="positive"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="2 or 4"):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        T.RandomAffine(10)(tge.zeros(4, 4))


def test_affine_matches_torch_grid_sample():
    """Independent oracle: torchvision's matrix (closed form) + PyTorch's grid_sample."""
    torch = pytest.importorskip("torch")
    n, c, h, w = 4, 2, 7, 9
    x = _rand_batch(n, c, h, w, seed=2)
    rng = np.random.default_rng(0)
    angle, scale = rng.uniform(-40, 40, n), rng.uniform(0.7, 1.3, n)
    translate, shear = rng.uniform(-2, 2, (n, 2)), rng.uniform(-20, 20, (n, 2))
    thetas = []
    for k in range(n):  # torchvision's _get_inverse_affine_matrix, centre at the image centre
        rot, sx, sy = math.radians(angle[k]), math.radians(shear[k, 0]), math.radians(shear[k, 1])
        a = math.cos(rot - sy) / math.cos(sy)
        b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
        cc = math.sin(rot - sy) / math.cos(sy)
        d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
        m = np.array([d, -b, 0.0, -cc, a, 0.0]) / scale[k]
        tx, ty = translate[k]
        m[2] += m[0] * -tx + m[1] * -ty
        m[5] += m[3] * -tx + m[4] * -ty
        # pixel units -> grid_sample's normalised units (align_corners=False)
        thetas.append([[m[0], m[1] * h / w, m[2] * 2 / w], [m[3] * w / h, m[4], m[5] * 2 / h]])
    theta = torch.tensor(thetas, dtype=torch.float64)
    grid = torch.nn.functional.affine_grid(theta, (n, c, h, w), align_corners=False)
    expected = torch.nn.functional.grid_sample(torch.tensor(x, dtype=torch.float64), grid, mode="bilinear",
                                               padding_mode="zeros", align_corners=False).cpu().numpy()
    out = T.affine(x, angle, translate, scale, shear)
    assert np.allclose(out, expected, atol=1e-5)


# ------------------------------------------------------------------------- crop
def test_random_crop_windows_of_the_padded_image():
    x = _rand_batch(8, 2, 5, 6) + 1.0
    crop = T.RandomCrop((5, 6), padding=2, generator=_gen(1))
    out = crop(tge.tensor(x)).cpu().numpy()
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    offsets = set()
    for k in range(8):
        hits = [(t, l) for t in range(5) for l in range(5) if np.array_equal(out[k], padded[k, :, t:t + 5, l:l + 6])]
        assert hits, f"image {k} is not a window of its padded image"
        offsets.add(hits[0])
    assert len(offsets) > 1  # per-image offsets


def test_random_crop_sizes_modes_and_errors():
    x = tge.tensor(_rand_batch(3, 1, 8, 8))
    assert T.RandomCrop(5)(x).shape == (3, 1, 5, 5)
    assert T.RandomCrop(8, padding=(1, 2), padding_mode="reflect")(x).shape == (3, 1, 8, 8)
    assert T.RandomCrop(10, pad_if_needed=True)(x).shape == (3, 1, 10, 10)
    full = T.RandomCrop(8)(x)  # crop size = image size: the image itself
    assert np.array_equal(full.cpu().numpy(), x.cpu().numpy())
    with pytest.raises(ValueError, match="larger than"):
        T.RandomCrop(9)(x)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(4, padding_mode="wrap")


# ---------------------------------------------------------------- noise, normalise
def test_gaussian_noise_statistics_and_seed():
    x = tge.zeros(16, 1, 32, 32)
    out = T.GaussianNoise(0.5, generator=_gen(2))(x).cpu().numpy()
    assert out.dtype == np.float32 and abs(out.mean()) < 0.02 and abs(out.std() - 0.5) < 0.02
    assert np.array_equal(out, T.GaussianNoise(0.5, generator=_gen(2))(x).cpu().numpy())
    clipped = T.GaussianNoise(0.5, clip=True)(x).cpu().numpy()
    assert clipped.min() >= 0 and clipped.max() <= 1
    with pytest.raises(TypeError, match="floating-point"):
        T.GaussianNoise(0.1)(tge.zeros(1, 1, 2, 2, dtype=tge.uint8))


def test_normalize_per_channel():
    x = _rand_batch(2, 3, 4, 4)
    mean, std = [0.1, 0.2, 0.3], [0.5, 1.0, 2.0]
    out = T.Normalize(mean, std)(tge.tensor(x)).cpu().numpy()
    expected = (x - np.array(mean, dtype=np.float32)[:, None, None]) / np.array(std, dtype=np.float32)[:, None, None]
    assert np.allclose(out, expected)
    with pytest.raises(ValueError, match="3 values but the images have 2 channels"):
        T.Normalize(mean, std)(tge.zeros(1, 2, 2, 2))
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize([0.0], [0.0])


# --------------------------------------------------------------- composition, types
def test_compose_types_and_shapes():
    aug = T.Compose([T.RandomHorizontalFlip(), T.RandomAffine(10, translate=(0.1, 0.1)), T.GaussianNoise(0.01),
                     T.Normalize([0.5], [0.5])])
    x = tge.rand(5, 1, 8, 8, requires_grad=True)
    out = aug(x)
    assert isinstance(out, tge.Tensor) and out.shape == (5, 1, 8, 8) and not out.requires_grad
    assert aug(x.detach()[0]).shape == (1, 8, 8)  # a single CHW image
    assert isinstance(aug(_rand_batch(2, 1, 8, 8)), np.ndarray)  # arrays in, arrays out
    assert "RandomAffine" in repr(aug)


@pytest.mark.parametrize("transform", [
    T.RandomHorizontalFlip(), T.RandomVerticalFlip(), T.RandomAffine(30, (0.1, 0.1), (0.9, 1.1), 5),
    T.RandomAffine(30, interpolation="nearest"), T.RandomCrop(6, padding=1), T.GaussianNoise(0.1), T.Normalize([0.5], [0.2]),
], ids=repr)
def test_transforms_stay_in_the_input_array_namespace(strict_backend, transform):
    """Like CuPy, StrictArray refuses NumPy: a transform that leaks to host NumPy fails here."""
    x = _rand_batch(3, 1, 6, 6)
    tge.manual_seed(0)
    expected = transform(tge.tensor(x)).cpu().numpy()
    tge.manual_seed(0)
    out = transform(tge.Tensor(StrictArray(x.copy())))
    assert isinstance(out.array, StrictArray)
    assert np.allclose(out.array.to_numpy(), expected)
