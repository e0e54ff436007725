"""Gradient-checking a Module: its parameters as inputs of a function gradcheck can perturb."""
from autograd import Tensor


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
