"""Write the lesson notebooks (notebooks/*.ipynb) from the cells held below.

Run ``python notebooks/_build.py`` after editing a cell. The notebooks are written
without outputs, with fixed cell ids, so a rebuild changes only what was edited;
``tests/test_notebooks.py`` executes them top to bottom. Markdown cells teach, code
cells use the library as a user would, and every fact a lesson states is asserted.
"""
import pathlib
import textwrap

import nbformat

HERE = pathlib.Path(__file__).resolve().parent


def md(text):
    """A markdown cell."""
    return ("markdown", textwrap.dedent(text).strip("\n"))


def code(*parts):
    """A code cell: the parts, each dedented, one after the other."""
    return ("code", "\n\n".join(textwrap.dedent(part).strip("\n") for part in parts))


# Shared by every lesson that draws a graph: inline SVG needs Graphviz's `dot`; without
# it the lesson still runs and shows the start of the DOT text.
SHOW_GRAPH = r'''
import shutil

from IPython.display import display


def show_graph(graph):
    """Display a draw_graph result inline (SVG), or its DOT source when `dot` is missing."""
    if shutil.which("dot"):
        display(graph)
    else:
        print("Graphviz's `dot` is not installed, so here is the start of the DOT source:")
        print(graph.source[:1500])
'''

# ------------------------------------------------------------------------------------
# 1. Gradient descent
# ------------------------------------------------------------------------------------

NB01 = [
    md(r"""
    # 1. Gradient descent: fitting $y = wx + b$

    Training a model means choosing its parameters so that a **loss** is small. Here the
    model is a line $\hat y = wx + b$ and the loss is the mean squared error over the
    $n$ training points:

    $$L(w, b) = \frac{1}{n}\sum_{i=1}^{n} \big(w x_i + b - y_i\big)^2 .$$

    Gradient descent repeats three steps:

    1. start from some $(w^0, b^0)$;
    2. compute the gradient at the current point,
       $\nabla L = \big(\tfrac{\partial L}{\partial w}, \tfrac{\partial L}{\partial b}\big)$;
    3. step against it: $w^{t+1} = w^t - \eta\,\tfrac{\partial L}{\partial w}$,
       $b^{t+1} = b^t - \eta\,\tfrac{\partial L}{\partial b}$.

    The **learning rate** $\eta$ decides how far each step goes. This lesson lets
    kissgrad's autograd compute the gradient and shows what happens when $\eta$ is too
    small, about right, and too large.
    """),
    code(r"""
    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    from autograd import Tensor, no_grad
    from autograd.functional import hessian

    autograd.manual_seed(0)
    rng = np.random.default_rng(0)

    n = 30
    x_data = rng.uniform(0.0, 2.0, n)                              # inputs in [0, 2]
    y_data = 3.0 * x_data - 1.0 + rng.normal(0.0, 0.3, n)         # the true line: w = 3, b = -1
    x, y = Tensor(x_data), Tensor(y_data)                          # float64 arrays stay float64

    w_best, b_best = np.polyfit(x_data, y_data, 1)                 # least squares, for reference
    print(f"least-squares line: w = {w_best:.3f}, b = {b_best:.3f}")

    plt.figure(figsize=(4.5, 3))
    plt.scatter(x_data, y_data, s=15, label="data")
    plt.plot([0, 2], [b_best, 2 * w_best + b_best], "k--", label="least squares")
    plt.xlabel("x")
    plt.ylabel("y")
    plt.legend()
    plt.title("the training data")
    plt.tight_layout()
    """),
    md(r"""
    ## One gradient, by the engine and by hand

    `w` and `b` are Tensors with `requires_grad=True`. Computing the loss records a graph;
    `loss.backward()` walks it backwards and leaves $\partial L/\partial w$ in `w.grad`.
    By hand, with the residual $r_i = w x_i + b - y_i$:

    $$\frac{\partial L}{\partial w} = \frac{2}{n}\sum_i r_i x_i, \qquad
      \frac{\partial L}{\partial b} = \frac{2}{n}\sum_i r_i .$$
    """),
    code(r"""
    def mse(w, b):
        return ((w * x + b - y) ** 2).mean()

    w = Tensor(-1.0, dtype=np.float64, requires_grad=True)
    b = Tensor(4.0, dtype=np.float64, requires_grad=True)
    loss = mse(w, b)
    loss.backward()

    r = -1.0 * x_data + 4.0 - y_data
    by_hand = (2 * np.mean(r * x_data), 2 * np.mean(r))
    print(f"loss {loss.item():.4f}")
    print(f"engine : dL/dw = {w.grad.item():.6f}, dL/db = {b.grad.item():.6f}")
    print(f"by hand: dL/dw = {by_hand[0]:.6f}, dL/db = {by_hand[1]:.6f}")
    assert np.allclose([w.grad.item(), b.grad.item()], by_hand)
    """),
    md(r"""
    ## How large may the learning rate be?

    This loss is a quadratic bowl, so its curvature is the same everywhere: the Hessian
    $H = \frac{2}{n}\begin{pmatrix}\sum x_i^2 & \sum x_i\\ \sum x_i & n\end{pmatrix}$.
    Along an eigenvector of $H$ with eigenvalue $\lambda$, one step multiplies the
    distance to the minimum by $(1 - \eta\lambda)$. Gradient descent therefore converges
    only if $|1 - \eta\lambda| < 1$ for every eigenvalue, that is

    $$\eta < \frac{2}{\lambda_{\max}} .$$

    `autograd.functional.hessian` computes $H$ by differentiating twice.
    """),
    code(r"""
    H = hessian(lambda p: mse(p[0], p[1]), Tensor([0.0, 0.0], dtype=np.float64)).numpy()
    H_by_hand = 2 * np.array([[np.mean(x_data ** 2), np.mean(x_data)], [np.mean(x_data), 1.0]])
    assert np.allclose(H, H_by_hand)

    eigenvalues = np.linalg.eigvalsh(H)
    eta_max = 2 / eigenvalues.max()
    print("Hessian:\n", H.round(3))
    print(f"eigenvalues {eigenvalues.round(3)}: learning rates above {eta_max:.3f} diverge")
    """),
    md(r"""
    ## Too small, about right, too large

    The same loop runs three times; only $\eta$ changes. The update happens under
    `no_grad()` (it is not part of the model), and `zero_grad()` clears the gradient,
    which would otherwise accumulate from one `backward()` to the next.
    """),
    code(r"""
    def descend(lr, steps=60, start=(-1.0, 4.0)):
        '''Gradient descent on mse from start; returns the (w, b) path and the losses.'''
        w = Tensor(start[0], dtype=np.float64, requires_grad=True)
        b = Tensor(start[1], dtype=np.float64, requires_grad=True)
        path, losses = [start], []
        for _ in range(steps):
            loss = mse(w, b)
            losses.append(loss.item())
            w.zero_grad()
            b.zero_grad()
            loss.backward()
            with no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            path.append((w.item(), b.item()))
        losses.append(mse(w, b).item())
        return np.array(path), np.array(losses)

    rates = {"too small": 0.05 * eta_max, "about right": 0.9 * eta_max, "too large": 1.1 * eta_max}
    runs = {name: descend(lr) for name, lr in rates.items()}
    for name, (path, losses) in runs.items():
        print(f"{name:>11}: lr {rates[name]:.3f}  loss {losses[0]:.3f} -> {losses[-1]:.4g}  "
              f"(w, b) = ({path[-1][0]:.3f}, {path[-1][1]:.3f})")
    """),
    code(r"""
    best_loss = mse(Tensor(w_best), Tensor(b_best)).item()
    small, right, large = (runs[k][1] for k in rates)

    # about right: lands on the least-squares solution
    assert np.allclose(runs["about right"][0][-1], [w_best, b_best], atol=1e-2)
    assert right[-1] < best_loss + 1e-4
    # too small: still far from it after the same number of steps
    assert small[-1] > best_loss + 10 * (right[-1] - best_loss) and small[-1] > 1.5 * best_loss
    # too large: after a few steps that still help along the flat direction,
    # the steep direction takes over and every step makes things worse
    assert large[-1] > 1000 * large[0] and np.all(np.diff(large[20:]) > 0)
    """),
    md(r"""
    ## The loss surface and the path taken

    The contours of $L(w, b)$ are ellipses, stretched along the direction of small
    curvature. A small $\eta$ crawls down the slope; a good one reaches the bottom in a
    few zig-zags. One above $2/\lambda_{\max}$ still makes progress along the flat
    direction for a few steps (the loss dips), then overshoots further and further along
    the steep one (only its first 25 steps are drawn).
    The surface itself is computed with Tensors too: broadcasting a grid of $(w, b)$
    against the data evaluates every point at once.
    """),
    code(r"""
    W, B = np.meshgrid(np.linspace(-2, 7, 120), np.linspace(-5, 6, 120))
    surface = ((Tensor(W[..., None]) * x + Tensor(B[..., None]) - y) ** 2).mean(axis=-1).numpy()

    fig, axes = plt.subplots(1, 4, figsize=(17, 4))
    for ax, (name, (path, losses)) in zip(axes, runs.items()):
        ax.contour(W, B, surface, levels=np.geomspace(0.05, 60, 18), cmap="viridis", linewidths=0.8)
        shown = path[:25] if name == "too large" else path
        ax.plot(shown[:, 0], shown[:, 1], "o-", color="crimson", ms=3, lw=1)
        ax.plot(w_best, b_best, "k*", ms=12)
        ax.set(xlim=(-2, 7), ylim=(-5, 6), xlabel="w", ylabel="b",
               title=f"{name}: lr = {rates[name]:.3f}")
    for name, (path, losses) in runs.items():
        axes[3].semilogy(losses, label=name)
    axes[3].set(xlabel="step", ylabel="loss", title="loss per step")
    axes[3].legend()
    fig.tight_layout()
    """),
    md(r"""
    ## Stochastic gradient descent

    The full gradient averages over every training example. **Stochastic** (mini-batch)
    gradient descent estimates it from a few examples at a time, so it takes many
    cheap, noisy steps per pass over the data (an *epoch*). `nn.data.DataLoader`
    shuffles the data and hands out the mini-batches. With a constant learning rate
    the path keeps jittering around the minimum instead of settling on it.
    """),
    code(r"""
    from nn.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(x_data, y_data), batch_size=5, shuffle=True)
    w = Tensor(-1.0, dtype=np.float64, requires_grad=True)
    b = Tensor(4.0, dtype=np.float64, requires_grad=True)
    sgd_path = [(-1.0, 4.0)]
    for epoch in range(15):
        for xb, yb in loader:
            loss = ((w * xb + b - yb) ** 2).mean()       # the loss of this mini-batch only
            w.zero_grad()
            b.zero_grad()
            loss.backward()
            with no_grad():
                w -= 0.1 * w.grad
                b -= 0.1 * b.grad
            sgd_path.append((w.item(), b.item()))
    sgd_path = np.array(sgd_path)
    print(f"{len(loader)} updates per epoch, {len(sgd_path) - 1} in all; "
          f"full-data loss now {mse(w, b).item():.4f} (minimum {best_loss:.4f})")
    assert mse(w, b).item() < 1.5 * best_loss

    plt.figure(figsize=(5, 4))
    plt.contour(W, B, surface, levels=np.geomspace(0.05, 60, 18), cmap="viridis", linewidths=0.8)
    plt.plot(sgd_path[:, 0], sgd_path[:, 1], ".-", color="crimson", ms=2, lw=0.6)
    plt.plot(w_best, b_best, "k*", ms=12)
    plt.xlabel("w")
    plt.ylabel("b")
    plt.title("mini-batch SGD (batch 5, lr 0.1)")
    plt.tight_layout()
    """),
    md(r"""
    ## What to remember

    * The gradient points uphill; gradient descent steps the other way, $\eta$ at a time.
    * $\eta$ too small: slow. $\eta$ too large (here above $2/\lambda_{\max}$): divergence.
    * Mini-batches make each step cheap but noisy.
    * Elongated contours (very different curvatures) force a small $\eta$ for the steep
      direction and make progress slow along the flat one; lesson 4's optimizers adapt
      the step per parameter, and lesson 6 rescales the features to make the bowl round.
    """),
]


# ------------------------------------------------------------------------------------
# 2. Backprop by hand
# ------------------------------------------------------------------------------------

