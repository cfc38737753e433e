"""``tge.utils.data``: where PyTorch code looks for ``Dataset``, ``DataLoader``,
``TensorDataset``, ``random_split`` (``from torch.utils.data import DataLoader`` ports as
``from tinygrad_edu.utils.data import DataLoader``).

The code lives in ``tinygrad_edu/data/`` (one file per idea, next to the bundled
datasets and transforms, which PyTorch keeps in torchvision); ``tge.data`` exposes the
same classes. This module only gives them PyTorch's address.
"""
from ..data.dataloader import DataLoader, default_collate
from ..data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader", "default_collate"]
