"""Numerical gradient checking: whole-function Jacobians, then which op is wrong.

``gradcheck`` compares the analytical Jacobian of every input that requires grad
with central finite differences in float64. It never reports success on a value
that is not finite, and where they disagree it says why: the point is not
differentiable (the one-sided differences disagree: a kink such as relu at 0), or
an op is wrong, in which case it re-runs the function, checks each op's own
backward rule against finite differences at the values that op saw, and names the
first one that is wrong.

This module holds the two entry points; the checks they share live beside it:
gradcheck_guards.py (arguments, inputs and outputs refused up front), gradcheck_jacobian.py
(both Jacobians and what a mismatch means) and gradcheck_blame.py (``first_wrong_op``, the
search for the wrong op, re-exported here).
"""
import numpy as np

from .engine import grad
from .gradcheck_blame import first_wrong_op
from .gradcheck_guards import as_tuple, check_arguments, checked_grad_outputs, prepare, returned_nodes
from .gradcheck_jacobian import compare, nonfinite_output_message


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when analytical and numerical gradients differ."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Return True when ``fn``'s analytical gradients match central finite differences.

    ``inputs`` is a tuple of Tensors/Values (those requiring grad are checked) and
    other arguments; ``fn`` must return a Tensor, a Value or a tuple of them, one at
    least requiring grad (else TypeError/ValueError, as for a bad ``eps``, ``atol``,
    ``rtol`` or a non-finite input). Checks run on float64 copies. It never succeeds
    when an output or a Jacobian entry is NaN or Inf. On a failure raises
    ``GradcheckError`` naming the input, the worst element, both values and either the
    first op whose own backward is wrong or the non-differentiable point (kink) it sits
    at; with ``raise_exception=False`` returns False instead.

    Example::

        x = Tensor(np.random.randn(3), requires_grad=True)
        assert gradcheck(lambda t: (t.exp() * t).sum(), (x,))
    """
    check_arguments(eps, atol, rtol, "gradcheck")
    inputs, targets = prepare(inputs, "gradcheck")
    returned_nodes(fn, inputs, targets, "gradcheck")
    return _check(fn, inputs, targets, eps, atol, rtol, raise_exception, locate=fn,
                  second_order=False)


def _check(fn, inputs, targets, eps, atol, rtol, raise_exception, locate, second_order):
    """gradcheck's body; on a wrong op the search runs on ``locate`` (gradgradcheck: its fn)."""
    failure = compare(fn, inputs, targets, eps, atol, rtol, second_order)
    if failure is None:
        return True
    if not raise_exception:
        return False
    message, blame = failure
    if blame:
        message += first_wrong_op(locate, inputs, eps, atol, rtol, second_order)
    raise GradcheckError(message)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """Return True when the second derivatives of ``fn`` match finite differences of its gradient.

    Checks the Jacobian of ``grad(fn(x), x, grad_outputs=v, create_graph=True)`` for a
    fixed random ``v`` (or the given ``grad_outputs``) with ``gradcheck``'s guards (bad
    arguments or outputs refused, never a success on a non-finite value, kinks of the
    first derivative reported as such); a mismatch names the first op of ``fn`` whose
    backward rule has a wrong derivative.
    """
    check_arguments(eps, atol, rtol, "gradgradcheck")
    inputs, targets = prepare(inputs, "gradgradcheck")
    outputs = returned_nodes(fn, inputs, targets, "gradgradcheck")
    grad_outputs = checked_grad_outputs(outputs, grad_outputs)
    problem = nonfinite_output_message(outputs, inputs, targets, False)
    if problem and raise_exception:
        raise GradcheckError(problem)
    if problem:
        return False

    def first_derivative(*xs):
        outs = as_tuple(fn(*xs))
        live = [k for k, o in enumerate(outs) if o.requires_grad]
        grads = grad([outs[k] for k in live], [xs[i] for i in targets],
                     [grad_outputs[k] for k in live], create_graph=True, allow_unused=True)
        return tuple(_zeros_like(xs[i]) if g is None else g for i, g in zip(targets, grads))

    return _check(first_derivative, inputs, targets, eps, atol, rtol, raise_exception, locate=fn,
                  second_order=True)


def _zeros_like(x):
    """A constant zero gradient for ``x`` (an input its outputs do not depend on)."""
    return x._constant(np.zeros_like(x.raw) if x.is_array else 0.0)
