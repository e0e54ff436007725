"""Module hooks: forward pre-hooks, forward hooks and full backward (pre-)hooks, as PyTorch's.

A full backward hook needs the gradients with respect to a call's tensor inputs and
outputs, each complete. As PyTorch's ``BackwardHookFunction`` does, the call's inputs that
require grad are routed through one node (their flattened concatenation, which the
forward then reads back in slices), and so are its outputs: a tensor hook on each of the
two nodes sees the whole gradient at once, splits it per tensor for the module hooks,
and joins what they return back into the gradient that flows on.
"""
import itertools

import numpy as np

from autograd import Tensor, as_tensor, concatenate, is_grad_enabled

_next_id = itertools.count()


class RemovableHandle:
    """Returned by ``register_*_hook``: ``remove()`` unregisters the hook (usable in ``with``)."""

    def __init__(self, registry):
        self.id = next(_next_id)
        self._registry = registry

    def remove(self):
        """Unregister the hook; a second call does nothing."""
        self._registry.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def add_hook(registry, hook, prepend=False, with_kwargs=False):
    """File ``hook`` in ``registry`` (an OrderedDict of id -> (hook, with_kwargs)); a handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(registry)
    registry[handle.id] = (hook, with_kwargs)
    if prepend:
        registry.move_to_end(handle.id, last=False)
    return handle


def call_with_hooks(module, args, kwargs):
    """Run ``module.forward`` with its pre-hooks, forward hooks and backward hooks in place."""
    for hook, with_kwargs in list(module._forward_pre_hooks.values()):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"forward pre-hook {_name(hook)} must return None or a "
                                       f"tuple (new_args, new_kwargs), got {result!r}")
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward = None
    if (module._backward_hooks or module._backward_pre_hooks) and is_grad_enabled():
        backward = _BackwardHook(module)
        args = backward.wrap_inputs(args)
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs in list(module._forward_hooks.values()):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if result is not None:
            output = result
    return output if backward is None else backward.wrap_outputs(output)


def _name(hook):
    return getattr(hook, "__qualname__", repr(hook))


class _Layout:
    """Where the tensors of one tuple (inputs or outputs) sit in their packed node."""

    def __init__(self, items):
        self.count = len(items)  # grad_input/grad_output: one entry per item, None if no tensor
        self.entries, offset = [], 0  # (index among items, shape, dtype, offset, size)
        for slot, tensor in enumerate(items):
            if isinstance(tensor, Tensor) and tensor.requires_grad:
                self.entries.append((slot, tensor.shape, tensor.dtype, offset, tensor.raw.size))
                offset += tensor.raw.size
        self.dtype = np.result_type(*[e[2] for e in self.entries]) if self.entries else None

    def pack(self, items):
        """Return (packed node, items with each grad-requiring tensor replaced by its slice)."""
        flat = [items[slot].reshape(-1) for slot, *_ in self.entries]
        packed = concatenate([f if f.dtype == self.dtype else f.astype(self.dtype) for f in flat])
        out = list(items)
        for entry in self.entries:
            out[entry[0]] = self._piece(packed, entry)
        return packed, out

    def _piece(self, packed, entry):
        _, shape, dtype, offset, size = entry
        piece = packed[offset:offset + size].reshape(shape)
        return piece if piece.dtype == dtype else piece.astype(dtype)

    def split(self, g):
        """The gradient of every item (None for those that are not tensors requiring grad)."""
        grads = [None] * self.count
        for entry in self.entries:
            grads[entry[0]] = self._piece(g, entry)
        return tuple(grads)

    def join(self, grads, hook):
        """Pack the (replaced) per-tensor gradients back into one flat gradient."""
        flat = []
        for slot, shape, dtype, _, size in self.entries:
            g = grads[slot]
            g = as_tensor(np.zeros(shape, dtype) if g is None else g)
            if g.shape != tuple(shape):
                raise RuntimeError(f"backward hook {_name(hook)} returned a gradient of shape "
                                   f"{g.shape} for item {slot}, whose shape is {tuple(shape)}")
            g = g.reshape(-1)
            flat.append(g if g.dtype == self.dtype else g.astype(self.dtype))
        return concatenate(flat)


def _check_count(hook, result, expected, what):
    if not isinstance(result, (tuple, list)) or len(result) != expected:
        got = len(result) if isinstance(result, (tuple, list)) else type(result).__name__
        raise RuntimeError(f"backward hook {_name(hook)} returned an invalid number of {what}, "
                           f"got {got}, but expected {expected}")
    return tuple(result)


class _BackwardHook:
    """The backward hooks of one forward call: gradients w.r.t. its tensor inputs and outputs."""

    def __init__(self, module):
        self.module = module
        self.hooks = [hook for hook, _ in module._backward_hooks.values()]
        self.pre_hooks = [hook for hook, _ in module._backward_pre_hooks.values()]
        self.inputs = self.outputs = None
        self.n_inputs, self.grad_outputs = 0, None

    def wrap_inputs(self, args):
        layout = _Layout(args)
        self.n_inputs = layout.count
        if not layout.entries:
            return args
        self.inputs = layout
        packed, args = layout.pack(args)
        packed.register_hook(self._on_input_grad)
        return tuple(args)

    def wrap_outputs(self, output):
        items = output if isinstance(output, tuple) else (output,)
        layout = _Layout(items)
        if not layout.entries:
            return output
        self.outputs, self.reached = layout, set()
        packed, items = layout.pack(items)
        packed.register_hook(self._on_output_grad)
        for slot, *_ in layout.entries:  # an output no gradient reaches gets None, as in PyTorch
            items[slot].register_hook(lambda g, slot=slot: self.reached.add(slot))
        return tuple(items) if isinstance(output, tuple) else items[0]

    def _on_output_grad(self, g):
        grads, changed = self.outputs.split(g), None
        grads = tuple(None if i not in self.reached else grad for i, grad in enumerate(grads))
        for hook in self.pre_hooks:
            result = hook(self.module, grads)
            if result is not None:
                grads = changed = _check_count(hook, result, self.outputs.count, "grad_output")
                hook_changed = hook
        self.grad_outputs = grads
        if self.inputs is None:  # no input requires grad: the hooks run now, as PyTorch's do
            self._run_hooks_without_inputs()
        return None if changed is None else self.outputs.join(changed, hook_changed)

    def _run_hooks_without_inputs(self):
        grad_input = (None,) * self.n_inputs
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_outputs)
            if result is not None and any(r is not None for r in result):
                raise RuntimeError(f"backward hook {_name(hook)}: no input of this module "
                                   f"requires grad, so it must return None (or only Nones)")

    def _on_input_grad(self, g):
        grads, changed = self.inputs.split(g), None
        for hook in self.hooks:
            result = hook(self.module, grads, self.grad_outputs)
            if result is not None:
                grads = changed = _check_count(hook, result, self.n_inputs, "grad_input")
                hook_changed = hook
        return None if changed is None else self.inputs.join(changed, hook_changed)
