"""The main job: train an MLP or a CNN on the bundled MNIST sample, keep the best model.

Used by ``kissgrad train``; also importable (``fit`` returns the history and the
test accuracy), which is how the tests drive it on a tiny subset.

A run never loses its work: every file goes through ``atomic_write`` (a crash leaves the
old file or the new one, never half of one); each epoch ends with ``checkpoint.npz``
(model, optimizer, scheduler, random state, history, early-stopping count, best model),
from which ``fit(config, load_checkpoint(out))`` continues bit for bit as if never
stopped; Ctrl-C writes the history, curves and best model so far before it stops.

With ``distributed`` (``mpiexec -n N kissgrad train --distributed``) every rank trains a
replica on its shard of each epoch (``DistributedSampler``, ``--batch-size`` per rank) with
gradients averaged (``DistributedDataParallel``), metrics are averaged over the ranks and
broadcast from rank 0, so every decision (best model, early stopping) is rank 0's; rank 0
alone writes files and prints. ``--resume`` then reads the checkpoint on rank 0 and
broadcasts it, and continues only on as many ranks as the run had.

(About 440 lines: ``_Run`` keeps every moving part of a run, and what its checkpoint saves,
in one class; the folder's files, the ranks and the progress bar live in ``run_files``,
``world`` and ``progress``.)
"""
import math
import os
import shlex
import sys
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from tqdm import tqdm

import nn
import nn.functional as F
import optim
from autograd import Tensor, manual_seed, no_grad
from autograd.random import default_generator
from nn.data import (
    DataLoader,
    DistributedSampler,
    Standardizer,
    TensorDataset,
    train_val_test_split,
)
from nn.serialization import save as save_file

from .progress import Progress, interrupts_deferred, is_terminal
from .run_files import (  # noqa: F401  (load_checkpoint and RUN_FILES: part of this module's API)
    CHECKPOINT_FILE,
    CHECKPOINT_KIND,
    MODEL_FILE,
    RUN_FILES,
    RunRefused,
    check_out_is_free,
    check_writable,
    load_checkpoint,
    plot_run,
    previous_run,
    write_history,
)
from .world import World, read_checkpoint  # noqa: F401 (read_checkpoint: for the CLI)

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "selu": nn.SELU}
# name -> (optimizer, its extra arguments, default learning rate: its usual good start on this data)
OPTIMIZERS = {
    "sgd": (optim.SGD, {}, 0.1),
    "momentum": (optim.SGD, {"momentum": 0.9}, 0.05),
    "adagrad": (optim.Adagrad, {}, 0.05),
    "adadelta": (optim.Adadelta, {}, 1.0),
    "rmsprop": (optim.RMSprop, {}, 0.001),
    "adam": (optim.Adam, {}, 0.001),
    "adamw": (optim.AdamW, {}, 0.001),
    "adamax": (optim.Adamax, {}, 0.002),
    "nadam": (optim.NAdam, {}, 0.002),
    "radam": (optim.RAdam, {}, 0.003),
}
DEFAULT_LR = {name: lr for name, (_, _, lr) in OPTIMIZERS.items()}
# Default dropout per model: the CNN's wider classifier head overfits the 4,000 digits sooner.
DEFAULT_DROPOUT = {"mlp": 0.1, "cnn": 0.3}
# fewer validation or test samples than this measure nothing (one sample: 0% or 100%)
MIN_SPLIT = 10
MIN_LIMIT = 10 * MIN_SPLIT  # validation and test are 10% each


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: training cannot go on (usually the learning rate)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped training after the history, curves and best model so far were written."""


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
    overwrite: bool = False  # replace a run already in ``out`` (else RunRefused)
    distributed: bool = False  # data parallel over the ranks of ``mpiexec -n N`` (kissgrad[mpi])
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
    """Return the optimizer called ``name`` (a key of ``OPTIMIZERS``) on ``params``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")
    cls, extra, _ = OPTIMIZERS[name]
    return cls(params, lr=lr, weight_decay=weight_decay, **extra)


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


