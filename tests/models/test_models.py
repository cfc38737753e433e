"""The course models: output shapes, hand-counted parameters, gradient flow, and state_dict
keys that match the same architecture written in PyTorch."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu.models import MLP, SmallCNN
from tinygrad_edu.nn.activation import Tanh
from tinygrad_edu.nn.dropout import Dropout
from tinygrad_edu.nn.loss import CrossEntropyLoss


def n_params(model):
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------------- MLP
def test_mlp_default_shapes_and_parameter_count():
    model = MLP()
    assert model(tge.randn(5, 1, 8, 8)).shape == (5, 10)  # images are flattened
    assert model(tge.randn(5, 64)).shape == (5, 10)
    # (64 + 1) * 128 + (128 + 1) * 64 + (64 + 1) * 10
    assert n_params(model) == 8320 + 8256 + 650 == 17226
    assert list(model.state_dict()) == ["features.0.weight", "features.0.bias", "features.2.weight",
                                        "features.2.bias", "classifier.weight", "classifier.bias"]


def test_mlp_options():
    model = MLP(in_features=12, hidden=(32,), num_classes=3, activation="tanh", dropout=0.25)
    assert model(tge.randn(4, 3, 2, 2)).shape == (4, 3)
    assert n_params(model) == (12 + 1) * 32 + (32 + 1) * 3 == 515
    kinds = [type(m) for m in model.features]
    assert kinds[1] is Tanh and kinds[2] is Dropout and model.features[2].p == 0.25
    assert MLP(hidden=(), num_classes=10)(tge.randn(2, 64)).shape == (2, 10)  # logistic regression
    assert type(MLP(activation=Tanh).features[1]) is Tanh


def test_mlp_errors():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP(activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        MLP(dropout=1.0)
    with pytest.raises(ValueError, match=r"MLP: expected 64 input features.*\(2, 49\)"):
        MLP()(tge.randn(2, 1, 7, 7))


# ------------------------------------------------------------------------------ SmallCNN
def test_small_cnn_default_shapes_and_parameter_count():
    model = SmallCNN()
    assert model(tge.randn(3, 1, 8, 8)).shape == (3, 10)
    conv = 1 * 32 * 9 + 32 * 32 * 9 + 32 * 64 * 9 + 64 * 64 * 9  # no conv biases (BatchNorm follows)
    bn = 2 * (32 + 32 + 64 + 64)
    assert conv == 64800 and bn == 384
    assert n_params(model) == conv + bn + 64 * 10 + 10 == 65834
    buffers = dict(model.named_buffers())
    assert len(buffers) == 4 * 3  # running_mean, running_var, num_batches_tracked per BatchNorm


def test_small_cnn_feature_shapes_and_options():
    model = SmallCNN()
    x = tge.randn(2, 1, 8, 8)
    assert model.features(x).shape == (2, 64, 4, 4)  # one 2x2 max pool between the two stages
    small = SmallCNN(in_channels=3, num_classes=5, widths=(8,), blocks_per_stage=1)
    assert small(tge.randn(2, 3, 6, 6)).shape == (2, 5)
    assert n_params(small) == 3 * 8 * 9 + 2 * 8 + 8 * 5 + 5 == 277
    # global average pooling: any image size, e.g. 28x28 MNIST
    assert model(tge.randn(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(ValueError, match=r"SmallCNN: expected images \(N, C, H, W\)"):
        model(tge.randn(2, 64))
    with pytest.raises(ValueError, match="at least one stage"):
        SmallCNN(widths=())


def test_small_cnn_eval_output_does_not_depend_on_the_batch():
    model = SmallCNN()
    x = tge.randn(6, 1, 8, 8)
    model(x)  # one training step's worth of running statistics
    model.eval()
    with tge.no_grad():
        together = model(x).cpu().numpy()
        alone = model(x[:2]).cpu().numpy()
    np.testing.assert_allclose(alone, together[:2], rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("build", [MLP, SmallCNN, lambda: MLP(dropout=0.2, activation="gelu")],
                         ids=["mlp", "cnn", "mlp-dropout-gelu"])
def test_gradients_reach_every_parameter(build):
    model = build()
    x, y = tge.randn(8, 1, 8, 8), tge.tensor(np.arange(8) % 10)
    CrossEntropyLoss()(model(x), y).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert p.grad.shape == p.shape, name
        assert np.abs(p.grad.cpu().numpy()).sum() > 0, f"{name}: zero gradient"
        assert np.isfinite(p.grad.cpu().numpy()).all(), name


# -------------------------------------------------------------------- PyTorch structure
def test_state_dicts_match_the_same_models_in_pytorch():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    class TorchMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
            self.classifier = nn.Linear(64, 10)

        def forward(self, x):
            return self.classifier(self.features(x.flatten(1)))

    class TorchCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(block(1, 32), block(32, 32), nn.MaxPool2d(2), block(32, 64), block(64, 64))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.classifier = nn.Linear(64, 10)

        def forward(self, x):
            return self.classifier(self.flatten(self.pool(self.features(x))))

    x = np.random.default_rng(0).normal(size=(4, 1, 8, 8)).astype(np.float32)
    for ours, theirs in ((MLP(), TorchMLP()), (SmallCNN(), TorchCNN())):
        sd = theirs.state_dict()
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [(k, tuple(v.shape)) for k, v in sd.items()]
        ours.load_state_dict({k: v.cpu().numpy() for k, v in sd.items()})  # PyTorch weights -> ours
        ours.eval(), theirs.eval()
        with tge.no_grad(), torch.no_grad():
            np.testing.assert_allclose(ours(tge.tensor(x)).cpu().numpy(), theirs(torch.from_numpy(x)).cpu().numpy(), rtol=1e-4, atol=1e-5)
