"""The playground's server (``kissgrad playground``) through its HTTP API, with a real HTTP
client (urllib) against a server on a free port in a thread: the page, the settings and
their refusals, the worker that trains between requests, the event stream, closed tabs,
reloads, idle sessions, and the two checks of the issue: the spiral learned by a 2x8 tanh
network, and the vanishing gradients of an 8-layer sigmoid one."""
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from kissgrad.playground import make_server

SPIRAL = {"dataset": "spiral", "hidden": [8, 8], "activation": "tanh", "optimizer": "adam",
          "lr": 0.03, "points": 800, "features": ["x1", "x2", "sin x1", "sin x2"]}
"""The spiral check: 2x8 tanh, Adam, sin features, 400 training points."""
HANG_GUARD = 120  # seconds before a wait gives up (a hang, not a timing requirement)


@pytest.fixture
def server():
    running = make_server(port=0)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()
    thread.join(5)


def call(server, path, body=None, session="tab1"):
    """(status, decoded JSON) of GET (no body) or POST (a body) ``path?session=...``."""
    url = server.url + path.lstrip("/") + (f"?session={session}" if session else "")
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_until(condition, what):
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def events(server, session):
    """An open event stream and a function returning its next snapshot."""
    stream = urllib.request.urlopen(server.url + f"api/events?session={session}", timeout=30)
    assert stream.headers["Content-Type"] == "text/event-stream"

    def next_snapshot():
        while True:
            line = stream.readline()
            assert line, "the event stream ended"
            if line.startswith(b"data: "):
                return json.loads(line[6:])
    return stream, next_snapshot


def test_the_page_is_served_whole_and_offline(server):
    with urllib.request.urlopen(server.url) as answer:
        assert answer.headers["Content-Type"].startswith("text/html")
        text = answer.read().decode()
    assert text.startswith("<!DOCTYPE html>") and "kgPlayground" in text
    for fetch in ("<script src", "<link", "@import", "url(", "https://", "import("):
        assert fetch not in text, fetch
    assert set(re.findall(r"https?://[^\"' ]+", text)) == {"http://www.w3.org/2000/svg"}
    status, options = call(server, "/api/options", session=None)
    assert status == 200 and options["datasets"] == ["circle", "xor", "gaussians", "spiral",
                                                     "moons", "regression"]
    assert options["features"] == ["x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2"]
    assert options["scale"]["palette"][0] == "#3b2f7f"


def test_a_new_tab_gets_the_defaults_and_a_step_trains_one_epoch(server):
    status, state = call(server, "/api/state")
    assert status == 200 and state["epoch"] == 0 and state["layerGrads"] is None
    assert state["config"]["hidden"] == [4, 2] and not state["playing"]
    status, state = call(server, "/api/action", {"action": "step"})
    assert status == 200 and state["epoch"] == 1 and len(state["layerGrads"]) == 3
    assert len(state["history"]) == 2 and len(state["train"]) + len(state["test"]) == 400
    weights = state["weights"]
    assert [len(w) for w in weights] == [4, 2, 1] and [len(w[0]) for w in weights] == [2, 4, 2]
    assert [len(g) for g in state["neuronGrads"]] == [2, 4, 2, 1]


@pytest.mark.parametrize("body, message", [
    ({"lr": -1}, "lr (the learning rate) must be between 1e-06 and 10.0, got -1"),
    ({"lr": "fast"}, "lr (the learning rate) must be a number, got 'fast'"),
    ({"batch_size": 2.5}, "batch_size must be an integer, got 2.5"),
    ({"hidden": [4, 9]}, "each hidden layer's neurons must be between 1 and 8, got 9"),
    ({"hidden": [2] * 9}, "hidden must be a list of at most 8 layer widths"),
    ({"features": []}, "features must be a non-empty list of feature names, got []"),
    ({"features": ["x3"]}, "each feature must be one of x1, x2, x1², x2², x1·x2, sin x1, sin x2"),
    ({"dataset": "mnist"}, "dataset must be one of circle, xor, gaussians, spiral, moons"),
    ({"depth": 3}, "unknown setting 'depth'"),
    ([1, 2], "settings must be a JSON object, got [1, 2]"),
    (b"{not json", "the request body is not valid JSON"),
])
def test_a_bad_setting_is_refused_with_a_clear_message_and_changes_nothing(server, body, message):
    call(server, "/api/config", {"lr": 0.1})
    status, answer = call(server, "/api/config", body)
    assert status == 400 and message in answer["error"]
    status, state = call(server, "/api/state")  # the server is fine and the settings kept
    assert status == 200 and state["config"]["lr"] == 0.1 and state["config"]["hidden"] == [4, 2]


@pytest.mark.parametrize("path, body, session, status, message", [
    ("/api/action", {"action": "fly"}, "tab1", 400, "action must be one of play, pause, step"),
    ("/api/action", {"go": 1}, "tab1", 400, 'expected {"action": ...}'),
    ("/api/state", None, "../etc", 400, "session must be 1-64 letters, digits, - or _"),
    ("/api/state", None, None, 400, "session must be"),
    ("/nowhere", None, "tab1", 404, "no such page: /nowhere"),
])
def test_bad_requests_are_refused_and_the_server_goes_on(server, path, body, session, status,
                                                         message):
    answer = call(server, path, body, session)
    assert answer[0] == status and message in answer[1]["error"]
    assert call(server, "/api/state")[0] == 200


