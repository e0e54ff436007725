"""Fit a line y = w*x + b to noisy samples of y = 3x + 2 by gradient descent.

The smallest complete use of kissgrad: two leaf tensors, a loss, backward, and an
update done under no_grad so the update itself is not recorded in the graph.

    python examples/fit_line.py
"""

import numpy as np

import autograd
from autograd import Tensor

TRUE_W, TRUE_B = 3.0, 2.0
STEPS, LR = 200, 0.1


def main():
    rng = np.random.default_rng(0)
    x_np = rng.uniform(-1.0, 1.0, size=100).astype(np.float32)
    y_np = (TRUE_W * x_np + TRUE_B + 0.1 * rng.standard_normal(100)).astype(np.float32)
    x, y = Tensor(x_np), Tensor(y_np)

    w = Tensor(0.0, requires_grad=True)
    b = Tensor(0.0, requires_grad=True)

    for step in range(STEPS):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with autograd.no_grad():  # the update is not part of the model
            w.data -= LR * w.grad.data
            b.data -= LR * b.grad.data
        w.grad = None  # gradients accumulate: clear them before the next backward
        b.grad = None
        if step % 20 == 0 or step == STEPS - 1:
            print(f"step {step:3d}  loss {loss.item():.5f}")

    print(f"fitted w = {w.item():.3f}, b = {b.item():.3f}  (true w = {TRUE_W}, b = {TRUE_B})")


if __name__ == "__main__":
    main()
