# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Losses and softmax
#
# A loss turns "how wrong is the model?" into one number that gradient descent can
# lower. The common ones, for predictions $\hat y$ and targets $y$ over $n$ values:
#
# | loss | formula | used for |
# |---|---|---|
# | mean squared error | $\mathrm{MSE} = \frac1n \sum_i (y_i - \hat y_i)^2$ | regression |
# | mean absolute error | $\mathrm{MAE} = \frac1n \sum_i \lvert y_i - \hat y_i \rvert$ | robust regression |
# | cross-entropy | $H(y, \hat y) = -\sum_k y_k \log \hat y_k$ | classification, with softmax |
#
# In kissgrad they are functions in `nn.functional` (`mse_loss`, `l1_loss`,
# `cross_entropy`, ...) and modules in `nn` (`nn.MSELoss()`, ...), with PyTorch's names.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import autograd
import nn
import nn.functional as F
import optim
from autograd import Tensor

autograd.manual_seed(0)

# %% [markdown]
# ## MSE and MAE
#
# The lecture's example: the target is the one-hot vector $t = (0, 1)$ and the
# network outputs $y = (0.4, 0.6)$. Both errors are 0.4, so
# $\mathrm{MSE} = \frac12(0.4^2 + 0.4^2) = 0.16$ and $\mathrm{MAE} = 0.4$.

# %%
y_pred, t = Tensor([0.4, 0.6]), Tensor([0.0, 1.0])
mse, mae = F.mse_loss(y_pred, t), F.l1_loss(y_pred, t)
print(f"MSE {mse.item():.4f}   MAE {mae.item():.4f}   nn.MSELoss {nn.MSELoss()(y_pred, t).item():.4f}")
assert math.isclose(mse.item(), 0.16, abs_tol=1e-6) and math.isclose(mae.item(), 0.4, abs_tol=1e-6)
assert math.isclose(nn.MSELoss()(y_pred, t).item(), mse.item())

# %% [markdown]
# What differs is how each one pulls on a residual $r = \hat y - y$. The gradient of
# $r^2$ is $2r$: big errors pull hard. The gradient of $\lvert r \rvert$ is
# $\operatorname{sign}(r)$: every error pulls the same. The Huber loss is quadratic
# near 0 and linear beyond $\delta = 1$, a compromise. Autograd computes all three
# gradients over a grid of residuals at once (with `reduction="none"` each element's
# loss is separate, so the gradient of their sum is each one's own derivative):

# %%
grid = np.linspace(-3, 3, 241)
curves = {}
for name, loss_fn in [("MSE", F.mse_loss), ("MAE", F.l1_loss), ("Huber", F.huber_loss)]:
    r = Tensor(grid, requires_grad=True)
    loss = loss_fn(r, Tensor(np.zeros_like(grid)), reduction="none")
    loss.sum().backward()
    curves[name] = (loss.numpy(), r.grad.numpy())

assert np.allclose(curves["MSE"][1], 2 * grid)
assert np.allclose(curves["MAE"][1][grid != 0], np.sign(grid)[grid != 0])
assert np.allclose(curves["Huber"][1], np.clip(grid, -1, 1))

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
for name, (values, grads) in curves.items():
    left.plot(grid, values, label=name)
    right.plot(grid, grads, label=name)
left.set(title="loss", xlabel="residual r", ylim=(0, 5))
right.set(title="gradient d loss / d r", xlabel="residual r")
left.legend()
right.legend()
fig.tight_layout()

# %% [markdown]
# So an outlier dominates MSE but not MAE. Fitting a single constant $c$ to the data
# $\{1, 2, 3, 4, 100\}$ by gradient descent shows it: minimising MSE gives the
# **mean** (22), minimising MAE gives the **median** (3).

# %%
data = Tensor([1.0, 2.0, 3.0, 4.0, 100.0])
fitted = {}
for name, loss_fn, lr in [("MSE", F.mse_loss, 0.1), ("MAE", F.l1_loss, 0.02)]:
    c = nn.Parameter(Tensor([0.0]))
    opt = optim.SGD([c], lr=lr)
    for step in range(600):
        loss = loss_fn(c.expand(5), data)
        opt.zero_grad()
        loss.backward()
        opt.step()
    fitted[name] = c.item()
    print(f"minimising {name}: c = {c.item():.3f}")
assert abs(fitted["MSE"] - 22.0) < 1e-3      # the mean
assert abs(fitted["MAE"] - 3.0) < 0.05       # the median