NB02 = [
    md(r"""
    # 2. Backpropagation by hand

    A neural network is a chain of simple functions. Backpropagation is the chain rule
    applied to that chain, from the loss back to every weight, computing each
    intermediate result only once. This lesson does it by hand on small networks, with every number
    printed, and checks each result against kissgrad's engine.

    Notation (as in the lecture): $w^l_{jk}$ is the weight of layer $l$ from input $k$
    to neuron $j$; neuron $j$ of layer $l$ computes $z^l_j = \sum_k w^l_{jk} a^{l-1}_k$
    and outputs $a^l_j = \sigma(z^l_j)$ with the sigmoid

    $$\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = \sigma(z)\,\big(1 - \sigma(z)\big).$$

    The weight layout $w_{jk}$ (output, input) is also `nn.Linear.weight`'s.
    """),
    code(r"""
    import numpy as np

    import autograd
    import nn
    from autograd import Tensor, Value, no_grad
    from autograd.viz import draw_graph

    autograd.manual_seed(0)
    """),
    code(SHOW_GRAPH),
    md(r"""
    ## One neuron: the NAND gate

    A neuron with weights $w_1, w_2$, bias $b$ and a threshold outputs 1 when
    $x_1 w_1 + x_2 w_2 + b > 0$. With $w_1 = w_2 = -2$, $b = 3$ it computes NAND:
    """),
    code(r"""
    rows = [(0, 0), (0, 1), (1, 0), (1, 1)]
    nand = [1, 1, 1, 0]

    def threshold_neuron(x1, x2, w1=-2.0, w2=-2.0, b=3.0):
        return int(x1 * w1 + x2 * w2 + b > 0)

    for (x1, x2), target in zip(rows, nand):
        print(f"x = ({x1}, {x2}) -> {threshold_neuron(x1, x2)}   NAND: {target}")
    assert [threshold_neuron(*r) for r in rows] == nand
    """),
    md(r"""
    A threshold is flat everywhere except at the jump, so its derivative is 0 (or
    undefined): it gives gradient descent nothing to follow. Replacing it by the sigmoid
    makes the neuron differentiable, and then the weights can be **learned**. With one
    neuron $a = \sigma(z)$, $z = w_1 x_1 + w_2 x_2 + b$ and the loss $L = \frac12 (a - y)^2$,
    the chain rule gives

    $$\frac{\partial L}{\partial w_1} = \underbrace{(a - y)}_{\partial L/\partial a}\;
      \underbrace{\sigma'(z)}_{\partial a/\partial z}\; \underbrace{x_1}_{\partial z/\partial w_1}.$$

    `Value` is kissgrad's scalar node (micrograd-style): every number remembers how it
    was computed, and `backward()` fills in `.grad` for each one.
    """),
    code(r"""
    w1, w2, b = Value(0.0), Value(0.0), Value(0.0)        # start knowing nothing
    for step in range(500):
        loss = sum(((w1 * x1 + w2 * x2 + b).sigmoid() - y) ** 2 for (x1, x2), y in zip(rows, nand)) * 0.5
        w1.grad = w2.grad = b.grad = 0.0
        loss.backward()
        for p in (w1, w2, b):
            p.data -= 2.0 * p.grad                       # gradient descent, learning rate 2
        if step in (0, 499):
            print(f"step {step}: loss {loss.data:.4f}")

    learned = [(w1 * x1 + w2 * x2 + b).sigmoid().data for x1, x2 in rows]
    print(f"w1 = {w1.data:.2f}, w2 = {w2.data:.2f}, b = {b.data:.2f}")
    print("outputs:", np.round(learned, 3))
    assert [int(a > 0.5) for a in learned] == nand
    """),
    md(r"""
    ## A forward pass through a network

    Stacking neurons gives a network $f(x) = \sigma\big(W^3 \sigma(W^2 \sigma(W^1 x + b^1) + b^2) + b^3\big)$.
    With the weights of the lecture's example, $f\big((1, -1)\big) = (0.62, 0.83)$ and
    $f\big((0, 0)\big) = (0.51, 0.85)$. The same network in `nn`, with the weights loaded as
    a state dict:
    """),
    code(r"""
    lecture_net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid(),
                                nn.Linear(2, 2), nn.Sigmoid())
    lecture_net.load_state_dict({
        "0.weight": np.array([[1.0, -2.0], [-1.0, 1.0]]), "0.bias": np.array([1.0, 0.0]),
        "2.weight": np.array([[2.0, -1.0], [-2.0, -1.0]]), "2.bias": np.array([0.0, 0.0]),
        "4.weight": np.array([[3.0, -1.0], [-1.0, 4.0]]), "4.bias": np.array([-2.0, 2.0]),
    })
    out = lecture_net(Tensor([[1.0, -1.0], [0.0, 0.0]])).numpy()
    print(out.round(2))
    assert np.allclose(out.round(2), [[0.62, 0.83], [0.51, 0.85]])
    """),
    md(r"""
    ## A 2-2-1 network, by hand

    Two inputs, two sigmoid hidden neurons, one sigmoid output, no biases (they would
    not change the derivation), and the loss $L = \frac12(\hat y - y)^2$:

    $$z^1_j = w^1_{j1} x_1 + w^1_{j2} x_2,\quad a^1_j = \sigma(z^1_j),\qquad
      z^2 = w^2_{11} a^1_1 + w^2_{12} a^1_2,\quad \hat y = \sigma(z^2).$$

    First the forward pass, number by number, with `Value`s:
    """),
    code(r"""
    x1, x2, y = Value(1.0, requires_grad=False), Value(0.5, requires_grad=False), 1.0
    w1_11, w1_12, w1_21, w1_22 = Value(0.5), Value(-0.4), Value(0.3), Value(0.8)
    w2_11, w2_12 = Value(0.9), Value(-0.6)

    z1_1 = w1_11 * x1 + w1_12 * x2
    z1_2 = w1_21 * x1 + w1_22 * x2
    a1_1, a1_2 = z1_1.sigmoid(), z1_2.sigmoid()
    z2 = w2_11 * a1_1 + w2_12 * a1_2
    y_hat = z2.sigmoid()
    L = 0.5 * (y_hat - y) ** 2

    for name, v in [("z1_1", z1_1), ("z1_2", z1_2), ("a1_1", a1_1), ("a1_2", a1_2),
                    ("z2", z2), ("y_hat", y_hat), ("L", L)]:
        print(f"{name:>6} = {v.data:.6f}")
    """),
    md(r"""
    Now $\partial L / \partial w^1_{11}$. The weight reaches the loss along one path,
    $w^1_{11} \to z^1_1 \to a^1_1 \to z^2 \to \hat y \to L$, so the chain rule multiplies
    one local derivative per link:

    $$\frac{\partial L}{\partial w^1_{11}} =
      \underbrace{(\hat y - y)}_{\partial L/\partial \hat y}\;
      \underbrace{\hat y (1 - \hat y)}_{\partial \hat y/\partial z^2}\;
      \underbrace{w^2_{11}}_{\partial z^2/\partial a^1_1}\;
      \underbrace{a^1_1 (1 - a^1_1)}_{\partial a^1_1/\partial z^1_1}\;
      \underbrace{x_1}_{\partial z^1_1/\partial w^1_{11}} .$$
    """),
    code(r"""
    dL_dyhat = y_hat.data - y
    dyhat_dz2 = y_hat.data * (1 - y_hat.data)
    dz2_da1 = w2_11.data
    da1_dz1 = a1_1.data * (1 - a1_1.data)
    dz1_dw = x1.data

    steps = [("dL/dy_hat = y_hat - y", dL_dyhat), ("dy_hat/dz2 = y_hat (1 - y_hat)", dyhat_dz2),
             ("dz2/da1_1 = w2_11", dz2_da1), ("da1_1/dz1_1 = a1_1 (1 - a1_1)", da1_dz1),
             ("dz1_1/dw1_11 = x1", dz1_dw)]
    by_hand, running = 1.0, []
    for text, factor in steps:
        by_hand *= factor
        print(f"{text:<32} = {factor:+.6f}    product so far {by_hand:+.8f}")

    with autograd.viz.record_grads():     # also keep every intermediate gradient, for the drawing
        L.backward()
    print(f"\nby hand: dL/dw1_11 = {by_hand:+.10f}")
    print(f"engine : dL/dw1_11 = {w1_11.grad:+.10f}")
    assert abs(w1_11.grad - by_hand) < 1e-12
    """),
    md(r"""
    The engine did exactly this, for every weight at once: after `L.backward()` each
    weight holds $\partial L / \partial w$ in `.grad`. Run inside
    `autograd.viz.record_grads()`, backward also records the gradient that reached every
    intermediate node, and `autograd.viz.draw_graph` shows them all: each box is a number
    with its data and its gradient $\partial L/\partial(\text{box})$ (bold boxes are the
    weights, dashed ones the inputs, the double border the loss), each ellipse an
    operation. Follow the path from $w^1_{11}$ to $L$: the gradients on it are the
    running products printed above, read from right to left. Colours encode the size of
    the gradient on a log scale (legend at the top).
    """),
    code(r"""
    show_graph(draw_graph(L))
    """),
    md(r"""
    ## All the weights at once: the backward pass

    Backpropagation organises the same products so that nothing is computed twice.
    Write $\delta = \partial L / \partial z$ for each neuron's input. Then, going backwards,

    $$\delta^2 = (\hat y - y)\,\sigma'(z^2), \qquad
      \delta^1_j = \sigma'(z^1_j)\; w^2_{1j}\, \delta^2, \qquad
      \frac{\partial L}{\partial w^l_{jk}} = \delta^l_j\, a^{l-1}_k .$$

    In matrix form $\delta^1 = \sigma'(z^1) \odot (W^{2\top} \delta^2)$ and
    $\partial L/\partial W^l = \delta^l\, (a^{l-1})^\top$. Below, the same network built
    from `nn.Linear` layers (in float64) is checked against these formulas.
    """),
    code(r"""
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Sigmoid(),
                        nn.Linear(2, 1, bias=False), nn.Sigmoid()).double()
    net.load_state_dict({"0.weight": np.array([[0.5, -0.4], [0.3, 0.8]]),
                         "2.weight": np.array([[0.9, -0.6]])})
    x = np.array([1.0, 0.5])
    loss = 0.5 * ((net(Tensor(x[None, :])) - 1.0) ** 2).sum()
    loss.backward()

    # the backward pass by hand, in NumPy
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    W1, W2 = net[0].weight.numpy(), net[2].weight.numpy()
    z1 = W1 @ x
    a1 = sigmoid(z1)
    z2 = W2 @ a1
    out = sigmoid(z2)
    delta2 = (out - 1.0) * out * (1 - out)
    delta1 = a1 * (1 - a1) * (W2.T @ delta2)
    dW2, dW1 = np.outer(delta2, a1), np.outer(delta1, x)

    print("dL/dW1 by hand:\n", dW1, "\ndL/dW1 engine:\n", net[0].weight.grad.numpy())
    print("dL/dW2 by hand:", dW2, "  engine:", net[2].weight.grad.numpy())
    assert np.allclose(net[0].weight.grad.numpy(), dW1) and np.allclose(net[2].weight.grad.numpy(), dW2)
    assert np.isclose(dW1[0, 0], by_hand)        # the same number as the step-by-step chain
    """),
    md(r"""
    With `model=net`, `draw_graph` names the parameters as `named_parameters()` does and
    groups each layer's operations into a box. A Tensor node shows its shape and dtype
    and the size of its gradient.
    """),
    code(r"""
    show_graph(draw_graph(loss, model=net))
    """),
    md(r"""
    ## One layer deeper: a sum over paths

    The lecture's network has two hidden layers (2-2-2-1) and a linear output
    $\hat y = z^3$. Now $w^1_{11}$ reaches the output through **both** neurons of layer 2,
    and the chain rule adds the two paths:

    $$\frac{\partial L}{\partial w^1_{11}} = (\hat y - y)
      \Big[\sum_{i=1}^{2} w^3_{1i}\, \sigma'(z^2_i)\, w^2_{i1}\Big]\, \sigma'(z^1_1)\, x_1 .$$

    Each factor has a source: $(\hat y - y)$ comes from the loss, the $w$'s from the
    initialisation, and the $\sigma'$'s from the activation function. Since
    $\sigma'(z) \le \frac14$, every sigmoid layer shrinks the gradient by at least 4:
    lesson 5 shows where that leads.
    """),
    code(r"""
    deep = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Sigmoid(), nn.Linear(2, 2, bias=False),
                         nn.Sigmoid(), nn.Linear(2, 1, bias=False)).double()
    deep.load_state_dict({"0.weight": np.array([[0.5, -0.4], [0.3, 0.8]]),
                          "2.weight": np.array([[0.7, -0.2], [-0.5, 0.6]]),
                          "4.weight": np.array([[1.1, -0.9]])})
    loss = 0.5 * ((deep(Tensor(x[None, :])) - 1.0) ** 2).sum()
    loss.backward()

    W1, W2, W3 = (deep[i].weight.numpy() for i in (0, 2, 4))
    z1 = W1 @ x
    a1 = sigmoid(z1)
    z2 = W2 @ a1
    a2 = sigmoid(z2)
    y_hat = (W3 @ a2)[0]

    def d_sigma(z):
        return sigmoid(z) * (1 - sigmoid(z))

    paths = [W3[0, i] * d_sigma(z2[i]) * W2[i, 0] for i in range(2)]
    formula = (y_hat - 1.0) * sum(paths) * d_sigma(z1[0]) * x[0]
    print(f"path through a2_1: {paths[0]:+.6f}, through a2_2: {paths[1]:+.6f}")
    print(f"formula: {formula:+.10f}   engine: {deep[0].weight.grad.numpy()[0, 0]:+.10f}")
    assert np.isclose(deep[0].weight.grad.numpy()[0, 0], formula, rtol=1e-12, atol=0)
    """),
    md(r"""
    ## And then a step downhill

    The gradient tells every weight which way to move. One gradient-descent step with
    a small learning rate lowers the loss, as it must:
    """),
    code(r"""
    before = loss.item()
    with no_grad():
        for p in deep.parameters():
            p -= 0.5 * p.grad
    after = (0.5 * ((deep(Tensor(x[None, :])) - 1.0) ** 2).sum()).item()
    print(f"loss {before:.6f} -> {after:.6f}")
    assert after < before
    """),
    md(r"""
    ## What to remember

    * The chain rule multiplies local derivatives along a path, and adds over paths.
    * Backpropagation computes $\delta = \partial L/\partial z$ layer by layer from the
      output, then every weight's gradient is $\delta \times$ (the input it multiplies).
    * Each sigmoid contributes a factor $\sigma'(z) \le \frac14$.
    """),
]

# ------------------------------------------------------------------------------------
# 3. Losses and softmax
# ------------------------------------------------------------------------------------

