# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Optimizers: SGD, momentum, AdaGrad, RMSProp, Adam
#
# Plain gradient descent has two drawbacks: the learning rate never decays, and every
# parameter gets the same one, although a loss can be steep in one direction and flat
# in another. The optimizers in `optim` fix this with two ideas, **momentum** (keep
# moving the way you were going) and **adaptive learning rates** (scale each
# parameter's step by the size of its recent gradients). With $g^t$ the gradient at
# step $t$:
#
# * **SGD**: $\theta^{t+1} = \theta^t - \eta\, g^t$
# * **momentum**: $v^{t+1} = \lambda v^t - \eta\, g^t$, then $\theta^{t+1} = \theta^t + v^{t+1}$
# * **AdaGrad**: $\theta^{t+1} = \theta^t - \dfrac{\eta}{\sqrt{\sum_{i=0}^{t} (g^i)^2}}\, g^t$
# * **RMSProp**: $s^{t+1} = \alpha s^t + (1-\alpha)(g^t)^2$, then
#   $\theta^{t+1} = \theta^t - \dfrac{\eta}{\sqrt{s^{t+1}} + \epsilon}\, g^t$
# * **Adam**: $m^{t+1} = \beta_1 m^t + (1-\beta_1) g^t$ and
#   $s^{t+1} = \beta_2 s^t + (1-\beta_2)(g^t)^2$, then
#   $\theta^{t+1} = \theta^t - \eta\,\dfrac{\hat m}{\sqrt{\hat s} + \epsilon}$
#
# where Adam's $\hat m = m^{t+1}/(1-\beta_1^{t+1})$ and $\hat s = s^{t+1}/(1-\beta_2^{t+1})$
# are bias-corrected (see below). All squares and roots are per parameter.

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd
import nn
import nn.functional as F
import optim
from autograd import Tensor, no_grad
from kissgrad.train import load_splits
from nn.data import DataLoader, TensorDataset
from optim.lr_scheduler import InverseTimeLR

autograd.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)


# %% [markdown]
# ## A long, narrow valley
#
# $f(\theta) = 0.02\,\theta_1^2 + 2\,\theta_2^2$ is 100 times more curved along
# $\theta_2$ than along $\theta_1$. Gradient descent must keep $\eta < 2/4 = 0.5$ for the
# steep direction, and then crawls along the flat one. The parameter is an
# `nn.Parameter` of two numbers; each optimizer takes 60 steps from the same start.

# %%
def valley(theta):
    return 0.02 * theta[0] ** 2 + 2 * theta[1] ** 2

def run(make_optimizer, steps=60, start=(-9.0, 1.5)):
    theta = nn.Parameter(Tensor(np.array(start)))      # float64
    optimizer = make_optimizer([theta])
    path = [theta.numpy().copy()]
    for _ in range(steps):
        loss = valley(theta)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        path.append(theta.numpy().copy())
    return np.array(path)

optimizers = {
    "SGD (lr 0.45)": lambda ps: optim.SGD(ps, lr=0.45),
    "momentum (lr 0.1, 0.9)": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
    "AdaGrad (lr 1.5)": lambda ps: optim.Adagrad(ps, lr=1.5),
    "RMSProp (lr 0.1)": lambda ps: optim.RMSprop(ps, lr=0.1),
    "Adam (lr 0.5)": lambda ps: optim.Adam(ps, lr=0.5),
}
paths = {name: run(make) for name, make in optimizers.items()}
final = {name: valley(Tensor(path[-1])).item() for name, path in paths.items()}
for name, value in final.items():
    print(f"{name:>24}: f after 60 steps = {value:.2e}")

# %%
T1, T2 = np.meshgrid(np.linspace(-10, 3, 200), np.linspace(-2.5, 2.5, 200))
fig, axes = plt.subplots(1, 5, figsize=(20, 3.6), sharey=True)
for ax, (name, path) in zip(axes, paths.items()):
    ax.contour(T1, T2, 0.02 * T1 ** 2 + 2 * T2 ** 2, levels=np.geomspace(0.01, 12, 14),
               cmap="viridis", linewidths=0.7)
    ax.plot(path[:, 0], path[:, 1], ".-", color="crimson", ms=3, lw=0.8)
    ax.plot(0, 0, "k*", ms=10)
    ax.set(title=f"{name}\nf = {final[name]:.1e}", xlabel="theta 1")
axes[0].set_ylabel("theta 2")
fig.tight_layout()

# %% [markdown]
# What the pictures show:
#
# * **SGD** zig-zags across the valley (each step along $\theta_2$ is multiplied by
#   $1 - 0.45 \cdot 4 = -0.8$) and barely moves along it.
# * **Momentum** accumulates the consistent downhill push along the valley (up to
#   $\eta/(1-\lambda) = 10\eta$ per step) while the alternating steps across it cancel.
# * **AdaGrad, RMSProp and Adam** divide by the size of each coordinate's own
#   gradients, so both coordinates move at a similar pace whatever their curvature.

