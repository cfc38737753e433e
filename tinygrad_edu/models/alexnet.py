"""AlexNet (Krizhevsky, Sutskever & Hinton 2012), in torchvision's single-GPU layout.

Five convolutions (11x11 stride 4, then 5x5 and three 3x3, with three 3x3 stride-2 max
pools), an adaptive average pool to 6x6 and three fully connected layers with dropout.
Module names and indices are torchvision's (``features.0`` ... ``classifier.6``), so its
weights load by name. 61,100,840 parameters for 1000 classes. (The 2012 paper's network,
split over two GPUs with local response normalisation, has 48/96/... channel halves and
about 60 million parameters; torchvision's variant follows "One weird trick", Krizhevsky 2014.)
"""
from ..nn.activation import ReLU
from ..nn.containers import Sequential
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.pooling import AdaptiveAvgPool2d, MaxPool2d
from .checks import check_images, check_min_size


class AlexNet(Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = Sequential(
            Conv2d(3, 64, kernel_size=11, stride=4, padding=2), ReLU(), MaxPool2d(kernel_size=3, stride=2),
            Conv2d(64, 192, kernel_size=5, padding=2), ReLU(), MaxPool2d(kernel_size=3, stride=2),
            Conv2d(192, 384, kernel_size=3, padding=1), ReLU(),
            Conv2d(384, 256, kernel_size=3, padding=1), ReLU(),
            Conv2d(256, 256, kernel_size=3, padding=1), ReLU(), MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = AdaptiveAvgPool2d((6, 6))
        self.classifier = Sequential(
            Dropout(dropout), Linear(256 * 6 * 6, 4096), ReLU(),
            Dropout(dropout), Linear(4096, 4096), ReLU(),
            Linear(4096, num_classes),
        )

    def forward(self, x):
        check_images("alexnet", x, 3, "features.0 (the 11x11 convolution)")
        # 11x11/4 conv then three 3x3/2 pools: 63x63 is the smallest input that leaves 1x1 features
        check_min_size("alexnet", x, 63, "the stride-4 convolution and three 3x3 stride-2 max pools need it")
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def alexnet(num_classes=1000, dropout=0.5):
    """AlexNet with torchvision's state_dict keys and shapes (expects 3 x 224 x 224 images)."""
    return AlexNet(num_classes, dropout)
