"""The main job: train an MLP or a CNN on the bundled MNIST sample, keep the best model.

Used by ``kissgrad train``; also importable (``fit`` returns the history and the
test accuracy), which is how the tests drive it on a tiny subset.
"""
import csv
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np
from tqdm import tqdm

import nn
import nn.functional as F
import optim
from autograd import Tensor, manual_seed, no_grad
from nn.data import DataLoader, Standardizer, TensorDataset, train_val_test_split

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "selu": nn.SELU}
# Default learning rate per optimizer: each one's usual good starting point on this data.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adagrad": 0.05, "rmsprop": 0.001, "adam": 0.001}
# Default dropout per model: the CNN's wider classifier head overfits the 4,000 digits sooner.
DEFAULT_DROPOUT = {"mlp": 0.1, "cnn": 0.3}


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: training cannot go on (usually the learning rate)."""


@dataclass
class TrainConfig:
    """Everything ``kissgrad train`` can be told; the defaults are the demo's."""

    model: str = "mlp"
    optimizer: str = "adam"
    lr: float = None
    epochs: int = 15
    batch_size: int = 64
    activation: str = "relu"
    dropout: float = None
    weight_decay: float = 0.0
    seed: int = 0
    patience: int = 4
    out: str = "runs/demo"
    limit: int = None  # use only the first N samples (after shuffling): quick runs and tests
    record_grads: bool = False
    progress: bool = True
    extra: dict = field(default_factory=dict)

    def learning_rate(self):
        """The configured learning rate, or the optimizer's default."""
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def dropout_rate(self):
        """The configured dropout probability, or the model's default."""
        return self.dropout if self.dropout is not None else DEFAULT_DROPOUT[self.model]


def build_model(kind, activation="relu", dropout=0.0):
    """Return the MLP (784-256-128-10) or a small CNN (two 3x3 conv layers, then 784-128-10)."""
    act = ACTIVATIONS[activation]
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), act(), nn.Dropout(dropout),
                             nn.Linear(256, 128), act(), nn.Dropout(dropout), nn.Linear(128, 10))
    if kind == "cnn":
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), act(), nn.MaxPool2d(2),
                             nn.Conv2d(8, 16, 3, padding=1), act(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 7 * 7, 128), act(), nn.Dropout(dropout),
                             nn.Linear(128, 10))
    raise ValueError(f"unknown model {kind!r}: choose mlp or cnn")


def build_optimizer(name, params, lr, weight_decay):
    """Return the optimizer called ``name`` on ``params``."""
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


def load_splits(seed, limit=None):
    """The bundled sample as standardised float32 images (N, 1, 28, 28), split 80/10/10."""
    images, labels = nn.datasets.mnist_sample()
    if limit is not None:
        keep = np.random.default_rng(seed).permutation(len(images))[:limit]
        images, labels = images[keep], labels[keep]
    X = images.reshape(len(images), 1, 28, 28).astype(np.float32) / 255.0
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = train_val_test_split(
        X, labels, val_size=0.1, test_size=0.1, seed=seed)
    # one mean and std over all training pixels (per-pixel scaling would blow up the nearly
    # constant border pixels); fitted on the training split only, then applied to all three
    scaler = Standardizer().fit(X_train.reshape(-1, 1))

    def scaled(X):
        return scaler.transform(X.reshape(-1, 1)).reshape(X.shape)

    return [(scaled(X_train), y_train), (scaled(X_val), y_val), (scaled(X_test), y_test)]


def evaluate(model, X, y, batch_size=500):
    """Return (mean cross-entropy, accuracy) of ``model`` on ``X, y`` in eval mode."""
    model.eval()
    total_loss, correct = 0.0, 0
    with no_grad():
        for start in range(0, len(X), batch_size):
            logits = model(Tensor(X[start:start + batch_size]))
            target = y[start:start + batch_size]
            total_loss += F.cross_entropy(logits, Tensor(target), reduction="sum").item()
            correct += int((logits.raw.argmax(axis=1) == target).sum())
    model.train()
    return total_loss / len(X), correct / len(X)


def train_epoch(model, loader, optimizer, progress, recorder=None):
    """One pass over ``loader``; returns (mean loss, accuracy) on the training batches."""
    seen, total_loss, correct = 0, 0.0, 0
    for xb, yb in progress(loader):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        if recorder is not None:
            recorder.record(model)
        optimizer.step()
        seen += len(yb.raw)
        total_loss += loss.item() * len(yb.raw)
        correct += int((logits.raw.argmax(axis=1) == yb.raw).sum())
        if hasattr(progress, "set_postfix"):
            progress.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.1%}")
    return total_loss / seen, correct / seen