NB03 = [
    md(r"""
    # 3. Losses and softmax

    A loss turns "how wrong is the model?" into one number that gradient descent can
    lower. The common ones, for predictions $\hat y$ and targets $y$ over $n$ values:

    | loss | formula | used for |
    |---|---|---|
    | mean squared error | $\mathrm{MSE} = \frac1n \sum_i (y_i - \hat y_i)^2$ | regression |
    | mean absolute error | $\mathrm{MAE} = \frac1n \sum_i \lvert y_i - \hat y_i \rvert$ | robust regression |
    | cross-entropy | $H(y, \hat y) = -\sum_k y_k \log \hat y_k$ | classification, with softmax |

    In kissgrad they are functions in `nn.functional` (`mse_loss`, `l1_loss`,
    `cross_entropy`, ...) and modules in `nn` (`nn.MSELoss()`, ...), with PyTorch's names.
    """),
    code(r"""
    import math

    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor

    autograd.manual_seed(0)
    """),
    md(r"""
    ## MSE and MAE

    The lecture's example: the target is the one-hot vector $t = (0, 1)$ and the
    network outputs $y = (0.4, 0.6)$. Both errors are 0.4, so
    $\mathrm{MSE} = \frac12(0.4^2 + 0.4^2) = 0.16$ and $\mathrm{MAE} = 0.4$.
    """),
    code(r"""
    y_pred, t = Tensor([0.4, 0.6]), Tensor([0.0, 1.0])
    mse, mae = F.mse_loss(y_pred, t), F.l1_loss(y_pred, t)
    print(f"MSE {mse.item():.4f}   MAE {mae.item():.4f}   nn.MSELoss {nn.MSELoss()(y_pred, t).item():.4f}")
    assert math.isclose(mse.item(), 0.16, abs_tol=1e-6) and math.isclose(mae.item(), 0.4, abs_tol=1e-6)
    assert math.isclose(nn.MSELoss()(y_pred, t).item(), mse.item())
    """),
    md(r"""
    What differs is how each one pulls on a residual $r = \hat y - y$. The gradient of
    $r^2$ is $2r$: big errors pull hard. The gradient of $\lvert r \rvert$ is
    $\operatorname{sign}(r)$: every error pulls the same. The Huber loss is quadratic
    near 0 and linear beyond $\delta = 1$, a compromise. Autograd computes all three
    gradients over a grid of residuals at once (with `reduction="none"` each element's
    loss is separate, so the gradient of their sum is each one's own derivative):
    """),
    code(r"""
    grid = np.linspace(-3, 3, 241)
    curves = {}
    for name, loss_fn in [("MSE", F.mse_loss), ("MAE", F.l1_loss), ("Huber", F.huber_loss)]:
        r = Tensor(grid, requires_grad=True)
        loss = loss_fn(r, Tensor(np.zeros_like(grid)), reduction="none")
        loss.sum().backward()
        curves[name] = (loss.numpy(), r.grad.numpy())

    assert np.allclose(curves["MSE"][1], 2 * grid)
    assert np.allclose(curves["MAE"][1][grid != 0], np.sign(grid)[grid != 0])
    assert np.allclose(curves["Huber"][1], np.clip(grid, -1, 1))

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, (values, grads) in curves.items():
        left.plot(grid, values, label=name)
        right.plot(grid, grads, label=name)
    left.set(title="loss", xlabel="residual r", ylim=(0, 5))
    right.set(title="gradient d loss / d r", xlabel="residual r")
    left.legend()
    right.legend()
    fig.tight_layout()
    """),
    md(r"""
    So an outlier dominates MSE but not MAE. Fitting a single constant $c$ to the data
    $\{1, 2, 3, 4, 100\}$ by gradient descent shows it: minimising MSE gives the
    **mean** (22), minimising MAE gives the **median** (3).
    """),
    code(r"""
    data = Tensor([1.0, 2.0, 3.0, 4.0, 100.0])
    fitted = {}
    for name, loss_fn, lr in [("MSE", F.mse_loss, 0.1), ("MAE", F.l1_loss, 0.02)]:
        c = nn.Parameter(Tensor([0.0]))
        opt = optim.SGD([c], lr=lr)
        for step in range(600):
            loss = loss_fn(c.expand(5), data)
            opt.zero_grad()
            loss.backward()
            opt.step()
        fitted[name] = c.item()
        print(f"minimising {name}: c = {c.item():.3f}")
    assert abs(fitted["MSE"] - 22.0) < 1e-3      # the mean
    assert abs(fitted["MAE"] - 3.0) < 0.05       # the median
    """),
    md(r"""
    ## Entropy and cross-entropy

    An event of probability $p$ carries information $\log\frac1p$: the sun rising tells
    you little, rain in the desert a lot. **Entropy** is the expected information of a
    distribution $p$, **cross-entropy** the expected information when events follow $p$
    but are scored with probabilities $q$:

    $$H(p) = -\sum_x p(x)\log p(x), \qquad H(p, q) = -\sum_x p(x) \log q(x) \;\ge\; H(p),$$

    with equality only when $q = p$. So cross-entropy measures how far a predicted
    distribution $q$ is from the true one $p$. The base of the logarithm only sets the
    unit (base 2: bits, base $e$: nats, the library's choice).

    `F.cross_entropy` takes **logits** (scores before softmax) and either integer labels or a
    target distribution. Passing $\log q$ as logits gives $H(p, q)$ in nats, since the
    softmax of $\log q$ is $q$ itself. The lecture's examples:
    """),
    code(r"""
    def cross_entropy(p, q, base=math.e):
        # H(p, q) with library code: cross_entropy of the logits log q against the target p
        logits = Tensor(np.log(np.asarray(q, dtype=np.float64)))[None]
        target = Tensor(np.asarray(p, dtype=np.float64))[None]
        return F.cross_entropy(logits, target).item() / math.log(base)

    # a coin with P(heads) = 0.75, in bits
    coin, wrong = [0.75, 0.25], [0.25, 0.75]
    print(f"H(coin) = {cross_entropy(coin, coin, 2):.2f} bits, "
          f"H(coin, swapped) = {cross_entropy(coin, wrong, 2):.2f} bits")
    assert round(cross_entropy(coin, coin, 2), 2) == 0.81 and round(cross_entropy(coin, wrong, 2), 1) == 1.6

    # two distributions over three outcomes, in base-10 units
    p1, p2 = [1/3, 1/2, 1/6], [1/4, 1/2, 1/4]
    table = {"H(p1)": cross_entropy(p1, p1, 10), "H(p2)": cross_entropy(p2, p2, 10),
             "H(p1, p2)": cross_entropy(p1, p2, 10), "H(p2, p1)": cross_entropy(p2, p1, 10)}
    for key, value in table.items():
        print(f"{key:>9} = {value:.4f}")
    assert round(table["H(p1)"], 3) == 0.439 and round(table["H(p2)"], 3) == 0.452
    assert round(table["H(p2, p1)"], 3) == 0.464
    assert table["H(p1, p2)"] > table["H(p1)"] and table["H(p2, p1)"] > table["H(p2)"]
    """),
    md(r"""
    (The lecture prints 0.456 for $H(p_1, p_2)$; the exact value is
    $\frac12\log_{10}4 + \frac12\log_{10}2 = 0.4515$, still larger than $H(p_1) = 0.439$,
    as it must be.)

    For a one-hot target only the true class's term survives:
    $H = -\log q_{\text{true}}$. With $t = (0, 1)$ and $y = (0.4, 0.6)$ from above,
    $H = -\ln 0.6 = 0.511$ nats $= 0.737$ bits (the lecture's 0.736 is this value in bits).
    For two classes this is the **binary cross-entropy** $-[t \log y + (1 - t)\log(1 - y)]$:
    """),
    code(r"""
    h_nats = cross_entropy([0.0, 1.0], [0.4, 0.6])
    bce = F.binary_cross_entropy(Tensor([0.6]), Tensor([1.0])).item()
    print(f"-ln 0.6 = {h_nats:.4f} nats = {h_nats / math.log(2):.4f} bits; binary cross-entropy {bce:.4f}")
    assert math.isclose(h_nats, -math.log(0.6), rel_tol=1e-9) and round(h_nats / math.log(2), 3) == 0.737
    assert math.isclose(bce, h_nats, rel_tol=1e-6)

    q = np.linspace(0.01, 1, 100)
    plt.figure(figsize=(4.5, 3))
    plt.plot(q, -np.log(q))
    plt.xlabel("probability given to the true class")
    plt.ylabel("cross-entropy (nats)")
    plt.title("confident and wrong costs the most")
    plt.tight_layout()
    """),
    md(r"""
    ## Softmax, and the lecture's worked example

    A classifier's last layer produces one score (logit) $z_k$ per class. **Softmax**
    turns them into probabilities, each in $(0, 1)$, summing to 1:

    $$\operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{k} e^{z_k}} .$$

    The worked example: logits $z = (0, 0.006, 0.12)$ give
    $\operatorname{softmax}(z) = (0.319, 0.321, 0.36)$, since
    $\frac{e^0}{e^0 + e^{0.006} + e^{0.12}} = 0.319$. If the true class is 1 (one-hot
    target $(0, 1, 0)$), the loss is $-\ln 0.321 = 1.1363$.
    """),
    code(r"""
    z = Tensor([0.0, 0.006, 0.12])
    p = F.softmax(z, dim=-1)
    print("softmax:", p.numpy().round(4))
    assert np.allclose(p.numpy().round(3), [0.319, 0.321, 0.36])
    assert math.isclose(p.sum().item(), 1, rel_tol=1e-6)

    label = np.array([1])
    loss = F.cross_entropy(z[None], label)                # logits (N, C) and integer labels (N,)
    print(f"cross_entropy = {loss.item():.5f};  -ln(0.321) = {-math.log(0.321):.5f}")
    assert abs(loss.item() - 1.1363) < 5e-4               # 1.1362: the slide rounds p to 0.321 first
    assert round(-math.log(0.321), 4) == 1.1363

    # the same number four more ways
    same = {"nn.CrossEntropyLoss": nn.CrossEntropyLoss()(z[None], label),
            "nll_loss(log_softmax)": F.nll_loss(F.log_softmax(z[None], dim=1), label),
            "one-hot target": F.cross_entropy(z[None], Tensor([[0.0, 1.0, 0.0]])),
            "-sum(t * log p)": -(Tensor([0.0, 1.0, 0.0]) * p.log()).sum()}
    for name, value in same.items():
        print(f"{name:>22}: {value.item():.5f}")
        assert math.isclose(value.item(), loss.item(), rel_tol=1e-5)
    """),
    md(r"""
    ## The gradient of softmax + cross-entropy

    Combined, softmax and cross-entropy have a remarkably simple gradient with respect
    to the logits:

    $$\frac{\partial H}{\partial z_j} = p_j - t_j ,$$

    the predicted probability minus the target. The loss "is large at the beginning and
    should decrease during training": a few gradient-descent steps on the logits
    themselves raise the true class's probability.
    """),
    code(r"""
    logits = Tensor([[0.0, 0.006, 0.12]], requires_grad=True)
    F.cross_entropy(logits, label).backward()
    print("gradient:", logits.grad.numpy().round(4), "  p - t:", (p.numpy() - [0, 1, 0]).round(4))
    assert np.allclose(logits.grad.numpy()[0], p.numpy() - np.array([0, 1, 0]), atol=1e-6)

    logits = nn.Parameter(Tensor([[0.0, 0.006, 0.12]]))
    opt = optim.SGD([logits], lr=1.0)
    losses = []
    for step in range(10):
        loss = F.cross_entropy(logits, label)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    print("loss per step:", np.round(losses, 3))
    print("probabilities now:", F.softmax(logits, dim=1).numpy().round(3))
    assert all(b < a for a, b in zip(losses, losses[1:]))
    """),
    md(r"""
    ## Softmax with large logits

    Computed literally, $e^{z}$ overflows for $z \gtrsim 89$ in float32 (710 in float64),
    and the ratio becomes $\infty/\infty = $ NaN. Softmax does not change when the same
    number is subtracted from every logit, so a stable implementation subtracts the
    maximum first and the largest exponent is $e^0 = 1$:

    $$\operatorname{softmax}(z) = \operatorname{softmax}(z - \max_k z_k), \qquad
      \log \operatorname{softmax}(z)_j = z_j - \log\sum_k e^{z_k}\ \ (\text{"log-sum-exp"}).$$

    `F.softmax`, `F.log_softmax` and `F.cross_entropy` all do this.
    """),
    code(r"""
    big = np.array([1000.0, 1001.0, 1002.0], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(big) / np.exp(big).sum()
    stable = F.softmax(Tensor(big), dim=-1).numpy()
    print("naive :", naive)
    print("stable:", stable.round(4))
    assert np.isnan(naive).all()
    assert np.allclose(stable, F.softmax(Tensor(big - 1000), dim=-1).numpy()) and np.allclose(stable.sum(), 1)
    assert np.allclose(stable, [0.0900, 0.2447, 0.6652], atol=1e-4)

    # tiny probabilities: log(softmax) underflows to -inf, log_softmax stays exact
    z = Tensor([[0.0, -200.0]])
    with np.errstate(divide="ignore"):
        log_of_softmax = F.softmax(z, dim=1).log().numpy()
    print("log(softmax(z)):", log_of_softmax, "  log_softmax(z):", F.log_softmax(z, dim=1).numpy())
    assert np.isneginf(log_of_softmax[0, 1])
    assert np.allclose(F.log_softmax(z, dim=1).numpy(), [[0.0, -200.0]])

    # and the loss and its gradient stay finite with huge logits
    logits = Tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    loss = F.cross_entropy(logits, np.array([2]))
    loss.backward()
    print(f"cross-entropy {loss.item()}, gradient {logits.grad.numpy()}")
    assert math.isclose(loss.item(), 2000.0) and np.isfinite(logits.grad.numpy()).all()
    """),
    md(r"""
    ## What to remember

    * MSE punishes large errors quadratically (gradient $2r$), MAE linearly
      (gradient $\pm 1$): the mean versus the median.
    * Cross-entropy $-\sum_k t_k \log p_k$ compares distributions; with one-hot targets it
      is $-\log p_{\text{true}}$. Worked example: softmax$(0, 0.006, 0.12) = (0.319, 0.321,
      0.36)$, loss $1.136$.
    * Softmax + cross-entropy has gradient $p - t$ with respect to the logits.
    * Never exponentiate raw logits: subtract the maximum (softmax), use log-sum-exp
      (log-softmax), or pass logits straight to `F.cross_entropy`.
    """),
]


# ------------------------------------------------------------------------------------
# 4. Optimizers
# ------------------------------------------------------------------------------------

