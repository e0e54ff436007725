"""Learning-rate schedulers: each step() writes new lrs into an optimizer's param groups.

As torch.optim.lr_scheduler: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
LambdaLR, LinearLR, OneCycleLR, ReduceLROnPlateau, the base LRScheduler, and
kissgrad's InverseTimeLR (lr_0 / sqrt(t + 1)).
"""
from .lr_base import LRScheduler
from .lr_one_cycle import OneCycleLR
from .lr_plateau import ReduceLROnPlateau
from .lr_schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    InverseTimeLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LambdaLR", "LinearLR", "OneCycleLR", "ReduceLROnPlateau", "InverseTimeLR"]
