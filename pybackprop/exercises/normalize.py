"""A check for normalising a training and a validation set (chapter 11).

Both sets are normalised with the *training* set's mean and standard deviation, one of each
over all values, as ``pybackprop.data.mean_std`` and ``pybackprop.nn.init.normalize`` do. The cases'
validation sets are brighter and more spread out than their training sets, as a real shift
between two sets would be, so normalising the validation set with its own statistics shows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..data import mean_std
from ..nn.init import normalize
from .isolate import guarded
from .result import CheckResult
from .runner import DTYPES, Case, Mistake, run_check

__all__ = ["check_normalize"]


def _normalize_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # Few values in the first cases, where the sample std (n - 1) differs most from the
    # population std; a validation set of one row later.
    for n_train, n_valid, width in ((7, 3, 3), (20, 8, 6), (50, 12, 16), (9, 1, 4), (30, 10, 5)):
        for dtype in DTYPES:
            x_train = (rng.random((n_train, width)) ** 2).astype(dtype)  # mostly dark pixels
            x_valid = (0.2 + 1.5 * rng.random((n_valid, width)) ** 2).astype(dtype)
            cases.append(
                Case(
                    f"{n_train} training rows, {n_valid} validation rows, width "
                    f"{width}, {np.dtype(dtype)}",
                    (x_train, x_valid),
                    ("x_train", "x_valid"),
                    np.dtype(dtype),
                )
            )
    return cases


def _with(stats: Callable[[np.ndarray, np.ndarray], tuple]) -> Callable:
    """Both sets normalised with stats(x_train, x_valid) -> (mean, std): scalars or rows."""

    def both(xt: np.ndarray, xv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = stats(xt, xv)
        return (xt - mean) / std, (xv - mean) / std

    return both


def _normalize_reference(x_train: np.ndarray, x_valid: np.ndarray):
    mean, std = mean_std(x_train)
    return normalize(x_train, mean, std), normalize(x_valid, mean, std)


def _mistake(diagnosis: str, message: str, wrong: Callable, outputs=(0, 1)) -> list[Mistake]:
    """The mistake ``wrong(x_train, x_valid) -> (x_train_n, x_valid_n)``, named in each output."""
    return [
        Mistake(diagnosis, message, output=k, produce=lambda xt, xv, k=k: wrong(xt, xv)[k])
        for k in outputs
    ]


_RULE = (
    "Normalise both sets with the training set's mean and std (one of each over all "
    "values): (x - mean) / std."
)
_NORMALIZE_MISTAKES = [
    *_mistake(
        "valid_own_statistics",
        "the validation set is normalised with its *own* mean and std. The network "
        "learnt to read inputs transformed with the training statistics, so every set "
        "(and a single image sent to it later) must get that same transformation; its "
        "own statistics would also hide a real difference between the sets. " + _RULE,
        lambda xt, xv: (None, normalize(xv, *mean_std(xv))),
        outputs=(1,),
    ),
    *_mistake(
        "valid_not_normalised",
        "this is the validation set unchanged: it must be normalised too, or the "
        "network sees inputs on another scale than it was trained on. " + _RULE,
        lambda xt, xv: (None, xv),
        outputs=(1,),
    ),
    *_mistake(
        "train_not_normalised",
        "this is the training set unchanged. " + _RULE,
        lambda xt, xv: (xt, None),
        outputs=(0,),
    ),
    *_mistake(
        "statistics_include_valid",
        "the mean and std are computed over the training and validation sets together. "
        "The validation set stands for data the network has not seen: nothing, not "
        "even its statistics, may go into training. " + _RULE,
        _with(lambda xt, xv: mean_std(np.concatenate([xt, xv]))),
    ),
    *_mistake(
        "per_feature_statistics",
        "this uses one mean and std per column (axis=0). Here, as in the chapter, the "
        "whole set shares one mean and one std: for MNIST, a pixel that is 0 in every "
        "training image has std 0, and dividing by it gives nan. " + _RULE,
        _with(lambda xt, xv: (xt.mean(0), xt.std(0))),
    ),
    *_mistake(
        "sample_std",
        "the std divides by n - 1 (ddof=1, the default of torch's tensor.std()); "
        "normalising uses the population std, which divides by n (np.std's default, "
        "ddof=0). " + _RULE,
        _with(lambda xt, xv: (xt.mean(), xt.std(ddof=1))),
    ),
    *_mistake(
        "not_divided_by_std",
        "the mean is subtracted but nothing is divided by the std, so the spread is "
        "unchanged. " + _RULE,
        _with(lambda xt, xv: (mean_std(xt)[0], 1.0)),
    ),
    *_mistake(
        "mean_not_subtracted",
        "this divides by the std but does not subtract the mean first. " + _RULE,
        _with(lambda xt, xv: (0.0, mean_std(xt)[1])),
    ),
    *_mistake(
        "divided_by_variance",
        "this divides by the variance, std**2, instead of the std. " + _RULE,
        _with(lambda xt, xv: (mean_std(xt)[0], mean_std(xt)[1] ** 2)),
    ),
    *_mistake(
        "mean_subtracted_after_dividing",
        "this is x / std - mean: subtract the mean first, then divide, (x - mean) / std. " + _RULE,
        lambda xt, xv: tuple(x / mean_std(xt)[1] - mean_std(xt)[0] for x in (xt, xv)),
    ),
]


@guarded
def check_normalize(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your normalisation of a training and a validation set with the training statistics.

    Both become ``(x - mean) / std``, with the training set's mean and population std over
    all its values; compared with ``pybackprop.nn.init.normalize`` on 10 cases whose
    validation sets are brighter and more spread out than their training sets.

    Parameters
    ----------
    fn : Callable
        Your ``normalize_sets(x_train, x_valid) -> (x_train_n, x_valid_n)``: shapes
        (n_train, width) and (n_valid, width); returns new arrays of the same shapes and dtype.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"valid_own_statistics"``,
        ``"statistics_include_valid"``, ``"per_feature_statistics"``, ``"sample_std"``,
        ``"not_divided_by_std"``, ``"mean_not_subtracted"``, ``"divided_by_variance"``,
        ``"mean_subtracted_after_dividing"``, ``"train_not_normalised"``,
        ``"valid_not_normalised"``, ``"modified_input_in_place"`` or a general one.

    See Also
    --------
    pybackprop.data.mean_std, pybackprop.nn.init.normalize

    Examples
    --------
    >>> from pybackprop.exercises import check_normalize
    >>> def normalize_sets(x_train, x_valid):
    ...     mean, std = x_train.mean(), x_train.std()
    ...     return (x_train - mean) / std, (x_valid - mean) / std
    >>> print(check_normalize(normalize_sets).passed)
    True
    """
    return run_check(
        "check_normalize",
        fn,
        _normalize_cases(seed),
        _normalize_reference,
        ("x_train_n", "x_valid_n"),
        _NORMALIZE_MISTAKES,
        in_place_fix=(
            "Compute new arrays, (x_train - mean) / std, rather than x_train -= mean or "
            "x_train /= std: the statistics of x_train must also come from the data as it was."
        ),
    )
