"""``kissgrad graph``: draw a model's backward graph on one batch of the bundled MNIST sample."""
import os

from nn._files import atomic_write

GRAPH_FORMATS = (".svg", ".png", ".pdf")


def draw_model_graph(model_kind, out_path, batch_size=8, seed=0):
    """Run one batch through the ``mlp`` or ``cnn`` of ``kissgrad train``, backward inside
    ``record_grads()``, and render the coloured graph to ``out_path`` (format from its
    suffix: .svg, .png or .pdf; written atomically); returns the path written.

    Raises ``ValueError`` for another suffix, and ``autograd.viz.GraphvizNotFoundError``
    (with install instructions) when Graphviz's ``dot`` is not installed.
    """
    suffix = os.path.splitext(os.fspath(out_path))[1].lower()
    if suffix not in GRAPH_FORMATS:
        raise ValueError(f"kissgrad graph writes {', '.join(GRAPH_FORMATS)}; got {out_path!r}")
    # drawing needs graphviz: imported here, so `kissgrad train` never loads it
    import nn.functional as F
    from autograd import Tensor, manual_seed
    from autograd.viz import draw_graph, record_grads

    from .train import build_model, load_splits

    manual_seed(seed)
    model = build_model(model_kind)
    # enough samples that the 80% training split holds a whole batch
    (X_train, y_train), _, _ = load_splits(seed, limit=2 * batch_size + 20)
    logits = model(Tensor(X_train[:batch_size]))
    loss = F.cross_entropy(logits, Tensor(y_train[:batch_size]))
    with record_grads():
        loss.backward()
    data = draw_graph(loss, model=model).pipe(format=suffix[1:])  # explains a missing `dot`
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    return atomic_write(out_path, lambda file: file.write(data))
