# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 9. Recurrent nets: RNN, LSTM, and gradients through time
#
# A recurrent net reads a sequence one step at a time and carries a hidden state
# $h_t = \tanh(W_{ih} x_t + W_{hh} h_{t-1} + b)$ from step to step. Unrolled, it is a very
# deep network with the same weights at every layer, so lesson 5's problem returns along
# the time axis: the gradient that reaches step $t$ from a loss at step $T$ is a product of
# $T - t$ Jacobians $\operatorname{diag}(\tanh'(\cdot))\, W_{hh}$. It **vanishes** when they
# shrink vectors and **explodes** when they stretch them.
#
# The task: a sequence of $T = 40$ numbers; the first is $+1$ or $-1$, the rest are noise.
# After the last step, say which sign came first. The answer depends only on step 1, so
# the gradient must travel all 40 steps back to teach the net to remember it.

# %%
import matplotlib.pyplot as plt
import numpy as np

import kissgrad as kg
from autograd.viz import colour_of

F = kg.nn.functional

T, BATCH, HIDDEN = 40, 32, 16
rng = np.random.default_rng(0)


def sequences(batch, steps=T):
    """(x, y): x (steps, batch, 1) noise with a sign at step 1; y the sign as class 0/1."""
    x = rng.standard_normal((steps, batch, 1)).astype(np.float32)
    x[0] = rng.choice([-1.0, 1.0], size=(batch, 1))
    return kg.tensor(x), kg.tensor((x[0, :, 0] > 0).astype(np.int64))


class Reader(kg.nn.Module):
    """An RNN or LSTM over the sequence, then a linear layer on its last output."""

    def __init__(self, kind, forget_bias=None):
        super().__init__()
        self.rnn = kg.nn.LSTM(1, HIDDEN) if kind == "lstm" else kg.nn.RNN(1, HIDDEN)
        if forget_bias is not None:  # PyTorch's gate order in the bias: input, forget, cell, output
            bias = self.rnn.bias_ih_l0.numpy().copy()
            bias[HIDDEN:2 * HIDDEN] = forget_bias
            self.rnn.bias_ih_l0.data = kg.tensor(bias)
        self.head = kg.nn.Linear(HIDDEN, 2)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])

# %% [markdown]
# ## The gradient at each time step
#
# Give the input a gradient (`requires_grad_`), backpropagate the loss of one batch, and
# read $\lVert \partial L / \partial x_t \rVert$ for every step $t$: how much the loss
# still hears of what came in at step $t$. Three fresh nets: a tanh RNN, an LSTM as
# PyTorch initialises it, and an LSTM whose forget gates start open (bias 3, explained
# below).

# %%
MODELS = {"RNN": ("rnn", None), "LSTM": ("lstm", None), "LSTM, forget bias 3": ("lstm", 3.0)}


def per_step_gradient(model, x, y):
    x = x.detach().requires_grad_()
    F.cross_entropy(model(x), y).backward()
    return np.linalg.norm(x.grad.numpy()[:, :, 0], axis=1)


x, y = sequences(BATCH)
models, through_time = {}, {}
for name, (kind, forget_bias) in MODELS.items():
    kg.manual_seed(0)
    models[name] = Reader(kind, forget_bias)
    through_time[name] = per_step_gradient(models[name], x, y)
    ratio = through_time[name][0] / through_time[name][-1]
    print(f"{name:20s} |dL/dx_1| / |dL/dx_T| = {ratio:.1e}")

# %%
ratios = {name: g[0] / g[-1] for name, g in through_time.items()}
assert ratios["RNN"] < 1e-6                 # step 1 is all but unheard by the RNN
assert ratios["LSTM"] < 1e-4                # a closed-ish forget gate (0.5) forgets too
assert ratios["LSTM, forget bias 3"] > 1e-2  # the open cell path carries it back

fig, (ax, strip) = plt.subplots(2, 1, figsize=(10, 5.5), gridspec_kw={"height_ratios": [3, 1.3]})
for name, g in through_time.items():
    ax.semilogy(np.arange(1, T + 1), g, marker=".", label=name)
ax.set(xlabel="time step t", ylabel="|dL/dx_t|", title="the gradient reaching each time step")
ax.legend()
ax.grid(alpha=0.3)
for row, (name, g) in enumerate(through_time.items()):  # the shared gradient colour scale
    strip.bar(np.arange(1, T + 1), 0.9, bottom=row, color=[colour_of(v) for v in g], width=1.0)
strip.set(yticks=np.arange(3) + 0.45, yticklabels=list(through_time), xlabel="time step t",
          title="the same norms on kissgrad's gradient scale (blue: vanishing, yellow: healthy)")
fig.tight_layout()

# %% [markdown]
# ## Why the LSTM's cell path helps
#
# An LSTM keeps a second state, the cell $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, where
# the forget gate $f_t = \sigma(\cdot)$ lies in (0, 1). Along the cell path
# $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$: no squashing derivative
# and no weight matrix, just the forget gate. With a bias of 0, $f \approx \sigma(0) =
# 0.5$ and $0.5^{40} \approx 10^{-12}$; a bias of 3 makes $f \approx \sigma(3) = 0.95$ and
# $0.95^{40} \approx 0.13$, which is why many libraries start the forget bias at 1 or
# more. Measure the gates on the batch:

