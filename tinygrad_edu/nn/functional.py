"""Stateless neural-network functions (``torch.nn.functional``): activations, softmax,
losses, ``linear``, ``pad``. Each is defined in ``tinygrad_edu/ops/`` next to its
backward; this module gathers them under PyTorch's names."""
from ..ops.activation import relu
from ..ops.elementwise import sigmoid, tanh
from ..ops.matmul import linear
from ..ops.softmax import log_softmax, softmax
from ..ops.conv import conv1d, conv2d, conv_transpose2d
from ..ops.pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d
from ..ops.upsample import interpolate
from ..ops.norm import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
