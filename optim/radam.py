"""RAdam: Adam whose adaptive step is switched on, rectified, once its variance is tractable."""
import math

import numpy as np

from .adam import moments
from .optimizer import Optimizer, check_betas, check_nonnegative, decayed


class RAdam(Optimizer):
    """Rectified Adam (Liu et al. 2019); updates parameters in place.

    Per step t (from 1), as PyTorch: g = grad (+ weight_decay * w, or with
    decoupled_weight_decay=True w *= 1 - lr * weight_decay); m and v as in Adam;
    m_hat = m / (1 - b1**t); rho_inf = 2 / (1 - b2) - 1 and
    rho_t = rho_inf - 2 t b2**t / (1 - b2**t). While rho_t <= 5, w -= lr * m_hat
    (plain momentum); after that w -= lr * m_hat * r_t * sqrt(1 - b2**t) / (sqrt(v) + eps)
    with r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).

    Example:
        opt = optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "eps", "weight_decay")
        check_betas(group)

    def _update(self, w, g, state, group):
        beta1, beta2 = group["betas"]
        t = state["step"] = state.get("step", 0) + 1
        g = decayed(w, g, group)
        m, v = moments(g, state, group, w)
        m_hat = m / (1 - beta1**t)
        correction2 = 1 - beta2**t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / correction2
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            w -= group["lr"] * m_hat * rect * math.sqrt(correction2) / (np.sqrt(v) + group["eps"])
        else:
            w -= group["lr"] * m_hat
