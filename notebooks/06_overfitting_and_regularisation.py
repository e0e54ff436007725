# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Overfitting and regularisation
#
# A model is trained on one set of examples but used on new ones. It **underfits**
# when it cannot even fit the training data (high training error: high bias), and
# **overfits** when it fits the training data much better than new data (low
# training error, much higher validation error: high variance).
#
# | | underfitting | about right | overfitting |
# |---|---|---|---|
# | training error | high | low | very low |
# | validation error | close to training | slightly higher | much higher |
# | remedy | bigger model, train longer | | more data, regularisation |
#
# This lesson sets up the data properly (train / validation / test split, feature
# scaling), makes an over-parameterised network overfit a small training set, and
# then tries the standard remedies: **early stopping**, **L2** and **L1**
# regularisation, and **dropout**.

# %%
import copy

import matplotlib.pyplot as plt
import numpy as np

import autograd
import nn
import nn.functional as F
import optim
from autograd import Tensor, no_grad
from autograd.functional import hessian
from nn.data import DataLoader, Standardizer, TensorDataset, train_val_test_split

autograd.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Feature scaling first
#
# Features on very different scales make the loss surface a long, thin valley: for a
# linear model $y = b + w_1 x_1 + w_2 x_2$ with $x_1 \in [0, 1]$ and $x_2 \in [0, 100]$,
# the loss is $10^4$ times more curved along $w_2$ than along $w_1$, and gradient
# descent must take tiny steps (lesson 1: $\eta < 2/\lambda_{\max}$). **Standardising**
# each feature, $x_i \leftarrow (x_i - m_i)/\sigma_i$ with the mean $m_i$ and standard
# deviation $\sigma_i$ **of the training set**, makes every feature mean 0 and variance 1
# and the bowl round. `nn.data.Standardizer` does it: `fit` on the training data only,
# then `transform` every split with the same statistics.

# %%
rng = np.random.default_rng(0)
X_raw = np.column_stack([rng.uniform(0, 1, 200), rng.uniform(0, 100, 200)])
target = 2.0 * X_raw[:, 0] + 0.03 * X_raw[:, 1] + 1.0 + rng.normal(0, 0.1, 200)

def regression_loss(X):
    X, t = Tensor(X), Tensor(target)
    return lambda p: (((X @ p[:2]) + p[2] - t) ** 2).mean()     # p = (w1, w2, b)

def gradient_descent(loss_fn, lr, steps):
    p = Tensor(np.zeros(3), requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = loss_fn(p)
        losses.append(loss.item())
        p.zero_grad()
        loss.backward()
        with no_grad():
            p -= lr * p.grad
    return np.array(losses)

X_scaled = Standardizer().fit_transform(X_raw)
print("scaled features: mean", X_scaled.mean(axis=0), " std", X_scaled.std(axis=0))
results = {}
for name, X in [("raw", X_raw), ("standardised", X_scaled)]:
    loss_fn = regression_loss(X)
    eigenvalues = np.linalg.eigvalsh(hessian(loss_fn, np.zeros(3)).numpy())
    losses = gradient_descent(loss_fn, lr=1.0 / eigenvalues.max(), steps=300)
    best = np.linalg.lstsq(np.column_stack([X, np.ones(200)]), target, rcond=None)[1][0] / 200
    results[name] = losses
    steps_needed = np.argmax(losses < best + 1e-3) if (losses < best + 1e-3).any() else None
    print(f"{name:>12}: curvature ratio {eigenvalues.max() / eigenvalues.min():9.0f}, "
          f"loss after 300 steps {losses[-1]:.4f} (best {best:.4f}), "
          f"steps to within 1e-3: {steps_needed}")
assert results["standardised"][-1] < best + 1e-6 and results["raw"][-1] > best + 0.01

# %% [markdown]
# ## Three splits of the data
#
# * the **training set** fits the weights;
# * the **validation set** (dev set) compares models and settings and decides when to
#   stop: everything we tune is tuned on it;
# * the **test set** is used once, at the very end, to report how the chosen model does on
#   data nothing was tuned on. Tuning on it would make that number optimistic.
#
# `nn.data.train_val_test_split` shuffles and splits. To make overfitting easy to see,
# the network below gets only 200 training digits.

# %%
images, labels = nn.datasets.mnist_sample()
X = images.reshape(len(images), -1).astype(np.float32) / 255.0
(X_train, y_train), (X_val, y_val), (X_test, y_test) = train_val_test_split(
    X, labels, val_size=500, test_size=1000, seed=0)
X_train, y_train = X_train[:200], y_train[:200]          # a deliberately small training set

# one mean and std over all training pixels (per-pixel statistics would blow up the
# nearly always blank border pixels), fitted on the training split only
scaler = Standardizer().fit(X_train.reshape(-1, 1))
X_train, X_val, X_test = (scaler.transform(A.reshape(-1, 1)).reshape(A.shape)
                          for A in (X_train, X_val, X_test))
print(f"train {X_train.shape}, validation {X_val.shape}, test {X_test.shape}")


# %% [markdown]
# ## An over-parameterised network overfits
#
# A 784-256-256-10 MLP has about 270,000 weights for 200 examples: enough to memorise
# them. It trains for 100 epochs with Adam; after every epoch the loss and accuracy on
# the training and validation sets are recorded (in `eval()` mode, without gradients).

# %%
def mlp(dropout=0.0):
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(256, 256), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(256, 10))

