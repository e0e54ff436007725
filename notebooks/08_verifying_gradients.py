# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Verifying gradients
#
# A wrong backward rule does not crash: training just goes worse, or nowhere, and
# nothing says why. So every derivative in an autograd engine should be checked
# against the definition of the derivative itself, numerically. This lesson shows how
# `autograd.gradcheck` does it, how it catches a deliberately wrong backward in a
# custom operation (and names it), how `gradgradcheck` checks second derivatives, and
# the whole-function `jacobian` and `hessian`.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import autograd
import nn.functional as F
from autograd import GradcheckError, Tensor, Value, gradcheck, gradgradcheck, op
from autograd.functional import hessian, jacobian

autograd.manual_seed(0)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Finite differences
#
# The derivative is a limit, $f'(x) = \lim_{\epsilon\to 0} \frac{f(x+\epsilon) - f(x)}{\epsilon}$.
# The **central** difference
#
# $$f'(x) \approx \frac{f(x+\epsilon) - f(x-\epsilon)}{2\epsilon}$$
#
# is accurate to $O(\epsilon^2)$, but $\epsilon$ cannot be made arbitrarily small: the
# two values of $f$ then agree in almost all their digits, and their difference is
# mostly rounding error, of order $\delta/\epsilon$ for machine precision $\delta$. The
# total error is smallest in between, around $\epsilon \approx 10^{-6}$ in float64
# ($\delta \approx 10^{-16}$). In float32 ($\delta \approx 10^{-7}$) even the best
# $\epsilon$ leaves an error a million times larger, too coarse to check anything
# reliably: that is why `gradcheck` works on float64 copies.

# %%
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

# %% [markdown]
# ## `gradcheck`
#
# `gradcheck(fn, inputs)` computes, for every input that requires grad, the whole
# Jacobian twice: analytically (one backward pass per output element) and by central
# differences (two calls of `fn` per input element), on float64 copies, and compares
# them element by element ($|a - n| \le \text{atol} + \text{rtol}\,|n|$). It returns True,
# or raises `GradcheckError`. Functions may take several inputs and return non-scalars.

# %%
x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
assert gradcheck(lambda t: (t.exp() * t).sum(dim=1), (x,))

# a small classifier: gradients with respect to the input, the weights and the bias at once
W = Tensor(rng.standard_normal((5, 4)), requires_grad=True)
b = Tensor(rng.standard_normal(5), requires_grad=True)
labels = np.array([0, 3, 4])
assert gradcheck(lambda x, W, b: F.cross_entropy(F.linear(x, W, b).tanh(), labels), (x, W, b))
print("all analytical gradients agree with finite differences")

# %% [markdown]
# ## A custom operation
#
# An op is a name, a forward on raw data (arrays), a forward on Python floats (for
# `Value`; `None` if the op is array-only), and a backward rule. The rule receives the
# incoming gradient `g`, the op's output `out` and its inputs, and returns one gradient
# per input. Written with ordinary operators, the same rule serves arrays, scalars and
# (for second derivatives) graph nodes.
#
# Our example is the *inverse square root unit*, a smooth S-shaped activation:
#
# $$\operatorname{isru}(x) = \frac{x}{\sqrt{1 + x^2}}, \qquad
#   \operatorname{isru}'(x) = (1 + x^2)^{-3/2}.$$

# %%
isru = op("isru",
          lambda x: x / np.sqrt(1 + x * x),                  # arrays
          lambda x: x / math.sqrt(1 + x * x),                # Python floats (Value)
          lambda g, out, x: (g * (1 + x * x) ** -1.5,))      # d/dx, times the incoming g

x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
y = isru(x)
print("works on Tensors:", y.shape, y.grad_fn, "  and on Values:", isru(Value(0.5)))
assert gradcheck(lambda t: isru(t).sum(), (x,))
assert gradcheck(lambda t: isru(t) * t, (Value(0.3),))
assert gradcheck(lambda t, w: isru(t @ w.T).sum(dim=0), (x, W))     # inside a bigger graph
print("isru's backward is correct")

