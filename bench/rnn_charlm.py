"""rnn_charlm: a character language model: Embedding(65,64), RNN(64->128, tanh, batch_first),
Linear(128,65) on every step's output, softmax cross-entropy over all 50 x 32 positions,
backward, SGD(lr=0.1); sequence 50, batch 32.

One repetition is a short training loop of 3 steps (with ``--quick`` 1 step, sequence 10)
over 3 different batches of a fixed random 65-symbol text (inputs and next-symbol targets), each turned into
tensors with ``from_numpy`` that step, with ``loss.item()`` read every step; the table
reports time per step. kissgrad and PyTorch run the very same model and loop code; the NumPy
floor is the same step by hand (one GEMM for all steps' input projections, backpropagation
through time, the embedding gradient as a one-hot GEMM). ``rnn_seq`` reruns it at
sequence 50, 100 and 200.
"""
import numpy as np

from .common import copy_weights, floor_loop, framework, uniform_init

SEQ, BATCH, VOCAB, EMBED, HIDDEN, LR = 50, 32, 65, 64, 128, 0.1
QUICK_SHORTER = 5  # --quick divides the sequence length by this
STEPS, QUICK_STEPS = 3, 1
UNIT = "ms per step"


def steps_count(quick):
    """Training steps per repetition, which the driver divides the time by."""
    return QUICK_STEPS if quick else STEPS


def initial_weights(seed=0):
    """{name: array} in PyTorch's parameter order and layout, PyTorch's default init."""
    rng = np.random.default_rng(seed)
    return {"embed.weight": rng.standard_normal((VOCAB, EMBED)).astype(np.float32),
            "rnn.weight_ih_l0": uniform_init(rng, HIDDEN, (HIDDEN, EMBED)),
            "rnn.weight_hh_l0": uniform_init(rng, HIDDEN, (HIDDEN, HIDDEN)),
            "rnn.bias_ih_l0": uniform_init(rng, HIDDEN, (HIDDEN,)),
            "rnn.bias_hh_l0": uniform_init(rng, HIDDEN, (HIDDEN,)),
            "head.weight": uniform_init(rng, HIDDEN, (VOCAB, HIDDEN)),
            "head.bias": uniform_init(rng, HIDDEN, (VOCAB,))}


def sequence_length(quick, seq):
    """The length a run uses: ``seq``, or a fifth of it with ``--quick``."""
    return seq // QUICK_SHORTER if quick else seq


def _data(quick, seq, seed=1):
    """[(ids (32, seq) int64, next ids (32, seq) int64)], one per step of a repetition."""
    rng = np.random.default_rng(seed)
    seq = sequence_length(quick, seq)
    batches = []
    for _ in range(steps_count(quick)):
        text = rng.integers(0, VOCAB, (BATCH, seq + 1))
        batches.append((text[:, :-1].copy(), text[:, 1:].copy()))
    return batches


def _torch_shaped(fw, quick, seq):
    """The training loop written once against PyTorch's API: ``fw`` is kissgrad or torch."""
    nn = fw.nn

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.rnn = nn.RNN(EMBED, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, VOCAB)

        def forward(self, ids):
            out, _ = self.rnn(self.embed(ids))
            return self.head(out)

    model = CharLM()
    copy_weights(fw, model, initial_weights())
    opt = fw.optim.SGD(model.parameters(), lr=LR)
    batches = _data(quick, seq)

    def run():
        for ids, targets in batches:
            logits = model(fw.from_numpy(ids))
            loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB),
                                               fw.from_numpy(targets).reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            last = loss.item()
        return last

    return run


def kissgrad(quick=False, seq=SEQ):
    """kissgrad through its public API: kg.nn.Embedding, RNN, Linear, cross_entropy, SGD."""
    return _torch_shaped(framework("kissgrad"), quick, seq)


def pytorch(quick=False, seq=SEQ):
    """PyTorch CPU, the same model, loss, optimiser and loop."""
    return _torch_shaped(framework("pytorch"), quick, seq)


def numpy_floor(quick=False, seq=SEQ):
    """The same steps by hand in NumPy, time-major inside: no graph, no checks (the floor)."""
    weights = {k: v.copy() for k, v in initial_weights().items()}
    embed, w_ih, w_hh, b_ih, b_hh, w_out, b_out = weights.values()
    batches = _data(quick, seq)
    seq = sequence_length(quick, seq)
    hiddens = np.zeros((seq + 1, BATCH, HIDDEN), np.float32)  # h_0 = 0
    da = np.empty((seq, BATCH, HIDDEN), np.float32)
    one_hot = np.eye(VOCAB, dtype=np.float32)
    positions = np.arange(seq * BATCH)

    def step(ids, targets):
        ids, targets = ids.T.reshape(-1), targets.T.reshape(-1)  # time-major rows
        x = embed[ids]
        pre = (x @ w_ih.T + (b_ih + b_hh)).reshape(seq, BATCH, HIDDEN)
        for t in range(seq):
            np.tanh(pre[t] + hiddens[t] @ w_hh.T, out=hiddens[t + 1])
        out = hiddens[1:].reshape(seq * BATCH, HIDDEN)
        z = out @ w_out.T + b_out
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        total = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(total[:, 0]) - z[positions, targets]))
        dz = e / total
        dz[positions, targets] -= 1
        dz /= len(targets)
        dout = (dz @ w_out).reshape(seq, BATCH, HIDDEN)
        dh = np.zeros((BATCH, HIDDEN), np.float32)
        for t in reversed(range(seq)):
            np.multiply(dout[t] + dh, 1 - hiddens[t + 1] ** 2, out=da[t])
            dh = da[t] @ w_hh
        flat = da.reshape(seq * BATCH, HIDDEN)
        gb = flat.sum(0)
        grads = [one_hot[ids].T @ (flat @ w_ih), flat.T @ x,
                 flat.T @ hiddens[:seq].reshape(seq * BATCH, HIDDEN), gb, gb,
                 dz.T @ out, dz.sum(0)]
        for w, gw in zip(weights.values(), grads):
            w -= LR * gw
        return loss

    return floor_loop(step, batches)


ENGINES = {"kissgrad": kissgrad, "numpy": numpy_floor, "pytorch": pytorch}
