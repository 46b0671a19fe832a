"""pybackprop.exercises.evaluation: accuracy per class, and comparing two models over seeds.

The right answers are written with torch (per-class accuracy from a confusion matrix, the
standard error from torch.std with Bessel's correction) and pass on any seed; each named
mistake, written on purpose, fails with its diagnosis.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_compare_runs, check_evaluate, check_per_class_accuracy


def torch_per_class(logits, target):
    c = logits.shape[1]
    predicted = torch.from_numpy(logits).argmax(-1)
    confusion = torch.zeros(c, c, dtype=torch.float64)
    confusion.index_put_(
        (torch.from_numpy(target), predicted),
        torch.ones(len(target), dtype=torch.float64),
        accumulate=True,
    )
    return (confusion.diagonal() / confusion.sum(1)).numpy()


def torch_compare(a, b):
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    se2 = ta.var(correction=1) / len(a) + tb.var(correction=1) / len(b)
    return (ta.mean() - tb.mean()).item(), se2.sqrt().item()


def torch_evaluate(model, loader):
    """All the loader's examples at once, through torch's cross-entropy."""
    xs, ys = zip(*loader, strict=True)
    logits = torch.from_numpy(model(np.concatenate(xs))).double()
    target = torch.from_numpy(np.concatenate(ys))
    loss = torch.nn.functional.cross_entropy(logits, target)
    return loss.item(), (logits.argmax(1) == target).double().mean().item()


@settings(max_examples=5)
@given(seed=seeds())
def test_right_answers_pass(seed):
    assert check_per_class_accuracy(torch_per_class, seed=seed).diagnosis is None
    assert check_compare_runs(torch_compare, seed=seed).diagnosis is None
    assert check_evaluate(torch_evaluate, seed=seed).diagnosis is None


def right(x, t):
    return x.argmax(-1) == t


PER_CLASS_MISTAKES = [
    (
        "divided_by_all_rows",
        lambda x, t: np.array([right(x, t)[t == k].sum() for k in range(x.shape[1])]) / len(t),
    ),
    (
        "count_not_fraction",
        lambda x, t: np.array([right(x, t)[t == k].sum() for k in range(x.shape[1])]),
    ),
    (
        "per_predicted_class",
        lambda x, t: np.array([right(x, t)[x.argmax(-1) == k].mean() for k in range(x.shape[1])]),
    ),
    ("overall_accuracy", lambda x, t: np.full(x.shape[1], right(x, t).mean())),
    (
        "returned_error_rate",
        lambda x, t: np.array([1 - right(x, t)[t == k].mean() for k in range(x.shape[1])]),
    ),
    (
        "argmax_wrong_axis",
        lambda x, t: np.array([(x.argmax(0) == t)[t == k].mean() for k in range(x.shape[1])]),
    ),
    ("returned_list", lambda x, t: [right(x, t)[t == k].mean() for k in range(x.shape[1])]),
    ("wrong_type", lambda x, t: right(x, t).mean()),
    ("all_zeros", lambda x, t: np.zeros(x.shape[1])),
]


@settings(max_examples=5, deadline=None)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", PER_CLASS_MISTAKES)
def test_each_per_class_mistake_is_named(diagnosis, fn, seed):
    result = check_per_class_accuracy(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def se(runs, ddof=1):
    return np.std(runs, ddof=ddof) / np.sqrt(len(runs))


def diff(a, b):
    return a.mean() - b.mean()


COMPARE_MISTAKES = [
    ("wrong_sign", lambda a, b: (b.mean() - a.mean(), np.hypot(se(a), se(b)))),
    ("absolute_difference", lambda a, b: (abs(diff(a, b)), np.hypot(se(a), se(b)))),
    ("population_std", lambda a, b: (diff(a, b), np.hypot(se(a, 0), se(b, 0)))),
    ("std_not_standard_error", lambda a, b: (diff(a, b), np.sqrt(a.var(ddof=1) + b.var(ddof=1)))),
    ("standard_errors_added", lambda a, b: (diff(a, b), se(a) + se(b))),
    ("missing_sqrt", lambda a, b: (diff(a, b), se(a) ** 2 + se(b) ** 2)),
    ("paired_difference", lambda a, b: (diff(a, b), se(a - b))),
    ("wrong_tuple_length", lambda a, b: diff(a, b)),
    ("all_zeros", lambda a, b: (diff(a, b), 0.0)),
]


@settings(max_examples=5, deadline=None)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", COMPARE_MISTAKES)
def test_each_compare_mistake_is_named(diagnosis, fn, seed):
    result = check_compare_runs(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


@pytest.mark.parametrize("check", [check_per_class_accuracy, check_compare_runs])
def test_an_exception_is_reported_with_the_learners_line(check):
    def broken(a, b):
        return a[10_000]

    result = check(broken)
    assert not result.passed and result.diagnosis == "exception", str(result)
    assert "IndexError" in result.message and "a[10_000]" in result.learner_line


@pytest.mark.parametrize("check", [check_per_class_accuracy, check_compare_runs])
def test_the_cases_and_report_are_the_same_for_the_same_seed(check):
    def wrong(a, b):
        return np.zeros(3), 0.5

    assert str(check(wrong, seed=5)) == str(check(wrong, seed=5))
    seen = {5: [], 6: []}
    for seed, calls in seen.items():
        check(lambda a, b, calls=calls: calls.append((a.tobytes(), b.tobytes())), seed=seed)
    assert seen[5] != seen[6]


def test_sorting_the_labels_in_place_is_named():
    def sorts(x, t):
        t.sort()
        return torch_per_class(x, t)

    assert check_per_class_accuracy(sorts).diagnosis == "modified_input_in_place"


def test_per_class_cases_have_every_class_labelled_twice_predicted_and_some_wrong():
    seen = []
    assert check_per_class_accuracy(lambda x, t: seen.append((x, t)) or torch_per_class(x, t))
    assert len(seen) == 10
    for x, t in seen:
        c = x.shape[1]
        assert np.bincount(t, minlength=c).min() >= 2
        assert np.bincount(x.argmax(-1), minlength=c).min() >= 1
        assert 0 < right(x, t).mean() < 1


def test_compare_cases_have_both_signs_and_unequal_numbers_of_runs():
    seen = []
    assert check_compare_runs(lambda a, b: seen.append((a, b)) or torch_compare(a, b))
    assert len(seen) == 5
    assert min(min(len(a), len(b)) for a, b in seen) >= 2
    assert any(len(a) != len(b) for a, b in seen)
    (a1, b1), (a2, b2) = seen[:2]
    assert a1.mean() > b1.mean() and a2.mean() < b2.mean()
