"""What ``tinygrad-edu train NAME`` trains: one ``Task`` per kind of problem, one recipe per model.

A task owns its model(s), optimizer(s), learning-rate schedule(s) and data, and says how to
take one training step, how to measure the model (its task metric), and what to save
besides the weights. The loop around it (epochs, progress bar, checkpoints, resume) is in
``train_resumable.py`` and is the same for every task:

    ClassificationTask   digits (8x8, or resized to 28x28 for LeNet-5): accuracy
    DenoisingTask        40x40 patches of the bundled photographs + N(0, sigma^2): PSNR / SSIM
                         of the denoised image beside the noisy input's
    SegmentationTask     synthetic shapes, per-pixel classes: mean IoU (U-Net)
    AutoencoderTask      the MNIST subset: reconstruction PSNR (plain, denoising, sparse)
    GANTask              the MNIST subset: D and G losses, a grid of samples (DCGAN)
    CoordinateTask       one photograph fitted from pixel coordinates: PSNR, the fitted image

Data is built from a generator of its own (seeded with ``seed``), so the same seed gives the
same data. Batches are copied to the default device (``tge.set_default_device``), where
the models' parameters are made; results come back with ``.cpu()``. Everything drawn during
training (initial weights, shuffling, augmentation, noise, dropout) comes from the framework's
default generator, whose state every checkpoint saves.
"""
import math

import numpy as np

from . import autograd
from .data.datasets import load_digits, load_mnist_subset, make_shapes, stratified_split
from .data.datasets.images import load_image, random_patches
from .data.transforms import RandomAffine
from .models import (
    ConvAutoencoder, CoordinateMLP, DenoisingAutoencoder, SparseAutoencoder, dcgan_discriminator,
    dcgan_generator, dn_resnet, dncnn, drunet, lenet5, pixel_coordinates, resnet20, sparsity_penalty, unet, vgg7,
)
from .nn import functional as F
from .nn import init
from .nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .optim import Adam
from .optim.lr_scheduler import CosineAnnealingLR
from .random import Generator, numpy_generator
from .creation import tensor

DIGITS_MEAN, DIGITS_STD = 0.3055, 0.3761  # pixel mean and std of load_digits("train")


def _batches(n, batch_size, shuffle=True):
    """Index arrays of the batches of one epoch (a new order from the default generator)."""
    order = numpy_generator().permutation(n) if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _in_batches(fn, x, batch_size=256):
    """fn applied to x in chunks (no gradients), concatenated: evaluation without a big graph."""
    with autograd.no_grad():
        return np.concatenate([fn(tensor(x[i:i + batch_size])).cpu().numpy() for i in range(0, len(x), batch_size)])


class Task:
    """The base: ``models`` (name -> Module), ``optimizers`` and ``schedulers`` (name -> object)."""

    metric = "loss"  # the validation metric shown in the progress bar and plotted

    def __init__(self, seed=0, batch_size=32, lr=1e-3, epochs=10):
        self.seed, self.batch_size, self.lr, self.epochs = seed, batch_size, lr, epochs
        self.data_rng = Generator().manual_seed(seed + 1)  # data only; training draws from the default one
        self.models, self.optimizers, self.schedulers = {}, {}, {}

    def add_model(self, name, model, lr=None):
        self.models[name] = model
        self.optimizers[name] = Adam(model.parameters(), lr=self.lr if lr is None else lr)
        self.schedulers[name] = CosineAnnealingLR(self.optimizers[name], T_max=self.epochs)

    @property
    def model(self):
        return self.models["model"]

    def steps(self):
        """The batches of one training epoch (any iterable of arguments for ``train_step``)."""
        raise NotImplementedError

    def train_step(self, batch):
        """One optimisation step on ``batch``; returns the loss as a float."""
        raise NotImplementedError

    def validate(self):
        """{metric name: value} on the validation data, in eval mode."""
        raise NotImplementedError

    def test(self):
        """({metric name: value}, [lines to print]) on the test data, once at the end."""
        return self.validate(), []

    def save_extras(self, out):
        """Extra pictures (samples, fitted image) written next to the weights; returns their paths."""
        return []

    def end_epoch(self):
        for scheduler in self.schedulers.values():
            scheduler.step()

    def train(self, mode=True):
        for m in self.models.values():
            m.train(mode)

    def state_dict(self):
        return {kind: {name: obj.state_dict() for name, obj in group.items()}
                for kind, group in (("models", self.models), ("optimizers", self.optimizers),
                                    ("schedulers", self.schedulers))}

    def load_state_dict(self, state):
        for kind, group in (("models", self.models), ("optimizers", self.optimizers), ("schedulers", self.schedulers)):
            for name, obj in group.items():
                obj.load_state_dict(state[kind][name])


