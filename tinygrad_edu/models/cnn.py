"""``SmallCNN``: a small convolutional network for the 8x8 digits.

The lecture's pieces, in order:

- **convolution** (3x3, padding 1): each output channel slides one small filter over all
  input channels, so the same feature detector is used at every position (few weights,
  and a shifted digit gives shifted features);
- **batch normalisation**: standardises each channel over the batch, then scales and
  shifts it with learned weight and bias; training is faster and less sensitive to the
  learning rate. Its bias makes the convolution's bias redundant, hence ``bias=False``;
- **ReLU**: the nonlinearity, max(0, x);
- **max pooling** (2x2): keeps the strongest response of each 2x2 window, halving the
  height and width (8x8 -> 4x4): more context per feature, less computation;
- **global average pooling (GAP)**: averages each final feature map to one number, so
  the classifier sees a C-vector whatever the image size. It replaces large fully
  connected layers, where most parameters (and most overfitting) would be;
- a **linear classifier** giving one score per class. The softmax p_k = e^{y_k} / sum_m
  e^{y_m} and the cross-entropy -log p_target are applied by ``nn.CrossEntropyLoss``
  during training (together, for numerical stability); for a prediction, the argmax of
  the scores is the argmax of the probabilities.
"""
from ..nn.activation import ReLU
from ..nn.containers import Sequential
from ..nn.conv import Conv2d
from ..nn.flatten import Flatten
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.normalization import BatchNorm2d
from ..nn.pooling import AdaptiveAvgPool2d, MaxPool2d


def conv_bn_relu(in_channels, out_channels):
    """Conv2d(3x3, padding 1, no bias) -> BatchNorm2d -> ReLU; keeps the height and width."""
    return Sequential(
        Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        BatchNorm2d(out_channels),
        ReLU(),
    )


class SmallCNN(Module):
    """conv-BN-ReLU blocks -> 2x2 max pool between stages -> global average pool -> Linear.

    ``widths`` gives one stage per entry, each of ``blocks_per_stage`` conv-BN-ReLU
    blocks with that many channels; a 2x2 max pool follows every stage but the last.
    Two 3x3 convolutions in a row see a 5x5 window with fewer weights than one 5x5
    convolution and one more nonlinearity (VGG's design). The default, for (N, 1, 8, 8)
    digits:

        (N, 1, 8, 8) -> conv-BN-ReLU 32 -> conv-BN-ReLU 32 -> (N, 32, 8, 8)
                     -> max pool 2x2 -> (N, 32, 4, 4)
                     -> conv-BN-ReLU 64 -> conv-BN-ReLU 64 -> (N, 64, 4, 4)
                     -> GAP -> (N, 64, 1, 1) -> flatten -> (N, 64) -> Linear -> (N, 10)

    Parameters (defaults): convolutions 1*32*9 + 32*32*9 + 32*64*9 + 64*64*9 = 64,800
    (no biases), BatchNorm weight and bias 2 * (32 + 32 + 64 + 64) = 384, Linear
    64*10 + 10 = 650: 65,834 in all (BatchNorm's running statistics are buffers, not
    parameters). GAP makes the network indifferent to the image size: 28x28 MNIST works
    unchanged.
    """

    def __init__(self, in_channels=1, num_classes=10, widths=(32, 64), blocks_per_stage=2):
        super().__init__()
        if not widths or blocks_per_stage < 1:
            raise ValueError(f"SmallCNN: needs at least one stage of at least one block, got widths={widths}, "
                             f"blocks_per_stage={blocks_per_stage}")
        layers, channels = [], in_channels
        for i, width in enumerate(widths):
            for _ in range(blocks_per_stage):
                layers.append(conv_bn_relu(channels, width))
                channels = width
            if i < len(widths) - 1:
                layers.append(MaxPool2d(2))
        self.features = Sequential(*layers)
        self.pool = AdaptiveAvgPool2d(1)  # global average pooling
        self.flatten = Flatten()
        self.classifier = Linear(channels, num_classes)

    def forward(self, x):
        # BEGIN SOLUTION task 5.2
        if x.ndim != 4:
            raise ValueError(f"SmallCNN: expected images (N, C, H, W), got input of shape {tuple(x.shape)}")
        return self.classifier(self.flatten(self.pool(self.features(x))))
        # END SOLUTION