def test_settings_apply_and_tabs_are_separate(server):
    status, state = call(server, "/api/config", {"dataset": "xor", "noise": 0.1, "hidden": [3]},
                         session="a")
    assert status == 200 and state["config"]["dataset"] == "xor"
    assert [len(w) for w in state["weights"]] == [3, 1]
    assert call(server, "/api/state", session="b")[1]["config"]["dataset"] == "circle"
    status, state = call(server, "/api/config", {"dataset": "regression"}, session="a")
    assert not state["classification"] and -1 <= min(p[2] for p in state["train"]) < 0
    seed = state["config"]["seed"]
    status, state = call(server, "/api/action", {"action": "reseed"}, session="a")
    assert state["config"]["seed"] == seed + 1


def test_the_worker_trains_between_requests_and_pause_stops_it(server):
    call(server, "/api/action", {"action": "play"})
    session = server.sessions["tab1"]
    wait_until(lambda: session.trainer.epochs >= 5, "five epochs")  # no request needed
    status, state = call(server, "/api/action", {"action": "pause"})
    assert not state["playing"]
    paused_at = state["epoch"]
    time.sleep(0.3)
    assert call(server, "/api/state")[1]["epoch"] == paused_at


def test_the_event_stream_follows_training_and_survives_a_closed_tab_and_a_reload(server):
    stream, next_snapshot = events(server, "tab1")
    first = next_snapshot()
    assert first["session"] == "tab1" and first["epoch"] == 0
    call(server, "/api/action", {"action": "play"})
    epochs = [next_snapshot()["epoch"] for _ in range(4)]
    assert epochs == sorted(epochs) and epochs[-1] > 0
    stream.close()  # the tab closes mid-stream
    wait_until(lambda: server.sessions["tab1"].listeners == 0, "the stream to be let go")
    stream, next_snapshot = events(server, "tab1")  # the reload: same session, same run
    again = next_snapshot()
    assert again["epoch"] >= epochs[-1] and again["playing"]
    stream.close()
    assert call(server, "/api/action", {"action": "pause"})[0] == 200


def test_a_diverging_run_pauses_with_a_message(server):
    call(server, "/api/config", {"dataset": "regression", "lr": 10, "activation": "relu",
                                 "hidden": [8, 8, 8]})
    status, state = call(server, "/api/action", {"action": "step"})
    assert status == 200 and "training diverged at epoch 1" in state["error"]
    assert "lower the learning rate" in state["error"] and state["epoch"] == 0
    assert not call(server, "/api/action", {"action": "play"})[1]["playing"]
    call(server, "/api/config", {"lr": 0.01})
    status, state = call(server, "/api/action", {"action": "reset"})
    assert state["error"] is None and call(server, "/api/action", {"action": "step"})[1]["epoch"] == 1


def test_an_unattended_session_pauses_and_an_idle_one_is_dropped():
    running = make_server(port=0, idle_timeout=0.5, grace=0.2)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        call(running, "/api/action", {"action": "play"}, session="gone")
        session = running.sessions["gone"]
        wait_until(lambda: not session.playing, "the unattended session to pause")
        time.sleep(0.6)
        call(running, "/api/state", session="other")  # any request drops idle sessions
        assert "gone" not in running.sessions and session.closed
        session.worker.join(5)
        assert not session.worker.is_alive()
        assert call(running, "/api/state", session="gone")[1]["epoch"] == 0  # a fresh one
    finally:
        running.shutdown()
        running.server_close()


def test_the_spiral_is_learned_by_a_2x8_tanh_network(server):
    status, state = call(server, "/api/config", SPIRAL)
    assert status == 200 and state["testLoss"] > 0.5
    started = time.monotonic()
    call(server, "/api/action", {"action": "play"})
    wait_until(lambda: call(server, "/api/state")[1]["testLoss"] < 0.1, "test loss < 0.1")
    state = call(server, "/api/action", {"action": "pause"})[1]
    print(f"spiral: test loss {state['testLoss']:.3f} after {state['epoch']} epochs, "
          f"{time.monotonic() - started:.1f} s")


def test_an_8_layer_sigmoid_network_shows_vanishing_gradients(server):
    ratios = {}
    for activation in ("sigmoid", "relu"):
        call(server, "/api/config", {"hidden": [8] * 8, "activation": activation})
        state = call(server, "/api/action", {"action": "step"})[1]
        norms = state["layerGrads"]
        assert len(norms) == 9 and all(n > 0 for n in norms)
        ratios[activation] = norms[0] / norms[-1]
    assert ratios["sigmoid"] < 1e-4  # the first layer's gradient vanished
    assert ratios["relu"] > 1e-2


def test_the_command_prints_its_address_and_serves_the_page():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "kissgrad", "playground", "--port", "0"],
                               stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        url = re.search(r"open (http://127\.0\.0\.1:\d+/) in a browser", line).group(1)
        with urllib.request.urlopen(url, timeout=30) as answer:
            assert b"kissgrad playground" in answer.read()
    finally:
        process.terminate()
        process.wait(10)


def test_the_command_refuses_a_bad_port_and_a_taken_one(server, capsys):
    from kissgrad.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["playground", "--port", "70000"])
    assert stop.value.code == 2 and "must be a port number in [0, 65535]" in capsys.readouterr().err
    host, port = server.server_address[:2]
    assert main(["playground", "--host", host, "--port", str(port)]) == 1
    assert f"cannot serve on {host}:{port}" in capsys.readouterr().err