# ------------------------------------------------------------------------------ classification
class ClassificationTask(Task):
    """Cross-entropy (label smoothing 0.1) with Adam and a cosine schedule on the bundled 8x8
    digits, small random rotations and shifts as augmentation; ``size=28`` resizes the digits
    bilinearly to 28x28 (LeNet-5's input). Metric: accuracy."""

    metric = "accuracy"

    def __init__(self, build, size=8, augment=True, **kwargs):
        super().__init__(**kwargs)
        x, y = load_digits("train")
        x_test, y_test = load_digits("test")
        train_idx, val_idx = stratified_split(y.cpu().numpy(), 0.1, seed=self.seed)
        prepare = self._prepare(size)
        self.x, self.y = prepare(x.cpu().numpy()[train_idx]), y.cpu().numpy()[train_idx]
        self.x_val, self.y_val = prepare(x.cpu().numpy()[val_idx]), y.cpu().numpy()[val_idx]
        self.x_test, self.y_test = prepare(x_test.cpu().numpy()), y_test.cpu().numpy()
        self.augment = RandomAffine(degrees=10, translate=(0.1, 0.1)) if augment else None
        self.loss_fn = CrossEntropyLoss(label_smoothing=0.1)
        self.add_model("model", build())

    @staticmethod
    def _prepare(size):
        def prepare(images):
            x = (images - DIGITS_MEAN) / DIGITS_STD
            if size != x.shape[-1]:
                x = F.interpolate(tensor(x), size=(size, size), mode="bilinear", align_corners=False).cpu().numpy()
            return x.astype(np.float32)
        return prepare

    def steps(self):
        return _batches(len(self.x), self.batch_size)

    def train_step(self, idx):
        x = tensor(self.x[idx])
        if self.augment is not None:
            x = self.augment(x)
        loss = self.loss_fn(self.model(x), tensor(self.y[idx]))
        self.optimizers["model"].zero_grad()
        loss.backward()
        self.optimizers["model"].step()
        return loss.item()

    def _accuracy(self, x, y):
        self.model.eval()
        logits = _in_batches(self.model, x)
        self.model.train()
        return float((logits.argmax(1) == y).mean())

    def validate(self):
        return {"accuracy": self._accuracy(self.x_val, self.y_val)}

    def test(self):
        acc = self._accuracy(self.x_test, self.y_test)
        n = len(self.y_test)
        return {"accuracy": acc}, [f"test accuracy: {acc:.2%} ({round(acc * n)}/{n} held-out digits)"]


# ------------------------------------------------------------------------------ denoising
def _gray_photos():
    return {name: load_image(name, gray=True).cpu().numpy() for name in ("camera", "coffee", "chelsea")}


