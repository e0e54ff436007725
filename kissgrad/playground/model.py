"""One playground session's training, without any web in it: its settings (checked, with
clear messages), its data, its network (kissgrad's ``nn`` and ``optim``), one epoch at a
time, and the snapshot the page draws.
"""
import base64
import math

import numpy as np

import kissgrad as kg
import kissgrad.nn.functional as F

from . import datasets

__all__ = ["DEFAULTS", "ACTIVATIONS", "OPTIMIZERS", "REGULARIZATIONS", "ConfigError",
           "check_config", "Trainer", "MAX_LAYERS", "MAX_NEURONS"]

ACTIVATIONS = {"relu": kg.nn.ReLU, "tanh": kg.nn.Tanh, "sigmoid": kg.nn.Sigmoid,
               "linear": kg.nn.Identity}
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
MAX_LAYERS = 8
MAX_NEURONS = 8
HISTORY_POINTS = 500  # loss curve points kept: older ones are thinned out two by two
GRID = 48             # the output heatmap's cells per side
THUMB = 20            # a neuron thumbnail's cells per side

DEFAULTS = {"dataset": "circle", "noise": 0.0, "train_ratio": 0.5, "points": 400, "seed": 1,
            "features": ["x1", "x2"], "hidden": [4, 2], "activation": "tanh",
            "optimizer": "sgd", "lr": 0.03, "batch_size": 10, "regularization": "none",
            "reg_rate": 0.0}
"""The settings of a new session; every key may be changed by ``check_config``."""

# what a change of each setting needs: new data (and a new network), a new network, a new
# optimizer (the weights stay), or nothing (read at the next step)
DATA_KEYS = ("dataset", "noise", "train_ratio", "points", "seed")
NETWORK_KEYS = ("features", "hidden", "activation")


class ConfigError(ValueError):
    """A setting's value was refused; the message names the setting and the value."""


