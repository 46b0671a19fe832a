"""Checks for chapter 1: a line plus ReLU pieces, as features and as an interpolant.

The model is f(x) = b + w x + sum_j a_j relu(x - c_j): linear in (b, w, a_1, ..., a_k)
once the knots c_j are fixed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .isolate import guarded
from .result import CheckResult
from .runner import DTYPES, Case, Mistake, close, run_check

__all__ = ["check_relu_features", "check_relu_interpolation"]


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def _columns(x: np.ndarray, knots: np.ndarray, line: bool) -> np.ndarray:
    """[1, (x,) relu(x - c_1), ..., relu(x - c_k)]: x: (n,), knots: (k,) -> (n, k + 1 + line)."""
    first = [np.ones_like(x), x] if line else [np.ones_like(x)]
    return np.column_stack([*first, _relu(x[:, None] - knots[None, :])])


# ---- the feature matrix -----------------------------------------------------------------------


def _feature_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # n == k last: there `x - knots` without broadcasting runs, and gives one value per sample.
    for n, k in ((9, 3), (1, 2), (12, 5), (6, 1), (4, 4)):
        for dtype in DTYPES:
            x = np.sort(rng.uniform(-1, 3, n)).astype(dtype)
            knots = np.sort(rng.uniform(-0.8, 2.8, k)).astype(dtype)
            cases.append(
                Case(
                    f"n {n} samples, k {k} knots, {np.dtype(dtype)}",
                    (x, knots),
                    ("x", "knots"),
                    np.dtype(dtype),
                )
            )
    return cases


def _is_transposed(received, expected, case) -> bool:
    return np.ndim(received) == 2 and close(np.asarray(received).T, expected, case.dtype)


def _feature_mistakes(line: bool) -> list[Mistake]:
    def wrong(pieces: Callable) -> Callable:
        # The first columns as they should be, with the ReLU columns computed wrongly.
        return lambda x, c: np.column_stack([*_columns(x, c[:0], line).T, pieces(x, c)])

    mistakes = [
        Mistake(
            "knot_sign",
            "the ReLU columns are relu(x + c): the knot enters with the wrong sign. A "
            "piece with its kink at c is relu(x - c), zero left of c.",
            produce=wrong(lambda x, c: _relu(x[:, None] + c[None, :])),
        ),
        Mistake(
            "relu_reversed",
            "the ReLU columns are relu(c - x), which is zero right of the knot. The pieces "
            "here switch on at the knot and rise to the right: relu(x - c).",
            produce=wrong(lambda x, c: _relu(c[None, :] - x[:, None])),
        ),
        Mistake(
            "missing_relu",
            "the ReLU columns are x - c without the relu: straight lines, which add "
            "nothing a line cannot do. Clip them at zero: np.maximum(x - c, 0).",
            produce=wrong(lambda x, c: x[:, None] - c[None, :]),
        ),
        Mistake(
            "knots_not_broadcast",
            "there is one ReLU column computed elementwise (x - knots pairs sample i with "
            "knot i). Make an (n, k) grid with x[:, None] - knots[None, :].",
            produce=lambda x, c: np.column_stack([*_columns(x, c[:0], line).T, _relu(x - c)]),
        ),
        Mistake(
            "missing_intercept",
            "the column of ones is missing: without it the model has no constant term b. "
            "Start with np.ones_like(x).",
            produce=lambda x, c: _columns(x, c, line)[:, 1:],
        ),
        Mistake(
            "transposed",
            "rows and columns are swapped: the matrix has one row per sample, shape "
            "(n, number of features), so that X @ params gives one prediction per sample.",
            detect=_is_transposed,
        ),
    ]
    if line:
        mistakes.append(
            Mistake(
                "missing_line_column",
                "the column x is missing: the features are 1, x, then relu(x - c) for each knot.",
                produce=lambda x, c: _columns(x, c, False),
            )
        )
    else:
        mistakes.append(
            Mistake(
                "extra_line_column",
                "there is a column x: this exercise leaves the line out, so the features are 1, "
                "then relu(x - c) for each knot.",
                produce=lambda x, c: _columns(x, c, True),
            )
        )
    return mistakes


def _feature_exception(exc: BaseException, text: str) -> tuple[str, str] | None:
    if "could not be broadcast" in text:
        return (
            "knots_not_broadcast",
            "Here that is x (n,) against knots (k,): make an (n, k) grid of differences "
            "with x[:, None] - knots[None, :].",
        )
    return None


@guarded
def check_relu_features(fn: Callable, line: bool = True, seed: int = 0) -> CheckResult:
    """Check your feature matrix of a line plus ReLU pieces: columns ``1, x, relu(x - c_j)``.

    With ``line=False`` the column x is left out. Compared with a numpy reference on 10 cases
    (a single sample among them, float64 and float32; n == k last, where ``x - knots`` runs
    without broadcasting).

    Parameters
    ----------
    fn : Callable
        Your ``relu_features(x, knots) -> X``: x (n,) and knots (k,); returns np.ndarray of
        shape (n, k + 2), or (n, k + 1) with ``line=False``, in x's dtype.
    line : bool, default True
        Whether the column x belongs in the matrix.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"missing_intercept"``,
        ``"missing_line_column"``, ``"extra_line_column"``, ``"missing_relu"``,
        ``"relu_reversed"``, ``"knot_sign"``, ``"knots_not_broadcast"``, ``"transposed"`` or a
        general one.

    See Also
    --------
    check_relu_interpolation

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_relu_features
    >>> def relu_features(x, knots):
    ...     pieces = np.maximum(x[:, None] - knots[None, :], 0)
    ...     return np.column_stack([np.ones_like(x), x, pieces])
    >>> print(check_relu_features(relu_features).passed)
    True
    """
    name = "check_relu_features" + ("" if line else "(line=False)")
    return run_check(
        name,
        fn,
        _feature_cases(seed),
        lambda x, c: _columns(x, c, line),
        ("X",),
        _feature_mistakes(line),
        explain_exception=_feature_exception,
    )


# ---- interpolation ----------------------------------------------------------------------------


def _interpolation_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n_points in (5, 3, 8, 2, 6):
        for dtype in DTYPES:
            # Uneven gaps of at least 0.2, so that slope and rise differ and nothing is ill-posed.
            xs = np.cumsum(rng.uniform(0.2, 1.0, n_points)) - 1.5
            ys = rng.uniform(-2, 2, n_points)
            cases.append(
                Case(
                    f"{n_points} points, {np.dtype(dtype)}",
                    (xs.astype(dtype), ys.astype(dtype)),
                    ("xs", "ys"),
                    np.dtype(dtype),
                )
            )
    return cases


def _interpolation(xs: np.ndarray, ys: np.ndarray, rise_only: bool = False) -> np.ndarray:
    """(b, w, a_1, ..., a_{m-1}) of the line + ReLUs through the m + 1 points (xs, ys)."""
    slopes = np.diff(ys) if rise_only else np.diff(ys) / np.diff(xs)
    w = slopes[0]
    return np.concatenate([[ys[0] - w * xs[0], w], np.diff(slopes)]).astype(xs.dtype)


def _with(params: np.ndarray, start: int, values) -> np.ndarray:
    out = params.copy()
    out[start : start + np.size(values)] = values
    return out


_INTERPOLATION_MISTAKES = [
    Mistake(
        "slopes_not_changes",
        "the ReLU weights are the slopes of the segments after each knot. Each a_j adds to "
        "the slope at its knot, so it is the *change* of slope there: slopes[j] - "
        "slopes[j - 1].",
        produce=lambda xs, ys: _with(_interpolation(xs, ys), 2, (np.diff(ys) / np.diff(xs))[1:]),
    ),
    Mistake(
        "changes_reversed",
        "the ReLU weights have the wrong sign: a_j = slope after the knot minus slope before it.",
        produce=lambda xs, ys: _with(_interpolation(xs, ys), 2, -_interpolation(xs, ys)[2:]),
    ),
    Mistake(
        "rise_not_slope",
        "the slopes are differences of ys alone. A slope is rise over run: "
        "np.diff(ys) / np.diff(xs).",
        produce=lambda xs, ys: _interpolation(xs, ys, rise_only=True),
    ),
    Mistake(
        "intercept_at_first_point",
        "b is ys[0], the value at the first point; b is the value at x = 0, so that "
        "b + w * xs[0] = ys[0]: b = ys[0] - w * xs[0].",
        produce=lambda xs, ys: _with(_interpolation(xs, ys), 0, ys[0]),
    ),
    Mistake(
        "wrong_knots",
        "params has the wrong length: the knots are the interior points xs[1:-1] only (the "
        "line covers the first segment), so m + 1 points give (b, w, a_1, ..., a_{m-1}).",
        detect=lambda got, want, case: (
            np.ndim(got) == 1 and 0 < abs(np.size(got) - np.size(want)) <= 2
        ),
    ),
]


@guarded
def check_relu_interpolation(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your line plus ReLUs through given points: ``params = (b, w, a_1, ..., a_(m-1))``.

    ``b + w * x + sum_j a_j * relu(x - xs[j])`` must equal ys at every xs, with knots at the
    interior points ``xs[1:-1]``: w is the first slope, each a_j the change of slope at its
    knot. Compared with a numpy reference on 10 cases (2 to 8 points, float64 and float32).

    Parameters
    ----------
    fn : Callable
        Your ``relu_interpolation(xs, ys) -> params``: np.ndarray of shape (m + 1,), xs
        increasing; returns shape (m + 1,).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"slopes_not_changes"``,
        ``"changes_reversed"``, ``"rise_not_slope"``, ``"intercept_at_first_point"``,
        ``"wrong_knots"`` or a general one.

    See Also
    --------
    check_relu_features

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_relu_interpolation
    >>> def relu_interpolation(xs, ys):
    ...     pieces = np.maximum(xs[:, None] - xs[None, 1:-1], 0)
    ...     return np.linalg.solve(np.column_stack([np.ones_like(xs), xs, pieces]), ys)
    >>> print(check_relu_interpolation(relu_interpolation).passed)
    True
    """
    return run_check(
        "check_relu_interpolation",
        fn,
        _interpolation_cases(seed),
        _interpolation,
        ("params",),
        _INTERPOLATION_MISTAKES,
    )
