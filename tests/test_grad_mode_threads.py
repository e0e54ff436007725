"""Grad mode is per thread, as in PyTorch: no_grad in one thread, or a backward pass running in
another, never switches recording off where a trainer is building its graph."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import autograd
from autograd import Tensor, no_grad


def test_a_new_thread_records_even_inside_no_grad():
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append(autograd.is_grad_enabled()))
        thread.start()
        thread.join()
        assert not autograd.is_grad_enabled()
    assert seen == [True] and autograd.is_grad_enabled()


def _train(w, steps, barrier):
    x = Tensor(np.linspace(-1, 1, 8))
    barrier.wait()
    for _ in range(steps):
        loss = ((x * w - x * 2) ** 2).sum()
        loss.backward()
        with no_grad():
            w -= 0.01 * w.grad
        w.grad = None


def _evaluate(w, steps, barrier, flags):
    barrier.wait()
    for _ in range(steps):
        with no_grad():
            flags.append((w * 3).requires_grad)


def test_trainers_beside_a_no_grad_evaluator_match_sequential_runs():
    steps = 1000
    alone = Tensor(np.array(0.5), requires_grad=True)
    _train(alone, steps, threading.Barrier(1))
    weights = [Tensor(np.array(0.5), requires_grad=True) for _ in range(2)]
    flags = []
    barrier = threading.Barrier(3)
    threads = [threading.Thread(target=_train, args=(w, steps, barrier)) for w in weights]
    threads.append(threading.Thread(target=_evaluate, args=(weights[0], steps, barrier, flags)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not any(flags)  # the evaluator never recorded
    for w in weights:
        assert w.item() == alone.item()


_FIRST_KERNEL_CALLS = """
import threading
import numpy as np
import autograd.kernels._backend as backend
import kissgrad as kg
import kissgrad.nn.functional as F

assert backend.HAVE_NUMBA, "this check needs the Numba kernels"
barrier, errors = threading.Barrier(4), []

def first_call():
    x = kg.randn(2, 3, 8, 8, requires_grad=True)
    w = kg.randn(4, 3, 3, 3, requires_grad=True)
    barrier.wait()
    try:
        F.max_pool2d(F.conv2d(x, w, padding=1), 2).sum().backward()
    except Exception as error:  # reported below, with its message
        errors.append(repr(error))

threads = [threading.Thread(target=first_call) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors
print("ok")
"""


def test_first_kernel_calls_from_four_threads_at_once_compile_once():
    pytest.importorskip("numba", reason="numba is not installed: the NumPy kernels need no compiling")
    run = subprocess.run([sys.executable, "-c", _FIRST_KERNEL_CALLS], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "KISSGRAD_KERNELS": "numba"})
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
