"""Checks for measuring trained networks (chapters 10 and 12).

Accuracy per class and a validation loss measured batch by batch (chapter 10), and the
difference between two models' mean accuracies over several seeds, with its standard error
(chapter 12).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..nn import functional as F
from .isolate import guarded
from .result import CheckResult
from .runner import DTYPES, Case, Mistake, close, run_check

__all__ = ["check_compare_runs", "check_evaluate", "check_per_class_accuracy"]

# ---- accuracy per class -----------------------------------------------------------------------


def _per_class(by: np.ndarray, right: np.ndarray, c: int) -> np.ndarray:
    """Fraction of ``right`` among the rows of each class of ``by``: (n,) -> (c,)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(by, weights=right, minlength=c) / np.bincount(by, minlength=c)


def _per_class_accuracy(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    predicted = logits.argmax(-1)
    return _per_class(target, predicted == target, logits.shape[1])


def _precision(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    predicted = logits.argmax(-1)
    return _per_class(predicted, predicted == target, logits.shape[1])


def _right_counts(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    right = logits.argmax(-1) == target
    return np.bincount(target, weights=right, minlength=logits.shape[1])


_PER_CLASS = (
    "Class k's accuracy is the fraction right among the rows whose *label* is k: "
    "right[target == k].mean(), with right = logits.argmax(-1) == target."
)
_PER_CLASS_MISTAKES = [
    Mistake(
        "divided_by_all_rows",
        f"this divides each class's number of right answers by all n rows, not by the "
        f"number of rows of that class (it sums to the overall accuracy). {_PER_CLASS}",
        produce=lambda x, t: _right_counts(x, t) / len(t),
    ),
    Mistake(
        "count_not_fraction",
        f"these are the numbers of right answers per class, not fractions. {_PER_CLASS}",
        produce=_right_counts,
    ),
    Mistake(
        "per_predicted_class",
        "this groups the rows by the *predicted* class (how often a prediction of k is "
        f"right, the precision), not by the label. {_PER_CLASS}",
        produce=_precision,
    ),
    Mistake(
        "overall_accuracy",
        f"every entry is the overall accuracy; each class needs its own. {_PER_CLASS}",
        produce=lambda x, t: np.full(x.shape[1], np.mean(x.argmax(-1) == t)),
    ),
    Mistake(
        "returned_error_rate",
        f"this is the fraction *wrong* per class (1 - accuracy). {_PER_CLASS}",
        produce=lambda x, t: 1 - _per_class_accuracy(x, t),
    ),
]


def _per_class_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for n, c in ((40, 4), (30, 3), (60, 10), (25, 5), (17, 2)):
        for dtype in DTYPES:
            # Every class twice or more among the labels and predicted at least once, about
            # three rows in four right; a draw where a mistake gives the right numbers anyway
            # (or two mistakes the same numbers) is replaced.
            while True:
                target = rng.permutation(
                    np.concatenate([np.arange(c), np.arange(c), rng.integers(0, c, n - 2 * c)])
                )
                logits = rng.standard_normal((n, c))
                logits[np.arange(n), target] += 1.5
                logits = logits.astype(dtype)
                answers = [_per_class_accuracy(logits, target)]
                answers += [m.produce(logits, target) for m in _PER_CLASS_MISTAKES]
                if np.bincount(logits.argmax(-1), minlength=c).min() > 0 and not any(
                    close(a, b, None) for i, a in enumerate(answers) for b in answers[i + 1 :]
                ):
                    break
            cases.append(
                Case(
                    f"n {n}, {c} classes, logits {np.dtype(dtype)}",
                    (logits, target),
                    ("logits", "target"),
                )
            )
    return cases


def _argmax_axis_exception(exc: BaseException, text: str) -> tuple[str, str] | None:
    if "could not be broadcast" in text:
        return (
            "argmax_wrong_axis",
            "In this exercise the usual cause is the argmax's axis: the predictions and "
            "the labels have different lengths. Take each row's "
            "argmax over the classes, logits.argmax(axis=-1), shape (n,). "
            "(logits.argmax(0) gives one index per class, shape (n_classes,).)",
        )
    return None


@guarded
def check_per_class_accuracy(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your accuracy per class (the recall): entry k is ``right[target == k].mean()``.

    ``right = logits.argmax(-1) == target``; compared with a numpy reference on 10 cases (2 to
    10 classes, logits in float64 and float32) where no mistake gives the right numbers.

    Parameters
    ----------
    fn : Callable
        Your ``per_class_accuracy(logits, target) -> accuracies``: logits (n, n_classes),
        integer labels target (n,) with every class present; returns shape (n_classes,).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"per_predicted_class"``,
        ``"overall_accuracy"``, ``"divided_by_all_rows"``, ``"argmax_wrong_axis"``,
        ``"count_not_fraction"``, ``"returned_error_rate"`` or a general one.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_per_class_accuracy
    >>> def per_class_accuracy(logits, target):
    ...     right = logits.argmax(axis=1) == target
    ...     return np.array([right[target == k].mean() for k in range(logits.shape[1])])
    >>> print(check_per_class_accuracy(per_class_accuracy).passed)
    True
    """
    return run_check(
        "check_per_class_accuracy",
        fn,
        _per_class_cases(seed),
        _per_class_accuracy,
        ("accuracies",),
        _PER_CLASS_MISTAKES,
        explain_exception=_argmax_axis_exception,
    )


# ---- the validation loss, batch by batch --------------------------------------------------------


class _Linear:
    """A fixed linear model, x (n, d) -> logits x @ w (n, c): what a check can compare and show."""

    def __init__(self, w: np.ndarray) -> None:
        self.w = w

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x @ self.w

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Linear) and np.array_equal(self.w, other.w)

    def __repr__(self) -> str:
        d, c = self.w.shape
        return f"a linear model, {d} features -> {c} classes ({self.w.dtype})"


class _Batches:
    """A loader: (x, y) batches of the given sizes, in order, as DataLoader yields them."""

    def __init__(self, x: np.ndarray, y: np.ndarray, sizes: list[int]) -> None:
        self.x, self.y, self.sizes = x, y, sizes

    def __iter__(self):
        start = 0
        for size in self.sizes:
            yield self.x[start : start + size], self.y[start : start + size]
            start += size

    def __len__(self) -> int:
        return len(self.sizes)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Batches)
            and self.sizes == other.sizes
            and np.array_equal(self.x, other.x)
            and np.array_equal(self.y, other.y)
        )

    def __repr__(self) -> str:
        return f"a loader of {len(self.sizes)} batches of sizes {self.sizes}"


def _evaluate(model: _Linear, loader: _Batches) -> tuple[float, float]:
    logits = model(loader.x)
    return float(F.cross_entropy(logits, loader.y)), float(F.accuracy(logits, loader.y))


def _batch_means(model: _Linear, loader: _Batches) -> np.ndarray:
    """Each batch's (loss, accuracy): (n_batches, 2)."""
    logits = [(model(x), y) for x, y in loader]
    return np.array([(F.cross_entropy(z, y), F.accuracy(z, y)) for z, y in logits])


def _sums(model: _Linear, loader: _Batches) -> np.ndarray:
    return (_batch_means(model, loader) * np.array(loader.sizes)[:, None]).sum(axis=0)


_WEIGHTED = (
    "A batch's mean times its size is its sum: add up the sums over the batches, and divide "
    "by the number of examples at the end."
)
_EVALUATE_MISTAKES = [
    mistake
    for k, name in enumerate(("loss", "accuracy"))
    for mistake in (
        Mistake(
            "mean_of_batch_means",
            f"this {name} is the mean of the batches' means, which counts an example of the "
            f"short last batch more than the others. {_WEIGHTED}",
            output=k,
            produce=lambda m, b, k=k: float(_batch_means(m, b)[:, k].mean()),
        ),
        Mistake(
            "sum_not_mean",
            f"this {name} is the sum over the examples; divide by their number. {_WEIGHTED}",
            output=k,
            produce=lambda m, b, k=k: float(_sums(m, b)[k]),
        ),
        Mistake(
            "divided_by_batches",
            f"this {name} divides the sum over the examples by the number of batches; divide "
            f"by the number of examples. {_WEIGHTED}",
            output=k,
            produce=lambda m, b, k=k: float(_sums(m, b)[k] / len(b)),
        ),
    )
]


def _evaluate_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for sizes, d, c in (([30, 30, 30, 10], 6, 4), ([16, 16, 5], 3, 3), ([50, 50, 50, 1], 8, 10)):
        for dtype in DTYPES:
            n = sum(sizes)
            y = rng.integers(0, c, n)
            x = rng.standard_normal((n, d)).astype(dtype)
            w = rng.standard_normal((d, c)).astype(dtype)
            x[np.arange(n), y % d] += 1.0  # better than chance, so the accuracy varies too
            cases.append(
                Case(
                    f"{len(sizes)} batches of sizes {sizes}, {np.dtype(dtype)}",
                    (_Linear(w), _Batches(x, y, sizes)),
                    ("model", "loader"),
                    dtype,
                )
            )
    return cases


@guarded
def check_evaluate(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your batched validation: the mean cross-entropy and accuracy over every example.

    Compared with the whole set at once, on 6 cases whose last batch is shorter than the rest
    (float64 and float32 models).

    Parameters
    ----------
    fn : Callable
        Your ``evaluate(model, loader) -> (loss, accuracy)``: ``model(x_batch)`` gives logits
        (batch, n_classes); ``loader`` yields ``(x_batch, y_batch)``; returns two floats.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"mean_of_batch_means"``,
        ``"sum_not_mean"``, ``"divided_by_batches"`` or a general one.

    Examples
    --------
    >>> import pybackprop.nn.functional as F
    >>> from pybackprop.exercises import check_evaluate
    >>> def evaluate(model, loader):
    ...     loss = right = count = 0
    ...     for x, y in loader:
    ...         logits = model(x)
    ...         loss += F.cross_entropy(logits, y) * len(y)
    ...         right += F.accuracy(logits, y) * len(y)
    ...         count += len(y)
    ...     return loss / count, right / count
    >>> print(check_evaluate(evaluate).passed)
    True
    """
    return run_check(
        "check_evaluate",
        fn,
        _evaluate_cases(seed),
        _evaluate,
        ("loss", "accuracy"),
        _EVALUATE_MISTAKES,
        scalar=True,
    )


# ---- comparing two models over seeds ----------------------------------------------------------


def _standard_errors(a: np.ndarray, b: np.ndarray, ddof: int = 1) -> tuple[float, float]:
    """The standard error of each mean: std / sqrt(k), the std of the k runs with ``ddof``."""
    return (
        float(np.std(a, ddof=ddof) / np.sqrt(len(a))),
        float(np.std(b, ddof=ddof) / np.sqrt(len(b))),
    )


def _compare_runs(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    se_a, se_b = _standard_errors(a, b)
    return float(np.mean(a) - np.mean(b)), float(np.hypot(se_a, se_b))


def _paired(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) != len(b):
        raise ValueError("pairs need as many runs of each model")
    return float(np.std(a - b, ddof=1) / np.sqrt(len(a)))


_SE = (
    "The mean of k runs varies less than one run: its standard error is std(runs, ddof=1) "
    "/ sqrt(k). The runs of the two models are independent, so the variances of their "
    "means add: standard_error = sqrt(se_a**2 + se_b**2)."
)
_COMPARE_MISTAKES = [
    # The first case's difference is positive, so a flipped sign fails there and is named
    # for what it is; where an absolute value first fails, the difference is negative.
    Mistake(
        "absolute_difference",
        "this is the absolute difference; keep the sign, which says which model is ahead.",
        produce=lambda a, b: abs(float(np.mean(a) - np.mean(b))),
    ),
    Mistake(
        "wrong_sign",
        "this is mean(accs_b) - mean(accs_a); the difference is the first model's mean "
        "minus the second's, so a positive number means the first is better.",
        produce=lambda a, b: float(np.mean(b) - np.mean(a)),
    ),
    Mistake(
        "population_std",
        "the standard deviations divide by k (np.std's default, ddof=0). With a few runs "
        "that underestimates the spread; divide by k - 1: np.std(runs, ddof=1). " + _SE,
        output=1,
        produce=lambda a, b: float(np.hypot(*_standard_errors(a, b, ddof=0))),
    ),
    Mistake(
        "std_not_standard_error",
        "this combines the spreads of single runs, sqrt(std_a**2 + std_b**2), not of the "
        "means: divide each variance by its number of runs. " + _SE,
        output=1,
        produce=lambda a, b: float(np.hypot(np.std(a, ddof=1), np.std(b, ddof=1))),
    ),
    Mistake(
        "standard_errors_added",
        "this is se_a + se_b: independent errors add in quadrature, "
        "sqrt(se_a**2 + se_b**2), which is smaller. " + _SE,
        output=1,
        produce=lambda a, b: sum(_standard_errors(a, b)),
    ),
    Mistake(
        "missing_sqrt",
        "this is the variance of the difference, se_a**2 + se_b**2; the standard error is "
        "its square root. " + _SE,
        output=1,
        produce=lambda a, b: float(np.hypot(*_standard_errors(a, b)) ** 2),
    ),
    Mistake(
        "paired_difference",
        "this is the standard error of the paired differences, std(a - b, ddof=1) / "
        "sqrt(k). Pairing is a valid choice when run i of both models shares everything "
        "but the model, but this exercise treats the runs as independent. " + _SE,
        output=1,
        produce=_paired,
    ),
]


def _standard_errors_are_distinct(a: np.ndarray, b: np.ndarray) -> bool:
    """True when the right standard error, each mistake's and 0 all differ on (a, b)."""
    values = [0.0, _compare_runs(a, b)[1]]  # 0: the starter's, and a zero std (a - b)
    for mistake in _COMPARE_MISTAKES:
        if mistake.output == 1 and (len(a) == len(b) or mistake.produce is not _paired):
            values.append(mistake.produce(a, b))
    return not any(close(v, w, None) for i, v in enumerate(values) for w in values[i + 1 :])


def _compare_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # Accuracies as 2,000 validation images give them, near 0.95 with a spread of a few tenths
    # of a percent, as seeds give; unequal numbers of runs from the third case on, where the
    # paired difference does not exist.
    # The difference is positive in the first case and negative in the second.
    for i, (k_a, k_b) in enumerate(((3, 3), (5, 5), (2, 4), (4, 3), (6, 2))):
        while True:
            centres = 0.95 + rng.normal(0, 0.004, 2)
            a = np.round((centres[0] + rng.normal(0, 0.003, k_a)) * 2000) / 2000
            b = np.round((centres[1] + rng.normal(0, 0.003, k_b)) * 2000) / 2000
            difference = _compare_runs(a, b)[0]
            if (
                np.std(a) > 0
                and np.std(b) > 0
                and abs(difference) > 1e-6
                and (i > 1 or (difference > 0) == (i == 0))
                and _standard_errors_are_distinct(a, b)
            ):
                break
        cases.append(Case(f"{k_a} runs of model a, {k_b} of model b", (a, b), ("accs_a", "accs_b")))
    return cases


@guarded
def check_compare_runs(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your comparison of two models' independent runs: difference of means, standard error.

    ``difference = mean(a) - mean(b)`` and ``standard_error = sqrt(var(a, ddof=1) / k_a +
    var(b, ddof=1) / k_b)``; compared with that formula on 5 cases (accuracies near 0.95).

    Parameters
    ----------
    fn : Callable
        Your ``compare_runs(accs_a, accs_b) -> (difference, standard_error)``: final accuracies
        of shapes (k_a,) and (k_b,), k >= 2 each; returns two floats.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"wrong_sign"``,
        ``"absolute_difference"``, ``"population_std"``, ``"std_not_standard_error"``,
        ``"standard_errors_added"``, ``"missing_sqrt"``, ``"paired_difference"`` or a general
        one.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_compare_runs
    >>> def compare_runs(a, b):
    ...     se = np.sqrt(np.var(a, ddof=1) / len(a) + np.var(b, ddof=1) / len(b))
    ...     return float(np.mean(a) - np.mean(b)), float(se)
    >>> print(check_compare_runs(compare_runs).passed)
    True
    """
    return run_check(
        "check_compare_runs",
        fn,
        _compare_cases(seed),
        _compare_runs,
        ("difference", "standard_error"),
        _COMPARE_MISTAKES,
        scalar=True,
    )
