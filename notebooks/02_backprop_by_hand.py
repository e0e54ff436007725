# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Backpropagation by hand
#
# A neural network is a chain of simple functions. Backpropagation is the chain rule
# applied to that chain, from the loss back to every weight, computing each
# intermediate result only once. This lesson does it by hand on small networks, with every number
# printed, and checks each result against kissgrad's engine.
#
# Notation (as in the lecture): $w^l_{jk}$ is the weight of layer $l$ from input $k$
# to neuron $j$; neuron $j$ of layer $l$ computes $z^l_j = \sum_k w^l_{jk} a^{l-1}_k$
# and outputs $a^l_j = \sigma(z^l_j)$ with the sigmoid
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = \sigma(z)\,\big(1 - \sigma(z)\big).$$
#
# The weight layout $w_{jk}$ (output, input) is also `nn.Linear.weight`'s.

# %%
import numpy as np
from lesson_helpers import show_graph  # notebooks/lesson_helpers.py: a drawn graph, shown inline

import autograd
import nn
from autograd import Tensor, Value, no_grad
from autograd.viz import draw_graph

autograd.manual_seed(0)

# %% [markdown]
# ## One neuron: the NAND gate
#
# A neuron with weights $w_1, w_2$, bias $b$ and a threshold outputs 1 when
# $x_1 w_1 + x_2 w_2 + b > 0$. With $w_1 = w_2 = -2$, $b = 3$ it computes NAND:

# %%
rows = [(0, 0), (0, 1), (1, 0), (1, 1)]
nand = [1, 1, 1, 0]

def threshold_neuron(x1, x2, w1=-2.0, w2=-2.0, b=3.0):
    return int(x1 * w1 + x2 * w2 + b > 0)

for (x1, x2), target in zip(rows, nand):
    print(f"x = ({x1}, {x2}) -> {threshold_neuron(x1, x2)}   NAND: {target}")
assert [threshold_neuron(*r) for r in rows] == nand

# %% [markdown]
# A threshold is flat everywhere except at the jump, so its derivative is 0 (or
# undefined): it gives gradient descent nothing to follow. Replacing it by the sigmoid
# makes the neuron differentiable, and then the weights can be **learned**. With one
# neuron $a = \sigma(z)$, $z = w_1 x_1 + w_2 x_2 + b$ and the loss $L = \frac12 (a - y)^2$,
# the chain rule gives
#
# $$\frac{\partial L}{\partial w_1} = \underbrace{(a - y)}_{\partial L/\partial a}\;
#   \underbrace{\sigma'(z)}_{\partial a/\partial z}\; \underbrace{x_1}_{\partial z/\partial w_1}.$$
#
# `Value` is kissgrad's scalar node (micrograd-style): every number remembers how it
# was computed, and `backward()` fills in `.grad` for each one.

# %%
w1, w2, b = Value(0.0), Value(0.0), Value(0.0)        # start knowing nothing
for step in range(500):
    loss = sum(((w1 * x1 + w2 * x2 + b).sigmoid() - y) ** 2 for (x1, x2), y in zip(rows, nand)) * 0.5
    w1.grad = w2.grad = b.grad = 0.0
    loss.backward()
    for p in (w1, w2, b):
        p.data -= 2.0 * p.grad                       # gradient descent, learning rate 2
    if step in (0, 499):
        print(f"step {step}: loss {loss.data:.4f}")

learned = [(w1 * x1 + w2 * x2 + b).sigmoid().data for x1, x2 in rows]
print(f"w1 = {w1.data:.2f}, w2 = {w2.data:.2f}, b = {b.data:.2f}")
print("outputs:", np.round(learned, 3))
assert [int(a > 0.5) for a in learned] == nand

# %% [markdown]
# ## A forward pass through a network
#
# Stacking neurons gives a network $f(x) = \sigma\big(W^3 \sigma(W^2 \sigma(W^1 x + b^1) + b^2) + b^3\big)$.
# With the weights of the lecture's example, $f\big((1, -1)\big) = (0.62, 0.83)$ and
# $f\big((0, 0)\big) = (0.51, 0.85)$. The same network in `nn`, with the weights loaded as
# a state dict:

# %%
lecture_net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid(),
                            nn.Linear(2, 2), nn.Sigmoid())
lecture_net.load_state_dict({
    "0.weight": np.array([[1.0, -2.0], [-1.0, 1.0]]), "0.bias": np.array([1.0, 0.0]),
    "2.weight": np.array([[2.0, -1.0], [-2.0, -1.0]]), "2.bias": np.array([0.0, 0.0]),
    "4.weight": np.array([[3.0, -1.0], [-1.0, 4.0]]), "4.bias": np.array([-2.0, 2.0]),
})
out = lecture_net(Tensor([[1.0, -1.0], [0.0, 0.0]])).numpy()
print(out.round(2))
assert np.allclose(out.round(2), [[0.62, 0.83], [0.51, 0.85]])

