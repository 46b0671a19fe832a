"""Checks for softmax, log-softmax, log-sum-exp and cross-entropy (chapter 9).

Each runs small logits first, then large ones: rows near 1e3 (where exp overflows unless the
row's maximum is subtracted) and rows spread over thousands (where subtracting one maximum
for the whole batch underflows the other rows). The first three then try 3-D and 1-D logits,
which an answer written for (batch, n) only fails. The references are ``pybackprop.nn.functional``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..nn import functional as F
from .isolate import guarded
from .result import CheckResult
from .runner import DTYPES, Case, Mistake, non_finite, run_check

__all__ = ["check_cross_entropy", "check_log_softmax", "check_logsumexp", "check_softmax"]


def _logit_cases(seed: int, *, labels: bool = False) -> list[Case]:
    """Small logits of several shapes, then large ones; ``labels``: integer targets too."""
    rng = np.random.default_rng(seed)
    # With labels, the first batches are at least as large as the number of classes, so that
    # indexing rows with the labels (a classic mix-up) gives a number to name, not an error.
    small = (
        ((8, 3), (1, 10), (5, 7), (6, 6), (3, 1), (4, 5))
        if not labels
        else ((8, 3), (6, 6), (1, 10), (5, 7), (3, 2))
    )
    large = (
        ((5, 8), "near 1e3", lambda z: 1000.0 + 3.0 * z),
        ((6, 4), "spread over +-3e3", lambda z: 1000.0 * z),
    )
    cases = []
    specs = [(shape, "", lambda z: 2.0 * z) for shape in small]
    specs += [(shape, what, make) for shape, what, make in large]
    for shape, what, make in specs:
        for dtype in DTYPES:
            x = make(rng.standard_normal(shape)).astype(dtype)
            args, names = (x,), ("x",)
            if labels:
                args, names = (x, rng.integers(0, shape[1], shape[0])), ("logits", "target")
            cases.append(
                Case(
                    f"shape {shape}, {np.dtype(dtype)}" + (f", logits {what}" if what else ""),
                    args,
                    names,
                    np.dtype(dtype),
                    large=what,
                )
            )
    return cases


def _other_shapes(seed: int) -> list[Case]:
    """3-D and 1-D logits (after the 2-D ones), small and spread over thousands."""
    rng = np.random.default_rng(seed + 1)
    specs = (((2, 3, 5), "", 2.0), ((2, 4, 6), "spread over +-3e3", 1000.0), ((7,), "", 2.0))
    return [
        Case(
            f"shape {shape}, {np.dtype(dtype)}" + (f", logits {what}" if what else ""),
            ((scale * rng.standard_normal(shape)).astype(dtype),),
            ("x",),
            np.dtype(dtype),
            large=what,
        )
        for shape, what, scale in specs
        for dtype in DTYPES
    ]


_TWO_D_ONLY = (
    "every (batch, n) case passed, but not this one: the answer works on 2-D logits only, "
    "as [:, None] and axis=1 assume two axes. Reduce over the last axis with axis=-1 and "
    "keepdims=True (or add the axis back with [..., None]): that works for any shape."
)


def _two_d_only(exc: BaseException, text: str) -> tuple[str, str]:
    return ("two_d_only", _TWO_D_ONLY[0].upper() + _TWO_D_ONLY[1:])


def _any_shape(
    check: str, fn: Callable, seed: int, reference: Callable, output: str, mistakes: list
) -> CheckResult:
    """The 2-D cases with this check's mistakes; if they pass, the 3-D and 1-D ones."""
    two_d = _logit_cases(seed)
    first = run_check(
        check, fn, two_d, reference, (output,), mistakes, explain_exception=_keepdims_exception
    )
    if not first.passed:
        return first
    # Every 2-D case passed, so any wrong answer now comes from assuming two axes.
    wrong = Mistake("two_d_only", _TWO_D_ONLY, detect=lambda *_: True)
    more = run_check(
        check, fn, _other_shapes(seed), reference, (output,), [wrong], explain_exception=_two_d_only
    )
    n = first.n_cases + more.n_cases
    if not more.passed or more.diagnosis or first.diagnosis:
        return replace(more if not more.passed or more.diagnosis else first, n_cases=n)
    return replace(more, n_cases=n, message=f"all {n} cases match the reference.")


