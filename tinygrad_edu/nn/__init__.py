"""Neural-network building blocks. ``nn.functional`` holds the stateless functions."""
from . import functional