# %% [markdown]
# ## Entropy and cross-entropy
#
# An event of probability $p$ carries information $\log\frac1p$: the sun rising tells
# you little, rain in the desert a lot. **Entropy** is the expected information of a
# distribution $p$, **cross-entropy** the expected information when events follow $p$
# but are scored with probabilities $q$:
#
# $$H(p) = -\sum_x p(x)\log p(x), \qquad H(p, q) = -\sum_x p(x) \log q(x) \;\ge\; H(p),$$
#
# with equality only when $q = p$. So cross-entropy measures how far a predicted
# distribution $q$ is from the true one $p$. The base of the logarithm only sets the
# unit (base 2: bits, base $e$: nats, the library's choice).
#
# `F.cross_entropy` takes **logits** (scores before softmax) and either integer labels or a
# target distribution. Passing $\log q$ as logits gives $H(p, q)$ in nats, since the
# softmax of $\log q$ is $q$ itself. The lecture's examples:

# %%
def cross_entropy(p, q, base=math.e):
    # H(p, q) with library code: cross_entropy of the logits log q against the target p
    logits = Tensor(np.log(np.asarray(q, dtype=np.float64)))[None]
    target = Tensor(np.asarray(p, dtype=np.float64))[None]
    return F.cross_entropy(logits, target).item() / math.log(base)

# a coin with P(heads) = 0.75, in bits
coin, wrong = [0.75, 0.25], [0.25, 0.75]
print(f"H(coin) = {cross_entropy(coin, coin, 2):.2f} bits, "
      f"H(coin, swapped) = {cross_entropy(coin, wrong, 2):.2f} bits")
assert round(cross_entropy(coin, coin, 2), 2) == 0.81 and round(cross_entropy(coin, wrong, 2), 1) == 1.6

# two distributions over three outcomes, in base-10 units
p1, p2 = [1/3, 1/2, 1/6], [1/4, 1/2, 1/4]
table = {"H(p1)": cross_entropy(p1, p1, 10), "H(p2)": cross_entropy(p2, p2, 10),
         "H(p1, p2)": cross_entropy(p1, p2, 10), "H(p2, p1)": cross_entropy(p2, p1, 10)}
for key, value in table.items():
    print(f"{key:>9} = {value:.4f}")
assert round(table["H(p1)"], 3) == 0.439 and round(table["H(p2)"], 3) == 0.452
assert round(table["H(p2, p1)"], 3) == 0.464
assert table["H(p1, p2)"] > table["H(p1)"] and table["H(p2, p1)"] > table["H(p2)"]

# %% [markdown]
# (The lecture prints 0.456 for $H(p_1, p_2)$; the exact value is
# $\frac12\log_{10}4 + \frac12\log_{10}2 = 0.4515$, still larger than $H(p_1) = 0.439$,
# as it must be.)
#
# For a one-hot target only the true class's term survives:
# $H = -\log q_{\text{true}}$. With $t = (0, 1)$ and $y = (0.4, 0.6)$ from above,
# $H = -\ln 0.6 = 0.511$ nats $= 0.737$ bits (the lecture's 0.736 is this value in bits).
# For two classes this is the **binary cross-entropy** $-[t \log y + (1 - t)\log(1 - y)]$:

# %%
h_nats = cross_entropy([0.0, 1.0], [0.4, 0.6])
bce = F.binary_cross_entropy(Tensor([0.6]), Tensor([1.0])).item()
print(f"-ln 0.6 = {h_nats:.4f} nats = {h_nats / math.log(2):.4f} bits; binary cross-entropy {bce:.4f}")
assert math.isclose(h_nats, -math.log(0.6), rel_tol=1e-9) and round(h_nats / math.log(2), 3) == 0.737
assert math.isclose(bce, h_nats, rel_tol=1e-6)

q = np.linspace(0.01, 1, 100)
plt.figure(figsize=(4.5, 3))
plt.plot(q, -np.log(q))
plt.xlabel("probability given to the true class")
plt.ylabel("cross-entropy (nats)")
plt.title("confident and wrong costs the most")
plt.tight_layout()

# %% [markdown]
# ## Softmax, and the lecture's worked example
#
# A classifier's last layer produces one score (logit) $z_k$ per class. **Softmax**
# turns them into probabilities, each in $(0, 1)$, summing to 1:
#
# $$\operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{k} e^{z_k}} .$$
#
# The worked example: logits $z = (0, 0.006, 0.12)$ give
# $\operatorname{softmax}(z) = (0.319, 0.321, 0.36)$, since
# $\frac{e^0}{e^0 + e^{0.006} + e^{0.12}} = 0.319$. If the true class is 1 (one-hot
# target $(0, 1, 0)$), the loss is $-\ln 0.321 = 1.1363$.

# %%
z = Tensor([0.0, 0.006, 0.12])
p = F.softmax(z, dim=-1)
print("softmax:", p.numpy().round(4))
assert np.allclose(p.numpy().round(3), [0.319, 0.321, 0.36])
assert math.isclose(p.sum().item(), 1, rel_tol=1e-6)

label = np.array([1])
loss = F.cross_entropy(z[None], label)                # logits (N, C) and integer labels (N,)
print(f"cross_entropy = {loss.item():.5f};  -ln(0.321) = {-math.log(0.321):.5f}")
assert abs(loss.item() - 1.1363) < 5e-4               # 1.1362: the slide rounds p to 0.321 first
assert round(-math.log(0.321), 4) == 1.1363