NB04 = [
    md(r"""
    # 4. Optimizers: SGD, momentum, AdaGrad, RMSProp, Adam

    Plain gradient descent has two drawbacks: the learning rate never decays, and every
    parameter gets the same one, although a loss can be steep in one direction and flat
    in another. The optimizers in `optim` fix this with two ideas, **momentum** (keep
    moving the way you were going) and **adaptive learning rates** (scale each
    parameter's step by the size of its recent gradients). With $g^t$ the gradient at
    step $t$:

    * **SGD**: $\theta^{t+1} = \theta^t - \eta\, g^t$
    * **momentum**: $v^{t+1} = \lambda v^t - \eta\, g^t$, then $\theta^{t+1} = \theta^t + v^{t+1}$
    * **AdaGrad**: $\theta^{t+1} = \theta^t - \dfrac{\eta}{\sqrt{\sum_{i=0}^{t} (g^i)^2}}\, g^t$
    * **RMSProp**: $s^{t+1} = \alpha s^t + (1-\alpha)(g^t)^2$, then
      $\theta^{t+1} = \theta^t - \dfrac{\eta}{\sqrt{s^{t+1}} + \epsilon}\, g^t$
    * **Adam**: $m^{t+1} = \beta_1 m^t + (1-\beta_1) g^t$ and
      $s^{t+1} = \beta_2 s^t + (1-\beta_2)(g^t)^2$, then
      $\theta^{t+1} = \theta^t - \eta\,\dfrac{\hat m}{\sqrt{\hat s} + \epsilon}$

    where Adam's $\hat m = m^{t+1}/(1-\beta_1^{t+1})$ and $\hat s = s^{t+1}/(1-\beta_2^{t+1})$
    are bias-corrected (see below). All squares and roots are per parameter.
    """),
    code(r"""
    import math
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor, no_grad
    from optim.lr_scheduler import InverseTimeLR

    autograd.manual_seed(0)
    np.set_printoptions(precision=4, suppress=True)
    """),
    md(r"""
    ## A long, narrow valley

    $f(\theta) = 0.02\,\theta_1^2 + 2\,\theta_2^2$ is 100 times more curved along
    $\theta_2$ than along $\theta_1$. Gradient descent must keep $\eta < 2/4 = 0.5$ for the
    steep direction, and then crawls along the flat one. The parameter is an
    `nn.Parameter` of two numbers; each optimizer takes 60 steps from the same start.
    """),
    code(r"""
    def valley(theta):
        return 0.02 * theta[0] ** 2 + 2 * theta[1] ** 2

    def run(make_optimizer, steps=60, start=(-9.0, 1.5)):
        theta = nn.Parameter(Tensor(np.array(start)))      # float64
        optimizer = make_optimizer([theta])
        path = [theta.numpy().copy()]
        for _ in range(steps):
            loss = valley(theta)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            path.append(theta.numpy().copy())
        return np.array(path)

    optimizers = {
        "SGD (lr 0.45)": lambda ps: optim.SGD(ps, lr=0.45),
        "momentum (lr 0.1, 0.9)": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        "AdaGrad (lr 1.5)": lambda ps: optim.Adagrad(ps, lr=1.5),
        "RMSProp (lr 0.1)": lambda ps: optim.RMSprop(ps, lr=0.1),
        "Adam (lr 0.5)": lambda ps: optim.Adam(ps, lr=0.5),
    }
    paths = {name: run(make) for name, make in optimizers.items()}
    final = {name: valley(Tensor(path[-1])).item() for name, path in paths.items()}
    for name, value in final.items():
        print(f"{name:>24}: f after 60 steps = {value:.2e}")
    """),
    code(r"""
    T1, T2 = np.meshgrid(np.linspace(-10, 3, 200), np.linspace(-2.5, 2.5, 200))
    fig, axes = plt.subplots(1, 5, figsize=(20, 3.6), sharey=True)
    for ax, (name, path) in zip(axes, paths.items()):
        ax.contour(T1, T2, 0.02 * T1 ** 2 + 2 * T2 ** 2, levels=np.geomspace(0.01, 12, 14),
                   cmap="viridis", linewidths=0.7)
        ax.plot(path[:, 0], path[:, 1], ".-", color="crimson", ms=3, lw=0.8)
        ax.plot(0, 0, "k*", ms=10)
        ax.set(title=f"{name}\nf = {final[name]:.1e}", xlabel="theta 1")
    axes[0].set_ylabel("theta 2")
    fig.tight_layout()
    """),
    md(r"""
    What the pictures show:

    * **SGD** zig-zags across the valley (each step along $\theta_2$ is multiplied by
      $1 - 0.45 \cdot 4 = -0.8$) and barely moves along it.
    * **Momentum** accumulates the consistent downhill push along the valley (up to
      $\eta/(1-\lambda) = 10\eta$ per step) while the alternating steps across it cancel.
    * **AdaGrad, RMSProp and Adam** divide by the size of each coordinate's own
      gradients, so both coordinates move at a similar pace whatever their curvature.
    """),
    code(r"""
    sgd, momentum = final["SGD (lr 0.45)"], final["momentum (lr 0.1, 0.9)"]
    assert momentum < sgd / 10                       # momentum goes much further along the valley
    assert all(final[name] < sgd / 10 for name in ("AdaGrad (lr 1.5)", "RMSProp (lr 0.1)", "Adam (lr 0.5)"))

    # Adam's (and AdaGrad's) first step is lr * sign(g) for every coordinate: the gradients
    # here differ by a factor of 8, the steps do not
    for name in ("Adam (lr 0.5)", "AdaGrad (lr 1.5)"):
        lr = float(name.split("lr ")[1].rstrip(")"))
        first_step = paths[name][1] - paths[name][0]
        print(f"{name}: first step {first_step}")
        assert np.allclose(np.abs(first_step), lr)
    """),
    md(r"""
    ## The formulas, checked against `optim`

    The update rules above, written out in NumPy, reproduce the library's paths. Momentum is
    written as in the lecture, $v \leftarrow \lambda v - \eta g$, $\theta \leftarrow \theta + v$.
    PyTorch (and kissgrad) store $b \leftarrow \lambda b + g$ and step $\theta \leftarrow
    \theta - \eta b$ instead: the same thing with $v = -\eta b$.
    """),
    code(r"""
    def valley_grad(theta):
        return np.array([0.04 * theta[0], 4 * theta[1]])

    def by_formula(rule, steps=60, start=(-9.0, 1.5)):
        theta, state = np.array(start), {}
        path = [theta.copy()]
        for t in range(steps):
            theta = rule(theta, valley_grad(theta), state, t)
            path.append(theta.copy())
        return np.array(path)

    def sgd_rule(theta, g, state, t, lr=0.45):
        return theta - lr * g

    def momentum_rule(theta, g, state, t, lr=0.1, lam=0.9):
        state["v"] = lam * state.get("v", 0.0) - lr * g
        return theta + state["v"]

    def adagrad_rule(theta, g, state, t, lr=1.5, eps=1e-10):
        state["sum"] = state.get("sum", 0.0) + g ** 2
        return theta - lr * g / (np.sqrt(state["sum"]) + eps)

    def rmsprop_rule(theta, g, state, t, lr=0.1, alpha=0.99, eps=1e-8):
        state["s"] = alpha * state.get("s", 0.0) + (1 - alpha) * g ** 2
        return theta - lr * g / (np.sqrt(state["s"]) + eps)

    def adam_rule(theta, g, state, t, lr=0.5, b1=0.9, b2=0.999, eps=1e-8):
        state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
        state["s"] = b2 * state.get("s", 0.0) + (1 - b2) * g ** 2
        m_hat, s_hat = state["m"] / (1 - b1 ** (t + 1)), state["s"] / (1 - b2 ** (t + 1))
        return theta - lr * m_hat / (np.sqrt(s_hat) + eps)

    rules = [sgd_rule, momentum_rule, adagrad_rule, rmsprop_rule, adam_rule]
    for (name, path), rule in zip(paths.items(), rules):
        gap = np.abs(by_formula(rule) - path).max()
        print(f"{name:>24}: largest difference from the formula {gap:.1e}")
        assert gap < 1e-9
    """),
    md(r"""
    ## Bias correction

    RMSProp and Adam (and momentum, in the form $V = \beta V + (1-\beta)\,dW$) keep
    exponentially weighted moving averages, $V_t = \beta V_{t-1} + (1-\beta)\theta_t$ with
    $V_0 = 0$. Starting at 0 biases the first values low: with $\beta = 0.98$,
    $V_1 = 0.02\,\theta_1$. Dividing by $1 - \beta^t$ removes the bias, which matters only
    while $t$ is small. Adam does this for both of its averages.
    """),
    code(r"""
    beta, signal = 0.98, np.full(200, 10.0)           # a constant signal: the average should be 10
    V, raw, corrected = 0.0, [], []
    for t, theta in enumerate(signal, start=1):
        V = beta * V + (1 - beta) * theta
        raw.append(V)
        corrected.append(V / (1 - beta ** t))
    print(f"V_1 = {raw[0]:.2f} (corrected {corrected[0]:.2f}),  V_50 = {raw[49]:.2f} "
          f"(corrected {corrected[49]:.2f}),  V_200 = {raw[-1]:.2f}")
    assert math.isclose(raw[0], 0.02 * 10) and np.allclose(corrected, 10.0)

    plt.figure(figsize=(5, 3))
    plt.plot(raw, label="moving average")
    plt.plot(corrected, "--", label="bias-corrected")
    plt.axhline(10, color="gray", lw=0.5)
    plt.xlabel("t")
    plt.legend()
    plt.title("EMA of a constant 10, beta = 0.98")
    plt.tight_layout()
    """),
    md(r"""
    ## Learning-rate decay, and where AdaGrad comes from

    A simple schedule shrinks the learning rate over time, large steps while far from the
    minimum and small ones near it: $\eta^t = \eta / \sqrt{t + 1}$.
    `optim.lr_scheduler.InverseTimeLR` sets it on an optimizer, one `scheduler.step()`
    per step (or epoch).

    The lecture derives AdaGrad from it: divide the decayed rate by $\sigma^t$, the root
    mean square of the gradients so far, $\sigma^t = \sqrt{\frac{1}{t+1}\sum_{i=0}^t (g^i)^2}$.
    The two $\sqrt{t+1}$ cancel:

    $$\frac{\eta^t}{\sigma^t}\, g^t = \frac{\eta/\sqrt{t+1}}{\sqrt{\frac{1}{t+1}\sum_{i} (g^i)^2}}\, g^t
      = \frac{\eta}{\sqrt{\sum_{i=0}^t (g^i)^2}}\, g^t .$$

    Below: SGD whose learning rate comes from `InverseTimeLR` and whose gradient is divided
    by $\sigma^t$ retraces `optim.Adagrad` exactly.
    """),
    code(r"""
    theta = nn.Parameter(Tensor(np.array([-9.0, 1.5])))
    sgd = optim.SGD([theta], lr=1.5)
    scheduler = InverseTimeLR(sgd)
    squares, lrs, path = 0.0, [], [theta.numpy().copy()]
    for t in range(60):
        loss = valley(theta)
        sgd.zero_grad()
        loss.backward()
        squares = squares + theta.grad.numpy() ** 2
        sigma = np.sqrt(squares / (t + 1))                 # RMS of the gradients so far
        with no_grad():
            theta.grad = Tensor(theta.grad.numpy() / sigma)
        lrs.append(sgd.param_groups[0]["lr"])
        sgd.step()
        scheduler.step()
        path.append(theta.numpy().copy())

    assert np.allclose(lrs, [1.5 / math.sqrt(t + 1) for t in range(60)])
    print("learning rates:", np.round(lrs[:5], 4), "...")
    gap = np.abs(np.array(path) - paths["AdaGrad (lr 1.5)"]).max()
    print(f"largest difference from optim.Adagrad's path: {gap:.1e}")
    assert np.allclose(path, paths["AdaGrad (lr 1.5)"], atol=1e-8)
    """),
    md(r"""
    ## On real data: the MNIST sample

    The same five optimizers train the same small MLP (784-64-10, ReLU) from the same
    initial weights on 2,000 digits of the bundled MNIST sample, for 4 epochs of
    mini-batches of 32. Each gets a learning rate that suits it (SGD-style methods need
    larger ones than Adam and RMSProp, which normalise the step).
    """),
    code(r"""
    from kissgrad.train import load_splits
    from nn.data import DataLoader, TensorDataset

    (X_train, y_train), (X_val, y_val), _ = load_splits(seed=0)      # standardised, (N, 1, 28, 28)
    X_train, y_train = X_train[:2000].reshape(2000, -1), y_train[:2000]
    X_val = X_val.reshape(len(X_val), -1)

    autograd.manual_seed(0)
    initial = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)).state_dict()

    settings = {"SGD": (optim.SGD, dict(lr=0.05)),
                "momentum": (optim.SGD, dict(lr=0.05, momentum=0.9)),
                "AdaGrad": (optim.Adagrad, dict(lr=0.02)),
                "RMSProp": (optim.RMSprop, dict(lr=0.001)),
                "Adam": (optim.Adam, dict(lr=0.001))}
    curves, accuracy = {}, {}
    started = time.perf_counter()
    for name, (Optimizer, kwargs) in settings.items():
        model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
        model.load_state_dict(initial)                      # every optimizer starts from the same weights
        optimizer = Optimizer(model.parameters(), **kwargs)
        autograd.manual_seed(1)                             # and sees the batches in the same order
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True)
        losses = []
        for epoch in range(4):
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        with no_grad():
            accuracy[name] = float((model(Tensor(X_val)).numpy().argmax(axis=1) == y_val).mean())
        curves[name] = np.array(losses)
        print(f"{name:>9}: last-epoch loss {curves[name][-len(loader):].mean():.3f}, "
              f"validation accuracy {accuracy[name]:.1%}")
    print(f"({time.perf_counter() - started:.1f} s for all five)")
    """),
    code(r"""
    def smooth(values, k=20):
        return np.convolve(values, np.ones(k) / k, mode="valid")

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    for name, losses in curves.items():
        left.plot(smooth(losses), label=name)
    left.set(xlabel="step (mini-batch)", ylabel="training loss (moving average of 20)",
             yscale="log", title="training loss")
    left.legend()
    right.bar(list(accuracy), list(accuracy.values()), color="#4c72b0")
    right.set(ylim=(0.5, 1.0), ylabel="accuracy", title="validation accuracy after 4 epochs")
    fig.tight_layout()

    first_epoch = len(curves["SGD"]) // 4
    for name, losses in curves.items():
        assert losses[-first_epoch:].mean() < 0.5 * losses[:20].mean(), name   # every one learns
        assert accuracy[name] > 0.8, name
    """),
    md(r"""
    ## What to remember

    * Momentum smooths the path and speeds it up along consistent directions.
    * AdaGrad, RMSProp and Adam give each parameter its own step size; Adam's first step
      is $\eta$ in every coordinate, whatever the gradient's scale.
    * AdaGrad's denominator only grows, so its steps keep shrinking; RMSProp and Adam
      forget old gradients (moving averages), and Adam corrects the averages' start-up bias.
    * A schedule such as $\eta/\sqrt{t+1}$ (`InverseTimeLR`) decays the learning rate
      over time; `optim.lr_scheduler` has others (`StepLR`, `CosineAnnealingLR`, ...).
    """),
]


