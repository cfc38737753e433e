"""The hypothesis strategies moved to ``tinygrad_edu/testing/strategies.py`` (shared with
the CLI and exercise graders); re-exported for ``from tests import strategies as S``."""
from tinygrad_edu.testing.strategies import (  # noqa: F401
    arrays, broadcastable_shapes, leaf, noncontiguous, nonscalar_shapes, shapes,
)
