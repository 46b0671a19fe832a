"""pybackprop.nn.init: each initialiser's spread (against torch's gains), in place, normalize."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    F32_RTOL,
    F64_RTOL,
    STAT_STANDARD_ERRORS,
    float_dtypes,
    positive_floats,
    seeds,
    small_floats,
)

from pybackprop import nn
from pybackprop.nn import init
from tests.refusals import assert_refused_alone


def std_rtol(n: int) -> float:
    """Relative tolerance for the sample std of n draws: the standard error of a normal
    sample's std is std / sqrt(2n) (a uniform's is smaller), times STAT_STANDARD_ERRORS."""
    return STAT_STANDARD_ERRORS / math.sqrt(2 * n)


big_shapes = st.tuples(st.integers(300, 600), st.integers(300, 600))
big = settings(max_examples=25)  # each example draws ~200,000 numbers


@big
@given(
    shape=big_shapes,
    mode=st.sampled_from(["fan_in", "fan_out"]),
    nonlinearity=st.sampled_from(["relu", "linear", "tanh", "sigmoid"]),
    dtype=float_dtypes,
    seed=seeds(),
)
def test_kaiming_normal_std_matches_torchs_formula(shape, mode, nonlinearity, dtype, seed):
    w = np.empty(shape, dtype=dtype)
    assert init.kaiming_normal_(w, mode=mode, nonlinearity=nonlinearity, rng=seed) is w
    fan = shape[0] if mode == "fan_in" else shape[1]  # our weight is (n_in, n_out)
    expected = torch.nn.init.calculate_gain(nonlinearity) / math.sqrt(fan)
    assert w.dtype == dtype
    assert abs(w.mean()) < STAT_STANDARD_ERRORS * expected / math.sqrt(w.size)
    assert w.std() == pytest.approx(expected, rel=std_rtol(w.size))


@big
@given(shape=big_shapes, gain=positive_floats, seed=seeds())
def test_xavier_normal_std_matches_torchs_formula(shape, gain, seed):
    w = init.xavier_normal_(np.empty(shape), gain=gain, rng=seed)
    t = torch.nn.init.xavier_normal_(torch.empty(shape[1], shape[0]), gain=gain)
    expected = gain * math.sqrt(2 / sum(shape))
    assert w.std() == pytest.approx(expected, rel=std_rtol(w.size))
    assert t.std().item() == pytest.approx(expected, rel=std_rtol(t.numel()))  # torch agrees


@big
@given(shape=big_shapes, gain=positive_floats, dtype=float_dtypes, seed=seeds())
def test_xavier_uniform_bounds_and_std_match_torchs_formula(shape, gain, dtype, seed):
    w = init.xavier_uniform_(np.empty(shape, dtype=dtype), gain=gain, rng=seed)
    bound = gain * math.sqrt(6 / sum(shape))
    assert w.dtype == dtype and np.all(np.abs(w) <= bound)
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=std_rtol(w.size))


def test_initialisers_fill_a_parameter_in_place_and_are_reproducible():
    for fill in (init.kaiming_normal_, init.xavier_normal_, init.xavier_uniform_):
        p = nn.Parameter(np.zeros((4, 3), dtype=np.float32))
        data = p.data
        assert fill(p, rng=7) is p and p.data is data and np.all(data != 0)
        np.testing.assert_array_equal(fill(np.zeros((4, 3), dtype=np.float32), rng=7), data)


@pytest.mark.parametrize("fill", [init.kaiming_normal_, init.xavier_normal_, init.xavier_uniform_])
def test_initialisers_fill_half_precision_with_the_float64_draws_rounded(fill):
    # numpy draws normals only in float32/float64: float16 goes through float64.
    half = fill(np.zeros((40, 30), dtype=np.float16), rng=3)
    assert half.dtype == np.float16
    np.testing.assert_array_equal(half, fill(np.zeros((40, 30)), rng=3).astype(np.float16))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_normal_fills_are_the_by_hand_draw_rounded_except_in_float32(dtype):
    """What the module docstring and chapter 11 say: the same generator gives the by-hand
    numbers, except float32 weights, which get numpy's float32 draws."""
    std = {"kaiming_normal_": math.sqrt(2 / 40), "xavier_normal_": math.sqrt(2 / 70)}
    for name, scale in std.items():
        w = getattr(init, name)(np.zeros((40, 30), dtype=dtype), rng=np.random.default_rng(1))
        by_hand = np.random.default_rng(1).standard_normal((40, 30)) * scale
        if dtype == np.float32:
            own = np.random.default_rng(1).standard_normal((40, 30), dtype=np.float32) * scale
            np.testing.assert_array_equal(w, own)
            rounded = np.isclose(w, by_hand, rtol=1e-6, atol=0)
            assert rounded.mean() < 0.01, "other numbers, not the by-hand ones rounded"
        else:
            np.testing.assert_array_equal(w, by_hand.astype(dtype))
    bound = math.sqrt(6 / 70)
    w = init.xavier_uniform_(np.zeros((40, 30), dtype=dtype), rng=np.random.default_rng(1))
    by_hand = np.random.default_rng(1).uniform(-bound, bound, (40, 30))
    np.testing.assert_array_equal(w, by_hand.astype(dtype))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_normalize_of_a_0d_array_is_a_0d_array_as_in_torch(dtype):
    out = init.normalize(np.array(0.5, dtype=dtype), 0.1, 0.2)
    expected = (torch.tensor(0.5, dtype=getattr(torch, np.dtype(dtype).name)) - 0.1) / 0.2
    assert isinstance(out, np.ndarray) and out.shape == () == tuple(expected.shape)
    assert out.dtype == dtype and float(out) == pytest.approx(expected.item(), rel=1e-3)


