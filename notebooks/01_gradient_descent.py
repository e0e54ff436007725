# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Gradient descent: fitting $y = wx + b$
#
# Training a model means choosing its parameters so that a **loss** is small. Here the
# model is a line $\hat y = wx + b$ and the loss is the mean squared error over the
# $n$ training points:
#
# $$L(w, b) = \frac{1}{n}\sum_{i=1}^{n} \big(w x_i + b - y_i\big)^2 .$$
#
# Gradient descent repeats three steps:
#
# 1. start from some $(w^0, b^0)$;
# 2. compute the gradient at the current point,
#    $\nabla L = \big(\tfrac{\partial L}{\partial w}, \tfrac{\partial L}{\partial b}\big)$;
# 3. step against it: $w^{t+1} = w^t - \eta\,\tfrac{\partial L}{\partial w}$,
#    $b^{t+1} = b^t - \eta\,\tfrac{\partial L}{\partial b}$.
#
# The **learning rate** $\eta$ decides how far each step goes. This lesson lets
# kissgrad's autograd compute the gradient and shows what happens when $\eta$ is too
# small, about right, and too large.

# %%
import matplotlib.pyplot as plt
import numpy as np

import autograd
from autograd import Tensor, no_grad
from autograd.functional import hessian
from nn.data import DataLoader, TensorDataset

autograd.manual_seed(0)
rng = np.random.default_rng(0)

n = 30
x_data = rng.uniform(0.0, 2.0, n)                              # inputs in [0, 2]
y_data = 3.0 * x_data - 1.0 + rng.normal(0.0, 0.3, n)         # the true line: w = 3, b = -1
x, y = Tensor(x_data), Tensor(y_data)                          # float64 arrays stay float64

w_best, b_best = np.polyfit(x_data, y_data, 1)                 # least squares, for reference
print(f"least-squares line: w = {w_best:.3f}, b = {b_best:.3f}")

plt.figure(figsize=(4.5, 3))
plt.scatter(x_data, y_data, s=15, label="data")
plt.plot([0, 2], [b_best, 2 * w_best + b_best], "k--", label="least squares")
plt.xlabel("x")
plt.ylabel("y")
plt.legend()
plt.title("the training data")
plt.tight_layout()


# %% [markdown]
# ## One gradient, by the engine and by hand
#
# `w` and `b` are Tensors with `requires_grad=True`. Computing the loss records a graph;
# `loss.backward()` walks it backwards and leaves $\partial L/\partial w$ in `w.grad`.
# By hand, with the residual $r_i = w x_i + b - y_i$:
#
# $$\frac{\partial L}{\partial w} = \frac{2}{n}\sum_i r_i x_i, \qquad
#   \frac{\partial L}{\partial b} = \frac{2}{n}\sum_i r_i .$$

# %%
def mse(w, b):
    return ((w * x + b - y) ** 2).mean()

w = Tensor(-1.0, dtype=np.float64, requires_grad=True)
b = Tensor(4.0, dtype=np.float64, requires_grad=True)
loss = mse(w, b)
loss.backward()

r = -1.0 * x_data + 4.0 - y_data
by_hand = (2 * np.mean(r * x_data), 2 * np.mean(r))
print(f"loss {loss.item():.4f}")
print(f"engine : dL/dw = {w.grad.item():.6f}, dL/db = {b.grad.item():.6f}")
print(f"by hand: dL/dw = {by_hand[0]:.6f}, dL/db = {by_hand[1]:.6f}")
assert np.allclose([w.grad.item(), b.grad.item()], by_hand)

# %% [markdown]
# ## How large may the learning rate be?
#
# This loss is a quadratic bowl, so its curvature is the same everywhere: the Hessian
# $H = \frac{2}{n}\begin{pmatrix}\sum x_i^2 & \sum x_i\\ \sum x_i & n\end{pmatrix}$.
# Along an eigenvector of $H$ with eigenvalue $\lambda$, one step multiplies the
# distance to the minimum by $(1 - \eta\lambda)$. Gradient descent therefore converges
# only if $|1 - \eta\lambda| < 1$ for every eigenvalue, that is
#
# $$\eta < \frac{2}{\lambda_{\max}} .$$
#
# `autograd.functional.hessian` computes $H$ by differentiating twice.

# %%
H = hessian(lambda p: mse(p[0], p[1]), Tensor([0.0, 0.0], dtype=np.float64)).numpy()
H_by_hand = 2 * np.array([[np.mean(x_data ** 2), np.mean(x_data)], [np.mean(x_data), 1.0]])
assert np.allclose(H, H_by_hand)

eigenvalues = np.linalg.eigvalsh(H)
eta_max = 2 / eigenvalues.max()
print("Hessian:\n", H.round(3))
print(f"eigenvalues {eigenvalues.round(3)}: learning rates above {eta_max:.3f} diverge")


# %% [markdown]
# ## Too small, about right, too large
#
# The same loop runs three times; only $\eta$ changes. The update happens under
# `no_grad()` (it is not part of the model), and `zero_grad()` clears the gradient,
# which would otherwise accumulate from one `backward()` to the next.

# %%
def descend(lr, steps=60, start=(-1.0, 4.0)):
    """Gradient descent on mse from start; returns the (w, b) path and the losses."""
    w = Tensor(start[0], dtype=np.float64, requires_grad=True)
    b = Tensor(start[1], dtype=np.float64, requires_grad=True)
    path, losses = [start], []
    for _ in range(steps):
        loss = mse(w, b)
        losses.append(loss.item())
        w.zero_grad()
        b.zero_grad()
        loss.backward()
        with no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        path.append((w.item(), b.item()))
    losses.append(mse(w, b).item())
    return np.array(path), np.array(losses)

