"""lstm_step: LSTM(32->128), sequence 35, batch 32 (sequence-first, PyTorch's default), a
Linear(128,10) head on the last step's output, softmax cross-entropy, backward, SGD(lr=0.1).

One repetition is a short training loop of 5 steps (with ``--quick`` 1 step, sequence 10)
over 5 different batches of random inputs and labels, each turned into tensors with ``from_numpy`` that step,
with ``loss.item()`` read every step; the table reports time per step. kissgrad and PyTorch
run the very same model and loop code; the NumPy floor is the same step by hand (one GEMM
for every step's input projection, gates updated in place, backpropagation through time).
"""
import numpy as np

from .common import classifier_loop, copy_weights, floor_loop, framework, uniform_init

SEQ, QUICK_SEQ, BATCH, INPUT, HIDDEN, CLASSES, LR = 35, 10, 32, 32, 128, 10, 0.1
STEPS, QUICK_STEPS = 5, 1
UNIT = "ms per step"


def steps_count(quick):
    """Training steps per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def initial_weights(seed=0):
    """{name: array} in PyTorch's parameter order and layout, PyTorch's default init."""
    rng = np.random.default_rng(seed)
    gates = 4 * HIDDEN
    return {"lstm.weight_ih_l0": uniform_init(rng, HIDDEN, (gates, INPUT)),
            "lstm.weight_hh_l0": uniform_init(rng, HIDDEN, (gates, HIDDEN)),
            "lstm.bias_ih_l0": uniform_init(rng, HIDDEN, (gates,)),
            "lstm.bias_hh_l0": uniform_init(rng, HIDDEN, (gates,)),
            "head.weight": uniform_init(rng, HIDDEN, (CLASSES, HIDDEN)),
            "head.bias": uniform_init(rng, HIDDEN, (CLASSES,))}


def _data(quick, seed=1):
    """[(x (35, 32, 32) float32, y (32,) int64)], one per step of a repetition."""
    rng = np.random.default_rng(seed)
    seq = QUICK_SEQ if quick else SEQ
    return [(rng.standard_normal((seq, BATCH, INPUT)).astype(np.float32),
             rng.integers(0, CLASSES, BATCH)) for _ in range(steps_count(quick))]


def _torch_shaped(fw, quick):
    """The training loop written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    nn = fw.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(INPUT, HIDDEN)
            self.head = nn.Linear(HIDDEN, CLASSES)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[-1])

    model = Net()
    copy_weights(fw, model, initial_weights())
    opt = fw.optim.SGD(model.parameters(), lr=LR)
    batches = _data(quick)

    return classifier_loop(fw, model, opt, batches)


def kissgrad(quick=False):
    """kissgrad through its public API: kg.nn.LSTM, kg.nn.Linear, cross_entropy, kg.optim.SGD."""
    return _torch_shaped(framework("kissgrad"), quick)


def pytorch(quick=False):
    """PyTorch CPU, the same model, loss, optimiser and loop."""
    return _torch_shaped(framework("pytorch"), quick)


def _sigmoid(z, out):
    """Overflow-free logistic function into ``out``: 0.5 * (1 + tanh(z / 2))."""
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def numpy_floor(quick=False):
    """The same steps by hand in NumPy: no graph, no checks (the floor)."""
    weights = {k: v.copy() for k, v in initial_weights().items()}
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = weights.values()
    batches = _data(quick)
    h_, seq = HIDDEN, len(batches[0][0])
    gates = np.empty((seq, BATCH, 4 * h_), np.float32)  # activated i, f, g, o
    cells = np.zeros((seq + 1, BATCH, h_), np.float32)  # c_0 = 0
    hiddens = np.zeros((seq + 1, BATCH, h_), np.float32)  # h_0 = 0
    tanh_c = np.empty((seq, BATCH, h_), np.float32)
    dz = np.empty((seq, BATCH, 4 * h_), np.float32)
    rows = np.arange(BATCH)

    def forward(x):
        pre = (x.reshape(seq * BATCH, INPUT) @ w_ih.T + (b_ih + b_hh)).reshape(seq, BATCH, -1)
        for t in range(seq):
            z = pre[t] + hiddens[t] @ w_hh.T
            a = gates[t]
            _sigmoid(z[:, :2 * h_], a[:, :2 * h_])
            np.tanh(z[:, 2 * h_:3 * h_], out=a[:, 2 * h_:3 * h_])
            _sigmoid(z[:, 3 * h_:], a[:, 3 * h_:])
            i, f, g, o = a[:, :h_], a[:, h_:2 * h_], a[:, 2 * h_:3 * h_], a[:, 3 * h_:]
            np.add(f * cells[t], i * g, out=cells[t + 1])
            np.tanh(cells[t + 1], out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hiddens[t + 1])

    def backward(dh):
        dc = np.zeros((BATCH, h_), np.float32)
        for t in reversed(range(seq)):
            a = gates[t]
            i, f, g, o = a[:, :h_], a[:, h_:2 * h_], a[:, 2 * h_:3 * h_], a[:, 3 * h_:]
            dc += dh * o * (1 - tanh_c[t] ** 2)
            d = dz[t]
            d[:, :h_] = dc * g * i * (1 - i)
            d[:, h_:2 * h_] = dc * cells[t] * f * (1 - f)
            d[:, 2 * h_:3 * h_] = dc * i * (1 - g * g)
            d[:, 3 * h_:] = dh * tanh_c[t] * o * (1 - o)
            dc *= f
            dh = d @ w_hh
        flat = dz.reshape(seq * BATCH, -1)
        return flat, hiddens[:seq].reshape(seq * BATCH, h_)

    def step(x, y):
        forward(x)
        last = hiddens[seq]
        z = last @ w_out.T + b_out
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - z[rows, y]))
        dlogits = e / total
        dlogits[rows, y] -= 1
        dlogits /= BATCH
        flat, previous = backward(dlogits @ w_out)
        grads = [flat.T @ x.reshape(seq * BATCH, INPUT), flat.T @ previous, flat.sum(0)]
        grads += [grads[2], dlogits.T @ last, dlogits.sum(0)]
        for w, gw in zip(weights.values(), grads):
            w -= LR * gw
        return loss

    return floor_loop(step, batches)


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
