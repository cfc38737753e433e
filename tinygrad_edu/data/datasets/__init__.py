"""Data sets: bundled (offline) digits and MNIST subset, synthetic shapes, and the full
MNIST / Fashion-MNIST from their IDX files."""
from .bundled import load_digits, load_mnist_subset, stratified_split
from .mnist import MNIST, FashionMNIST, read_idx, write_idx
from .images import (
    IMAGES, DenoisingPatches, add_gaussian_noise, box_mask, line_mask, load_image, random_patches, random_pixel_mask,
)
from .shapes import CLASSES as SHAPE_CLASSES
from .shapes import ShapesDataset, make_shapes

__all__ = [
    "load_digits", "load_mnist_subset", "stratified_split", "MNIST", "FashionMNIST", "read_idx", "write_idx",
    "make_shapes", "ShapesDataset", "SHAPE_CLASSES",
    "IMAGES", "load_image", "random_patches", "add_gaussian_noise", "random_pixel_mask", "box_mask", "line_mask",
    "DenoisingPatches",
]
