"""Gradient-checking a Module: its parameters as inputs of a function gradcheck can perturb."""
import numpy as np

from autograd import Tensor, gradcheck


def module_function(module, n_inputs, flatten=lambda out: out):
    """``(fn, params)``: fn(*inputs, *params) runs ``module`` with ``params`` in place of its own.

    gradcheck perturbs float64 copies of what it is given, so the copies are swapped
    into the module's parameter slots for each call; ``flatten`` turns the module's output
    into what gradcheck compares (a tensor or a tuple of them).
    """
    module.double()
    names = [name for name, _ in module.named_parameters()]

    def fn(*args):
        saved = dict(module._parameters)
        module._parameters.update(zip(names, args[n_inputs:]))
        try:
            return flatten(module(*args[:n_inputs]))
        finally:
            module._parameters.update(saved)

    return fn, tuple(Tensor(p.numpy().copy(), requires_grad=True) for p in module.parameters())


def output_and_state(result):
    """An RNN's ``(output, state)`` as one flat tuple (an LSTM's state is ``(h, c)``)."""
    output, state = result
    return (output,) + (tuple(state) if isinstance(state, tuple) else (state,))


def rand(*shape, low=-2.0, high=2.0, seed=0, requires_grad=True):
    """A float64 leaf of uniform samples."""
    data = np.random.default_rng(seed).uniform(low, high, size=shape)
    return Tensor(data, requires_grad=requires_grad)


def owner_and_name(module, dotted):
    *path, leaf = dotted.split(".")
    for name in path:
        module = module._modules[name]
    return module, leaf


def check_module(module, *inputs, fn=None):
    """gradcheck ``module`` in float64 with its inputs and its parameters as the checked inputs.

    gradcheck hands ``fn`` copies of the inputs, so the copies of the parameters are put
    into the module's parameter slots for the duration of each call.
    """
    module.double()
    fn = fn or (lambda out: out)
    named = list(module.named_parameters())
    slots = [owner_and_name(module, name) for name, _ in named]

    def run(*tensors):
        xs, ps = tensors[:len(inputs)], tensors[len(inputs):]
        saved = [owner._parameters[leaf] for owner, leaf in slots]
        for (owner, leaf), p in zip(slots, ps):
            owner._parameters[leaf] = p
        try:
            return fn(module(*xs))
        finally:
            for (owner, leaf), p in zip(slots, saved):
                owner._parameters[leaf] = p

    return gradcheck(run, tuple(inputs) + tuple(p for _, p in named))


# --- Linear, Flatten, Identity ----------------------------------------------------------
