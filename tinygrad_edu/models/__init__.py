"""The course models, written with ``tinygrad_edu.nn`` as one would in PyTorch.

``MLP``       a fully connected network (flatten, Linear-activation blocks, a classifier)
``SmallCNN``  conv-BN-ReLU blocks, max pooling, global average pooling, a classifier

Both output raw class scores (logits); train them with ``nn.CrossEntropyLoss``, which
applies the softmax itself.
"""
from .cnn import SmallCNN, conv_bn_relu
from .mlp import MLP

__all__ = ["MLP", "SmallCNN", "conv_bn_relu"]
