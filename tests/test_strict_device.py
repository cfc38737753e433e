"""Every layer, loss, optimizer and course model runs on a non-NumPy device and gives the
CPU's results: the proof, without a GPU, that the GPU path (CuPy) works.

The device is ``"strict"`` (``StrictArray``, tests/strict_array.py, registered by the
``strict_backend`` fixture): its arrays refuse every implicit conversion to NumPy, as
CuPy's do, so any ``np.`` call on device data or any CPU/device mix inside the library
raises TypeError and fails the test. Each case runs twice from the same seed, on the
CPU and on the device (the module moved with ``.to("strict")``, the input made there),
and compares the forward output, the input gradient, every parameter gradient and every
buffer; every one of them must be a ``StrictArray``.

(The op table itself runs on StrictArrays in tests/test_strict_backend.py.) With
``TINYGRAD_EDU_CHECK_DEVICE=cuda`` both files compare the GPU with the CPU instead
(benchmarks/gpu_check.sh; tests/device_under_test.py).
"""
import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import nn
from tinygrad_edu.ops import conv as conv_ops
from tinygrad_edu.ops import winograd

from tests.nn.test_layers import LAYERS, KINKS
from tests.device_under_test import DEVICE, assert_on_device_and_close, skip_unless_usable

pytestmark = [pytest.mark.usefixtures("strict_backend"), skip_unless_usable]

STRICT = DEVICE  # "strict", or "cuda" with TINYGRAD_EDU_CHECK_DEVICE=cuda (tests/device_under_test.py)


def assert_same(got, expected, where):
    """``got`` (device run) is a device array equal to ``expected`` (CPU run)."""
    assert_on_device_and_close(got, expected, where)


def _input(name, shape, seed):
    a = np.random.default_rng(seed).uniform(-2, 2, shape)
    for k in KINKS.get(name, ()):
        a = np.where(np.abs(a - k) < 0.05, k + np.where(a >= k, 0.1, -0.1), a)
    return a


def run_module(factory, x_host, device, upstream_seed=7, train=True):
    """Forward + backward of ``factory()`` (float64) on ``device``; returns the raw arrays:
    {"out", "x.grad", "<param>.grad", "<param>", "<buffer>"}."""
    tge.manual_seed(0)
    module = factory()
    module.double()
    module.train(train)
    if device is not None:
        module.to(device)
    floating = x_host.dtype.kind == "f"
    x = tge.tensor(x_host, device=device, requires_grad=floating)
    out = module(x)
    upstream = np.random.default_rng(upstream_seed).standard_normal(out.shape)
    out.backward(tge.tensor(upstream, dtype=out.dtype, device=device))
    arrays = {"out": out.array}
    if floating:
        arrays["x.grad"] = x.grad.array
    for name, p in module.named_parameters():
        arrays[name] = p.array
        arrays[f"{name}.grad"] = None if p.grad is None else p.grad.array
    for name, b in module.named_buffers():
        arrays[name] = b.array
    return arrays


def compare(factory, x_host, label, **kwargs):
    expected = run_module(factory, x_host, None, **kwargs)
    got = run_module(factory, x_host, STRICT, **kwargs)
    assert got.keys() == expected.keys()
    for key, e in expected.items():
        if e is None:
            assert got[key] is None, f"{label}: {key} is None on the CPU only"
        else:
            assert_same(got[key], e, f"{label}: {key}")


# ------------------------------------------------------------------------- layers
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_on_the_device_equals_cpu(name):
    factory, shape, _ = LAYERS[name]
    compare(factory, _input(name, shape, seed=1), name)


MORE_LAYERS = {  # the layers tests/nn/test_layers.py's table leaves out (state, randomness, ints)
    "batch_norm1d": (lambda: nn.BatchNorm1d(3), (4, 3)),
    "batch_norm2d": (lambda: nn.BatchNorm2d(2), (3, 2, 3, 3)),
    "batch_norm2d_no_stats": (lambda: nn.BatchNorm2d(2, affine=False, track_running_stats=False), (3, 2, 2, 2)),
    "instance_norm2d": (lambda: nn.InstanceNorm2d(2, affine=True), (2, 2, 3, 3)),
    "group_norm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 2)),
    "layer_norm": (lambda: nn.LayerNorm((3, 2)), (2, 3, 2)),
    "rms_norm": (lambda: nn.RMSNorm(4), (3, 4)),
    "dropout": (lambda: nn.Dropout(0.3), (4, 5)),
    "dropout2d": (lambda: nn.Dropout2d(0.5), (2, 4, 3, 3)),
    "sequential": (lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 2 * 2, 2)), (2, 2, 4, 4)),
    "upsample_bilinear": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (1, 2, 3, 2)),
}


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", sorted(MORE_LAYERS))
def test_stateful_layer_on_the_device_equals_cpu(name, train):
    factory, shape = MORE_LAYERS[name]
    compare(factory, _input(name, shape, seed=2), f"{name} ({'train' if train else 'eval'})", train=train)


