"""What a ``kissgrad train`` run leaves in its folder, and the checks made before one starts.

Every file is written through ``atomic_write`` (a crash leaves the old file or the new one,
never half of one); a folder holding another run is refused unless asked to overwrite it.
"""
import csv
import io
import json
import os
import shlex

from nn._files import atomic_write
from nn.serialization import load as load_file

MODEL_FILE, CHECKPOINT_FILE = "model.npz", "checkpoint.npz"
# what a run leaves in its folder: --overwrite clears them all, so two runs never mix
RUN_FILES = (MODEL_FILE, CHECKPOINT_FILE, "history.json", "history.csv", "training_curves.png",
             "gradient_norms.png")
CHECKPOINT_KIND = "kissgrad train checkpoint"


class RunRefused(ValueError):
    """The options cannot give a sound run (a split too small to measure, an ``out`` holding
    another run, no checkpoint to resume); raised before anything is trained or written."""


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


def previous_run(out):
    """The files of a run already in ``out`` (names from ``RUN_FILES``; empty when none)."""
    return [name for name in RUN_FILES if os.path.exists(os.path.join(out, name))]


def check_out_is_free(config):
    """``RunRefused`` when ``config.out`` holds another run and ``config.overwrite`` is off."""
    found = previous_run(config.out)
    if found and not config.overwrite:
        where = shlex.quote(config.out)
        raise RunRefused(f"--out {config.out!r} already holds a run ({', '.join(found)}) and a new "
                         f"run never replaces it unless asked: pass --overwrite to replace it, "
                         f"--resume {where} to continue it, or choose another --out")


def load_checkpoint(out):
    """Return the checkpoint ``fit`` left in folder ``out`` (a dict, for ``fit``'s
    ``checkpoint``); ``RunRefused`` when there is none or it cannot be read."""
    path = os.path.join(out, CHECKPOINT_FILE)
    try:
        checkpoint = load_file(path)
    except FileNotFoundError:
        raise RunRefused(f"--resume {out!r}: there is no {CHECKPOINT_FILE} to continue from "
                         f"(kissgrad train writes one after each epoch)") from None
    except (OSError, ValueError) as error:
        raise RunRefused(f"--resume {out!r}: cannot read its checkpoint: {error}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != CHECKPOINT_KIND:
        raise RunRefused(f"--resume {out!r}: {path} is not a kissgrad train checkpoint")
    return checkpoint


def text_writer(fill):
    """An ``atomic_write`` writer handing ``fill`` a UTF-8 text file over the binary one."""
    def write(file):
        text = io.TextIOWrapper(file, encoding="utf-8", newline="")
        fill(text)
        text.flush()
        text.detach()  # leave the binary file open: atomic_write fsyncs and closes it
    return write


def write_history(config, summary):
    """history.json (the summary) and history.csv (one row per epoch), each atomically."""
    atomic_write(os.path.join(config.out, "history.json"),
                 text_writer(lambda fh: json.dump(summary, fh, indent=2)))

    def rows(fh):
        writer = csv.DictWriter(fh, fieldnames=list(summary["history"][0]))
        writer.writeheader()
        writer.writerows(summary["history"])
    atomic_write(os.path.join(config.out, "history.csv"), text_writer(rows))


def save_figure(figure, path):
    """Write a matplotlib figure as PNG, atomically, and close it; returns ``path``."""
    import matplotlib.pyplot as plt

    atomic_write(path, lambda file: figure.savefig(file, format="png", dpi=100))
    plt.close(figure)
    return path


def plot_run(config, summary, recorder):
    """The curves (and gradient plot) as PNG when matplotlib is here; returns their paths."""
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
    tested = summary["test_accuracy"]
    left.set(title="cross-entropy loss", xlabel="epoch")
    right.set(title=f"accuracy (test {tested:.1%})" if tested is not None
              else f"accuracy ({summary['status']})", xlabel="epoch")
    for axis in (left, right):
        axis.legend()
        axis.grid(alpha=0.3)
    figure.suptitle(f"kissgrad {config.model} on the MNIST sample ({config.optimizer})")
    figure.tight_layout()
    paths = [save_figure(figure, os.path.join(config.out, "training_curves.png"))]
    if recorder is not None:
        paths.append(save_figure(recorder.plot(), os.path.join(config.out, "gradient_norms.png")))
    return paths
