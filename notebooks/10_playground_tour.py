# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10. A guided tour of the playground
#
# `kissgrad playground` serves a page where a small network learns a 2-D data set while
# you watch the decision boundary, every neuron's output, the weights and, with *show
# gradients of the last step*, the gradient that flowed through each weight and neuron on
# kissgrad's shared log colour scale (blue: vanishing, green-yellow: healthy, red:
# exploding). Run it, open the address it prints, and try the three experiments below; this
# lesson runs them without the browser, through the same server and the same `Trainer`,
# and checks what you should see.
#
#     kissgrad playground        # then open http://127.0.0.1:8000/
#
# ![the playground](../docs/images/playground.png)

# %%
import json
import threading
import urllib.request

import matplotlib.pyplot as plt
import numpy as np

import kissgrad as kg
from autograd.viz import colour_of
from kissgrad.playground import Trainer, make_server
from kissgrad.playground.datasets import EXTENT, features

# %% [markdown]
# ## 1. Vanishing gradients: sigmoid vs ReLU
#
# On the page: add layers until there are 8 hidden layers of 8 neurons, choose *sigmoid*,
# press *step* once and tick *show gradients*. The edges near the output are green; towards
# the inputs they turn blue. Here we ask the page's server the same thing over HTTP: the
# snapshot's `layerGrads` holds the L2 norm of $\partial L / \partial W$ for each layer,
# input side first.

# %%
server = make_server(port=0)  # any free port, served from a thread
threading.Thread(target=server.serve_forever, daemon=True).start()


def ask(path, body):
    request = urllib.request.Request(f"{server.url}api/{path}?session=lesson10", method="POST",
                                     data=json.dumps(body).encode())
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


layer_grads = {}
for activation in ("sigmoid", "relu"):
    ask("config", {"hidden": [8] * 8, "activation": activation})
    layer_grads[activation] = np.array(ask("action", {"action": "step"})["layerGrads"])
    ratio = layer_grads[activation][0] / layer_grads[activation][-1]
    print(f"{activation:8s} first layer / last layer = {ratio:.1e}")
server.shutdown()
server.server_close()

# %%
assert layer_grads["sigmoid"][0] / layer_grads["sigmoid"][-1] < 1e-4  # vanished
assert layer_grads["relu"][0] / layer_grads["relu"][-1] > 1e-2         # still heard

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True)
for ax, (activation, norms) in zip(axes, layer_grads.items()):
    ax.bar(np.arange(1, len(norms) + 1), norms, color=[colour_of(n) for n in norms],
           edgecolor="black")
    ax.set(yscale="log", xlabel="layer (1 = input side, 9 = output)", title=activation)
axes[0].set_ylabel("|dL/dW| after one step")
fig.suptitle("the gradient view of an 8x8 network, on the shared colour scale")
fig.tight_layout()

# %% [markdown]
# Each sigmoid layer multiplies the backward signal by $\sigma'(z) \le \frac14$ (lesson 5),
# eight times over; ReLU passes it back with a factor 1 wherever the unit is active.
#
# ## 2. Overfitting: few points, a big network, no regularisation
#
# On the page: the *circle*, noise 0.25, 40 points (20 of them train), all seven features,
# three hidden layers of 8 ReLU units, Adam. Play for a few hundred epochs with *show test
# data* on: the training loss falls towards zero while the test loss climbs, and the
# boundary bends around single training points. An L2 penalty (regularisation *L2*, rate
# 0.01) keeps the weights small and the boundary smoother.

# %%
ALL = ["x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2"]
SMALL = {"dataset": "circle", "noise": 0.25, "points": 40, "features": ALL, "hidden": [8, 8, 8],
         "activation": "relu", "optimizer": "adam", "lr": 0.03, "batch_size": 10}


def trained(settings, epochs):
    trainer = Trainer(settings)
    for _ in range(epochs):
        trainer.epoch()
    return trainer


runs = {"no regularisation": trained(SMALL, 400),
        "L2, rate 0.01": trained(dict(SMALL, regularization="l2", reg_rate=0.01), 400)}
for name, run in runs.items():
    train, test = run.losses()
    print(f"{name:18s} train loss {train:.4f}  test loss {test:.3f}")

# %%
free_train, free_test = runs["no regularisation"].losses()
l2_train, l2_test = runs["L2, rate 0.01"].losses()
assert free_train < 0.01 and free_test > 100 * free_train  # memorised the 20 training points
assert l2_test < free_test / 2 and l2_train > free_train    # L2: worse on train, better on test