# ------------------------------------------------------------------------------------
# 5. Vanishing gradients
# ------------------------------------------------------------------------------------

NB05 = [
    md(r"""
    # 5. Vanishing (and exploding) gradients

    Lesson 2 ended with the chain rule through a deep network: the gradient that reaches
    the first layer is a product with one factor per layer,

    $$\frac{\partial C}{\partial z_1} = \sigma'(z_1)\, w_2\, \sigma'(z_2)\, w_3\, \sigma'(z_3)\,\cdots\,
      \frac{\partial C}{\partial z_L}.$$

    The sigmoid's derivative is at most $\frac14$. Unless the weights make up for it,
    each layer shrinks the gradient, and the first layers of a deep sigmoid network
    hardly learn: the **vanishing gradient problem**, one reason deep networks failed
    in the early days. ReLU's derivative is exactly 1 wherever the unit is active, so
    it passes gradients back unchanged. (If the factors are larger than 1 instead, the
    gradient **explodes**.)

    This lesson makes it visible: `nn.viz.gradient_flow` plots each layer's gradient,
    and `autograd.viz.draw_graph` colours the backward graph by the gradient that flowed
    through each node.
    """),
    code(r"""
    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor
    from autograd.viz import draw_graph, record_grads
    from kissgrad.train import load_splits
    from nn.data import DataLoader, TensorDataset

    autograd.manual_seed(0)
    np.set_printoptions(precision=3)
    """),
    code(SHOW_GRAPH),
    md(r"""
    ## The derivatives of sigmoid and ReLU

    Autograd gives the derivative of an elementwise function on a whole grid at once:
    the gradient of $\sum_i f(x_i)$ with respect to $x_i$ is $f'(x_i)$.
    """),
    code(r"""
    grid = np.linspace(-6, 6, 241)
    derivatives = {}
    functions = [("sigmoid", lambda t: t.sigmoid()), ("ReLU", lambda t: t.relu()),
                 ("tanh", lambda t: t.tanh())]
    for name, f in functions:
        x = Tensor(grid, requires_grad=True)
        y = f(x)
        y.sum().backward()
        derivatives[name] = (y.numpy(), x.grad.numpy())

    d_sigmoid = derivatives["sigmoid"][1]
    print(f"largest sigmoid derivative {d_sigmoid.max():.4f} at x = {grid[d_sigmoid.argmax()]:.1f}")
    assert np.isclose(d_sigmoid.max(), 0.25) and grid[d_sigmoid.argmax()] == 0.0
    assert set(np.unique(derivatives["ReLU"][1])) <= {0.0, 1.0}

    fig, axes = plt.subplots(1, 3, figsize=(12, 3))
    for ax, (name, (values, grads)) in zip(axes, derivatives.items()):
        ax.plot(grid, values, label=name)
        ax.plot(grid, grads, "--", label="derivative")
        ax.set(title=name, xlabel="x")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    """),
    md(r"""
    ## Two deep networks

    Both have 8 hidden layers of 32 units on flattened MNIST digits and start from the
    same Xavier (Glorot) initialisation; only the activation differs. One batch of 128
    digits, one backward pass.
    """),
    code(r"""
    (X_train, y_train), _, _ = load_splits(seed=0)
    X_train = X_train.reshape(len(X_train), -1)
    xb, yb = Tensor(X_train[:128]), Tensor(y_train[:128])

    def deep_mlp(activation, depth=8, width=32, init=nn.init.xavier_normal_):
        layers = [nn.Linear(784, width), activation()]
        for _ in range(depth - 1):
            layers += [nn.Linear(width, width), activation()]
        model = nn.Sequential(*layers, nn.Linear(width, 10))
        for layer in model:
            if isinstance(layer, nn.Linear):
                init(layer.weight)
                nn.init.zeros_(layer.bias)
        return model

    models, losses = {}, {}
    for name, activation in [("sigmoid", nn.Sigmoid), ("ReLU", nn.ReLU)]:
        autograd.manual_seed(0)
        models[name] = deep_mlp(activation)
        losses[name] = F.cross_entropy(models[name](xb), yb)
        with record_grads():                      # keep per-node gradient statistics for the drawing
            losses[name].backward()

    def weight_grad_norms(model):
        return np.array([np.linalg.norm(p.grad.numpy()) for name, p in model.named_parameters()
                         if name.endswith("weight")])

    norms = {name: weight_grad_norms(model) for name, model in models.items()}
    print("layer   |dL/dW| sigmoid   |dL/dW| ReLU")
    for i, (s, r) in enumerate(zip(norms["sigmoid"], norms["ReLU"])):
        print(f"{i + 1:>5}   {s:14.2e}   {r:12.2e}")
    for name, n in norms.items():
        print(f"{name}: first layer / last layer = {n[0] / n[-1]:.1e}")
    """),
    code(r"""
    assert norms["sigmoid"][0] / norms["sigmoid"][-1] < 1e-3     # vanished: thousands of times smaller
    assert norms["ReLU"][0] / norms["ReLU"][-1] > 0.1            # about the same size all the way down
    """),
    md(r"""
    Where does the factor of about 4 per sigmoid layer come from? Each hidden layer
    multiplies the backward signal by $\sigma'(z)$ at its units, and the average
    $\sigma'(z) = a(1-a)$ over the batch is close to its maximum of $\frac14$:
    """),
    code(r"""
    h, mean_derivative = xb, []
    for layer in models["sigmoid"]:
        h = layer(h)
        if isinstance(layer, nn.Sigmoid):
            a = h.numpy()
            mean_derivative.append((a * (1 - a)).mean())
    print("mean sigmoid'(z) per hidden layer:", np.array(mean_derivative))
    assert max(mean_derivative) <= 0.25
    """),
    md(r"""
    ## Gradient flow

    `nn.viz.gradient_flow(model)` draws each parameter's mean and largest absolute
    gradient on a log scale, input side on the left. The sigmoid network's bars fall by
    orders of magnitude towards the input; the ReLU network's stay level.
    """),
    code(r"""
    fig, axes = plt.subplots(1, 2, figsize=(15, 4.5), sharey=True)
    for ax, (name, model) in zip(axes, models.items()):
        nn.viz.gradient_flow(model, ax=ax)
        ax.set_title(f"gradient flow: {name}")
    fig.tight_layout()
    """),
    md(r"""
    ## The coloured backward graph

    The backward passes above ran inside `autograd.viz.record_grads()`, which keeps the
    norm of the gradient that reached every node (never the arrays). `draw_graph(loss,
    model=model)` colours every node and edge by it on a fixed log scale, from indigo
    and blue (1e-10, 1e-8: vanishing) through green and yellow (1e-2, 1: healthy) to red
    (exploding), and boxes each layer's operations under its parameter names. Read the
    sigmoid network from the loss at the bottom up to the first layer at the top:
    yellow turns green, then cyan, about $10^4$ times smaller.
    """),
    code(r"""
    show_graph(draw_graph(losses["sigmoid"], model=models["sigmoid"], rankdir="TB"))
    """),
    md(r"""
    The ReLU network's graph stays the same colour from end to end:
    """),
    code(r"""
    show_graph(draw_graph(losses["ReLU"], model=models["ReLU"], rankdir="TB"))
    """),
    md(r"""
    ## Exploding gradients

    The weights are the other factor in the product. The same ReLU network initialised
    with weights three times too large multiplies the signal by about 2 per layer, in
    the forward pass (the activations grow) and in the backward pass (the gradients
    grow towards the input). A weight's gradient is the product of the two, so every
    layer's is enormous: red in the graph, and an SGD step would throw the weights far
    away.
    """),
    code(r"""
    def too_large(weight):
        return nn.init.normal_(weight, 0.0, 3.0 * np.sqrt(2.0 / weight.shape[1]))

    autograd.manual_seed(0)
    exploding = deep_mlp(nn.ReLU, init=too_large)
    loss = F.cross_entropy(exploding(xb), yb)
    with record_grads():
        loss.backward()
    n = weight_grad_norms(exploding)
    print("per-layer |dL/dW|:", n)
    assert n.min() > 1e4 * norms["ReLU"].max()      # every layer: ten thousand times the healthy size

    ax, _ = nn.viz.gradient_flow(exploding)
    ax.set_title("gradient flow: ReLU with too-large initial weights")
    ax.figure.tight_layout()
    """),
    code(r"""
    show_graph(draw_graph(loss, model=exploding, rankdir="TB"))
    """),
    md(r"""
    ## What it does to training

    Three epochs on 2,000 digits with SGD + momentum; `nn.viz.GradientRecorder` records
    every parameter's gradient norm at every step. The sigmoid network's loss barely
    moves from $\ln 10 \approx 2.30$ (guessing) while the ReLU network learns.
    """),
    code(r"""
    loader = DataLoader(TensorDataset(X_train[:2000], y_train[:2000]), batch_size=64, shuffle=True)
    history, recorders = {}, {}
    for name, activation in [("sigmoid", nn.Sigmoid), ("ReLU", nn.ReLU)]:
        autograd.manual_seed(0)
        model = deep_mlp(activation)
        optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        recorders[name], history[name] = nn.viz.GradientRecorder(), []
        for epoch in range(3):
            for x, y in loader:
                loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                recorders[name].record(model)
                optimizer.step()
                history[name].append(loss.item())
        print(f"{name:>7}: loss {np.mean(history[name][:10]):.3f} -> {np.mean(history[name][-10:]):.3f}")

    assert np.mean(history["sigmoid"][-10:]) > 2.2          # stuck near ln 10
    assert np.mean(history["ReLU"][-10:]) < 1.5             # learning

    plt.figure(figsize=(6, 3.5))
    for name, values in history.items():
        plt.plot(values, label=name)
    plt.xlabel("step")
    plt.ylabel("training loss")
    plt.legend()
    plt.title("8 hidden layers, same initialisation")
    plt.tight_layout()
    """),
    md(r"""
    The recorder's plot: each parameter's gradient norm per step, as lines and as a
    heatmap (its colour scale runs from the smallest to the largest norm recorded). In
    the sigmoid network the first layers get gradients thousands of times smaller than
    the last at every step of training, not just at the start; in the ReLU network all
    layers stay within a factor of a few.
    """),
    code(r"""
    for name, recorder in recorders.items():
        figure = recorder.plot()
        figure.suptitle(f"{name} network: gradient norms over training", y=1.01)
    """),
    md(r"""
    ## What to remember

    * Backpropagated gradients are products of one factor per layer: activation
      derivative times weights.
    * Sigmoid's derivative is at most $\frac14$: deep sigmoid networks lose their
      gradient on the way back, and their first layers stop learning.
    * ReLU's derivative is 1 where active, so the gradient keeps its size (with a suitable
      initialisation: Xavier/He, `nn.init`). Too-large weights make it explode instead.
    * Seeing it: `nn.viz.gradient_flow`, `nn.viz.GradientRecorder`, and
      `draw_graph(loss, model=model)` after a backward inside `record_grads()`.
    """),
]


# ------------------------------------------------------------------------------------
# 6. Overfitting and regularisation
# ------------------------------------------------------------------------------------

