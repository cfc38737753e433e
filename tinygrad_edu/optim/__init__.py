"""Optimizers and learning-rate schedulers, with PyTorch's names, defaults and update rules.

``Optimizer``   the base class: parameter groups, per-parameter state, state_dict
``SGD``         gradient descent with optional (Nesterov) momentum
``Adam``        momentum + per-weight step sizes, with bias correction
``AdamW``       Adam with decoupled weight decay
``RMSprop``     per-weight step sizes from a running mean of squared gradients
``Adagrad``     per-weight step sizes from the sum of squared gradients
``Adadelta``    step sizes from running averages of squared gradients and squared updates
``Adamax``      Adam with a running maximum instead of a root mean square
``NAdam``       Adam with Nesterov momentum
``RAdam``       Adam with its adaptive step rectified while the variance estimate is young
``ASGD``        SGD with a running average of the weights
``lr_scheduler``  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau, LambdaLR,
                  ConstantLR, LinearLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR,
                  SequentialLR, ChainedScheduler

``Optimizer.step`` owns the loop (closure, groups, maximize, weight decay); each optimizer
writes only its rule, ``_update``, on the raw arrays (``p.array``, ``p.grad.array``) under
``no_grad`` and updates them in place, so a parameter stays the same object.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .nadam import NAdam
from .radam import RAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
           "lr_scheduler"]
