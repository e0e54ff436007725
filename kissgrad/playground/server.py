"""The playground's web server: the standard library's ``ThreadingHTTPServer``, one
``Session`` per browser tab, each trained by its own worker thread, and server-sent events
that stream the session's snapshot to the page at a steady rate.

Routes (``ID``: the tab's session id, letters, digits, ``-`` and ``_``):

- ``GET /``: the page (one HTML document, its CSS and script inline: it works offline);
- ``GET /api/options``: the choices the page offers (datasets, features, ...) and the
  shared gradient colour scale;
- ``GET /api/events?session=ID``: server-sent events, one ``data:`` JSON snapshot per event;
- ``GET /api/state?session=ID``: the latest snapshot, once;
- ``POST /api/config?session=ID`` with a JSON object of settings: applies them (400 and
  ``{"error": message}`` for a refused value, nothing changed);
- ``POST /api/action?session=ID`` with ``{"action": "play"|"pause"|"step"|"reset"|"reseed"}``.

A session with nobody listening and no request for ``grace`` seconds pauses; after
``idle_timeout`` seconds it is dropped. A session id the server does not know (after a
restart, or a reload after the session was dropped) gets a fresh session.
"""
import html
import json
import os
import re
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from autograd.viz import scale

from . import datasets
from .model import (
    ACTIVATIONS,
    DEFAULTS,
    MAX_LAYERS,
    MAX_NEURONS,
    OPTIMIZERS,
    REGULARIZATIONS,
    ConfigError,
    Trainer,
)

__all__ = ["Session", "PlaygroundServer", "make_server", "serve", "options", "page"]

RATE = 10.0             # snapshots per second while training
HEARTBEAT = 15.0        # seconds between keep-alive comments on an idle event stream
MAX_BODY = 64 * 1024    # bytes of a POST body
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ACTIONS = ("play", "pause", "step", "reset", "reseed")
_HERE = os.path.dirname(os.path.abspath(__file__))


