"""pybackprop.exercises.descent: a gradient-descent step on a constant, and accuracy from scores.

The right answers come from torch (autograd for the step, a comparison of signs for accuracy)
and pass on any seed; each named mistake, written on purpose, fails with its diagnosis.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_descent_step, check_sign_accuracy


def torch_step(c, lr, targets):
    ct = torch.tensor(c, dtype=torch.float64, requires_grad=True)
    torch.nn.functional.mse_loss(ct.expand(len(targets)), torch.from_numpy(targets)).backward()
    with torch.no_grad():
        return (ct - lr * ct.grad).item()


def torch_accuracy(scores, labels):
    pred = (torch.from_numpy(scores) > 0).long()
    return (pred == torch.from_numpy(labels)).double().mean().item()


@settings(max_examples=5)
@given(seed=seeds())
def test_right_answers_pass(seed):
    assert check_descent_step(torch_step, seed=seed).diagnosis is None
    assert check_sign_accuracy(torch_accuracy, seed=seed).diagnosis is None


def grad(c, t):
    return 2 * np.mean(c - t)


STEP_MISTAKES = [
    ("gradient_ascent", lambda c, lr, t: c + lr * grad(c, t)),
    ("gradient_ascent", lambda c, lr, t: c - lr * 2 * np.mean(t - c)),
    ("missing_factor_2", lambda c, lr, t: c - lr * np.mean(c - t)),
    ("sum_not_mean", lambda c, lr, t: c - lr * 2 * np.sum(c - t)),
    ("returned_gradient", lambda c, lr, t: grad(c, t)),
    ("returned_update", lambda c, lr, t: lr * grad(c, t)),
    ("returned_none", lambda c, lr, t: None),
    ("exception", lambda c, lr, t: c - lr * grad(c, t[99])),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", STEP_MISTAKES)
def test_each_step_mistake_is_named(diagnosis, fn, seed):
    result = check_descent_step(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def acc(s, y):
    return np.mean((s > 0) == (y == 1))


ACCURACY_MISTAKES = [
    ("sign_against_0_1_labels", lambda s, y: np.mean(np.sign(s) == y)),
    ("count_not_fraction", lambda s, y: np.sum((s > 0) == (y == 1))),
    ("percent_not_fraction", lambda s, y: 100 * acc(s, y)),
    ("returned_error_rate", lambda s, y: np.mean((s > 0) == (y == 0))),
    ("wrong_type", lambda s, y: f"{acc(s, y):.1%}"),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", ACCURACY_MISTAKES)
def test_each_accuracy_mistake_is_named(diagnosis, fn, seed):
    result = check_sign_accuracy(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_targets_are_not_to_be_modified():
    def shifts_targets(c, lr, t):
        t -= c
        return c + lr * 2 * np.mean(t)

    assert check_descent_step(shifts_targets).diagnosis == "modified_input_in_place"


@pytest.mark.parametrize("check", [check_descent_step, check_sign_accuracy])
def test_the_cases_and_report_are_the_same_for_the_same_seed(check):
    def wrong(*args):
        return 0.25

    assert str(check(wrong, seed=5)) == str(check(wrong, seed=5))
    seen = {5: [], 6: []}
    for seed, calls in seen.items():
        check(lambda *args, calls=calls: calls.append(repr(args)), seed=seed)
    assert seen[5] != seen[6]


def test_the_starter_and_the_classes_swapped_are_told_apart():
    starter = check_sign_accuracy(lambda s, y: 0.0)
    assert starter.diagnosis == "all_zeros", str(starter)
    spied = []

    def spy(s, y):
        spied.append(acc(s, y))
        return acc(s, y)

    assert check_sign_accuracy(spy)
    assert all(0 < a < 1 and a != 0.5 for a in spied[:3])
