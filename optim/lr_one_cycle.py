"""OneCycleLR: the 1cycle policy (Smith & Topin), lr up to max_lr and down far below it."""
import math

from .lr_base import LRScheduler, check_finite, check_int, check_optimizer, per_group
from .optimizer import check_number


def _anneal_cos(start, end, pct):
    """Cosine from start (pct 0) to end (pct 1)."""
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start, end, pct):
    """Straight line from start (pct 0) to end (pct 1)."""
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """Anneal each lr from max_lr / div_factor up to max_lr, then down to a tiny minimum.

    Call `step()` after every batch, total_steps times in all (or epochs *
    steps_per_epoch). The first pct_start of the steps rise from initial_lr =
    max_lr / div_factor to max_lr, the rest fall to min_lr = initial_lr /
    final_div_factor, along a cosine or a line (anneal_strategy "cos" or "linear").
    three_phase=True falls back to initial_lr symmetrically, then on to min_lr. With
    cycle_momentum the momentum (SGD, RMSprop) or beta1 (Adam family) moves the
    opposite way, between max_momentum and base_momentum. Stepping past total_steps
    raises, as PyTorch.

    Example:
        scheduler = OneCycleLR(opt, max_lr=0.1, epochs=10, steps_per_epoch=len(loader))
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        check_optimizer(optimizer)
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        check_number("pct_start", pct_start, 0, 1)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"Invalid anneal_strategy: {anneal_strategy!r} "
                             "(must be 'cos' or 'linear')")
        check_finite("div_factor", div_factor, low=0, low_open=True)
        check_finite("final_div_factor", final_div_factor, low=0, low_open=True)
        # everything is checked before any param group changes
        max_lrs = _checked_per_group("max_lr", max_lr, optimizer)
        self.anneal_strategy, self.cycle_momentum = anneal_strategy, cycle_momentum
        self._schedule_phases = _phases(pct_start, self.total_steps, three_phase)
        momenta = None
        if cycle_momentum:
            self.use_beta1 = _momentum_kind(optimizer)
            high = 1 if self.use_beta1 else None  # beta1 must stay below 1
            momenta = list(zip(_checked_per_group("max_momentum", max_momentum, optimizer, high),
                               _checked_per_group("base_momentum", base_momentum, optimizer, high)))
        if last_epoch == -1:
            _set_lr_bounds(optimizer, max_lrs, div_factor, final_div_factor)
            for group, (top, bottom) in zip(optimizer.param_groups, momenta or ()):
                group["max_momentum"], group["base_momentum"] = top, bottom
                self._set_momentum(group, top)
        super().__init__(optimizer, last_epoch)

    def _check_state(self):
        check_int("total_steps", self.total_steps, 1)
        if self.anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"Invalid anneal_strategy: {self.anneal_strategy!r} "
                             "(must be 'cos' or 'linear')")

    def _set_momentum(self, group, momentum):
        """Write momentum into the group: as beta1 for Adam-like optimizers, else as momentum."""
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self):
        """Return each group's lr at step `last_epoch` (and move its momentum, if cycled)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total "
                             f"steps is {self.total_steps}")
        anneal = _anneal_cos if self.anneal_strategy == "cos" else _anneal_linear
        phase, pct = self._phase_at(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                self._set_momentum(group, anneal(group[phase["start_momentum"]],
                                                 group[phase["end_momentum"]], pct))
        return lrs

    def _phase_at(self, step):
        """Return the phase that `step` falls in and how far through it (0 to 1) it is."""
        start = 0.0
        for i, phase in enumerate(self._schedule_phases):
            if step <= phase["end_step"] or i == len(self._schedule_phases) - 1:
                length = phase["end_step"] - start
                # a phase of length 0 (PyTorch divides by zero there): take its start
                return phase, (step - start) / length if length else 0.0
            start = phase["end_step"]


def _total_steps(total_steps, epochs, steps_per_epoch):
    """Return total_steps, or epochs * steps_per_epoch when total_steps is None."""
    if total_steps is not None:
        check_int("total_steps", total_steps, 1)
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    check_int("epochs", epochs, 1)
    check_int("steps_per_epoch", steps_per_epoch, 1)
    return epochs * steps_per_epoch


def _phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
    return dict(end_step=end_step, start_lr=start_lr, end_lr=end_lr,
                start_momentum=start_momentum, end_momentum=end_momentum)


def _phases(pct_start, total_steps, three_phase):
    """Return the phases as PyTorch lays them out: where each ends and which group keys
    hold its start and end lr and momentum."""
    rise_end = float(pct_start * total_steps) - 1
    if three_phase:
        return [_phase(rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr",
                       "base_momentum", "max_momentum"),
                _phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
    return [_phase(rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            _phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]


def _checked_per_group(name, value, optimizer, high=None):
    """Return value as one number per param group (a list must have one per group), each
    >= 0 and, given `high`, below it."""
    values = per_group(name, value, optimizer)
    listed = isinstance(value, (list, tuple))
    for i, v in enumerate(values):
        check_finite(f"{name}[{i}]" if listed else name, v, low=0, high=high, high_open=True)
    return values


def _set_lr_bounds(optimizer, max_lrs, div_factor, final_div_factor):
    """Write initial_lr, max_lr and min_lr into every param group."""
    for group, top in zip(optimizer.param_groups, max_lrs):
        group["initial_lr"], group["max_lr"] = top / div_factor, top
        group["min_lr"] = group["initial_lr"] / final_div_factor


def _momentum_kind(optimizer):
    """Return True when the optimizer's momentum is beta1, False when it is "momentum"."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` "
                         f"option enabled ({type(optimizer).__name__} has neither)")
    return "betas" in optimizer.defaults
