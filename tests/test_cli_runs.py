"""`kissgrad train` never loses a run: Ctrl-C saves what was learnt and exits 130, a
checkpoint per epoch lets --resume finish bit for bit, files are written atomically, a run
is never replaced unless asked, and a split too small to measure is refused."""
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import kissgrad.train as train
import optim
from kissgrad.cli import build_parser, main
from nn._files import atomic_write

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--limit", "200", "--quiet"]
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def _temporaries(folder):
    return [name for name in os.listdir(folder) if name.endswith(".part")]


def _epochs(folder):
    return [h["epoch"] for h in json.loads((folder / "history.json").read_text())["history"]]


def _wait_for(path, child, seconds=120):
    """Poll until ``path`` exists; fail if the child ends first or it takes too long."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert child.poll() is None, f"training ended (status {child.returncode}) before {path.name}"
        assert time.monotonic() < deadline, f"no {path.name} after {seconds} s"
        time.sleep(0.02)


def _sigint_by_default():
    # a test runner started in the background may ignore SIGINT, and a child inherits that
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child process (POSIX signals)")
def test_ctrl_c_saves_history_curves_and_best_model_then_exits_130(tmp_path):
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "kissgrad", "train", "--limit", "120", "--epochs", "100000",
            "--patience", "100000", "--quiet", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(tmp_path / "stdout", "w") as stdout, open(tmp_path / "stderr", "w") as stderr:
        child = subprocess.Popen(argv, stdout=stdout, stderr=stderr, cwd=tmp_path, env=env,
                                 preexec_fn=_sigint_by_default)
        try:
            _wait_for(out / "checkpoint.npz", child)
            child.send_signal(signal.SIGINT)
            status = child.wait(timeout=120)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    err = (tmp_path / "stderr").read_text()
    assert status == 130, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("kissgrad: interrupted with ") and "--resume" in err
    summary = json.loads((out / "history.json").read_text())
    epochs = [h["epoch"] for h in summary["history"]]
    assert summary["status"] == "interrupted" and epochs == list(range(1, len(epochs) + 1))
    assert len((out / "history.csv").read_text().splitlines()) == len(epochs) + 1
    assert (out / "training_curves.png").is_file() or not HAVE_MATPLOTLIB
    assert summary["best_epoch"] in epochs
    model = train.build_model("mlp")
    model.load(out / "model.npz")
    assert train.load_checkpoint(out)["epoch"] == len(epochs)
    assert _temporaries(out) == []


def _stop_after_checkpoint(monkeypatch, epoch):
    real = train.save_file

    def save_then_stop(obj, path):
        real(obj, path)
        if obj["epoch"] == epoch:
            raise KeyboardInterrupt  # as if Ctrl-C came right after the checkpoint
    monkeypatch.setattr(train, "save_file", save_then_stop)


def _stop_inside_epoch(monkeypatch, epoch):
    real, calls = train.evaluate, []

    def stop_at_validation(*args, **kwargs):
        calls.append(1)
        if len(calls) == epoch:
            raise KeyboardInterrupt  # epoch trained, not yet validated nor checkpointed
        return real(*args, **kwargs)
    monkeypatch.setattr(train, "evaluate", stop_at_validation)


@pytest.mark.parametrize("stop, grads", [
    (lambda monkeypatch: _stop_after_checkpoint(monkeypatch, epoch=2), ["--record-grads"]),
    (lambda monkeypatch: _stop_inside_epoch(monkeypatch, epoch=3), []),
], ids=["after-epoch-2-checkpoint", "inside-epoch-3"])
def test_resume_gives_the_same_model_and_history_bit_for_bit(tmp_path, monkeypatch, capsys, stop,
                                                             grads):
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    run = SMALL + ["--epochs", "4", "--patience", "10"] + grads
    assert main(["train", *run, "--out", str(whole)]) == 0
    with monkeypatch.context() as patch:
        stop(patch)
        try:
            assert main(["train", *run, "--out", str(resumed)]) == 130
        except KeyboardInterrupt:  # would stop the whole test session
            pytest.fail("Ctrl-C escaped kissgrad train instead of ending it with status 130")
    assert train.load_checkpoint(resumed)["epoch"] == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(resumed), "--quiet"]) == 0
    want, got = np.load(whole / "model.npz"), np.load(resumed / "model.npz")
    assert want.files == got.files
    assert all(np.array_equal(want[k], got[k]) for k in want.files)
    a, b = (json.loads((d / "history.json").read_text()) for d in (whole, resumed))
    untimed = [[{k: v for k, v in h.items() if k != "seconds"} for h in s["history"]] for s in (a, b)]
    assert untimed[0] == untimed[1] and len(untimed[0]) == 4
    assert (a["best_epoch"], a["test_accuracy"]) == (b["best_epoch"], b["test_accuracy"])
    ca, cb = train.load_checkpoint(whole), train.load_checkpoint(resumed)
    assert ca["grad_norms"] == cb["grad_norms"] and ca["rng"] == cb["rng"]


def test_resume_refuses_other_settings_and_a_folder_without_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *SMALL, "--epochs", "1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(out), "--lr", "0.5", "--quiet"]) == 2
    assert "--lr 0.5 differs" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "empty"), "--quiet"]) == 2
    assert "no checkpoint.npz" in capsys.readouterr().err


def test_a_run_never_replaces_another_unless_asked(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *SMALL, "--epochs", "1", "--record-grads", "--out", str(out)]) == 0
    good = (out / "model.npz").read_bytes()
    diverging = ["--optimizer", "sgd", "--lr", "1e6", "--epochs", "2"]
    assert main(["train", *SMALL, *diverging, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and all(o in err for o in ("--overwrite", "--resume", "--out"))
    assert (out / "model.npz").read_bytes() == good
    assert main(["train", *SMALL, "--epochs", "1", "--seed", "1", "--overwrite", "--out", str(out)]) == 0
    assert (out / "model.npz").read_bytes() != good
    assert not (out / "gradient_norms.png").exists()  # the old run's files went with it


def test_a_crash_while_writing_history_keeps_the_last_whole_file(tmp_path, monkeypatch, capsys):
    real_dump = json.dump

    def disk_full_at_epoch_3(obj, fh, **kwargs):
        if len(obj.get("history", ())) == 3:
            text = json.dumps(obj, **kwargs)
            fh.write(text[:len(text) // 2])
            raise OSError(28, "No space left on device")
        real_dump(obj, fh, **kwargs)
    monkeypatch.setattr(json, "dump", disk_full_at_epoch_3)
    out = tmp_path / "run"
    try:
        status = main(["train", *SMALL, "--epochs", "3", "--out", str(out)])
    except OSError as error:
        status = error
    assert _epochs(out) == [1, 2]  # the file of epoch 2, whole
    assert _temporaries(out) == []
    assert status == 1 and "No space left" in capsys.readouterr().err


@pytest.mark.skipif(os.name != "posix", reason="kills a child process mid-write (POSIX signals)")
def test_temporaries_of_a_killed_save_do_not_pile_up(tmp_path):
    target = tmp_path / "model.npz"
    killed = ("import os, signal, sys\nfrom nn._files import atomic_write\n"
              "def write(f):\n    f.write(b'x' * 100000); f.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
              "atomic_write(sys.argv[1], write)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(3):
        child = subprocess.run([sys.executable, "-c", killed, str(target)], env=env, timeout=120)
        assert child.returncode == -signal.SIGKILL
    stale = _temporaries(tmp_path)
    assert len(stale) == 1  # each killed save removed the one before it
    dead_pid = stale[0].split(".")[3]
    live = tmp_path / f".model.npz.{os.getpid()}.abcdefgh.part"       # a writer still at work
    other = tmp_path / f".model.npz.1.{dead_pid}.abcdefgh.part"       # another target's
    live.write_bytes(b"")
    other.write_bytes(b"")
    atomic_write(target, lambda f: f.write(b"whole"))
    assert target.read_bytes() == b"whole"
    assert sorted(_temporaries(tmp_path)) == sorted([live.name, other.name])


@pytest.mark.parametrize("limit, sizes", [("5", "3 training, 1 validation and 1 test"),
                                          ("1", "leave no training samples")])
def test_a_split_too_small_to_measure_is_refused(tmp_path, capsys, limit, sizes):
    out = tmp_path / "run"
    assert main(["train", "--limit", limit, "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert sizes in err and "--limit 100" in err
    assert os.listdir(out) == []


def test_progress_is_one_line_per_epoch_when_output_is_not_a_terminal(tmp_path, capsys):
    assert main(["train", "--limit", "200", "--epochs", "2", "--out", str(tmp_path / "run")]) == 0
    captured = capsys.readouterr()
    assert "\r" not in captured.err and "it/s" not in captured.err
    assert len([line for line in captured.out.splitlines() if line.startswith("epoch ")]) == 2


def test_version_and_defaults_in_help(capsys):
    import kissgrad

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"kissgrad {kissgrad.__version__}"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 15)" in text and "(default: adam)" in text and "(default: runs/demo)" in text


def test_every_optimizer_in_optim_can_be_chosen_and_steps():
    choices = sorted(train.OPTIMIZERS)
    assert [build_parser().parse_args(["train", "--optimizer", n]).optimizer for n in choices] == choices
    classes = {getattr(optim, name) for name in optim.__all__ if isinstance(getattr(optim, name), type)
               and getattr(optim, name) is not optim.Optimizer}
    built = set()
    for name in choices:
        model = train.build_model("mlp")
        opt = train.build_optimizer(name, model.parameters(), train.DEFAULT_LR[name], 0.0)
        before = model.state_dict()["1.weight"].raw.copy()
        x = train.Tensor(np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32))
        train.F.cross_entropy(model(x), train.Tensor(np.array([0, 1, 2, 3]))).backward()
        opt.step()
        assert not np.array_equal(before, model.state_dict()["1.weight"].raw), name
        built.add(type(opt))
    assert classes <= built


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graph_writes_the_file_atomically(tmp_path, capsys):
    assert main(["graph", "--out", str(tmp_path / "g.svg")]) == 0
    assert "<svg" in (tmp_path / "g.svg").read_text()
    assert _temporaries(tmp_path) == []
