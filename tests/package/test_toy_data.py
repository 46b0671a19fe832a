"""Toy data: the two moons' geometry and seeds, and the ReLU chapter's target curve."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import F64_ATOL, F64_RTOL, arrays, seeds, small_floats

from pybackprop.data import make_curve, make_moons, target_curve

sizes = st.integers(min_value=0, max_value=500)


@given(sizes, seeds())
def test_moons_shapes_dtypes_and_class_sizes(n, seed):
    x, y = make_moons(n, rng=seed)
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(y.tolist()) <= {0, 1}
    assert (y == 0).sum() == n // 2 and (y == 1).sum() == n - n // 2


@given(sizes, seeds())
def test_moons_without_noise_lie_on_their_half_circles(n, seed):
    x, y = make_moons(n, rng=seed)
    upper, lower = x[y == 0], x[y == 1]
    # Class 0: (cos t, sin t); class 1: (1 - cos t, 0.5 - sin t); t evenly over [0, pi].
    t_upper = np.arctan2(upper[:, 1], upper[:, 0])
    t_lower = np.arctan2(0.5 - lower[:, 1], 1 - lower[:, 0])
    for points, centre, t in ((upper, (0.0, 0.0), t_upper), (lower, (1.0, 0.5), t_lower)):
        np.testing.assert_allclose(np.hypot(*(points - centre).T), 1.0, rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            np.sort(np.abs(t)), np.linspace(0, np.pi, len(points)), rtol=0, atol=1e-12
        )
    assert np.all(upper[:, 1] >= -1e-12) and np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_moons_are_shuffled_not_sorted_by_class():
    _, y = make_moons(200, rng=0)
    assert np.any(np.diff(y) < 0) and np.any(np.diff(y) > 0)  # neither order of the classes


@given(st.integers(1, 300), st.floats(0, 1), seeds())
def test_moons_same_seed_same_set(n, noise, seed):
    a, b = make_moons(n, noise=noise, rng=seed), make_moons(n, noise=noise, rng=seed)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_moons_different_seeds_differ():
    a, b = make_moons(50, noise=0.1, rng=1), make_moons(50, noise=0.1, rng=2)
    assert not np.array_equal(a[0], b[0])


@pytest.mark.parametrize("noise", [0.02, 0.1])
def test_moons_noise_is_gaussian_with_that_std(noise):
    x, y = make_moons(20000, noise=noise, rng=0)
    centres = np.where(y[:, None] == 0, [0.0, 0.0], [1.0, 0.5])
    # Away from the circles' ends, the radial error of isotropic noise has std `noise`.
    radial = np.hypot(*(x - centres).T) - 1
    assert np.std(radial) == pytest.approx(noise, rel=0.05)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(n=-1), ValueError, "n must be a non-negative integer; got -1"),
        (dict(n=2.5), TypeError, "n must be a non-negative integer; got 2.5"),
        (dict(n=10, noise=-0.1), ValueError, "noise must be a standard deviation >= 0; got -0.1"),
        (dict(n=10, noise=float("nan")), ValueError, "noise must be a standard deviation >= 0"),
        (dict(n=10, noise="x"), TypeError, "noise must be a number .*; got 'x'"),
        (dict(n=10, noise=None), TypeError, "noise must be a number .*; got None"),
    ],
)
def test_moons_bad_arguments_are_reported(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_moons(**kwargs)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(n=-1), ValueError, "n must be a non-negative integer; got -1"),
        (dict(n=True), TypeError, "n must be a non-negative integer; got True"),
        (dict(noise=-0.1), ValueError, "noise must be a standard deviation >= 0; got -0.1"),
        (dict(noise=float("nan")), ValueError, "noise must be a standard deviation >= 0"),
        (dict(noise="x"), TypeError, "noise must be a number .*; got 'x'"),
    ],
)
def test_curve_bad_arguments_are_reported(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_curve(**kwargs)


@given(arrays(st.integers(0, 20)))
def test_target_curve_matches_torch(x):
    expected = (-((torch.from_numpy(x) - 1) ** 2) + 2).numpy()
    np.testing.assert_allclose(target_curve(x), expected, rtol=F64_RTOL, atol=F64_ATOL)


@given(small_floats)
def test_target_curve_on_floats_is_the_array_value(v):
    got = target_curve(v)
    assert isinstance(got, float)
    # Python's float ** 2 and numpy's square may round differently by an ulp.
    assert got == pytest.approx(target_curve(np.array([v]))[0], rel=F64_RTOL, abs=F64_ATOL)


@given(st.floats(0, 2))
def test_target_curve_peaks_at_one_and_is_symmetric(d):
    assert target_curve(1.0) == 2.0
    assert target_curve(1.0 + d) == pytest.approx(target_curve(1.0 - d), rel=1e-15, abs=1e-15)
    assert target_curve(1.0 + d) <= 2.0


@given(st.integers(2, 500))
def test_curve_without_noise_is_exact_on_an_even_grid(n):
    x, y = make_curve(n)
    np.testing.assert_array_equal(x, np.linspace(-1, 3, n))
    np.testing.assert_array_equal(y, target_curve(x))
    assert x.dtype == y.dtype == np.float64


@given(st.integers(1, 500), st.floats(0.01, 1), seeds())
def test_noisy_curve_is_sorted_in_range_and_reproducible(n, noise, seed):
    x, y = make_curve(n, noise=noise, rng=seed)
    assert x.shape == y.shape == (n,)
    assert np.all(np.diff(x) >= 0) and x.min() >= -1 and x.max() <= 3
    x2, y2 = make_curve(n, noise=noise, rng=seed)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


def test_noisy_curve_noise_has_that_std():
    x, y = make_curve(20000, noise=0.3, rng=0)
    assert np.std(y - target_curve(x)) == pytest.approx(0.3, rel=0.03)
    assert np.mean(y - target_curve(x)) == pytest.approx(0, abs=0.01)


def test_curve_default_is_100_points():
    x, y = make_curve()
    assert x.shape == y.shape == (100,)
    assert (x[0], x[-1]) == (-1.0, 3.0)


@given(st.floats(-1, 3))
def test_target_curve_works_on_values_with_its_derivative(v):
    from pybackprop import Value

    x = Value(v)
    out = target_curve(x)
    out.backward()
    assert out.data == pytest.approx(target_curve(v), rel=1e-15, abs=1e-15)
    assert x.grad == pytest.approx(-2 * (v - 1), rel=1e-15, abs=1e-15)
