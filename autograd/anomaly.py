"""Anomaly mode: stop at the root cause of a NaN or an infinity.

Inside ``detect_anomaly()``, every op checks its output as it runs: the first one (in
execution order) that turns finite inputs into a non-finite output raises at once, naming the
op, the line of the user's code that called it and the ranges of its inputs. Each recorded
node also remembers that line, so in backward the first rule that turns a finite gradient
into a non-finite one raises naming its op and the line of its forward. PyTorch's anomaly
mode points at the last backward node instead, and lets a NaN loss pass.

When it is off nothing of it runs in forward: turning it on swaps the hot paths that
``Tensor`` and ``Value`` registered (``watch_apply``, ``watch_operator``) for checking
wrappers, and turning it off puts the originals back; backward tests one flag per node.
"""
import functools
import linecache
import os
import sys
import weakref

import numpy as np


class _AnomalyMode:
    """Whether anomaly detection is on (one switch for the process, as PyTorch's)."""

    enabled = False
    check_nan = True


ANOMALY = _AnomalyMode()
_SITES = {}  # id(node) -> (weak reference to the node, "file:line: code") while the mode is on

_HERE = os.path.dirname(os.path.abspath(__file__))
_LIBRARY = tuple(os.path.join(os.path.dirname(_HERE), name) + os.sep
                 for name in ("autograd", "nn", "optim", "kissgrad"))


def is_anomaly_enabled():
    """True inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``)."""
    return ANOMALY.enabled


class set_detect_anomaly:
    """Turn anomaly detection on or off now; as a context manager, restore it on exit."""

    def __init__(self, mode, check_nan=True):
        self._previous = (ANOMALY.enabled, ANOMALY.check_nan)
        _switch(bool(mode), bool(check_nan))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        _switch(*self._previous)
        return False


_ORIGINALS = []  # (class, name, original function) while the mode is on
_WATCHED = []  # (class, method name, wrapper maker): the hot paths the mode checks


def watch_apply(cls):
    """Have the mode check every op ``cls._apply`` runs (Tensor and Value call this)."""
    _WATCHED.append((cls, "_apply", _checked_apply))


def watch_operator(cls, name, op):
    """Have the mode check operator ``name`` of ``cls``, a fast path that skips ``_apply``."""
    _WATCHED.append((cls, name, lambda operator: _checked_operator(op, operator)))


def _switch(enabled, check_nan):
    """Turn the mode on (wrappers in place) or off (originals back, sites forgotten)."""
    ANOMALY.check_nan = check_nan
    if enabled and not ANOMALY.enabled:
        for cls, name, wrap in _WATCHED:
            _swap(cls, name, wrap(cls.__dict__[name]))
    elif not enabled and ANOMALY.enabled:
        for cls, name, original in reversed(_ORIGINALS):
            setattr(cls, name, original)
        _ORIGINALS.clear()
        _SITES.clear()
    ANOMALY.enabled = enabled


def _swap(cls, name, replacement):
    _ORIGINALS.append((cls, name, cls.__dict__[name]))
    setattr(cls, name, replacement)


def _checked_apply(apply):
    def checked_apply(self, op, args, params):
        return _checked(op, args, apply(self, op, args, params))
    return checked_apply


def _checked_operator(op, operator):
    def checked_operator(self, other):
        return _checked(op, (self, other), operator(self, other))
    checked_operator.__name__ = operator.__name__
    return checked_operator


def _checked(op, args, out):
    site = check_forward(op, args, out.raw)
    if out.op is not None:
        remember_site(out, site)
    return out


class detect_anomaly:
    """Context manager / decorator: raise at the first op or backward rule that makes a NaN or
    an infinity out of finite numbers, naming it and your line of code.

    Example::

        with kissgrad.autograd.detect_anomaly():
            y = (x - 2).sqrt().sqrt()   # RuntimeError: 'sqrt' ... at this line
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._mode = set_detect_anomaly(True, self.check_nan)
        return self

    def __exit__(self, *exc_info):
        return self._mode.__exit__(*exc_info)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


def user_site():
    """``file:line: code`` of the innermost frame outside kissgrad's own packages."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    filename, line = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, line).strip()
    return f"{filename}:{line}: {code}" if code else f"{filename}:{line}"


def _nonfinite(data):
    return int(np.size(data) - np.count_nonzero(np.isfinite(data)))


def _range(data):
    data = np.asarray(data)
    if data.size == 0:
        return f"shape {data.shape} (empty)"
    finite = data[np.isfinite(data)] if data.dtype.kind == "f" else data
    span = f"[{finite.min():.4g}, {finite.max():.4g}]" if finite.size else "no finite values"
    bad = _nonfinite(data) if data.dtype.kind == "f" else 0
    return f"shape {data.shape} in {span}" + (f", {bad} nan/inf" if bad else "")


def check_forward(op, args, data):
    """The user's line for a new node of ``op``; raise if ``data`` is the first non-finite."""
    site = user_site()
    if ANOMALY.check_nan and _is_float(data) and _nonfinite(data):
        inputs = [np.asarray(getattr(a, "raw", a)) for a in args]
        if not any(_is_float(x) and _nonfinite(x) for x in inputs):
            inputs = "; ".join(f"input {i}: {_range(x)}" for i, x in enumerate(inputs))
            raise RuntimeError(f"detect_anomaly: '{op.name}' made {_nonfinite(data)} nan/inf value(s) "
                               f"of {np.size(data)} from finite inputs, at\n  {site}\n  {inputs}")
    return site


def _is_float(data):
    return isinstance(data, float) or getattr(data, "dtype", np.dtype(int)).kind == "f"


def remember_site(node, site):
    """Keep the line that made ``node``, for a backward anomaly there."""
    _SITES[id(node)] = (weakref.ref(node), site)


def _site_of(node):
    entry = _SITES.get(id(node))
    return entry[1] if entry is not None and entry[0]() is node else "<made outside detect_anomaly>"


def check_backward(node, g, grads):
    """Raise if ``node``'s backward rule made a non-finite gradient out of a finite one."""
    if not ANOMALY.check_nan or _nonfinite(getattr(g, "raw", g)):
        return
    for i, (parent, grad) in enumerate(zip(node.parents, grads)):
        raw = getattr(grad, "raw", grad)
        if grad is not None and parent.requires_grad and _nonfinite(raw):
            raise RuntimeError(f"detect_anomaly: the backward of '{node.op.name}' made "
                               f"{_nonfinite(raw)} nan/inf value(s) in the gradient of its input {i} "
                               f"from a finite gradient; its forward ran at\n  {_site_of(node)}\n  "
                               f"input {i}: {_range(parent.raw)}")
