"""A character-level LSTM language model with truncated backpropagation through time.

Embedding -> 2-layer LSTM (sequence-first, PyTorch's default layout) -> Linear, cross-entropy
over every step, the hidden state carried across batches and detached (as pytorch/examples'
word_language_model does), gradient clipping, Adam. Written as PyTorch code.
"""

TEXT = (
    "the quick brown fox jumps over the lazy dog. a stitch in time saves nine. "
    "all that glitters is not gold. the early bird catches the worm. "
)


def make_model(torch, nn, F, vocab_size, emb=8, hidden=16, layers=2):
    """Embedding, LSTM and decoder; forward takes (seq, batch) ids and the carried hidden state."""

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(vocab_size, emb)
            self.rnn = nn.LSTM(emb, hidden, num_layers=layers)
            self.decoder = nn.Linear(hidden, vocab_size)

        def forward(self, input, hidden):
            output, hidden = self.rnn(self.encoder(input), hidden)
            return self.decoder(output), hidden

        def init_hidden(self, bsz):
            weight = next(self.parameters())
            return (weight.new_zeros(layers, bsz, hidden), weight.new_zeros(layers, bsz, hidden))

    return CharLM()


def batchify(torch, text, bsz):
    """Encode ``text`` and lay it out as (length, bsz) columns, as the word-LM example does."""
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    nbatch = ids.size(0) // bsz
    ids = ids.narrow(0, 0, nbatch * bsz)
    return ids.view(bsz, -1).t().contiguous(), len(chars)


def get_batch(source, i, bptt):
    """Inputs from row i and the next-character targets, flattened for cross_entropy."""
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def repackage_hidden(h):
    """Detach the carried state from the previous batch's graph."""
    if isinstance(h, tuple):
        return tuple(repackage_hidden(v) for v in h)
    return h.detach()


def run(torch, nn, F, optim, data, init=None, steps=30, bsz=4, bptt=8, clip=0.25, lr=0.01,
        dtype="float64"):
    """Train for ``steps`` batches; returns (per-step losses, per-step clipped norms, model)."""
    source, vocab = batchify(torch, TEXT, bsz)
    model = make_model(torch, nn, F, vocab).to(getattr(torch, dtype))
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()
    hidden = model.init_hidden(bsz)
    losses, norms, i = [], [], 0
    for _ in range(steps):
        if i >= source.size(0) - 2:
            i, hidden = 0, model.init_hidden(bsz)
        inputs, targets = get_batch(source, i, bptt)
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(inputs, hidden)
        loss = F.cross_entropy(output.view(-1, vocab), targets)
        loss.backward()
        norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), clip)))
        optimizer.step()
        losses.append(loss.item())
        i += bptt
    return losses, norms, model
