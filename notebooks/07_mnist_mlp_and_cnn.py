# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Handwritten digits: an MLP and a CNN
#
# Whatever the network, training follows the same steps: **prepare the dataset**,
# **build the model**, **define the loss**, **optimise**, then **test** on data the model
# has never seen. This lesson takes them on the MNIST sample bundled with kissgrad
# (5,000 real 28×28 digits), first with a multilayer perceptron, then with a small
# convolutional network, and then looks inside: the output of every layer for one
# digit, and which digits get confused with which.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import autograd
import nn
import nn.functional as F
import optim
from autograd import Tensor, no_grad
from kissgrad.train import build_model, load_splits
from nn.data import DataLoader, TensorDataset

autograd.manual_seed(0)
np.set_printoptions(precision=3, suppress=True)

# %% [markdown]
# ## 1. The data
#
# `nn.datasets.mnist_sample()` returns the raw images (uint8, 0 = no ink, 255 = ink) and
# their labels, and works offline.

# %%
images, labels = nn.datasets.mnist_sample()
print(images.shape, images.dtype, labels.shape, labels.dtype, "pixel range", images.min(), images.max())
assert images.shape == (5000, 28, 28) and set(np.unique(labels)) == set(range(10))

fig, axes = plt.subplots(2, 10, figsize=(12, 2.8))
for ax, i in zip(axes.ravel(), range(20)):
    ax.imshow(images[i], cmap="gray_r")
    ax.set_title(str(labels[i]))
    ax.axis("off")
fig.suptitle("the first 20 digits and their labels")
fig.tight_layout()

# %% [markdown]
# `kissgrad.train.load_splits` prepares them the way `kissgrad train` does: pixels to
# float32 in $[0, 1]$, a shuffled 80/10/10 split into training, validation and test
# sets, and standardisation with the mean and standard deviation of the training
# pixels (applied unchanged to the other two splits). Images keep a channel axis,
# (N, 1, 28, 28), as convolutions expect.

# %%
(X_train, y_train), (X_val, y_val), (X_test, y_test) = load_splits(seed=0)
for name, X, y in [("train", X_train, y_train), ("validation", X_val, y_val), ("test", X_test, y_test)]:
    print(f"{name:>10}: {X.shape}  mean {X.mean():+.3f}  std {X.std():.3f}  "
          f"label counts {np.bincount(y, minlength=10)}")
assert len(X_train) == 4000 and abs(X_train.mean()) < 1e-3 and abs(X_train.std() - 1) < 1e-3

# %% [markdown]
# ## 2. and 3. The models and the loss
#
# Both end in 10 outputs, one logit per digit, trained with the cross-entropy of their
# softmax (lesson 3). The MLP flattens the image to 784 numbers and has two hidden
# layers; the CNN slides small $3\times3$ filters over the image (each `Conv2d` output
# channel is one filter's **feature map**), halves the resolution with max-pooling,
# and only then classifies. `build_model` is the model `kissgrad train` uses.

# %%
autograd.manual_seed(0)
models = {"MLP": build_model("mlp", dropout=0.1), "CNN": build_model("cnn", dropout=0.1)}
for name, model in models.items():
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")
    print(model, "\n")

# %%
x = Tensor(X_train[:2])
print("CNN, layer by layer, on a batch of 2:")
for i, layer in enumerate(models["CNN"]):
    x = layer(x)
    print(f"  {i:>2} {type(layer).__name__:<10} -> {x.shape}")
assert x.shape == (2, 10)


# %% [markdown]
# ## 4. Optimisation
#
# Mini-batches of 64, Adam, a few epochs (one epoch = one pass over the 4,000 training
# digits). The accuracy on the validation set is measured after every epoch, in
# `eval()` mode (dropout off) and without recording a graph (`no_grad`).

# %%
def predict(model, X, batch_size=500):
    model.eval()
    with no_grad():
        logits = np.concatenate([model(Tensor(X[i:i + batch_size])).numpy()
                                 for i in range(0, len(X), batch_size)])
    model.train()
    return logits

