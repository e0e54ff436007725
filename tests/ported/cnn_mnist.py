"""pytorch/examples' MNIST recipe, scaled down: Conv2d, max-pooling, Dropout, Adadelta, StepLR.

Written as PyTorch code; the torch-like modules come in as parameters.
"""


def make_model(torch, nn, F, dropout=0.25):
    """The network: two convolutions with pooling, dropout, two linear layers, log-softmax."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3, 1)
            self.conv2 = nn.Conv2d(4, 8, 3, 1, padding=1)
            self.dropout1 = nn.Dropout(dropout)
            self.fc1 = nn.Linear(8 * 6 * 6, 32)
            self.dropout2 = nn.Dropout(dropout / 2)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(x, 2)
            x = self.conv2(x)
            x = F.relu(x)
            x = nn.MaxPool2d(2)(x)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    return Net()


def to_dataset(torch, data, images, labels, dtype):
    """Scale uint8 digits to MNIST's normalised floats with a channel dim, as ``transforms`` would."""
    x = torch.tensor(images).to(dtype).unsqueeze(1) / 255.0
    x = (x - 0.1307) / 0.3081
    return data.TensorDataset(x, torch.tensor(labels))


def train_epoch(F, model, loader, optimizer, epoch, losses, logs, log_interval=2):
    """One pass over ``loader``; appends each step's loss and the example's log lines."""
    model.train()
    for batch_idx, (data, target) in enumerate(loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % log_interval == 0:
            logs.append("Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(
                epoch, batch_idx * len(data), len(loader.dataset), 100.0 * batch_idx / len(loader),
                loss.item()))


def evaluate(torch, F, model, loader):
    """Summed test loss per example and number correct, as the example prints them."""
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return test_loss / len(loader.dataset), correct


def run(torch, nn, F, optim, data, images, labels, init=None, epochs=3, n_train=192, n_test=64,
        batch_size=32, dtype="float64", dropout=0.25, save_path=None):
    """Train for ``epochs`` epochs, optionally save the weights to ``save_path``.

    Returns (per-step losses, per-epoch (test loss, correct), model, log lines).
    """
    dtype = getattr(torch, dtype)
    model = make_model(torch, nn, F, dropout).to(dtype)
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    test = slice(n_train, n_train + n_test)
    train_set = to_dataset(torch, data, images[:n_train], labels[:n_train], dtype)
    test_set = to_dataset(torch, data, images[test], labels[test], dtype)
    train_loader = data.DataLoader(train_set, batch_size=batch_size, shuffle=False)
    test_loader = data.DataLoader(test_set, batch_size=100)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    losses, tests, logs = [], [], []
    for epoch in range(1, epochs + 1):
        train_epoch(F, model, train_loader, optimizer, epoch, losses, logs)
        tests.append(evaluate(torch, F, model, test_loader))
        scheduler.step()
    if save_path is not None:
        torch.save(model.state_dict(), save_path)
    return losses, tests, model, logs