# %%
sgd, momentum = final["SGD (lr 0.45)"], final["momentum (lr 0.1, 0.9)"]
assert momentum < sgd / 10                       # momentum goes much further along the valley
assert all(final[name] < sgd / 10 for name in ("AdaGrad (lr 1.5)", "RMSProp (lr 0.1)", "Adam (lr 0.5)"))

# Adam's (and AdaGrad's) first step is lr * sign(g) for every coordinate: the gradients
# here differ by a factor of 8, the steps do not
for name in ("Adam (lr 0.5)", "AdaGrad (lr 1.5)"):
    lr = float(name.split("lr ")[1].rstrip(")"))
    first_step = paths[name][1] - paths[name][0]
    print(f"{name}: first step {first_step}")
    assert np.allclose(np.abs(first_step), lr)


# %% [markdown]
# ## The formulas, checked against `optim`
#
# The update rules above, written out in NumPy, reproduce the library's paths. Momentum is
# written as in the lecture, $v \leftarrow \lambda v - \eta g$, $\theta \leftarrow \theta + v$.
# PyTorch (and kissgrad) store $b \leftarrow \lambda b + g$ and step $\theta \leftarrow
# \theta - \eta b$ instead: the same thing with $v = -\eta b$.

# %%
def valley_grad(theta):
    return np.array([0.04 * theta[0], 4 * theta[1]])

def by_formula(rule, steps=60, start=(-9.0, 1.5)):
    theta, state = np.array(start), {}
    path = [theta.copy()]
    for t in range(steps):
        theta = rule(theta, valley_grad(theta), state, t)
        path.append(theta.copy())
    return np.array(path)

def sgd_rule(theta, g, state, t, lr=0.45):
    return theta - lr * g

def momentum_rule(theta, g, state, t, lr=0.1, lam=0.9):
    state["v"] = lam * state.get("v", 0.0) - lr * g
    return theta + state["v"]

def adagrad_rule(theta, g, state, t, lr=1.5, eps=1e-10):
    state["sum"] = state.get("sum", 0.0) + g ** 2
    return theta - lr * g / (np.sqrt(state["sum"]) + eps)

def rmsprop_rule(theta, g, state, t, lr=0.1, alpha=0.99, eps=1e-8):
    state["s"] = alpha * state.get("s", 0.0) + (1 - alpha) * g ** 2
    return theta - lr * g / (np.sqrt(state["s"]) + eps)

def adam_rule(theta, g, state, t, lr=0.5, b1=0.9, b2=0.999, eps=1e-8):
    state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    state["s"] = b2 * state.get("s", 0.0) + (1 - b2) * g ** 2
    m_hat, s_hat = state["m"] / (1 - b1 ** (t + 1)), state["s"] / (1 - b2 ** (t + 1))
    return theta - lr * m_hat / (np.sqrt(s_hat) + eps)

rules = [sgd_rule, momentum_rule, adagrad_rule, rmsprop_rule, adam_rule]
for (name, path), rule in zip(paths.items(), rules):
    gap = np.abs(by_formula(rule) - path).max()
    print(f"{name:>24}: largest difference from the formula {gap:.1e}")
    assert gap < 1e-9

# %% [markdown]
# ## Bias correction
#
# RMSProp and Adam (and momentum, in the form $V = \beta V + (1-\beta)\,dW$) keep
# exponentially weighted moving averages, $V_t = \beta V_{t-1} + (1-\beta)\theta_t$ with
# $V_0 = 0$. Starting at 0 biases the first values low: with $\beta = 0.98$,
# $V_1 = 0.02\,\theta_1$. Dividing by $1 - \beta^t$ removes the bias, which matters only
# while $t$ is small. Adam does this for both of its averages.

# %%
beta, signal = 0.98, np.full(200, 10.0)           # a constant signal: the average should be 10
V, raw, corrected = 0.0, [], []
for t, theta in enumerate(signal, start=1):
    V = beta * V + (1 - beta) * theta
    raw.append(V)
    corrected.append(V / (1 - beta ** t))
print(f"V_1 = {raw[0]:.2f} (corrected {corrected[0]:.2f}),  V_50 = {raw[49]:.2f} "
      f"(corrected {corrected[49]:.2f}),  V_200 = {raw[-1]:.2f}")
assert math.isclose(raw[0], 0.02 * 10) and np.allclose(corrected, 10.0)

plt.figure(figsize=(5, 3))
plt.plot(raw, label="moving average")
plt.plot(corrected, "--", label="bias-corrected")
plt.axhline(10, color="gray", lw=0.5)
plt.xlabel("t")
plt.legend()
plt.title("EMA of a constant 10, beta = 0.98")
plt.tight_layout()

