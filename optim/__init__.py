"""kissgrad.optim: optimizers (SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW, Adamax, NAdam,
RAdam) and lr schedulers (optim.lr_scheduler)."""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "Adamax",
           "NAdam", "RAdam", "lr_scheduler"]