def _overflowed(received, expected, case: Case) -> bool:
    return bool(case.large) and non_finite(received, expected, case)


def _no_max(fix: str) -> Mistake:
    """Overflow on large logits, which only subtracting each row's maximum avoids."""
    return Mistake(
        "no_max_subtracted",
        lambda case: (
            f"inf or nan for logits {case.large}, while the small logits were right: "
            f"exp(1000) overflows (exp is inf above about 709, 88 in float32). {fix}"
        ),
        detect=_overflowed,
    )


def _global_max(symptom: str, fn: Callable) -> Mistake:
    return Mistake(
        "global_max_subtracted",
        lambda case: (
            f"{symptom} for logits {case.large}: subtracting one maximum for the whole batch "
            "(x.max()) makes rows far below it underflow to exp(...) = 0. Use each row's "
            "maximum: x.max(axis=-1, keepdims=True)."
        ),
        produce=fn,
    )


def _lse_global(x: np.ndarray) -> np.ndarray:
    m = x.max()
    return m + np.log(np.exp(x - m).sum(-1))


def _keepdims_exception(exc: BaseException, text: str) -> tuple[str, str] | None:
    if "could not be broadcast" in text:
        return (
            "missing_keepdims",
            "A row sum (or max) of shape (batch,) does not line up with x of shape "
            "(batch, n): use .sum(axis=-1, keepdims=True) to keep it (batch, 1).",
        )
    return None


_LOG_OF_SOFTMAX = (
    "log(softmax(x)) takes the log of probabilities that underflowed to 0 (exp of a logit "
    "thousands below its row's maximum), even when the softmax subtracts the maximum. "
    "Compute the log-probabilities directly as x - logsumexp(x), with logsumexp(x) = "
    "m + log(sum(exp(x - m))) and m each row's maximum: no log of a tiny number is taken."
)
_KEEPDIMS = (
    "the row sums were not kept as a column (keepdims=True is missing), so numpy "
    "lined them up with the columns instead of the rows."
)
_AXIS = "the sum runs over the batch (axis 0) instead of over each row's classes (axis=-1)."


# ---- softmax ----------------------------------------------------------------------------------


# A formula without the max trick gives nan on large logits, as some other mistakes' formulas
# do too: recognising the overflow comes before them.
_SOFTMAX_MISTAKES = [
    Mistake(
        "wrong_axis",
        f"this is softmax over axis 0: {_AXIS}",
        produce=lambda x: F.softmax(x, dim=0),
    ),
    _global_max(
        "nan",
        lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(-1, keepdims=True),
    ),
    _no_max(
        "Subtract each row's maximum m = x.max(axis=-1, keepdims=True) before the exp: "
        "exp(x - m) / sum(exp(x - m)) is the same softmax (the factor exp(-m) cancels "
        "between top and bottom), and its largest exp is exp(0) = 1."
    ),
    Mistake(
        "wrong_axis",
        "this divides by the sum over the whole batch; softmax divides each row by its "
        "own sum: .sum(axis=-1, keepdims=True).",
        produce=lambda x: np.exp(x) / np.exp(x).sum(),
    ),
    Mistake("missing_keepdims", _KEEPDIMS, produce=lambda x: np.exp(x) / np.exp(x).sum(-1)),
]


