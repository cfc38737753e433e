"""The course models: parameter counts against their papers / slides / torchvision, output
shapes at two sizes, a float64 gradient check of a tiny instance, the errors bad inputs get,
and (with torch) the same forward as a PyTorch twin after the weights move through a
safetensors file in each direction."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import kernels
from tinygrad_edu import models as M
from tinygrad_edu.autograd import gradcheck
from tinygrad_edu.models.resnet import CifarResNet
from tinygrad_edu.nn import init


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.fixture
def no_init(monkeypatch):
    """Skip the random initialisation, so constructing a 138M-parameter model only reserves
    (untouched, so never committed) memory: for counting parameters and reading key shapes."""
    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_", "zeros_", "ones_", "constant_",
                 "xavier_uniform_", "xavier_normal_", "trunc_normal_"):
        monkeypatch.setattr(init, name, lambda tensor, *args, **kwargs: tensor)


# ------------------------------------------------------------------ parameter counts
def test_vgg7_per_layer_counts_match_the_slide_and_their_sum_is_2634177():
    model = M.vgg7()
    convs = [m for m in model.features if isinstance(m, tge.nn.Conv2d)]
    linears = [m for m in model.classifier if isinstance(m, tge.nn.Linear)]
    per_layer = [n_params(m) for m in convs + linears]
    assert per_layer == [896, 18496, 73856, 147584, 295168, 2097664, 513]  # the slide's terms
    assert n_params(model) == sum(per_layer) == 2634177  # the slide prints 2,634,167: an addition slip
    assert [type(m).__name__ for m in model.features].count("MaxPool2d") == 3


@pytest.mark.parametrize("build, expected", [
    (lambda: M.dncnn(), 556096),                         # the issue / Zhang et al. 2017, depth 17
    (lambda: M.drunet(3, 3), 32640960),                  # DPIR's colour DRUNet
    (lambda: M.drunet(), 32638656),                      # grayscale: 2,304 fewer head/tail weights
    (lambda: M.unet(), 31030658),                        # the 2015 U-Net
    (lambda: M.resnet20(), 269722),                      # "0.27M" (He et al. 2016, Table 6)
    (lambda: M.lenet5(), 61706),
    (lambda: M.vgg16(), 138357544),                      # torchvision vgg16
    (lambda: M.alexnet(), 61100840),                     # torchvision alexnet
    (lambda: M.resnet18(), 11689512),                    # torchvision resnet18
    (lambda: M.resnet34(), 21797672),                    # torchvision resnet34
])
def test_parameter_counts(no_init, build, expected):
    assert n_params(build()) == expected


def test_parameter_counts_by_formula():
    # DnCNN: first conv with bias, 15 conv (no bias) + BN, last conv without bias
    assert n_params(M.dncnn(depth=5, features=8)) == (9 * 8 + 8) + 3 * (9 * 64 + 16) + 9 * 8
    assert n_params(M.dncnn(depth=5, features=8, batch_norm=False)) == (9 * 8 + 8) + 3 * (9 * 64 + 8) + 9 * 8
    assert n_params(M.dn_resnet()) == 640 + 8 * 2 * (36864 + 64) + 577 == 592065
    # the skip (add) U-Net's decoder convolutions see half the channels
    concat, add = M.unet(features=4, depth=2), M.unet(features=4, depth=2, merge="add")
    assert n_params(concat) - n_params(add) == 9 * (8 * 8 + 4 * 4)  # 16->8 vs 8->8 and 8->4 vs 4->4
    g, d = M.dcgan_generator(), M.dcgan_discriminator()
    assert n_params(g) == 100 * 128 * 49 + 2 * 128 + 128 * 64 * 16 + 2 * 64 + 64 * 1 * 16
    assert n_params(d) == 1 * 64 * 16 + 64 * 128 * 16 + 2 * 128 + 128 * 49
    assert n_params(M.CoordinateMLP(encoding="fourier", hidden=16, layers=2, num_frequencies=3)) == \
        (12 + 1) * 16 + (16 + 1) * 16 + 17


# ------------------------------------------- torchvision's state_dict keys, order, shapes
def torchvision_vgg16_keys(num_classes=1000):
    """From torchvision's VGG-16 ("D"): convs at features.{0,2,5,...}, classifier.{0,3,6}."""
    keys, index, c = [], 0, 3
    for item in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
        if item == "M":
            index += 1
            continue
        keys += [(f"features.{index}.weight", (item, c, 3, 3)), (f"features.{index}.bias", (item,))]
        c, index = item, index + 2  # conv + ReLU
    for i, (fan_in, fan_out) in zip((0, 3, 6), ((25088, 4096), (4096, 4096), (4096, num_classes))):
        keys += [(f"classifier.{i}.weight", (fan_out, fan_in)), (f"classifier.{i}.bias", (fan_out,))]
    return keys


