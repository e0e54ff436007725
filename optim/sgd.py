"""SGD: stochastic gradient descent with optional momentum, Nesterov and weight decay."""
from autograd.kernels import add_scaled_

from .optimizer import Optimizer, check_nonnegative, required


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum; updates parameters in place.

    Per step, as PyTorch: g = grad (+ weight_decay * w); with momentum mu the buffer
    is b = g on the first step, then b = mu * b + (1 - dampening) * g, and g becomes
    b, or g + mu * b with nesterov; finally w -= lr * g. Under maximize the gradient
    is negated first, so weight decay still pulls weights towards zero (PyTorch's
    code does this; its documented pseudo-code negates at the end instead).

    Differences from PyTorch: lr has no default (PyTorch 2.x defaults to 1e-3) but
    may be left out when every parameter group gives its own.

    Example:
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    """

    def __init__(self, params, lr=required, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(self, w, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * w
        mu = group["momentum"]
        if mu:
            if "momentum_buffer" in state:
                b = state["momentum_buffer"]
                b *= mu
                add_scaled_(b, 1 - group["dampening"], g)
            else:
                b = state["momentum_buffer"] = g.astype(w.dtype, copy=True)
            g = g + mu * b if group["nesterov"] else b
        add_scaled_(w, -group["lr"], g)  # w -= lr * g in one pass
