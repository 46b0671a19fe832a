"""pybackprop.exercises.init: the statistical Kaiming check passes any distribution with the
right spread, on any seed, and names each usual wrong spread."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_kaiming_init
from pybackprop.nn import init


def kaiming_normal(n_in, n_out, rng):
    return init.kaiming_normal_(np.empty((n_in, n_out)), rng=rng)


def scaled(std_of):
    return lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out)) * std_of(n_in, n_out)


CORRECT = {
    "package": kaiming_normal,
    "normal": scaled(lambda i, o: math.sqrt(2 / i)),
    "uniform": lambda i, o, rng: rng.uniform(-1, 1, (i, o)) * math.sqrt(6 / i),
    "float32": lambda i, o, rng: init.kaiming_normal_(np.empty((i, o), np.float32), rng=rng),
}

MISTAKES = [
    ("fan_out_instead_of_fan_in", scaled(lambda i, o: math.sqrt(2 / o))),
    ("missing_factor_2", scaled(lambda i, o: math.sqrt(1 / i))),
    ("xavier_instead_of_kaiming", scaled(lambda i, o: math.sqrt(2 / (i + o)))),
    ("uniform_bound_as_std", lambda i, o, rng: rng.uniform(-1, 1, (i, o)) * math.sqrt(2 / i)),
    ("variance_instead_of_std", scaled(lambda i, o: 2 / i)),
    ("not_scaled", scaled(lambda i, o: 1.0)),
    ("wrong_std", scaled(lambda i, o: 3 * math.sqrt(2 / i))),
    ("nonzero_mean", lambda i, o, rng: rng.random((i, o)) * math.sqrt(6 / i)),
    ("constant_weights", lambda i, o, rng: np.full((i, o), 0.1)),
    ("missing_transpose", lambda i, o, rng: kaiming_normal(o, i, rng) * math.sqrt(o / i)),
    ("wrong_shape", lambda i, o, rng: kaiming_normal(i, o, rng)[:, :1]),
    ("wrong_type", lambda i, o, rng: np.ones((i, o), dtype=np.int64)),
    ("nan_or_inf", lambda i, o, rng: kaiming_normal(i, o, rng) / 0),
    (
        "ignores_rng",
        lambda i, o, rng: np.random.default_rng().standard_normal((i, o)) * math.sqrt(2 / i),
    ),
    ("returned_list", lambda i, o, rng: kaiming_normal(i, o, rng).tolist()),
]


@settings(max_examples=20)
@given(seed=seeds())
@pytest.mark.parametrize("name", list(CORRECT))
def test_the_right_spread_passes_on_any_seed(name, seed):
    result = check_kaiming_init(CORRECT[name], seed=seed)
    assert result.passed and result.diagnosis is None, str(result)


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", MISTAKES)
def test_each_mistake_is_named(diagnosis, fn, seed):
    result = check_kaiming_init(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_the_shapes_have_different_fans_and_enough_weights():
    seen = []

    def spy(n_in, n_out, rng):
        seen.append((n_in, n_out))
        return kaiming_normal(n_in, n_out, rng)

    assert check_kaiming_init(spy)
    assert all(n_in != n_out and n_in * n_out >= 10_000 for n_in, n_out in seen)
    assert any(n_in > n_out for n_in, n_out in seen) and any(n_in < n_out for n_in, n_out in seen)


def test_the_report_gives_the_spread_received_and_the_tolerance():
    result = check_kaiming_init(MISTAKES[1][1])
    assert "std 0.1 = sqrt(2 / n_in)" in result.case.expected
    assert "std 0.07" in result.case.received
    assert "tolerance 4.9% for 10000 draws" in result.case.largest_error