def _number(name, value, low, high, kind=float):
    """``value`` as a ``kind`` in [low, high], else ConfigError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            kind is int and not float(value).is_integer()):
        raise ConfigError(f"{name} must be {'an integer' if kind is int else 'a number'}, "
                          f"got {value!r}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(f"{name} must be between {low} and {high}, got {value!r}")
    return kind(value)


def _choice(name, value, choices):
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _features(value):
    if not isinstance(value, list) or not value:
        raise ConfigError(f"features must be a non-empty list of feature names, got {value!r}")
    for name in value:
        _choice("each feature", name, list(datasets.FEATURES))
    if len(set(value)) != len(value):
        raise ConfigError(f"features must not repeat a name, got {value!r}")
    return [name for name in datasets.FEATURES if name in value]  # the page's order


def _hidden(value):
    if not isinstance(value, list) or len(value) > MAX_LAYERS:
        raise ConfigError(f"hidden must be a list of at most {MAX_LAYERS} layer widths, "
                          f"got {value!r}")
    return [_number("each hidden layer's neurons", n, 1, MAX_NEURONS, int) for n in value]


CHECKS = {
    "dataset": lambda v: _choice("dataset", v, list(datasets.DATASETS)),
    "noise": lambda v: _number("noise", v, 0.0, 1.0),
    "train_ratio": lambda v: _number("train_ratio", v, 0.1, 0.9),
    "points": lambda v: _number("points", v, 20, 2000, int),
    "seed": lambda v: _number("seed", v, 0, 2 ** 31 - 1, int),
    "features": _features,
    "hidden": _hidden,
    "activation": lambda v: _choice("activation", v, list(ACTIVATIONS)),
    "optimizer": lambda v: _choice("optimizer", v, OPTIMIZERS),
    "lr": lambda v: _number("lr (the learning rate)", v, 1e-6, 10.0),
    "batch_size": lambda v: _number("batch_size", v, 1, 2000, int),
    "regularization": lambda v: _choice("regularization", v, REGULARIZATIONS),
    "reg_rate": lambda v: _number("reg_rate (the regularisation rate)", v, 0.0, 10.0),
}


def check_config(changes, current=None):
    """The settings ``current`` (default: DEFAULTS) with ``changes`` (a dict) applied and
    checked; ``ConfigError`` names the first unknown setting or refused value."""
    if not isinstance(changes, dict):
        raise ConfigError(f"settings must be a JSON object, got {changes!r}")
    config = dict(DEFAULTS if current is None else current)
    for name, value in changes.items():
        if name not in CHECKS:
            raise ConfigError(f"unknown setting {name!r}; the settings are {', '.join(CHECKS)}")
        config[name] = CHECKS[name](value)
    return config


class Net(kg.nn.Module):
    """A fully connected network: features -> hidden layers -> one output (a logit, or the
    regression value). ``forward`` keeps each layer's pre-activations in ``self.z`` when
    asked to, with their gradients retained, for the page's gradient view."""

    def __init__(self, inputs, hidden, activation, generator):
        super().__init__()
        widths = [inputs] + list(hidden) + [1]
        self.layers = kg.nn.ModuleList(kg.nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.act = ACTIVATIONS[activation]()
        for layer in self.layers:
            kg.nn.init.xavier_normal_(layer.weight, generator=generator)
            kg.nn.init.zeros_(layer.bias)
        self.z = []

    def forward(self, x, keep=False):
        """The output (n, 1); with ``keep``, ``self.z`` holds each layer's pre-activation
        (gradient retained) and the input ``x`` must require grad."""
        self.z = [x] if keep else []
        h = x
        for k, layer in enumerate(self.layers):
            z = layer(h)
            if keep:
                z.retain_grad()
                self.z.append(z)
            h = self.act(z) if k < len(self.layers) - 1 else z
        return h

    def neuron_outputs(self, x):
        """Every neuron's output at ``x`` (no gradient): a list per layer, input features
        first, of arrays (n, width); the last is the network's output."""
        outputs, h = [x.numpy()], x
        for k, layer in enumerate(self.layers):
            z = layer(h)
            h = self.act(z) if k < len(self.layers) - 1 else z
            outputs.append(h.numpy())
        return outputs


def _pack(values):
    """Values in [-1, 1] as base64 of one byte each (0 is -1, 255 is +1): small to stream."""
    codes = np.round((np.clip(values, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(codes.tobytes()).decode("ascii")


def _grid(cells):
    """The points (cells², 2) at the centres of a cells x cells grid over the input plane,
    row by row from the top (x2 high) left (x1 low), as an image is drawn."""
    centres = (np.arange(cells) + 0.5) / cells * 2 * datasets.EXTENT - datasets.EXTENT
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.stack([x1.ravel(), x2.ravel()], 1)


class Trainer:
    """One session's data, network and optimizer, trained an epoch at a time.

    Example::

        trainer = Trainer({"dataset": "spiral", "hidden": [8, 8]})
        for _ in range(100):
            trainer.epoch()
        trainer.losses()  # (train loss, test loss)
    """

    def __init__(self, config=None):
        self.config = check_config(config or {})
        self.error = None
        self._new_data()

    @property
    def classification(self):
        """True for the classification sets (logits, cross-entropy), False for regression."""
        return self.config["dataset"] in datasets.CLASSIFICATION

    def _new_data(self):
        c = self.config
        points, labels = datasets.make_dataset(c["dataset"], c["points"], c["noise"], c["seed"])
        self.train_points, self.train_labels, self.test_points, self.test_labels = (
            datasets.split(points, labels, c["train_ratio"]))
        self._new_network()

    def _new_network(self):
        c = self.config
        generator = kg.Generator().manual_seed(c["seed"])
        self.net = Net(len(c["features"]), c["hidden"], c["activation"], generator)
        self.rng = np.random.default_rng(c["seed"])
        self.epochs, self.history, self.error = 0, [], None
        self.layer_grads, self.neuron_grads, self.edge_grads = None, None, None
        self.x_train = kg.tensor(datasets.features(self.train_points, c["features"]))
        self.x_test = kg.tensor(datasets.features(self.test_points, c["features"]))
        self._new_optimizer()
        self.history.append((0, *self.losses()))

    def _new_optimizer(self):
        c, params = self.config, self.net.parameters()
        if c["optimizer"] == "adam":
            self.optimizer = kg.optim.Adam(params, lr=c["lr"])
        else:
            self.optimizer = kg.optim.SGD(params, lr=c["lr"],
                                          momentum=0.9 if c["optimizer"] == "momentum" else 0.0)

    def configure(self, changes):
        """Apply ``changes`` (checked first: a ConfigError changes nothing). New data or a
        new network start training over; a new optimizer keeps the weights; the learning
        rate, batch size and regularisation take effect at the next step."""
        config = check_config(changes, self.config)
        changed = {k for k in config if config[k] != self.config[k]}
        self.config = config
        if changed & set(DATA_KEYS):
            self._new_data()
        elif changed & set(NETWORK_KEYS):
            self._new_network()
        elif "optimizer" in changed:
            self._new_optimizer()
        for group in self.optimizer.param_groups:
            group["lr"] = config["lr"]
        return changed

    def reset(self):
        """Start training over: fresh weights (from the seed), epoch 0, the same data."""
        self._new_network()

    def reseed(self):
        """Draw new data (and new weights) from the next seed."""
        self.configure({"seed": (self.config["seed"] + 1) % 2 ** 31})

    def _loss(self, output, labels):
        target = kg.tensor(labels.astype(np.float32)).reshape(-1, 1)
        if self.classification:
            return F.binary_cross_entropy_with_logits(output, target)
        return F.mse_loss(output, target)

    def _penalty(self):
        c = self.config
        if c["regularization"] == "none" or c["reg_rate"] == 0:
            return None
        weights = [layer.weight for layer in self.net.layers]
        penalty = F.l1_penalty(weights) if c["regularization"] == "l1" else F.l2_penalty(weights)
        return penalty * c["reg_rate"]

    def _step(self, rows, record):
        x = self.x_train[rows]
        if record:
            x = x.detach().requires_grad_()
        loss = self._loss(self.net(x, keep=record), self.train_labels[rows])
        penalty = self._penalty()
        self.optimizer.zero_grad()
        (loss if penalty is None else loss + penalty).backward()
        if record:
            self._record_grads()
        self.optimizer.step()

    def _record_grads(self):
        """Keep the last step's gradients: per weight |dL/dw|, per neuron the L2 norm over
        the batch of dL/dz (its pre-activation; for an input feature dL/dx), per layer the
        L2 norm of dL/dW."""
        layers = self.net.layers
        self.edge_grads = [np.abs(layer.weight.grad.numpy()).astype(float) for layer in layers]
        self.layer_grads = [float(np.linalg.norm(g)) for g in self.edge_grads]
        self.neuron_grads = [np.linalg.norm(z.grad.numpy().astype(float), axis=0)
                             for z in self.net.z]
        self.net.z = []

    def epoch(self):
        """Train one epoch (every training point once, in shuffled batches) and append the
        losses to the history; returns False, with ``self.error`` set, if training
        diverged (the weights then stay as they were before this epoch)."""
        if self.error:
            return False
        saved = {k: v.numpy().copy() for k, v in self.net.state_dict().items()}
        n, size = len(self.train_points), self.config["batch_size"]
        order = self.rng.permutation(n)
        starts = range(0, n, size)
        with np.errstate(all="ignore"):  # a diverging run is reported below, not warned about
            for k, start in enumerate(starts):
                self._step(kg.tensor(order[start:start + size]), record=k == len(starts) - 1)
            self.epochs += 1
            train, test = self.losses()
        if not (math.isfinite(train) and math.isfinite(test)):
            self.net.load_state_dict({k: kg.tensor(v) for k, v in saved.items()})
            self.epochs -= 1
            self.error = (f"training diverged at epoch {self.epochs + 1} (the loss became "
                          f"{train}): lower the learning rate, then press reset")
            return False
        self._remember(train, test)
        return True

    def _remember(self, train, test):
        self.history.append((self.epochs, train, test))
        if len(self.history) > HISTORY_POINTS:
            self.history = self.history[:1] + self.history[2::2]

    def losses(self):
        """(train loss, test loss) now, without the regularisation term."""
        with kg.no_grad():
            train = self._loss(self.net(self.x_train), self.train_labels).item()
            test = self._loss(self.net(self.x_test), self.test_labels).item()
        return float(train), float(test)

    def _shown(self, values):
        """Network outputs as the page colours them, in [-1, 1]."""
        if self.classification:
            return 2.0 / (1.0 + np.exp(-np.clip(values, -50, 50))) - 1.0
        return values

    def snapshot(self):
        """Everything the page draws, JSON-ready (see ``kissgrad.playground`` for the fields)."""
        c = self.config
        with kg.no_grad():
            grid = kg.tensor(datasets.features(_grid(GRID), c["features"]))
            output = self._shown(self.net(grid).numpy()[:, 0])
            thumbs = self.net.neuron_outputs(kg.tensor(datasets.features(_grid(THUMB),
                                                                          c["features"])))
        thumbs[-1] = self._shown(thumbs[-1])
        train, test = self.history[-1][1:]
        return {"config": c, "epoch": self.epochs, "trainLoss": train, "testLoss": test,
                "error": self.error, "classification": self.classification,
                "history": [list(h) for h in self.history],
                "output": _pack(output), "grid": GRID, "thumb": THUMB,
                "neurons": [[_pack(layer[:, j] / max(1.0, float(np.abs(layer[:, j]).max())))
                             for j in range(layer.shape[1])] for layer in thumbs],
                "weights": [np.round(layer.weight.numpy().astype(float), 4).tolist()
                            for layer in self.net.layers],
                "biases": [np.round(layer.bias.numpy().astype(float), 4).tolist()
                           for layer in self.net.layers],
                "edgeGrads": _listed(self.edge_grads), "neuronGrads": _listed(self.neuron_grads),
                "layerGrads": None if self.layer_grads is None else [_num(g) for g in self.layer_grads],
                "train": _points(self.train_points, self.train_labels),
                "test": _points(self.test_points, self.test_labels)}


NONFINITE = "NaN/Inf"
"""How a NaN or infinite gradient travels in the JSON (which has no such numbers)."""


def _num(v):
    """A float with 4 significant digits (gradients span many decades), or NONFINITE."""
    return float(f"{v:.4g}") if math.isfinite(v) else NONFINITE


def _listed(arrays):
    """Arrays (1-D or 2-D) as nested lists of ``_num``."""
    if arrays is None:
        return None
    return [[_num(v) for v in a] if a.ndim == 1 else [[_num(v) for v in row] for row in a]
            for a in arrays]


def _points(points, labels):
    """[[x1, x2, label], ...] rounded for the page."""
    return np.round(np.column_stack([points, labels]), 3).tolist()
