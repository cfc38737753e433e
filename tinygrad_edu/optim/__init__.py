"""Optimizers and learning-rate schedulers, with PyTorch's names, defaults and update rules.

``Optimizer``   the base class: parameter groups, per-parameter state, state_dict
``SGD``         gradient descent with optional (Nesterov) momentum
``Adam``        momentum + per-weight step sizes, with bias correction
``AdamW``       Adam with decoupled weight decay
``RMSprop``     per-weight step sizes from a running mean of squared gradients
``Adagrad``     per-weight step sizes from the sum of squared gradients
``lr_scheduler``  StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau, LambdaLR

``Optimizer.step`` owns the loop (closure, groups, maximize, weight decay); each optimizer
writes only its rule, ``_update``, on the raw arrays (``p.array``, ``p.grad.array``) under
``no_grad`` and updates them in place, so a parameter stays the same object.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