@guarded
def check_softmax(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your softmax over the last axis: (..., n) logits -> (..., n) probabilities.

    Row by row ``exp(x - m) / sum(exp(x - m))``, m the row's maximum, in x's dtype; compared
    with ``pybackprop.nn.functional.softmax`` on 22 cases: 2-D, then 3-D and 1-D, large logits too.

    Parameters
    ----------
    fn : Callable
        Your ``softmax(x) -> probs``: np.ndarray of shape (..., n) to (..., n).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"no_max_subtracted"``,
        ``"global_max_subtracted"``, ``"missing_keepdims"``, ``"wrong_axis"``, ``"two_d_only"`` or
        a general one.

    See Also
    --------
    pybackprop.nn.functional.softmax

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_softmax
    >>> def softmax(x):
    ...     e = np.exp(x - x.max(axis=-1, keepdims=True))
    ...     return e / e.sum(axis=-1, keepdims=True)
    >>> print(check_softmax(softmax).passed)
    True
    """
    return _any_shape("check_softmax", fn, seed, F.softmax, "softmax(x)", _SOFTMAX_MISTAKES)


# ---- log-softmax ------------------------------------------------------------------------------


_LOG_SOFTMAX_MISTAKES = [
    Mistake(
        "wrong_axis",
        f"this is log_softmax over axis 0: {_AXIS}",
        produce=lambda x: F.log_softmax(x, dim=0),
    ),
    Mistake(
        "log_of_softmax",
        lambda case: f"-inf for logits {case.large}: {_LOG_OF_SOFTMAX}",
        produce=lambda x: np.log(F.softmax(x)),
    ),
    Mistake(
        "returned_softmax",
        "this is softmax(x), the probabilities; log_softmax is their log, x - logsumexp(x).",
        produce=F.softmax,
    ),
    Mistake("missing_keepdims", _KEEPDIMS, produce=lambda x: x - F.logsumexp(x)),
    _global_max("-inf", lambda x: x - _lse_global(x)[:, None]),
    _no_max(
        "Compute x - logsumexp(x), with logsumexp(x) = m + log(sum(exp(x - m))) and m each "
        "row's maximum."
    ),
]


@guarded
def check_log_softmax(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your log-softmax over the last axis: (..., n) logits -> (..., n) log-probabilities.

    Row by row ``x - logsumexp(x)``, in x's dtype, finite for any finite logits (``log(softmax(x))``
    is not); compared with ``pybackprop.nn.functional.log_softmax`` on the 22 cases of
    ``check_softmax``.

    Parameters
    ----------
    fn : Callable
        Your ``log_softmax(x) -> log_probs``: np.ndarray of shape (..., n) to (..., n).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"no_max_subtracted"``,
        ``"global_max_subtracted"``, ``"missing_keepdims"``, ``"wrong_axis"``,
        ``"log_of_softmax"``, ``"returned_softmax"``, ``"two_d_only"`` or a general one.

    See Also
    --------
    pybackprop.nn.functional.log_softmax

    Examples
    --------
    >>> import pybackprop.nn.functional as F
    >>> from pybackprop.exercises import check_log_softmax
    >>> print(check_log_softmax(lambda x: x - F.logsumexp(x, keepdim=True)).passed)
    True
    """
    return _any_shape(
        "check_log_softmax", fn, seed, F.log_softmax, "log_softmax(x)", _LOG_SOFTMAX_MISTAKES
    )


# ---- log-sum-exp ------------------------------------------------------------------------------


_LOGSUMEXP_MISTAKES = [
    Mistake(
        "wrong_axis",
        f"this is logsumexp over axis 0: {_AXIS}",
        produce=lambda x: F.logsumexp(x, dim=0),
    ),
    Mistake(
        "max_not_added_back",
        "this is log(sum(exp(x - m))) without the + m: subtracting the maximum m inside "
        "the exp must be undone outside, logsumexp(x) = m + log(sum(exp(x - m))).",
        produce=lambda x: F.logsumexp(x) - x.max(-1),
    ),
    _global_max("-inf", _lse_global),
    _no_max(
        "Subtract each row's maximum m inside the exp and add it back outside: "
        "logsumexp(x) = m + log(sum(exp(x - m)))."
    ),
]


@guarded
def check_logsumexp(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your log-sum-exp over the last axis: (..., n) -> (...).

    Row by row ``m + log(sum(exp(x - m)))``, m the row's maximum, in x's dtype; compared with
    ``pybackprop.nn.functional.logsumexp`` on the 22 cases of ``check_softmax``.

    Parameters
    ----------
    fn : Callable
        Your ``logsumexp(x) -> out``: np.ndarray of shape (..., n) to (...).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"no_max_subtracted"``,
        ``"global_max_subtracted"``, ``"max_not_added_back"``, ``"missing_keepdims"``,
        ``"wrong_axis"``, ``"two_d_only"`` or a general one.

    See Also
    --------
    pybackprop.nn.functional.logsumexp

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_logsumexp
    >>> def logsumexp(x):
    ...     m = x.max(axis=-1, keepdims=True)
    ...     return (m + np.log(np.exp(x - m).sum(axis=-1, keepdims=True)))[..., 0]
    >>> print(check_logsumexp(logsumexp).passed)
    True
    """
    return _any_shape("check_logsumexp", fn, seed, F.logsumexp, "logsumexp(x)", _LOGSUMEXP_MISTAKES)


# ---- cross-entropy ----------------------------------------------------------------------------


def _picked(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each row's log-probability of its label, ``log_probs[arange(n), target]``: (n,)."""
    return F.log_softmax(x)[np.arange(len(t)), t]


_INDEX = (
    "Pick each row's log-probability of its own label with "
    "log_probs[np.arange(n), target]: row i, column target[i]."
)
_CROSS_ENTROPY_MISTAKES = [
    Mistake(
        "index_mixup",
        f"this is -log_probs[target].mean(), which picks whole rows. {_INDEX}",
        produce=lambda x, t: -F.log_softmax(x)[t].mean(),
    ),
    Mistake(
        "index_mixup",
        f"this is -log_probs[:, target].mean(), an (n, n) block of entries. {_INDEX}",
        produce=lambda x, t: -F.log_softmax(x)[:, t].mean(),
    ),
    Mistake(
        "sum_instead_of_mean",
        "this is the sum over the batch; the loss is the mean, so that its size does not "
        "grow with the batch (as PyTorch's default reduction='mean').",
        produce=lambda x, t: -_picked(x, t).sum(),
    ),
    Mistake(
        "mean_over_all_entries",
        "this is -(log_probs * one_hot).mean(), which divides by n * n_classes. Only n "
        "entries are non-zero: sum the product and divide by n, or index with "
        "log_probs[np.arange(n), target].",
        produce=lambda x, t: -(F.log_softmax(x) * F.one_hot(t, x.shape[1], x.dtype)).mean(),
    ),
    Mistake(
        "not_averaged",
        "this is one loss per example, shape (n,); return their mean, a single number.",
        produce=lambda x, t: -_picked(x, t),
    ),
    Mistake(
        "missing_log_softmax",
        "this uses the raw logits as log-probabilities; apply log_softmax first.",
        produce=lambda x, t: -x[np.arange(len(t)), t].mean(),
    ),
    Mistake(
        "wrong_sign",
        "the sign is flipped: the loss is the *negative* mean log-probability.",
        produce=lambda x, t: _picked(x, t).mean(),
    ),
    Mistake(
        "log_of_softmax",
        lambda case: f"inf for logits {case.large}: {_LOG_OF_SOFTMAX}",
        produce=lambda x, t: -np.log(F.softmax(x))[np.arange(len(t)), t].mean(),
    ),
    _global_max(
        "-inf",
        lambda x, t: -(x - _lse_global(x)[:, None])[np.arange(len(t)), t].mean(),
    ),
    _no_max(
        "Take the log-probabilities as x - logsumexp(x), with logsumexp(x) = "
        "m + log(sum(exp(x - m))) and m each row's maximum."
    ),
]


def _index_exception(exc: BaseException, text: str) -> tuple[str, str] | None:
    if isinstance(exc, IndexError):
        return ("index_mixup", f"The labels select columns, not rows: {_INDEX}")
    return None


@guarded
def check_cross_entropy(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your cross-entropy: (n, n_classes) logits and (n,) labels -> the mean loss.

    ``mean_i(-log_softmax(logits)[i, target[i]])``, finite for any finite logits; compared with
    ``pybackprop.nn.functional.cross_entropy`` on 14 cases, large logits among them.

    Parameters
    ----------
    fn : Callable
        Your ``cross_entropy(logits, target) -> loss``: np.ndarray of shapes (n, n_classes) and
        (n,), integer labels in ``[0, n_classes)``; returns a float.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"index_mixup"``,
        ``"sum_instead_of_mean"``, ``"mean_over_all_entries"``, ``"not_averaged"``,
        ``"missing_log_softmax"``, ``"wrong_sign"``, ``"log_of_softmax"``,
        ``"global_max_subtracted"``, ``"no_max_subtracted"`` or a general one.

    See Also
    --------
    pybackprop.nn.functional.cross_entropy

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> from pybackprop.exercises import check_cross_entropy
    >>> def cross_entropy(logits, target):
    ...     return -F.log_softmax(logits)[np.arange(len(target)), target].mean()
    >>> print(check_cross_entropy(cross_entropy).passed)
    True
    """
    return run_check(
        "check_cross_entropy",
        fn,
        _logit_cases(seed, labels=True),
        F.cross_entropy,
        ("loss",),
        _CROSS_ENTROPY_MISTAKES,
        scalar=True,
        explain_exception=_index_exception,
    )
