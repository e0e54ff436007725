"""ReduceLROnPlateau: cut the lrs when a watched metric stops improving."""
import math

from .lr_base import LRScheduler, check_finite, check_int, check_optimizer, per_group
from .optimizer import check_number


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
        check_optimizer(optimizer)
        min_lrs = per_group("min_lrs", min_lr, optimizer)
        for i, value in enumerate(min_lrs):
            check_finite(f"min_lr[{i}]" if isinstance(min_lr, (list, tuple)) else "min_lr", value,
                         low=0)
        groups = optimizer.param_groups
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self._check_state()
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in groups]

    def _check_state(self):
        if self.mode not in ("min", "max"):
            raise ValueError(f"Invalid mode: {self.mode!r} (must be 'min' or 'max')")
        if self.threshold_mode not in ("rel", "abs"):
            raise ValueError(f"Invalid threshold_mode: {self.threshold_mode!r} "
                             "(must be 'rel' or 'abs')")
        check_number("factor", self.factor, 0, 1, high_open=True)
        check_finite("threshold", self.threshold, low=0)
        check_finite("eps", self.eps, low=0)
        check_int("patience", self.patience, 0)
        check_int("cooldown", self.cooldown, 0)
        if len(self.min_lrs) != len(self.optimizer.param_groups):
            raise ValueError(f"expected {len(self.optimizer.param_groups)} values for min_lrs, "
                             f"one per param group, got {len(self.min_lrs)}")
        for i, value in enumerate(self.min_lrs):
            check_finite(f"min_lrs[{i}]", value, low=0)

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