NB06 = [
    md(r"""
    # 6. Overfitting and regularisation

    A model is trained on one set of examples but used on new ones. It **underfits**
    when it cannot even fit the training data (high training error: high bias), and
    **overfits** when it fits the training data much better than new data (low
    training error, much higher validation error: high variance).

    | | underfitting | about right | overfitting |
    |---|---|---|---|
    | training error | high | low | very low |
    | validation error | close to training | slightly higher | much higher |
    | remedy | bigger model, train longer | | more data, regularisation |

    This lesson sets up the data properly (train / validation / test split, feature
    scaling), makes an over-parameterised network overfit a small training set, and
    then tries the standard remedies: **early stopping**, **L2** and **L1**
    regularisation, and **dropout**.
    """),
    code(r"""
    import copy

    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor, no_grad
    from autograd.functional import hessian
    from nn.data import DataLoader, Standardizer, TensorDataset, train_val_test_split

    autograd.manual_seed(0)
    np.set_printoptions(precision=4, suppress=True)
    """),
    md(r"""
    ## Feature scaling first

    Features on very different scales make the loss surface a long, thin valley: for a
    linear model $y = b + w_1 x_1 + w_2 x_2$ with $x_1 \in [0, 1]$ and $x_2 \in [0, 100]$,
    the loss is $10^4$ times more curved along $w_2$ than along $w_1$, and gradient
    descent must take tiny steps (lesson 1: $\eta < 2/\lambda_{\max}$). **Standardising**
    each feature, $x_i \leftarrow (x_i - m_i)/\sigma_i$ with the mean $m_i$ and standard
    deviation $\sigma_i$ **of the training set**, makes every feature mean 0 and variance 1
    and the bowl round. `nn.data.Standardizer` does it: `fit` on the training data only,
    then `transform` every split with the same statistics.
    """),
    code(r"""
    rng = np.random.default_rng(0)
    X_raw = np.column_stack([rng.uniform(0, 1, 200), rng.uniform(0, 100, 200)])
    target = 2.0 * X_raw[:, 0] + 0.03 * X_raw[:, 1] + 1.0 + rng.normal(0, 0.1, 200)

    def regression_loss(X):
        X, t = Tensor(X), Tensor(target)
        return lambda p: (((X @ p[:2]) + p[2] - t) ** 2).mean()     # p = (w1, w2, b)

    def gradient_descent(loss_fn, lr, steps):
        p = Tensor(np.zeros(3), requires_grad=True)
        losses = []
        for _ in range(steps):
            loss = loss_fn(p)
            losses.append(loss.item())
            p.zero_grad()
            loss.backward()
            with no_grad():
                p -= lr * p.grad
        return np.array(losses)

    X_scaled = Standardizer().fit_transform(X_raw)
    print("scaled features: mean", X_scaled.mean(axis=0), " std", X_scaled.std(axis=0))
    results = {}
    for name, X in [("raw", X_raw), ("standardised", X_scaled)]:
        loss_fn = regression_loss(X)
        eigenvalues = np.linalg.eigvalsh(hessian(loss_fn, np.zeros(3)).numpy())
        losses = gradient_descent(loss_fn, lr=1.0 / eigenvalues.max(), steps=300)
        best = np.linalg.lstsq(np.column_stack([X, np.ones(200)]), target, rcond=None)[1][0] / 200
        results[name] = losses
        steps_needed = np.argmax(losses < best + 1e-3) if (losses < best + 1e-3).any() else None
        print(f"{name:>12}: curvature ratio {eigenvalues.max() / eigenvalues.min():9.0f}, "
              f"loss after 300 steps {losses[-1]:.4f} (best {best:.4f}), "
              f"steps to within 1e-3: {steps_needed}")
    assert results["standardised"][-1] < best + 1e-6 and results["raw"][-1] > best + 0.01
    """),
    md(r"""
    ## Three splits of the data

    * the **training set** fits the weights;
    * the **validation set** (dev set) compares models and settings and decides when to
      stop: everything we tune is tuned on it;
    * the **test set** is used once, at the very end, to report how the chosen model does on
      data nothing was tuned on. Tuning on it would make that number optimistic.

    `nn.data.train_val_test_split` shuffles and splits. To make overfitting easy to see,
    the network below gets only 200 training digits.
    """),
    code(r"""
    images, labels = nn.datasets.mnist_sample()
    X = images.reshape(len(images), -1).astype(np.float32) / 255.0
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = train_val_test_split(
        X, labels, val_size=500, test_size=1000, seed=0)
    X_train, y_train = X_train[:200], y_train[:200]          # a deliberately small training set

    # one mean and std over all training pixels (per-pixel statistics would blow up the
    # nearly always blank border pixels), fitted on the training split only
    scaler = Standardizer().fit(X_train.reshape(-1, 1))
    X_train, X_val, X_test = (scaler.transform(A.reshape(-1, 1)).reshape(A.shape)
                              for A in (X_train, X_val, X_test))
    print(f"train {X_train.shape}, validation {X_val.shape}, test {X_test.shape}")
    """),
    md(r"""
    ## An over-parameterised network overfits

    A 784-256-256-10 MLP has about 270,000 weights for 200 examples: enough to memorise
    them. It trains for 100 epochs with Adam; after every epoch the loss and accuracy on
    the training and validation sets are recorded (in `eval()` mode, without gradients).
    """),
    code(r"""
    def mlp(dropout=0.0):
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(dropout),
                             nn.Linear(256, 256), nn.ReLU(), nn.Dropout(dropout),
                             nn.Linear(256, 10))

    def evaluate(model, X, y):
        model.eval()
        with no_grad():
            logits = model(Tensor(X))
            loss = F.cross_entropy(logits, Tensor(y)).item()
        model.train()
        return loss, float((logits.numpy().argmax(axis=1) == y).mean())

    def weights_of(model):
        return [p for name, p in model.named_parameters() if name.endswith("weight")]

    def fit(dropout=0.0, weight_decay=0.0, penalty=None, strength=0.0, epochs=100, patience=None):
        '''Train a fresh MLP; returns (model, history). With patience: early stopping.'''
        autograd.manual_seed(0)                             # same initial weights, same batches
        model = mlp(dropout)
        optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=weight_decay)
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=50, shuffle=True)
        history, best, best_state, waited = [], np.inf, None, 0
        for epoch in range(epochs):
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                if penalty is not None:
                    loss = loss + strength * penalty(weights_of(model))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            history.append(evaluate(model, X_train, y_train) + evaluate(model, X_val, y_val))
            if patience is not None:
                val_loss = history[-1][2]
                if val_loss < best:
                    best, best_state, waited = val_loss, copy.deepcopy(model.state_dict()), 0
                else:
                    waited += 1
                    if waited >= patience:
                        break
        if best_state is not None:
            model.load_state_dict(best_state)               # early stopping: go back to the best epoch
        return model, np.array(history)   # columns: train loss, train acc, val loss, val acc

    model, history = fit()
    runs = {"no regularisation": (model, history)}
    n_params = sum(p.numel() for p in model.parameters())
    best_epoch = int(history[:, 2].argmin())
    print(f"{n_params} parameters for {len(X_train)} training examples")
    print(f"final: train loss {history[-1, 0]:.4f}, acc {history[-1, 1]:.1%} | "
          f"validation loss {history[-1, 2]:.3f}, acc {history[-1, 3]:.1%}")
    print(f"lowest validation loss {history[best_epoch, 2]:.3f} at epoch {best_epoch + 1}")
    """),
    code(r"""
    def plot_history(ax_loss, ax_acc, history, title):
        epochs = np.arange(1, len(history) + 1)
        for ax, column in ((ax_loss, 0), (ax_acc, 1)):
            ax.plot(epochs, history[:, column], label="train")
            ax.plot(epochs, history[:, column + 2], label="validation")
            ax.legend()
        ax_loss.set(title=f"{title}: loss", xlabel="epoch", yscale="log")
        ax_acc.set(title=f"{title}: accuracy", xlabel="epoch", ylim=(0.5, 1.01))

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    plot_history(left, right, history, "no regularisation")
    left.axvline(best_epoch + 1, color="gray", ls=":")
    fig.tight_layout()

    assert history[-1, 0] < 0.01 and history[-1, 1] == 1.0        # the training set is memorised
    assert history[-1, 2] > 1.2 * history[best_epoch, 2]           # validation loss rose again
    assert best_epoch < 30
    """),
    md(r"""
    The training loss keeps falling towards 0 and the training accuracy reaches 100%,
    but the validation loss bottoms out after a few epochs and then **rises**: from there
    on the network learns the 200 examples by heart (growing ever more confident,
    including on its mistakes), not digits.

    ## Early stopping

    The simplest remedy: evaluate on the validation set after every epoch, keep the best
    weights so far (`copy.deepcopy(model.state_dict())`: the state dict itself shares the
    model's storage, as in PyTorch), stop when the validation loss
    has not improved for `patience` epochs, and restore the best weights.
    """),
    code(r"""
    stopped_model, stopped = fit(patience=10)
    stopped_at, best_stop = len(stopped), int(stopped[:, 2].argmin())
    restored = evaluate(stopped_model, X_val, y_val)
    print(f"stopped after {stopped_at} epochs; best epoch {best_stop + 1}, "
          f"restored validation loss {restored[0]:.3f} (acc {restored[1]:.1%})")
    assert stopped_at < 100 and stopped_at == best_stop + 1 + 10
    assert np.isclose(restored[0], stopped[:, 2].min())
    runs["early stopping"] = (stopped_model, stopped)
    """),
    md(r"""
    ## L2 regularisation (weight decay)

    Regularisation adds a complexity cost to the loss,
    $\text{minimise}\ \text{Loss(data} \mid \text{model)} + \text{complexity(model)}$.
    L2 uses the squared weights: $J = \text{loss} + \frac{\lambda}{2}\lVert W\rVert_2^2$,
    $\lVert W \rVert_2^2 = \sum_j w_j^2$. Its gradient adds $\lambda w$ to each weight's,
    so every step also shrinks the weights towards 0: **weight decay**. Two ways to get it:

    * the optimizers' `weight_decay=λ` argument adds $\lambda w$ to the gradient;
    * `nn.functional.l2_penalty(params)` returns $\sum w^2$ (no $\frac12$), to add to the loss yourself.

    One SGD step shows that they are the same thing:
    """),
    code(r"""
    lam = 0.1
    autograd.manual_seed(0)
    a, b = mlp(), mlp()
    b.load_state_dict(a.state_dict())
    xb, yb = Tensor(X_train[:50]), Tensor(y_train[:50])

    opt_a = optim.SGD(a.parameters(), lr=0.1, weight_decay=lam)
    opt_a.zero_grad()
    F.cross_entropy(a(xb), yb).backward()
    opt_a.step()

    opt_b = optim.SGD(b.parameters(), lr=0.1)
    loss_b = F.cross_entropy(b(xb), yb) + lam / 2 * F.l2_penalty(b.parameters())
    opt_b.zero_grad()
    loss_b.backward()
    opt_b.step()

    gap = max(np.abs(pa.numpy() - pb.numpy()).max() for pa, pb in zip(a.parameters(), b.parameters()))
    print(f"largest difference between the two updated networks: {gap:.1e}")
    assert gap < 1e-6
    """),
    md(r"""
    Now training with each. `weight_decay` acts on every parameter the optimizer holds;
    the explicit penalty below covers the weights only (biases are usually left out).
    With Adam, `weight_decay` is added to the gradient before Adam's scaling
    (`optim.AdamW` decouples the two).
    """),
    code(r"""
    runs["L2: weight_decay"] = fit(weight_decay=3e-2)
    runs["L2: l2_penalty"] = fit(penalty=F.l2_penalty, strength=3e-3)

    def weight_norm(model):
        return float(np.sqrt(sum((w.numpy() ** 2).sum() for w in weights_of(model))))

    for name in ("no regularisation", "L2: weight_decay", "L2: l2_penalty"):
        model, history = runs[name]
        print(f"{name:>18}: |W| = {weight_norm(model):6.2f}, final validation loss {history[-1, 2]:.3f}")
        if name != "no regularisation":
            assert weight_norm(model) < 0.5 * weight_norm(runs["no regularisation"][0])
            assert history[-1, 2] < runs["no regularisation"][1][-1, 2]
    """),
    md(r"""
    ## L1 regularisation

    L1 uses absolute values, $J = \text{loss} + \lambda \sum_j |w_j|$ (`F.l1_penalty`). Its
    gradient $\lambda\,\operatorname{sign}(w)$ pulls every weight towards 0 by the same
    amount however small it already is, so many weights end up (almost) exactly 0: L1
    makes the network **sparse**, L2 only makes the weights small.
    """),
    code(r"""
    runs["L1: l1_penalty"] = fit(penalty=F.l1_penalty, strength=3e-4)

    def near_zero(model):
        w = np.concatenate([w.numpy().ravel() for w in weights_of(model)])
        return float((np.abs(w) < 1e-3).mean())

    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name in ("no regularisation", "L2: l2_penalty", "L1: l1_penalty"):
        w = np.concatenate([w.numpy().ravel() for w in weights_of(runs[name][0])])
        ax.hist(np.log10(np.abs(w) + 1e-12), bins=80, range=(-8, 0), histtype="step", lw=1.5,
                label=f"{name} ({near_zero(runs[name][0]):.0%} below 1e-3)")
    ax.set(xlabel="log10 |w|", ylabel="weights", title="weights of all layers after training")
    ax.legend(loc="upper left")

    assert near_zero(runs["L1: l1_penalty"][0]) > 0.5
    assert near_zero(runs["L1: l1_penalty"][0]) > 3 * near_zero(runs["L2: l2_penalty"][0])
    assert runs["L1: l1_penalty"][1][-1, 2] < runs["no regularisation"][1][-1, 2]
    """),
    md(r"""
    ## Dropout

    During training, dropout removes each unit of a layer with probability $p$ for one
    step (a fresh random choice every mini-batch), so no unit can rely on any particular
    other one. The lecture's version keeps each unit with probability `keep_prob = 0.8`
    (so $p = 0.2$). `nn.Dropout`/`F.dropout` are *inverted* dropout: the surviving units
    are divided by $1 - p$ so that the expected activation is unchanged, and at test time
    (`model.eval()`) dropout does nothing.
    """),
    code(r"""
    a3 = Tensor(np.ones((1000, 100), dtype=np.float32))
    d3 = F.dropout(a3, p=0.2, training=True)
    kept = d3.numpy() != 0
    print(f"fraction dropped {1 - kept.mean():.3f}, survivors scaled to {d3.numpy()[kept][0]:.3f}, "
          f"mean {d3.numpy().mean():.3f}")
    assert abs((1 - kept.mean()) - 0.2) < 0.01 and np.allclose(d3.numpy()[kept], 1 / 0.8)
    assert abs(d3.numpy().mean() - 1.0) < 0.02

    layer = nn.Dropout(0.2)
    layer.eval()
    assert np.array_equal(layer(a3).numpy(), a3.numpy())            # identity at test time
    """),
    code(r"""
    runs["dropout 0.5"] = fit(dropout=0.5)
    for name in ("no regularisation", "dropout 0.5"):
        h = runs[name][1]
        print(f"{name:>18}: lowest validation loss {h[:, 2].min():.3f} at epoch {h[:, 2].argmin() + 1}, "
              f"final validation accuracy {h[-1, 3]:.1%}")
    plain, dropped = runs["no regularisation"][1], runs["dropout 0.5"][1]
    assert dropped[:, 2].min() < plain[:, 2].min()          # a better best model
    assert dropped[:, 2].argmin() > plain[:, 2].argmin()    # and overfitting sets in later
    """),
    md(r"""
    ## All the curves

    Validation loss per epoch for every run. Without regularisation it climbs steadily
    after its minimum. The L2 and L1 penalties keep it lower, dropout reaches a lower
    minimum later and climbs more slowly, and early stopping simply stops near the
    minimum.
    """),
    code(r"""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4))
    for name, (model, history) in runs.items():
        epochs = np.arange(1, len(history) + 1)
        left.plot(epochs, history[:, 2], label=name, lw=2 if name == "no regularisation" else 1)
        right.plot(epochs, history[:, 3], label=name, lw=2 if name == "no regularisation" else 1)
    left.set(xlabel="epoch", ylabel="validation loss", title="validation loss", ylim=(0.4, 1.0))
    right.set(xlabel="epoch", ylabel="validation accuracy", title="validation accuracy", ylim=(0.6, 0.9))
    left.legend()
    fig.tight_layout()
    """),
    md(r"""
    ## The test set, once

    The validation set picked the winner; only now is the test set used, once, to
    report how well that choice generalises.
    """),
    code(r"""
    final_val = {name: evaluate(model, X_val, y_val)[0] for name, (model, history) in runs.items()}
    for name, value in sorted(final_val.items(), key=lambda kv: kv[1]):
        print(f"{name:>18}: validation loss {value:.3f}")
    chosen = min(final_val, key=final_val.get)
    test_loss, test_acc = evaluate(runs[chosen][0], X_test, y_test)
    print(f"\nchosen on validation: {chosen}; test loss {test_loss:.3f}, test accuracy {test_acc:.1%}")
    assert chosen != "no regularisation" and test_acc > 0.75
    """),
    md(r"""
    ## What to remember

    * Fit the scaler on the training set only; tune on the validation set; touch the test
      set once.
    * Overfitting: training loss keeps falling while validation loss rises.
    * Early stopping keeps the weights from the best validation epoch.
    * L2 (`weight_decay`, `F.l2_penalty`) shrinks weights; L1 (`F.l1_penalty`) zeroes many
      of them; dropout (`nn.Dropout`) trains a different thinned network every step and
      is switched off by `model.eval()`.
    """),
]