rates = {"too small": 0.05 * eta_max, "about right": 0.9 * eta_max, "too large": 1.1 * eta_max}
runs = {name: descend(lr) for name, lr in rates.items()}
for name, (path, losses) in runs.items():
    print(f"{name:>11}: lr {rates[name]:.3f}  loss {losses[0]:.3f} -> {losses[-1]:.4g}  "
          f"(w, b) = ({path[-1][0]:.3f}, {path[-1][1]:.3f})")

# %%
best_loss = mse(Tensor(w_best), Tensor(b_best)).item()
small, right, large = (runs[k][1] for k in rates)

# about right: lands on the least-squares solution
assert np.allclose(runs["about right"][0][-1], [w_best, b_best], atol=1e-2)
assert right[-1] < best_loss + 1e-4
# too small: still far from it after the same number of steps
assert small[-1] > best_loss + 10 * (right[-1] - best_loss) and small[-1] > 1.5 * best_loss
# too large: after a few steps that still help along the flat direction,
# the steep direction takes over and every step makes things worse
assert large[-1] > 1000 * large[0] and np.all(np.diff(large[20:]) > 0)

# %% [markdown]
# ## The loss surface and the path taken
#
# The contours of $L(w, b)$ are ellipses, stretched along the direction of small
# curvature. A small $\eta$ crawls down the slope; a good one reaches the bottom in a
# few zig-zags. One above $2/\lambda_{\max}$ still makes progress along the flat
# direction for a few steps (the loss dips), then overshoots further and further along
# the steep one (only its first 25 steps are drawn).
# The surface itself is computed with Tensors too: broadcasting a grid of $(w, b)$
# against the data evaluates every point at once.

# %%
W, B = np.meshgrid(np.linspace(-2, 7, 120), np.linspace(-5, 6, 120))
surface = ((Tensor(W[..., None]) * x + Tensor(B[..., None]) - y) ** 2).mean(dim=-1).numpy()

fig, axes = plt.subplots(1, 4, figsize=(17, 4))
for ax, (name, (path, losses)) in zip(axes, runs.items()):
    ax.contour(W, B, surface, levels=np.geomspace(0.05, 60, 18), cmap="viridis", linewidths=0.8)
    shown = path[:25] if name == "too large" else path
    ax.plot(shown[:, 0], shown[:, 1], "o-", color="crimson", ms=3, lw=1)
    ax.plot(w_best, b_best, "k*", ms=12)
    ax.set(xlim=(-2, 7), ylim=(-5, 6), xlabel="w", ylabel="b",
           title=f"{name}: lr = {rates[name]:.3f}")
for name, (path, losses) in runs.items():
    axes[3].semilogy(losses, label=name)
axes[3].set(xlabel="step", ylabel="loss", title="loss per step")
axes[3].legend()
fig.tight_layout()

# %% [markdown]
# ## Stochastic gradient descent
#
# The full gradient averages over every training example. **Stochastic** (mini-batch)
# gradient descent estimates it from a few examples at a time, so it takes many
# cheap, noisy steps per pass over the data (an *epoch*). `nn.data.DataLoader`
# shuffles the data and hands out the mini-batches. With a constant learning rate
# the path keeps jittering around the minimum instead of settling on it.

# %%
loader = DataLoader(TensorDataset(x_data, y_data), batch_size=5, shuffle=True)
w = Tensor(-1.0, dtype=np.float64, requires_grad=True)
b = Tensor(4.0, dtype=np.float64, requires_grad=True)
sgd_path = [(-1.0, 4.0)]
for epoch in range(15):
    for xb, yb in loader:
        loss = ((w * xb + b - yb) ** 2).mean()       # the loss of this mini-batch only
        w.zero_grad()
        b.zero_grad()
        loss.backward()
        with no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        sgd_path.append((w.item(), b.item()))
sgd_path = np.array(sgd_path)
print(f"{len(loader)} updates per epoch, {len(sgd_path) - 1} in all; "
      f"full-data loss now {mse(w, b).item():.4f} (minimum {best_loss:.4f})")
assert mse(w, b).item() < 1.5 * best_loss

plt.figure(figsize=(5, 4))
plt.contour(W, B, surface, levels=np.geomspace(0.05, 60, 18), cmap="viridis", linewidths=0.8)
plt.plot(sgd_path[:, 0], sgd_path[:, 1], ".-", color="crimson", ms=2, lw=0.6)
plt.plot(w_best, b_best, "k*", ms=12)
plt.xlabel("w")
plt.ylabel("b")
plt.title("mini-batch SGD (batch 5, lr 0.1)")
plt.tight_layout()

# %% [markdown]
# ## What to remember
#
# * The gradient points uphill; gradient descent steps the other way, $\eta$ at a time.
# * $\eta$ too small: slow. $\eta$ too large (here above $2/\lambda_{\max}$): divergence.
# * Mini-batches make each step cheap but noisy.
# * Elongated contours (very different curvatures) force a small $\eta$ for the steep
#   direction and make progress slow along the flat one; lesson 4's optimizers adapt
#   the step per parameter, and lesson 6 rescales the features to make the bowl round.