# %% [markdown]
# ## A 2-2-1 network, by hand
#
# Two inputs, two sigmoid hidden neurons, one sigmoid output, no biases (they would
# not change the derivation), and the loss $L = \frac12(\hat y - y)^2$:
#
# $$z^1_j = w^1_{j1} x_1 + w^1_{j2} x_2,\quad a^1_j = \sigma(z^1_j),\qquad
#   z^2 = w^2_{11} a^1_1 + w^2_{12} a^1_2,\quad \hat y = \sigma(z^2).$$
#
# First the forward pass, number by number, with `Value`s:

# %%
x1, x2, y = Value(1.0, requires_grad=False), Value(0.5, requires_grad=False), 1.0
w1_11, w1_12, w1_21, w1_22 = Value(0.5), Value(-0.4), Value(0.3), Value(0.8)
w2_11, w2_12 = Value(0.9), Value(-0.6)

z1_1 = w1_11 * x1 + w1_12 * x2
z1_2 = w1_21 * x1 + w1_22 * x2
a1_1, a1_2 = z1_1.sigmoid(), z1_2.sigmoid()
z2 = w2_11 * a1_1 + w2_12 * a1_2
y_hat = z2.sigmoid()
L = 0.5 * (y_hat - y) ** 2

for name, v in [("z1_1", z1_1), ("z1_2", z1_2), ("a1_1", a1_1), ("a1_2", a1_2),
                ("z2", z2), ("y_hat", y_hat), ("L", L)]:
    print(f"{name:>6} = {v.data:.6f}")

# %% [markdown]
# Now $\partial L / \partial w^1_{11}$. The weight reaches the loss along one path,
# $w^1_{11} \to z^1_1 \to a^1_1 \to z^2 \to \hat y \to L$, so the chain rule multiplies
# one local derivative per link:
#
# $$\frac{\partial L}{\partial w^1_{11}} =
#   \underbrace{(\hat y - y)}_{\partial L/\partial \hat y}\;
#   \underbrace{\hat y (1 - \hat y)}_{\partial \hat y/\partial z^2}\;
#   \underbrace{w^2_{11}}_{\partial z^2/\partial a^1_1}\;
#   \underbrace{a^1_1 (1 - a^1_1)}_{\partial a^1_1/\partial z^1_1}\;
#   \underbrace{x_1}_{\partial z^1_1/\partial w^1_{11}} .$$

# %%
dL_dyhat = y_hat.data - y
dyhat_dz2 = y_hat.data * (1 - y_hat.data)
dz2_da1 = w2_11.data
da1_dz1 = a1_1.data * (1 - a1_1.data)
dz1_dw = x1.data

steps = [("dL/dy_hat = y_hat - y", dL_dyhat), ("dy_hat/dz2 = y_hat (1 - y_hat)", dyhat_dz2),
         ("dz2/da1_1 = w2_11", dz2_da1), ("da1_1/dz1_1 = a1_1 (1 - a1_1)", da1_dz1),
         ("dz1_1/dw1_11 = x1", dz1_dw)]
by_hand, running = 1.0, []
for text, factor in steps:
    by_hand *= factor
    print(f"{text:<32} = {factor:+.6f}    product so far {by_hand:+.8f}")

with autograd.viz.record_grads():     # also keep every intermediate gradient, for the drawing
    L.backward()
print(f"\nby hand: dL/dw1_11 = {by_hand:+.10f}")
print(f"engine : dL/dw1_11 = {w1_11.grad:+.10f}")
assert abs(w1_11.grad - by_hand) < 1e-12

# %% [markdown]
# The engine did exactly this, for every weight at once: after `L.backward()` each
# weight holds $\partial L / \partial w$ in `.grad`. Run inside
# `autograd.viz.record_grads()`, backward also records the gradient that reached every
# intermediate node, and `autograd.viz.draw_graph` shows them all: each box is a number
# with its data and its gradient $\partial L/\partial(\text{box})$ (bold boxes are the
# weights, dashed ones the inputs, the double border the loss), each ellipse an
# operation. Follow the path from $w^1_{11}$ to $L$: the gradients on it are the
# running products printed above, read from right to left. Colours encode the size of
# the gradient on a log scale (legend at the top).

# %%
show_graph(draw_graph(L))

# %% [markdown]
# ## All the weights at once: the backward pass
#
# Backpropagation organises the same products so that nothing is computed twice.
# Write $\delta = \partial L / \partial z$ for each neuron's input. Then, going backwards,
#
# $$\delta^2 = (\hat y - y)\,\sigma'(z^2), \qquad
#   \delta^1_j = \sigma'(z^1_j)\; w^2_{1j}\, \delta^2, \qquad
#   \frac{\partial L}{\partial w^l_{jk}} = \delta^l_j\, a^{l-1}_k .$$
#
# In matrix form $\delta^1 = \sigma'(z^1) \odot (W^{2\top} \delta^2)$ and
# $\partial L/\partial W^l = \delta^l\, (a^{l-1})^\top$. Below, the same network built
# from `nn.Linear` layers (in float64) is checked against these formulas.

