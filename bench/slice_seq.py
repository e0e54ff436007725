"""slice_seq: a recurrent net written by hand, as a course notebook does: a tanh RNN cell applied
to ``x[:, t]`` for t = 1..T (batch-first input, batch 32, 64 -> 128), a loss on every step's
hidden state, backward, SGD(lr=0.1); sequence 50, 100 and 200 (a sweep, one row each).

It shows that a slice's backward costs what the slice is, not what ``x`` is: the engine adds
each ``x[:, t]``'s gradient into one buffer for ``x``, so the time grows linearly with T, as
PyTorch's. (Before, each slice's backward built a zero array of all of ``x``: T of them.)
kissgrad and PyTorch run the very same code; there is no NumPy floor (rnn_charlm has one).
"""
import numpy as np

from .common import framework, uniform_init

SWEEP = {"seq50": 50, "seq100": 100, "seq200": 200}
QUICK_SWEEP = ("seq50", "seq100")
GROWTH = ("seq50", "seq200", 4.0)  # the driver prints seq200 over seq50: linear growth gives 4
BATCH, INPUT, HIDDEN, LR = 32, 64, 128, 0.1
QUICK_SHORTER = 5
STEPS, QUICK_STEPS = 3, 1
UNIT = "ms per step"


def steps_count(quick, point=None):
    """Training steps per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def _arrays(quick, seq, seed=0):
    """Weights and one input batch per step, float32."""
    rng = np.random.default_rng(seed)
    seq = seq // QUICK_SHORTER if quick else seq
    weights = [uniform_init(rng, HIDDEN, (INPUT, HIDDEN)), uniform_init(rng, HIDDEN, (HIDDEN, HIDDEN)),
               uniform_init(rng, HIDDEN, (HIDDEN,))]
    inputs = [rng.standard_normal((BATCH, seq, INPUT)).astype(np.float32)
              for _ in range(steps_count(quick))]
    return weights, inputs


def _loop(fw, quick, seq):
    """The training loop written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    arrays, inputs = _arrays(quick, seq)
    weights = [fw.tensor(a, requires_grad=True) for a in arrays]
    w_x, w_h, b = weights
    opt = fw.optim.SGD(weights, lr=LR)

    def run():
        for batch in inputs:
            x = fw.from_numpy(batch)
            h, loss = fw.zeros(BATCH, HIDDEN), 0.0
            for t in range(x.shape[1]):
                h = (x[:, t] @ w_x + h @ w_h + b).tanh()
                loss = loss + (h * h).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            last = loss.item()
        return last

    return run


def kissgrad(quick=False, point="seq50"):
    """kissgrad through its public API (``kissgrad`` as ``torch``)."""
    return _loop(framework("kissgrad"), quick, SWEEP[point])


def pytorch(quick=False, point="seq50"):
    """PyTorch CPU, the same code."""
    return _loop(framework("pytorch"), quick, SWEEP[point])


ENGINES = {"kissgrad": kissgrad, "pytorch": pytorch}