# the same number four more ways
same = {"nn.CrossEntropyLoss": nn.CrossEntropyLoss()(z[None], label),
        "nll_loss(log_softmax)": F.nll_loss(F.log_softmax(z[None], dim=1), label),
        "one-hot target": F.cross_entropy(z[None], Tensor([[0.0, 1.0, 0.0]])),
        "-sum(t * log p)": -(Tensor([0.0, 1.0, 0.0]) * p.log()).sum()}
for name, value in same.items():
    print(f"{name:>22}: {value.item():.5f}")
    assert math.isclose(value.item(), loss.item(), rel_tol=1e-5)

# %% [markdown]
# ## The gradient of softmax + cross-entropy
#
# Combined, softmax and cross-entropy have a remarkably simple gradient with respect
# to the logits:
#
# $$\frac{\partial H}{\partial z_j} = p_j - t_j ,$$
#
# the predicted probability minus the target. The loss "is large at the beginning and
# should decrease during training": a few gradient-descent steps on the logits
# themselves raise the true class's probability.

# %%
logits = Tensor([[0.0, 0.006, 0.12]], requires_grad=True)
F.cross_entropy(logits, label).backward()
print("gradient:", logits.grad.numpy().round(4), "  p - t:", (p.numpy() - [0, 1, 0]).round(4))
assert np.allclose(logits.grad.numpy()[0], p.numpy() - np.array([0, 1, 0]), atol=1e-6)

logits = nn.Parameter(Tensor([[0.0, 0.006, 0.12]]))
opt = optim.SGD([logits], lr=1.0)
losses = []
for step in range(10):
    loss = F.cross_entropy(logits, label)
    losses.append(loss.item())
    opt.zero_grad()
    loss.backward()
    opt.step()
print("loss per step:", np.round(losses, 3))
print("probabilities now:", F.softmax(logits, dim=1).numpy().round(3))
assert all(b < a for a, b in zip(losses, losses[1:]))

# %% [markdown]
# ## Softmax with large logits
#
# Computed literally, $e^{z}$ overflows for $z \gtrsim 89$ in float32 (710 in float64),
# and the ratio becomes $\infty/\infty = $ NaN. Softmax does not change when the same
# number is subtracted from every logit, so a stable implementation subtracts the
# maximum first and the largest exponent is $e^0 = 1$:
#
# $$\operatorname{softmax}(z) = \operatorname{softmax}(z - \max_k z_k), \qquad
#   \log \operatorname{softmax}(z)_j = z_j - \log\sum_k e^{z_k}\ \ (\text{"log-sum-exp"}).$$
#
# `F.softmax`, `F.log_softmax` and `F.cross_entropy` all do this.

# %%
big = np.array([1000.0, 1001.0, 1002.0], dtype=np.float32)
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.exp(big).sum()
stable = F.softmax(Tensor(big), dim=-1).numpy()
print("naive :", naive)
print("stable:", stable.round(4))
assert np.isnan(naive).all()
assert np.allclose(stable, F.softmax(Tensor(big - 1000), dim=-1).numpy()) and np.allclose(stable.sum(), 1)
assert np.allclose(stable, [0.0900, 0.2447, 0.6652], atol=1e-4)

# tiny probabilities: log(softmax) underflows to -inf, log_softmax stays exact
z = Tensor([[0.0, -200.0]])
with np.errstate(divide="ignore"):
    log_of_softmax = F.softmax(z, dim=1).log().numpy()
print("log(softmax(z)):", log_of_softmax, "  log_softmax(z):", F.log_softmax(z, dim=1).numpy())
assert np.isneginf(log_of_softmax[0, 1])
assert np.allclose(F.log_softmax(z, dim=1).numpy(), [[0.0, -200.0]])

# and the loss and its gradient stay finite with huge logits
logits = Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
loss = F.cross_entropy(logits, np.array([2]))
loss.backward()
print(f"cross-entropy {loss.item()}, gradient {logits.grad.numpy()}")
assert math.isclose(loss.item(), 2000.0) and np.isfinite(logits.grad.numpy()).all()

# %% [markdown]
# ## What to remember
#
# * MSE punishes large errors quadratically (gradient $2r$), MAE linearly
#   (gradient $\pm 1$): the mean versus the median.
# * Cross-entropy $-\sum_k t_k \log p_k$ compares distributions; with one-hot targets it
#   is $-\log p_{\text{true}}$. Worked example: softmax$(0, 0.006, 0.12) = (0.319, 0.321,
#   0.36)$, loss $1.136$.
# * Softmax + cross-entropy has gradient $p - t$ with respect to the logits.
# * Never exponentiate raw logits: subtract the maximum (softmax), use log-sum-exp
#   (log-softmax), or pass logits straight to `F.cross_entropy`.
