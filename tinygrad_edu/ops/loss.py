"""Loss functions with PyTorch's ``reduction`` semantics."""