def torchvision_alexnet_keys(num_classes=1000):
    convs = {0: (64, 3, 11), 3: (192, 64, 5), 6: (384, 192, 3), 8: (256, 384, 3), 10: (256, 256, 3)}
    keys = []
    for i, (o, c, k) in convs.items():
        keys += [(f"features.{i}.weight", (o, c, k, k)), (f"features.{i}.bias", (o,))]
    for i, (fan_in, fan_out) in zip((1, 4, 6), ((9216, 4096), (4096, 4096), (4096, num_classes))):
        keys += [(f"classifier.{i}.weight", (fan_out, fan_in)), (f"classifier.{i}.bias", (fan_out,))]
    return keys


def bn_keys(prefix, c):
    return [(f"{prefix}.weight", (c,)), (f"{prefix}.bias", (c,)), (f"{prefix}.running_mean", (c,)),
            (f"{prefix}.running_var", (c,)), (f"{prefix}.num_batches_tracked", ())]


def torchvision_resnet_keys(blocks, num_classes=1000):
    """torchvision's BasicBlock ResNet: conv1, bn1, layerL.B.{conv1,bn1,conv2,bn2,downsample.0/.1}, fc."""
    keys = [("conv1.weight", (64, 3, 7, 7))] + bn_keys("bn1", 64)
    c_in = 64
    for layer, (c, n) in enumerate(zip((64, 128, 256, 512), blocks), start=1):
        for b in range(n):
            p = f"layer{layer}.{b}"
            keys += [(f"{p}.conv1.weight", (c, c_in if b == 0 else c, 3, 3))] + bn_keys(f"{p}.bn1", c)
            keys += [(f"{p}.conv2.weight", (c, c, 3, 3))] + bn_keys(f"{p}.bn2", c)
            if b == 0 and c != c_in:
                keys += [(f"{p}.downsample.0.weight", (c, c_in, 1, 1))] + bn_keys(f"{p}.downsample.1", c)
        c_in = c
    return keys + [("fc.weight", (num_classes, 512)), ("fc.bias", (num_classes,))]


@pytest.mark.parametrize("build, expected", [
    (lambda: M.vgg16(), torchvision_vgg16_keys()),
    (lambda: M.vgg16(num_classes=10), torchvision_vgg16_keys(10)),
    (lambda: M.alexnet(), torchvision_alexnet_keys()),
    (lambda: M.resnet18(), torchvision_resnet_keys([2, 2, 2, 2])),
    (lambda: M.resnet34(num_classes=7), torchvision_resnet_keys([3, 4, 6, 3], 7)),
], ids=["vgg16", "vgg16-10", "alexnet", "resnet18", "resnet34-7"])
def test_state_dict_keys_order_and_shapes_are_torchvisions(no_init, build, expected):
    state = build().state_dict()
    assert [(k, tuple(v.shape)) for k, v in state.items()] == expected


