"""`kissgrad graph`: trained weights (--weights), every output format, --depth, and usage errors
for what it cannot do."""
import json
import shutil

import numpy as np
import pytest

from kissgrad.cli import main
from kissgrad.graph import build_graph_model, load_trained

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


def saved_run(folder, kind, activation=None):
    """A run folder as `kissgrad train` leaves it: model.npz (+ history.json with its config)."""
    model = build_graph_model(kind, activation or "relu")
    for name, param in model.named_parameters():
        param.raw[...] = np.full(param.shape, 0.01 * (1 + len(name)), dtype=param.raw.dtype)
    model.save(folder / "model.npz")
    if activation is not None:
        (folder / "history.json").write_text(json.dumps({"config": {"model": kind,
                                                                    "activation": activation}}))
    return folder / "model.npz"


@pytest.mark.parametrize("kind", ["mlp", "cnn", "lstm"])
def test_weights_are_loaded_into_the_model_they_fit(kind, tmp_path):
    path = saved_run(tmp_path, kind)
    found, model = load_trained(str(path))
    assert found == kind
    name, param = next(iter(model.named_parameters()))
    assert np.all(param.numpy() == np.float32(0.01 * (1 + len(name))))


def test_the_run_s_history_gives_the_kind_and_activation(tmp_path):
    path = saved_run(tmp_path, "mlp", activation="tanh")
    dot = tmp_path / "g.dot"
    assert main(["graph", "--weights", str(path), "--depth", "all", "--out", str(dot)]) == 0
    source = dot.read_text()
    assert "TanhBackward0" in source and "ReluBackward0" not in source
    assert "<B>1.weight</B>" in source and "|g|" in source


def test_weights_that_fit_no_model_are_a_usage_error(tmp_path, capsys):
    path = saved_run(tmp_path, "cnn")
    status = main(["graph", "--weights", str(path), "--model", "mlp", "--out", str(tmp_path / "g.dot")])
    err = capsys.readouterr().err
    assert status == 2 and "fit --model mlp" in err and "Traceback" not in err
    (tmp_path / "junk.npz").write_bytes(b"not an npz")
    assert main(["graph", "--weights", str(tmp_path / "junk.npz"), "--out", str(tmp_path / "h.dot")]) == 2
    assert "cannot read it" in capsys.readouterr().err
    assert not (tmp_path / "g.dot").exists() and not (tmp_path / "h.dot").exists()


@pytest.mark.parametrize("argv, message", [
    (["--out", "g.jpg"], "use one of .svg, .png, .pdf, .dot, .html"),
    (["--depth", "-1"], "must be auto, all or an integer >= 0"),
    (["--depth", "deep"], "expected an integer, got 'deep'"),
    (["--steps", "29"], "must be at most 28"),
    (["--model", "rnn"], "invalid choice: 'rnn'"),
])
def test_options_it_cannot_use_are_usage_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["graph", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_html_with_another_suffix_is_refused(tmp_path, capsys):
    assert main(["graph", "--html", "--out", str(tmp_path / "g.svg")]) == 2
    assert "--html writes an HTML page" in capsys.readouterr().err
    assert not (tmp_path / "g.svg").exists()


def test_dot_and_html_need_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    assert main(["graph", "--model", "lstm", "--out", str(tmp_path / "g.dot")]) == 0
    assert "lstm (LSTM)" in (tmp_path / "g.dot").read_text()
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--html"]) == 0  # default name with --html: graph.html
    assert "kg-data" in (tmp_path / "graph.html").read_text()


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_images_in_each_format(suffix, magic, tmp_path):
    out = tmp_path / f"g{suffix}"
    assert main(["graph", "--model", "cnn", "--depth", "0", "--out", str(out)]) == 0
    assert out.read_bytes()[:len(magic)] == magic
