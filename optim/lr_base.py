"""LRScheduler, the base of the learning-rate schedulers, and their argument checks."""
import copy
import math

from .optimizer import Optimizer, check_number


def check_optimizer(optimizer):
    """Raise TypeError unless `optimizer` is an optim.Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def check_int(name, value, low):
    """Raise ValueError naming `name` unless value is an int >= low."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"Invalid {name}: {value!r} (must be an int >= {low})")


def check_finite(name, value, **interval):
    """Return `value` after check_number's checks (same arguments), refusing infinities too:
    an infinite factor or bound would make every lr inf, or 0."""
    check_number(name, value, **interval)
    if math.isinf(value):
        raise ValueError(f"Invalid {name}: {value!r} (must be finite)")
    return value


def per_group(name, value, optimizer):
    """Return `value` as a list with one entry per param group (a number is repeated)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values for {name}, one per param group, "
                             f"got {len(value)}")
        return list(value)
    return [value] * n


class LRScheduler:
    """Base class: at every `step()` sets each param group's "lr" to `get_lr()`.

    Construction records each group's starting lr as "initial_lr" (kept if a group
    already has one) into `base_lrs`, then takes a first step, so `last_epoch`
    becomes 0 and every lr is its value at epoch 0. To resume, pass the epoch
    reached as `last_epoch`; every group must then already hold "initial_lr".
    During that first step `_is_initial` is True, and ExponentialLR, LinearLR and
    CosineAnnealingLR leave the lrs as they are (PyTorch's rule for resuming).

    Differences from PyTorch: `step()` takes no epoch argument (deprecated there).
    """

    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] "
                               "when resuming an optimizer")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """Return the list of each group's lr at epoch `last_epoch` (subclasses define it)."""
        raise NotImplementedError

    def _check_state(self):
        """Raise ValueError naming an invalid argument among this scheduler's attributes.

        Subclasses check theirs; the constructor runs it before touching the optimizer,
        and load_state_dict before taking a state in.
        """

    def current_lrs(self):
        """Return the lr each param group holds now."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance `last_epoch` by one and write the new lrs into the param groups; returns None.

        An lr that is NaN or infinite raises ValueError naming the group, and nothing
        changes. (A negative one is let through: PyTorch's OneCycleLR, which ours matches,
        overshoots below 0 on its very last step with three_phase and linear annealing.)
        """
        self._step_count += 1
        self.last_epoch += 1
        try:
            # Python floats: a NumPy float64 would upcast float32 updates
            lrs = [float(lr) for lr in self.get_lr()]
            self._check_lrs(lrs)
        except BaseException:
            self._step_count -= 1
            self.last_epoch -= 1
            raise
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = self.current_lrs()

    def _check_lrs(self, lrs):
        for i, lr in enumerate(lrs):
            if not math.isfinite(lr):
                raise ValueError(f"{type(self).__name__} computed lr={lr!r} for param group {i} "
                                 f"at epoch {self.last_epoch} (an lr must be finite)")

    def get_last_lr(self):
        """Return the list of lrs this scheduler last set, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """Return a copy of the scheduler's state (every attribute but the optimizer)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore the state saved by `state_dict()`; returns None. Group lrs are not touched.

        The arguments in it are checked as the constructor checks them: when this raises
        (ValueError naming the argument), the scheduler is as it was.
        """
        candidate = copy.copy(self)
        candidate.__dict__.update(copy.deepcopy(dict(state_dict)))
        candidate._check_state()
        self.__dict__.update({key: candidate.__dict__[key] for key in state_dict})

