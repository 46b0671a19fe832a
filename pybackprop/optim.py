"""Optimisers and a learning-rate schedule, defined exactly as PyTorch defines them.

An optimiser holds a list of parameters (anything with ``.data``, a numpy array, and ``.grad``,
an array of the same shape and dtype or None, such as ``nn.Parameter``) and changes ``p.data``
*in place* in ``step()``, so the modules that own the arrays see the new values. As in
PyTorch, ``step()`` skips a parameter whose ``.grad`` is None (no backward pass reached it),
and ``zero_grad()`` sets every ``.grad`` to None. Buffers (momentum, Adam's moments)
have the parameter's dtype: float32 parameters stay float32.

```python
opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
loss = loss_fn(model(xb), yb)
model.backward(loss_fn.backward())
opt.step(); opt.zero_grad()
```

The schedule is one-cycle (``OneCycleLR``), fast.ai's favourite and torch's
``torch.optim.lr_scheduler.OneCycleLR`` with cosine annealing.
"""

import math
from collections.abc import Iterable

import numpy as np

__all__ = ["Adam", "OneCycleLR", "Optimizer", "SGD"]


def _check_grad(i: int, p) -> None:
    """Refuse parameter `i` unless it has an array .data and a .grad that is None or matches it."""
    data, grad = getattr(p, "data", None), getattr(p, "grad", None)
    if not (isinstance(data, np.ndarray) and (grad is None or isinstance(grad, np.ndarray))):
        raise TypeError(
            f"parameter {i} must have a numpy array .data and a .grad that is a numpy array "
            f"or None (like nn.Parameter), got {type(p).__name__}"
        )
    if grad is not None and (grad.shape != data.shape or grad.dtype != data.dtype):
        raise ValueError(
            f"parameter {i}: .grad has shape {grad.shape} and dtype {grad.dtype} but .data has "
            f"{data.shape} and {data.dtype}: a gradient has its parameter's shape and dtype"
        )


