"""Fuzzing pybackprop.nn.init: any weight (dtype, shape, read-only), gain, mode, nonlinearity,
rng, mean or std either gives torch.nn.init's behaviour (the same spread of draws, the same
result of normalize) or a TypeError/ValueError naming the function and the argument.

Our weights are (n_in, n_out), torch's (n_out, n_in): torch is given the transposed shape.
"""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    FUZZ_DTYPES,
    FUZZ_EXAMPLES,
    STAT_STANDARD_ERRORS,
    any_arrays,
    fuzz_shapes,
    seeds,
    tolerance,
)
from test_fuzz_functional import call, refused_clearly

from pybackprop import nn
from pybackprop.nn import init

FILLS = ("kaiming_normal_", "xavier_normal_", "xavier_uniform_")
FLOATS = st.sampled_from([np.float16, np.float32, np.float64])
# Values a user might pass for a number: the good ones, and each kind of mistake.
NUMBERS = [0, 1, 2.5, 5 / 3, np.float32(1.5), np.int64(2), np.array(0.5)]
NOT_NUMBERS = [True, np.bool_(False), "1", None, 1j, [1.0], np.ones(2)]
BAD_NUMBERS = [-1.0, math.nan, math.inf, -math.inf]
SEEDS = [None, 0, 7, 2**70, np.int64(3), [1, 2], np.random.RandomState(0)]
BAD_SEEDS = [-1, 1.5, "0", True, object()]


def torch_fill(name: str, shape: tuple[int, ...], **kwargs) -> torch.Tensor:
    """torch.nn.init's fill of a float64 tensor of our `shape` transposed."""
    t = torch.empty(shape[::-1], dtype=torch.float64)
    return getattr(torch.nn.init, name)(t, **kwargs)


@pytest.mark.parametrize("name", FILLS)
@settings(max_examples=FUZZ_EXAMPLES)
@given(w=any_arrays(), read_only=st.booleans(), wrap=st.booleans())
def test_fills_a_float_matrix_in_place_or_refuses_naming_weight(name, w, read_only, wrap):
    read_only = read_only and isinstance(w, np.ndarray)  # (a complex 0-d one is a scalar)
    if read_only:
        w.flags.writeable = False
    weight = nn.Parameter(w) if wrap and w.dtype.kind == "f" else w
    before = w.copy()
    out, error = call(getattr(init, name), weight, rng=0)
    if error is not None:
        refused_clearly(error, name, "weight")
        assert isinstance(error, TypeError) == (w.dtype.kind != "f")
        assert w.dtype.kind != "f" or w.ndim != 2 or w.size == 0 or read_only
        np.testing.assert_array_equal(w, before)  # a refusal changes nothing
        if w.dtype.kind == "f" and w.ndim < 2 and w.size:  # (torch skips an empty one)
            with pytest.raises(ValueError, match="fewer than 2 dimensions"):  # torch too
                torch_fill(name, w.shape)
        return
    assert out is weight and w.dtype == before.dtype and w.shape == before.shape
    assert w.ndim == 2 and w.size and not read_only and np.isfinite(w).all()


# (function, our keyword arguments), torch's being the same.
SPREADS = [
    ("kaiming_normal_", {}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}),
    ("kaiming_normal_", {"nonlinearity": "linear"}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "sigmoid"}),
    ("xavier_normal_", {}),
    ("xavier_normal_", {"gain": 5 / 3}),
    ("xavier_uniform_", {}),
    ("xavier_uniform_", {"gain": 0.5}),
]


@pytest.mark.parametrize(("name", "kwargs"), SPREADS)
@settings(max_examples=8)
@given(dtype=FLOATS, n_in=st.integers(60, 400), n_out=st.integers(60, 400), seed=seeds())
def test_draws_have_torchs_spread_in_every_float_dtype(name, kwargs, dtype, n_in, n_out, seed):
    ours = getattr(init, name)(np.empty((n_in, n_out), dtype=dtype), rng=seed, **kwargs)
    theirs = torch_fill(name, ours.shape, generator=torch.Generator().manual_seed(seed), **kwargs)
    theirs = theirs.numpy()
    n, sigma = ours.size, float(theirs.std())
    ours = ours.astype(np.float64)
    # Two sample stds of n normal draws each differ by sigma / sqrt(n) (one standard error);
    # uniform draws spread less. The mean is 0, within sigma / sqrt(n).
    assert abs(ours.std() - sigma) <= STAT_STANDARD_ERRORS * sigma / math.sqrt(n)
    assert abs(ours.mean()) <= STAT_STANDARD_ERRORS * sigma / math.sqrt(n)
    if name == "xavier_uniform_":  # within the bound torch draws up to (rounded to dtype)
        assert np.abs(ours).max() <= np.abs(theirs).max() * (1 + 10 / n + tolerance(dtype)[0])


