"""Every course model by name, with an example input: what ``tinygrad-edu summary NAME`` shows."""
from .alexnet import alexnet
from .autoencoders import ConvAutoencoder, DenoisingAutoencoder, SparseAutoencoder
from .cnn import SmallCNN
from .dcgan import dcgan_discriminator, dcgan_generator
from .dncnn import dn_resnet, dncnn
from .drunet import drunet
from .lenet import lenet5
from .mlp import MLP
from .positional import CoordinateMLP
from .resnet import resnet18, resnet20, resnet34
from .unet import unet
from .vgg import vgg7, vgg16

# name: (constructor with its defaults, example input size with the batch dimension)
MODELS = {
    "mlp": (MLP, (1, 1, 8, 8)),
    "cnn": (SmallCNN, (1, 1, 8, 8)),
    "vgg7": (vgg7, (1, 3, 224, 224)),
    "vgg16": (vgg16, (1, 3, 224, 224)),
    "alexnet": (alexnet, (1, 3, 224, 224)),
    "resnet18": (resnet18, (1, 3, 224, 224)),
    "resnet34": (resnet34, (1, 3, 224, 224)),
    "resnet20": (resnet20, (1, 3, 32, 32)),
    "lenet5": (lenet5, (1, 1, 28, 28)),
    "dncnn": (dncnn, (1, 1, 40, 40)),
    "dn_resnet": (dn_resnet, (1, 1, 40, 40)),
    "drunet": (drunet, (1, 2, 64, 64)),  # the noisy image and its noise-level map
    "unet": (unet, (1, 1, 572, 572)),  # the paper's figure: 572x572 -> 388x388
    "autoencoder": (ConvAutoencoder, (1, 1, 28, 28)),
    "denoising_autoencoder": (DenoisingAutoencoder, (1, 1, 28, 28)),
    "sparse_autoencoder": (SparseAutoencoder, (1, 1, 28, 28)),
    "dcgan_generator": (dcgan_generator, (1, 100)),
    "dcgan_discriminator": (dcgan_discriminator, (1, 1, 28, 28)),
    "coordinate_mlp": (lambda: CoordinateMLP(encoding="fourier"), (16, 2)),
}
