"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998) for 28x28 MNIST digits.

    (N, 1, 28, 28) -> C1 conv 5x5, 6 maps, padding 2 -> tanh -> S2 avg pool 2x2 -> (N, 6, 14, 14)
                   -> C3 conv 5x5, 16 maps -> tanh -> S4 avg pool 2x2 -> (N, 16, 5, 5)
                   -> flatten 400 -> F5 120 -> tanh -> F6 84 -> tanh -> output num_classes

The paper feeds 32x32 images to an unpadded C1; padding 2 gives the same 28x28 maps for
MNIST's 28x28 digits. Simplifications, as in most modern reimplementations: the
subsampling layers are plain average pools (the paper's have a trainable coefficient and
bias per map), C3 connects every input map (the paper's table connects only some) and
the output is a linear layer instead of Euclidean RBF units. Parameters for 10 classes:
156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 (the paper's network: 60,000).
"""
from ..nn.activation import Tanh
from ..nn.containers import Sequential
from ..nn.conv import Conv2d
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.pooling import AvgPool2d
from .checks import check_images


class LeNet5(Module):
    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.in_channels = in_channels
        self.features = Sequential(
            Conv2d(in_channels, 6, kernel_size=5, padding=2), Tanh(), AvgPool2d(2),
            Conv2d(6, 16, kernel_size=5), Tanh(), AvgPool2d(2),
        )
        self.classifier = Sequential(Linear(16 * 5 * 5, 120), Tanh(), Linear(120, 84), Tanh(), Linear(84, num_classes))

    def forward(self, x):
        check_images("lenet5", x, self.in_channels, "features.0 (C1)")
        if tuple(x.shape[-2:]) != (28, 28):
            raise ValueError(f"lenet5: classifier.0 (F5) expects 16x5x5 features, which only 28x28 images give; got "
                             f"input of size {x.shape[-2]}x{x.shape[-1]} (resize or pad the images to 28x28)")
        return self.classifier(self.features(x).flatten(1))


def lenet5(num_classes=10, in_channels=1):
    """LeNet-5 for (N, 1, 28, 28) images; returns logits for ``nn.CrossEntropyLoss``."""
    return LeNet5(num_classes, in_channels)
