"""Neural-network building blocks. ``nn.functional`` holds the stateless functions."""
from . import functional
from . import init, utils
from .parameter import Parameter
from .module import Module
from .containers import ModuleDict, ModuleList, Sequential
from .linear import Identity, Linear
from .flatten import Flatten, Unflatten
from .activation import (
    ELU, GELU, SELU, Hardtanh, LeakyReLU, LogSoftmax, PReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus, Softsign, Tanh,
    Threshold,
)
from .dropout import Dropout, Dropout2d
from .sparse import Embedding
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d
from .upsampling import Upsample
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from .attention import MultiheadAttention
from .transformer import TransformerEncoder, TransformerEncoderLayer
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, RMSNorm
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss
from .summary import summary
from . import parallel
from .parallel import DataParallel
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .padding import (
    CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
    ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
)
from .ssim import SSIMLoss
