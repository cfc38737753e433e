"""The course models, written with ``tinygrad_edu.nn`` as one would in PyTorch, one file per family.

Classification
    ``MLP``, ``SmallCNN``                     mlp.py, cnn.py (the 8x8 digits)
    ``vgg7``, ``vgg16``                       vgg.py
    ``alexnet``                               alexnet.py
    ``resnet18``, ``resnet34``, ``resnet20``  resnet.py (torchvision keys for 18/34)
    ``lenet5``                                lenet.py
Denoising and restoration
    ``dncnn``, ``dn_resnet``                  dncnn.py
    ``drunet``                                drunet.py
    ``unet``                                  unet.py
    ``ConvAutoencoder``, ``DenoisingAutoencoder``, ``SparseAutoencoder``   autoencoders.py
Generative and coordinate models
    ``dcgan_generator``, ``dcgan_discriminator``                           dcgan.py
    ``SinusoidalPositionalEncoding``, ``LearnedPositionalEncoding``, ``FourierFeatures``,
    ``CoordinateMLP``, ``NoiseLevelEncoding``                              positional.py
Algorithms built on the models
    ``pnp_hqs`` (plug-and-play, DPIR), ``BlurOperator``, ``MaskOperator``   pnp.py
    ``deep_image_prior``                                                   dip.py

Classifiers output raw class scores (logits); train them with ``nn.CrossEntropyLoss`` (or
``nn.BCEWithLogitsLoss`` for one output), which apply the softmax / sigmoid themselves.
"""
from .cnn import SmallCNN, conv_bn_relu
from .mlp import MLP
from .vgg import vgg7, vgg16
from .alexnet import alexnet
from .resnet import resnet18, resnet20, resnet34
from .lenet import lenet5
from .dncnn import dn_resnet, dncnn
from .drunet import drunet
from .unet import unet
from .autoencoders import (ConvAutoencoder, DenoisingAutoencoder, SparseAutoencoder, denoising_training_step,
                           sparsity_penalty)
from .dcgan import dcgan_discriminator, dcgan_generator
from .positional import (
    CoordinateMLP, FourierFeatures, LearnedPositionalEncoding, NoiseLevelEncoding, SinusoidalPositionalEncoding,
    noise_level_map, pixel_coordinates,
)
from .pnp import BlurOperator, MaskOperator, conjugate_gradient, dpir_sigmas, pnp_hqs
from .dip import deep_image_prior

__all__ = [
    "MLP", "SmallCNN", "conv_bn_relu",
    "vgg7", "vgg16", "alexnet", "resnet18", "resnet34", "resnet20", "lenet5",
    "dncnn", "dn_resnet", "drunet", "unet",
    "ConvAutoencoder", "DenoisingAutoencoder", "SparseAutoencoder", "sparsity_penalty", "denoising_training_step",
    "dcgan_generator", "dcgan_discriminator",
    "SinusoidalPositionalEncoding", "LearnedPositionalEncoding", "FourierFeatures", "CoordinateMLP",
    "NoiseLevelEncoding", "noise_level_map", "pixel_coordinates",
    "pnp_hqs", "BlurOperator", "MaskOperator", "conjugate_gradient", "dpir_sigmas", "deep_image_prior",
]