def evaluate(model, X, y):
    model.eval()
    with no_grad():
        logits = model(Tensor(X))
        loss = F.cross_entropy(logits, Tensor(y)).item()
    model.train()
    return loss, float((logits.numpy().argmax(axis=1) == y).mean())

def weights_of(model):
    return [p for name, p in model.named_parameters() if name.endswith("weight")]

def fit(dropout=0.0, weight_decay=0.0, penalty=None, strength=0.0, epochs=100, patience=None):
    """Train a fresh MLP; returns (model, history). With patience: early stopping."""
    autograd.manual_seed(0)                             # same initial weights, same batches
    model = mlp(dropout)
    optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=50, shuffle=True)
    history, best, best_state, waited = [], np.inf, None, 0
    for epoch in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            if penalty is not None:
                loss = loss + strength * penalty(weights_of(model))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        history.append(evaluate(model, X_train, y_train) + evaluate(model, X_val, y_val))
        if patience is not None:
            val_loss = history[-1][2]
            if val_loss < best:
                best, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
                if waited >= patience:
                    break
    if best_state is not None:
        model.load_state_dict(best_state)               # early stopping: go back to the best epoch
    return model, np.array(history)   # columns: train loss, train acc, val loss, val acc

model, history = fit()
runs = {"no regularisation": (model, history)}
n_params = sum(p.numel() for p in model.parameters())
best_epoch = int(history[:, 2].argmin())
print(f"{n_params} parameters for {len(X_train)} training examples")
print(f"final: train loss {history[-1, 0]:.4f}, acc {history[-1, 1]:.1%} | "
      f"validation loss {history[-1, 2]:.3f}, acc {history[-1, 3]:.1%}")
print(f"lowest validation loss {history[best_epoch, 2]:.3f} at epoch {best_epoch + 1}")


# %%
def plot_history(ax_loss, ax_acc, history, title):
    epochs = np.arange(1, len(history) + 1)
    for ax, column in ((ax_loss, 0), (ax_acc, 1)):
        ax.plot(epochs, history[:, column], label="train")
        ax.plot(epochs, history[:, column + 2], label="validation")
        ax.legend()
    ax_loss.set(title=f"{title}: loss", xlabel="epoch", yscale="log")
    ax_acc.set(title=f"{title}: accuracy", xlabel="epoch", ylim=(0.5, 1.01))

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
plot_history(left, right, history, "no regularisation")
left.axvline(best_epoch + 1, color="gray", ls=":")
fig.tight_layout()

assert history[-1, 0] < 0.01 and history[-1, 1] == 1.0        # the training set is memorised
assert history[-1, 2] > 1.2 * history[best_epoch, 2]           # validation loss rose again
assert best_epoch < 30

# %% [markdown]
# The training loss keeps falling towards 0 and the training accuracy reaches 100%,
# but the validation loss bottoms out after a few epochs and then **rises**: from there
# on the network learns the 200 examples by heart (growing ever more confident,
# including on its mistakes), not digits.
#
# ## Early stopping
#
# The simplest remedy: evaluate on the validation set after every epoch, keep the best
# weights so far (`copy.deepcopy(model.state_dict())`: the state dict itself shares the
# model's storage, as in PyTorch), stop when the validation loss
# has not improved for `patience` epochs, and restore the best weights.

