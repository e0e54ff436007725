"""``kissgrad graph``: draw a model's backward graph on one batch of the bundled MNIST sample.

The models are ``kissgrad train``'s MLP and CNN, and ``lstm``: an LSTM reading a digit's
20 central rows as 20 time steps. ``--weights`` loads trained weights (``runs/demo/model.npz``);
the model kind and activation then come from the run's ``history.json`` next to them, or
from the names of the weights.
"""
import json
import os

import nn
from nn._files import atomic_write

GRAPH_FORMATS = (".svg", ".png", ".pdf", ".dot", ".html")
MODELS = ("mlp", "cnn", "lstm")
LSTM_STEPS = 20


class GraphError(ValueError):
    """The options cannot draw a graph (weights that fit no model, a model that does not fit
    the weights); the message says what to change."""


class RowLSTM(nn.Module):
    """An LSTM classifier reading an (N, 1, 28, 28) digit row by row: the ``steps`` central
    rows (the digit's 20 x 20 box for 20) are the time steps, the last hidden state goes
    through a Linear to 10 logits."""

    def __init__(self, steps=LSTM_STEPS, hidden_size=32):
        super().__init__()
        self.steps = steps
        self.lstm = nn.LSTM(28, hidden_size)
        self.lstm.fused = False  # the unrolled graph, drawn one box per time step
        self.head = nn.Linear(hidden_size, 10)

    def forward(self, x):
        """Logits (N, 10) from digits (N, 1, 28, 28), read row by row."""
        first = (28 - self.steps) // 2
        rows = x.reshape(x.shape[0], 28, 28)[:, first:first + self.steps, :]
        output, _ = self.lstm(rows.permute(1, 0, 2))  # time-major: (steps, N, 28)
        return self.head(output[-1])


def build_graph_model(kind, activation="relu", steps=LSTM_STEPS):
    """The ``mlp``, ``cnn`` (as ``kissgrad train`` builds them) or ``lstm`` (``RowLSTM``)."""
    from .train import build_model

    return RowLSTM(steps) if kind == "lstm" else build_model(kind, activation)


def _run_config(weights):
    """The ``config`` of the ``history.json`` next to ``weights``, or {}."""
    path = os.path.join(os.path.dirname(os.path.abspath(weights)), "history.json")
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh).get("config")
    except (OSError, ValueError, AttributeError):
        return {}
    return config if isinstance(config, dict) else {}


def load_trained(weights, kind=None, steps=LSTM_STEPS):
    """``(model kind, model)`` with the weights in file ``weights`` loaded; ``kind`` None:
    the run's own (history.json), else the kind whose parameter names match the file."""
    from nn.serialization import load

    try:
        state = load(weights)
    except (OSError, ValueError) as error:
        raise GraphError(f"--weights {weights!r}: cannot read it: {error}") from None
    config = _run_config(weights)
    activation = config.get("activation", "relu")
    candidates = [kind] if kind else ([config["model"]] if config.get("model") in MODELS
                                      else list(MODELS))
    for candidate in candidates:
        model = build_graph_model(candidate, activation, steps)
        if set(model.state_dict()) == set(state):
            try:
                model.load_state_dict(state)
            except (KeyError, ValueError, RuntimeError) as error:
                raise GraphError(f"--weights {weights!r} do not fit --model {candidate} "
                                 f"({error})") from None
            return candidate, model
    names = ", ".join(sorted(state)[:4])
    raise GraphError(f"--weights {weights!r} ({names}, ...) fit "
                     f"{'--model ' + kind if kind else 'none of ' + ', '.join(MODELS)}: "
                     f"leave --model out to detect the model, or pass the weights of a "
                     f"kissgrad train run (runs/demo/model.npz)")


def draw_model_graph(model_kind, out_path, batch_size=8, seed=0, weights=None, depth="auto",
                     max_nodes=300, steps=LSTM_STEPS):
    """Run one batch through a model (``model_kind``, or the one ``weights`` were trained
    for), backward inside ``record_grads()``, and write the coloured graph to ``out_path``
    (format from its suffix: .svg, .png, .pdf, .dot or .html, written atomically); returns
    the path written.

    Raises ``ValueError`` for another suffix, ``GraphError`` for weights that fit no model,
    and ``autograd.viz.GraphvizNotFoundError`` when an image needs Graphviz's ``dot``.
    """
    suffix = os.path.splitext(os.fspath(out_path))[1].lower()
    if suffix not in GRAPH_FORMATS:
        raise ValueError(f"kissgrad graph writes {', '.join(GRAPH_FORMATS)}; got {out_path!r}")
    # drawing needs graphviz: imported here, so `kissgrad train` never loads it
    import nn.functional as F
    from autograd import Tensor, manual_seed
    from autograd.viz import draw_graph, record_grads

    from .train import load_splits

    manual_seed(seed)
    if weights is not None:
        model_kind, model = load_trained(weights, model_kind, steps)
    else:
        model = build_graph_model(model_kind or "mlp", steps=steps)
    # enough samples that the 80% training split holds a whole batch
    (X_train, y_train), _, _ = load_splits(seed, limit=2 * batch_size + 20)
    loss = F.cross_entropy(model(Tensor(X_train[:batch_size])), Tensor(y_train[:batch_size]))
    with record_grads():
        loss.backward()
    graph = draw_graph(loss, model=model, depth=depth, max_nodes=max_nodes)
    if suffix == ".html":
        title = f"kissgrad {model_kind or 'mlp'}: backward graph of one batch"
        data = graph.to_html(title).encode("utf-8")
    elif suffix == ".dot":
        data = graph.source.encode("utf-8")
    else:
        data = graph.pipe(format=suffix[1:])  # explains a missing `dot`
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    return atomic_write(out_path, lambda file: file.write(data))
