"""Grad mode is per thread, as in PyTorch: no_grad in one thread, or a backward pass running in
another, never switches recording off where a trainer is building its graph."""
import threading

import numpy as np

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
    steps = 300
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