# %%
stopped_model, stopped = fit(patience=10)
stopped_at, best_stop = len(stopped), int(stopped[:, 2].argmin())
restored = evaluate(stopped_model, X_val, y_val)
print(f"stopped after {stopped_at} epochs; best epoch {best_stop + 1}, "
      f"restored validation loss {restored[0]:.3f} (acc {restored[1]:.1%})")
assert stopped_at < 100 and stopped_at == best_stop + 1 + 10
assert np.isclose(restored[0], stopped[:, 2].min())
runs["early stopping"] = (stopped_model, stopped)

# %% [markdown]
# ## L2 regularisation (weight decay)
#
# Regularisation adds a complexity cost to the loss,
# $\text{minimise}\ \text{Loss(data} \mid \text{model)} + \text{complexity(model)}$.
# L2 uses the squared weights: $J = \text{loss} + \frac{\lambda}{2}\lVert W\rVert_2^2$,
# $\lVert W \rVert_2^2 = \sum_j w_j^2$. Its gradient adds $\lambda w$ to each weight's,
# so every step also shrinks the weights towards 0: **weight decay**. Two ways to get it:
#
# * the optimizers' `weight_decay=λ` argument adds $\lambda w$ to the gradient;
# * `nn.functional.l2_penalty(params)` returns $\sum w^2$ (no $\frac12$), to add to the loss yourself.
#
# One SGD step shows that they are the same thing:

# %%
lam = 0.1
autograd.manual_seed(0)
a, b = mlp(), mlp()
b.load_state_dict(a.state_dict())
xb, yb = Tensor(X_train[:50]), Tensor(y_train[:50])

opt_a = optim.SGD(a.parameters(), lr=0.1, weight_decay=lam)
opt_a.zero_grad()
F.cross_entropy(a(xb), yb).backward()
opt_a.step()

opt_b = optim.SGD(b.parameters(), lr=0.1)
loss_b = F.cross_entropy(b(xb), yb) + lam / 2 * F.l2_penalty(b.parameters())
opt_b.zero_grad()
loss_b.backward()
opt_b.step()

gap = max(np.abs(pa.numpy() - pb.numpy()).max() for pa, pb in zip(a.parameters(), b.parameters()))
print(f"largest difference between the two updated networks: {gap:.1e}")
assert gap < 1e-6

# %% [markdown]
# Now training with each. `weight_decay` acts on every parameter the optimizer holds;
# the explicit penalty below covers the weights only (biases are usually left out).
# With Adam, `weight_decay` is added to the gradient before Adam's scaling
# (`optim.AdamW` decouples the two).

# %%
runs["L2: weight_decay"] = fit(weight_decay=3e-2)
runs["L2: l2_penalty"] = fit(penalty=F.l2_penalty, strength=3e-3)

def weight_norm(model):
    return float(np.sqrt(sum((w.numpy() ** 2).sum() for w in weights_of(model))))

for name in ("no regularisation", "L2: weight_decay", "L2: l2_penalty"):
    model, history = runs[name]
    print(f"{name:>18}: |W| = {weight_norm(model):6.2f}, final validation loss {history[-1, 2]:.3f}")
    if name != "no regularisation":
        assert weight_norm(model) < 0.5 * weight_norm(runs["no regularisation"][0])
        assert history[-1, 2] < runs["no regularisation"][1][-1, 2]

# %% [markdown]
# ## L1 regularisation
#
# L1 uses absolute values, $J = \text{loss} + \lambda \sum_j |w_j|$ (`F.l1_penalty`). Its
# gradient $\lambda\,\operatorname{sign}(w)$ pulls every weight towards 0 by the same
# amount however small it already is, so many weights end up (almost) exactly 0: L1
# makes the network **sparse**, L2 only makes the weights small.

# %%
runs["L1: l1_penalty"] = fit(penalty=F.l1_penalty, strength=3e-4)

def near_zero(model):
    w = np.concatenate([w.numpy().ravel() for w in weights_of(model)])
    return float((np.abs(w) < 1e-3).mean())

fig, ax = plt.subplots(figsize=(7, 3.2))
for name in ("no regularisation", "L2: l2_penalty", "L1: l1_penalty"):
    w = np.concatenate([w.numpy().ravel() for w in weights_of(runs[name][0])])
    ax.hist(np.log10(np.abs(w) + 1e-12), bins=80, range=(-8, 0), histtype="step", lw=1.5,
            label=f"{name} ({near_zero(runs[name][0]):.0%} below 1e-3)")