def _check_hyper(name: str, value: float, lo: float = 0.0, hi: float | None = None) -> float:
    """`value` as a Python float (so it never upcasts float32 arrays) in [lo, hi)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {value!r}") from None
    ok = value >= lo and (hi is None or value < hi)  # also False for NaN
    if not ok:
        expected = f">= {lo}" if hi is None else f"in [{lo}, {hi})"
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


class Optimizer:
    """Holds the parameters and the learning rate ``lr``; subclasses define ``step()``.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, usually ``model.parameters()``: objects with a numpy array
        ``.data`` and a ``.grad`` that is None or an array of the same shape and dtype, each
        listed once.
    lr : float
        The learning rate, >= 0. A schedule such as ``OneCycleLR`` changes it between steps.

    Attributes
    ----------
    params : list of Parameter
        The parameters, in the order given.
    lr : float
        The learning rate the next ``step()`` uses.

    Raises
    ------
    TypeError
        If ``params`` is a module rather than its parameters, a parameter lacks a numpy
        ``.data`` or a ``.grad`` that is an array or None, or ``lr`` is not a number.
    ValueError
        If ``params`` is empty or lists a parameter twice, a parameter's ``.grad`` and
        ``.data`` differ in shape or dtype, or ``lr`` is negative or NaN.

    Examples
    --------
    Plain gradient descent, ``p -= lr * grad``, as a subclass:

    >>> import numpy as np
    >>> from pybackprop import nn
    >>> from pybackprop.optim import Optimizer
    >>> class GD(Optimizer):
    ...     def step(self):
    ...         for p in self.params:
    ...             if p.grad is not None:
    ...                 p.data -= self.lr * p.grad
    >>> w = nn.Parameter(np.array([1.0, -2.0]))
    >>> opt = GD([w], lr=0.5)
    >>> w.grad = np.array([1.0, -1.0])
    >>> opt.step()
    >>> opt.zero_grad()
    >>> print(w.data, w.grad)
    [ 0.5 -1.5] None
    """

    def __init__(self, params: Iterable, lr: float) -> None:
        if hasattr(params, "parameters"):
            raise TypeError(
                f"an optimiser takes parameters, got a {type(params).__name__}: "
                "pass model.parameters()"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimiser got an empty parameter list; expected at least one")
        for i, p in enumerate(self.params):
            _check_grad(i, p)
        if len({id(p) for p in self.params}) != len(self.params):
            # a parameter listed twice would be updated twice per step
            raise ValueError("some parameters appear more than once in the parameter list")
        self.lr = _check_hyper("lr", lr)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: None by default, as torch; False fills zeros.

        Parameters
        ----------
        set_to_none : bool, default True
            True sets each ``.grad`` to None (the next backward pass assigns the gradient,
            with no zero fill and no extra pass); False fills each existing one with zeros.
        """
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.fill(0)

    def step(self) -> None:
        """Update every parameter's ``.data`` in place from its ``.grad``; subclasses define it.

        Raises
        ------
        NotImplementedError
            Always, in the base class.
        """
        raise NotImplementedError

    def _grad(self, i: int, p, weight_decay: float) -> np.ndarray:
        """Parameter `i`'s gradient (checked) plus torch's L2 weight decay, weight_decay * data."""
        _check_grad(i, p)  # .grad may have been assigned since __init__
        return p.grad + weight_decay * p.data if weight_decay else p.grad


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay (torch's SGD).

    With ``g = grad + weight_decay * p``, each step does

    ```python
    buf = g                    # on the first step (torch's convention, not buf = (1-m) g)
    buf = momentum * buf + g   # afterwards
    p  -= lr * buf             # (p -= lr * g when momentum is 0)
    ```

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, usually ``model.parameters()``.
    lr : float
        The learning rate, >= 0.
    momentum : float, default 0.0
        The momentum factor, >= 0 (0: no momentum buffer).
    weight_decay : float, default 0.0
        The L2 penalty's factor, >= 0, added to the gradient as ``weight_decay * p``.

    Raises
    ------
    TypeError
        If ``params`` is not a list of parameters, or a hyperparameter is not a number.
    ValueError
        If ``params`` is empty or has duplicates, or a hyperparameter is negative or NaN.

    See Also
    --------
    Adam, OneCycleLR

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> from pybackprop.optim import SGD
    >>> w = nn.Parameter(np.array([1.0, -2.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> opt
    SGD(lr=0.1, momentum=0.9, weight_decay=0, params=1)
    >>> w.grad = np.array([1.0, 1.0])
    >>> opt.step()
    >>> print(w.data)
    [ 0.9 -2.1]
    >>> opt.step()  # the same gradient again: the buffer is now 0.9 * 1 + 1
    >>> print(w.data)
    [ 0.71 -2.29]
    """

    def __init__(
        self, params: Iterable, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_hyper("momentum", momentum)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        self.bufs: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        """One update of every parameter with a gradient, in place: ``p -= lr * buf`` (or ``g``)."""
        for i, p in enumerate(self.params):
            if p.grad is None:  # as torch: no gradient, no step (and no momentum)
                continue
            g = self._grad(i, p, self.weight_decay)
            if self.momentum:
                if self.bufs[i] is None:
                    self.bufs[i] = g.copy()
                else:
                    self.bufs[i] *= self.momentum
                    self.bufs[i] += g
                g = self.bufs[i]
            p.data -= self.lr * g

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, "
            f"weight_decay={self.weight_decay:g}, params={len(self.params)})"
        )


class Adam(Optimizer):
    """Adam with bias correction and L2 weight decay added to the gradient (torch's Adam).

    With ``g = grad + weight_decay * p`` and ``t`` the parameter's step number (1, 2, ...:
    the steps it had a gradient in, as torch counts them), each step does

    ```python
    m = beta1 * m + (1 - beta1) * g          # first moment, starts at 0
    v = beta2 * v + (1 - beta2) * g**2       # second moment, starts at 0
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    ```

    Dividing by ``1 - beta**t`` undoes the pull towards the zero start in the first steps.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, usually ``model.parameters()``.
    lr : float, default 1e-3
        The learning rate, >= 0.
    betas : tuple of (float, float), default (0.9, 0.999)
        The decay rates ``(beta1, beta2)`` of the two moments, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator, >= 0, so that a zero gradient gives no division by zero.
    weight_decay : float, default 0.0
        The L2 penalty's factor, >= 0, added to the gradient as ``weight_decay * p``.

    Raises
    ------
    TypeError
        If ``params`` is not a list of parameters, or a hyperparameter is not a number.
    ValueError
        If ``params`` is empty or has duplicates, ``betas`` is not a pair in [0, 1), or
        another hyperparameter is negative or NaN.

    See Also
    --------
    SGD, OneCycleLR

    Examples
    --------
    The first step moves every weight by about ``lr``, whatever its gradient's size:

    >>> import numpy as np
    >>> from pybackprop import nn
    >>> from pybackprop.optim import Adam
    >>> w = nn.Parameter(np.array([1.0, -2.0], dtype=np.float32))
    >>> opt = Adam([w], lr=0.01)
    >>> w.grad = np.array([100.0, -0.001], dtype=np.float32)
    >>> opt.step()
    >>> print(np.round(w.data, 4), w.data.dtype)
    [ 0.99 -1.99] float32
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _check_hyper("betas[0]", betas[0], 0.0, 1.0),
            _check_hyper("betas[1]", betas[1], 0.0, 1.0),
        )
        self.eps = _check_hyper("eps", eps)
        self.weight_decay = _check_hyper("weight_decay", weight_decay)
        self.steps = [0] * len(self.params)  # per parameter, as torch's state["step"]
        self.ms = [np.zeros_like(p.data) for p in self.params]
        self.vs = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        """One update of every parameter with a gradient, in place, with bias-corrected moments."""
        beta1, beta2 = self.betas
        for i, (p, m, v) in enumerate(zip(self.params, self.ms, self.vs, strict=True)):
            if p.grad is None:  # as torch: no gradient, no step (its moments and t stay)
                continue
            g = self._grad(i, p, self.weight_decay)
            self.steps[i] += 1
            t = self.steps[i]
            step_size = self.lr / (1 - beta1**t)
            sqrt_bc2 = math.sqrt(1 - beta2**t)
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p.data -= step_size * (m / (np.sqrt(v) / sqrt_bc2 + self.eps))

    def __repr__(self) -> str:
        return (
            f"Adam(lr={self.lr:g}, betas=({self.betas[0]:g}, {self.betas[1]:g}), "
            f"eps={self.eps:g}, weight_decay={self.weight_decay:g}, "
            f"params={len(self.params)})"
        )


class OneCycleLR:
    """The one-cycle schedule: ``lr`` warms up, then anneals far below where it started.

    This is the one-cycle policy (Smith's, as fast.ai uses it) with cosine annealing and two
    phases: exactly torch's ``torch.optim.lr_scheduler.OneCycleLR`` with
    ``anneal_strategy="cos"`` and ``three_phase=False`` (its defaults). Over ``total_steps``
    calls of ``step()`` (one per optimiser step), the learning rate follows two cosine
    half-waves:

    ```python
    max_lr / div_factor  ->  max_lr                      # over the first pct_start of the steps
    max_lr  ->  max_lr / div_factor / final_div_factor   # over the rest
    ```

    With ``cycle_momentum`` the momentum (SGD's ``momentum``, Adam's ``beta1``) moves the
    opposite way, ``max_momentum -> base_momentum -> max_momentum``: high momentum is safe
    while the learning rate is small. Like torch, this sets the momentum of an SGD built with
    ``momentum=0`` too; pass ``cycle_momentum=False`` to leave it alone.

    Creating the schedule sets the optimiser's starting learning rate. Use it by hand,

    ```python
    sched = OneCycleLR(opt, max_lr=0.1, total_steps=epochs * len(train_dl))
    ...  # for each batch:
    opt.step(); sched.step(); opt.zero_grad()
    ```

    or give it to ``train.fit(..., sched=sched)``, which calls ``sched.step()`` after every
    step.

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
        If ``optimizer`` is not a pybackprop ``Optimizer``, ``cycle_momentum`` is set for an
        optimiser other than ``SGD`` or ``Adam``, or a hyperparameter is not a number.
    ValueError
        If ``total_steps`` is not a positive integer, ``pct_start`` is outside [0, 1], or
        another hyperparameter is negative, zero (the divisors) or NaN.

    See Also
    --------
    pybackprop.train.fit : takes the schedule as ``sched``.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> from pybackprop.optim import SGD, OneCycleLR
    >>> opt = SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10)
    >>> lrs, moms = [opt.lr], [opt.momentum]
    >>> for _ in range(9):
    ...     opt.step()
    ...     sched.step()
    ...     lrs.append(opt.lr)
    ...     moms.append(opt.momentum)
    >>> print(" ".join(f"{lr:.3g}" for lr in lrs))
    0.04 0.52 1 0.95 0.812 0.611 0.389 0.188 0.0495 4e-06
    >>> print(" ".join(f"{m:.3g}" for m in moms))
    0.95 0.9 0.85 0.855 0.869 0.889 0.911 0.931 0.945 0.95
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
        if (
            isinstance(total_steps, bool)
            or not isinstance(total_steps, int | np.integer)
            or total_steps <= 0
        ):
            raise ValueError(f"total_steps must be a positive integer, got {total_steps!r}")
        self.optimizer = optimizer
        self.total_steps = int(total_steps)
        self.max_lr = _check_hyper("max_lr", max_lr)
        if not 0.0 <= pct_start <= 1.0:
            raise ValueError(f"pct_start must be in [0, 1], got {pct_start}")
        self.initial_lr = self.max_lr / _check_hyper("div_factor", div_factor, 1e-300)
        self.min_lr = self.initial_lr / _check_hyper("final_div_factor", final_div_factor, 1e-300)
        # the step at which the warm-up ends; a float, as in torch
        self.warmup_end = pct_start * self.total_steps - 1
        self.cycle_momentum = cycle_momentum
        if cycle_momentum and not isinstance(optimizer, SGD | Adam):
            raise TypeError("cycle_momentum needs SGD or Adam (momentum or beta1 to cycle)")
        self.base_momentum = _check_hyper("base_momentum", base_momentum)
        self.max_momentum = _check_hyper("max_momentum", max_momentum)
        self.step_num = -1
        self.step()

    @staticmethod
    def _anneal(start: float, end: float, pct: float) -> float:
        """Cosine from `start` (pct = 0) to `end` (pct = 1)."""
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def step(self) -> None:
        """Move to the next step and set the optimiser's ``lr`` (and momentum).

        Call it once after each ``opt.step()``; creating the schedule made the first call.

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
