"""Forecast the next value of noisy sine waves with a batch-first GRU.

GRU (two layers, ``batch_first=True``) over windows, the last step's output into a Linear
head, MSELoss, NAdam with CosineAnnealingLR, and a closed-loop forecast under no_grad where
the model feeds its own predictions back with ``torch.cat``. Written as PyTorch code.
"""


def make_model(torch, nn, F, hidden=12):
    """GRU encoder and a Linear head on its last output; forward returns (prediction, h)."""

    class Forecaster(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(input_size=1, hidden_size=hidden, num_layers=2, batch_first=True)
            self.head = nn.Linear(hidden, 1)

        def forward(self, x, h=None):
            out, h = self.gru(x, h)
            return self.head(out[:, -1, :]), h

    return Forecaster()


def windows(torch, series, width):
    """(inputs, targets): every ``width``-long window of each row and the value after it."""
    xs = [series[:, i:i + width] for i in range(series.shape[1] - width)]
    ys = [series[:, i + width] for i in range(series.shape[1] - width)]
    return torch.cat(xs, 0).unsqueeze(-1), torch.cat(ys, 0).unsqueeze(-1)


def forecast(torch, model, seed, horizon):
    """Predict ``horizon`` values past ``seed`` (batch, width, 1), feeding predictions back."""
    model.eval()
    x, preds = seed, []
    with torch.no_grad():
        for _ in range(horizon):
            y, _ = model(x)
            preds.append(y)
            x = torch.cat([x[:, 1:], y.unsqueeze(1)], dim=1)
    return torch.stack(preds, dim=1).squeeze(-1)


def run(torch, nn, F, optim, data, series, init=None, epochs=4, width=10, batch_size=32, horizon=5):
    """Train; returns (per-step losses, lrs, closed-loop forecast as a nested list, model)."""
    model = make_model(torch, nn, F).double()
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    series = torch.tensor(series)
    x, y = windows(torch, series[:, :-horizon], width)
    loader = data.DataLoader(data.TensorDataset(x, y), batch_size=batch_size, shuffle=False)
    optimizer = optim.NAdam(model.parameters(), lr=0.02)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * len(loader))
    loss_fn = nn.MSELoss()
    losses, lrs = [], []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            pred, _ = model(xb)
            loss = loss_fn(pred, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
    seed = series[:, -horizon - width:-horizon].unsqueeze(-1)
    return losses, lrs, forecast(torch, model, seed, horizon).tolist(), model
