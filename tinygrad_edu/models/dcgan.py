"""DCGAN (Radford, Metz & Chintala 2016): a generator and a discriminator for small images.

- Generator: z (N, latent_dim) -> a transpose convolution to a small map (4x4 for 32x32
  images, 7x7 for 28x28), then stride-2 transpose convolutions (4x4 kernels, padding 1),
  each doubling the size and halving the channels, with BatchNorm + ReLU; the last one
  gives ``channels`` maps and a tanh (images in [-1, 1]).
- Discriminator: stride-2 convolutions (4x4, padding 1) with LeakyReLU(0.2), BatchNorm on all
  but the first, and a last convolution down to one score per image. It returns a *logit*
  (use ``nn.BCEWithLogitsLoss``: the paper's final sigmoid is inside it, which is stabler).

As the paper says: no pooling, no fully connected hidden layers, weights drawn from
N(0, 0.02^2), BatchNorm scales from N(1, 0.02^2) with zero shifts; convolutions have no
bias (BatchNorm's shift replaces it; the first discriminator layer and the output layers
follow the PyTorch DCGAN example in having none either). Train by alternating: one
discriminator step on real and generated images, one generator step (the lecture's
"fix one network while optimising the other").
"""
from ..nn import init
from ..nn.activation import LeakyReLU, ReLU, Tanh
from ..nn.containers import Sequential
from ..nn.conv import Conv2d, ConvTranspose2d
from ..nn.module import Module
from ..nn.normalization import BatchNorm2d
from .checks import check_images


def dcgan_init(model):
    """The paper's initialisation: conv weights N(0, 0.02), BatchNorm weight N(1, 0.02), bias 0."""
    for m in model.modules():
        if isinstance(m, (Conv2d, ConvTranspose2d)):
            init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, BatchNorm2d):
            init.normal_(m.weight, 1.0, 0.02)
            init.zeros_(m.bias)
    return model


def _check_size(name, image_size):
    if image_size not in (28, 32):
        raise ValueError(f"{name}: image_size must be 28 (MNIST) or 32 (CIFAR), got {image_size}")


class DCGANGenerator(Module):
    def __init__(self, latent_dim=100, channels=1, features=64, image_size=28):
        super().__init__()
        _check_size("dcgan_generator", image_size)
        self.latent_dim = latent_dim
        if image_size == 32:  # 1 -> 4 -> 8 -> 16 -> 32
            widths, first_kernel = [features * 4, features * 2, features], 4
        else:                 # 1 -> 7 -> 14 -> 28
            widths, first_kernel = [features * 2, features], 7
        layers = [ConvTranspose2d(latent_dim, widths[0], first_kernel, 1, 0, bias=False), BatchNorm2d(widths[0]), ReLU()]
        for a, b in zip(widths, widths[1:]):
            layers += [ConvTranspose2d(a, b, 4, 2, 1, bias=False), BatchNorm2d(b), ReLU()]
        layers += [ConvTranspose2d(widths[-1], channels, 4, 2, 1, bias=False), Tanh()]
        self.main = Sequential(*layers)
        dcgan_init(self)

    def forward(self, z):
        if z.ndim == 4:  # (N, latent_dim, 1, 1), the PyTorch example's form
            z = z.flatten(1)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"dcgan_generator: main.0 expects latent vectors (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.main(z.reshape(z.shape[0], self.latent_dim, 1, 1))


class DCGANDiscriminator(Module):
    def __init__(self, channels=1, features=64, image_size=28):
        super().__init__()
        _check_size("dcgan_discriminator", image_size)
        self.channels, self.image_size = channels, image_size
        if image_size == 32:  # 32 -> 16 -> 8 -> 4 -> 1
            widths, last_kernel = [features, features * 2, features * 4], 4
        else:                 # 28 -> 14 -> 7 -> 1
            widths, last_kernel = [features, features * 2], 7
        layers = [Conv2d(channels, widths[0], 4, 2, 1, bias=False), LeakyReLU(0.2)]
        for a, b in zip(widths, widths[1:]):
            layers += [Conv2d(a, b, 4, 2, 1, bias=False), BatchNorm2d(b), LeakyReLU(0.2)]
        layers.append(Conv2d(widths[-1], 1, last_kernel, 1, 0, bias=False))
        self.main = Sequential(*layers)
        dcgan_init(self)

    def forward(self, x):
        check_images("dcgan_discriminator", x, self.channels, "main.0 (the first convolution)")
        if tuple(x.shape[2:]) != (self.image_size, self.image_size):
            raise ValueError(f"dcgan_discriminator: built for {self.image_size}x{self.image_size} images "
                             f"(image_size={self.image_size}), got {x.shape[2]}x{x.shape[3]}; the last convolution "
                             f"needs exactly that size")
        return self.main(x).flatten()  # (N,) logits


def dcgan_generator(latent_dim=100, channels=1, features=64, image_size=28):
    """DCGAN generator: (N, latent_dim) noise -> (N, channels, image_size, image_size) in [-1, 1]."""
    return DCGANGenerator(latent_dim, channels, features, image_size)


def dcgan_discriminator(channels=1, features=64, image_size=28):
    """DCGAN discriminator: (N, channels, image_size, image_size) -> (N,) real-vs-fake logits."""
    return DCGANDiscriminator(channels, features, image_size)
