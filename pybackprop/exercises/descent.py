"""Checks for chapter 4: a gradient-descent step, and accuracy from scores.

(The MAE's gradient, also in chapter 4, is ``check_mae_backward`` in backprop.py.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .isolate import guarded
from .result import CheckResult
from .runner import Case, Mistake, run_check

__all__ = ["check_descent_step", "check_sign_accuracy"]

# ---- one gradient-descent step for a constant prediction -------------------------------------


def _step_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # n = 1 last: there the sum and the mean agree.
    for n, lr in ((4, 0.1), (7, 0.3), (3, 0.05), (10, 0.7), (1, 0.2)):
        targets = rng.uniform(-3, 3, n)
        c = float(rng.uniform(-3, 3))
        cases.append(Case(f"n {n} targets, lr {lr}", (c, lr, targets), ("c", "lr", "targets")))
    return cases


def _grad(c: float, targets: np.ndarray) -> float:
    return 2 * float(np.mean(c - targets))


def _step(c: float, lr: float, targets: np.ndarray) -> float:
    return c - lr * _grad(c, targets)


_STEP = "One step is c - lr * dL/dc, with dL/dc = 2 * mean(c - t) for the MSE of the constant c."
_STEP_MISTAKES = [
    Mistake(
        "not_updated",
        "this is c unchanged: the step did not move it. Is the starter code still in place?",
        produce=lambda c, lr, t: c,
    ),
    Mistake(
        "gradient_ascent",
        f"c moved up the gradient (c + lr * dL/dc, or the error taken as t - c), so the "
        f"loss grows. {_STEP}",
        produce=lambda c, lr, t: c + lr * _grad(c, t),
    ),
    Mistake(
        "missing_factor_2",
        f"the gradient lacks the 2 from the square: dL/dc = 2 * mean(c - t). {_STEP}",
        produce=lambda c, lr, t: c - lr * _grad(c, t) / 2,
    ),
    Mistake(
        "sum_not_mean",
        f"the gradient sums over the targets instead of averaging: the loss is a mean, so "
        f"divide by n. {_STEP}",
        produce=lambda c, lr, t: c - lr * _grad(c, t) * len(t),
    ),
    Mistake(
        "returned_gradient",
        f"this is the gradient dL/dc itself; return the new c. {_STEP}",
        produce=lambda c, lr, t: _grad(c, t),
    ),
    Mistake(
        "returned_update",
        f"this is the update lr * dL/dc; return the new c, that is c minus it. {_STEP}",
        produce=lambda c, lr, t: lr * _grad(c, t),
    ),
]


@guarded
def check_descent_step(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your gradient-descent step for a constant prediction c: ``c - lr * dL/dc``.

    The loss is ``mean((c - targets)**2)``, so ``dL/dc = 2 * mean(c - targets)``; compared with
    that formula on 5 cases (n from 1 to 10, n = 1 last: there a sum and a mean agree).

    Parameters
    ----------
    fn : Callable
        Your ``step(c, lr, targets) -> new_c``: floats ``c`` and ``lr``, ``targets`` an
        np.ndarray of shape (n,); returns a float.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"gradient_ascent"``,
        ``"missing_factor_2"``, ``"sum_not_mean"``, ``"returned_gradient"``,
        ``"returned_update"``, ``"not_updated"`` or a general one.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_descent_step
    >>> def step(c, lr, targets):
    ...     return c - lr * 2 * np.mean(c - targets)
    >>> print(check_descent_step(step).passed)
    True
    """
    return run_check(
        "check_descent_step", fn, _step_cases(seed), _step, ("new c",), _STEP_MISTAKES, scalar=True
    )


# ---- accuracy of scores against 0/1 labels -------------------------------------------------


def _accuracy_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n in (10, 7, 25, 1, 4):
        # Scores that agree with the labels more often than not, as a trained model's do: about
        # a quarter on the wrong side, always the first point unless n is 1 (so the accuracy is
        # not 1). A draw where two of the mistakes below give the same number is replaced.
        while True:
            labels = rng.integers(0, 2, n)
            sides = 2 * labels - 1
            wrong = rng.random(n) < 0.25
            wrong[0] = n > 1
            scores = np.where(wrong, -sides, sides) * rng.uniform(0.1, 2.0, n)
            accuracy = _accuracy(scores, labels)
            named = {
                round(v, 9)
                for v in (accuracy, 1 - accuracy, float(np.mean(np.sign(scores) == labels)))
            }
            if n == 1 or len(named) == 3:
                break
        cases.append(Case(f"n {n}", (scores, labels), ("scores", "labels")))
    return cases


def _accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((scores > 0) == (labels == 1)))


_ACCURACY = (
    "A point is right when its score has the sign of its class (positive for label 1, "
    "negative for label 0): mean((scores > 0) == (labels == 1))."
)
_ACCURACY_MISTAKES = [
    Mistake(
        "sign_against_0_1_labels",
        "np.sign(scores) is -1 or +1 but the labels are 0 or 1, so class 0 is never "
        f"counted as right. Compare scores > 0 with labels == 1. {_ACCURACY}",
        produce=lambda s, y: float(np.mean(np.sign(s) == y)),
    ),
    Mistake(
        "count_not_fraction",
        f"this is the number of right points; accuracy is the fraction. {_ACCURACY}",
        produce=lambda s, y: float(np.sum((s > 0) == (y == 1))),
    ),
    Mistake(
        "percent_not_fraction",
        "this is a percentage (times 100); return a fraction between 0 and 1 (format it "
        f"as a percentage when printing, e.g. f'{{acc:.1%}}'). {_ACCURACY}",
        produce=lambda s, y: 100 * _accuracy(s, y),
    ),
    Mistake(
        "returned_error_rate",
        "this is the fraction of wrong points (1 - accuracy): the classes are swapped, or "
        f"the comparison is inverted. {_ACCURACY}",
        produce=lambda s, y: 1 - _accuracy(s, y),
    ),
]


@guarded
def check_sign_accuracy(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your accuracy of scores against 0/1 labels: ``mean((scores > 0) == (labels == 1))``.

    A score > 0 predicts class 1; compared with that formula on 5 cases (n from 1 to 25, about
    a quarter of the points on the wrong side).

    Parameters
    ----------
    fn : Callable
        Your ``sign_accuracy(scores, labels) -> float``: float scores and integer labels 0 or
        1, np.ndarray of shape (n,); returns a fraction in [0, 1].
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"returned_error_rate"``,
        ``"count_not_fraction"``, ``"percent_not_fraction"``, ``"sign_against_0_1_labels"`` or
        a general one.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_sign_accuracy
    >>> def sign_accuracy(scores, labels):
    ...     return float(np.mean((scores > 0) == (labels == 1)))
    >>> print(check_sign_accuracy(sign_accuracy).passed)
    True
    """
    return run_check(
        "check_sign_accuracy",
        fn,
        _accuracy_cases(seed),
        _accuracy,
        ("accuracy",),
        _ACCURACY_MISTAKES,
        scalar=True,
    )
