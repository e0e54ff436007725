"""Shared by the optim tests: textbook update formulas, written independently of optim, and
the table of optimizer cases they check."""
from dataclasses import dataclass, field

import numpy as np

import optim
from autograd import Tensor

W0 = [0.5, -1.0, 2.0]
# big gradients first, then small ones (so AMSGrad's running max matters), sign changes, a zero;
# ten steps, so that RAdam's rectified step (from about step 6 on) is reached
GRADS = [[1.0, -2.0, 0.5], [0.5, -1.0, 3.0], [-0.2, 0.1, 0.05],
         [0.1, 0.3, -0.01], [-1.5, 0.0, 0.2], [0.3, -0.05, 0.1],
         [0.7, -0.4, 0.9], [-0.3, 0.25, -0.6], [0.05, 1.2, 0.4], [0.9, -0.8, -0.1]]


def param(values=W0, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def set_grad(p, g):
    p.grad = Tensor(np.array(g, dtype=p.dtype))


def run(opt, p, grads):
    """Step `opt` once per gradient in `grads`; return the copies of p.raw after each step."""
    trajectory = []
    for g in grads:
        set_grad(p, g)
        opt.step()
        trajectory.append(p.raw.copy())
    return trajectory


# --- textbook formulas, one step at a time, written independently of optim --------------

def decayed(w, g, lr, weight_decay, decoupled, maximize):
    """The textbook's first lines of Adam-like updates: the gradient negated when maximizing,
    then L2 weight decay added to it, or (decoupled, AdamW's) applied to the weight itself."""
    g = -g if maximize else g
    if decoupled:
        return w * (1 - lr * weight_decay), g
    return w, g + weight_decay * w


def sgd_reference(w, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):
    w, b, out = np.array(w, dtype=float), None, []
    for g in map(np.array, grads):
        g = -g if maximize else g
        g = g + weight_decay * w
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        w = w - lr * g
        out.append(w)
    return out


def adagrad_reference(w, grads, lr=0.01, lr_decay=0.0, weight_decay=0.0,
                      initial_accumulator_value=0.0, eps=1e-10, maximize=False):
    w, out = np.array(w, dtype=float), []
    s = np.full_like(w, initial_accumulator_value)
    for t, g in enumerate(map(np.array, grads), start=1):
        g = -g if maximize else g
        g = g + weight_decay * w
        s = s + g**2
        w = w - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
        out.append(w)
    return out


def rmsprop_reference(w, grads, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False, maximize=False):
    w, out = np.array(w, dtype=float), []
    v, g_avg, b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in map(np.array, grads):
        g = -g if maximize else g
        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g**2
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v - g_avg**2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(v_tilde) + eps)
            w = w - lr * b
        else:
            w = w - lr * g / (np.sqrt(v_tilde) + eps)
        out.append(w)
    return out


def adam_reference(w, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   amsgrad=False, maximize=False, decoupled_weight_decay=False):
    w, out = np.array(w, dtype=float), []
    m, v, v_max = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    beta1, beta2 = betas
    for t, g in enumerate(map(np.array, grads), start=1):
        w, g = decayed(w, g, lr, weight_decay, decoupled_weight_decay, maximize)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


def adamw_reference(w, grads, weight_decay=1e-2, **kw):
    return adam_reference(w, grads, weight_decay=weight_decay, decoupled_weight_decay=True, **kw)