def test_drunet_keys_follow_the_authors_code(no_init):
    keys = list(M.drunet().state_dict())
    assert keys[:3] == ["m_head.weight", "m_down1.0.res.0.weight", "m_down1.0.res.2.weight"]
    assert "m_down1.4.weight" in keys and "m_up3.0.weight" in keys and "m_up1.4.res.2.weight" in keys
    assert keys[-1] == "m_tail.weight" and len(keys) == 1 + 3 * (8 + 1) + 8 + 3 * (1 + 8) + 1


# ------------------------------------------------------------ tiny instances of every model
def image(n, c, h, w=None, dtype=None):
    return tge.randn(n, c, h, h if w is None else w, dtype=dtype)


# name: (tge builder, input maker (size) -> args, two sizes, expected output shape (size) -> shape)
TINY = {
    "vgg7": (lambda: M.vgg7(in_channels=1, num_classes=3), lambda s: (image(2, 1, s),), (8, 12), lambda s: (2, 3)),
    "resnet20": (lambda: M.resnet20(num_classes=4, in_channels=1), lambda s: (image(2, 1, s),), (4, 9), lambda s: (2, 4)),
    "resnet18": (lambda: M.resnet18(num_classes=5), lambda s: (image(2, 3, s),), (16, 33), lambda s: (2, 5)),
    "lenet5": (lambda: M.lenet5(), lambda s: (image(2, 1, 28),), (28, 28), lambda s: (2, 10)),
    "dncnn": (lambda: M.dncnn(depth=4, features=4), lambda s: (image(2, 1, s),), (5, 8), lambda s: (2, 1, s, s)),
    "dncnn_plain": (lambda: M.dncnn(depth=3, features=4, batch_norm=False, residual=False),
                    lambda s: (image(2, 1, s),), (5, 8), lambda s: (2, 1, s, s)),
    "dn_resnet": (lambda: M.dn_resnet(features=4, blocks=2), lambda s: (image(2, 1, s),), (5, 8),
                  lambda s: (2, 1, s, s)),
    "drunet": (lambda: M.drunet(features=(2, 3, 4, 5), blocks=1), lambda s: (image(2, 1, s), 0.1), (8, 16),
               lambda s: (2, 1, s, s)),
    "unet": (lambda: M.unet(features=2, depth=2), lambda s: (image(1, 1, s),), (44, 48),
             lambda s: (1, 2, s - 40, s - 40)),
    "unet_same_add": (lambda: M.unet(features=2, depth=2, padding=1, merge="add"), lambda s: (image(1, 1, s),),
                      (4, 8), lambda s: (1, 2, s, s)),
    "autoencoder": (lambda: M.ConvAutoencoder(features=3), lambda s: (image(2, 1, s),), (4, 28),
                    lambda s: (2, 1, s, s)),
    "dcgan_generator": (lambda: M.dcgan_generator(latent_dim=5, features=2), lambda s: (tge.randn(s, 5),), (1, 3),
                        lambda s: (s, 1, 28, 28)),
    "dcgan_generator32": (lambda: M.dcgan_generator(latent_dim=5, features=2, channels=3, image_size=32),
                          lambda s: (tge.randn(s, 5),), (1, 3), lambda s: (s, 3, 32, 32)),
    "dcgan_discriminator": (lambda: M.dcgan_discriminator(features=2), lambda s: (image(s, 1, 28),), (1, 3),
                            lambda s: (s,)),
    "dcgan_discriminator32": (lambda: M.dcgan_discriminator(features=2, image_size=32), lambda s: (image(s, 1, 32),),
                              (1, 3), lambda s: (s,)),
    "coordinate_mlp": (lambda: M.CoordinateMLP(hidden=8, layers=2, encoding="fourier", num_frequencies=3),
                       lambda s: (M.pixel_coordinates(s, s),), (3, 5), lambda s: (s * s, 1)),
    "coordinate_mlp_gaussian": (lambda: M.CoordinateMLP(out_features=3, hidden=8, layers=1, encoding="gaussian",
                                                        num_frequencies=4),
                                lambda s: (M.pixel_coordinates(s, s),), (3, 5), lambda s: (s * s, 3)),
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_output_shapes_at_two_sizes(name):
    build, make_args, sizes, shape = TINY[name]
    model = build()
    for s in sizes:
        assert tuple(model(*make_args(s)).shape) == shape(s), (name, s)


def test_big_models_output_shape_on_a_small_image():
    assert M.resnet34(num_classes=3)(image(2, 3, 32)).shape == (2, 3)
    assert M.unet(features=4)(image(1, 1, 188)).shape == (1, 2, 4, 4)  # depth 4: smallest valid size


GRADCHECK = {  # tiny enough for full float64 Jacobians (2 forwards per input element)
    "vgg7": (lambda: M.vgg7(in_channels=1, num_classes=2), (2, 1, 8, 8)),
    "resnet20": (lambda: CifarResNet(1, num_classes=2, in_channels=1), (2, 1, 4, 4)),  # n = 1: ResNet-8
    "dncnn": (lambda: M.dncnn(depth=3, features=2), (2, 1, 4, 4)),
    "dn_resnet": (lambda: M.dn_resnet(features=2, blocks=1), (1, 1, 4, 4)),
    "drunet": (lambda: M.drunet(features=(2, 2, 2, 2), blocks=1), (1, 2, 8, 8)),
    "unet": (lambda: M.unet(features=1, depth=1), (1, 1, 18, 18)),  # smallest valid size for depth 1
    "unet_same_add": (lambda: M.unet(features=1, depth=1, padding=1, merge="add"), (1, 1, 4, 4)),
    "autoencoder": (lambda: M.ConvAutoencoder(features=2), (1, 1, 4, 4)),
    "dcgan_generator": (lambda: M.dcgan_generator(latent_dim=2, features=1), (2, 2)),
    "dcgan_discriminator": (lambda: M.dcgan_discriminator(features=1), (2, 1, 28, 28)),
    "coordinate_mlp": (lambda: M.CoordinateMLP(hidden=3, layers=1, encoding="fourier", num_frequencies=2), (3, 2)),
    "lenet5": (lambda: M.lenet5(), (1, 1, 28, 28)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck_tiny_instance_float64(name):
    build, shape = GRADCHECK[name]
    model = build().double()
    x = tge.randn(*shape, dtype=tge.float64, requires_grad=True)
    weight = [p for p in model.parameters()][-1]  # the last weight: gradient through the whole head

    def f(inp, w):
        return model(inp)

    previous = kernels.current()
    kernels.use("numpy")  # tiny inputs: the vectorised NumPy kernels need no Numba compilation
    try:
        # vgg7 and lenet5 have millions of weights / 784 pixels: one random projection u^T J v
        assert gradcheck(f, (x, weight), atol=1e-5, rtol=1e-3, fast_mode=name in ("vgg7", "lenet5"))
    finally:
        kernels.use(previous)


def test_public_names_of_the_issue():
    """The constructor names the lectures use (issue 8) are the public API of tge.models."""
    for name in ("vgg7", "alexnet", "vgg16", "resnet18", "resnet34", "resnet20", "lenet5", "dncnn", "dn_resnet",
                 "drunet", "unet", "ConvAutoencoder", "DenoisingAutoencoder", "SparseAutoencoder", "dcgan_generator",
                 "dcgan_discriminator", "SinusoidalPositionalEncoding", "LearnedPositionalEncoding", "FourierFeatures",
                 "CoordinateMLP", "NoiseLevelEncoding", "pnp_hqs", "deep_image_prior"):
        assert name in M.__all__ and callable(getattr(tge.models, name)), name
    assert callable(tge.nn.functional.ssim) and callable(tge.nn.functional.psnr) and tge.nn.SSIMLoss
    assert callable(tge.save_safetensors) and callable(tge.load_safetensors)
