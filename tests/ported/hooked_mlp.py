"""A normalised GELU classifier watched through Module hooks, trained with AdamW and a scheduler.

Forward pre-hook and forward hooks record inputs and activation statistics, full backward
hooks record gradient norms per layer, ``clip_grad_norm_`` returns the pre-clip norm, and
LayerNorm/BatchNorm1d run in train and eval modes. Written as PyTorch code.
"""


def make_model(torch, nn, F, n_in=2, hidden=16, n_out=3):
    """Linear -> LayerNorm -> GELU -> Linear -> BatchNorm1d -> GELU -> Linear."""
    return nn.Sequential(
        nn.Linear(n_in, hidden),
        nn.LayerNorm(hidden),
        nn.GELU(),
        nn.Linear(hidden, hidden),
        nn.BatchNorm1d(hidden),
        nn.GELU(approximate="tanh"),
        nn.Linear(hidden, n_out),
    )


def attach_hooks(torch, nn, model, log):
    """Register the hooks; returns their handles. ``log`` collects plain floats and tuples."""

    def pre_hook(module, args):
        log["inputs"].append(tuple(args[0].shape))

    def forward_hook(module, args, output):
        log["activations"].append((output.mean().item(), output.std().item()))

    def backward_hook(module, grad_input, grad_output):
        log["grad_out"].append(grad_output[0].norm().item())

    handles = [model.register_forward_pre_hook(pre_hook)]
    for layer in model:
        if isinstance(layer, nn.GELU):
            handles.append(layer.register_forward_hook(forward_hook))
        if isinstance(layer, nn.Linear):
            handles.append(layer.register_full_backward_hook(backward_hook))
    return handles


def make_scheduler(optim, optimizer, kind, total_steps):
    """OneCycleLR over the whole run, or LinearLR warming up over its first half."""
    if kind == "onecycle":
        return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=total_steps)
    return optim.lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=total_steps // 2)


def run(torch, nn, F, optim, data, X, y, init=None, epochs=4, batch_size=16, scheduler="onecycle",
        max_norm=1.0):
    """Train; returns (per-step losses, per-step pre-clip norms, hook log, lrs, eval loss, model)."""
    model = make_model(torch, nn, F, n_in=X.shape[1]).double()
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    loader = data.DataLoader(data.TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=batch_size)
    optimizer = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.05)
    sched = make_scheduler(optim, optimizer, scheduler, epochs * len(loader))
    log = {"inputs": [], "activations": [], "grad_out": []}
    handles = attach_hooks(torch, nn, model, log)
    losses, norms, lrs = [], [], []
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm).item())
            optimizer.step()
            sched.step()
            losses.append(loss.item())
            lrs.append(sched.get_last_lr()[0])
    for h in handles:
        h.remove()
    model.eval()
    with torch.no_grad():
        eval_loss = F.cross_entropy(model(torch.tensor(X)), torch.tensor(y)).item()
    return losses, norms, log, lrs, eval_loss, model