def adadelta_reference(w, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
    w, out = np.array(w, dtype=float), []
    sq_grad, sq_delta = np.zeros_like(w), np.zeros_like(w)
    for g in map(np.array, grads):
        g = -g if maximize else g
        g = g + weight_decay * w
        sq_grad = rho * sq_grad + (1 - rho) * g**2
        delta = np.sqrt(sq_delta + eps) / np.sqrt(sq_grad + eps) * g
        sq_delta = rho * sq_delta + (1 - rho) * delta**2
        w = w - lr * delta
        out.append(w)
    return out


def adamax_reference(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                     maximize=False):
    w, out = np.array(w, dtype=float), []
    m, u = np.zeros_like(w), np.zeros_like(w)
    beta1, beta2 = betas
    for t, g in enumerate(map(np.array, grads), start=1):
        g = -g if maximize else g
        g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(beta2 * u, np.abs(g) + eps)
        w = w - lr / (1 - beta1**t) * m / u
        out.append(w)
    return out


def nadam_reference(w, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    w, out = np.array(w, dtype=float), []
    m, v, mu_product = np.zeros_like(w), np.zeros_like(w), 1.0
    beta1, beta2 = betas
    mu = [beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) for t in range(len(grads) + 2)]
    for t, g in enumerate(map(np.array, grads), start=1):
        w, g = decayed(w, g, lr, weight_decay, decoupled_weight_decay, maximize)
        mu_product *= mu[t]
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_nesterov = (mu[t + 1] * m / (1 - mu_product * mu[t + 1])
                      + (1 - mu[t]) * g / (1 - mu_product))
        w = w - lr * m_nesterov / (np.sqrt(v / (1 - beta2**t)) + eps)
        out.append(w)
    return out


def radam_reference(w, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                    decoupled_weight_decay=False, maximize=False):
    w, out = np.array(w, dtype=float), []
    m, v = np.zeros_like(w), np.zeros_like(w)
    beta1, beta2 = betas
    rho_inf = 2 / (1 - beta2) - 1
    for t, g in enumerate(map(np.array, grads), start=1):
        w, g = decayed(w, g, lr, weight_decay, decoupled_weight_decay, maximize)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            w = w - lr * m_hat * r * np.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
        else:
            w = w - lr * m_hat
        out.append(w)
    return out


@dataclass
class Case:
    name: str
    cls: type
    reference: callable
    kwargs: dict = field(default_factory=dict)

    def __str__(self):
        return self.name


CASES = [
    Case("sgd", optim.SGD, sgd_reference, dict(lr=0.1)),
    Case("sgd-momentum", optim.SGD, sgd_reference, dict(lr=0.1, momentum=0.9)),
    Case("sgd-dampening", optim.SGD, sgd_reference, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    Case("sgd-nesterov", optim.SGD, sgd_reference, dict(lr=0.1, momentum=0.9, nesterov=True)),
    Case("sgd-weight_decay", optim.SGD, sgd_reference, dict(lr=0.1, weight_decay=0.1)),
    Case("sgd-nesterov-weight_decay", optim.SGD, sgd_reference,
         dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.2)),
    Case("sgd-maximize-weight_decay", optim.SGD, sgd_reference,
         dict(lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)),
    Case("adagrad", optim.Adagrad, adagrad_reference, dict(lr=0.1)),
    Case("adagrad-lr_decay", optim.Adagrad, adagrad_reference, dict(lr=0.1, lr_decay=0.5)),
    Case("adagrad-weight_decay", optim.Adagrad, adagrad_reference, dict(lr=0.1, weight_decay=0.3)),
    Case("adagrad-initial_accumulator", optim.Adagrad, adagrad_reference,
         dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    Case("adagrad-maximize", optim.Adagrad, adagrad_reference, dict(lr=0.1, maximize=True)),
    Case("rmsprop", optim.RMSprop, rmsprop_reference, dict(lr=0.01)),
    Case("rmsprop-alpha", optim.RMSprop, rmsprop_reference, dict(lr=0.01, alpha=0.8, eps=1e-6)),
    Case("rmsprop-centered", optim.RMSprop, rmsprop_reference,
         dict(lr=0.01, alpha=0.9, centered=True)),
    Case("rmsprop-momentum", optim.RMSprop, rmsprop_reference, dict(lr=0.01, momentum=0.9)),
    Case("rmsprop-centered-momentum-weight_decay", optim.RMSprop, rmsprop_reference,
         dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    Case("rmsprop-maximize", optim.RMSprop, rmsprop_reference, dict(lr=0.01, maximize=True)),
    Case("adam", optim.Adam, adam_reference, dict(lr=0.1)),
    Case("adam-betas", optim.Adam, adam_reference, dict(lr=0.1, betas=(0.5, 0.9), eps=1e-4)),
    Case("adam-weight_decay", optim.Adam, adam_reference, dict(lr=0.1, weight_decay=0.5)),
    Case("adam-amsgrad", optim.Adam, adam_reference, dict(lr=0.1, betas=(0.5, 0.9), amsgrad=True)),
    Case("adam-maximize", optim.Adam, adam_reference, dict(lr=0.1, maximize=True)),
    Case("adamw", optim.AdamW, adamw_reference, dict(lr=0.1)),
    Case("adamw-weight_decay", optim.AdamW, adamw_reference, dict(lr=0.1, weight_decay=0.5)),
    Case("adamw-amsgrad", optim.AdamW, adamw_reference,
         dict(lr=0.1, betas=(0.5, 0.9), weight_decay=0.5, amsgrad=True)),
    Case("adam-decoupled_weight_decay", optim.Adam, adam_reference,
         dict(lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)),
    Case("adadelta", optim.Adadelta, adadelta_reference, dict(lr=1.0)),
    Case("adadelta-rho-eps-weight_decay", optim.Adadelta, adadelta_reference,
         dict(lr=0.5, rho=0.5, eps=1e-3, weight_decay=0.2)),
    Case("adadelta-maximize", optim.Adadelta, adadelta_reference, dict(lr=1.0, maximize=True)),
    Case("adamax", optim.Adamax, adamax_reference, dict(lr=0.1)),
    Case("adamax-betas-weight_decay", optim.Adamax, adamax_reference,
         dict(lr=0.1, betas=(0.5, 0.9), eps=1e-4, weight_decay=0.3)),
    Case("adamax-maximize", optim.Adamax, adamax_reference, dict(lr=0.1, maximize=True)),
    Case("nadam", optim.NAdam, nadam_reference, dict(lr=0.1)),
    Case("nadam-momentum_decay-weight_decay", optim.NAdam, nadam_reference,
         dict(lr=0.1, betas=(0.5, 0.9), momentum_decay=0.3, weight_decay=0.2)),
    Case("nadam-decoupled_weight_decay", optim.NAdam, nadam_reference,
         dict(lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)),
    Case("nadam-maximize", optim.NAdam, nadam_reference, dict(lr=0.1, maximize=True)),
    Case("radam", optim.RAdam, radam_reference, dict(lr=0.1)),
    # beta2 = 0.5: rho_inf = 3, so the step stays plain momentum throughout
    Case("radam-unrectified", optim.RAdam, radam_reference, dict(lr=0.1, betas=(0.8, 0.5))),
    Case("radam-weight_decay", optim.RAdam, radam_reference, dict(lr=0.1, weight_decay=0.2)),
    Case("radam-decoupled_weight_decay", optim.RAdam, radam_reference,
         dict(lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)),
    Case("radam-maximize", optim.RAdam, radam_reference, dict(lr=0.1, maximize=True)),
]
