"""Checks for derivatives by finite differences (chapters 2 and 3).

The learner's function receives a function ``f`` to differentiate; ``f`` shows in the report by
its formula ("sin(x)"), so a report is the same from one run to the next.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .isolate import guarded
from .result import CheckResult
from .runner import Case, Mistake, run_check

__all__ = ["check_central_difference", "check_numerical_gradient"]


@dataclass(frozen=True)
class _Function:
    """A function to differentiate, shown in the report by its formula."""

    formula: str
    fn: Callable

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self) -> str:
        return self.formula


# ---- the central difference of a function of one number ---------------------------------------

_SCALAR_FUNCTIONS = (
    _Function("sin(x)", math.sin),
    _Function("x**3 - 2*x", lambda x: x**3 - 2 * x),
    _Function("exp(x)", math.exp),
    _Function("tanh(2*x)", lambda x: math.tanh(2 * x)),
    _Function("log(1 + x**2)", lambda x: math.log(1 + x**2)),
)


def _central(f: Callable, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def _central_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # Large steps first: there a one-sided difference is off by about h * f''(x) / 2, far
    # beyond the tolerance; a point where f'' is near 0 would hide it, so x avoids 0.
    for f, h in zip(
        _SCALAR_FUNCTIONS * 2,
        (1e-2, 1e-3, 1e-2, 1e-3, 1e-2, 1e-4, 1e-5, 1e-4, 1e-5, 1e-4),
        strict=True,
    ):
        x = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.5))
        cases.append(Case(f"f = {f}, x = {x:.6g}, h = {h:g}", (f, x, h), ("f", "x", "h")))
    return cases


_CENTRAL = (
    "The central difference is (f(x + h) - f(x - h)) / (2 * h): one step on each "
    "side, divided by the distance 2h between them."
)
_CENTRAL_MISTAKES = [
    Mistake(
        "forward_difference",
        f"this is the forward difference (f(x + h) - f(x)) / h. {_CENTRAL} Its error "
        "shrinks like h**2, the forward difference's only like h.",
        produce=lambda f, x, h: (f(x + h) - f(x)) / h,
    ),
    Mistake(
        "backward_difference",
        f"this is the backward difference (f(x) - f(x - h)) / h. {_CENTRAL}",
        produce=lambda f, x, h: (f(x) - f(x - h)) / h,
    ),
    Mistake(
        "missing_factor_2",
        f"this is twice the derivative: (f(x + h) - f(x - h)) / h. {_CENTRAL}",
        produce=lambda f, x, h: (f(x + h) - f(x - h)) / h,
    ),
    Mistake(
        "operator_precedence",
        "this is (f(x + h) - f(x - h)) / 2 * h: Python divides by 2, then multiplies by "
        "h. Put the denominator in parentheses: / (2 * h).",
        produce=lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h,
    ),
    Mistake(
        "operator_precedence",
        "this is f(x + h) - f(x - h) / (2 * h): the division binds tighter than the "
        "minus. Put the difference in parentheses: (f(x + h) - f(x - h)) / (2 * h).",
        produce=lambda f, x, h: f(x + h) - f(x - h) / (2 * h),
    ),
    Mistake(
        "wrong_sign",
        f"the sign is flipped: (f(x - h) - f(x + h)) / (2 * h). {_CENTRAL}",
        produce=lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h),
    ),
]


@guarded
def check_central_difference(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your central difference: ``(f(x + h) - f(x - h)) / (2 * h)``, an estimate of f'(x).

    Compared with that formula on 10 cases: five functions of one float (shown in the report by
    their formula) at random points away from 0, with steps from 1e-2 down to 1e-5.

    Parameters
    ----------
    fn : Callable
        Your ``central_difference(f, x, h) -> float``: ``f`` a function of a float, ``x`` the
        point and ``h`` the step.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"forward_difference"``,
        ``"backward_difference"``, ``"missing_factor_2"``, ``"operator_precedence"``,
        ``"wrong_sign"`` or a general one.

    See Also
    --------
    check_numerical_gradient

    Examples
    --------
    >>> from pybackprop.exercises import check_central_difference
    >>> def central_difference(f, x, h):
    ...     return (f(x + h) - f(x - h)) / (2 * h)
    >>> print(check_central_difference(central_difference).passed)
    True
    """
    return run_check(
        "check_central_difference",
        fn,
        _central_cases(seed),
        _central,
        ("df/dx",),
        _CENTRAL_MISTAKES,
        scalar=True,
    )