@pytest.mark.parametrize("name", ["xavier_normal_", "xavier_uniform_"])
@settings(max_examples=FUZZ_EXAMPLES)
@given(gain=st.sampled_from(NUMBERS + NOT_NUMBERS + BAD_NUMBERS))
def test_gain_scales_the_draws_or_is_refused_by_name(name, gain):
    fill = getattr(init, name)
    out, error = call(fill, np.empty((30, 20)), gain=gain, rng=0)
    torch_out, torch_error = call(torch_fill, name, (30, 20), gain=gain)
    if error is not None:
        refused_clearly(error, name, "gain")
        bad_type = any(gain is g for g in NOT_NUMBERS)
        assert isinstance(error, TypeError if bad_type else ValueError)
        return
    assert torch_error is None  # no value torch refuses is accepted
    assert float(gain) >= 0 and math.isfinite(gain) and not isinstance(gain, bool)
    unit = fill(np.empty((30, 20)), rng=0)
    np.testing.assert_allclose(out, unit * float(gain), rtol=1e-12, atol=1e-12)


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    mode=st.sampled_from(
        ["fan_in", "fan_out", "in", "FAN_IN", None, ["fan_in"], np.str_("fan_in")]
    ),
    nonlinearity=st.sampled_from(["relu", "tanh", "linear", "gelu", None, ["relu"], 1]),
    rng=st.sampled_from(SEEDS + BAD_SEEDS),
)
def test_kaiming_mode_nonlinearity_and_rng_work_or_are_refused_by_name(mode, nonlinearity, rng):
    out, error = call(
        init.kaiming_normal_, np.empty((20, 30)), mode=mode, nonlinearity=nonlinearity, rng=rng
    )
    bad = {
        "mode": mode not in ("fan_in", "fan_out") or not isinstance(mode, str),
        "nonlinearity": not isinstance(nonlinearity, str) or nonlinearity not in init._GAINS,
        "rng": any(rng is r for r in BAD_SEEDS),
    }
    if error is not None:
        refused_clearly(error, "kaiming_normal_", *[arg for arg, wrong in bad.items() if wrong])
        return
    assert not any(bad.values())
    fan = 20 if mode == "fan_in" else 30
    expected = init._GAINS[nonlinearity] / math.sqrt(fan)
    torch_gain = torch.nn.init.calculate_gain(nonlinearity)
    assert expected == pytest.approx(torch_gain / math.sqrt(fan), rel=1e-12)
    assert out.std() == pytest.approx(expected, rel=0.3)  # 600 draws


@pytest.mark.parametrize("name", FILLS)
@settings(max_examples=20)
@given(seed=seeds())
def test_one_seed_one_draw_and_a_generator_moves_on(name, seed):
    fill = getattr(init, name)
    first, again = fill(np.empty((5, 4)), rng=seed), fill(np.empty((5, 4)), rng=seed)
    np.testing.assert_array_equal(first, again)
    gen = np.random.default_rng(seed)
    assert not np.array_equal(fill(np.empty((5, 4)), rng=gen), fill(np.empty((5, 4)), rng=gen))


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    x=any_arrays(shape=fuzz_shapes, dtypes=FUZZ_DTYPES),
    mean=st.floats(-1e6, 1e6) | st.sampled_from(NOT_NUMBERS + [math.nan, 1e300, np.float32(0.5)]),
    std=st.floats(1e-12, 1e6) | st.sampled_from(NOT_NUMBERS + BAD_NUMBERS + [0.0, 1e-30, 1e300]),
)
def test_normalize_is_torchvisions_or_refuses_by_name(x, mean, std):
    out, error = call(init.normalize, x, mean, std)
    if error is not None:
        refused_clearly(error, "normalize", "input", "mean", "std")
        if x.dtype.kind == "f" and isinstance(error, ValueError):  # a value lost in x's dtype
            with np.errstate(over="ignore", under="ignore"):
                m, s = np.asarray(float(mean), x.dtype), np.asarray(float(std), x.dtype)
            assert not (np.isfinite(m) and np.isfinite(s) and s > 0)
        return
    assert x.dtype.kind == "f"
    # torchvision's normalize: mean and std as tensors of x's dtype, x - mean, then / std
    t = torch.from_numpy(x.copy())
    dtype = t.dtype
    expected = (t - torch.as_tensor(float(mean), dtype=dtype)) / torch.as_tensor(
        float(std), dtype=dtype
    )
    assert out.dtype == x.dtype and out.shape == x.shape
    rtol, atol = tolerance(x.dtype)
    np.testing.assert_allclose(out, expected.numpy(), rtol=rtol, atol=atol, equal_nan=True)
