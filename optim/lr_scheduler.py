"""Learning-rate schedulers: each step() writes new lrs into an optimizer's param groups."""
import copy
import math


class LRScheduler:
    """Base class: at every `step()` sets each param group's "lr" to `get_lr()`.

    Construction records each group's starting lr as "initial_lr" (kept if a group
    already has one) into `base_lrs`, then takes a first step, so `last_epoch`
    becomes 0 and every lr is its value at epoch 0. To resume, pass the epoch
    reached as `last_epoch`; every group must then already hold "initial_lr".

    Differences from PyTorch: `step()` takes no epoch argument.
    """

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                               "when resuming an optimizer")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        """Return the list of each group's lr at epoch `last_epoch` (subclasses define it)."""
        raise NotImplementedError

    def step(self):
        """Advance `last_epoch` by one and write the new lrs into the param groups; returns None."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = float(lr)  # a Python float: a NumPy float64 would upcast float32 updates
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """Return the list of lrs this scheduler last set, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """Return a copy of the scheduler's state (every attribute but the optimizer)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the state saved by `state_dict()`; returns None. Group lrs are not touched."""
        self.__dict__.update(copy.deepcopy(state_dict))


def _check_positive_int(name, value):
    """Raise ValueError unless value is an int >= 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r} (must be a positive int)")


class StepLR(LRScheduler):
    """Multiply each group's lr by gamma every step_size epochs: lr_0 * gamma**(t // step_size).

    Like PyTorch it multiplies the lr the group holds now, so a change made to it
    in between, or another scheduler on the same optimizer, carries through.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_positive_int("step_size", step_size)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return each group's current lr, times gamma when a step_size boundary is reached."""
        decay = self.last_epoch > 0 and self.last_epoch % self.step_size == 0
        return [g["lr"] * self.gamma if decay else g["lr"] for g in self.optimizer.param_groups]


class ExponentialLR(LRScheduler):
    """Multiply each group's lr by gamma every epoch: lr_t = lr_0 * gamma**t.

    Chainable like StepLR: it multiplies the lr the group holds now.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return each group's current lr times gamma (unchanged at epoch 0)."""
        factor = self.gamma if self.last_epoch > 0 else 1.0
        return [g["lr"] * factor for g in self.optimizer.param_groups]


class InverseTimeLR(LRScheduler):
    """Decay each group's lr as lr_t = lr_0 / sqrt(t + 1), t the number of step() calls so far.

    kissgrad's own; PyTorch spells it LambdaLR(opt, lambda t: (t + 1) ** -0.5).
    Computed from lr_0 every time, so it overrides changes made to the lr in between.
    """

    def get_lr(self):
        """Return lr_0 / sqrt(last_epoch + 1) for each group."""
        return [base / math.sqrt(self.last_epoch + 1) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Anneal each lr along a half cosine from lr_0 down to eta_min over T_max epochs.

    lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2. Differences from
    PyTorch: this closed form is used at every step (PyTorch updates recursively, to
    the same values for t <= T_max when nothing else changes the lr); past T_max it
    keeps following the cosine back up, with period 2 * T_max.
    """

    def __init__(self, optimizer, T_max, eta_min=0, last_epoch=-1):
        _check_positive_int("T_max", T_max)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return the cosine-annealed lr at epoch `last_epoch` for each group."""
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lrs by `factor` once a metric has not improved for more than `patience` steps.

    Call `step(metric)` after each evaluation. In "min" mode a metric improves on the
    best so far when it is below best * (1 - threshold) ("rel") or best - threshold
    ("abs"); "max" mode mirrors this. After a reduction, `cooldown` steps pass before
    bad steps count again. An lr never drops below its group's `min_lr` (one number,
    or a list with one per group), and a reduction smaller than `eps` is skipped.
    As in PyTorch it records no "initial_lr" and has no `get_lr()`.

    Differences from PyTorch: the "rel" margin is threshold * |best|, so a negative
    metric must also really improve (PyTorch compares with best * (1 - threshold),
    which lets a slightly worse negative value count as better). For positive
    metrics the two agree.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {mode!r} (must be 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"Invalid threshold_mode: {threshold_mode!r} (must be 'rel' or 'abs')")
        if not 0 <= factor < 1:
            raise ValueError(f"Invalid factor: {factor!r} (must be in [0, 1))")
        groups = optimizer.param_groups
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(groups)
        if len(min_lrs) != len(groups):
            raise ValueError(f"expected {len(groups)} min_lrs, one per param group, "
                             f"got {len(min_lrs)}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]

    def is_better(self, a, best):
        """Return True when metric value a counts as an improvement on `best`."""
        if self.threshold_mode == "rel":
            margin = abs(best) * self.threshold if math.isfinite(best) else 0.0
        else:
            margin = self.threshold
        return a < best - margin if self.mode == "min" else a > best + margin

    def step(self, metrics):
        """Record one value of the watched metric, reducing the lrs on a plateau; returns None."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad steps during cooldown don't count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        """Multiply each group's lr by factor, not below its min_lr, skipping changes under eps."""
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = float(new)
