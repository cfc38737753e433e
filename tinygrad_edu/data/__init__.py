"""Data pipeline: datasets, the ``DataLoader`` and augmentation transforms
(PyTorch's ``torch.utils.data`` plus torchvision-style transforms on NCHW batches).

    from tinygrad_edu.data import DataLoader, TensorDataset, load_digits
    x, y = load_digits("train")
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
"""
from . import datasets, transforms
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .datasets import (
    MNIST, DenoisingPatches, FashionMNIST, ShapesDataset, add_gaussian_noise, load_digits, load_image,
    load_mnist_subset, make_shapes, random_patches, read_idx, write_idx,
)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader", "default_collate",
    "datasets", "transforms", "load_digits", "load_mnist_subset", "make_shapes", "ShapesDataset",
    "MNIST", "FashionMNIST", "read_idx", "write_idx",
    "load_image", "random_patches", "add_gaussian_noise", "DenoisingPatches",
]