class _Progress:
    """Wraps an iterable in a tqdm bar per epoch (or in nothing when progress is off)."""

    def __init__(self, enabled, epoch, epochs):
        self.enabled, self.epoch, self.epochs, self.bar = enabled, epoch, epochs, None

    def __call__(self, iterable):
        if not self.enabled:
            return iterable
        self.bar = tqdm(iterable, desc=f"epoch {self.epoch}/{self.epochs}", leave=True,
                        dynamic_ncols=True)
        return self.bar

    def set_postfix(self, **values):
        if self.bar is not None:
            self.bar.set_postfix(**values)


def check_writable(out):
    """Create ``out`` and prove a file can be written there, before any training starts."""
    try:
        os.makedirs(out, exist_ok=True)
        probe = os.path.join(out, ".kissgrad-write-test")
        with open(probe, "w") as fh:
            fh.write("ok")
        os.remove(probe)
    except OSError as error:
        raise SystemExit(f"kissgrad: cannot write to --out {out!r}: {error.strerror or error}")


def fit(config):
    """Train as ``config`` says; write model, history and plot to ``config.out``; return a summary."""
    check_writable(config.out)
    manual_seed(config.seed)
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = load_splits(config.seed, config.limit)
    model = build_model(config.model, config.activation, config.dropout_rate())
    optimizer = build_optimizer(config.optimizer, model.parameters(), config.learning_rate(),
                                config.weight_decay)
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=config.batch_size, shuffle=True)
    # cosine decay to 0 over the planned epochs: big steps first, fine steps at the end
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    recorder = _gradient_recorder(config)
    history, best, waited, started = [], (math.inf, None), 0, time.perf_counter()
    model_path = os.path.join(config.out, "model.npz")
    for epoch in range(1, config.epochs + 1):
        progress = _Progress(config.progress, epoch, config.epochs)
        train_loss, train_acc = train_epoch(model, loader, optimizer, progress, recorder)
        schedule.step()
        val_loss, val_acc = evaluate(model, X_val, y_val)
        history.append({"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_acc,
                        "val_loss": val_loss, "val_accuracy": val_acc,
                        "seconds": time.perf_counter() - started})
        _say(config, f"epoch {epoch}: train loss {train_loss:.4f} acc {train_acc:.1%} | "
                     f"val loss {val_loss:.4f} acc {val_acc:.1%}")
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            raise TrainingDiverged(
                f"training diverged at epoch {epoch}: the loss is {train_loss} (train) and "
                f"{val_loss} (validation); try a smaller --lr than {config.learning_rate()}")
        if val_loss < best[0]:
            best, waited = (val_loss, epoch), 0
            model.save(model_path)
        else:
            waited += 1
            if waited >= config.patience:
                _say(config, f"early stopping: no better validation loss for {waited} epochs")
                break
    model.load(model_path)
    test_loss, test_acc = evaluate(model, X_test, y_test)
    summary = {"config": asdict(config), "best_epoch": best[1], "test_loss": test_loss,
               "test_accuracy": test_acc, "train_seconds": time.perf_counter() - started,
               "history": history}
    _write_outputs(config, summary, recorder)
    return summary


def _say(config, text):
    if config.progress:
        tqdm.write(text)


def _gradient_recorder(config):
    if not config.record_grads:
        return None
    from nn.viz import GradientRecorder  # only needed for --record-grads

    return GradientRecorder()


def _write_outputs(config, summary, recorder):
    """history.json, history.csv, and the curves (and gradient plot) as PNG when matplotlib is here."""
    with open(os.path.join(config.out, "history.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    with open(os.path.join(config.out, "history.csv"), "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(summary["history"][0]))
        writer.writeheader()
        writer.writerows(summary["history"])
    summary["plots"] = _plot(config, summary, recorder)


def _plot(config, summary, recorder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed, so no plot was drawn: pip install 'kissgrad[plot]'")
        return []
    history = summary["history"]
    epochs = [h["epoch"] for h in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("train_loss", "train"), ("val_loss", "validation")):
        left.plot(epochs, [h[key] for h in history], marker="o", label=label)
    for key, label in (("train_accuracy", "train"), ("val_accuracy", "validation")):
        right.plot(epochs, [h[key] for h in history], marker="o", label=label)
    left.set(title="cross-entropy loss", xlabel="epoch")
    right.set(title=f"accuracy (test {summary['test_accuracy']:.1%})", xlabel="epoch")
    for axis in (left, right):
        axis.legend()
        axis.grid(alpha=0.3)
    figure.suptitle(f"kissgrad {config.model} on the MNIST sample ({config.optimizer})")
    figure.tight_layout()
    paths = [os.path.join(config.out, "training_curves.png")]
    figure.savefig(paths[0], dpi=100)
    plt.close(figure)
    if recorder is not None:
        paths.append(os.path.join(config.out, "gradient_norms.png"))
        recorder.plot(paths[-1])
    return paths
