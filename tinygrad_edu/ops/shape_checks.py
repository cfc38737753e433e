"""Moved to ``tinygrad_edu/shape_checks.py`` (the backend layer, below ``tensor.py``, which
uses it too). Re-exported here for code that imports it from ``ops``."""
from ..shape_checks import as_batched, broadcast_shape, normalize_dim, normalize_dims, pair  # noqa: F401
