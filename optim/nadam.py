"""NAdam: Adam with Nesterov momentum (Dozat 2016), with PyTorch's momentum schedule."""
import numpy as np

from .adam import moments
from .optimizer import Optimizer, check_betas, check_nonnegative, decayed


class NAdam(Optimizer):
    """NAdam; updates parameters in place.

    Per step t (from 1), as PyTorch: g = grad (+ weight_decay * w, or with
    decoupled_weight_decay=True w *= 1 - lr * weight_decay); the momentum schedule is
    mu_t = b1 * (1 - 0.96**(t * momentum_decay) / 2) and P_t = mu_1 * ... * mu_t
    ("mu_product"); m and v as in Adam; with d = sqrt(v / (1 - b2**t)) + eps,
    w -= lr * (1 - mu_t) / (1 - P_t) * g / d + lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d.

    Differences from PyTorch: "mu_product" is a float64 Python float; PyTorch keeps it
    in a tensor of the default dtype (float32 unless changed), which it rounds.

    Example:
        opt = optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "eps", "weight_decay", "momentum_decay")
        check_betas(group)

    def _update(self, w, g, state, group):
        beta1, beta2 = group["betas"]
        t = state["step"] = state.get("step", 0) + 1
        mu, mu_next = _mu(beta1, t, group), _mu(beta1, t + 1, group)
        product = state["mu_product"] = state.get("mu_product", 1.0) * mu
        g = decayed(w, g, group)
        m, v = moments(g, state, group, w)
        d = np.sqrt(v / (1 - beta2**t)) + group["eps"]
        lr = group["lr"]
        w -= lr * (1 - mu) / (1 - product) * g / d
        w -= lr * mu_next / (1 - product * mu_next) * m / d


def _mu(beta1, t, group):
    """Return the momentum coefficient of step t: b1 * (1 - 0.96**(t * momentum_decay) / 2)."""
    return beta1 * (1 - 0.5 * 0.96 ** (t * group["momentum_decay"]))
