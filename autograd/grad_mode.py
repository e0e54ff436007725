"""Whether operations are recorded for backward: `no_grad`, `enable_grad`, per thread."""
import functools
import threading


class _GradMode(threading.local):
    """The recording switch, one per thread as in PyTorch: a ``no_grad`` block (or a backward
    pass) in one thread never changes what another thread records. Each thread starts on."""

    enabled = True


GRAD_MODE = _GradMode()


def is_grad_enabled():
    """Return True when new operations are recorded into the graph."""
    return GRAD_MODE.enabled


class _SetGradMode:
    """Context manager and decorator that sets recording on or off, then restores it."""

    mode = True

    def __enter__(self):
        self._previous = GRAD_MODE.enabled
        GRAD_MODE.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        GRAD_MODE.enabled = self._previous
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_SetGradMode):
    """Context manager / decorator: operations inside are not recorded for backward.

    Example: ``with no_grad(): w -= lr * w.grad``
    """

    mode = False


class enable_grad(_SetGradMode):
    """Context manager / decorator: record operations again, even inside ``no_grad``."""

    mode = True


class set_grad_enabled(_SetGradMode):
    """Context manager that turns recording on or off as its argument says."""

    def __init__(self, mode):
        self.mode = bool(mode)

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class inference_mode(no_grad):
    """Context manager / decorator: as ``no_grad`` (kissgrad has no separate inference tensors).
    ``inference_mode(False)`` records as usual."""

    def __init__(self, mode=True):
        self.mode = not mode
