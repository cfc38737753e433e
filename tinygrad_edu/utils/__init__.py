"""PyTorch's ``torch.utils`` namespace: ``tge.utils.data`` (datasets and the DataLoader)."""
from . import data

__all__ = ["data"]
