"""``kissgrad``: the command-line program. ``kissgrad train`` learns the bundled MNIST sample;
``kissgrad graph`` draws a model's backward graph; ``kissgrad playground`` serves the
Neural Network Playground."""
import argparse
import math
import os
import sys
import time

# the options of ``kissgrad train`` that are TrainConfig fields of the same name
TRAIN_OPTIONS = ("model", "optimizer", "lr", "epochs", "batch_size", "activation", "dropout",
                 "weight_decay", "seed", "patience", "out", "limit", "record_grads", "distributed")
INTERRUPTED = 130  # the shell's status for a program stopped by Ctrl-C (128 + SIGINT)


def _number(text, kind):
    """``text`` as an int or a finite float, else an argparse error quoting it."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _positive_int(text):
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _seed(text):
    value = _number(text, int)
    if not 0 <= value < 2 ** 64:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**64), got {text!r}")
    return value


def _positive_float(text):
    value = _number(text, float)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _probability(text):
    value = _number(text, float)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text!r}")
    return value


def _non_negative_float(text):
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _graph_path(text):
    from .graph import GRAPH_FORMATS

    suffix = os.path.splitext(text)[1].lower()
    if suffix not in GRAPH_FORMATS:
        raise argparse.ArgumentTypeError(
            f"cannot write {text!r}: {suffix or 'a file without a suffix'} is not a supported "
            f"format; use one of {', '.join(GRAPH_FORMATS)}")
    return text


def _depth(text):
    """``auto``, ``all`` (None: nothing collapsed) or an int >= 0."""
    if text in ("auto", "all"):
        return None if text == "all" else text
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be auto, all or an integer >= 0, got {text!r}")
    return value


def _steps(text):
    value = _positive_int(text)
    if value > 28:
        raise argparse.ArgumentTypeError(f"must be at most 28 (the rows of a digit), got {text!r}")
    return value


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none worth showing (None, a flag)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


def _version():
    """kissgrad's version: the package's ``__version__``, else the installed metadata."""
    try:
        from . import __version__

        return __version__
    except ImportError:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("kissgrad")
        except PackageNotFoundError:
            return "unknown"


def _add_train_parser(commands, defaults, activations, default_lr):
    train = commands.add_parser(
        "train", formatter_class=_HelpFormatter,
        help="train on the bundled MNIST sample (80/10/10 split)",
        description="Train on the bundled MNIST sample (80/10/10 split), keep the best model; "
                    "a checkpoint after every epoch lets --resume continue an interrupted run.")
    train.add_argument("--model", choices=["mlp", "cnn"], default=defaults.model, help="network")
    train.add_argument("--optimizer", choices=sorted(default_lr), default=defaults.optimizer,
                       help="optimizer (momentum: SGD with momentum 0.9)")
    train.add_argument("--lr", type=_positive_float, default=None,
                       help="learning rate (default per optimizer: " +
                       ", ".join(f"{k} {v}" for k, v in default_lr.items()) + ")")
    train.add_argument("--epochs", type=_positive_int, default=defaults.epochs,
                       help="most epochs to train")
    train.add_argument("--batch-size", type=_positive_int, default=defaults.batch_size,
                       help="samples per step")
    train.add_argument("--activation", choices=sorted(activations), default=defaults.activation,
                       help="hidden-layer activation")
    train.add_argument("--dropout", type=_probability, default=None,
                       help="dropout probability (default: mlp 0.1, cnn 0.3)")
    train.add_argument("--weight-decay", type=_non_negative_float, default=defaults.weight_decay,
                       help="weight decay (decoupled for adamw, L2 for the others)")
    train.add_argument("--seed", type=_seed, default=defaults.seed,
                       help="seed of the split, the initial weights, dropout and shuffling")
    train.add_argument("--patience", type=_positive_int, default=defaults.patience,
                       help="stop after this many epochs without a better validation loss")
    train.add_argument("--out", default=defaults.out, help="folder for model, history and plots")
    train.add_argument("--limit", type=_positive_int, default=None,
                       help="use only this many samples (quick runs; at least 100)")
    train.add_argument("--record-grads", action="store_true",
                       help="record per-layer gradient norms every step and plot them")
    train.add_argument("--quiet", action="store_true", help="print only the result")
    train.add_argument("--distributed", action="store_true",
                       help="data-parallel over the ranks of mpiexec -n N (each rank: its shard, "
                            "--batch-size samples per step); needs pip install 'kissgrad[mpi]'")
    run = train.add_mutually_exclusive_group()
    run.add_argument("--overwrite", action="store_true",
                     help="replace the run already in --out (else it is refused)")
    run.add_argument("--resume", metavar="DIR", default=None,
                     help="continue the interrupted run in DIR with its own settings")


def _add_graph_parser(commands):
    graph = commands.add_parser(
        "graph", formatter_class=_HelpFormatter,
        help="draw a model's backward graph on one batch",
        description="Draw the backward graph of one batch of the MNIST sample through a model, "
                    "coloured by the gradient that flowed where (one fixed log scale).")
    graph.add_argument("--model", choices=["mlp", "cnn", "lstm"], default=None,
                       help="network (default: the one --weights were trained for, else mlp; "
                            "lstm reads a digit's central rows as time steps)")
    graph.add_argument("--weights", metavar="FILE", default=None,
                       help="draw the trained model saved there (e.g. runs/demo/model.npz)")
    graph.add_argument("--out", type=_graph_path, default=None,
                       help="output file: .svg, .png, .pdf (need Graphviz), .dot or .html "
                            "(default: graph.svg, or graph.html with --html)")
    graph.add_argument("--html", action="store_true",
                       help="write the interactive page (pan, zoom, expand modules, hover, search)")
    graph.add_argument("--depth", type=_depth, default="auto",
                       help="collapse modules deeper than this into one box each: an integer, "
                            "all (collapse nothing) or auto (the deepest that fits 1920x1080)")
    graph.add_argument("--max-nodes", type=_positive_int, default=300,
                       help="draw at most this many nodes (every parameter is always drawn)")
    graph.add_argument("--steps", type=_steps, default=20,
                       help="time steps of the lstm (central rows of each digit)")
    graph.add_argument("--batch-size", type=_positive_int, default=8, help="samples in the batch")
    graph.add_argument("--seed", type=_seed, default=0, help="seed of the weights and the batch")


def _port(text):
    value = _number(text, int)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number in [0, 65535], got {text!r}")
    return value


def _add_playground_parser(commands):
    playground = commands.add_parser(
        "playground", formatter_class=_HelpFormatter,
        help="serve the Neural Network Playground: train a small network in the browser",
        description="Serve the Neural Network Playground on a local web server and print its "
                    "address: a small network trains on 2-D data while the page shows the "
                    "decision boundary, every neuron, the weights and the gradients.")
    playground.add_argument("--port", type=_port, default=8000, help="port to listen on (0: any free one)")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to bind (the default serves this machine only)")


def run_playground(args):
    """Serve the playground until Ctrl-C; returns 0, or 1 when the address cannot be bound."""
    from .playground import serve

    try:
        serve(args.host, args.port)
    except OSError as error:
        return _fail(f"cannot serve on {args.host}:{args.port}: {error}", 1)
    return 0


def build_parser():
    """Return the argument parser with the ``train``, ``graph`` and ``playground`` sub-commands."""
    from .train import ACTIVATIONS, DEFAULT_LR, TrainConfig

    parser = argparse.ArgumentParser(prog="kissgrad", description=__doc__,
                                     formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_train_parser(commands, TrainConfig(), ACTIVATIONS, DEFAULT_LR)
    _add_graph_parser(commands)
    _add_playground_parser(commands)
    return parser


def _fail(error, status):
    if _is_main_rank():
        print(f"kissgrad: {error}", file=sys.stderr)
    return status


def _is_main_rank():
    """False on the ranks other than 0 of ``train --distributed``: they stay quiet."""
    distributed = sys.modules.get("kissgrad.distributed")
    return distributed is None or not distributed.is_initialized() or distributed.get_rank() == 0


def _fail_alone(error, status):
    """``_fail`` for a failure the other ranks of ``train --distributed`` do not share: they
    would wait for this one forever, so the whole job is aborted."""
    _fail(error, status)
    distributed = sys.modules.get("kissgrad.distributed")
    if distributed is not None and distributed.is_initialized() and distributed.get_world_size() > 1:
        if not _is_main_rank():
            time.sleep(10)  # (Ctrl-C) rank 0 saves the run, then its abort ends this rank
        distributed.abort(f"stopping all ranks after: {error}", status)
    return status


def _train_config(args):
    """(TrainConfig, checkpoint or None) from the arguments; ``RunRefused`` if they conflict."""
    from .train import RunRefused, TrainConfig, read_checkpoint, resume_config

    if args.resume is None:
        return TrainConfig(**{name: getattr(args, name) for name in TRAIN_OPTIONS},
                           progress=not args.quiet, overwrite=args.overwrite), None
    checkpoint = read_checkpoint(args.resume, args.distributed)
    config = resume_config(checkpoint, args.resume, progress=not args.quiet)
    defaults = TrainConfig()
    for name in TRAIN_OPTIONS:
        given, saved = getattr(args, name), getattr(config, name)
        if given != getattr(defaults, name) and given != saved and not _same_folder(name, given, saved):
            option = "--" + name.replace("_", "-")
            raise RunRefused(f"--resume continues the run in {args.resume} with its own settings, "
                             f"but {option} {given} differs from its "
                             f"{'default' if saved is None else saved}: leave {option} out, "
                             f"or start a new run (--overwrite or another --out)")
    return config, checkpoint


def _same_folder(name, given, saved):
    return name == "out" and os.path.abspath(given) == os.path.abspath(saved)


def run_train(args):
    """Train (or resume) as the arguments say and print the test accuracy line; returns the
    exit status: 0, 1 (diverged, a file error), 2 (options refused) or 130 (Ctrl-C)."""
    from .train import RunRefused, TrainingDiverged, TrainingInterrupted, fit

    try:
        config, checkpoint = _train_config(args)
        summary = fit(config, checkpoint)
    except RunRefused as error:
        return _fail(error, 2)
    except TrainingInterrupted as error:
        return _fail_alone(error, INTERRUPTED)
    except TrainingDiverged as error:  # every rank of a distributed run diverges alike
        return _fail(error, 1)
    except OSError as error:
        return _fail_alone(f"could not write the run: {error}", 1)
    if not _is_main_rank():
        return 0
    written = ["model.npz", "checkpoint.npz", "history.json", "history.csv"]
    written += [os.path.basename(p) for p in summary["plots"]]
    print(f"best epoch: {summary['best_epoch']}, trained in {summary['train_seconds']:.1f} s; "
          f"wrote {', '.join(written)} to {config.out}")
    print(f"test accuracy: {summary['test_accuracy']:.1%}")
    return 0


def run_graph(args):
    """Draw the backward graph of one batch through the chosen model; returns the exit status:
    0, 1 (no Graphviz for an image, a file error) or 2 (options or weights refused)."""
    from autograd.viz import GraphvizNotFoundError

    from .graph import GraphError, draw_model_graph

    out = args.out or ("graph.html" if args.html else "graph.svg")
    if args.html and not out.lower().endswith(".html"):
        return _fail(f"--html writes an HTML page, but --out {out!r} names another format: "
                     f"use --out {os.path.splitext(out)[0]}.html or leave --html out", 2)
    try:
        path = draw_model_graph(args.model, out, args.batch_size, args.seed, args.weights,
                                args.depth, args.max_nodes, args.steps)
    except GraphError as error:
        return _fail(error, 2)
    except GraphvizNotFoundError as error:
        return _fail(error, 1)
    except OSError as error:
        return _fail(f"cannot write {out!r}: {error}", 1)
    print(f"wrote {path}")
    return 0


def main(argv=None):
    """Entry point of the ``kissgrad`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "playground":
            return run_playground(args)
        return run_graph(args)
    except KeyboardInterrupt:  # before training started, or while drawing: nothing half-written
        return _fail("interrupted", INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
