"""``MLP``: the multilayer perceptron, the first network of the course.

Each hidden layer is an affine map followed by a nonlinearity, h <- act(W h + b); the
last layer is affine only and gives one score (logit) per class. The input is flattened
first, so an 8x8 image is a 64-vector: an MLP ignores which pixels are neighbours, which
is what convolutions (``cnn.py``) add.
"""
from ..nn.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Tanh
from ..nn.containers import Sequential
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Module

ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU, "gelu": GELU, "silu": SiLU,
               "tanh": Tanh, "sigmoid": Sigmoid}


def make_activation(activation):
    """A new activation module from a name in ``ACTIVATIONS`` or a Module class."""
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)} or pass a Module class")
        return ACTIVATIONS[activation]()
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    raise TypeError(f"MLP: activation must be a name or a Module class, got {activation!r}")


class MLP(Module):
    """Flatten -> [Linear -> activation (-> Dropout)] per hidden width -> Linear.

    ``MLP(64, hidden=(128, 64), num_classes=10)`` maps (N, 1, 8, 8) or (N, 64) inputs to
    (N, 10) logits. ``dropout > 0`` adds a Dropout after every hidden activation. State
    dict keys: ``features.<i>.weight`` / ``.bias`` for the hidden Linears (every
    activation and Dropout takes an index in ``features`` too) and ``classifier.weight``
    / ``.bias``, the same as the PyTorch module written the same way.

    Parameters: sum over layers of (fan_in + 1) * fan_out; 17,226 for the defaults
    (64*128 + 128 + 128*64 + 64 + 64*10 + 10).
    """

    def __init__(self, in_features=64, hidden=(128, 64), num_classes=10, activation="relu", dropout=0.0):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        self.in_features = in_features
        layers, width = [], in_features
        for h in hidden:
            layers += [Linear(width, h), make_activation(activation)]
            if dropout > 0:
                layers.append(Dropout(dropout))
            width = h
        self.features = Sequential(*layers)
        self.classifier = Linear(width, num_classes)

    def forward(self, x):
        # BEGIN SOLUTION task 5.1
        x = x.flatten(1)  # (N, C, H, W) -> (N, C*H*W): one vector per sample
        if x.shape[1] != self.in_features:
            raise ValueError(f"MLP: expected {self.in_features} input features per sample, got input of shape "
                             f"{tuple(x.shape)} ({x.shape[1]} features after flattening)")
        return self.classifier(self.features(x))
        # END SOLUTION