class DenoisingTask(Task):
    """Gaussian denoising at ``sigma`` (on [0, 1] images; 25/255 is the lecture's sigma = 25).

    Training: ``patches`` 40x40 patches cut once from "coffee" and "chelsea" (grayscale),
    fresh noise every batch, MSE between the denoised and the clean patch (for a residual
    network: the same as MSE between the predicted and the true noise). Validation: a
    96x96 crop of "camera"; test: its central 256x256, both with fixed noise. Metric: PSNR
    in dB (and SSIM), printed beside the noisy input's. ``with_sigma``: the model takes the
    noise level as a second argument (DRUNet)."""

    metric = "psnr"

    def __init__(self, build, sigma=25 / 255, patch=40, patches=512, with_sigma=False, **kwargs):
        super().__init__(**kwargs)
        photos = _gray_photos()
        self.sigma, self.with_sigma = sigma, with_sigma
        self.clean = random_patches([photos["coffee"], photos["chelsea"]], patch, patches, self.data_rng).cpu().numpy()
        camera = photos["camera"]
        self.val_clean = camera[None, :, 40:136, 300:396]
        self.test_clean = camera[None, :, 128:384, 128:384]
        noise = np.random.default_rng(self.seed + 2)
        self.val_noisy = (self.val_clean + sigma * noise.standard_normal(self.val_clean.shape)).astype(np.float32)
        self.test_noisy = (self.test_clean + sigma * noise.standard_normal(self.test_clean.shape)).astype(np.float32)
        self.loss_fn = MSELoss()
        self.add_model("model", build())

    def _denoise(self, y):
        return self.model(y, self.sigma) if self.with_sigma else self.model(y)

    def steps(self):
        return _batches(len(self.clean), self.batch_size)

    def train_step(self, idx):
        clean = tensor(self.clean[idx])
        noise = numpy_generator().standard_normal(clean.shape).astype(np.float32) * self.sigma
        loss = self.loss_fn(self._denoise(clean + tensor(noise)), clean)
        self.optimizers["model"].zero_grad()
        loss.backward()
        self.optimizers["model"].step()
        return loss.item()

    def _measure(self, noisy, clean):
        self.model.eval()
        with autograd.no_grad():
            out = self._denoise(tensor(noisy)).clamp(0.0, 1.0)
            clean_t = tensor(clean)
            values = {"psnr": F.psnr(out, clean_t).item(), "ssim": F.ssim(out, clean_t).item(),
                      "noisy_psnr": F.psnr(tensor(noisy), clean_t).item()}
        self.model.train()
        return values

    def validate(self):
        return self._measure(self.val_noisy, self.val_clean)

    def test(self):
        v = self._measure(self.test_noisy, self.test_clean)
        gain = v["psnr"] - v["noisy_psnr"]
        return v, [f"test (camera 256x256, sigma {self.sigma * 255:.0f}/255): denoised PSNR {v['psnr']:.2f} dB, "
                   f"SSIM {v['ssim']:.4f}; noisy input PSNR {v['noisy_psnr']:.2f} dB (gain {gain:+.2f} dB)"]

    def save_extras(self, out):
        self.model.eval()
        with autograd.no_grad():
            denoised = self._denoise(tensor(self.test_noisy)).clamp(0.0, 1.0).cpu().numpy()
        self.model.train()
        return [_save_images(f"{out}/denoised.png", [self.test_clean[0, 0], self.test_noisy[0, 0], denoised[0, 0]],
                             ["clean", "noisy", "denoised"])]


# ------------------------------------------------------------------------------ segmentation
def mean_iou(pred, target, num_classes):
    """Mean over classes present in prediction or target of |pred & target| / |pred | target|."""
    ious = []
    for c in range(num_classes):
        p, t = pred == c, target == c
        union = np.logical_or(p, t).sum()
        if union:
            ious.append(np.logical_and(p, t).sum() / union)
    return float(np.mean(ious))


