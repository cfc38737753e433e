"""Convolutional autoencoders (the ConvNets lecture): an encoder that compresses the image to
a code at the bottleneck and a decoder that mirrors it back.

The lecture's example, for 28x28 grayscale digits: encoder = two (3x3 conv, 32 filters,
ReLU, 2x2 max pool), so the code is 32 x 7 x 7 = 1,568 numbers for 784 pixels; decoder =
two (3x3 conv, ReLU, 2x2 nearest upsampling), then a 3x3 conv to the image channels and a
sigmoid (pixels in [0, 1]).

- ``ConvAutoencoder``: reconstruct the input (loss: MSE or BCE between output and input).
- ``DenoisingAutoencoder``: the same network, but in training mode ``forward`` first adds
  Gaussian noise of std ``noise_std`` to its input, so it learns to map noisy images to
  the clean ones it is compared with; in eval mode it is the plain autoencoder (give it
  noisy images to denoise). ``denoising_training_step`` is one step of that training with
  the noise given explicitly.
- ``SparseAutoencoder``: keeps the code of its last forward in ``.code`` so the training
  loss can add lambda * R(code), R the L1 norm (``sparsity_penalty``): most code
  activations become zero.
"""
from ..nn import functional as F
from ..nn.activation import ReLU, Sigmoid
from ..nn.containers import Sequential
from ..nn.conv import Conv2d
from ..nn.module import Module
from ..nn.pooling import MaxPool2d
from ..nn.upsampling import Upsample
from ..creation import randn_like
from .checks import check_images, check_multiple


class ConvAutoencoder(Module):
    def __init__(self, in_channels=1, features=32):
        super().__init__()
        self.in_channels = in_channels
        self.encoder = Sequential(
            Conv2d(in_channels, features, 3, padding=1), ReLU(), MaxPool2d(2),
            Conv2d(features, features, 3, padding=1), ReLU(), MaxPool2d(2),
        )
        self.decoder = Sequential(
            Conv2d(features, features, 3, padding=1), ReLU(), Upsample(scale_factor=2),
            Conv2d(features, features, 3, padding=1), ReLU(), Upsample(scale_factor=2),
            Conv2d(features, in_channels, 3, padding=1), Sigmoid(),
        )

    def encode(self, x):
        """The code at the bottleneck: (N, features, H/4, W/4)."""
        name = type(self).__name__
        check_images(name, x, self.in_channels, "encoder.0 (the first convolution)")
        check_multiple(name, x, 4, "the encoder's two 2x2 max pools and the decoder's two 2x upsamplings must "
                                   "give back the input size")
        return self.encoder(x)

    def decode(self, code):
        return self.decoder(code)

    def forward(self, x):
        return self.decode(self.encode(x))


class DenoisingAutoencoder(ConvAutoencoder):
    def __init__(self, in_channels=1, features=32, noise_std=0.3):
        super().__init__(in_channels, features)
        self.noise_std = noise_std

    def forward(self, x):
        if self.training and self.noise_std > 0:
            x = x + self.noise_std * randn_like(x)  # corrupt only while learning
        return super().forward(x)

    def extra_repr(self):
        return f"noise_std={self.noise_std}"


def denoising_training_step(model, optimizer, clean, noise):
    """One training step of a denoising autoencoder; returns the loss (a 0-d tensor).

    The input is corrupted, the target is not: loss = BCE(decode(encode(clean + noise)), clean),
    the lecture's binary cross-entropy between the sigmoid output and the clean pixels in [0, 1].
    ``noise`` is drawn by the caller (so a step is reproducible); the step calls ``encode`` and
    ``decode`` rather than ``model(...)``, whose training-mode forward would corrupt the input a
    second time. Then the usual three moves: zero the old gradients (``backward`` accumulates),
    backpropagate, let the optimizer update the parameters.
    """
    # BEGIN SOLUTION task 5.6
    model.train()
    reconstruction = model.decode(model.encode(clean + noise))
    loss = F.binary_cross_entropy(reconstruction, clean)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss
    # END SOLUTION


class SparseAutoencoder(ConvAutoencoder):
    def __init__(self, in_channels=1, features=32):
        super().__init__(in_channels, features)
        self.code = None

    def forward(self, x):
        self.code = self.encode(x)  # kept (in the graph) for the sparsity penalty
        return self.decode(self.code)


def sparsity_penalty(code):
    """R(H) = mean |H|: the L1 norm of the bottleneck activations, averaged over the batch and
    the code entries (add lambda * R to the reconstruction loss). ``code`` is a tensor or a
    ``SparseAutoencoder`` after its forward."""
    if isinstance(code, SparseAutoencoder):
        if code.code is None:
            raise RuntimeError("sparsity_penalty: the SparseAutoencoder has no code yet; call it on a batch first")
        code = code.code
    return code.abs().mean()