@given(dtype=float_dtypes, mean=small_floats, std=positive_floats, seed=seeds())
def test_normalize_matches_formula_and_keeps_dtype(dtype, mean, std, seed):
    x = np.random.default_rng(seed).standard_normal((5, 7)).astype(dtype)
    x0 = x.copy()
    # numpy scalars would promote float32 data to float64 if used as they are
    out = init.normalize(x, np.float64(mean), np.float64(std))
    assert out.dtype == dtype
    expected = (x.astype(np.float64) - mean) / std
    rtol = F32_RTOL if dtype == np.float32 else F64_RTOL
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol * np.abs(expected).max())
    np.testing.assert_array_equal(x, x0)


@given(seed=seeds())
def test_normalize_with_the_data_mean_and_std_gives_mean_0_std_1(seed):
    x = np.random.default_rng(seed).random((100, 20)) * 255
    out = init.normalize(x, x.mean(), x.std())
    assert abs(out.mean()) < 1e-10 and out.std() == pytest.approx(1, rel=1e-10)


W = np.zeros((3, 2))

# input -> (exception type, words its message must hold); each row's words only in its error
INIT_REFUSALS = {
    "a vector for a weight": (
        lambda: init.kaiming_normal_(np.zeros(3)),
        ValueError,
        "kaiming_normal_: weight must have shape (n_in, n_out); got shape (3,)",
    ),
    "integer weights": (
        lambda: init.xavier_normal_(np.zeros((3, 2), dtype=np.int64)),
        TypeError,
        "xavier_normal_: weight must be a float numpy array or a Parameter; got dtype int64",
    ),
    "no rows (kaiming)": (
        lambda: init.kaiming_normal_(np.zeros((0, 4))),
        ValueError,
        "kaiming_normal_: weight has shape (0, 4), an empty matrix: a layer's weight needs "
        "n_in >= 1 rows and n_out >= 1 columns",
    ),
    "no columns (kaiming, fan_out)": (
        lambda: init.kaiming_normal_(np.zeros((4, 0)), mode="fan_out"),
        ValueError,
        "kaiming_normal_: weight has shape (4, 0), an empty matrix",
    ),
    "no rows (xavier normal)": (
        lambda: init.xavier_normal_(np.zeros((0, 4))),
        ValueError,
        "xavier_normal_: weight has shape (0, 4), an empty matrix",
    ),
    "no columns (xavier uniform)": (
        lambda: init.xavier_uniform_(np.zeros((4, 0))),
        ValueError,
        "xavier_uniform_: weight has shape (4, 0), an empty matrix",
    ),
    "an unknown mode": (
        lambda: init.kaiming_normal_(W, mode="fan"),
        ValueError,
        "mode must be 'fan_in' or 'fan_out'; got 'fan'",
    ),
    "an unknown nonlinearity": (
        lambda: init.kaiming_normal_(W, nonlinearity="gelu"),
        ValueError,
        "nonlinearity must be one of ['linear', 'relu', 'sigmoid', 'tanh']; got 'gelu'",
    ),
    "gain nan": (
        lambda: init.xavier_normal_(W, gain=math.nan),
        ValueError,
        "xavier_normal_: gain must be a finite number >= 0; got nan",
    ),
    "gain inf": (
        lambda: init.xavier_uniform_(W, gain=math.inf),
        ValueError,
        "xavier_uniform_: gain must be a finite number >= 0; got inf",
    ),
    "integer data": (
        lambda: init.normalize(np.zeros(3, dtype=np.uint8), 0.1, 0.3),
        TypeError,
        "normalize needs floating-point input; got dtype uint8",
    ),
    "std 0": (
        lambda: init.normalize(np.zeros(3), 0.1, 0.0),
        ValueError,
        "normalize: std must be a positive finite number in float64; got 0.0",
    ),
    "std inf": (
        lambda: init.normalize(np.zeros(3), 0.1, math.inf),
        ValueError,
        "normalize: std must be a positive finite number in float64; got inf",
    ),
    "std nan": (
        lambda: init.normalize(np.zeros(3), 0.1, math.nan),
        ValueError,
        "normalize: std must be a positive finite number in float64; got nan",
    ),
    "std an array": (
        lambda: init.normalize(np.zeros(3), 0.1, np.ones(3)),
        TypeError,
        "normalize: std must be a real number; got array([1., 1., 1.])",
    ),
    "mean nan": (
        lambda: init.normalize(np.zeros(3), math.nan, 0.3),
        ValueError,
        "normalize: mean must be a finite number in float64; got nan",
    ),
    "mean a string": (
        lambda: init.normalize(np.zeros(3), "0.1", 0.3),
        TypeError,
        "normalize: mean must be a real number; got '0.1'",
    ),
}


@pytest.mark.parametrize("name", INIT_REFUSALS)
def test_init_refuses_each_mistake_with_its_own_message(name):
    assert_refused_alone(INIT_REFUSALS, name, lambda make: make())


@pytest.mark.parametrize("number", [0.3, np.float32(0.3), np.float64(0.3), np.array(0.3), 1])
def test_normalize_takes_any_finite_number_for_mean_and_std(number):
    np.testing.assert_allclose(init.normalize(np.ones(2), number, number), (1 - number) / number)
