"""``OneCycleLR``: torch's ``lr_scheduler.OneCycleLR`` (cosine), fast.ai's favourite schedule."""

import math

import numpy as np

from ..nn import _checks as _c
from .optimizer import SGD, Adam, Optimizer, _check_hyper

__all__ = ["OneCycleLR"]


class OneCycleLR:
    """The one-cycle schedule: ``lr`` warms up to ``max_lr``, then anneals far below its start.

    torch's ``lr_scheduler.OneCycleLR`` (cosine, two phases): lr rises from ``max_lr /
    div_factor`` to ``max_lr`` over the first ``pct_start`` of the steps, then falls to ``max_lr
    / div_factor / final_div_factor``; the momentum (or Adam's ``beta1``) moves the other way.

    Parameters
    ----------
    optimizer : Optimizer
        The optimiser whose ``lr`` (and momentum) the schedule sets.
    max_lr : float
        The peak learning rate, reached at the end of the warm-up.
    total_steps : int
        The number of optimiser steps in the whole run, ``epochs * len(train_dl)``.
    pct_start : float, default 0.3
        The fraction of the steps spent warming up, in [0, 1].
    div_factor : float, default 25.0
        The starting learning rate is ``max_lr / div_factor``.
    final_div_factor : float, default 1e4
        The last learning rate is ``max_lr / div_factor / final_div_factor``.
    cycle_momentum : bool, default True
        Move the momentum opposite to the learning rate (needs ``SGD`` or ``Adam``).
    base_momentum : float, default 0.85
        The momentum at the peak learning rate.
    max_momentum : float, default 0.95
        The momentum at the start and the end.

    Raises
    ------
    TypeError
        If ``optimizer`` is not a pybackprop ``Optimizer``, ``cycle_momentum`` is set for one
        other than ``SGD`` or ``Adam``, ``total_steps`` is not an integer or another number
        not a real number.
    ValueError
        If ``total_steps`` < 1, ``pct_start`` is outside [0, 1], or another number is out of
        its range.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn, optim
    >>> opt = optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    >>> sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> opt.step(); sched.step()  # after every optimiser step; train.fit does it with sched=
    >>> round(opt.lr, 2), round(opt.momentum, 2)
    (0.52, 0.9)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float,
        total_steps: int,
        pct_start: float = 0.3,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"OneCycleLR needs a pybackprop optimiser, got {type(optimizer).__name__}"
            )
        if isinstance(total_steps, bool) or not isinstance(total_steps, int | np.integer):
            raise TypeError(
                f"OneCycleLR: total_steps must be a positive integer, got {total_steps!r}"
            )
        if total_steps <= 0:
            raise ValueError(
                f"OneCycleLR: total_steps must be a positive integer, got {total_steps!r}"
            )
        self.optimizer = optimizer
        self.total_steps = int(total_steps)
        self.max_lr = _check_hyper("OneCycleLR", "max_lr", max_lr)
        pct_start = _c.real(pct_start, "OneCycleLR", "pct_start")
        if not 0.0 <= pct_start <= 1.0:  # False for NaN
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        div = _check_hyper("OneCycleLR", "div_factor", div_factor, positive=True)
        self.initial_lr = self.max_lr / div
        self.min_lr = self.initial_lr / _check_hyper(
            "OneCycleLR", "final_div_factor", final_div_factor, positive=True
        )
        # the step at which the warm-up ends; a float, as in torch
        self.warmup_end = pct_start * self.total_steps - 1
        self.cycle_momentum = cycle_momentum
        if cycle_momentum and not isinstance(optimizer, SGD | Adam):
            raise TypeError("cycle_momentum needs SGD or Adam (momentum or beta1 to cycle)")
        # Adam's bias correction divides by 1 - beta1**t: a momentum of 1 would divide by zero
        self.base_momentum = _check_hyper("OneCycleLR", "base_momentum", base_momentum, 0.0, 1.0)
        self.max_momentum = _check_hyper("OneCycleLR", "max_momentum", max_momentum, 0.0, 1.0)
        self.step_num = -1
        self.step()

    @staticmethod
    def _anneal(start: float, end: float, pct: float) -> float:
        """Cosine from `start` (pct = 0) to `end` (pct = 1)."""
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def step(self) -> None:
        """Set the optimiser's ``lr`` (and momentum) for the next step; call after ``opt.step()``.

        Raises
        ------
        ValueError
            If called more than ``total_steps`` times in all.
        """
        self.step_num += 1
        t = self.step_num
        if t > self.total_steps:
            raise ValueError(
                f"OneCycleLR stepped {t} times, but total_steps is "
                f"{self.total_steps}: make total_steps = epochs * len(train_dl)"
            )
        lo_m, hi_m = self.base_momentum, self.max_momentum
        if t <= self.warmup_end:
            start, end = 0.0, self.warmup_end
            lrs, moms = (self.initial_lr, self.max_lr), (hi_m, lo_m)
        else:
            start, end = self.warmup_end, self.total_steps - 1
            lrs, moms = (self.max_lr, self.min_lr), (lo_m, hi_m)
        # a phase of length 0 (torch divides by zero there) is already at its end
        pct = (t - start) / (end - start) if end > start else 1.0
        self.optimizer.lr = self._anneal(*lrs, pct)
        if self.cycle_momentum:
            m = self._anneal(*moms, pct)
            if isinstance(self.optimizer, Adam):
                self.optimizer.betas = (m, self.optimizer.betas[1])
            else:
                self.optimizer.momentum = m

    def __repr__(self) -> str:
        return (
            f"OneCycleLR(max_lr={self.max_lr:g}, total_steps={self.total_steps}, "
            f"step={self.step_num}, lr={self.optimizer.lr:g})"
        )
