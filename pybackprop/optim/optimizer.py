"""``Optimizer``, ``SGD`` and ``Adam``, defined exactly as PyTorch defines them."""

import math
from collections.abc import Iterable

import numpy as np

from ..nn import _checks as _c

__all__ = ["Adam", "Optimizer", "SGD"]


def _check_grad(opt, i: int, p) -> None:
    """Refuse parameter `i` unless it has an array .data and a .grad that is None or matches it."""
    data, grad = getattr(p, "data", None), getattr(p, "grad", None)
    if not (isinstance(data, np.ndarray) and (grad is None or isinstance(grad, np.ndarray))):
        raise TypeError(
            f"{type(opt).__name__}: parameter {i} must have a numpy array .data and a .grad "
            f"that is a numpy array or None (like nn.Parameter), got {type(p).__name__}"
        )
    if grad is not None and (grad.shape != data.shape or grad.dtype != data.dtype):
        raise ValueError(
            f"{type(opt).__name__}: parameter {i}: .grad has shape {grad.shape} and dtype "
            f"{grad.dtype} but .data has {data.shape} and {data.dtype}: a gradient has its "
            "parameter's shape and dtype"
        )


def _check_hyper(
    fn: str,
    name: str,
    value: float,
    lo: float = 0.0,
    hi: float | None = None,
    *,
    positive: bool = False,
) -> float:
    """`value` as a Python float (so it never upcasts float32 arrays), finite, in [lo, hi)."""
    value = _c.real(value, fn, name)  # a TypeError for a bool, str, None or array
    above = value > lo if positive else value >= lo  # both False for NaN
    if not (math.isfinite(value) and above and (hi is None or value < hi)):
        bound = f"> {lo:g}" if positive else f">= {lo:g}"
        expected = f"a finite number {bound}" if hi is None else f"in [{lo:g}, {hi:g})"
        raise ValueError(f"{fn}: {name} must be {expected}, got {value}")
    return value


