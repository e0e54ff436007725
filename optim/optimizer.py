"""Optimizer: parameter groups, per-parameter state, zero_grad, the step loop, state_dict."""
import copy

import numpy as np

from autograd import Tensor, enable_grad, no_grad


class _Required:
    """Marks a hyper-parameter that every parameter group must give (SGD's lr)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


def check_nonnegative(group, *names):
    """Raise ValueError naming the first of `names` whose value in `group` is negative or NaN."""
    for name in names:
        if not group[name] >= 0:  # written this way so NaN fails too
            raise ValueError(f"Invalid {name}: {group[name]!r} (must be >= 0)")


def buffer(state, name, like):
    """Return state[name], first creating it as zeros with the shape and dtype of `like`."""
    if name not in state:
        state[name] = np.zeros_like(like)
    return state[name]


class Optimizer:
    """Base class of the optimizers: owns `param_groups` and `state`; a subclass writes `_update`.

    `params` is an iterable of Tensors, or of dicts (parameter groups), each with a
    "params" entry and any hyper-parameters that override `defaults` for that group.
    Every group dict holds "params" and every hyper-parameter; `state` maps each
    parameter (a Tensor, hashed by identity) to a dict of its buffers.

    Differences from PyTorch: a parameter listed twice, even inside one group, is a
    ValueError (PyTorch only warns); `state_dict()` returns copies, not references.

    Example:
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, defaults):
        if isinstance(params, (Tensor, dict, set)):
            raise TypeError("params should be an ordered iterable of Tensors or of dicts, "
                            f"got {type(params).__name__}")
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Append a parameter group (a dict with "params"); returns None.

        The group's own keys override `defaults`; missing ones are filled from them.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry")
        group = dict(param_group)
        group["params"] = self._param_list(group["params"])
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            group.setdefault(name, default)
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def _param_list(self, params):
        """Return `params` as a list of leaf Tensors, none of them already in this optimizer."""
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("parameters must be in an ordered collection; a set's order "
                            "changes between runs")
        params = list(params)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
            if id(p) in seen:
                raise ValueError("a parameter appears more than once in the optimizer's "
                                 "parameter groups")
            seen.add(id(p))
        return params

    def _check_hyperparameters(self, group):
        """Raise ValueError for an invalid hyper-parameter in `group` (subclasses override)."""

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient: `.grad` becomes None, or zeros if set_to_none=False.

        Differences from PyTorch: set_to_none=False puts a new zero Tensor in `.grad`
        (detached from any graph) instead of zeroing the old one in place.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad = Tensor(np.zeros_like(p.grad.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns closure()'s loss, or None.

        closure (optional) re-evaluates the model and returns the loss; it runs with
        gradients enabled. The updates themselves run under `no_grad`.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = np.asarray(p.grad.data, dtype=p.data.dtype)
                    if group.get("maximize", False):
                        g = -g
                    self._update(p.data, g, self.state.setdefault(p, {}), group)
        return loss

    def _update(self, w, g, state, group):
        """Update the parameter array `w` in place from its gradient `g` (subclasses define it).

        `g` is already negated under maximize and must not be modified in place;
        `state` is this parameter's dict of buffers, empty on its first step.
        """
        raise NotImplementedError

    def state_dict(self):
        """Return {"state": {index: buffers}, "param_groups": [...]} in PyTorch's layout.

        Parameters are numbered 0, 1, ... across groups in order; each saved group
        lists its parameters as those indices. Arrays are copies (PyTorch hands out
        references), so stepping on afterwards leaves the saved dict unchanged.
        """
        params = [p for group in self.param_groups for p in group["params"]]
        state = {i: copy.deepcopy(self.state[p]) for i, p in enumerate(params) if self.state.get(p)}
        groups, start = [], 0
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = list(range(start, start + len(group["params"])))
            start += len(group["params"])
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and buffers saved by `state_dict()`; returns None.

        Groups are matched by position and parameters by position within them, so the
        optimizer must have been built with the same group layout. Buffers are copied
        in and cast to their parameter's dtype.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        index = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has "
                                 f"{len(saved['params'])} parameters, the optimizer's has "
                                 f"{len(group['params'])}")
            index.update(zip(saved["params"], group["params"]))
        state = {}
        for key, buffers in state_dict["state"].items():
            if int(key) not in index:
                raise ValueError(f"loaded state dict has state for parameter {key}, "
                                 "which no parameter group lists")
            p = index[int(key)]
            state[p] = {name: _copy_like(value, p, name) for name, value in buffers.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            group.update(copy.deepcopy({k: v for k, v in saved.items() if k != "params"}))
            self._check_hyperparameters(group)
        self.state = state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])


def _copy_like(value, p, name):
    """Copy a saved buffer for parameter p: arrays must match its shape and take its float dtype."""
    if not isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if value.shape != p.shape:
        raise ValueError(f"loaded buffer {name!r} has shape {value.shape}, "
                         f"its parameter has shape {p.shape}")
    dtype = p.data.dtype if np.issubdtype(value.dtype, np.floating) else value.dtype
    return value.astype(dtype, copy=True)
