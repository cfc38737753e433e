"""What the course models do beyond their shapes: the errors bad inputs get (model, layer,
sizes, the sizes that work), the positional encodings against their formulas, the
autoencoders' noise and code, DnCNN's residual output, DRUNet's noise-level channel."""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import models as M
from tinygrad_edu.models.unet import output_size, valid_sizes


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("build, x, pattern", [
    (lambda: M.vgg7(), (2, 1, 32, 32), r"vgg7: features.0 .* expects 3 input channel\(s\), got .*\(2, 1, 32, 32\)"),
    (lambda: M.vgg7(), (2, 3, 4, 4), r"vgg7: input of size 4x4 is too small.*3 2x2 max pools.*at least 8x8"),
    (lambda: M.dncnn(depth=3, features=2), (1, 3, 8, 8), r"dncnn: layers.0 .* expects 1 input channel"),
    (lambda: M.unet(features=2, depth=2), (1, 1, 45, 45),
     r"unet: input of size 45x45 does not work with depth=2, padding=0.*nearest to 45 are \[44, 48\]"),
    (lambda: M.unet(features=2, depth=2, padding=1), (1, 1, 10, 8), r"multiples of 4: the nearest to 10 are \[8, 12\]"),
    (lambda: M.unet(features=2, depth=2), (1, 2, 44, 44), r"unet: encoder.0 .* expects 1 input channel"),
    (lambda: M.drunet(features=(2, 2, 2, 2), blocks=1), (1, 1, 12, 16),
     r"drunet: input of size 12x16 does not work: m_down1..3 are three 2x2 stride-2 convolutions.*multiples of 8"),
    (lambda: M.ConvAutoencoder(features=2), (1, 1, 6, 6), r"ConvAutoencoder: input of size 6x6 .*multiples of 4"),
    (lambda: M.lenet5(), (1, 1, 32, 32), r"lenet5: classifier.0 \(F5\) expects 16x5x5 features.*got input of size 32x32"),
    (lambda: M.resnet18(num_classes=2), (1, 1, 32, 32), r"resnet18: conv1 expects 3 input channel"),
    (lambda: M.alexnet(num_classes=2), (1, 3, 32, 32), r"alexnet: input of size 32x32 is too small.*at least 63x63"),
    (lambda: M.dcgan_discriminator(features=2), (1, 1, 32, 32), r"dcgan_discriminator: built for 28x28 images"),
])
def test_bad_inputs_name_the_model_layer_and_sizes(build, x, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()(tge.randn(*x), *((0.1,) if "drunet" in pattern else ()))


def test_constructor_errors():
    with pytest.raises(ValueError, match="merge must be 'concat' or 'add'"):
        M.unet(merge="sum")
    with pytest.raises(ValueError, match="image_size must be 28 .* or 32"):
        M.dcgan_generator(image_size=64)
    with pytest.raises(ValueError, match="dncnn: depth must be at least 2"):
        M.dncnn(depth=1)
    with pytest.raises(ValueError, match="d_model must be even"):
        M.SinusoidalPositionalEncoding(7)
    with pytest.raises(ValueError, match="encoding must be None, 'fourier' or 'gaussian'"):
        M.CoordinateMLP(encoding="nerf")
    with pytest.raises(ValueError, match=r"dcgan_generator: main.0 expects latent vectors \(N, 100\)"):
        M.dcgan_generator()(tge.randn(2, 10))


def test_unet_valid_sizes():
    assert output_size(572) == 388  # the paper's figure
    assert valid_sizes(4, 0, 300) == list(range(188, 301, 16))  # 16k + 124
    assert valid_sizes(3, 1, 40) == [8, 16, 24, 32, 40]
    assert output_size(573) is None


# -------------------------------------------------------------------- positional encodings
def test_sinusoidal_encoding_is_the_lecture_formula():
    d, n = 6, 10000.0
    pe = M.SinusoidalPositionalEncoding(d)
    x = tge.zeros(1, 5, d)
    table = pe(x).cpu().numpy()[0]
    for t in range(5):
        for i in range(d // 2):
            lam = n ** (2 * i / d)
            assert table[t, 2 * i] == pytest.approx(np.sin(t / lam), abs=1e-6)
            assert table[t, 2 * i + 1] == pytest.approx(np.cos(t / lam), abs=1e-6)
    with pytest.raises(ValueError, match="exceeds max_len 3"):
        M.SinusoidalPositionalEncoding(d, max_len=3)(x)


def test_learned_encoding_is_trainable_rows():
    pe = M.LearnedPositionalEncoding(4, max_len=6)
    x = tge.zeros(2, 3, 4)
    out = pe(x)
    np.testing.assert_array_equal(out.detach().cpu().numpy()[1], pe.weight.detach().cpu().numpy()[:3])
    out.sum().backward()
    np.testing.assert_array_equal(pe.weight.grad.cpu().numpy(), np.r_[np.full((3, 4), 2.0), np.zeros((3, 4))])


def test_noise_level_encodings():
    x = tge.randn(2, 3, 4, 4)
    mapped = M.noise_level_map(x, tge.tensor([0.1, 0.2]))
    assert mapped.shape == (2, 4, 4, 4)
    np.testing.assert_allclose(mapped.cpu().numpy()[:, 3], np.array([0.1, 0.2])[:, None, None] * np.ones((2, 4, 4)), atol=1e-7)
    np.testing.assert_array_equal(mapped.cpu().numpy()[:, :3], x.cpu().numpy())
    enc = M.NoiseLevelEncoding(dim=8)
    e = enc(tge.tensor([25 / 255.0, 50 / 255.0])).cpu().numpy()
    assert e.shape == (2, 8)
    assert e[0, 0] == pytest.approx(np.sin(25.0), abs=1e-5) and e[1, 1] == pytest.approx(np.cos(50.0), abs=1e-5)
    assert enc.map(x, 0.5).shape == (2, 4, 4, 4)


# ------------------------------------------------------------------------ model behaviour
def test_dncnn_residual_returns_y_minus_noise_estimate():
    model = M.dncnn(depth=3, features=4).eval()
    plain = M.dncnn(depth=3, features=4, residual=False).eval()
    plain.load_state_dict(model.state_dict())
    y = tge.randn(1, 1, 6, 6)
    with tge.no_grad():
        np.testing.assert_allclose(model(y).cpu().numpy(), (y - plain(y)).cpu().numpy(), atol=1e-6)


def test_drunet_sigma_channel_equals_prebuilt_map():
    model = M.drunet(features=(2, 2, 2, 2), blocks=1)
    y = tge.randn(1, 1, 8, 8)
    with tge.no_grad():
        np.testing.assert_allclose(model(y, 0.2).cpu().numpy(), model(M.noise_level_map(y, 0.2)).cpu().numpy(), atol=1e-6)
        assert not np.allclose(model(y, 0.2).cpu().numpy(), model(y, 0.05).cpu().numpy())


def test_denoising_autoencoder_adds_noise_only_in_training():
    model = M.DenoisingAutoencoder(features=2, noise_std=0.5)
    x = tge.rand(2, 1, 8, 8)
    with tge.no_grad():
        a, b = model(x).cpu().numpy(), model(x).cpu().numpy()
        assert not np.allclose(a, b)  # a new corruption each call
        model.eval()
        np.testing.assert_array_equal(model(x).cpu().numpy(), model(x).cpu().numpy())
        clean = M.ConvAutoencoder(features=2)
        clean.load_state_dict(model.state_dict())
        np.testing.assert_allclose(model(x).cpu().numpy(), clean(x).cpu().numpy(), atol=1e-7)


def test_sparse_autoencoder_exposes_its_code_for_an_l1_penalty():
    model = M.SparseAutoencoder(features=3)
    with pytest.raises(RuntimeError, match="no code yet"):
        M.sparsity_penalty(model)
    x = tge.rand(2, 1, 8, 8)
    out = model(x)
    assert model.code.shape == (2, 3, 2, 2)
    penalty = M.sparsity_penalty(model)
    assert penalty.item() == pytest.approx(np.abs(model.code.detach().cpu().numpy()).mean(), rel=1e-6)
    ((out - x) ** 2).mean().add(0.1 * penalty).backward()
    assert model.encoder[0].weight.grad is not None


def test_fourier_features_have_a_saved_random_matrix():
    tge.manual_seed(3)
    a = M.FourierFeatures(2, 5, kind="gaussian", scale=2.0)
    assert a.B.shape == (5, 2) and "B" in a.state_dict() and a.out_features == 10
    tge.manual_seed(4)
    b = M.FourierFeatures(2, 5, kind="gaussian", scale=2.0)
    assert not np.allclose(a.B.cpu().numpy(), b.B.cpu().numpy())
    b.load_state_dict(a.state_dict())
    p = tge.rand(3, 2)
    np.testing.assert_array_equal(a(p).cpu().numpy(), b(p).cpu().numpy())


def test_denoising_training_step_reconstructs_the_clean_image_from_the_noisy_one():
    tge.manual_seed(0)
    model = M.DenoisingAutoencoder(features=2, noise_std=0.5).double()
    clean = tge.tensor(np.random.default_rng(0).uniform(size=(2, 1, 8, 8)))
    noise = tge.tensor(np.random.default_rng(1).normal(scale=0.3, size=(2, 1, 8, 8)))
    with tge.no_grad():
        expected = tge.nn.functional.binary_cross_entropy(model.decode(model.encode(clean + noise)), clean).item()
    before = [p.detach().cpu().numpy().copy() for p in model.parameters()]
    optimizer = tge.optim.SGD(model.parameters(), lr=0.5)
    loss = M.denoising_training_step(model, optimizer, clean, noise)
    assert abs(loss.item() - expected) < 1e-12
    assert any(not np.array_equal(b, p.detach().cpu().numpy()) for b, p in zip(before, model.parameters()))
    losses = [M.denoising_training_step(model, optimizer, clean, noise).item() for _ in range(5)]
    assert losses[-1] < expected
