"""makemore part 2 (Bengio et al. 2003 MLP) on a handful of names, with a hand-written SGD loop.

An embedding table indexed by context windows, a tanh hidden layer, cross-entropy, updates
through ``p.data``, and sampling with ``torch.multinomial``. Written as PyTorch code.
"""

WORDS = [
    "emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia", "harper", "evelyn",
    "abigail", "emily", "elizabeth", "mila", "ella", "avery", "sofia", "camila", "aria", "scarlett",
    "liam", "noah", "oliver", "elijah", "william", "james", "benjamin", "lucas", "henry", "alexander",
]
BLOCK_SIZE = 3
SHAPES = {"C": (27, 10), "W1": (30, 64), "b1": (64,), "W2": (64, 27), "b2": (27,)}


def vocabulary():
    """stoi and itos: '.' is 0, the letters 1..26."""
    chars = sorted(set("".join(WORDS)) | set("abcdefghijklmnopqrstuvwxyz"))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    return stoi, {i: s for s, i in stoi.items()}


def build_dataset(torch, words, stoi):
    """Every (previous BLOCK_SIZE characters, next character) pair of ``words``."""
    X, Y = [], []
    for w in words:
        context = [0] * BLOCK_SIZE
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def init_parameters(torch, init, g):
    """Random parameters from generator ``g``, or the given arrays (to start two libraries alike)."""
    if init is not None:
        return [torch.tensor(init[name]) for name in SHAPES]
    C = torch.randn((27, 10), generator=g)
    W1 = torch.randn((30, 64), generator=g) * (5 / 3) / 30 ** 0.5
    b1 = torch.randn(64, generator=g) * 0.01
    W2 = torch.randn((64, 27), generator=g) * 0.1
    b2 = torch.randn(27, generator=g) * 0
    return [C, W1, b1, W2, b2]


def forward(torch, F, parameters, X, Y):
    """Mean cross-entropy of the next character given the contexts X."""
    C, W1, b1, W2, b2 = parameters
    emb = C[X]
    h = torch.tanh(emb.view(-1, BLOCK_SIZE * 10) @ W1 + b1)
    logits = h @ W2 + b2
    return F.cross_entropy(logits, Y)


def sample(torch, F, parameters, itos, count=5, max_len=20, seed=2147483647 + 10):
    """Names drawn one character at a time from the trained model."""
    C, W1, b1, W2, b2 = parameters
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(count):
        out, context = [], [0] * BLOCK_SIZE
        for _ in range(max_len):
            emb = C[torch.tensor([context])]
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, replacement=True, generator=g).item()
            context = context[1:] + [ix]
            out.append(ix)
            if ix == 0:
                break
        names.append("".join(itos[i] for i in out))
    return names


def run(torch, F, init=None, batches=None, steps=40, batch_size=32, seed=2147483647, samples=0):
    """Minibatch SGD; ``batches`` (lists of row indices) replaces ``torch.randint`` when given.

    Returns (per-step losses, full-data loss after training, sampled names, parameters, parameter count).
    """
    stoi, itos = vocabulary()
    Xtr, Ytr = build_dataset(torch, WORDS, stoi)
    g = torch.Generator().manual_seed(seed)
    parameters = init_parameters(torch, init, g)
    n_params = sum(p.nelement() for p in parameters)
    for p in parameters:
        p.requires_grad = True
    lossi = []
    for i in range(steps):
        if batches is None:
            ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        else:
            ix = torch.tensor(batches[i])
        loss = forward(torch, F, parameters, Xtr[ix], Ytr[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps // 2 else 0.05
        for p in parameters:
            p.data += -lr * p.grad
        lossi.append(loss.item())
    with torch.no_grad():
        final = forward(torch, F, parameters, Xtr, Ytr).item()
    names = sample(torch, F, parameters, itos, count=samples) if samples else []
    return lossi, final, names, parameters, n_params