class Optimizer:
    """The base of the optimisers: holds the parameters and ``lr``; a subclass defines ``step()``.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, usually ``model.parameters()``, each once; kept as ``.params``.
    lr : float
        The learning rate, >= 0; kept as ``.lr``, which a schedule changes between steps.

    Raises
    ------
    TypeError
        If ``params`` is a module or not iterable, a parameter lacks a float numpy ``.data`` or
        a ``.grad`` that is an array or None, or ``lr`` is not a real number (a bool, a str).
    ValueError
        If ``params`` is empty or has duplicates, a ``.grad`` and ``.data`` differ in shape or
        dtype, or ``lr`` is negative, infinite or NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn, optim
    >>> class GD(optim.Optimizer):  # plain gradient descent
    ...     def step(self):
    ...         for p in self.params:
    ...             if p.grad is not None:
    ...                 p.data -= self.lr * p.grad
    """

    def __init__(self, params: Iterable, lr: float) -> None:
        fn = type(self).__name__
        if hasattr(params, "parameters"):
            raise TypeError(
                f"{fn}: an optimiser takes parameters, got a {type(params).__name__}: "
                "pass model.parameters()"
            )
        try:
            if isinstance(params, np.ndarray):  # iterating it would give its rows
                raise TypeError
            self.params = list(params)
        except TypeError:
            raise TypeError(
                f"{fn}: params must be an iterable of parameters, such as model.parameters() or "
                f"[nn.Parameter(array)]; got {type(params).__name__}"
            ) from None
        if not self.params:
            raise ValueError(f"{fn} got an empty parameter list; expected at least one")
        for i, p in enumerate(self.params):
            _check_grad(self, i, p)
            if p.data.dtype.kind != "f":
                raise TypeError(
                    f"{fn}: parameter {i} holds dtype {p.data.dtype}; an optimiser updates "
                    "floating-point arrays"
                )
        if len({id(p) for p in self.params}) != len(self.params):
            # a parameter listed twice would be updated twice per step
            ids = [id(p) for p in self.params]
            first = next(i for i, p in enumerate(ids) if p in ids[:i])
            raise ValueError(
                f"{fn}: parameter {first} appears more than once in the parameter list; list "
                "each parameter once"
            )
        self.lr = _check_hyper(fn, "lr", lr)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (``Parameter.zero_grad``).

        Parameters
        ----------
        set_to_none : bool, default True
            True sets each ``.grad`` to None, as torch; False fills each existing one with zeros.
        """
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.fill(0)

    def step(self) -> None:
        """Update every parameter's ``.data`` in place from its ``.grad``; a subclass defines it.

        Raises
        ------
        NotImplementedError
            Always, in the base class.
        """
        raise NotImplementedError

    def _grad(self, i: int, p, weight_decay: float) -> np.ndarray | None:
        """Parameter `i`'s gradient (checked) plus weight_decay * data (torch's L2); None: none."""
        grad = p.grad
        if grad is None:  # as torch: no gradient, no step
            return None
        data = getattr(p, "data", None)
        # .grad may have been assigned since __init__: the usual case is tested inline (this
        # runs per parameter per step), anything else goes through the full check
        if not (
            type(grad) is np.ndarray
            and type(data) is np.ndarray
            and grad.shape == data.shape
            and grad.dtype == data.dtype
        ):
            _check_grad(self, i, p)
        return grad + weight_decay * data if weight_decay else grad


class SGD(Optimizer):
    """Stochastic gradient descent with momentum and L2 weight decay, as torch's ``SGD``.

    With ``g = grad + weight_decay * p``: ``buf = g`` on the first step (torch's convention, not
    ``(1 - momentum) * g``), then ``buf = momentum * buf + g``, and ``p -= lr * buf``.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, usually ``model.parameters()``.
    lr : float
        The learning rate, >= 0.
    momentum : float, default 0.0
        The momentum factor, >= 0 (0: ``p -= lr * g``, no buffer).
    weight_decay : float, default 0.0
        The L2 penalty's factor, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn, optim
    >>> w = nn.Parameter(np.array([1.0, -2.0]))
    >>> w.grad = np.array([1.0, 1.0])
    >>> optim.SGD([w], lr=0.1, momentum=0.9).step()
    >>> print(w.data)
    [ 0.9 -2.1]
    """

    def __init__(
        self, params: Iterable, lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_hyper("SGD", "momentum", momentum)
        self.weight_decay = _check_hyper("SGD", "weight_decay", weight_decay)
        self.bufs: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        """SGD step, in place: buf = momentum * buf + g (buf = g at first); p -= lr * buf."""
        lr, momentum, weight_decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = self._grad(i, p, weight_decay)
            if g is None:  # no gradient, no step (and no momentum)
                continue
            if momentum:
                if self.bufs[i] is None:
                    self.bufs[i] = g.copy()
                else:
                    self.bufs[i] *= momentum
                    self.bufs[i] += g
                g = self.bufs[i]
            p.data -= lr * g

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, "
            f"weight_decay={self.weight_decay:g}, params={len(self.params)})"
        )


class Adam(Optimizer):
    """Adam with bias correction and L2 weight decay added to the gradient, as torch's ``Adam``.

    With ``g = grad + weight_decay * p``, moments ``m`` of g and ``v`` of g**2 (decay rates
    ``betas``, from 0), and ``t`` the parameter's step (1, 2, ...: the steps it had a gradient
    in, as torch counts them): ``p -= lr * m_hat / (sqrt(v_hat) + eps)``, where
    ``m_hat = m / (1 - beta1**t)`` and ``v_hat = v / (1 - beta2**t)`` undo the zero start.

    Parameters
    ----------
    params : iterable of Parameter
        The parameters to train, usually ``model.parameters()``.
    lr : float, default 1e-3
        The learning rate, >= 0.
    betas : tuple of (float, float), default (0.9, 0.999)
        The decay rates ``(beta1, beta2)`` of the two moments, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator, >= 0.
    weight_decay : float, default 0.0
        The L2 penalty's factor, >= 0.

    Raises
    ------
    TypeError
        If ``betas`` is not a tuple, list or array.
    ValueError
        If ``betas`` has not two entries.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn, optim
    >>> w = nn.Parameter(np.array([1.0, -2.0]))
    >>> w.grad = np.array([100.0, -0.001])
    >>> optim.Adam([w], lr=0.01).step()  # the first step moves each weight by about lr
    >>> print(np.round(w.data, 4))
    [ 0.99 -1.99]
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
        if not isinstance(betas, tuple | list | np.ndarray):
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        if len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            _check_hyper("Adam", "betas[0]", betas[0], 0.0, 1.0),
            _check_hyper("Adam", "betas[1]", betas[1], 0.0, 1.0),
        )
        # eps = 0: 0 / 0 for a zero gradient
        self.eps = _check_hyper("Adam", "eps", eps, positive=True)
        self.weight_decay = _check_hyper("Adam", "weight_decay", weight_decay)
        self.steps = [0] * len(self.params)  # per parameter, as torch's state["step"]
        self.ms = [np.zeros_like(p.data) for p in self.params]
        self.vs = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        """Adam step, in place: update m and v, then p -= lr * m_hat / (sqrt(v_hat) + eps)."""
        beta1, beta2 = self.betas
        for i, (p, m, v) in enumerate(zip(self.params, self.ms, self.vs, strict=True)):
            g = self._grad(i, p, self.weight_decay)
            if g is None:  # no gradient, no step (its moments and t stay)
                continue
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
