"""pytorch/examples' polynomial regression, twice: through nn.Linear and through raw tensors.

Features x, x^2, ..., x^d joined with ``torch.cat``; smooth-L1 and squared losses; the updates
are hand-written, once as ``param.data.add_(param.grad, alpha=-lr)`` after ``zero_grad()`` and
once as ``with torch.no_grad(): w -= lr * w.grad`` then ``w.grad.zero_()``. Written as PyTorch code.
"""

POLY_DEGREE = 4


def make_features(torch, x):
    """Columns [x, x^2, x^3, x^4] for a 1-d batch x."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def poly_desc(W, b):
    """The polynomial as text, as the example prints it."""
    result = "y = "
    for i, w in enumerate(W):
        result += "{:+.2f} x^{} ".format(w, i + 1)
    result += "{:+.2f}".format(b[0])
    return result


def target(torch, w_target, b_target):
    """The function to learn, y = x @ W + b on the features."""
    W_target = torch.tensor(w_target).view(-1, 1)
    b_target = torch.tensor(b_target)
    return lambda x: x.mm(W_target) + b_target.item()


def run_linear(torch, nn, F, xs, w_target, b_target, init=None, lr=0.1):
    """nn.Linear on the features, smooth-L1 loss, ``param.data.add_`` updates: one step per batch."""
    f = target(torch, w_target, b_target)
    fc = nn.Linear(POLY_DEGREE, 1).double()
    if init is not None:
        fc.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    losses = []
    for batch in xs:
        batch_x = make_features(torch, torch.tensor(batch))
        batch_y = f(batch_x)
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(param.grad, alpha=-lr)
        losses.append(loss)
    desc = poly_desc(fc.weight.view(-1).tolist(), fc.bias.tolist())
    return losses, desc, fc


def run_raw(torch, F, xs, w_target, b_target, w0, b0, lr=0.05):
    """Raw leaf tensors, a squared loss, updates under no_grad and in-place ``grad.zero_()``."""
    f = target(torch, w_target, b_target)
    w = torch.tensor(w0, requires_grad=True)
    b = torch.tensor(b0, requires_grad=True)
    losses = []
    for t, batch in enumerate(xs):
        x = make_features(torch, torch.tensor(batch))
        y = f(x)
        y_pred = x @ w + b
        loss = (y_pred - y).pow(2).mean() if t % 2 else F.mse_loss(y_pred, y)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        losses.append(loss.item())
    return losses, w.detach().numpy().copy(), b.detach().numpy().copy()
