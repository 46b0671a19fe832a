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


def test_initialisers_reject_non_matrix_weights():
    with pytest.raises(ValueError, match=r"shape \(n_in, n_out\); got shape \(3,\)"):
        init.kaiming_normal_(np.zeros(3))
    with pytest.raises(TypeError, match="float numpy array or a Parameter"):
        init.xavier_normal_(np.zeros((3, 2), dtype=np.int64))


def test_kaiming_normal_rejects_unknown_mode_and_nonlinearity():
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'; got 'fan'"):
        init.kaiming_normal_(np.zeros((3, 2)), mode="fan")
    with pytest.raises(ValueError, match="nonlinearity must be one of.*got 'gelu'"):
        init.kaiming_normal_(np.zeros((3, 2)), nonlinearity="gelu")


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


def test_normalize_rejects_integer_data_and_non_positive_std():
    with pytest.raises(TypeError, match=r"floating-point input; got dtype uint8.*/ 255"):
        init.normalize(np.zeros(3, dtype=np.uint8), 0.1, 0.3)
    with pytest.raises(ValueError, match="std must be positive; got 0"):
        init.normalize(np.zeros(3), 0.1, 0.0)