def train(model, epochs, lr=1e-3):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    history = []
    for epoch in range(epochs):
        started, total = time.perf_counter(), 0.0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        val_acc = (predict(model, X_val).argmax(axis=1) == y_val).mean()
        history.append((total / len(X_train), val_acc))
        print(f"  epoch {epoch + 1}: train loss {history[-1][0]:.3f}, "
              f"validation accuracy {val_acc:.1%} ({time.perf_counter() - started:.1f} s)")
    return np.array(history)

histories = {}
for name, epochs, lr in [("MLP", 5, 1e-3), ("CNN", 4, 2e-3)]:
    print(name)
    autograd.manual_seed(1)
    histories[name] = train(models[name], epochs, lr)

# %% [markdown]
# ## 5. Testing
#
# The test set was not used for anything so far. Accuracy = correct predictions /
# all predictions.

# %%
predictions = {name: predict(model, X_test).argmax(axis=1) for name, model in models.items()}
accuracy = {name: float((p == y_test).mean()) for name, p in predictions.items()}
for name, acc in accuracy.items():
    print(f"{name}: test accuracy {acc:.1%}")
assert accuracy["MLP"] > 0.88 and accuracy["CNN"] > 0.88
assert accuracy["CNN"] > accuracy["MLP"]          # with less than half the weights

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
for name, history in histories.items():
    epochs = np.arange(1, len(history) + 1)
    left.plot(epochs, history[:, 0], "o-", label=name)
    right.plot(epochs, history[:, 1], "o-", label=name)
left.set(title="training loss", xlabel="epoch")
right.set(title="validation accuracy", xlabel="epoch")
left.legend()
right.legend()
fig.tight_layout()


# %% [markdown]
# ## The confusion matrix
#
# Row $i$, column $j$ counts the test digits of class $i$ predicted as $j$: the
# diagonal holds the correct ones, everything else is a mistake, and the largest
# off-diagonal cells tell which digits look alike to the model.

# %%
def confusion_matrix(truth, predicted, classes=10):
    return np.bincount(truth * classes + predicted, minlength=classes * classes).reshape(classes, classes)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
for ax, (name, predicted) in zip(axes, predictions.items()):
    matrix = confusion_matrix(y_test, predicted)
    assert matrix.sum() == len(y_test) and np.trace(matrix) == (predicted == y_test).sum()
    ax.imshow(matrix, cmap="Blues")
    for i in range(10):
        for j in range(10):
            if matrix[i, j]:
                ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=8,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title=f"{name} (test accuracy {accuracy[name]:.1%})")
    off = matrix - np.diag(np.diag(matrix))
    i, j = np.unravel_index(off.argmax(), off.shape)
    print(f"{name}: most frequent mistake: {i} taken for {j} ({off[i, j]} times)")
fig.tight_layout()


# %% [markdown]
# ## Inside the CNN: the output of each layer
#
# Running one test digit through the CNN layer by layer and keeping every output shows
# what each layer computes. The first convolution's filters are small edge and stroke
# detectors; their feature maps light up where the digit has that kind of stroke. ReLU
# keeps the positive responses, pooling halves the resolution, and the second
# convolution combines the first layer's maps into more abstract, coarser ones.

# %%
def layer_outputs(model, x):
    outputs, h = [], Tensor(x)
    model.eval()
    with no_grad():
        for layer in model:
            h = layer(h)
            outputs.append((type(layer).__name__, h.numpy()[0]))
    model.train()
    return outputs

digit = X_test[:1]
cnn_outputs = layer_outputs(models["CNN"], digit)
for i, (name, out) in enumerate(cnn_outputs):
    print(f"{i:>2} {name:<10} {out.shape}")

kernels = models["CNN"][0].weight.numpy()[:, 0]              # (8, 3, 3): the first layer's filters
fig, axes = plt.subplots(1, 9, figsize=(12, 1.6))
axes[0].imshow(digit[0, 0], cmap="gray_r")
axes[0].set_title(f"input ({y_test[0]})")
for ax, k in zip(axes[1:], kernels):
    ax.imshow(k, cmap="RdBu_r", vmin=-np.abs(kernels).max(), vmax=np.abs(kernels).max())
axes[1].set_title("conv1 filters", loc="left")
for ax in axes:
    ax.axis("off")


