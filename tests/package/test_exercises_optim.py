"""pybackprop.exercises.optim: SGD-with-momentum and Adam steps; torch's conventions pass, each
named mistake is recognised."""

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_adam_step, check_sgd_step


def sgd(p, g, v, lr, m):
    v = m * v + g
    return p - lr * v, v


def adam(p, g, m, v, t, lr, betas, eps, *, correct=True, t_used=None):
    b1, b2 = betas
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g**2
    t = t if t_used is None else t_used
    m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if correct else (m, v)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_returning_corrected(p, g, m, v, t, lr, betas, eps):
    new_p, m, v = adam(p, g, m, v, t, lr, betas, eps)
    return new_p, m / (1 - betas[0] ** t), v


def adam_no_square(p, g, m, v, t, lr, betas, eps):
    b1, b2 = betas
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g
    return p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


def adam_abs_grad(p, g, m, v, t, lr, betas, eps):
    b1, b2 = betas
    m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * np.abs(g)
    return p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps), m, v


MISTAKES = [
    (check_sgd_step, "dampened_momentum", lambda p, g, v, lr, m: sgd(p, (1 - m) * g, v, lr, m)),
    (
        check_sgd_step,
        "lr_inside_velocity",
        lambda p, g, v, lr, m: (p + (m * v - lr * g), m * v - lr * g),
    ),
    (  # the common spelling: the step is kept in v, p - v
        check_sgd_step,
        "lr_inside_velocity",
        lambda p, g, v, lr, m: (p - (m * v + lr * g), m * v + lr * g),
    ),
    (
        check_sgd_step,
        "wrong_sign",
        lambda p, g, v, lr, m: (2 * p - sgd(p, g, v, lr, m)[0], m * v + g),
    ),
    (check_sgd_step, "momentum_ignored", lambda p, g, v, lr, m: (p - lr * g, m * v + g)),
    (check_sgd_step, "velocity_updated_after_step", lambda p, g, v, lr, m: (p - lr * v, m * v + g)),
    (check_sgd_step, "velocity_not_updated", lambda p, g, v, lr, m: (sgd(p, g, v, lr, m)[0], v)),
    (check_sgd_step, "not_updated", lambda p, g, v, lr, m: (p.copy(), v.copy())),
    (check_adam_step, "missing_bias_correction", lambda *a: adam(*a, correct=False)),
    (check_adam_step, "bias_correction_off_by_one", lambda *a: adam(*a, t_used=a[4] + 1)),
    (check_adam_step, "bias_correction_off_by_one", lambda *a: adam(*a, t_used=a[4] - 1)),
    (
        check_adam_step,
        "betas_swapped",
        lambda p, g, m, v, t, lr, betas, eps: adam(p, g, m, v, t, lr, betas[::-1], eps),
    ),
    (check_adam_step, "returned_corrected_moments", adam_returning_corrected),
    (check_adam_step, "grad_not_squared", adam_no_square),
    (check_adam_step, "grad_not_squared", adam_abs_grad),
    (
        check_adam_step,
        "wrong_sign",
        lambda p, *rest: (2 * p - adam(p, *rest)[0], *adam(p, *rest)[1:]),
    ),
    (check_adam_step, "not_updated", lambda p, g, m, v, *rest: (p.copy(), m.copy(), v.copy())),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("check, diagnosis, fn", MISTAKES)
def test_each_mistake_is_named(check, diagnosis, fn, seed):
    result = check(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_the_hand_written_steps_pass():
    assert check_sgd_step(sgd) and check_adam_step(adam)


def test_sgd_starts_from_zero_velocity_and_tries_no_momentum():
    seen = []

    def spy(p, g, v, lr, m):
        seen.append((not np.any(v), m))
        return sgd(p, g, v, lr, m)

    assert check_sgd_step(spy)
    assert (True, 0.9) in seen and any(m == 0.0 for _, m in seen)


def test_adam_starts_at_step_1_with_zero_moments_and_tries_later_steps():
    seen = []

    def spy(p, g, m, v, t, *rest):
        seen.append((t, not np.any(m) and not np.any(v)))
        return adam(p, g, m, v, t, *rest)

    assert check_adam_step(spy)
    assert seen[0] == (1, True) and max(t for t, _ in seen) > 10


def test_updating_the_parameter_in_place_is_named():
    def in_place(p, g, v, lr, m):
        v *= m
        v += g
        p -= lr * v
        return p, v

    result = check_sgd_step(in_place)
    assert result.diagnosis == "modified_input_in_place"
    assert "param, velocity" in result.message