class SegmentationTask(Task):
    """Per-pixel classes of the synthetic shapes (background, circle, rectangle, triangle),
    32x32 images with mild noise; cross-entropy over pixels. Metric: mean IoU."""

    metric = "miou"

    def __init__(self, build, n_train=384, size=32, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = (a.cpu().numpy() for a in make_shapes(n_train, size, noise_std=0.05, seed=self.seed + 10))
        self.x_val, self.y_val = (a.cpu().numpy() for a in make_shapes(64, size, noise_std=0.05, seed=self.seed + 11))
        self.x_test, self.y_test = (a.cpu().numpy() for a in make_shapes(128, size, noise_std=0.05, seed=self.seed + 12))
        self.loss_fn = CrossEntropyLoss()
        self.add_model("model", build())

    def steps(self):
        return _batches(len(self.x), self.batch_size)

    def train_step(self, idx):
        loss = self.loss_fn(self.model(tensor(self.x[idx])), tensor(self.y[idx]))
        self.optimizers["model"].zero_grad()
        loss.backward()
        self.optimizers["model"].step()
        return loss.item()

    def _measure(self, x, y):
        self.model.eval()
        pred = _in_batches(self.model, x, 64).argmax(1)
        self.model.train()
        return {"miou": mean_iou(pred, y, 4), "pixel_accuracy": float((pred == y).mean())}

    def validate(self):
        return self._measure(self.x_val, self.y_val)

    def test(self):
        v = self._measure(self.x_test, self.y_test)
        return v, [f"test mean IoU: {v['miou']:.4f} (pixel accuracy {v['pixel_accuracy']:.2%}, 128 images)"]


# ------------------------------------------------------------------------------ autoencoders
class AutoencoderTask(Task):
    """Reconstruct MNIST-subset digits with the lecture's loss: binary cross-entropy between the
    sigmoid output and the pixel values in [0, 1]. (With MSE the decoder first learns the
    mostly-black mean digit, its sigmoid saturates, and a short run stays there: measured
    10.0 dB for 5 epochs.) ``noisy_std``: evaluate on inputs with that much
    Gaussian noise (the denoising autoencoder corrupts its training inputs itself).
    ``sparsity``: lambda of the L1 penalty on the code. Metric: PSNR of the reconstruction."""

    metric = "psnr"

    def __init__(self, build, noisy_std=0.0, sparsity=0.0, n_train=2000, **kwargs):
        super().__init__(**kwargs)
        x, _ = load_mnist_subset()
        order = np.random.default_rng(self.seed + 3).permutation(len(x.cpu().numpy()))
        images = x.cpu().numpy()[order]
        self.x, self.x_val, self.x_test = images[:n_train], images[4000:4250], images[4250:4750]
        self.noisy_std, self.sparsity = noisy_std, sparsity
        rng = np.random.default_rng(self.seed + 4)
        self.val_in = (self.x_val + noisy_std * rng.standard_normal(self.x_val.shape)).astype(np.float32)
        self.test_in = (self.x_test + noisy_std * rng.standard_normal(self.x_test.shape)).astype(np.float32)
        self.loss_fn = BCELoss()
        self.add_model("model", build())

    def steps(self):
        return _batches(len(self.x), self.batch_size)

    def train_step(self, idx):
        x = tensor(self.x[idx])
        loss = self.loss_fn(self.model(x), x)
        if self.sparsity:
            loss = loss + self.sparsity * sparsity_penalty(self.model)
        self.optimizers["model"].zero_grad()
        loss.backward()
        self.optimizers["model"].step()
        return loss.item()

    def _measure(self, inputs, clean):
        self.model.eval()
        out = _in_batches(self.model, inputs)
        self.model.train()
        mse = ((out - clean) ** 2).mean(axis=(1, 2, 3))
        values = {"psnr": float(np.mean(10 * np.log10(1.0 / mse)))}
        if self.noisy_std:
            noisy_mse = ((np.clip(inputs, 0, 1) - clean) ** 2).mean(axis=(1, 2, 3))
            values["noisy_psnr"] = float(np.mean(10 * np.log10(1.0 / noisy_mse)))
        return values

    def validate(self):
        return self._measure(self.val_in, self.x_val)

    def test(self):
        v = self._measure(self.test_in, self.x_test)
        extra = f"; noisy input PSNR {v['noisy_psnr']:.2f} dB" if "noisy_psnr" in v else ""
        return v, [f"test reconstruction PSNR: {v['psnr']:.2f} dB (500 digits){extra}"]

    def save_extras(self, out):
        self.model.eval()
        recon = _in_batches(self.model, self.test_in[:8])
        self.model.train()
        rows = [self.test_in[:8, 0], recon[:, 0]]
        return [_save_grid(f"{out}/reconstructions.png", np.concatenate(rows), 8, "inputs (top), outputs (bottom)")]


# ------------------------------------------------------------------------------ GAN
class GANTask(Task):
    """DCGAN on the MNIST subset scaled to [-1, 1]: per batch one discriminator step (real
    images labelled 1, generated 0) and one generator step (generated labelled 1: the
    non-saturating loss), Adam with the paper's betas (0.5, 0.999); lr 5e-4 rather than its
    2e-4, because this run is short (480 steps: at 2e-4, 160 steps gave gray blobs). The recorded
    loss is the generator's; the metric is the discriminator's accuracy on held-out real
    images and as many fakes (0.5 means it can no longer tell them apart)."""

    metric = "d_accuracy"

    def __init__(self, features=16, latent_dim=32, n_train=2000, **kwargs):
        super().__init__(**kwargs)
        x, _ = load_mnist_subset()
        order = np.random.default_rng(self.seed + 5).permutation(len(x.cpu().numpy()))
        images = x.cpu().numpy()[order] * 2.0 - 1.0
        self.x, self.x_val = images[:n_train], images[4000:4256]
        self.latent_dim = latent_dim
        self.z_fixed = np.random.default_rng(self.seed + 6).standard_normal((64, latent_dim)).astype(np.float32)
        self.loss_fn = BCEWithLogitsLoss()
        for name, model in (("generator", dcgan_generator(latent_dim, 1, features, 28)),
                            ("discriminator", dcgan_discriminator(1, features, 28))):
            self.models[name] = model
            self.optimizers[name] = Adam(model.parameters(), lr=self.lr, betas=(0.5, 0.999))

    @property
    def model(self):
        return self.models["generator"]

    def steps(self):
        return _batches(len(self.x), self.batch_size)

    def train_step(self, idx):
        g, d = self.models["generator"], self.models["discriminator"]
        real = tensor(self.x[idx])
        n = real.shape[0]
        z = tensor(numpy_generator().standard_normal((n, self.latent_dim)).astype(np.float32))
        ones, zeros = tensor(np.ones(n, np.float32)), tensor(np.zeros(n, np.float32))
        fake = g(z)
        d_loss = self.loss_fn(d(real), ones) + self.loss_fn(d(fake.detach()), zeros)  # G fixed
        self.optimizers["discriminator"].zero_grad()
        d_loss.backward()
        self.optimizers["discriminator"].step()
        g_loss = self.loss_fn(d(fake), ones)  # D fixed: only G's optimizer steps
        self.optimizers["generator"].zero_grad()
        g_loss.backward()
        self.optimizers["generator"].step()
        return g_loss.item()

    def validate(self):
        """D's accuracy as it trains: in training mode (BatchNorm on the batch's statistics; in
        eval mode a GAN discriminator's running statistics, averaged over real and fake
        batches, fit neither), with its running statistics put back afterwards."""
        g, d = self.models["generator"], self.models["discriminator"]
        saved = {name: value.array.copy() for name, value in d.state_dict().items()}
        g.eval()
        with autograd.no_grad():
            fake = g(tensor(np.resize(self.z_fixed, (len(self.x_val), self.latent_dim))))
            real_logits, fake_logits = d(tensor(self.x_val)).cpu().numpy(), d(fake).cpu().numpy()
        g.train()
        d.load_state_dict(saved)
        return {"d_accuracy": float(((real_logits > 0).sum() + (fake_logits < 0).sum()) / (2 * len(self.x_val)))}

    def test(self):
        v = self.validate()
        return v, [f"discriminator accuracy on 256 held-out real digits and 256 samples: {v['d_accuracy']:.2%} "
                   f"(see samples.png)"]

    def save_extras(self, out):
        self.train(False)
        with autograd.no_grad():
            samples = self.models["generator"](tensor(self.z_fixed)).cpu().numpy()
        self.train(True)
        return [_save_grid(f"{out}/samples.png", (samples[:, 0] + 1) / 2, 8, "DCGAN samples (fixed noise)")]


# ------------------------------------------------------------------------------ coordinates
class CoordinateTask(Task):
    """Fit the grayscale "camera" photograph, downscaled to ``size`` x ``size``, from pixel
    coordinates (MSE). One epoch = ``steps_per_epoch`` full-image Adam steps. Metric: PSNR."""

    metric = "psnr"

    def __init__(self, build, size=64, steps_per_epoch=50, **kwargs):
        super().__init__(**kwargs)
        camera = load_image("camera").cpu().numpy()[None]
        factor = camera.shape[-1] // size
        self.target_image = F.avg_pool2d(tensor(camera), factor).cpu().numpy()[0, 0]
        self.size, self.steps_per_epoch = size, steps_per_epoch
        self.coords = pixel_coordinates(size, size)
        self.target = tensor(self.target_image.reshape(-1, 1).astype(np.float32))
        self.loss_fn = MSELoss()
        self.add_model("model", build())

    def steps(self):
        return range(self.steps_per_epoch)

    def train_step(self, _):
        loss = self.loss_fn(self.model(self.coords), self.target)
        self.optimizers["model"].zero_grad()
        loss.backward()
        self.optimizers["model"].step()
        return loss.item()

    def _fit(self):
        with autograd.no_grad():
            return self.model(self.coords).cpu().numpy().reshape(self.size, self.size)

    def validate(self):
        mse = float(((np.clip(self._fit(), 0, 1) - self.target_image) ** 2).mean())
        return {"psnr": 10 * math.log10(1.0 / mse)}

    def test(self):
        v = self.validate()
        return v, [f"fitted image PSNR: {v['psnr']:.2f} dB ({self.size}x{self.size} camera; see fit.png)"]

    def save_extras(self, out):
        return [_save_images(f"{out}/fit.png", [self.target_image, np.clip(self._fit(), 0, 1)], ["target", "fit"])]


# ------------------------------------------------------------------------------ pictures
def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save_images(path, images, titles):
    fig = _figure(3 * len(images), 3.2)
    for ax, image, title in zip(fig.subplots(1, len(images)), images, titles):
        ax.imshow(image, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title)
        ax.axis("off")
    fig.savefig(path, dpi=100)
    return path


def _save_grid(path, images, columns, title):
    rows = math.ceil(len(images) / columns)
    h, w = images.shape[1:]
    grid = np.ones((rows * (h + 1), columns * (w + 1)))
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        grid[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = np.clip(image, 0, 1)
    fig = _figure(columns * 0.8 + 0.5, rows * 0.8 + 0.7)
    ax = fig.subplots()
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_title(title)
    ax.axis("off")
    fig.savefig(path, dpi=100)
    return path


# ------------------------------------------------------------------------------ recipes
def zero_last_conv(model, attribute):
    """Zero the weights of the convolution that outputs the noise estimate, so the residual
    denoiser starts as the identity y -> y (PSNR = the noisy input's) and learns the noise
    from there. A training choice, not part of the architecture: with PyTorch's default
    initialisation the first noise estimates have a standard deviation several times the
    true sigma and a short run spends its first epochs undoing that (measured for DnCNN-17:
    validation PSNR 19.8 dB after one epoch, below the noisy input's 20.1, against 23.7 dB
    with this start)."""
    init.zeros_(model.get_submodule(attribute).weight)
    return model



# name: (task class, its arguments, epochs, batch size, learning rate, one-line description)
RECIPES = {
    "vgg7": (ClassificationTask, dict(build=lambda: vgg7(in_channels=1, num_classes=10)), 12, 32, 1e-3,
             "VGG-7 on the 8x8 digits (10 classes)"),
    "resnet20": (ClassificationTask, dict(build=lambda: resnet20(num_classes=10, in_channels=1)), 15, 32, 3e-3,
                 "ResNet-20 (CIFAR-style) on the 8x8 digits"),
    "lenet5": (ClassificationTask, dict(build=lambda: lenet5(), size=28), 40, 32, 3e-3,
               "LeNet-5 on the digits resized to 28x28"),
    "dncnn": (DenoisingTask, dict(build=lambda: zero_last_conv(dncnn(), "layers.47"), patches=256), 6, 8, 1e-3,
              "DnCNN-17 on 40x40 photo patches, sigma 25"),
    "dn_resnet": (DenoisingTask, dict(build=lambda: zero_last_conv(dn_resnet(features=32, blocks=4), "tail")), 6, 16,
                  1e-3,
                  "DN-ResNet (32 features, 4 blocks) on 40x40 photo patches, sigma 25"),
    "drunet": (DenoisingTask, dict(build=lambda: drunet(features=(16, 32, 64, 128), blocks=1), with_sigma=True),
               6, 16, 1e-3, "a small DRUNet (16-32-64-128, 1 block) on 40x40 photo patches, sigma 25"),
    "unet": (SegmentationTask, dict(build=lambda: unet(1, 4, features=8, depth=3, padding=1)), 30, 16, 3e-3,
             "U-Net (8 features, depth 3, padded) segmenting 32x32 synthetic shapes"),
    "autoencoder": (AutoencoderTask, dict(build=lambda: ConvAutoencoder(1, 32)), 5, 32, 2e-3,
                    "convolutional autoencoder on 2,000 MNIST digits"),
    "denoising_autoencoder": (AutoencoderTask, dict(build=lambda: DenoisingAutoencoder(1, 32, 0.3), noisy_std=0.3),
                              5, 32, 2e-3, "denoising autoencoder (noise 0.3) on 2,000 MNIST digits"),
    "sparse_autoencoder": (AutoencoderTask, dict(build=lambda: SparseAutoencoder(1, 32), sparsity=1e-3), 5, 32, 2e-3,
                           "sparse autoencoder (L1 1e-3 on the code) on 2,000 MNIST digits"),
    "dcgan": (GANTask, dict(), 15, 64, 5e-4, "DCGAN (16 features, latent 32) on 2,000 MNIST digits"),
    "coordinate_mlp": (CoordinateTask, dict(build=lambda: CoordinateMLP(2, 1, 128, 3, encoding="fourier",
                                                                        num_frequencies=8)), 6, 1, 2e-3,
                       "coordinate MLP with NeRF Fourier features fitting the 64x64 camera image"),
}


def make_task(name, seed=0, batch_size=None, lr=None, epochs=None):
    """The task of recipe ``name`` with its defaults (or the given overrides)."""
    cls, kwargs, default_epochs, default_batch, default_lr, _ = RECIPES[name]
    return cls(seed=seed, batch_size=batch_size or default_batch, lr=lr or default_lr,
               epochs=epochs or default_epochs, **kwargs)
