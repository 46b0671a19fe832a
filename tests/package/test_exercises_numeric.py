"""pybackprop.exercises.numeric: central differences of a function of one number and of a vector.

Right answers pass on any seed and agree with torch's exact gradients to the accuracy a central
difference has; each named mistake, written on purpose, fails with its diagnosis.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import CENTRAL_DIFF_ATOL, CENTRAL_DIFF_RTOL, seeds

from pybackprop.exercises import check_central_difference, check_numerical_gradient


def central(f, x, h):
    return 0.5 * (f(x + h) - f(x - h)) / h


def gradient(f, x, h):
    unit = np.eye(len(x))
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in unit])


def gradient_in_place(f, x, h):
    """Nudges a copy in place, the way many learners write it."""
    x, grad = x.copy(), np.zeros_like(x)
    for i in range(len(x)):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        grad[i] = (up - f(x)) / (2 * h)
        x[i] = old
    return grad


@settings(max_examples=5)
@given(seed=seeds())
def test_right_central_differences_pass(seed):
    assert check_central_difference(central, seed=seed).diagnosis is None
    assert check_numerical_gradient(gradient, seed=seed).diagnosis is None
    assert check_numerical_gradient(gradient_in_place, seed=seed).diagnosis is None


def test_the_cases_agree_with_torchs_exact_gradient():
    """The functions the check differentiates are smooth, and h small enough: the reference is
    close to the true gradient (so a learner is checked on a sensible estimate)."""
    seen = []

    def spy(f, x, h):
        seen.append((f, x.copy(), h))
        return gradient(f, x, h)

    assert check_numerical_gradient(spy)
    for f, x, h in seen:
        xt = torch.tensor(x, requires_grad=True)
        formula = str(f).replace("arange(n)", "torch.arange(len(x))")
        value = eval(
            formula,
            {
                "sum": torch.sum,
                "exp": torch.exp,
                "log": torch.log,
                "sin": torch.sin,
                "prod": torch.prod,
                "torch": torch,
                "x": xt,
            },
        )
        value.backward()
        np.testing.assert_allclose(
            gradient(f, x, h), xt.grad.numpy(), rtol=CENTRAL_DIFF_RTOL, atol=CENTRAL_DIFF_ATOL
        )


SCALAR_MISTAKES = [
    ("forward_difference", lambda f, x, h: (f(x + h) - f(x)) / h),
    ("backward_difference", lambda f, x, h: (f(x) - f(x - h)) / h),
    ("missing_factor_2", lambda f, x, h: (f(x + h) - f(x - h)) / h),
    ("operator_precedence", lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h),
    ("operator_precedence", lambda f, x, h: f(x + h) - f(x - h) / (2 * h)),
    ("wrong_sign", lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h)),
    ("all_zeros", lambda f, x, h: 0.0),
    ("exception", lambda f, x, h: f(x + h) - f(x - h) / 0),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", SCALAR_MISTAKES)
def test_each_central_difference_mistake_is_named(diagnosis, fn, seed):
    result = check_central_difference(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def forward_gradient(f, x, h):
    return np.array([(f(x + h * e) - f(x)) / h for e in np.eye(len(x))])


def all_at_once(f, x, h):
    return np.full(len(x), (f(x + h) - f(x - h)) / (2 * h))


def nudges_the_input(f, x, h):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        x[i] += h
        up = f(x)
        x[i] -= 2 * h
        grad[i] = (up - f(x)) / (2 * h)
    return grad


GRADIENT_MISTAKES = [
    ("forward_difference", forward_gradient),
    ("nudged_all_at_once", all_at_once),
    ("missing_factor_2", lambda f, x, h: 2 * gradient(f, x, h)),
    ("modified_input_in_place", nudges_the_input),
    ("returned_list", lambda f, x, h: list(gradient(f, x, h))),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", GRADIENT_MISTAKES)
def test_each_numerical_gradient_mistake_is_named(diagnosis, fn, seed):
    result = check_numerical_gradient(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_the_function_shows_by_its_formula_and_reports_repeat():
    result = check_central_difference(lambda f, x, h: 0.0, seed=7)
    assert dict(result.case.inputs)["f"] == "sin(x)" and "0x" not in str(result)
    assert str(result) == str(check_central_difference(lambda f, x, h: 0.0, seed=7))
    assert str(result) != str(check_central_difference(lambda f, x, h: 0.0, seed=8))