# %% [markdown]
# ## Learning-rate decay, and where AdaGrad comes from
#
# A simple schedule shrinks the learning rate over time, large steps while far from the
# minimum and small ones near it: $\eta^t = \eta / \sqrt{t + 1}$.
# `optim.lr_scheduler.InverseTimeLR` sets it on an optimizer, one `scheduler.step()`
# per step (or epoch).
#
# The lecture derives AdaGrad from it: divide the decayed rate by $\sigma^t$, the root
# mean square of the gradients so far, $\sigma^t = \sqrt{\frac{1}{t+1}\sum_{i=0}^t (g^i)^2}$.
# The two $\sqrt{t+1}$ cancel:
#
# $$\frac{\eta^t}{\sigma^t}\, g^t = \frac{\eta/\sqrt{t+1}}{\sqrt{\frac{1}{t+1}\sum_{i} (g^i)^2}}\, g^t
#   = \frac{\eta}{\sqrt{\sum_{i=0}^t (g^i)^2}}\, g^t .$$
#
# Below: SGD whose learning rate comes from `InverseTimeLR` and whose gradient is divided
# by $\sigma^t$ retraces `optim.Adagrad` exactly.

# %%
theta = nn.Parameter(Tensor(np.array([-9.0, 1.5])))
sgd = optim.SGD([theta], lr=1.5)
scheduler = InverseTimeLR(sgd)
squares, lrs, path = 0.0, [], [theta.numpy().copy()]
for t in range(60):
    loss = valley(theta)
    sgd.zero_grad()
    loss.backward()
    squares = squares + theta.grad.numpy() ** 2
    sigma = np.sqrt(squares / (t + 1))                 # RMS of the gradients so far
    with no_grad():
        theta.grad = Tensor(theta.grad.numpy() / sigma)
    lrs.append(sgd.param_groups[0]["lr"])
    sgd.step()
    scheduler.step()
    path.append(theta.numpy().copy())

assert np.allclose(lrs, [1.5 / math.sqrt(t + 1) for t in range(60)])
print("learning rates:", np.round(lrs[:5], 4), "...")
gap = np.abs(np.array(path) - paths["AdaGrad (lr 1.5)"]).max()
print(f"largest difference from optim.Adagrad's path: {gap:.1e}")
assert np.allclose(path, paths["AdaGrad (lr 1.5)"], atol=1e-8)

# %% [markdown]
# ## On real data: the MNIST sample
#
# The same five optimizers train the same small MLP (784-64-10, ReLU) from the same
# initial weights on 2,000 digits of the bundled MNIST sample, for 4 epochs of
# mini-batches of 32. Each gets a learning rate that suits it (SGD-style methods need
# larger ones than Adam and RMSProp, which normalise the step).

# %%
(X_train, y_train), (X_val, y_val), _ = load_splits(seed=0)      # standardised, (N, 1, 28, 28)
X_train, y_train = X_train[:2000].reshape(2000, -1), y_train[:2000]
X_val = X_val.reshape(len(X_val), -1)

autograd.manual_seed(0)
initial = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)).state_dict()

settings = {"SGD": (optim.SGD, dict(lr=0.05)),
            "momentum": (optim.SGD, dict(lr=0.05, momentum=0.9)),
            "AdaGrad": (optim.Adagrad, dict(lr=0.02)),
            "RMSProp": (optim.RMSprop, dict(lr=0.001)),
            "Adam": (optim.Adam, dict(lr=0.001))}
curves, accuracy = {}, {}
started = time.perf_counter()
for name, (Optimizer, kwargs) in settings.items():
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    model.load_state_dict(initial)                      # every optimizer starts from the same weights
    optimizer = Optimizer(model.parameters(), **kwargs)
    autograd.manual_seed(1)                             # and sees the batches in the same order
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
    losses = []
    for epoch in range(4):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with no_grad():
        accuracy[name] = float((model(Tensor(X_val)).numpy().argmax(axis=1) == y_val).mean())
    curves[name] = np.array(losses)
    print(f"{name:>9}: last-epoch loss {curves[name][-len(loader):].mean():.3f}, "
          f"validation accuracy {accuracy[name]:.1%}")
print(f"({time.perf_counter() - started:.1f} s for all five)")


# %%
def smooth(values, k=20):
    return np.convolve(values, np.ones(k) / k, mode="valid")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
for name, losses in curves.items():
    left.plot(smooth(losses), label=name)
left.set(xlabel="step (mini-batch)", ylabel="training loss (moving average of 20)",
         yscale="log", title="training loss")
left.legend()
right.bar(list(accuracy), list(accuracy.values()), color="#4c72b0")
right.set(ylim=(0.5, 1.0), ylabel="accuracy", title="validation accuracy after 4 epochs")
fig.tight_layout()

first_epoch = len(curves["SGD"]) // 4
for name, losses in curves.items():
    assert losses[-first_epoch:].mean() < 0.5 * losses[:20].mean(), name   # every one learns
    assert accuracy[name] > 0.8, name

# %% [markdown]
# ## What to remember
#
# * Momentum smooths the path and speeds it up along consistent directions.
# * AdaGrad, RMSProp and Adam give each parameter its own step size; Adam's first step
#   is $\eta$ in every coordinate, whatever the gradient's scale.
# * AdaGrad's denominator only grows, so its steps keep shrinking; RMSProp and Adam
#   forget old gradients (moving averages), and Adam corrects the averages' start-up bias.
# * A schedule such as $\eta/\sqrt{t+1}$ (`InverseTimeLR`) decays the learning rate
#   over time; `optim.lr_scheduler` has others (`StepLR`, `CosineAnnealingLR`, ...).
