"""RMSprop: steps scaled by a running average of squared gradients."""
from autograd.kernels.optimizers import rmsprop_step_

from .optimizer import Optimizer, buffer, check_nonnegative, decayed


class RMSprop(Optimizer):
    """RMSprop, optionally centered and with momentum; updates parameters in place.

    Per step, as PyTorch: g = grad (+ weight_decay * w); v = alpha * v + (1 - alpha) * g**2;
    centered: a = alpha * a + (1 - alpha) * g and v is replaced by v - a**2 in the
    denominator d = sqrt(v) + eps; with momentum mu: b = mu * b + g / d, w -= lr * b;
    else w -= lr * g / d. All buffers start at zero.

    Differences from PyTorch: maximize is keyword-only (PyTorch also takes it by position).
    """

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "alpha", "eps", "weight_decay", "momentum")

    def _update(self, w, g, state, group):
        state["step"] = state.get("step", 0) + 1
        g = decayed(w, g, group)
        v = buffer(state, "square_avg", w)
        a = buffer(state, "grad_avg", w) if group["centered"] else None
        b = buffer(state, "momentum_buffer", w) if group["momentum"] > 0 else None
        rmsprop_step_(w, g, v, a, b, alpha=group["alpha"], lr=group["lr"], eps=group["eps"],
                      momentum=group["momentum"])  # one pass
