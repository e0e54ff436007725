"""Adam and AdamW: bias-corrected first and second moment estimates."""
import numpy as np

from .optimizer import Optimizer, buffer, check_nonnegative


class Adam(Optimizer):
    """Adam with bias correction, optionally AMSGrad; updates parameters in place.

    Per step t (from 1), as PyTorch: g = grad (+ weight_decay * w, an L2 penalty);
    m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g**2; with amsgrad
    v_max = max(v_max, v) stands in for v; then
    w -= lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps).

    Example:
        opt = optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "eps", "weight_decay")
        for i, beta in enumerate(group["betas"]):
            if not 0 <= beta < 1:
                raise ValueError(f"Invalid betas[{i}]: {beta!r} (must be in [0, 1))")

    def _decay(self, w, g, group):
        """Return the gradient with Adam's L2 weight decay added to it."""
        return g + group["weight_decay"] * w if group["weight_decay"] else g

    def _update(self, w, g, state, group):
        beta1, beta2 = group["betas"]
        g = self._decay(w, g, group)
        t = state["step"] = state.get("step", 0) + 1
        m = buffer(state, "exp_avg", w)
        m *= beta1
        m += (1 - beta1) * g
        v = buffer(state, "exp_avg_sq", w)
        v *= beta2
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            v = np.maximum(buffer(state, "max_exp_avg_sq", w), v, out=state["max_exp_avg_sq"])
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); updates parameters in place.

    Each step first shrinks the weights, w *= 1 - lr * weight_decay, then takes
    Adam's step on the plain gradient. Default weight_decay is 1e-2, as PyTorch.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)

    def _decay(self, w, g, group):
        """Shrink w in place by lr * weight_decay; return the gradient unchanged."""
        w *= 1 - group["lr"] * group["weight_decay"]
        return g
