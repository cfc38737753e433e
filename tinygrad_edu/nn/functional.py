"""Stateless neural-network functions (``torch.nn.functional``): activations, softmax,
losses, ``linear``, ``pad``. Each is defined in ``tinygrad_edu/ops/`` next to its
backward; this module gathers them under PyTorch's names."""
from ..ops.activation import relu
from ..ops.elementwise import sigmoid, tanh
from ..ops.matmul import linear
from ..ops.softmax import log_softmax, softmax
