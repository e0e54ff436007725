"""SGD: stochastic gradient descent with optional momentum, Nesterov and weight decay."""
from autograd.kernels import add_scaled_

from .optimizer import Optimizer, check_nonnegative, check_number, decayed


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum; updates parameters in place.

    Per step, as PyTorch: g = grad (+ weight_decay * w); with momentum mu the buffer
    is b = g on the first step, then b = mu * b + (1 - dampening) * g, and g becomes
    b, or g + mu * b with nesterov; finally w -= lr * g. Under maximize the gradient
    is negated first, so weight decay still pulls weights towards zero (PyTorch's
    code does this; its documented pseudo-code negates at the end instead).

    Example:
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        check_number("dampening", group["dampening"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"Invalid nesterov=True with momentum={group['momentum']!r} and "
                             f"dampening={group['dampening']!r}: Nesterov momentum needs "
                             "momentum > 0 and dampening 0")

    def _update(self, w, g, state, group):
        g = decayed(w, g, group)
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