def test_embedding_on_the_device_equals_cpu():
    indices = np.array([[0, 3, 1], [3, 3, 2]])
    compare(lambda: nn.Embedding(4, 3), indices, "embedding")


LOSSES = {
    "mse": (lambda: nn.MSELoss(), "real"),
    "l1": (lambda: nn.L1Loss(reduction="sum"), "real"),
    "smooth_l1": (lambda: nn.SmoothL1Loss(beta=0.5), "real"),
    "bce": (lambda: nn.BCELoss(), "probability"),
    "bce_with_logits": (lambda: nn.BCEWithLogitsLoss(pos_weight=None), "real"),
    "cross_entropy": (lambda: nn.CrossEntropyLoss(label_smoothing=0.1), "classes"),
    "nll": (lambda: nn.NLLLoss(reduction="none"), "classes"),
}


def _loss_run(name, device):
    make, kind = LOSSES[name]
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((4, 3))
    if kind == "classes":
        target = rng.integers(0, 3, 4)
        inp = logits if name == "cross_entropy" else logits - np.log(np.exp(logits).sum(1, keepdims=True))
    elif kind == "probability":
        inp, target = 1 / (1 + np.exp(-logits)), rng.uniform(0, 1, (4, 3))
    else:
        inp, target = logits, rng.standard_normal((4, 3))
    x = tge.tensor(inp, device=device, requires_grad=True)
    loss = make()(x, tge.tensor(target, device=device))
    loss.sum().backward()
    return loss.array, x.grad.array


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_on_the_device_equals_cpu(name):
    expected_loss, expected_grad = _loss_run(name, None)
    loss, grad = _loss_run(name, STRICT)
    assert_same(loss, expected_loss, f"{name}: loss")
    assert_same(grad, expected_grad, f"{name}: input gradient")


# ------------------------------------------------------------------------- optimizers
OPTIMIZERS = {
    "sgd": lambda ps: tge.optim.SGD(ps, lr=0.1),
    "sgd_nesterov_wd": lambda ps: tge.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda ps: tge.optim.Adam(ps, lr=0.05, weight_decay=0.01),
    "adam_amsgrad_maximize": lambda ps: tge.optim.Adam(ps, lr=0.05, amsgrad=True, maximize=True),
    "adamw": lambda ps: tge.optim.AdamW(ps, lr=0.05),
    "rmsprop_centered": lambda ps: tge.optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda ps: tge.optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
}


def _optimizer_run(name, device):
    tge.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    if device is not None:
        model.to(device)
    opt = OPTIMIZERS[name](model.parameters())
    x = tge.tensor(np.random.default_rng(4).standard_normal((5, 3)), device=device)
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    params = [p.array for p in model.parameters()]
    states = [{k: v.array for k, v in opt.state[p].items() if isinstance(v, tge.Tensor) and k != "step"}
              for p in model.parameters()]
    return params, states


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_on_the_device_equal_cpu(name):
    expected_params, expected_states = _optimizer_run(name, None)
    params, states = _optimizer_run(name, STRICT)
    for i, (p, e) in enumerate(zip(params, expected_params)):
        assert_same(p, e, f"{name}: parameter {i} after 3 steps")
    for i, (s, e) in enumerate(zip(states, expected_states)):
        assert s.keys() == e.keys(), f"{name}: state keys of parameter {i}"
        for key in e:
            assert_same(s[key], e[key], f"{name}: state {key!r} of parameter {i}")


