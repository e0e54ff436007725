"""Schedules that depend only on the epoch count: step, multi-step, exponential, lambda,
linear, cosine and kissgrad's inverse-time decay."""
import copy
import math
import types
from collections import Counter
from collections.abc import Mapping

from .lr_base import LRScheduler, check_finite, check_int, check_optimizer
from .optimizer import check_number


class StepLR(LRScheduler):
    """Multiply each group's lr by gamma every step_size epochs: lr_0 * gamma**(t // step_size).

    Like PyTorch it multiplies the lr the group holds now, so a change made to it
    in between, or another scheduler on the same optimizer, carries through.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        self._check_state()
        super().__init__(optimizer, last_epoch)

    def _check_state(self):
        check_int("step_size", self.step_size, 1)
        check_finite("gamma", self.gamma, low=0)

    def get_lr(self):
        """Return each group's current lr, times gamma when a step_size boundary is reached."""
        decay = self.last_epoch > 0 and self.last_epoch % self.step_size == 0
        return [lr * self.gamma if decay else lr for lr in self.current_lrs()]


class MultiStepLR(LRScheduler):
    """Multiply each group's lr by gamma at every epoch listed in milestones.

    lr_t = lr_0 * gamma**(number of milestones <= t); a milestone listed n times
    multiplies by gamma**n. Chainable like StepLR. Milestones must come in increasing
    order (PyTorch documents this but does not check it).
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        for i, milestone in enumerate(milestones):
            check_int(f"milestones[{i}]", milestone, 0)
        for i in range(1, len(milestones)):
            if milestones[i] < milestones[i - 1]:
                raise ValueError(f"Invalid milestones: {milestones!r} (must be increasing, but "
                                 f"milestones[{i}]={milestones[i]} comes after "
                                 f"{milestones[i - 1]})")
        self.milestones, self.gamma = Counter(milestones), gamma
        self._check_state()
        super().__init__(optimizer, last_epoch)

    def _check_state(self):
        check_finite("gamma", self.gamma, low=0)
        if not isinstance(self.milestones, Mapping):
            raise ValueError(f"Invalid milestones: {self.milestones!r} (must map each "
                             "milestone to how many times it is listed)")
        for milestone, count in self.milestones.items():
            check_int("milestone", milestone, 0)
            check_int(f"count of milestone {milestone}", count, 1)
        self.milestones = Counter(self.milestones)  # a saved Counter may come back as a dict

    def get_lr(self):
        """Return each group's current lr, times gamma**n at an epoch listed n times."""
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self.current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply each group's lr by gamma every epoch: lr_t = lr_0 * gamma**t.

    Chainable like StepLR: it multiplies the lr the group holds now.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        self._check_state()
        super().__init__(optimizer, last_epoch)

    def _check_state(self):
        check_finite("gamma", self.gamma, low=0)

    def get_lr(self):
        """Return each group's current lr times gamma (unchanged on the first step)."""
        factor = 1.0 if self._is_initial else self.gamma
        return [lr * factor for lr in self.current_lrs()]


class LambdaLR(LRScheduler):
    """Set each group's lr to lr_0 * lr_lambda(t): one function for all groups, or a list.

    Example:
        scheduler = LambdaLR(opt, lr_lambda=lambda epoch: 0.95 ** epoch)
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        check_optimizer(optimizer)
        n = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(lambdas) != n:
            raise ValueError(f"Expected {n} lr_lambdas, one per param group, got {len(lambdas)}")
        for i, fn in enumerate(lambdas):
            if not callable(fn):
                raise TypeError(f"Invalid lr_lambda[{i}]: {fn!r} (must be callable)")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """Return lr_0 * lr_lambda(last_epoch) for each group; a factor that is not a finite
        number >= 0 raises ValueError naming the lambda, the epoch and the factor."""
        lrs = []
        for i, (fn, base) in enumerate(zip(self.lr_lambdas, self.base_lrs)):
            factor = fn(self.last_epoch)
            try:
                check_finite(f"lr_lambda[{i}]({self.last_epoch})", factor, low=0)
            except TypeError:
                factor = float(factor)  # a NumPy scalar or 0-d tensor
                check_finite(f"lr_lambda[{i}]({self.last_epoch})", factor, low=0)
            lrs.append(base * factor)
        return lrs

    def state_dict(self):
        """Return the state; as PyTorch, a function is saved as None and a callable object
        as a copy of its `__dict__` (functions cannot be pickled reliably)."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                 if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType)
                               else copy.deepcopy(getattr(fn, "__dict__", None))
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        """Restore the state saved by `state_dict()`; the lambdas themselves are kept."""
        state = dict(state_dict)
        saved_lambdas = state.pop("lr_lambdas")
        self.__dict__.update(copy.deepcopy(state))
        for fn, saved in zip(self.lr_lambdas, saved_lambdas):
            if saved is not None:
                fn.__dict__.update(copy.deepcopy(saved))


class LinearLR(LRScheduler):
    """Scale each lr by a factor going linearly from start_factor to end_factor in total_iters.

    lr_t = lr_0 * (start + (end - start) * min(t, total_iters) / total_iters). Like
    PyTorch it gets there by multiplying the lr the group holds now at each step, so
    it chains with other schedulers.
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        self._check_state()
        super().__init__(optimizer, last_epoch)

    def _check_state(self):
        check_number("start_factor", self.start_factor, 0, 1, low_open=True)
        check_number("end_factor", self.end_factor, 0, 1)
        check_int("total_iters", self.total_iters, 0)

    def get_lr(self):
        """Return each group's lr times the ratio of this epoch's factor to the last one's."""
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self.current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self.current_lrs()
        slope = self.end_factor - self.start_factor
        ratio = 1 + slope / (self.total_iters * self.start_factor + (self.last_epoch - 1) * slope)
        return [lr * ratio for lr in self.current_lrs()]


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

    lr_t = eta_min + (lr_0 - eta_min) * (1 + cos(pi * t / T_max)) / 2; past T_max it
    follows the cosine back up, with period 2 * T_max. As PyTorch it gets there
    recursively, from the lr each group holds now, so it chains with other schedulers.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        self._check_state()
        super().__init__(optimizer, last_epoch)

    def _check_state(self):
        check_int("T_max", self.T_max, 1)
        check_finite("eta_min", self.eta_min, low=0)

    def get_lr(self):
        """Return the cosine-annealed lr at epoch `last_epoch` for each group."""
        t, T, eta = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self.current_lrs()
        if (t - 1 - T) % (2 * T) == 0:  # the trough: the ratio below would divide by zero
            rise = (1 - math.cos(math.pi / T)) / 2
            return [lr + (base - eta) * rise for lr, base in zip(self.current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [eta + (lr - eta) * ratio for lr in self.current_lrs()]
