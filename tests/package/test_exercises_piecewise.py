"""pybackprop.exercises.piecewise: the ReLU feature matrix and the ReLU interpolant of chapter 1.

Right answers (written independently here, and checked against the data they describe) pass on
any seed; each named mistake, written on purpose, fails with its diagnosis.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import F32_ATOL, F32_RTOL, seeds

from pybackprop.exercises import check_relu_features, check_relu_interpolation


def features(x, knots):
    cols = [np.ones_like(x), x] + [np.where(x > c, x - c, 0).astype(x.dtype) for c in knots]
    return np.stack(cols, axis=1)


def relu_only(x, knots):
    return np.delete(features(x, knots), 1, axis=1)


def interpolate(xs, ys):
    params = np.zeros(len(xs), dtype=xs.dtype)
    slope_before = 0.0
    for j in range(len(xs) - 1):
        slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
        if j == 0:
            params[1] = slope
        else:
            params[j + 1] = slope - slope_before
        slope_before = slope
    params[0] = ys[0] - params[1] * xs[0]
    return params


@settings(max_examples=5)
@given(seed=seeds())
def test_right_feature_matrices_pass(seed):
    assert check_relu_features(features, seed=seed).diagnosis is None
    assert check_relu_features(relu_only, line=False, seed=seed).diagnosis is None


@settings(max_examples=5)
@given(seed=seeds())
def test_the_interpolant_passes_and_goes_through_the_points(seed):
    seen = []

    def spy(xs, ys):
        seen.append((xs, ys))
        return interpolate(xs, ys)

    assert check_relu_interpolation(spy, seed=seed).diagnosis is None
    for xs, ys in seen:
        at_points = features(xs.astype(np.float64), xs[1:-1].astype(np.float64))
        np.testing.assert_allclose(
            at_points @ interpolate(xs.astype(np.float64), ys.astype(np.float64)),
            ys,
            rtol=F32_RTOL,
            atol=F32_ATOL,
        )


def relu(z):
    return np.maximum(z, 0)


FEATURE_MISTAKES = [
    ("knot_sign", lambda x, c: np.column_stack([np.ones_like(x), x, relu(x[:, None] + c)])),
    ("relu_reversed", lambda x, c: np.column_stack([np.ones_like(x), x, relu(c - x[:, None])])),
    ("missing_relu", lambda x, c: np.column_stack([np.ones_like(x), x, x[:, None] - c])),
    ("missing_intercept", lambda x, c: np.column_stack([x, relu(x[:, None] - c)])),
    ("missing_line_column", relu_only),
    ("transposed", lambda x, c: features(x, c).T),
    ("knots_not_broadcast", lambda x, c: np.column_stack([np.ones_like(x), x, relu(x - c)])),
    ("returned_list", lambda x, c: features(x, c).tolist()),
    ("exception", lambda x, c: features(x, c)[:, 99]),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", FEATURE_MISTAKES)
def test_each_feature_mistake_is_named(diagnosis, fn, seed):
    result = check_relu_features(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_the_line_is_an_extra_column_when_it_should_be_left_out():
    result = check_relu_features(features, line=False)
    assert result.diagnosis == "extra_line_column" and "leaves the line out" in result.message


def test_a_broadcasting_error_is_named_with_its_fix():
    result = check_relu_features(lambda x, c: np.column_stack([np.ones_like(x), x, x - c]))
    assert result.diagnosis == "knots_not_broadcast" and "x[:, None]" in result.message
    assert "lambda" in result.learner_line


def with_slopes(fn):
    """An interpolant whose ReLU weights are fn(slopes) instead of their differences."""

    def learner(xs, ys):
        params = interpolate(xs, ys)
        slopes = np.diff(ys) / np.diff(xs)
        params[2:] = fn(slopes)
        return params

    return learner


INTERPOLATION_MISTAKES = [
    ("slopes_not_changes", with_slopes(lambda s: s[1:])),
    ("changes_reversed", with_slopes(lambda s: s[:-1] - s[1:])),
    ("rise_not_slope", lambda xs, ys: _rise(xs, ys)),
    ("intercept_at_first_point", lambda xs, ys: np.concatenate([ys[:1], interpolate(xs, ys)[1:]])),
    ("wrong_knots", lambda xs, ys: np.concatenate([interpolate(xs, ys), [0.0]])),
    ("returned_none", lambda xs, ys: None),
]


def _rise(xs, ys):
    rise = np.diff(ys)
    return np.concatenate([[ys[0] - rise[0] * xs[0], rise[0]], np.diff(rise)]).astype(xs.dtype)


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", INTERPOLATION_MISTAKES)
def test_each_interpolation_mistake_is_named(diagnosis, fn, seed):
    result = check_relu_interpolation(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


@pytest.mark.parametrize("check", [check_relu_features, check_relu_interpolation])
def test_the_report_is_the_same_for_the_same_seed(check):
    def wrong(*args):
        return np.zeros((2, 2))

    assert str(check(wrong, seed=3)) == str(check(wrong, seed=3))
    assert check(wrong, seed=3).case.expected != check(wrong, seed=4).case.expected
