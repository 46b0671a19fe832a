"""pybackprop.exercises.softmax: each named mistake in softmax, log-softmax, log-sum-exp and
cross-entropy is recognised, and large logits are part of every check."""

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import seeds

import pybackprop.nn.functional as F
from pybackprop.exercises import (
    check_cross_entropy,
    check_log_softmax,
    check_logsumexp,
    check_softmax,
)


def naive_softmax(x):
    e = np.exp(x)
    return e / e.sum(-1, keepdims=True)


def naive_lse(x):
    return np.log(np.exp(x).sum(-1))


def global_max_lse(x):
    m = x.max()
    return m + np.log(np.exp(x - m).sum(-1))


def log_probs(x):
    return x - F.logsumexp(x, keepdim=True)


def picked(x, y):
    return log_probs(x)[np.arange(len(y)), y]


MISTAKES = [
    (check_softmax, "no_max_subtracted", naive_softmax),
    (check_softmax, "wrong_axis", lambda x: F.softmax(x, dim=0)),
    (check_softmax, "wrong_axis", lambda x: np.exp(x) / np.exp(x).sum()),
    (check_softmax, "missing_keepdims", lambda x: np.exp(x) / np.exp(x).sum(-1)),
    (check_softmax, "global_max_subtracted", lambda x: naive_softmax(x - x.max())),
    (check_log_softmax, "no_max_subtracted", lambda x: x - naive_lse(x)[:, None]),
    (check_log_softmax, "log_of_softmax", lambda x: np.log(F.softmax(x))),
    (check_log_softmax, "wrong_axis", lambda x: F.log_softmax(x, dim=0)),
    (check_log_softmax, "missing_keepdims", lambda x: x - F.logsumexp(x)),
    (check_log_softmax, "returned_softmax", F.softmax),
    (check_log_softmax, "global_max_subtracted", lambda x: x - global_max_lse(x)[:, None]),
    (check_logsumexp, "no_max_subtracted", naive_lse),
    (check_logsumexp, "wrong_axis", lambda x: F.logsumexp(x, dim=0)),
    (
        check_logsumexp,
        "max_not_added_back",
        lambda x: np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1)),
    ),
    (check_logsumexp, "global_max_subtracted", global_max_lse),
    (check_cross_entropy, "index_mixup", lambda x, y: -log_probs(x)[y].mean()),
    (check_cross_entropy, "index_mixup", lambda x, y: -log_probs(x)[:, y].mean()),
    (check_cross_entropy, "index_mixup", lambda x, y: -log_probs(x)[y, np.arange(len(y))].mean()),
    (check_cross_entropy, "sum_instead_of_mean", lambda x, y: -picked(x, y).sum()),
    (
        check_cross_entropy,
        "mean_over_all_entries",
        lambda x, y: -(log_probs(x) * F.one_hot(y, x.shape[1])).mean(),
    ),
    (check_cross_entropy, "not_averaged", lambda x, y: -picked(x, y)),
    (check_cross_entropy, "missing_log_softmax", lambda x, y: -x[np.arange(len(y)), y].mean()),
    (check_cross_entropy, "wrong_sign", lambda x, y: picked(x, y).mean()),
    (
        check_cross_entropy,
        "log_of_softmax",
        lambda x, y: -np.log(F.softmax(x))[np.arange(len(y)), y].mean(),
    ),
    (
        check_cross_entropy,
        "no_max_subtracted",
        lambda x, y: -(x - naive_lse(x)[:, None])[np.arange(len(y)), y].mean(),
    ),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("check, diagnosis, fn", MISTAKES)
def test_each_mistake_is_named(check, diagnosis, fn, seed):
    result = check(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


@pytest.mark.parametrize("check", [check_softmax, check_log_softmax, check_logsumexp])
def test_an_overflow_is_named_on_logits_near_1e3_after_small_logits_passed(check):
    result = check(
        {
            check_softmax: naive_softmax,
            check_logsumexp: naive_lse,
            check_log_softmax: lambda x: x - naive_lse(x)[:, None],
        }[check]
    )
    assert result.diagnosis == "no_max_subtracted"
    assert "near 1e3" in result.case.description and "exp(1000) overflows" in result.message


def test_every_check_runs_large_logits_batch_1_and_both_dtypes():
    for check, good in (
        (check_softmax, F.softmax),
        (check_log_softmax, F.log_softmax),
        (check_logsumexp, F.logsumexp),
        (check_cross_entropy, F.cross_entropy),
    ):
        seen = []

        def spy(x, *target, good=good, seen=seen):
            seen.append((x.shape, x.dtype, float(np.abs(x).max())))
            return good(x, *target)

        assert check(spy)
        assert any(shape[0] == 1 for shape, _, _ in seen)
        assert {dtype for _, dtype, _ in seen} == {np.dtype("f4"), np.dtype("f8")}
        assert max(biggest for _, _, biggest in seen) > 900


def test_cross_entropy_accepts_any_kind_of_number():
    for convert in (float, np.float32, np.asarray):
        assert check_cross_entropy(lambda x, y, c=convert: c(F.cross_entropy(x, y)))


def two_d_lse(x):
    """The review's answer: right for (batch, n) only, because of [:, None]."""
    m = x.max(-1)
    return m + np.log(np.exp(x - m[:, None]).sum(-1))


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (check_logsumexp, two_d_lse),
        (check_log_softmax, lambda x: x - two_d_lse(x)[:, None]),
        (check_softmax, lambda x: np.exp(x - two_d_lse(x)[:, None])),
    ],
)
def test_an_answer_for_two_axes_only_fails_on_3d_logits(check, answer):
    result = check(answer)
    assert result.diagnosis == "two_d_only", str(result)
    assert result.case.description.startswith("shape (2, 3, 5)")
    assert "keepdims=True" in result.message and "axis=-1" in result.message
    assert result.n_cases == 17


@pytest.mark.parametrize(
    ("check", "good"),
    [
        (check_softmax, F.softmax),
        (check_log_softmax, F.log_softmax),
        (check_logsumexp, F.logsumexp),
    ],
)
def test_the_any_shape_checks_run_3d_and_1d_logits(check, good):
    seen = []
    result = check(lambda x: seen.append(x.ndim) or good(x))
    assert result.passed and result.n_cases == 22 and "all 22 cases" in result.message
    assert set(seen) == {1, 2, 3}
    # a right answer in float64 only: the note is kept over the two runs of cases
    note = check(lambda x: good(x.astype(np.float64)))
    assert note.passed and note.diagnosis == "wrong_dtype" and note.n_cases == 22