class RequestError(Exception):
    """A request the server refuses: an HTTP status and a message for the page."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Session:
    """One tab's trainer and its worker thread; every access to the trainer holds ``lock``.

    ``version`` counts published snapshots; ``changed`` (a Condition on ``lock``) wakes the
    event streams when one is published and the worker when ``playing`` turns on.
    """

    def __init__(self, session_id, grace):
        self.id, self.grace = session_id, grace
        self.trainer = Trainer()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.playing, self.closed, self.listeners = False, False, 0
        self.last_seen = time.monotonic()
        self.version, self.snapshot = 0, None
        with self.changed:
            self._publish()
        self.worker = threading.Thread(target=self._work, name=f"playground-{session_id}",
                                       daemon=True)
        self.worker.start()

    def _publish(self):
        """Encode the trainer's snapshot and wake the streams (the caller holds the lock)."""
        snapshot = self.trainer.snapshot()
        snapshot.update(session=self.id, playing=self.playing)
        self.snapshot = json.dumps(snapshot, separators=(",", ":"), allow_nan=False)
        self.version += 1
        self.changed.notify_all()

    def _unattended(self):
        return self.listeners == 0 and time.monotonic() - self.last_seen > self.grace

    def _work(self):
        """The worker: while playing, train epochs for one snapshot period, then publish."""
        while True:
            with self.changed:
                while not self.closed and not self.playing:
                    self.changed.wait()
                if self.closed:
                    return
                if self._unattended():
                    self.playing = False
                    self._publish()
                    continue
                self._train_for(1.0 / RATE)
                self._publish()
            time.sleep(0.002)  # let a waiting request take the lock between periods

    def _train_for(self, seconds):
        started = time.monotonic()
        try:
            while time.monotonic() - started < seconds:
                if not self.trainer.epoch():
                    self.playing = False
                    return
        except Exception as error:  # a bug must not kill the worker: show it, stop playing
            traceback.print_exc()
            self.trainer.error = f"training stopped: {type(error).__name__}: {error}"
            self.playing = False

    def configure(self, changes):
        """Apply settings (ConfigError changes nothing) and publish; returns the snapshot."""
        with self.changed:
            self.last_seen = time.monotonic()
            self.trainer.configure(changes)
            self._publish()
            return self.snapshot

    def act(self, action):
        """Play, pause, one epoch (``step``), ``reset`` or ``reseed``; returns the snapshot."""
        if action not in ACTIONS:
            raise ConfigError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        with self.changed:
            self.last_seen = time.monotonic()
            if action in ("play", "pause"):
                self.playing = action == "play" and not self.trainer.error
            elif action == "step":
                self.playing = False
                self.trainer.epoch()
            else:
                getattr(self.trainer, action)()
            self._publish()
            return self.snapshot

    def close(self):
        """Stop the worker (the session is then dropped)."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()


class PlaygroundServer(ThreadingHTTPServer):
    """The HTTP server with its sessions; ``close_sessions`` stops their workers."""

    daemon_threads = True  # an open event stream must not keep the program from exiting

    def __init__(self, address, max_sessions=32, idle_timeout=600.0, grace=30.0):
        self.sessions, self.sessions_lock = {}, threading.Lock()  # before binding, which may fail
        super().__init__(address, Handler)
        self.max_sessions, self.idle_timeout, self.grace = max_sessions, idle_timeout, grace
        self.page = page()
        self.options = json.dumps(options())

    @property
    def url(self):
        """The page's address, ``http://host:port/``."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def session(self, session_id):
        """The session of ``session_id``, created if new; RequestError if the id is bad or
        the server is full."""
        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
            raise RequestError(400, f"session must be 1-64 letters, digits, - or _, "
                                    f"got {session_id!r}")
        with self.sessions_lock:
            self._drop_idle()
            if session_id not in self.sessions:
                if len(self.sessions) >= self.max_sessions:
                    raise RequestError(503, f"the playground already serves {self.max_sessions} "
                                            f"tabs: close one, or wait {self.idle_timeout:.0f} s")
                self.sessions[session_id] = Session(session_id, self.grace)
            return self.sessions[session_id]

    def _drop_idle(self):
        now = time.monotonic()
        for key, session in list(self.sessions.items()):
            if session.listeners == 0 and now - session.last_seen > self.idle_timeout:
                session.close()
                del self.sessions[key]

    def close_sessions(self):
        """Stop every session's worker."""
        with self.sessions_lock:
            for session in self.sessions.values():
                session.close()
            self.sessions.clear()

    def server_close(self):
        """Close the socket and stop the workers."""
        super().server_close()
        self.close_sessions()


