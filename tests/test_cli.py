"""`kissgrad train`: runs end to end on a tiny subset, writes its outputs, rejects bad input."""
import json

import numpy as np
import pytest

import nn
from kissgrad.cli import build_parser, main
from kissgrad.train import TrainConfig, build_model, fit, load_splits


def test_train_writes_model_history_and_prints_accuracy(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(["train", "--limit", "300", "--epochs", "2", "--quiet", "--out", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "test accuracy: " in printed and printed.strip().endswith("%")
    for name in ("model.npz", "history.json", "history.csv"):
        assert (out / name).is_file(), name
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history["history"]] == [1, 2]
    assert 0.0 <= history["test_accuracy"] <= 1.0
    state = np.load(out / "model.npz", allow_pickle=False)
    model = build_model("mlp")
    assert set(state.files) == set(model.state_dict())


def test_training_learns_more_than_chance(tmp_path):
    summary = fit(TrainConfig(limit=1000, epochs=3, progress=False, out=str(tmp_path)))
    assert summary["test_accuracy"] > 0.6  # chance is 0.1
    losses = [h["train_loss"] for h in summary["history"]]
    assert losses[-1] < losses[0]


def test_cnn_runs_on_a_tiny_subset(tmp_path):
    summary = fit(TrainConfig(model="cnn", limit=200, epochs=1, progress=False, out=str(tmp_path)))
    assert len(summary["history"]) == 1


def test_early_stopping_stops_when_validation_loss_stalls(tmp_path):
    # 270 training samples and a high learning rate: the model overfits within a few epochs
    summary = fit(TrainConfig(lr=0.01, dropout=0.0, limit=300, epochs=40, patience=2,
                              progress=False, out=str(tmp_path)))
    assert len(summary["history"]) < 40
    assert len(summary["history"]) == summary["best_epoch"] + 2
    assert summary["best_epoch"] == min(summary["history"], key=lambda h: h["val_loss"])["epoch"]


def test_splits_are_80_10_10_and_scaled_on_training_data_only():
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = load_splits(seed=0)
    assert (len(X_train), len(X_val), len(X_test)) == (4000, 500, 500)
    assert X_train.shape[1:] == (1, 28, 28) and X_train.dtype == np.float32
    assert abs(float(X_train.mean())) < 1e-3 and abs(float(X_train.std()) - 1) < 1e-3


def test_diverging_training_stops_with_a_clear_error(tmp_path, capsys):
    status = main(["train", "--optimizer", "sgd", "--lr", "1e6", "--limit", "200", "--epochs", "3",
                   "--quiet", "--out", str(tmp_path)])
    assert status == 1
    assert "diverged" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["train", "--model", "transformer"],
    ["train", "--optimizer", "lbfgs"],
    ["train", "--epochs", "0"],
    ["train", "--lr", "-1"],
    ["train", "--dropout", "1.5"],
    ["train", "--no-such-option"],
    ["train", "--overwrite", "--resume", "runs/demo"],
])
def test_bad_arguments_get_argparse_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["train", "--weight-decay", "nan"],
    ["train", "--weight-decay", "inf"],
    ["train", "--lr", "nan"],
    ["train", "--lr", "inf"],
    ["train", "--dropout", "nan"],
    ["train", "--seed", "-1"],
    ["train", "--epochs", "1.5"],
    ["train", "--batch-size", "0"],
    ["train", "--limit", "-3"],
    ["train", "--patience", "two"],
    ["graph", "--batch-size", "0"],
    ["graph", "--seed", "-1"],
])
def test_numeric_options_refuse_values_they_cannot_use(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[1]}: " in err and repr(argv[2]) in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["g.txt", "graph", "g.SVG.gz"])
def test_graph_out_with_an_unsupported_suffix_lists_the_formats(name, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["graph", "--out", str(tmp_path / name)])
    assert exit_info.value.code == 2
    assert ".svg, .png, .pdf" in capsys.readouterr().err
    assert not (tmp_path / name).exists()


def test_out_that_is_a_file_fails_before_training(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(nn.datasets, "mnist_sample", lambda: pytest.fail("training started"))
    with pytest.raises(SystemExit, match="cannot write"):
        main(["train", "--quiet", "--out", str(blocker / "run")])


def test_graph_without_dot_explains_how_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    status = main(["graph", "--out", str(tmp_path / "graph.svg")])
    assert status == 1
    assert "Install Graphviz" in capsys.readouterr().err
