# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Vanishing (and exploding) gradients
#
# Lesson 2 ended with the chain rule through a deep network: the gradient that reaches
# the first layer is a product with one factor per layer,
#
# $$\frac{\partial C}{\partial z_1} = \sigma'(z_1)\, w_2\, \sigma'(z_2)\, w_3\, \sigma'(z_3)\,\cdots\,
#   \frac{\partial C}{\partial z_L}.$$
#
# The sigmoid's derivative is at most $\frac14$. Unless the weights make up for it,
# each layer shrinks the gradient, and the first layers of a deep sigmoid network
# hardly learn: the **vanishing gradient problem**, one reason deep networks failed
# in the early days. ReLU's derivative is exactly 1 wherever the unit is active, so
# it passes gradients back unchanged. (If the factors are larger than 1 instead, the
# gradient **explodes**.)
#
# This lesson makes it visible: `nn.viz.gradient_flow` plots each layer's gradient,
# and `autograd.viz.draw_graph` colours the backward graph by the gradient that flowed
# through each node.

# %%
import matplotlib.pyplot as plt
import numpy as np
from lesson_helpers import show_graph  # notebooks/lesson_helpers.py: a drawn graph, shown inline

import autograd
import nn
import nn.functional as F
import optim
from autograd import Tensor
from autograd.viz import draw_graph, record_grads
from kissgrad.train import load_splits
from nn.data import DataLoader, TensorDataset

autograd.manual_seed(0)
np.set_printoptions(precision=3)

# %% [markdown]
# ## The derivatives of sigmoid and ReLU
#
# Autograd gives the derivative of an elementwise function on a whole grid at once:
# the gradient of $\sum_i f(x_i)$ with respect to $x_i$ is $f'(x_i)$.

# %%
grid = np.linspace(-6, 6, 241)
derivatives = {}
functions = [("sigmoid", lambda t: t.sigmoid()), ("ReLU", lambda t: t.relu()),
             ("tanh", lambda t: t.tanh())]
for name, f in functions:
    x = Tensor(grid, requires_grad=True)
    y = f(x)
    y.sum().backward()
    derivatives[name] = (y.numpy(), x.grad.numpy())

d_sigmoid = derivatives["sigmoid"][1]
print(f"largest sigmoid derivative {d_sigmoid.max():.4f} at x = {grid[d_sigmoid.argmax()]:.1f}")
assert np.isclose(d_sigmoid.max(), 0.25) and grid[d_sigmoid.argmax()] == 0.0
assert set(np.unique(derivatives["ReLU"][1])) <= {0.0, 1.0}

fig, axes = plt.subplots(1, 3, figsize=(12, 3))
for ax, (name, (values, grads)) in zip(axes, derivatives.items()):
    ax.plot(grid, values, label=name)
    ax.plot(grid, grads, "--", label="derivative")
    ax.set(title=name, xlabel="x")
    ax.legend()
    ax.grid(alpha=0.3)
fig.tight_layout()

# %% [markdown]
# ## Two deep networks
#
# Both have 8 hidden layers of 32 units on flattened MNIST digits and start from the
# same Xavier (Glorot) initialisation; only the activation differs. One batch of 128
# digits, one backward pass.

# %%
(X_train, y_train), _, _ = load_splits(seed=0)
X_train = X_train.reshape(len(X_train), -1)
xb, yb = Tensor(X_train[:128]), Tensor(y_train[:128])

def deep_mlp(activation, depth=8, width=32, init=nn.init.xavier_normal_):
    layers = [nn.Linear(784, width), activation()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), activation()]
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    for layer in model:
        if isinstance(layer, nn.Linear):
            init(layer.weight)
            nn.init.zeros_(layer.bias)
    return model

models, losses = {}, {}
for name, activation in [("sigmoid", nn.Sigmoid), ("ReLU", nn.ReLU)]:
    autograd.manual_seed(0)
    models[name] = deep_mlp(activation)
    losses[name] = F.cross_entropy(models[name](xb), yb)
    with record_grads():                      # keep per-node gradient statistics for the drawing
        losses[name].backward()

def weight_grad_norms(model):
    return np.array([np.linalg.norm(p.grad.numpy()) for name, p in model.named_parameters()
                     if name.endswith("weight")])

norms = {name: weight_grad_norms(model) for name, model in models.items()}
print("layer   |dL/dW| sigmoid   |dL/dW| ReLU")
for i, (s, r) in enumerate(zip(norms["sigmoid"], norms["ReLU"])):
    print(f"{i + 1:>5}   {s:14.2e}   {r:12.2e}")
for name, n in norms.items():
    print(f"{name}: first layer / last layer = {n[0] / n[-1]:.1e}")

# %%
assert norms["sigmoid"][0] / norms["sigmoid"][-1] < 1e-3     # vanished: thousands of times smaller
assert norms["ReLU"][0] / norms["ReLU"][-1] > 0.1            # about the same size all the way down

# %% [markdown]
# Where does the factor of about 4 per sigmoid layer come from? Each hidden layer
# multiplies the backward signal by $\sigma'(z)$ at its units, and the average
# $\sigma'(z) = a(1-a)$ over the batch is close to its maximum of $\frac14$:

# %%
h, mean_derivative = xb, []
for layer in models["sigmoid"]:
    h = layer(h)
    if isinstance(layer, nn.Sigmoid):
        a = h.numpy()
        mean_derivative.append((a * (1 - a)).mean())