class Handler(BaseHTTPRequestHandler):
    """The routes of the module docstring; every refusal is JSON ``{"error": message}``."""

    server_version = "kissgrad-playground"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        """Quiet: a request log line per snapshot would drown the terminal."""

    def do_GET(self):  # noqa: N802 (the base class's name)
        """Serve the page, the options, one snapshot or the event stream."""
        self._answer(self._get)

    def do_POST(self):  # noqa: N802
        """Apply settings or an action."""
        self._answer(self._post)

    def _answer(self, route):
        try:
            route(urlsplit(self.path))
        except RequestError as error:
            self._send(error.status, {"error": str(error)})
        except ConfigError as error:
            self._send(400, {"error": str(error)})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tab went away mid-answer
        except Exception as error:  # a bug answers 500 and is printed; the server goes on
            traceback.print_exc(file=sys.stderr)
            self._send(500, {"error": f"internal error: {type(error).__name__}: {error}"})

    def _session(self, url):
        return self.server.session(parse_qs(url.query).get("session", [None])[0])

    def _get(self, url):
        if url.path in ("/", "/index.html"):
            self._send(200, self.server.page.encode("utf-8"), "text/html; charset=utf-8")
        elif url.path == "/favicon.ico":  # browsers ask for one: answer "none" quietly
            self._send(204, b"", "image/x-icon")
        elif url.path == "/api/options":
            self._send(200, self.server.options.encode("utf-8"))
        elif url.path == "/api/state":
            session = self._session(url)
            with session.lock:
                session.last_seen = time.monotonic()
                self._send(200, session.snapshot.encode("utf-8"))
        elif url.path == "/api/events":
            self._stream(self._session(url))
        else:
            raise RequestError(404, f"no such page: {url.path}")

    def _post(self, url):
        body = self._body()
        if url.path == "/api/config":
            snapshot = self._session(url).configure(body)
        elif url.path == "/api/action":
            if not isinstance(body, dict) or "action" not in body:
                raise RequestError(400, f'expected {{"action": ...}}, got {body!r}')
            snapshot = self._session(url).act(body["action"])
        else:
            raise RequestError(404, f"no such page: {url.path}")
        self._send(200, snapshot.encode("utf-8"))

    def _body(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise RequestError(400, "Content-Length must be an integer") from None
        if not 0 <= length <= MAX_BODY:
            raise RequestError(413, f"a request body must be at most {MAX_BODY} bytes, got {length}")
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError as error:
            raise RequestError(400, f"the request body is not valid JSON: {error}") from None

    def _send(self, status, body, content_type="application/json"):
        if isinstance(body, dict):
            body = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self, session):
        """Send each new snapshot as an event until the tab closes (a write then fails)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        seen = 0
        with session.changed:
            session.listeners += 1
        try:
            while not session.closed:
                with session.changed:
                    session.changed.wait_for(lambda: session.version != seen or session.closed,
                                             HEARTBEAT)
                    fresh = session.version != seen
                    seen, snapshot = session.version, session.snapshot
                    session.last_seen = time.monotonic()
                self.wfile.write(b"data: " + snapshot.encode("utf-8") + b"\n\n" if fresh
                                 else b": keep-alive\n\n")
                self.wfile.flush()
        finally:
            with session.changed:
                session.listeners -= 1
                session.last_seen = time.monotonic()


def options():
    """The choices the page offers, the defaults, and the shared gradient colour scale."""
    return {"datasets": list(datasets.DATASETS), "classification": list(datasets.CLASSIFICATION),
            "features": list(datasets.FEATURES), "activations": list(ACTIVATIONS),
            "optimizers": list(OPTIMIZERS), "regularizations": list(REGULARIZATIONS),
            "maxLayers": MAX_LAYERS, "maxNeurons": MAX_NEURONS, "defaults": DEFAULTS,
            "extent": datasets.EXTENT, **scale.page_fields()}


def _asset(name):
    with open(os.path.join(_HERE, name), encoding="utf-8") as fh:
        return fh.read()


def page():
    """The whole page as a string: ``page.html`` with ``page.css``, the options and
    ``page.js`` inline (no file or address outside it is fetched but the API's)."""
    data = json.dumps(options(), separators=(",", ":")).replace("</", "<\\/")
    return (_asset("page.html").replace("/*TITLE*/", html.escape("kissgrad playground"))
            .replace("/*CSS*/", _asset("page.css")).replace("/*DATA*/", data)
            .replace("/*JS*/", scale.script() + _asset("page.js")))


def make_server(host="127.0.0.1", port=8000, **kwargs):
    """A ``PlaygroundServer`` bound to ``(host, port)`` (port 0: any free port), not yet
    serving: call ``serve_forever`` (in a thread for tests), then ``shutdown``."""
    return PlaygroundServer((host, port), **kwargs)


def serve(host="127.0.0.1", port=8000, out=sys.stdout):
    """Serve the playground until Ctrl-C, printing its address first."""
    server = make_server(host, port)
    print(f"kissgrad playground: open {server.url} in a browser (Ctrl-C stops it)",
          file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
