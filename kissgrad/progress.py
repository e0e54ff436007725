"""What a training run shows and how Ctrl-C meets it: a progress bar per epoch only on a
terminal, and interrupts held while an epoch's files are committed."""
import contextlib
import signal
import threading

from tqdm import tqdm


class Progress:
    """Wraps an iterable in a tqdm bar per epoch (or in nothing when progress is off)."""

    def __init__(self, enabled, epoch, epochs):
        self.enabled, self.epoch, self.epochs, self.bar = enabled, epoch, epochs, None

    def __call__(self, iterable):
        if not self.enabled:
            return iterable
        self.bar = tqdm(iterable, desc=f"epoch {self.epoch}/{self.epochs}", leave=True,
                        dynamic_ncols=True)
        return self.bar

    def set_postfix(self, **values):
        """Show ``values`` after the bar (nothing without a bar)."""
        if self.bar is not None:
            self.bar.set_postfix(**values)


def is_terminal(stream):
    """Whether ``stream`` is a terminal: progress bars there, never into a log file or pipe."""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or already closed
        return False


@contextlib.contextmanager
def interrupts_deferred():
    """Hold a Ctrl-C that arrives inside the block until it ends, so an epoch is committed
    whole (best model, checkpoint, history agree); only where Python's own handler is set."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
