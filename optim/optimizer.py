"""Optimizer: parameter groups, per-parameter state, zero_grad, the step loop, state_dict."""
import copy
import math
import numbers

import numpy as np

from autograd import Tensor, enable_grad, no_grad
from autograd.versions import mark_modified


class _Required:
    """Marks a hyper-parameter that every parameter group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _interval(low, high, low_open, high_open):
    """Return the text of an interval such as '[0, 1)' or '> 0'."""
    if high is None:
        return f"{'>' if low_open else '>='} {low}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def check_number(name, value, low=None, high=None, low_open=False, high_open=False):
    """Return `value` if it is a real number, not NaN, inside the interval; else raise.

    A non-number raises TypeError, NaN or a value outside raises ValueError; both
    messages name `name` and the value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r} (must be a real number)")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if math.isnan(value) or too_low or too_high:
        raise ValueError(f"Invalid {name}: {value!r} (must be "
                         f"{_interval(low, high, low_open, high_open)})")
    return value


def check_nonnegative(group, *names):
    """Raise naming the first of `names` whose value in `group` is not a number >= 0 (NaN fails)."""
    for name in names:
        check_number(name, group[name], low=0)


def check_betas(group):
    """Check that group["betas"] is a pair of numbers in [0, 1); store it as a tuple of floats."""
    betas = group["betas"]
    pair = tuple(betas) if isinstance(betas, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(b, numbers.Real) for b in pair):
        raise ValueError(f"Invalid betas: {betas!r} (must be a pair of two numbers in [0, 1))")
    for i, beta in enumerate(pair):
        check_number(f"betas[{i}]", beta, low=0, high=1, high_open=True)
    group["betas"] = tuple(float(b) for b in pair)


def buffer(state, name, like):
    """Return state[name], first creating it as zeros with the shape and dtype of `like`."""
    if name not in state:
        state[name] = np.zeros_like(like)
    return state[name]


def decayed(w, g, group):
    """Apply the group's weight decay and return the gradient to use.

    L2 (the default): return g + weight_decay * w. With group["decoupled_weight_decay"]
    (AdamW, NAdam, RAdam): shrink w in place by lr * weight_decay and return g as it is.
    """
    weight_decay = group["weight_decay"]
    if not weight_decay:
        return g
    if group.get("decoupled_weight_decay", False):
        w *= 1 - group["lr"] * weight_decay
        return g
    return g + weight_decay * w