# %%
def show_maps(maps, title, columns=8):
    rows = int(np.ceil(len(maps) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.5 * rows + 0.3))
    for ax, i in zip(np.ravel(axes), range(rows * columns)):
        ax.axis("off")
        if i < len(maps):
            ax.imshow(maps[i], cmap="viridis")
    fig.suptitle(title)
    fig.tight_layout()

for index, title in [(0, "conv1: 8 feature maps, 28x28"), (1, "after ReLU"),
                     (2, "after max-pooling: 14x14"), (3, "conv2: 16 feature maps, 14x14"),
                     (5, "after ReLU and max-pooling: 7x7")]:
    show_maps(cnn_outputs[index][1], title)

# %%
logits = cnn_outputs[-1][1]
probabilities = F.softmax(Tensor(logits), dim=-1).numpy()
plt.figure(figsize=(5, 2.5))
plt.bar(range(10), probabilities)
plt.xticks(range(10))
plt.xlabel("digit")
plt.ylabel("probability")
plt.title(f"CNN output (softmax): predicts {probabilities.argmax()}, true {y_test[0]}")
assert np.isclose(probabilities.sum(), 1, atol=1e-5)

# %% [markdown]
# ## Inside the MLP
#
# The MLP has no images inside, but each first-layer hidden unit has one weight per
# pixel, so its 784 weights can be shown as a 28×28 picture: the pattern that unit
# responds to (red: ink there raises its input, blue: lowers it). Below them, the
# activations of both hidden layers for the same digit (256 and 128 units, laid out as
# grids): after ReLU many units are exactly 0, and a different digit lights up a
# different set.

# %%
W1 = models["MLP"][1].weight.numpy()                         # (256, 784)
fig, axes = plt.subplots(2, 8, figsize=(12, 3.2))
for ax, unit in zip(axes.ravel(), range(16)):
    w = W1[unit].reshape(28, 28)
    ax.imshow(w, cmap="RdBu_r", vmin=-np.abs(w).max(), vmax=np.abs(w).max())
    ax.axis("off")
fig.suptitle("first-layer weights of 16 hidden units")
fig.tight_layout()

mlp_outputs = layer_outputs(models["MLP"], digit)
hidden1, hidden2 = mlp_outputs[2][1], mlp_outputs[5][1]       # after each ReLU
other = layer_outputs(models["MLP"], X_test[1:2])[2][1]
fig, axes = plt.subplots(1, 3, figsize=(11, 3))
panels = [(hidden1.reshape(16, 16), f"hidden 1 (256 units), digit {y_test[0]}"),
          (hidden2.reshape(8, 16), f"hidden 2 (128 units), digit {y_test[0]}"),
          (other.reshape(16, 16), f"hidden 1, digit {y_test[1]}")]
for ax, (image, title) in zip(axes, panels):
    ax.imshow(image)
    ax.set_title(title)
    ax.axis("off")
print(f"hidden 1: {np.mean(hidden1 == 0):.0%} of the units are exactly 0 (ReLU)")
assert (hidden1 >= 0).all() and np.mean(hidden1 == 0) > 0.2

# %% [markdown]
# ## The mistakes
#
# A look at some test digits the CNN gets wrong: often they are ambiguous to people too.

# %%
wrong = np.flatnonzero(predictions["CNN"] != y_test)[:12]
fig, axes = plt.subplots(1, len(wrong), figsize=(1.2 * len(wrong), 1.8))
for ax, i in zip(np.atleast_1d(axes), wrong):
    ax.imshow(X_test[i, 0], cmap="gray_r")
    ax.axis("off")
    ax.set_title(f"{y_test[i]} -> {predictions['CNN'][i]}", fontsize=9)
fig.suptitle("CNN mistakes (true -> predicted)")
fig.tight_layout()

# %% [markdown]
# ## What to remember
#
# * Prepare (scale with training statistics, split), build, choose the loss, optimise,
#   and test once on held-out data.
# * An MLP sees 784 unrelated numbers; a CNN's small shared filters exploit that
#   nearby pixels belong together: here it is more accurate with less than half the
#   weights.
# * Looking inside (feature maps, hidden activations, the confusion matrix, the
#   mistakes) shows what was learned and what was not.
# * For longer runs: `kissgrad train --model cnn` trains with early stopping and writes
#   curves and the model.