def checked_splits(config):
    """``load_splits`` for ``config``; ``RunRefused`` naming the sizes when a split is too
    small for its loss and accuracy to mean anything."""
    try:
        splits = load_splits(config.seed, config.limit)
    except ValueError as error:  # not even one training sample is left
        raise RunRefused(f"--limit {config.limit} is too few samples to split 80/10/10 ({error}); "
                         f"use --limit {MIN_LIMIT} or more") from None
    train, val, test = (len(y) for _, y in splits)
    if min(train, val, test) < MIN_SPLIT:
        raise RunRefused(f"--limit {config.limit} splits into {train} training, {val} validation "
                         f"and {test} test samples, too few to measure anything (each split needs "
                         f"at least {MIN_SPLIT}): use --limit {MIN_LIMIT} or more")
    return splits


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
            recorder.record(model.module if isinstance(model, nn.parallel.DistributedDataParallel)
                            else model)
        optimizer.step()
        seen += len(yb.raw)
        total_loss += loss.item() * len(yb.raw)
        correct += int((logits.raw.argmax(axis=1) == yb.raw).sum())
        if hasattr(progress, "set_postfix"):
            progress.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.1%}")
    return total_loss / seen, correct / seen


def resume_config(checkpoint, out, progress=True):
    """The ``TrainConfig`` of the run ``checkpoint`` holds, writing to ``out``."""
    try:
        return TrainConfig(**{**checkpoint["config"], "out": out, "progress": progress,
                              "overwrite": False})
    except (KeyError, TypeError) as error:
        raise RunRefused(f"--resume {out!r}: its checkpoint holds no usable settings "
                         f"({type(error).__name__}: {error})") from None


def _snapshot(model):
    """A copy of the model's arrays by name, untouched by later steps."""
    return OrderedDict((name, t.raw.copy()) for name, t in model.state_dict().items())


