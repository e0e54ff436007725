"""A small all-convolutional digit classifier in the ResNet/MobileNet idiom.

Conv2d with padding="same", a grouped (depthwise) and a dilated convolution, BatchNorm2d,
Dropout2d, AdaptiveAvgPool2d, a residual connection, nesterov SGD with weight decay and
MultiStepLR; evaluation in eval mode (running statistics). Written as PyTorch code.
"""


def make_model(torch, nn, F, width=8, dropout=0.1):
    """Stem convolution, one depthwise-separable residual block, a dilated convolution, head."""

    class Block(nn.Module):
        """Depthwise 3x3 then pointwise 1x1, each followed by BatchNorm, with a skip."""

        def __init__(self, c):
            super().__init__()
            self.depthwise = nn.Conv2d(c, c, 3, padding="same", groups=c, bias=False)
            self.bn1 = nn.BatchNorm2d(c)
            self.pointwise = nn.Conv2d(c, c, kernel_size=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c)

        def forward(self, x):
            out = F.relu(self.bn1(self.depthwise(x)))
            out = self.bn2(self.pointwise(out))
            return F.relu(out + x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv2d(1, width, kernel_size=3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
            )
            self.block = Block(width)
            self.dilated = nn.Conv2d(width, 2 * width, 3, dilation=2, padding=2)
            self.drop = nn.Dropout2d(dropout)
            self.pool = nn.AdaptiveAvgPool2d((3, 3))
            self.head = nn.Linear(2 * width * 9, 10)

        def forward(self, x):
            x = self.block(self.stem(x))
            x = self.drop(F.relu(self.dilated(x)))
            x = F.avg_pool2d(x, 2)
            x = self.pool(x).flatten(1)
            return self.head(x)

    return Net()


def run(torch, nn, F, optim, data, images, labels, init=None, epochs=3, n_train=256, n_test=64,
        batch_size=32, dropout=0.1):
    """Train; returns (per-step losses, per-epoch eval (loss, correct), lrs, model)."""
    model = make_model(torch, nn, F, dropout=dropout).double()
    if init is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    x = torch.tensor(images).double().div(255.0).unsqueeze(1)
    y = torch.tensor(labels)
    train = data.TensorDataset(x[:n_train], y[:n_train])
    test_x, test_y = x[n_train:n_train + n_test], y[n_train:n_train + n_test]
    loader = data.DataLoader(train, batch_size=batch_size, drop_last=True)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.5)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    losses, evals, lrs = [], [], []
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
        model.eval()
        with torch.no_grad():
            logits = model(test_x)
            evals.append((F.cross_entropy(logits, test_y).item(), (logits.argmax(1) == test_y).sum().item()))
    return losses, evals, lrs, model