def boundary(ax, run, title):
    """The network's P(class 1) over the input plane, with train (white) and test (black) points."""
    grid = np.linspace(-EXTENT, EXTENT, 80)
    x1, x2 = np.meshgrid(grid, grid)
    points = np.stack([x1.ravel(), x2.ravel()], 1)
    with kg.no_grad():
        logits = run.net(kg.tensor(features(points, run.config["features"]))).numpy()
    ax.imshow((1 / (1 + np.exp(-logits))).reshape(80, 80), origin="lower", cmap="RdBu",
              extent=(-EXTENT, EXTENT, -EXTENT, EXTENT), vmin=0, vmax=1, alpha=0.7)
    for pts, labels, edge in ((run.train_points, run.train_labels, "white"),
                              (run.test_points, run.test_labels, "black")):
        ax.scatter(pts[:, 0], pts[:, 1], c=labels, cmap="RdBu", vmin=0, vmax=1, edgecolors=edge, s=30)
    ax.set(title=title, xticks=[], yticks=[])


fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for ax, (name, run) in zip(axes, runs.items()):
    boundary(ax, run, name)
for name, run in runs.items():
    history = np.array(run.history)
    axes[2].semilogy(history[:, 0], history[:, 2], label=f"test, {name}")
    axes[2].semilogy(history[:, 0], history[:, 1], "--", label=f"train, {name}")
axes[2].set(xlabel="epoch", ylabel="cross-entropy", title="loss curves")
axes[2].legend(fontsize=8)
fig.tight_layout()

# %% [markdown]
# ## 3. L1 vs L2: what each does to the weights
#
# The L2 penalty $\lambda \sum w^2$ pulls each weight towards 0 with a force proportional
# to the weight, so weights shrink but rarely reach 0. The L1 penalty $\lambda \sum |w|$
# pulls with the same force $\lambda$ whatever the size, so small, useless weights are
# driven all the way to (about) 0: L1 makes the network **sparse**, and can switch whole
# input features off. On the page: *two Gaussians*, all seven features, one layer of 8 tanh
# units, SGD, then regularisation *L1* rate 0.01 vs *L2* rate 0.01, and watch the edges
# from the unneeded features thin out to nothing under L1.

# %%
GAUSS = {"dataset": "gaussians", "noise": 0.1, "points": 200, "features": ALL, "hidden": [8],
         "activation": "tanh", "optimizer": "sgd", "lr": 0.03, "reg_rate": 0.01}
penalised = {kind: trained(dict(GAUSS, regularization=kind), 200) for kind in ("l1", "l2")}
weights = {kind: np.concatenate([layer.weight.numpy().ravel() for layer in run.net.layers])
           for kind, run in penalised.items()}
near_zero = {kind: float((np.abs(w) < 1e-2).mean()) for kind, w in weights.items()}
per_feature = {kind: np.abs(run.net.layers[0].weight.numpy()).sum(0) for kind, run in penalised.items()}
for kind in penalised:
    print(f"{kind}: test loss {penalised[kind].losses()[1]:.3f}, "
          f"{near_zero[kind]:.0%} of the weights below 0.01")
    print("   first-layer |w| per feature:",
          ", ".join(f"{name} {value:.3f}" for name, value in zip(ALL, per_feature[kind])))

# %%
assert near_zero["l1"] > near_zero["l2"] + 0.3           # L1 makes the weights sparse
assert per_feature["l1"].min() < 0.05 < per_feature["l2"].min()  # and switches a feature off
assert max(run.losses()[1] for run in penalised.values()) < 0.2  # both still classify well

fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
bins = np.linspace(-3, 3, 61)
for kind, w in weights.items():
    axes[0].hist(w, bins=bins, alpha=0.6, label=f"{kind.upper()} ({near_zero[kind]:.0%} below 0.01)")
axes[0].set(xlabel="weight", ylabel="count", title="every weight after 200 epochs")
axes[0].legend()
width = 0.4
for k, kind in enumerate(penalised):
    axes[1].bar(np.arange(len(ALL)) + (k - 0.5) * width, per_feature[kind], width, label=kind.upper())
axes[1].set(xticks=range(len(ALL)), xticklabels=ALL, ylabel="sum of |w| leaving it",
            title="how much each input feature is used")
axes[1].legend()
fig.tight_layout()

# %% [markdown]
# ## What to remember
#
# - The gradient view shows where learning happens: with sigmoid, deep layers near the
#   input hardly move; ReLU (or tanh, or fewer layers) keeps them learning.
# - A big network and few points memorise the training set; the test loss tells, and a
#   penalty on the weights (or more data, or early stopping) helps.
# - L2 shrinks all weights; L1 zeroes the useless ones and so selects features.
