"""pybackprop.exercises.normalize: both sets normalised with the training statistics.

The right answer is written with torch (mean and population std over all values) and passes on
any seed; each named mistake, written on purpose, fails with its diagnosis.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_normalize


def torch_normalize(x_train, x_valid):
    t = torch.from_numpy(x_train).double()
    mean, std = t.mean(), t.std(correction=0)
    dtype = torch.from_numpy(x_train).dtype
    return tuple(
        ((torch.from_numpy(x).double() - mean) / std).to(dtype).numpy() for x in (x_train, x_valid)
    )


@settings(max_examples=5)
@given(seed=seeds())
def test_the_right_answer_passes(seed):
    result = check_normalize(torch_normalize, seed=seed)
    assert result.passed and result.diagnosis is None, str(result)


def by(mean, std):
    """Both sets normalised with mean(x_train, x_valid) and std(x_train, x_valid)."""
    return lambda xt, xv: tuple((x - mean(xt, xv)) / std(xt, xv) for x in (xt, xv))


def train_mean(xt, xv):
    return xt.mean()


def train_std(xt, xv):
    return xt.std()


MISTAKES = [
    (
        "valid_own_statistics",
        lambda xt, xv: ((xt - xt.mean()) / xt.std(), (xv - xv.mean()) / xv.std()),
    ),
    ("valid_not_normalised", lambda xt, xv: ((xt - xt.mean()) / xt.std(), xv)),
    ("train_not_normalised", lambda xt, xv: (xt, (xv - xt.mean()) / xt.std())),
    (
        "statistics_include_valid",
        by(
            lambda xt, xv: np.concatenate([xt, xv]).mean(),
            lambda xt, xv: np.concatenate([xt, xv]).std(),
        ),
    ),
    ("per_feature_statistics", by(lambda xt, xv: xt.mean(0), lambda xt, xv: xt.std(0))),
    ("sample_std", by(train_mean, lambda xt, xv: xt.std(ddof=1))),
    ("not_divided_by_std", by(train_mean, lambda xt, xv: 1)),
    ("mean_not_subtracted", by(lambda xt, xv: 0, train_std)),
    ("divided_by_variance", by(train_mean, lambda xt, xv: xt.var())),
    (
        "mean_subtracted_after_dividing",
        lambda xt, xv: tuple(x / xt.std() - xt.mean() for x in (xt, xv)),
    ),
    ("wrong_tuple_length", lambda xt, xv: (xt - xt.mean()) / xt.std()),
]


@settings(max_examples=5, deadline=None)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", MISTAKES)
def test_each_mistake_is_named(diagnosis, fn, seed):
    result = check_normalize(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_normalising_in_place_is_named():
    def in_place(xt, xv):
        mean, std = xt.mean(), xt.std()
        xv -= mean
        xv /= std
        return (xt - mean) / std, xv

    assert check_normalize(in_place).diagnosis == "modified_input_in_place"


def test_an_exception_is_reported_with_the_learners_line():
    def broken(xt, xv):
        return xt - xt.mean(axis=2), xv

    result = check_normalize(broken)
    assert not result.passed and result.diagnosis == "exception", str(result)
    assert "AxisError" in result.message and "axis=2" in result.learner_line


def test_float32_promoted_to_float64_passes_with_a_note():
    def promotes(xt, xv):
        return torch_normalize(xt.astype(np.float64), xv.astype(np.float64))

    result = check_normalize(promotes)
    assert result.passed and result.diagnosis == "wrong_dtype", str(result)


def test_the_cases_and_report_are_the_same_for_the_same_seed():
    def wrong(xt, xv):
        return xt, xv

    assert str(check_normalize(wrong, seed=5)) == str(check_normalize(wrong, seed=5))
    seen = {5: [], 6: []}
    for seed, calls in seen.items():
        check_normalize(lambda xt, xv, calls=calls: calls.append(xt.tobytes()), seed=seed)
    assert seen[5] != seen[6]


def test_the_validation_sets_differ_from_the_training_sets_and_one_has_a_single_row():
    seen = []
    assert check_normalize(lambda xt, xv: seen.append((xt, xv)) or torch_normalize(xt, xv))
    assert {x.dtype for x, _ in seen} == {np.dtype(np.float32), np.dtype(np.float64)}
    assert any(len(xv) == 1 for _, xv in seen)
    # brighter and more spread out on average, as the module says
    assert np.mean([xv.mean() - xt.mean() for xt, xv in seen]) > 0.2
    assert np.mean([xv.std() / xt.std() for xt, xv in seen]) > 1.2