print("mean sigmoid'(z) per hidden layer:", np.array(mean_derivative))
assert max(mean_derivative) <= 0.25

# %% [markdown]
# ## Gradient flow
#
# `nn.viz.gradient_flow(model)` draws each parameter's mean and largest absolute
# gradient on a log scale, input side on the left. The sigmoid network's bars fall by
# orders of magnitude towards the input; the ReLU network's stay level.

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 4.5), sharey=True)
for ax, (name, model) in zip(axes, models.items()):
    nn.viz.gradient_flow(model, ax=ax)
    ax.set_title(f"gradient flow: {name}")
fig.tight_layout()

# %% [markdown]
# ## The coloured backward graph
#
# The backward passes above ran inside `autograd.viz.record_grads()`, which keeps the
# norm of the gradient that reached every node (never the arrays). `draw_graph(loss,
# model=model)` colours every node and edge by it on a fixed log scale, from indigo
# and blue (1e-10, 1e-8: vanishing) through green and yellow (1e-2, 1: healthy) to red
# (exploding), and boxes each layer's operations under its parameter names. Read the
# sigmoid network from the loss at the bottom up to the first layer at the top:
# yellow turns green, then cyan, about $10^4$ times smaller.

# %%
show_graph(draw_graph(losses["sigmoid"], model=models["sigmoid"], rankdir="TB"))

# %% [markdown]
# The ReLU network's graph stays the same colour from end to end:

# %%
show_graph(draw_graph(losses["ReLU"], model=models["ReLU"], rankdir="TB"))


# %% [markdown]
# ## Exploding gradients
#
# The weights are the other factor in the product. The same ReLU network initialised
# with weights three times too large multiplies the signal by about 2 per layer, in
# the forward pass (the activations grow) and in the backward pass (the gradients
# grow towards the input). A weight's gradient is the product of the two, so every
# layer's is enormous: red in the graph, and an SGD step would throw the weights far
# away.

# %%
def too_large(weight):
    return nn.init.normal_(weight, 0.0, 3.0 * np.sqrt(2.0 / weight.shape[1]))

autograd.manual_seed(0)
exploding = deep_mlp(nn.ReLU, init=too_large)
loss = F.cross_entropy(exploding(xb), yb)
with record_grads():
    loss.backward()
n = weight_grad_norms(exploding)
print("per-layer |dL/dW|:", n)
assert n.min() > 1e4 * norms["ReLU"].max()      # every layer: ten thousand times the healthy size

ax, _ = nn.viz.gradient_flow(exploding)
ax.set_title("gradient flow: ReLU with too-large initial weights")
ax.figure.tight_layout()

# %%
show_graph(draw_graph(loss, model=exploding, rankdir="TB"))

# %% [markdown]
# ## What it does to training
#
# Three epochs on 2,000 digits with SGD + momentum; `nn.viz.GradientRecorder` records
# every parameter's gradient norm at every step. The sigmoid network's loss barely
# moves from $\ln 10 \approx 2.30$ (guessing) while the ReLU network learns.

# %%
loader = DataLoader(TensorDataset(X_train[:2000], y_train[:2000]), batch_size=64, shuffle=True)
history, recorders = {}, {}
for name, activation in [("sigmoid", nn.Sigmoid), ("ReLU", nn.ReLU)]:
    autograd.manual_seed(0)
    model = deep_mlp(activation)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    recorders[name], history[name] = nn.viz.GradientRecorder(), []
    for epoch in range(3):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            recorders[name].record(model)
            optimizer.step()
            history[name].append(loss.item())
    print(f"{name:>7}: loss {np.mean(history[name][:10]):.3f} -> {np.mean(history[name][-10:]):.3f}")

assert np.mean(history["sigmoid"][-10:]) > 2.2          # stuck near ln 10
assert np.mean(history["ReLU"][-10:]) < 1.5             # learning

plt.figure(figsize=(6, 3.5))
for name, values in history.items():
    plt.plot(values, label=name)
plt.xlabel("step")
plt.ylabel("training loss")
plt.legend()
plt.title("8 hidden layers, same initialisation")
plt.tight_layout()

# %% [markdown]
# The recorder's plot: each parameter's gradient norm per step, as lines and as a
# heatmap (its colour scale runs from the smallest to the largest norm recorded). In
# the sigmoid network the first layers get gradients thousands of times smaller than
# the last at every step of training, not just at the start; in the ReLU network all
# layers stay within a factor of a few.

# %%
for name, recorder in recorders.items():
    figure = recorder.plot()
    figure.suptitle(f"{name} network: gradient norms over training", y=1.01)

# %% [markdown]
# ## What to remember
#
# * Backpropagated gradients are products of one factor per layer: activation
#   derivative times weights.
# * Sigmoid's derivative is at most $\frac14$: deep sigmoid networks lose their
#   gradient on the way back, and their first layers stop learning.
# * ReLU's derivative is 1 where active, so the gradient keeps its size (with a suitable
#   initialisation: Xavier/He, `nn.init`). Too-large weights make it explode instead.
# * Seeing it: `nn.viz.gradient_flow`, `nn.viz.GradientRecorder`, and
#   `draw_graph(loss, model=model)` after a backward inside `record_grads()`.
