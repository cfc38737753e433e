"""Stateless neural-network functions (``torch.nn.functional``): activations, softmax,
losses, ``linear``, convolution, pooling, normalisation, ``pad``, ``unfold``/``fold``,
similarities, ``one_hot``, attention. Each is defined in
``tinygrad_edu/ops/`` next to its backward; this module gathers them under PyTorch's
names. ``binary_step`` is the slides' step activation (not a PyTorch function)."""
from ..ops.activation import (
    binary_step, elu, elu_, gelu, hardtanh, hardtanh_, leaky_relu, leaky_relu_, relu, relu_,
    selu, selu_, silu, softplus, softsign, threshold, threshold_,
)
from ..ops.conv import conv1d, conv2d, conv_transpose2d
from ..ops.elementwise import sigmoid, tanh
from ..ops.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss,
    nll_loss, smooth_l1_loss,
)
from ..ops.matmul import linear
from ..ops.norm import batch_norm, group_norm, instance_norm, layer_norm, rms_norm
from ..ops.pad import pad
from ..ops.pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d, max_unpool2d
from ..ops.softmax import log_softmax, softmax
from ..ops.upsample import interpolate
from ..ops.dropout import dropout, dropout2d
from ..ops.embedding import embedding
from ..ops.prelu import prelu
from ..ops.attention import scaled_dot_product_attention
from ..ops.fold import fold, unfold
from ..ops.gather import one_hot
from ..ops.similarity import cosine_similarity, normalize, pairwise_distance
from ..ops.softmax import gumbel_softmax
from ..ops.pixel_shuffle import pixel_shuffle, pixel_unshuffle
from .ssim import psnr, ssim  # image-quality measures (not in PyTorch): nn/ssim.py
