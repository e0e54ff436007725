"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm."""
import numpy as np

from .optimizer import Optimizer, buffer, check_betas, check_nonnegative, decayed


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, section 7); updates parameters in place.

    Per step t (from 1), as PyTorch: g = grad (+ weight_decay * w);
    m = b1 * m + (1 - b1) * g; u = max(b2 * u, |g| + eps);
    w -= lr / (1 - b1**t) * m / u. m ("exp_avg") and u ("exp_inf") start at zero.

    Example:
        opt = optim.Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "eps", "weight_decay")
        check_betas(group)

    def _update(self, w, g, state, group):
        beta1, beta2 = group["betas"]
        t = state["step"] = state.get("step", 0) + 1
        g = decayed(w, g, group)
        m = buffer(state, "exp_avg", w)
        m *= beta1
        m += (1 - beta1) * g
        u = buffer(state, "exp_inf", w)
        u *= beta2
        np.maximum(u, np.abs(g) + group["eps"], out=u)
        w -= group["lr"] / (1 - beta1**t) * m / u
