"""Synthetic shapes for segmentation: circles, rectangles and triangles on a dark
background, with the exact class of every pixel.

A pixel (row i, column j) is covered by a shape when its centre (x, y) = (j, i) lies inside
the shape (boundary included). Later shapes are painted over earlier ones, in the image
and in the mask alike, so the mask is exactly what was drawn:

    mask[i, j] = 0 background, 1 circle, 2 rectangle, 3 triangle
    image[0, i, j] = intensity of the shape painted last at (i, j) (0 on the background)

Everything comes from ``seed``: the same seed gives the same data on every machine.
"""
import math

import numpy as np

from ...tensor import Tensor
from ..dataset import TensorDataset

CLASSES = ("background", "circle", "rectangle", "triangle")


def _grid(size):
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    return xs, ys


def circle_mask(size, cx, cy, r):
    """Pixels whose centre is within distance r of (cx, cy)."""
    xs, ys = _grid(size)
    return (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r


def rectangle_mask(size, x0, y0, x1, y1):
    """Pixels whose centre lies in the axis-aligned box [x0, x1] x [y0, y1]."""
    xs, ys = _grid(size)
    return (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)


def triangle_mask(size, vertices):
    """Pixels whose centre is inside the triangle: on the inner side of all three edges.

    The edge function e(p) = cross(b - a, p - a) has one sign on one side of the line
    through a and b; inside means all three have the sign of the triangle's orientation.
    """
    xs, ys = _grid(size)
    (ax, ay), (bx, by), (cx, cy) = vertices
    orientation = np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))
    inside = np.ones((size, size), dtype=bool)
    for (px, py), (qx, qy) in (((ax, ay), (bx, by)), ((bx, by), (cx, cy)), ((cx, cy), (ax, ay))):
        edge = (qx - px) * (ys - py) - (qy - py) * (xs - px)
        inside &= orientation * edge >= 0
    return inside


def _random_shape(rng, size):
    """One random shape: (class index, parameters, pixel mask)."""
    kind = int(rng.integers(1, 4))
    if kind == 1:
        r = rng.uniform(0.1 * size, 0.25 * size)
        cx, cy = rng.uniform(r, size - 1 - r, 2)
        params = {"cx": cx, "cy": cy, "r": r}
        return kind, params, circle_mask(size, cx, cy, r)
    if kind == 2:
        w, h = rng.uniform(0.2 * size, 0.5 * size, 2)
        x0, y0 = rng.uniform(0, size - 1 - w), rng.uniform(0, size - 1 - h)
        params = {"x0": x0, "y0": y0, "x1": x0 + w, "y1": y0 + h}
        return kind, params, rectangle_mask(size, x0, y0, x0 + w, y0 + h)
    # triangle: three points around a centre, about 120 degrees apart (never degenerate)
    radius = rng.uniform(0.15 * size, 0.3 * size)
    cx, cy = rng.uniform(radius, size - 1 - radius, 2)
    angles = rng.uniform(0, 2 * math.pi) + np.array([0, 2, 4]) * math.pi / 3 + rng.uniform(-0.4, 0.4, 3)
    vertices = [(cx + radius * math.cos(a), cy + radius * math.sin(a)) for a in angles]
    return kind, {"vertices": vertices}, triangle_mask(size, vertices)


def make_shapes(n, size=32, max_shapes=3, noise_std=0.0, seed=0, return_shapes=False):
    """``n`` images with 1..``max_shapes`` random shapes each.

    Returns ``(images, masks)``: float32 images (n, 1, size, size) (shape intensities in
    [0.3, 1], plus N(0, noise_std^2) noise when ``noise_std`` > 0) and int64 masks
    (n, size, size) with the class indices of ``CLASSES``. With ``return_shapes=True`` also
    a list, per image, of ``(class name, parameters, intensity)`` in drawing order.
    """
    if size < 8:
        raise ValueError(f"make_shapes: size must be at least 8 pixels, got {size}")
    if max_shapes < 1:
        raise ValueError(f"make_shapes: max_shapes must be at least 1, got {max_shapes}")
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 1, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)
    drawn = []
    for k in range(n):
        shapes = []
        for _ in range(int(rng.integers(1, max_shapes + 1))):
            kind, params, covered = _random_shape(rng, size)
            intensity = float(np.float32(rng.uniform(0.3, 1.0)))
            masks[k][covered] = kind
            images[k, 0][covered] = intensity
            shapes.append((CLASSES[kind], params, intensity))
        drawn.append(shapes)
    if noise_std > 0:
        images += rng.normal(0.0, noise_std, images.shape).astype(np.float32)
    result = (Tensor._wrap(images), Tensor._wrap(masks))
    return result + (drawn,) if return_shapes else result


class ShapesDataset(TensorDataset):
    """``make_shapes`` as a dataset: ``ds[i] == (image (1, size, size), mask (size, size))``."""

    classes = CLASSES

    def __init__(self, n=1000, size=32, max_shapes=3, noise_std=0.0, seed=0):
        images, masks, self.shapes = make_shapes(n, size, max_shapes, noise_std, seed, return_shapes=True)
        super().__init__(images, masks)