# ------------------------------------------------------------------------- models
# Every trainable model of tge.models, small enough for a test, with an input it accepts.
# vgg16, alexnet and resnet34 are left out: 138M, 61M and 22M parameters in float64 would
# cost the suite seconds and gigabytes, and their layers are the ones vgg7 and resnet18 use
# (test_every_model_of_tge_models_is_in_the_table says why each missing name is missing).
MODELS = {
    "MLP": (lambda: tge.models.MLP(), (4, 64)),
    "SmallCNN": (lambda: tge.models.SmallCNN(), (4, 1, 8, 8)),
    "vgg7": (lambda: tge.models.vgg7(in_channels=1, num_classes=3), (2, 1, 16, 16)),
    "resnet18": (lambda: tge.models.resnet18(num_classes=5), (2, 3, 32, 32)),
    "resnet20": (lambda: tge.models.resnet20(num_classes=4, in_channels=1), (2, 1, 8, 8)),
    "lenet5": (lambda: tge.models.lenet5(), (2, 1, 28, 28)),
    "dncnn": (lambda: tge.models.dncnn(depth=4, features=8), (2, 1, 12, 12)),
    "dn_resnet": (lambda: tge.models.dn_resnet(features=8, blocks=2), (2, 1, 12, 12)),
    "drunet": (lambda: tge.models.drunet(features=(4, 8, 8, 16), blocks=1), (2, 2, 16, 16)),
    "unet": (lambda: tge.models.unet(features=4, depth=2), (2, 1, 44, 44)),
    "unet_add_padded": (lambda: tge.models.unet(features=4, depth=2, padding=1, merge="add"), (2, 1, 16, 16)),
    "ConvAutoencoder": (lambda: tge.models.ConvAutoencoder(features=8), (2, 1, 8, 8)),
    "DenoisingAutoencoder": (lambda: tge.models.DenoisingAutoencoder(features=8), (2, 1, 8, 8)),
    "SparseAutoencoder": (lambda: tge.models.SparseAutoencoder(features=8), (2, 1, 8, 8)),
    "dcgan_generator": (lambda: tge.models.dcgan_generator(latent_dim=6, features=4), (2, 6)),
    "dcgan_discriminator": (lambda: tge.models.dcgan_discriminator(features=4), (2, 1, 28, 28)),
    "LearnedPositionalEncoding": (lambda: tge.models.LearnedPositionalEncoding(d_model=6, max_len=5), (2, 5, 6)),
    "CoordinateMLP": (lambda: tge.models.CoordinateMLP(hidden=8, layers=2, encoding="gaussian", num_frequencies=3),
                      (5, 2)),
}
NOT_STEPPED = {
    "vgg16": "138M parameters; its layers are vgg7's",
    "alexnet": "61M parameters; its layers are vgg7's",
    "resnet34": "22M parameters; its blocks are resnet18's",
    "conv_bn_relu": "a block of SmallCNN",
    "FourierFeatures": "no trainable parameters; stepped inside CoordinateMLP",
    "NoiseLevelEncoding": "no parameters; test_encodings_without_parameters_on_the_device_equal_cpu",
    "SinusoidalPositionalEncoding": "no parameters; test_encodings_without_parameters_on_the_device_equal_cpu",
}


# tge.models' public names that are not models: functions and operators that use them
NOT_MODELS = {"sparsity_penalty", "denoising_training_step", "noise_level_map", "pixel_coordinates", "pnp_hqs",
              "BlurOperator", "MaskOperator", "conjugate_gradient", "dpir_sigmas", "deep_image_prior"}


def test_every_model_of_tge_models_is_in_the_table():
    covered = set(MODELS) | set(NOT_STEPPED) | NOT_MODELS
    missing = set(tge.models.__all__) - covered
    assert not missing, f"tge.models names with no device training-step test (add them to MODELS): {sorted(missing)}"


def _training_step(name, device):
    build, shape = MODELS[name]
    tge.manual_seed(0)
    model = build().double()
    if device is not None:
        model.to(device)
    model.train()
    opt = tge.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = tge.tensor(np.random.default_rng(5).standard_normal(shape), device=device)
    tge.manual_seed(1)  # the same dropout / noise draws on both devices
    out = model(x)
    upstream = tge.tensor(np.random.default_rng(6).standard_normal(out.shape), device=device)
    loss = (out * upstream).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    arrays = {"loss": loss.array, "output": out.array}
    for pname, p in model.named_parameters():
        arrays[pname] = p.array
    for bname, b in model.named_buffers():
        arrays[bname] = b.array
    return arrays


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_training_step_on_the_device_equals_cpu(name):
    # the CPU run with the NumPy kernel set: the device runs the vectorised forms, and
    # with Numba batch norm would take its fused kernels, whose sums are in another order.
    # And with im2col: the device's 3x3 convolutions are im2col (Winograd runs on NumPy
    # arrays only, ops/winograd.py), and float64 rounding grows 3e-10 through ResNet-18.
    # And with one wide output product per batch slice, as on the device: NumPy's products
    # run per image (ops/conv.py), which BLAS sums in another order.
    saved = winograd.ENABLED, conv_ops._output_per_image
    winograd.ENABLED, conv_ops._output_per_image = False, lambda xp, images_last, *sizes: False
    try:
        with tge.kernels.using("numpy"):
            expected = _training_step(name, None)
    finally:
        winograd.ENABLED, conv_ops._output_per_image = saved
    got = _training_step(name, STRICT)
    assert got.keys() == expected.keys()
    for key, e in expected.items():
        assert_same(got[key], e, f"{name}: {key} after one SGD step")


def test_encodings_without_parameters_on_the_device_equal_cpu():
    enc = tge.models.NoiseLevelEncoding(dim=8)
    sigma = np.array([15.0, 25.0, 50.0]) / 255
    expected = enc(tge.tensor(sigma))
    got = enc(tge.tensor(sigma, device=STRICT))
    assert got.device == tge.device(STRICT)
    assert_same(got.array, expected.array, "NoiseLevelEncoding")

    pe = tge.models.SinusoidalPositionalEncoding(d_model=6)
    x = np.random.default_rng(0).standard_normal((2, 5, 6))
    got = pe(tge.tensor(x, device=STRICT))
    assert got.device == tge.device(STRICT)
    assert_same(got.array, pe(tge.tensor(x)).array, "SinusoidalPositionalEncoding")