# ------------------------------------------------------------------------------------
# 7. MNIST with an MLP and a CNN
# ------------------------------------------------------------------------------------

NB07 = [
    md(r"""
    # 7. Handwritten digits: an MLP and a CNN

    Whatever the network, training follows the same steps: **prepare the dataset**,
    **build the model**, **define the loss**, **optimise**, then **test** on data the model
    has never seen. This lesson takes them on the MNIST sample bundled with kissgrad
    (5,000 real 28×28 digits), first with a multilayer perceptron, then with a small
    convolutional network, and then looks inside: the output of every layer for one
    digit, and which digits get confused with which.
    """),
    code(r"""
    import time

    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    import nn
    import nn.functional as F
    import optim
    from autograd import Tensor, no_grad
    from kissgrad.train import build_model, load_splits
    from nn.data import DataLoader, TensorDataset

    autograd.manual_seed(0)
    np.set_printoptions(precision=3, suppress=True)
    """),
    md(r"""
    ## 1. The data

    `nn.datasets.mnist_sample()` returns the raw images (uint8, 0 = no ink, 255 = ink) and
    their labels, and works offline.
    """),
    code(r"""
    images, labels = nn.datasets.mnist_sample()
    print(images.shape, images.dtype, labels.shape, labels.dtype, "pixel range", images.min(), images.max())
    assert images.shape == (5000, 28, 28) and set(np.unique(labels)) == set(range(10))

    fig, axes = plt.subplots(2, 10, figsize=(12, 2.8))
    for ax, i in zip(axes.ravel(), range(20)):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(str(labels[i]))
        ax.axis("off")
    fig.suptitle("the first 20 digits and their labels")
    fig.tight_layout()
    """),
    md(r"""
    `kissgrad.train.load_splits` prepares them the way `kissgrad train` does: pixels to
    float32 in $[0, 1]$, a shuffled 80/10/10 split into training, validation and test
    sets, and standardisation with the mean and standard deviation of the training
    pixels (applied unchanged to the other two splits). Images keep a channel axis,
    (N, 1, 28, 28), as convolutions expect.
    """),
    code(r"""
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = load_splits(seed=0)
    for name, X, y in [("train", X_train, y_train), ("validation", X_val, y_val), ("test", X_test, y_test)]:
        print(f"{name:>10}: {X.shape}  mean {X.mean():+.3f}  std {X.std():.3f}  "
              f"label counts {np.bincount(y, minlength=10)}")
    assert len(X_train) == 4000 and abs(X_train.mean()) < 1e-3 and abs(X_train.std() - 1) < 1e-3
    """),
    md(r"""
    ## 2. and 3. The models and the loss

    Both end in 10 outputs, one logit per digit, trained with the cross-entropy of their
    softmax (lesson 3). The MLP flattens the image to 784 numbers and has two hidden
    layers; the CNN slides small $3\times3$ filters over the image (each `Conv2d` output
    channel is one filter's **feature map**), halves the resolution with max-pooling,
    and only then classifies. `build_model` is the model `kissgrad train` uses.
    """),
    code(r"""
    autograd.manual_seed(0)
    models = {"MLP": build_model("mlp", dropout=0.1), "CNN": build_model("cnn", dropout=0.1)}
    for name, model in models.items():
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")
        print(model, "\n")
    """),
    code(r"""
    x = Tensor(X_train[:2])
    print("CNN, layer by layer, on a batch of 2:")
    for i, layer in enumerate(models["CNN"]):
        x = layer(x)
        print(f"  {i:>2} {type(layer).__name__:<10} -> {x.shape}")
    assert x.shape == (2, 10)
    """),
    md(r"""
    ## 4. Optimisation

    Mini-batches of 64, Adam, a few epochs (one epoch = one pass over the 4,000 training
    digits). The accuracy on the validation set is measured after every epoch, in
    `eval()` mode (dropout off) and without recording a graph (`no_grad`).
    """),
    code(r"""
    def predict(model, X, batch_size=500):
        model.eval()
        with no_grad():
            logits = np.concatenate([model(Tensor(X[i:i + batch_size])).numpy()
                                     for i in range(0, len(X), batch_size)])
        model.train()
        return logits

    def train(model, epochs, lr=1e-3):
        optimizer = optim.Adam(model.parameters(), lr=lr)
        loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
        history = []
        for epoch in range(epochs):
            started, total = time.perf_counter(), 0.0
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(yb)
            val_acc = (predict(model, X_val).argmax(axis=1) == y_val).mean()
            history.append((total / len(X_train), val_acc))
            print(f"  epoch {epoch + 1}: train loss {history[-1][0]:.3f}, "
                  f"validation accuracy {val_acc:.1%} ({time.perf_counter() - started:.1f} s)")
        return np.array(history)

    histories = {}
    for name, epochs, lr in [("MLP", 5, 1e-3), ("CNN", 4, 2e-3)]:
        print(name)
        autograd.manual_seed(1)
        histories[name] = train(models[name], epochs, lr)
    """),
    md(r"""
    ## 5. Testing

    The test set was not used for anything so far. Accuracy = correct predictions /
    all predictions.
    """),
    code(r"""
    predictions = {name: predict(model, X_test).argmax(axis=1) for name, model in models.items()}
    accuracy = {name: float((p == y_test).mean()) for name, p in predictions.items()}
    for name, acc in accuracy.items():
        print(f"{name}: test accuracy {acc:.1%}")
    assert accuracy["MLP"] > 0.88 and accuracy["CNN"] > 0.88
    assert accuracy["CNN"] > accuracy["MLP"]          # with less than half the weights

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    for name, history in histories.items():
        epochs = np.arange(1, len(history) + 1)
        left.plot(epochs, history[:, 0], "o-", label=name)
        right.plot(epochs, history[:, 1], "o-", label=name)
    left.set(title="training loss", xlabel="epoch")
    right.set(title="validation accuracy", xlabel="epoch")
    left.legend()
    right.legend()
    fig.tight_layout()
    """),
    md(r"""
    ## The confusion matrix

    Row $i$, column $j$ counts the test digits of class $i$ predicted as $j$: the
    diagonal holds the correct ones, everything else is a mistake, and the largest
    off-diagonal cells tell which digits look alike to the model.
    """),
    code(r"""
    def confusion_matrix(truth, predicted, classes=10):
        return np.bincount(truth * classes + predicted, minlength=classes * classes).reshape(classes, classes)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6))
    for ax, (name, predicted) in zip(axes, predictions.items()):
        matrix = confusion_matrix(y_test, predicted)
        assert matrix.sum() == len(y_test) and np.trace(matrix) == (predicted == y_test).sum()
        ax.imshow(matrix, cmap="Blues")
        for i in range(10):
            for j in range(10):
                if matrix[i, j]:
                    ax.text(j, i, matrix[i, j], ha="center", va="center", fontsize=8,
                            color="white" if matrix[i, j] > matrix.max() / 2 else "black")
        ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
               title=f"{name} (test accuracy {accuracy[name]:.1%})")
        off = matrix - np.diag(np.diag(matrix))
        i, j = np.unravel_index(off.argmax(), off.shape)
        print(f"{name}: most frequent mistake: {i} taken for {j} ({off[i, j]} times)")
    fig.tight_layout()
    """),
    md(r"""
    ## Inside the CNN: the output of each layer

    Running one test digit through the CNN layer by layer and keeping every output shows
    what each layer computes. The first convolution's filters are small edge and stroke
    detectors; their feature maps light up where the digit has that kind of stroke. ReLU
    keeps the positive responses, pooling halves the resolution, and the second
    convolution combines the first layer's maps into more abstract, coarser ones.
    """),
    code(r"""
    def layer_outputs(model, x):
        outputs, h = [], Tensor(x)
        model.eval()
        with no_grad():
            for layer in model:
                h = layer(h)
                outputs.append((type(layer).__name__, h.numpy()[0]))
        model.train()
        return outputs

    digit = X_test[:1]
    cnn_outputs = layer_outputs(models["CNN"], digit)
    for i, (name, out) in enumerate(cnn_outputs):
        print(f"{i:>2} {name:<10} {out.shape}")

    kernels = models["CNN"][0].weight.numpy()[:, 0]              # (8, 3, 3): the first layer's filters
    fig, axes = plt.subplots(1, 9, figsize=(12, 1.6))
    axes[0].imshow(digit[0, 0], cmap="gray_r")
    axes[0].set_title(f"input ({y_test[0]})")
    for ax, k in zip(axes[1:], kernels):
        ax.imshow(k, cmap="RdBu_r", vmin=-np.abs(kernels).max(), vmax=np.abs(kernels).max())
    axes[1].set_title("conv1 filters", loc="left")
    for ax in axes:
        ax.axis("off")
    """),
    code(r"""
    def show_maps(maps, title, columns=8):
        rows = int(np.ceil(len(maps) / columns))
        fig, axes = plt.subplots(rows, columns, figsize=(1.4 * columns, 1.5 * rows + 0.3))
        for ax, i in zip(np.ravel(axes), range(rows * columns)):
            ax.axis("off")
            if i < len(maps):
                ax.imshow(maps[i], cmap="viridis")
        fig.suptitle(title)
        fig.tight_layout()

    for index, title in [(0, "conv1: 8 feature maps, 28x28"), (1, "after ReLU"),
                         (2, "after max-pooling: 14x14"), (3, "conv2: 16 feature maps, 14x14"),
                         (5, "after ReLU and max-pooling: 7x7")]:
        show_maps(cnn_outputs[index][1], title)
    """),
    code(r"""
    logits = cnn_outputs[-1][1]
    probabilities = F.softmax(Tensor(logits), dim=-1).numpy()
    plt.figure(figsize=(5, 2.5))
    plt.bar(range(10), probabilities)
    plt.xticks(range(10))
    plt.xlabel("digit")
    plt.ylabel("probability")
    plt.title(f"CNN output (softmax): predicts {probabilities.argmax()}, true {y_test[0]}")
    assert np.isclose(probabilities.sum(), 1, atol=1e-5)
    """),
    md(r"""
    ## Inside the MLP

    The MLP has no images inside, but each first-layer hidden unit has one weight per
    pixel, so its 784 weights can be shown as a 28×28 picture: the pattern that unit
    responds to (red: ink there raises its input, blue: lowers it). Below them, the
    activations of both hidden layers for the same digit (256 and 128 units, laid out as
    grids): after ReLU many units are exactly 0, and a different digit lights up a
    different set.
    """),
    code(r"""
    W1 = models["MLP"][1].weight.numpy()                         # (256, 784)
    fig, axes = plt.subplots(2, 8, figsize=(12, 3.2))
    for ax, unit in zip(axes.ravel(), range(16)):
        w = W1[unit].reshape(28, 28)
        ax.imshow(w, cmap="RdBu_r", vmin=-np.abs(w).max(), vmax=np.abs(w).max())
        ax.axis("off")
    fig.suptitle("first-layer weights of 16 hidden units")
    fig.tight_layout()

    mlp_outputs = layer_outputs(models["MLP"], digit)
    hidden1, hidden2 = mlp_outputs[2][1], mlp_outputs[5][1]       # after each ReLU
    other = layer_outputs(models["MLP"], X_test[1:2])[2][1]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3))
    panels = [(hidden1.reshape(16, 16), f"hidden 1 (256 units), digit {y_test[0]}"),
              (hidden2.reshape(8, 16), f"hidden 2 (128 units), digit {y_test[0]}"),
              (other.reshape(16, 16), f"hidden 1, digit {y_test[1]}")]
    for ax, (image, title) in zip(axes, panels):
        ax.imshow(image)
        ax.set_title(title)
        ax.axis("off")
    print(f"hidden 1: {np.mean(hidden1 == 0):.0%} of the units are exactly 0 (ReLU)")
    assert (hidden1 >= 0).all() and np.mean(hidden1 == 0) > 0.2
    """),
    md(r"""
    ## The mistakes

    A look at some test digits the CNN gets wrong: often they are ambiguous to people too.
    """),
    code(r"""
    wrong = np.flatnonzero(predictions["CNN"] != y_test)[:12]
    fig, axes = plt.subplots(1, len(wrong), figsize=(1.2 * len(wrong), 1.8))
    for ax, i in zip(np.atleast_1d(axes), wrong):
        ax.imshow(X_test[i, 0], cmap="gray_r")
        ax.axis("off")
        ax.set_title(f"{y_test[i]} -> {predictions['CNN'][i]}", fontsize=9)
    fig.suptitle("CNN mistakes (true -> predicted)")
    fig.tight_layout()
    """),
    md(r"""
    ## What to remember

    * Prepare (scale with training statistics, split), build, choose the loss, optimise,
      and test once on held-out data.
    * An MLP sees 784 unrelated numbers; a CNN's small shared filters exploit that
      nearby pixels belong together: here it is more accurate with less than half the
      weights.
    * Looking inside (feature maps, hidden activations, the confusion matrix, the
      mistakes) shows what was learned and what was not.
    * For longer runs: `kissgrad train --model cnn` trains with early stopping and writes
      curves and the model.
    """),
]


# ------------------------------------------------------------------------------------
# 8. Verifying gradients
# ------------------------------------------------------------------------------------

