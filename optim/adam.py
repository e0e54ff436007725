"""Adam and AdamW: bias-corrected first and second moment estimates."""
from autograd.kernels.optimizers import adam_step_

from .optimizer import Optimizer, buffer, check_betas, check_nonnegative, decayed


def moments(g, state, group, w):
    """Update and return the Adam moments (exp_avg, exp_avg_sq) of one parameter in place.

    m = b1 * m + (1 - b1) * g and v = b2 * v + (1 - b2) * g**2, both starting at zero;
    shared by Adam, NAdam and RAdam.
    """
    beta1, beta2 = group["betas"]
    m = buffer(state, "exp_avg", w)
    m *= beta1
    m += (1 - beta1) * g
    v = buffer(state, "exp_avg_sq", w)
    v *= beta2
    v += (1 - beta2) * g * g
    return m, v


class Adam(Optimizer):
    """Adam with bias correction, optionally AMSGrad; updates parameters in place.

    Per step t (from 1), as PyTorch: g = grad (+ weight_decay * w, an L2 penalty;
    with decoupled_weight_decay=True w *= 1 - lr * weight_decay instead, as AdamW);
    m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g**2; with amsgrad
    v_max = max(v_max, v) stands in for v; then
    w -= lr * (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps).

    Example:
        opt = optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "eps", "weight_decay")
        check_betas(group)

    def _update(self, w, g, state, group):
        beta1, beta2 = group["betas"]
        g = decayed(w, g, group)
        t = state["step"] = state.get("step", 0) + 1
        m, v = buffer(state, "exp_avg", w), buffer(state, "exp_avg_sq", w)
        v_max = buffer(state, "max_exp_avg_sq", w) if group["amsgrad"] else None
        # moments() and the step below in one pass over the weight and its buffers
        adam_step_(w, g, m, v, v_max, beta1=beta1, beta2=beta2, lr=group["lr"],
                   eps=group["eps"], step=t)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter); updates parameters in place.

    Each step first shrinks the weights, w *= 1 - lr * weight_decay, then takes
    Adam's step on the plain gradient. Default weight_decay is 1e-2, as PyTorch;
    its groups hold decoupled_weight_decay=True, as PyTorch's.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
