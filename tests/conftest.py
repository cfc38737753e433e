"""Test configuration: hypothesis profiles and shared fixtures.

Profiles (chosen with the environment variable HYPOTHESIS_PROFILE):
- ``dev`` (default): more examples, for local work;
- ``ci``: fewer examples, derandomized, no deadline - what .ci/run uses (and the
  default when the ``CI`` environment variable is set).
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from tinygrad_edu.exercises.manifest import DEFAULT_MANIFEST, load_manifest, test_marks

settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


def pytest_collection_modifyitems(config, items):
    """Mark the tests that exercises/tasks.toml lists for each task, so that
    ``pytest -m task2_3`` selects a task's public tests."""
    if not DEFAULT_MANIFEST.exists():
        return
    marks = test_marks(load_manifest(DEFAULT_MANIFEST))
    for item in items:
        for mark in marks.get(item.nodeid.split("[")[0], ()):
            item.add_marker(getattr(pytest.mark, mark))


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same framework seed."""
    import tinygrad_edu as tge

    tge.manual_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def strict_backend():
    """Register ``StrictArray`` (tests/strict_array.py: an array type that refuses conversion
    to NumPy, as CuPy arrays do) with the backend for one test, and yield its namespace
    ``strict_xp`` (``strict_xp.ndarray`` is ``StrictArray``, ``strict_xp.asarray(a)`` wraps
    a host array). A module whose every test needs it says
    ``pytestmark = pytest.mark.usefixtures("strict_backend")``."""
    from tinygrad_edu import backend
    from tests.strict_array import StrictArray, strict_xp

    backend.register_namespace(StrictArray, strict_xp, "strict")
    yield strict_xp
    backend.unregister_namespace(StrictArray)