NB08 = [
    md(r"""
    # 8. Verifying gradients

    A wrong backward rule does not crash: training just goes worse, or nowhere, and
    nothing says why. So every derivative in an autograd engine should be checked
    against the definition of the derivative itself, numerically. This lesson shows how
    `autograd.gradcheck` does it, how it catches a deliberately wrong backward in a
    custom operation (and names it), how `gradgradcheck` checks second derivatives, and
    the whole-function `jacobian` and `hessian`.
    """),
    code(r"""
    import math

    import matplotlib.pyplot as plt
    import numpy as np

    import autograd
    import nn.functional as F
    from autograd import GradcheckError, Tensor, Value, gradcheck, gradgradcheck, op
    from autograd.functional import hessian, jacobian

    autograd.manual_seed(0)
    rng = np.random.default_rng(0)
    """),
    md(r"""
    ## Finite differences

    The derivative is a limit, $f'(x) = \lim_{\epsilon\to 0} \frac{f(x+\epsilon) - f(x)}{\epsilon}$.
    The **central** difference

    $$f'(x) \approx \frac{f(x+\epsilon) - f(x-\epsilon)}{2\epsilon}$$

    is accurate to $O(\epsilon^2)$, but $\epsilon$ cannot be made arbitrarily small: the
    two values of $f$ then agree in almost all their digits, and their difference is
    mostly rounding error, of order $\delta/\epsilon$ for machine precision $\delta$. The
    total error is smallest in between, around $\epsilon \approx 10^{-6}$ in float64
    ($\delta \approx 10^{-16}$). In float32 ($\delta \approx 10^{-7}$) even the best
    $\epsilon$ leaves an error a million times larger, too coarse to check anything
    reliably: that is why `gradcheck` works on float64 copies.
    """),
    code(r"""
    # f(x) = x^3 tanh(2x) at x = 0.7; the engine's derivative is the reference
    x0 = 0.7
    v = Value(x0)
    (v ** 3 * (2 * v).tanh()).backward()
    exact = v.grad

    def f(x, dtype):
        x = dtype(x)
        return x ** 3 * np.tanh(dtype(2) * x)

    def central_difference_error(eps, dtype):
        return abs(float(f(x0 + eps, dtype) - f(x0 - eps, dtype)) / (2 * eps) - exact)

    epsilons = np.logspace(-12, -1, 45)
    errors = {dtype.__name__: [central_difference_error(e, dtype) for e in epsilons]
              for dtype in (np.float64, np.float32)}
    for eps in (1e-12, 1e-9, 1e-6, 1e-3, 1e-1):
        print(f"eps {eps:.0e}: error {central_difference_error(eps, np.float64):.1e} (float64), "
              f"{central_difference_error(eps, np.float32):.1e} (float32)")

    assert central_difference_error(1e-6, np.float64) < 1e-9       # the sweet spot
    assert central_difference_error(1e-12, np.float64) > 1e-6      # rounding error dominates
    assert central_difference_error(1e-1, np.float64) > 1e-3       # truncation error dominates
    assert min(errors["float32"]) > 1000 * min(errors["float64"])  # float32 is far coarser

    plt.figure(figsize=(5.5, 3.5))
    for name, e in errors.items():
        plt.loglog(epsilons, np.maximum(e, 1e-17), ".-", label=name)
    plt.xlabel("epsilon")
    plt.ylabel("|finite difference - exact|")
    plt.title("central differences: truncation vs rounding")
    plt.legend()
    plt.tight_layout()
    """),
    md(r"""
    ## `gradcheck`

    `gradcheck(fn, inputs)` computes, for every input that requires grad, the whole
    Jacobian twice: analytically (one backward pass per output element) and by central
    differences (two calls of `fn` per input element), on float64 copies, and compares
    them element by element ($|a - n| \le \text{atol} + \text{rtol}\,|n|$). It returns True,
    or raises `GradcheckError`. Functions may take several inputs and return non-scalars.
    """),
    code(r"""
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: (t.exp() * t).sum(axis=1), (x,))

    # a small classifier: gradients with respect to the input, the weights and the bias at once
    W = Tensor(rng.standard_normal((5, 4)), requires_grad=True)
    b = Tensor(rng.standard_normal(5), requires_grad=True)
    labels = np.array([0, 3, 4])
    assert gradcheck(lambda x, W, b: F.cross_entropy(F.linear(x, W, b).tanh(), labels), (x, W, b))
    print("all analytical gradients agree with finite differences")
    """),
    md(r"""
    ## A custom operation

    An op is a name, a forward on raw data (arrays), a forward on Python floats (for
    `Value`; `None` if the op is array-only), and a backward rule. The rule receives the
    incoming gradient `g`, the op's output `out` and its inputs, and returns one gradient
    per input. Written with ordinary operators, the same rule serves arrays, scalars and
    (for second derivatives) graph nodes.

    Our example is the *inverse square root unit*, a smooth S-shaped activation:

    $$\operatorname{isru}(x) = \frac{x}{\sqrt{1 + x^2}}, \qquad
      \operatorname{isru}'(x) = (1 + x^2)^{-3/2}.$$
    """),
    code(r"""
    isru = op("isru",
              lambda x: x / np.sqrt(1 + x * x),                  # arrays
              lambda x: x / math.sqrt(1 + x * x),                # Python floats (Value)
              lambda g, out, x: (g * (1 + x * x) ** -1.5,))      # d/dx, times the incoming g

    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = isru(x)
    print("works on Tensors:", y.shape, y.grad_fn, "  and on Values:", isru(Value(0.5)))
    assert gradcheck(lambda t: isru(t).sum(), (x,))
    assert gradcheck(lambda t: isru(t) * t, (Value(0.3),))
    assert gradcheck(lambda t, w: isru(t @ w.T).sum(axis=0), (x, W))     # inside a bigger graph
    print("isru's backward is correct")
    """),
    md(r"""
    ## Catching a wrong backward

    A classic slip: differentiating $x (1+x^2)^{-1/2}$ but forgetting the chain rule
    through the denominator gives $(1 + x^2)^{-1/2}$ instead of $(1 + x^2)^{-3/2}$. The
    buggy op is used in the middle of a larger computation. `gradcheck` reports where
    the Jacobians disagree (which input, which element, both values) and then checks
    every op of the graph on its own and names the first whose backward is wrong:
    """),
    code(r"""
    isru_buggy = op("isru_buggy",
                    lambda x: x / np.sqrt(1 + x * x),
                    lambda x: x / math.sqrt(1 + x * x),
                    lambda g, out, x: (g * (1 + x * x) ** -0.5,))      # wrong: forgot a factor

    def network(x, W):
        return (isru_buggy((x @ W.T).tanh()) * 3).sum()

    try:
        gradcheck(network, (x, W))
        raise AssertionError("gradcheck missed the wrong backward")
    except GradcheckError as error:
        message = str(error)
        print(message)

    assert "First op whose own backward is wrong: 'isru_buggy'" in message
    assert "input 0" in message
    assert gradcheck(network, (x, W), raise_exception=False) is False
    """),
    md(r"""
    The other ops in the graph (`matmul`, `tanh`, `mul`, `sum`) pass their own check, so
    the message points at the one that needs fixing.

    ## Second derivatives: `gradgradcheck`

    Gradients of gradients (Hessians, gradient penalties, Newton steps) need each backward
    rule to be differentiable itself. `grad(..., create_graph=True)` records the backward
    pass as a graph, and `gradgradcheck` checks its derivative against finite differences
    of the gradient. `isru`'s rule is written with operators, so it passes, and the
    Hessian of $\sum_i \operatorname{isru}(x_i)$ is diagonal with
    $\operatorname{isru}''(x) = -3x(1+x^2)^{-5/2}$:
    """),
    code(r"""
    assert gradgradcheck(lambda t: isru(t), (x,))

    x1 = rng.standard_normal(5)
    H = hessian(lambda t: isru(t).sum(), Tensor(x1)).numpy()
    print("diagonal of the Hessian:", H.diagonal().round(5))
    assert np.allclose(H, np.diag(-3 * x1 * (1 + x1 ** 2) ** -2.5), atol=1e-5)
    """),
    md(r"""
    A rule can be right for first derivatives and still break second ones. Here the
    factor is computed from `x.detach()`, a constant, so the graph recorded under
    `create_graph=True` no longer knows that it depends on $x$. `gradcheck` passes;
    `gradgradcheck` catches it and says what is wrong:
    """),
    code(r"""
    def detached(x):
        return x.detach() if isinstance(x, Tensor) else x         # raw arrays on the fast path

    isru_detached = op("isru_detached",
                       lambda x: x / np.sqrt(1 + x * x),
                       lambda x: x / math.sqrt(1 + x * x),
                       lambda g, out, x: (g * (1 + detached(x) ** 2) ** -1.5,))

    assert gradcheck(lambda t: isru_detached(t).sum(), (x,))
    try:
        gradgradcheck(lambda t: isru_detached(t * 2).tanh(), (x,))
        raise AssertionError("gradgradcheck missed the constant factor")
    except GradcheckError as error:
        message = str(error)
        print(message)
    assert "'isru_detached'" in message and "second derivatives" in message
    """),
    md(r"""
    ## Jacobians and Hessians

    `autograd.functional.jacobian(fn, x)` returns every partial derivative of every output,
    shape `fn(x).shape + x.shape`; `hessian(fn, x)` the second derivatives of a scalar
    function. Two classics:

    * softmax: $\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_j)$, i.e.
      $J = \operatorname{diag}(p) - p p^\top$;
    * the Rosenbrock function $f(a, b) = (1-a)^2 + 100(b - a^2)^2$ has its minimum at
      $(1, 1)$, where the Hessian is $\begin{pmatrix} 802 & -400 \\ -400 & 200 \end{pmatrix}$
      (positive definite: a minimum, but a very elongated one).
    """),
    code(r"""
    z = Tensor([0.0, 0.006, 0.12], dtype=np.float64)
    J = jacobian(lambda t: F.softmax(t, dim=-1), z).numpy()
    p = F.softmax(z, dim=-1).numpy()
    print("Jacobian of softmax at (0, 0.006, 0.12):\n", J.round(4))
    assert np.allclose(J, np.diag(p) - np.outer(p, p))

    def rosenbrock(t):
        return (1 - t[0]) ** 2 + 100 * (t[1] - t[0] ** 2) ** 2

    H = hessian(rosenbrock, Tensor([1.0, 1.0], dtype=np.float64)).numpy()
    print("Hessian of Rosenbrock at (1, 1):\n", H, "\neigenvalues", np.linalg.eigvalsh(H).round(2))
    assert np.allclose(H, [[802, -400], [-400, 200]]) and (np.linalg.eigvalsh(H) > 0).all()
    """),
    md(r"""
    Without forming the whole Hessian, `autograd.grad(..., create_graph=True)` gives a
    differentiable gradient, and differentiating $\nabla f \cdot v$ once more gives the
    Hessian-vector product $H v$ at the cost of two backward passes:
    """),
    code(r"""
    point = Tensor([0.5, -0.3], dtype=np.float64, requires_grad=True)
    v = Tensor([1.0, 2.0], dtype=np.float64)
    (g,) = autograd.grad(rosenbrock(point), point, create_graph=True)
    (Hv,) = autograd.grad((g * v).sum(), point)
    H_here = hessian(rosenbrock, Tensor([0.5, -0.3], dtype=np.float64)).numpy()
    print("Hv =", Hv.numpy(), "  H @ v =", H_here @ v.numpy())
    assert np.allclose(Hv.numpy(), H_here @ v.numpy())
    """),
    md(r"""
    ## `Value` and `Tensor`: one engine

    `Value` (scalars, micrograd-style) and `Tensor` (arrays) share the engine and the op
    table, so the same expression gives the same numbers and the same gradients with
    either, and `gradcheck` checks both:
    """),
    code(r"""
    def expression(a, b):
        c = a * b + (a / b).exp()
        return (c.tanh() + c.sigmoid() * a) ** 2 - c.relu() / 3

    a_v, b_v = Value(0.8), Value(-1.3)
    out_v = expression(a_v, b_v)
    out_v.backward()

    a_t = Tensor(0.8, dtype=np.float64, requires_grad=True)
    b_t = Tensor(-1.3, dtype=np.float64, requires_grad=True)
    out_t = expression(a_t, b_t)
    out_t.backward()

    print(f"Value : out {out_v.data:.12f}  da {a_v.grad:.12f}  db {b_v.grad:.12f}")
    print(f"Tensor: out {out_t.item():.12f}  da {a_t.grad.item():.12f}  db {b_t.grad.item():.12f}")
    assert math.isclose(out_v.data, out_t.item(), rel_tol=1e-12)
    assert math.isclose(a_v.grad, a_t.grad.item(), rel_tol=1e-12)
    assert math.isclose(b_v.grad, b_t.grad.item(), rel_tol=1e-12)
    assert gradcheck(expression, (Value(0.8), Value(-1.3)))
    assert gradcheck(expression, (a_t, b_t))
    """),
    md(r"""
    ## What to remember

    * Check every derivative numerically: central differences in float64, with
      $\epsilon \approx 10^{-6}$.
    * `gradcheck(fn, inputs)` compares whole Jacobians and, when they differ, names the
      first op whose own backward is wrong.
    * A custom op is `op(name, forward, scalar_forward, backward)`; write the backward
      with operators (not raw arrays, not `detach()`) and second derivatives come free,
      which `gradgradcheck` confirms.
    * `autograd.functional.jacobian`/`hessian` give whole derivative matrices;
      `grad(..., create_graph=True)` gives Hessian-vector products.
    """),
]


NOTEBOOKS = {
    "01_gradient_descent": NB01,
    "02_backprop_by_hand": NB02,
    "03_losses_and_softmax": NB03,
    "04_optimizers": NB04,
    "05_vanishing_gradients": NB05,
    "06_overfitting_and_regularisation": NB06,
    "07_mnist_mlp_and_cnn": NB07,
    "08_verifying_gradients": NB08,
}


def build(name, cells):
    """Return the notebook ``name`` made of ``cells`` (no outputs, deterministic ids)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, (kind, source) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source)
        cell.id = f"{name[:2]}-{index:02d}"
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def main():
    for name, cells in NOTEBOOKS.items():
        path = HERE / f"{name}.ipynb"
        nbformat.write(build(name, cells), path)
        print(f"wrote {path.relative_to(HERE.parent)} ({len(cells)} cells)")


if __name__ == "__main__":
    main()
