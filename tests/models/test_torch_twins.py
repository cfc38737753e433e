"""Each course model against a PyTorch twin (tests/models/torch_twins.py): weights move
through a safetensors file in each direction (tge -> safetensors.torch, and
torch -> tge.load_safetensors), and the outputs agree in eval mode, in float64."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import models as M
from tinygrad_edu.models.resnet import CifarResNet

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
from . import torch_twins as T  # noqa: E402


def train_bn_statistics(model, make_input):
    """Two training-mode forwards so BatchNorm's running statistics are not 0 / 1."""
    model.train()
    with tge.no_grad():
        model(*make_input())
        model(*make_input())


# name: (tge builder, torch twin builder, input shape, extra call args)
CASES = {
    "vgg7": (lambda: M.vgg7(in_channels=1, num_classes=3), lambda: T.vgg7(1, 3), (2, 1, 12, 12), ()),
    "resnet18": (lambda: M.resnet18(num_classes=5), lambda: T.ResNet([2, 2, 2, 2], 5), (2, 3, 32, 32), ()),
    "resnet20": (lambda: M.resnet20(num_classes=4, in_channels=1), lambda: T.CifarResNet(3, 4, 1), (2, 1, 8, 8), ()),
    "resnet8_odd": (lambda: CifarResNet(1, 3, 3), lambda: T.CifarResNet(1, 3, 3), (2, 3, 7, 7), ()),
    "lenet5": (lambda: M.lenet5(), lambda: T.LeNet5(), (3, 1, 28, 28), ()),
    "dncnn": (lambda: M.dncnn(depth=5, features=8), lambda: T.DnCNN(depth=5, features=8), (2, 1, 10, 10), ()),
    "dncnn_ablation": (lambda: M.dncnn(depth=4, features=8, batch_norm=False, residual=False),
                       lambda: T.DnCNN(depth=4, features=8, batch_norm=False, residual=False), (2, 1, 10, 10), ()),
    "dn_resnet": (lambda: M.dn_resnet(features=8, blocks=2), lambda: T.DNResNet(features=8, blocks=2),
                  (2, 1, 10, 10), ()),
    "drunet": (lambda: M.drunet(3, 3, features=(4, 6, 8, 10), blocks=2),
               lambda: T.DRUNet(3, 3, features=(4, 6, 8, 10), blocks=2), (2, 3, 16, 16), (0.1,)),
    "unet": (lambda: M.unet(features=4, depth=2), lambda: T.UNet(features=4, depth=2), (1, 1, 52, 52), ()),
    "unet_same_add": (lambda: M.unet(3, 5, features=4, depth=3, padding=1, merge="add"),
                      lambda: T.UNet(3, 5, features=4, depth=3, padding=1, merge="add"), (1, 3, 16, 24), ()),
    "autoencoder": (lambda: M.ConvAutoencoder(features=4), lambda: T.ConvAutoencoder(features=4), (2, 1, 28, 28), ()),
    "denoising_autoencoder": (lambda: M.DenoisingAutoencoder(features=4), lambda: T.ConvAutoencoder(features=4),
                              (2, 1, 12, 12), ()),
    "sparse_autoencoder": (lambda: M.SparseAutoencoder(features=4), lambda: T.ConvAutoencoder(features=4),
                           (2, 1, 12, 12), ()),
    "dcgan_generator": (lambda: M.dcgan_generator(latent_dim=6, features=4),
                        lambda: T.DCGANGenerator(6, features=4), (3, 6), ()),
    "dcgan_generator32": (lambda: M.dcgan_generator(latent_dim=6, channels=3, features=4, image_size=32),
                          lambda: T.DCGANGenerator(6, 3, 4, 32), (3, 6), ()),
    "dcgan_discriminator": (lambda: M.dcgan_discriminator(features=4),
                            lambda: T.DCGANDiscriminator(features=4), (3, 1, 28, 28), ()),
    "dcgan_discriminator32": (lambda: M.dcgan_discriminator(channels=3, features=4, image_size=32),
                              lambda: T.DCGANDiscriminator(3, 4, 32), (3, 3, 32, 32), ()),
    "coordinate_mlp": (lambda: M.CoordinateMLP(hidden=16, layers=2), lambda: T.CoordinateMLP(hidden=16, layers=2),
                       (10, 2), ()),
}


