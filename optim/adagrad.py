"""Adagrad: per-coordinate step sizes shrinking with the sum of squared gradients."""
import numpy as np

from autograd.kernels.optimizers import adagrad_step_

from .optimizer import Optimizer, check_nonnegative, decayed


class Adagrad(Optimizer):
    """Adagrad; updates parameters in place.

    Per step t (from 1), as PyTorch: g = grad (+ weight_decay * w);
    lr_t = lr / (1 + (t - 1) * lr_decay); sum += g**2; w -= lr_t * g / (sqrt(sum) + eps).
    `sum` starts at initial_accumulator_value.

    Differences from PyTorch: a parameter's state is created at its first step, not
    in the constructor, so `state_dict()` lists only parameters that have stepped.
    """

    def __init__(self, params, lr=0.01, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value",
                          "eps")

    def _update(self, w, g, state, group):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(w, group["initial_accumulator_value"])
        state["step"] += 1
        g = decayed(w, g, group)
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        adagrad_step_(w, g, state["sum"], lr=lr, eps=group["eps"])  # one pass
