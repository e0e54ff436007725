"""``kissgrad``: the command-line program. ``kissgrad train`` learns the bundled MNIST sample;
``kissgrad graph`` draws a model's backward graph."""
import argparse
import sys


def _positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _probability(text):
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def _non_negative_float(text):
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def build_parser():
    """Return the argument parser with the ``train`` and ``graph`` sub-commands."""
    from .train import ACTIVATIONS, DEFAULT_LR, TrainConfig

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="kissgrad", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train on the bundled MNIST sample (80/10/10 split)")
    train.add_argument("--model", choices=["mlp", "cnn"], default=defaults.model)
    train.add_argument("--optimizer", choices=sorted(DEFAULT_LR), default=defaults.optimizer)
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default per optimizer: " +
                       ", ".join(f"{k} {v}" for k, v in DEFAULT_LR.items()) + ")")
    train.add_argument("--epochs", type=_positive_int, default=defaults.epochs)
    train.add_argument("--batch-size", type=_positive_int, default=defaults.batch_size)
    train.add_argument("--activation", choices=sorted(ACTIVATIONS), default=defaults.activation)
    train.add_argument("--dropout", type=_probability, default=None,
                       help="dropout probability (default: mlp 0.1, cnn 0.3)")
    train.add_argument("--weight-decay", type=_non_negative_float, default=defaults.weight_decay)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--patience", type=_positive_int, default=defaults.patience,
                       help="stop after this many epochs without a better validation loss")
    train.add_argument("--out", default=defaults.out, help="folder for model, history and plots")
    train.add_argument("--limit", type=_positive_int, default=None,
                       help="train on only this many samples (quick runs)")
    train.add_argument("--record-grads", action="store_true",
                       help="record per-layer gradient norms every step and plot them")
    train.add_argument("--quiet", action="store_true", help="no progress bars")

    graph = commands.add_parser("graph", help="draw a model's backward graph on one batch")
    graph.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    graph.add_argument("--out", default="graph.svg", help="output file (.svg, .png or .pdf)")
    graph.add_argument("--batch-size", type=_positive_int, default=8)
    graph.add_argument("--seed", type=int, default=0)
    return parser


def run_train(args):
    """Train as the arguments say and print the test accuracy line."""
    from .train import TrainConfig, TrainingDiverged, fit

    config = TrainConfig(model=args.model, optimizer=args.optimizer, lr=args.lr,
                         epochs=args.epochs, batch_size=args.batch_size,
                         activation=args.activation, dropout=args.dropout,
                         weight_decay=args.weight_decay, seed=args.seed, patience=args.patience,
                         out=args.out, limit=args.limit, record_grads=args.record_grads,
                         progress=not args.quiet)
    try:
        summary = fit(config)
    except TrainingDiverged as error:
        print(f"kissgrad: {error}", file=sys.stderr)
        return 1
    written = ["model.npz", "history.json", "history.csv"] + [p.split("/")[-1] for p in summary["plots"]]
    print(f"best epoch: {summary['best_epoch']}, trained in {summary['train_seconds']:.1f} s; "
          f"wrote {', '.join(written)} to {config.out}")
    print(f"test accuracy: {summary['test_accuracy']:.1%}")
    return 0


def run_graph(args):
    """Draw the backward graph of one batch through the chosen model."""
    from autograd.viz import GraphvizNotFoundError

    from .graph import draw_model_graph

    try:
        path = draw_model_graph(args.model, args.out, args.batch_size, args.seed)
    except GraphvizNotFoundError as error:
        print(f"kissgrad: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


def main(argv=None):
    """Entry point of the ``kissgrad`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return run_train(args)
    return run_graph(args)


if __name__ == "__main__":
    sys.exit(main())