# ---- the numerical gradient of a function of a vector -----------------------------------------

_VECTOR_FUNCTIONS = (
    _Function("sum(x**3) / 3 + x[0] * x[-1]", lambda x: np.sum(x**3) / 3 + x[0] * x[-1]),
    _Function("log(sum(exp(x)))", lambda x: np.log(np.sum(np.exp(x)))),
    _Function(
        "sum((1 + arange(n)) * sin(x))", lambda x: np.sum((1 + np.arange(len(x))) * np.sin(x))
    ),
    _Function("sum(x)**2 + prod(x)", lambda x: np.sum(x) ** 2 + np.prod(x)),
)


def _gradient(f: Callable, x: np.ndarray, h: float) -> np.ndarray:
    grad = np.empty_like(x)
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def _forward_gradient(f: Callable, x: np.ndarray, h: float) -> np.ndarray:
    grad = np.empty_like(x)
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x)) / h
    return grad


def _gradient_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for f, n, h in zip(
        _VECTOR_FUNCTIONS * 2,
        (4, 3, 5, 2, 1, 6, 3, 4),
        (1e-3, 1e-3, 1e-4, 1e-3, 1e-4, 1e-5, 1e-4, 1e-5),
        strict=True,
    ):
        x = rng.uniform(-1.5, 1.5, n)
        cases.append(
            Case(f"f = {f}, n {n}, h = {h:g}", (f, x, h), ("f", "x", "h"), np.dtype(np.float64))
        )
    return cases


_GRADIENT = (
    "Nudge one entry at a time: for entry i, add h to x[i] only (in a copy of x), "
    "and take (f(x + h e_i) - f(x - h e_i)) / (2 * h)."
)
_GRADIENT_MISTAKES = [
    Mistake(
        "forward_difference",
        f"this is the forward difference (f(x + h e_i) - f(x)) / h. {_GRADIENT}",
        produce=_forward_gradient,
    ),
    Mistake(
        "nudged_all_at_once",
        "every entry holds the same number, (f(x + h) - f(x - h)) / (2h) with all entries "
        f"nudged together: that is a directional derivative, not the gradient. {_GRADIENT}",
        produce=lambda f, x, h: np.full_like(x, (f(x + h) - f(x - h)) / (2 * h)),
    ),
    Mistake(
        "missing_factor_2",
        f"this is twice the gradient: the difference is divided by h, not 2h. {_GRADIENT}",
        produce=lambda f, x, h: 2 * _gradient(f, x, h),
    ),
]


@guarded
def check_numerical_gradient(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your gradient by central differences, one entry at a time, leaving ``x`` unchanged.

    Entry i is ``(f(x + h e_i) - f(x - h e_i)) / (2 * h)``, e_i the i-th unit vector; compared
    with that formula on 8 cases (n from 1 to 6, steps from 1e-3 to 1e-5).

    Parameters
    ----------
    fn : Callable
        Your ``numerical_gradient(f, x, h) -> grad``: ``f`` a function of an np.ndarray of
        shape (n,) returning a float, ``x`` of shape (n,), ``h`` a float; returns shape (n,).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"forward_difference"``,
        ``"nudged_all_at_once"``, ``"missing_factor_2"``, ``"modified_input_in_place"`` or a
        general one.

    See Also
    --------
    check_central_difference, pybackprop.gradcheck.gradcheck

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_numerical_gradient
    >>> def numerical_gradient(f, x, h):
    ...     steps = h * np.eye(len(x))
    ...     return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in steps])
    >>> print(check_numerical_gradient(numerical_gradient).passed)
    True
    """
    return run_check(
        "check_numerical_gradient",
        fn,
        _gradient_cases(seed),
        _gradient,
        ("grad",),
        _GRADIENT_MISTAKES,
        in_place_fix=(
            "Nudge a copy, not x itself: for each entry, xp = x.copy(); xp[i] += h (and "
            "likewise xm with -h). Adding h to x[i] and taking it off again does not always "
            "give x[i] back exactly: rounding changes the last digits."
        ),
    )
