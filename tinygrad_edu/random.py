"""The framework's own random number generator, so that runs reproduce.

``tge.manual_seed(0)`` seeds it; every random creation function (``randn``,
``rand``, ``randint``, ``Tensor.normal_``, dropout masks, shuffling) draws from it
unless given its own ``Generator``. Numbers are drawn on the host with NumPy's PCG64
and moved to the tensor's device, so a seed gives the same numbers on CPU and GPU.
(The numbers differ from PyTorch's generator: only the API is the same.)
"""
import numpy as np


class Generator:
    """A seeded source of random numbers (``torch.Generator``'s interface)."""

    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 0
        self._rng = np.random.default_rng(0)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        """Seed from the operating system's entropy and return that seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state
        return self

    @property
    def numpy(self):
        """The NumPy ``Generator`` that produces the numbers."""
        return self._rng


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator; returns it (as PyTorch does)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def numpy_generator(generator=None):
    """The NumPy generator to draw from: ``generator``'s, or the default one's."""
    return (generator or default_generator).numpy