def tge_input(shape, rng):
    return tge.tensor(rng.standard_normal(shape))


@pytest.mark.parametrize("direction", ["tge_to_torch", "torch_to_tge"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_equals_torch_twin_after_safetensors_round_trip(name, direction, tmp_path, rng):
    build, build_twin, shape, extra = CASES[name]
    model = build().double()
    twin = build_twin().double()
    path = str(tmp_path / "weights.safetensors")
    if direction == "tge_to_torch":
        train_bn_statistics(model, lambda: (tge_input(shape, rng), *extra))
        tge.save_safetensors(model.state_dict(), path, metadata={"model": name})
        twin.load_state_dict(safetensors_torch.load_file(path), strict=True)
    else:
        twin.train()
        with torch.no_grad():
            twin(torch.as_tensor(rng.standard_normal(shape)), *extra)
        safetensors_torch.save_file(twin.state_dict(), path)
        result = model.load_state_dict(tge.load_safetensors(path), strict=True)
        assert not result.missing_keys and not result.unexpected_keys
    assert list(model.state_dict()) == list(twin.state_dict())  # same keys, same order
    model.eval(), twin.eval()
    x = rng.standard_normal(shape)
    with tge.no_grad(), torch.no_grad():
        ours = model(tge.tensor(x), *extra).cpu().numpy()
        theirs = twin(torch.as_tensor(x), *extra).cpu().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("kind", ["fourier", "gaussian"])
def test_fourier_coordinate_mlp_equals_twin(kind, rng):
    model = M.CoordinateMLP(out_features=3, hidden=8, layers=2, encoding=kind, num_frequencies=4).double()
    state = {k: torch.as_tensor(v.cpu().numpy()) for k, v in model.state_dict().items()}
    twin = T.CoordinateMLP(out_features=3, hidden=8, layers=2, B=state["encoding.B"].cpu().numpy()).double()
    twin.load_state_dict(state)
    p = rng.random((7, 2))
    with tge.no_grad(), torch.no_grad():
        np.testing.assert_allclose(model(tge.tensor(p)).cpu().numpy(), twin(torch.as_tensor(p)).cpu().numpy(), rtol=1e-9, atol=1e-10)
    if kind == "fourier":  # NeRF's gamma: sin(2^k pi p), cos(2^k pi p)
        gamma = model.encoding(tge.tensor(p)).cpu().numpy()
        k = np.repeat(np.arange(4), 2)
        expected_arg = np.pi * 2.0 ** k * np.tile(p, (1, 4))
        np.testing.assert_allclose(gamma, np.concatenate([np.sin(expected_arg), np.cos(expected_arg)], 1), atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alexnet", "vgg16", "resnet34"])
def test_big_torchvision_layouts_forward_equals_twin_float32(name, tmp_path, rng, monkeypatch):
    """The big models once, in float32 at a small image size: PyTorch's random weights go
    through a safetensors file into ours (ours skip their own initialisation, so memory is
    written only once)."""
    from tinygrad_edu.nn import init
    for fn in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_", "zeros_", "ones_"):
        monkeypatch.setattr(init, fn, lambda tensor, *args, **kwargs: tensor)
    build, build_twin, size = {"alexnet": (M.alexnet, T.AlexNet, 63), "vgg16": (M.vgg16, T.vgg16, 32),
                               "resnet34": (M.resnet34, lambda: T.ResNet([3, 4, 6, 3]), 32)}[name]
    torch.manual_seed(0)
    twin = build_twin().eval()
    path = str(tmp_path / "w.safetensors")
    safetensors_torch.save_file(twin.state_dict(), path)
    del twin
    model = build().eval()
    model.load_state_dict(tge.load_safetensors(path))
    x = rng.standard_normal((2, 3, size, size)).astype(np.float32)
    with tge.no_grad():
        ours = model(tge.tensor(x)).cpu().numpy()
    del model
    twin = build_twin().eval()
    twin.load_state_dict(safetensors_torch.load_file(path))
    with torch.no_grad():
        theirs = twin(torch.as_tensor(x)).cpu().numpy()
    scale = np.abs(theirs).max()
    assert scale > 1e-3  # logits of a real size, so the tolerance below means something
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-4 * scale)