class _Run:
    """One training run's moving parts, and the state its checkpoint saves and restores."""

    def __init__(self, config, train_split, val_split, world=None):
        manual_seed(config.seed)
        self.config, self.val, self.world = config, val_split, world or World(False)
        self.model = build_model(config.model, config.activation, config.dropout_rate())
        self.optimizer = build_optimizer(config.optimizer, self.model.parameters(),
                                         config.learning_rate(), config.weight_decay)
        data, self.sampler, self.net = TensorDataset(*train_split), None, self.model
        if self.world.size > 1:  # each rank its shard of one order; the same model everywhere
            self.sampler = DistributedSampler(data, seed=config.seed)
            self.net = nn.parallel.DistributedDataParallel(self.model)
        self.loader = DataLoader(data, batch_size=config.batch_size, shuffle=self.sampler is None,
                                 sampler=self.sampler)
        # cosine decay to 0 over the planned epochs: big steps first, fine steps at the end
        self.schedule = optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=config.epochs)
        self.recorder = _gradient_recorder(config)
        self.history, self.epoch, self.waited, self.stopped = [], 0, 0, False
        self.best_loss, self.best_epoch, self.best_state = math.inf, None, None
        self.started = time.perf_counter()

    def _measure(self, X, y):
        return evaluate(self.model, X, y)

    def path(self, name):
        return os.path.join(self.config.out, name)

    def state_dict(self):
        """Everything needed to go on exactly where the last finished epoch ended."""
        grads = (None if self.recorder is None
                 else {"norms": self.recorder.norms, "steps": self.recorder.steps})
        return {"kind": CHECKPOINT_KIND, "config": asdict(self.config), "epoch": self.epoch,
                "stopped": self.stopped, "waited": self.waited, "best_loss": self.best_loss,
                "best_epoch": self.best_epoch, "best_model": self.best_state,
                "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.schedule.state_dict(),
                # one generator feeds init, dropout and shuffling: its state gives the same batches
                "rng": default_generator().bit_generator.state,
                "seconds": time.perf_counter() - self.started, "history": self.history,
                "grad_norms": grads, "world_size": self.world.size}

    def load_state_dict(self, checkpoint):
        """Continue from ``checkpoint`` (``state_dict()`` as read back from the file)."""
        self.model.load_state_dict(checkpoint["model"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.schedule.load_state_dict(checkpoint["scheduler"])
        default_generator().bit_generator.state = checkpoint["rng"]
        self.epoch, self.waited, self.stopped = (checkpoint[k] for k in ("epoch", "waited", "stopped"))
        self.best_loss, self.best_epoch = checkpoint["best_loss"], checkpoint["best_epoch"]
        self.best_state, self.history = checkpoint["best_model"], list(checkpoint["history"])
        self.started = time.perf_counter() - checkpoint["seconds"]
        if self.recorder is not None and checkpoint["grad_norms"]:
            self.recorder.norms = checkpoint["grad_norms"]["norms"]
            self.recorder.steps = checkpoint["grad_norms"]["steps"]

    def train(self):
        """Train epoch after epoch, each committed whole, until the last or early stopping."""
        while self.epoch < self.config.epochs and not self.stopped:
            record = self.run_epoch(self.epoch + 1)
            with interrupts_deferred():
                self.commit(record)

    def run_epoch(self, epoch):
        """Train and validate one epoch; returns its history record (raises if it diverged)."""
        config = self.config
        progress = Progress(config.progress and is_terminal(sys.stderr), epoch, config.epochs)
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)
        train_loss, train_acc = train_epoch(self.net, self.loader, self.optimizer, progress,
                                            self.recorder)
        self.schedule.step()
        val_loss, val_acc = self.world.evaluate(self._measure, *self.val)
        if self.world.size > 1:  # the ranks' mean, as rank 0 computed it: its decisions everywhere
            train = self.world.sum([train_loss, train_acc]) / self.world.size
            train_loss, train_acc, val_loss, val_acc = self.world.from_main([*train, val_loss, val_acc])
        _say(config, f"epoch {epoch}: train loss {train_loss:.4f} acc {train_acc:.1%} | "
                     f"val loss {val_loss:.4f} acc {val_acc:.1%}")
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            raise TrainingDiverged(
                f"training diverged at epoch {epoch}: the loss is {train_loss} (train) and "
                f"{val_loss} (validation); try a smaller --lr than {config.learning_rate()}")
        return {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_acc,
                "val_loss": val_loss, "val_accuracy": val_acc,
                "seconds": time.perf_counter() - self.started}

    def commit(self, record):
        """Make epoch ``record`` part of the run: best model, early stopping, checkpoint, history."""
        self.history.append(record)
        self.epoch = record["epoch"]
        if record["val_loss"] < self.best_loss:
            self.best_loss, self.best_epoch, self.waited = record["val_loss"], self.epoch, 0
            self.best_state = _snapshot(self.model)
            if self.world.is_main:
                self.model.save(self.path(MODEL_FILE))
        else:
            self.waited += 1
            if self.waited >= self.config.patience:
                self.stopped = True
                _say(self.config, f"early stopping: no better validation loss for {self.waited} epochs")
        if self.world.is_main:
            save_file(self.state_dict(), self.path(CHECKPOINT_FILE))
            write_history(self.config, self.summary("running"))

    def summary(self, status, test_loss=None, test_accuracy=None):
        """What history.json holds; ``status`` is running, finished, interrupted or diverged."""
        return {"status": status, "config": asdict(self.config), "best_epoch": self.best_epoch,
                "test_loss": test_loss, "test_accuracy": test_accuracy,
                "train_seconds": time.perf_counter() - self.started, "history": self.history}

    def finish(self, test_split):
        """Measure the best model on the test split and write every output; returns the summary."""
        self.model.load_state_dict(self.best_state)
        if self.world.is_main:  # the checkpoint's best, even if a kill lost a save
            self.model.save(self.path(MODEL_FILE))
        test_loss, test_acc = self.world.evaluate(self._measure, *test_split)
        return self.write_outputs(self.summary("finished", test_loss, test_acc))

    def write_outputs(self, summary):
        """history.json/.csv and the plots, when at least one epoch ended; returns ``summary``."""
        summary["plots"] = []
        if self.history and self.world.is_main:
            write_history(self.config, summary)
            summary["plots"] = plot_run(self.config, summary, self.recorder)
        return summary

    def interrupted(self):
        """The one-line account of a run stopped by Ctrl-C."""
        out = self.config.out
        if not self.history:
            return f"interrupted during epoch 1, before any epoch ended: nothing was saved to {out}"
        return (f"interrupted with {self.epoch} of {self.config.epochs} epochs done; their "
                f"history, curves, checkpoint and best model (epoch {self.best_epoch}) are in "
                f"{out}; continue with: {_resume_command(self.world.size)} {shlex.quote(out)}")


def fit(config, checkpoint=None):
    """Train as ``config`` says; write model, checkpoint, history and plots to ``config.out``;
    return a summary (the history.json contents, plus ``plots``).

    With ``checkpoint`` (``load_checkpoint(out)``; ``resume_config`` gives its config) it
    continues that run where its last finished epoch ended, to the very same model and
    history as a run never stopped. Without, an ``out`` holding another run is refused
    (``RunRefused``) unless ``config.overwrite``, which removes that run's files first.
    Ctrl-C writes the history, curves and best model so far, then raises
    ``TrainingInterrupted``; a NaN or infinite loss does the same, then raises
    ``TrainingDiverged``.
    """
    world = World(config.distributed)
    if not world.is_main:
        config = replace(config, progress=False)  # rank 0 alone prints
    world.on_main(lambda: _check_out(config, checkpoint))
    train_split, val_split, test_split = checked_splits(config)
    if world.size > 1 and world.is_main:  # even with --quiet: mpiexec reports a killed rank by pid
        print(f"kissgrad: training on {world.size} ranks: {world.table}", file=sys.stderr, flush=True)
    run = _Run(config, train_split, val_split, world)
    if checkpoint is not None:
        _restore(run, checkpoint)
        if run.stopped or run.epoch >= config.epochs:
            _say(config, f"the run in {config.out} had finished training: testing its best model")
    else:
        world.on_main(lambda: _clear_previous(config.out))
    try:
        run.train()
        return run.finish(test_split)
    except KeyboardInterrupt:
        run.write_outputs(run.summary("interrupted"))
        raise TrainingInterrupted(run.interrupted()) from None
    except TrainingDiverged as error:
        run.write_outputs(run.summary("diverged"))
        if not run.history:
            raise
        raise TrainingDiverged(f"{error}; the history and the best model so far (epoch "
                               f"{run.best_epoch}) are in {config.out}") from None


def _check_out(config, checkpoint):
    check_writable(config.out)
    if checkpoint is None:
        check_out_is_free(config)


def _clear_previous(out):
    for name in previous_run(out):  # --overwrite: never mix two runs' files
        os.remove(os.path.join(out, name))


def _restore(run, checkpoint):
    ranks = checkpoint.get("world_size", 1)
    if ranks != run.world.size:
        raise RunRefused(f"--resume {run.config.out!r}: the run was trained on {ranks} rank(s) and "
                         f"continues only on as many, to keep its batches: "
                         f"{_resume_command(ranks)} {shlex.quote(run.config.out)}")
    try:
        run.load_state_dict(checkpoint)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise RunRefused(f"--resume {run.config.out!r}: its checkpoint does not fit this model "
                         f"and optimizer ({type(error).__name__}: {error})") from None


def _resume_command(ranks):
    return ("kissgrad train --resume" if ranks == 1 else
            f"mpiexec -n {ranks} kissgrad train --distributed --resume")


def _say(config, text):
    if config.progress:
        tqdm.write(text)


def _gradient_recorder(config):
    if not config.record_grads:
        return None
    from nn.viz import GradientRecorder  # only needed for --record-grads

    return GradientRecorder()


