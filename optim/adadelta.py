"""Adadelta: steps whose size comes from running averages of squared gradients and updates."""
import numpy as np

from .optimizer import Optimizer, buffer, check_nonnegative, check_number, decayed


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012); updates parameters in place.

    Per step, as PyTorch: g = grad (+ weight_decay * w); v = rho * v + (1 - rho) * g**2;
    delta = sqrt(u + eps) / sqrt(v + eps) * g; u = rho * u + (1 - rho) * delta**2;
    w -= lr * delta. Both running averages v ("square_avg") and u ("acc_delta")
    start at zero; lr (default 1.0) only scales delta.

    Example:
        opt = optim.Adadelta(model.parameters())
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "eps", "weight_decay")
        check_number("rho", group["rho"], low=0, high=1)

    def _update(self, w, g, state, group):
        rho, eps = group["rho"], group["eps"]
        state["step"] = state.get("step", 0) + 1
        g = decayed(w, g, group)
        v = buffer(state, "square_avg", w)
        v *= rho
        v += (1 - rho) * g * g
        u = buffer(state, "acc_delta", w)
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * delta * delta
        w -= group["lr"] * delta