class Optimizer:
    """Base class of the optimizers: owns `param_groups` and `state`; a subclass writes `_update`.

    `params` is an iterable of Tensors, or of dicts (parameter groups), each with a
    "params" entry and any hyper-parameters that override `defaults` for that group.
    Every group dict holds "params" and every hyper-parameter; `state` maps each
    parameter (a Tensor, hashed by identity) to a dict of its buffers.

    Differences from PyTorch: a parameter listed twice, even inside one group, is a
    ValueError (PyTorch only warns); `state_dict()` returns copies, not references;
    `step` counts are ints and buffers ndarrays (PyTorch keeps tensors); the
    `foreach`, `fused`, `capturable` and `differentiable` flags do not exist.

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
        The optimizer is unchanged when this raises.
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
                    p.grad = Tensor(np.zeros_like(p.grad.raw))

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns closure()'s loss, or None.

        closure (optional) re-evaluates the model and returns the loss; it runs with
        gradients enabled. The updates themselves run under `no_grad`. Every gradient
        is checked first, so a bad one (wrong shape, not a float) raises with no
        parameter changed.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            work = [(p, _gradient(i, p, group), group) for i, (p, group) in
                    enumerate(self._params_and_groups()) if p.grad is not None]
            for p, g, group in work:
                self._update(p.raw, g, self.state.setdefault(p, {}), group)
                mark_modified(p)  # a graph made before this step can no longer be backpropagated
        return loss

    def _params_and_groups(self):
        """Yield (parameter, its group) over all groups, in state_dict's index order."""
        for group in self.param_groups:
            for p in group["params"]:
                yield p, group

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
        params = [p for p, _ in self._params_and_groups()]
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
        in and cast to their parameter's dtype. Everything is checked before anything
        changes: when this raises, the optimizer is as it was.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError("a state dict must be a dict with 'state' and 'param_groups'")
        _check_layout(state_dict)
        index = self._saved_index(state_dict["param_groups"])
        state = {}
        for key, buffers in state_dict["state"].items():
            if _as_index(key) not in index:
                raise ValueError(f"loaded state dict has state for parameter {key}, "
                                 "which no parameter group lists")
            p = index[_as_index(key)]
            state[p] = {name: _copy_like(value, p, name) for name, value in buffers.items()}
        groups = [self._merged_group(saved, group)
                  for saved, group in zip(state_dict["param_groups"], self.param_groups)]
        for group, merged in zip(self.param_groups, groups):
            group.update(merged)
        self.state = state

    def _saved_index(self, saved_groups):
        """Map each saved parameter index to this optimizer's parameter, checking the layout."""
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        index = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            ids = [_as_index(k) for k in saved.get("params", ())]
            if len(ids) != len(group["params"]):
                raise ValueError(f"loaded state dict's parameter group {i} has {len(ids)} "
                                 f"parameters, the optimizer's has {len(group['params'])}")
            index.update(zip(ids, group["params"]))
        if len(index) != sum(len(group["params"]) for group in self.param_groups):
            raise ValueError("loaded state dict lists a parameter index more than once")
        return index

    def _merged_group(self, saved, group):
        """Return a copy of `group` with the saved hyper-parameters in it, checked."""
        merged = dict(group)
        merged.update(copy.deepcopy({k: v for k, v in saved.items() if k != "params"}))
        self._check_hyperparameters(merged)
        return merged

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        return "\n".join(lines + [")"])


def _check_layout(state_dict):
    """Raise ValueError unless the state dict's parts are containers of the right kinds."""
    groups, state = state_dict["param_groups"], state_dict["state"]
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, dict) for g in groups):
        raise ValueError(f"loaded state dict's 'param_groups' must be a list of dicts, got "
                         f"{str(groups)[:80]}")
    if not isinstance(state, dict):
        raise ValueError(f"loaded state dict's 'state' must be a dict, got {type(state).__name__}")
    for key, buffers in state.items():
        if not isinstance(buffers, dict):
            raise ValueError(f"loaded state dict's state for parameter {key} must be a dict of "
                             f"buffers, got {type(buffers).__name__}")


def _as_index(key):
    """Return a saved parameter index as an int (a JSON round trip turns keys into strings)."""
    try:
        return int(key)
    except (TypeError, ValueError):
        raise ValueError(f"loaded state dict has parameter index {key!r}, "
                         "which is not an int") from None


def _gradient(index, p, group):
    """Return parameter `index`'s gradient as an array of its dtype, negated under maximize.

    A gradient must have the parameter's shape and be a float array; anything else
    raises instead of being broadcast into the weight.
    """
    g = np.asarray(getattr(p.grad, "raw", p.grad))
    if g.shape != p.raw.shape:
        raise ValueError(f"parameter {index} has shape {p.raw.shape} but its gradient has "
                         f"shape {g.shape}")
    if g.dtype.kind != p.raw.dtype.kind:
        raise TypeError(f"parameter {index} (shape {p.raw.shape}) has dtype {p.raw.dtype} but "
                        f"its gradient has dtype {g.dtype}")
    g = g.astype(p.raw.dtype, copy=False)
    return -g if group.get("maximize", False) else g


def _copy_like(value, p, name):
    """Copy a saved buffer for parameter p: arrays must match its shape and take its float dtype."""
    if not isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if value.shape != p.shape:
        raise ValueError(f"loaded buffer {name!r} has shape {value.shape}, "
                         f"its parameter has shape {p.shape}")
    dtype = p.raw.dtype if np.issubdtype(value.dtype, np.floating) else value.dtype
    return value.astype(dtype, copy=True)