ax.set(xlabel="log10 |w|", ylabel="weights", title="weights of all layers after training")
ax.legend(loc="upper left")

assert near_zero(runs["L1: l1_penalty"][0]) > 0.5
assert near_zero(runs["L1: l1_penalty"][0]) > 3 * near_zero(runs["L2: l2_penalty"][0])
assert runs["L1: l1_penalty"][1][-1, 2] < runs["no regularisation"][1][-1, 2]

# %% [markdown]
# ## Dropout
#
# During training, dropout removes each unit of a layer with probability $p$ for one
# step (a fresh random choice every mini-batch), so no unit can rely on any particular
# other one. The lecture's version keeps each unit with probability `keep_prob = 0.8`
# (so $p = 0.2$). `nn.Dropout`/`F.dropout` are *inverted* dropout: the surviving units
# are divided by $1 - p$ so that the expected activation is unchanged, and at test time
# (`model.eval()`) dropout does nothing.

# %%
a3 = Tensor(np.ones((1000, 100), dtype=np.float32))
d3 = F.dropout(a3, p=0.2, training=True)
kept = d3.numpy() != 0
print(f"fraction dropped {1 - kept.mean():.3f}, survivors scaled to {d3.numpy()[kept][0]:.3f}, "
      f"mean {d3.numpy().mean():.3f}")
assert abs((1 - kept.mean()) - 0.2) < 0.01 and np.allclose(d3.numpy()[kept], 1 / 0.8)
assert abs(d3.numpy().mean() - 1.0) < 0.02

layer = nn.Dropout(0.2)
layer.eval()
assert np.array_equal(layer(a3).numpy(), a3.numpy())            # identity at test time

# %%
runs["dropout 0.5"] = fit(dropout=0.5)
for name in ("no regularisation", "dropout 0.5"):
    h = runs[name][1]
    print(f"{name:>18}: lowest validation loss {h[:, 2].min():.3f} at epoch {h[:, 2].argmin() + 1}, "
          f"final validation accuracy {h[-1, 3]:.1%}")
plain, dropped = runs["no regularisation"][1], runs["dropout 0.5"][1]
assert dropped[:, 2].min() < plain[:, 2].min()          # a better best model
assert dropped[:, 2].argmin() > plain[:, 2].argmin()    # and overfitting sets in later

# %% [markdown]
# ## All the curves
#
# Validation loss per epoch for every run. Without regularisation it climbs steadily
# after its minimum. The L2 and L1 penalties keep it lower, dropout reaches a lower
# minimum later and climbs more slowly, and early stopping simply stops near the
# minimum.

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4))
for name, (model, history) in runs.items():
    epochs = np.arange(1, len(history) + 1)
    left.plot(epochs, history[:, 2], label=name, lw=2 if name == "no regularisation" else 1)
    right.plot(epochs, history[:, 3], label=name, lw=2 if name == "no regularisation" else 1)
left.set(xlabel="epoch", ylabel="validation loss", title="validation loss", ylim=(0.4, 1.0))
right.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy", ylim=(0.6, 0.9))
left.legend()
fig.tight_layout()

# %% [markdown]
# ## The test set, once
#
# The validation set picked the winner; only now is the test set used, once, to
# report how well that choice generalises.

# %%
final_val = {name: evaluate(model, X_val, y_val)[0] for name, (model, history) in runs.items()}
for name, value in sorted(final_val.items(), key=lambda kv: kv[1]):
    print(f"{name:>18}: validation loss {value:.3f}")
chosen = min(final_val, key=final_val.get)
test_loss, test_acc = evaluate(runs[chosen][0], X_test, y_test)
print(f"\nchosen on validation: {chosen}; test loss {test_loss:.3f}, test accuracy {test_acc:.1%}")
assert chosen != "no regularisation" and test_acc > 0.75

# %% [markdown]
# ## What to remember
#
# * Fit the scaler on the training set only; tune on the validation set; touch the test
#   set once.
# * Overfitting: training loss keeps falling while validation loss rises.
# * Early stopping keeps the weights from the best validation epoch.
# * L2 (`weight_decay`, `F.l2_penalty`) shrinks weights; L1 (`F.l1_penalty`) zeroes many
#   of them; dropout (`nn.Dropout`) trains a different thinned network every step and
#   is switched off by `model.eval()`.