# %% [markdown]
# ## Catching a wrong backward
#
# A classic slip: differentiating $x (1+x^2)^{-1/2}$ but forgetting the chain rule
# through the denominator gives $(1 + x^2)^{-1/2}$ instead of $(1 + x^2)^{-3/2}$. The
# buggy op is used in the middle of a larger computation. `gradcheck` reports where
# the Jacobians disagree (which input, which element, both values) and then checks
# every op of the graph on its own and names the first whose backward is wrong:

# %%
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

# %% [markdown]
# The other ops in the graph (`matmul`, `tanh`, `mul`, `sum`) pass their own check, so
# the message points at the one that needs fixing.
#
# ## Second derivatives: `gradgradcheck`
#
# Gradients of gradients (Hessians, gradient penalties, Newton steps) need each backward
# rule to be differentiable itself. `grad(..., create_graph=True)` records the backward
# pass as a graph, and `gradgradcheck` checks its derivative against finite differences
# of the gradient. `isru`'s rule is written with operators, so it passes, and the
# Hessian of $\sum_i \operatorname{isru}(x_i)$ is diagonal with
# $\operatorname{isru}''(x) = -3x(1+x^2)^{-5/2}$:

# %%
assert gradgradcheck(lambda t: isru(t), (x,))

x1 = rng.standard_normal(5)
H = hessian(lambda t: isru(t).sum(), Tensor(x1)).numpy()
print("diagonal of the Hessian:", H.diagonal().round(5))
assert np.allclose(H, np.diag(-3 * x1 * (1 + x1 ** 2) ** -2.5), atol=1e-5)


# %% [markdown]
# A rule can be right for first derivatives and still break second ones. Here the
# factor is computed from `x.detach()`, a constant, so the graph recorded under
# `create_graph=True` no longer knows that it depends on $x$. `gradcheck` passes;
# `gradgradcheck` catches it and says what is wrong:

# %%
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

# %% [markdown]
# ## Jacobians and Hessians
#
# `autograd.functional.jacobian(fn, x)` returns every partial derivative of every output,
# shape `fn(x).shape + x.shape`; `hessian(fn, x)` the second derivatives of a scalar
# function. Two classics:
#
# * softmax: $\frac{\partial p_i}{\partial z_j} = p_i(\delta_{ij} - p_j)$, i.e.
#   $J = \operatorname{diag}(p) - p p^\top$;
# * the Rosenbrock function $f(a, b) = (1-a)^2 + 100(b - a^2)^2$ has its minimum at
#   $(1, 1)$, where the Hessian is $\begin{pmatrix} 802 & -400 \\ -400 & 200 \end{pmatrix}$
#   (positive definite: a minimum, but a very elongated one).

# %%
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

# %% [markdown]
# Without forming the whole Hessian, `autograd.grad(..., create_graph=True)` gives a
# differentiable gradient, and differentiating $\nabla f \cdot v$ once more gives the
# Hessian-vector product $H v$ at the cost of two backward passes:

# %%
point = Tensor([0.5, -0.3], dtype=np.float64, requires_grad=True)
v = Tensor([1.0, 2.0], dtype=np.float64)
(g,) = autograd.grad(rosenbrock(point), point, create_graph=True)
(Hv,) = autograd.grad((g * v).sum(), point)
H_here = hessian(rosenbrock, Tensor([0.5, -0.3], dtype=np.float64)).numpy()
print("Hv =", Hv.numpy(), "  H @ v =", H_here @ v.numpy())
assert np.allclose(Hv.numpy(), H_here @ v.numpy())


# %% [markdown]
# ## `Value` and `Tensor`: one engine
#
# `Value` (scalars, micrograd-style) and `Tensor` (arrays) share the engine and the op
# table, so the same expression gives the same numbers and the same gradients with
# either, and `gradcheck` checks both:

# %%
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

# %% [markdown]
# ## What to remember
#
# * Check every derivative numerically: central differences in float64, with
#   $\epsilon \approx 10^{-6}$.
# * `gradcheck(fn, inputs)` compares whole Jacobians and, when they differ, names the
#   first op whose own backward is wrong.
# * A custom op is `op(name, forward, scalar_forward, backward)`; write the backward
#   with operators (not raw arrays, not `detach()`) and second derivatives come free,
#   which `gradgradcheck` confirms.
# * `autograd.functional.jacobian`/`hessian` give whole derivative matrices;
#   `grad(..., create_graph=True)` gives Hessian-vector products.