# %%
def mean_forget_gate(lstm, x):
    """The forget gate's mean over the batch, the units and the time steps."""
    h = kg.zeros(x.shape[1], HIDDEN)
    c = kg.zeros(x.shape[1], HIDDEN)
    gates_seen = []
    with kg.no_grad():
        for t in range(x.shape[0]):
            gates = x[t] @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + h @ lstm.weight_hh_l0.T + lstm.bias_hh_l0
            i, f, g, o = (gates[:, k * HIDDEN:(k + 1) * HIDDEN] for k in range(4))
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
            gates_seen.append(f.sigmoid().numpy().mean())
    return float(np.mean(gates_seen))


forget = {name: mean_forget_gate(models[name].rnn, x) for name in ("LSTM", "LSTM, forget bias 3")}
for name, f in forget.items():
    print(f"{name:20s} mean forget gate {f:.3f}, f ** {T - 1} = {f ** (T - 1):.1e}")
assert abs(forget["LSTM"] - 0.5) < 0.1 and forget["LSTM, forget bias 3"] > 0.9

# %% [markdown]
# ## Does it learn?
#
# 150 Adam steps each on fresh batches, then the accuracy on 512 new sequences. Guessing
# scores 50%.

# %%
curves, accuracy = {}, {}
for name, (kind, forget_bias) in MODELS.items():
    kg.manual_seed(0)
    model = Reader(kind, forget_bias)
    optimizer = kg.optim.Adam(model.parameters(), lr=0.01)
    curves[name] = []
    for step in range(150):
        xb, yb = sequences(BATCH)
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curves[name].append(loss.item())
    xt, yt = sequences(512)
    with kg.no_grad():
        accuracy[name] = float((model(xt).numpy().argmax(1) == yt.numpy()).mean())
    print(f"{name:20s} test accuracy {accuracy[name]:.1%}")

assert accuracy["LSTM, forget bias 3"] > 0.75
assert accuracy["RNN"] < 0.65 and accuracy["LSTM"] < 0.65  # no better than a coin, or barely

fig, ax = plt.subplots(figsize=(8, 3.5))
for name, curve in curves.items():
    ax.plot(np.convolve(curve, np.ones(10) / 10, mode="valid"), label=f"{name} ({accuracy[name]:.0%})")
ax.set(xlabel="step", ylabel="training loss (10-step mean)", title="remembering step 1 of 40")
ax.legend()
ax.grid(alpha=0.3)

# %% [markdown]
# ## Exploding gradients and clipping
#
# The opposite case: make the recurrent weights large (here 4x PyTorch's initial ones).
# Going back through time, each step now stretches the gradient, and the norm grows by
# orders of magnitude towards step 1. One such step of SGD can throw the weights far
# away. **Gradient clipping** rescales the whole gradient when its norm exceeds a
# limit: `kg.nn.utils.clip_grad_norm_(params, max_norm)` returns the norm it found and
# leaves the direction unchanged.

# %%
kg.manual_seed(0)
wild = Reader("rnn")
wild.rnn.weight_hh_l0.data = wild.rnn.weight_hh_l0.data * 4.0
exploding = per_step_gradient(wild, x, y)
print(f"|dL/dx_1| / |dL/dx_T| = {exploding[0] / exploding[-1]:.1e}")
assert exploding[0] / exploding[-1] > 10  # it grows going back in time

params = list(wild.parameters())
before = np.concatenate([p.grad.numpy().ravel() for p in params])
found = float(kg.nn.utils.clip_grad_norm_(params, max_norm=1.0))
after = np.concatenate([p.grad.numpy().ravel() for p in params])
print(f"gradient norm {found:.3g} before clipping, {np.linalg.norm(after):.3g} after")
assert np.isclose(found, np.linalg.norm(before), rtol=1e-4)
assert np.isclose(np.linalg.norm(after), 1.0, rtol=1e-4)
assert np.isclose(before @ after / (np.linalg.norm(before) * np.linalg.norm(after)), 1.0)  # same direction

fig, ax = plt.subplots(figsize=(8, 3))
ax.semilogy(np.arange(1, T + 1), exploding, marker=".", color=colour_of(1e4))
ax.set(xlabel="time step t", ylabel="|dL/dx_t|", title="an RNN with 4x recurrent weights: exploding")
ax.grid(alpha=0.3)

# %% [markdown]
# ## What to remember
#
# - Backpropagation through time multiplies one Jacobian per step: the gradient reaching
#   early steps vanishes or explodes, as it does through the layers of a deep network.
# - The LSTM's cell is updated by addition, scaled only by the forget gate; with the gate
#   near 1 the gradient reaches step 1 and the net can learn a 40-step dependency that a
#   plain RNN (and an LSTM with half-closed gates) cannot learn in the same time.
# - Against exploding gradients, clip the gradient's norm before the optimizer's step.