# %%
net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Sigmoid(),
                    nn.Linear(2, 1, bias=False), nn.Sigmoid()).double()
net.load_state_dict({"0.weight": np.array([[0.5, -0.4], [0.3, 0.8]]),
                     "2.weight": np.array([[0.9, -0.6]])})
x = np.array([1.0, 0.5])
loss = 0.5 * ((net(Tensor(x[None, :])) - 1.0) ** 2).sum()
loss.backward()

# the backward pass by hand, in NumPy
def sigmoid(z):
    return 1 / (1 + np.exp(-z))

W1, W2 = net[0].weight.numpy(), net[2].weight.numpy()
z1 = W1 @ x
a1 = sigmoid(z1)
z2 = W2 @ a1
out = sigmoid(z2)
delta2 = (out - 1.0) * out * (1 - out)
delta1 = a1 * (1 - a1) * (W2.T @ delta2)
dW2, dW1 = np.outer(delta2, a1), np.outer(delta1, x)

print("dL/dW1 by hand:\n", dW1, "\ndL/dW1 engine:\n", net[0].weight.grad.numpy())
print("dL/dW2 by hand:", dW2, "  engine:", net[2].weight.grad.numpy())
assert np.allclose(net[0].weight.grad.numpy(), dW1) and np.allclose(net[2].weight.grad.numpy(), dW2)
assert np.isclose(dW1[0, 0], by_hand)        # the same number as the step-by-step chain

# %% [markdown]
# With `model=net`, `draw_graph` names the parameters as `named_parameters()` does and
# groups each layer's operations into a box. A Tensor node shows its shape and dtype
# and the size of its gradient.

# %%
show_graph(draw_graph(loss, model=net))

# %% [markdown]
# ## One layer deeper: a sum over paths
#
# The lecture's network has two hidden layers (2-2-2-1) and a linear output
# $\hat y = z^3$. Now $w^1_{11}$ reaches the output through **both** neurons of layer 2,
# and the chain rule adds the two paths:
#
# $$\frac{\partial L}{\partial w^1_{11}} = (\hat y - y)
#   \Big[\sum_{i=1}^{2} w^3_{1i}\, \sigma'(z^2_i)\, w^2_{i1}\Big]\, \sigma'(z^1_1)\, x_1 .$$
#
# Each factor has a source: $(\hat y - y)$ comes from the loss, the $w$'s from the
# initialisation, and the $\sigma'$'s from the activation function. Since
# $\sigma'(z) \le \frac14$, every sigmoid layer shrinks the gradient by at least 4:
# lesson 5 shows where that leads.

# %%
deep = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Sigmoid(), nn.Linear(2, 2, bias=False),
                     nn.Sigmoid(), nn.Linear(2, 1, bias=False)).double()
deep.load_state_dict({"0.weight": np.array([[0.5, -0.4], [0.3, 0.8]]),
                      "2.weight": np.array([[0.7, -0.2], [-0.5, 0.6]]),
                      "4.weight": np.array([[1.1, -0.9]])})
loss = 0.5 * ((deep(Tensor(x[None, :])) - 1.0) ** 2).sum()
loss.backward()

W1, W2, W3 = (deep[i].weight.numpy() for i in (0, 2, 4))
z1 = W1 @ x
a1 = sigmoid(z1)
z2 = W2 @ a1
a2 = sigmoid(z2)
y_hat = (W3 @ a2)[0]

def d_sigma(z):
    return sigmoid(z) * (1 - sigmoid(z))

paths = [W3[0, i] * d_sigma(z2[i]) * W2[i, 0] for i in range(2)]
formula = (y_hat - 1.0) * sum(paths) * d_sigma(z1[0]) * x[0]
print(f"path through a2_1: {paths[0]:+.6f}, through a2_2: {paths[1]:+.6f}")
print(f"formula: {formula:+.10f}   engine: {deep[0].weight.grad.numpy()[0, 0]:+.10f}")
assert np.isclose(deep[0].weight.grad.numpy()[0, 0], formula, rtol=1e-12, atol=0)

# %% [markdown]
# ## And then a step downhill
#
# The gradient tells every weight which way to move. One gradient-descent step with
# a small learning rate lowers the loss, as it must:

# %%
before = loss.item()
with no_grad():
    for p in deep.parameters():
        p -= 0.5 * p.grad
after = (0.5 * ((deep(Tensor(x[None, :])) - 1.0) ** 2).sum()).item()
print(f"loss {before:.6f} -> {after:.6f}")
assert after < before

# %% [markdown]
# ## What to remember
#
# * The chain rule multiplies local derivatives along a path, and adds over paths.
# * Backpropagation computes $\delta = \partial L/\partial z$ layer by layer from the
#   output, then every weight's gradient is $\delta \times$ (the input it multiplies).
# * Each sigmoid contributes a factor $\sigma'(z) \le \frac14$.
