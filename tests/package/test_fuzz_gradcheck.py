"""Fuzzing gradcheck over its inputs' dtypes and shapes: float16, float32 and float64 inputs are
checked in float64 (so a right backward passes even where float16 could not resolve eps), the
caller's arrays are left as they were, integer and bool inputs pass through as labels, and
complex, object or string inputs, or only labels, are refused naming the input. As torch's
gradcheck, a right backward gives True, a wrong one a failure."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FUZZ_DTYPES, FUZZ_EXAMPLES, any_arrays
from test_fuzz_functional import call, refused_clearly

from pybackprop import GradcheckError, gradcheck, nn

SHAPES = st.sampled_from([(), (0,), (3,), (2, 2), (1, 2, 2)])


def fn(x, scale):
    """sin(x) times scale, recording the dtype it was given."""
    fn.seen = x.dtype
    return np.sin(x) * scale


def backward(g, x, scale):
    return g * np.cos(x) * scale, np.sum(g * np.sin(x))


def wrong_backward(g, x, scale):
    right = g * np.cos(x) * scale
    return right + 1 + np.abs(right), np.sum(g * np.sin(x))  # off by more than rtol allows


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    x=any_arrays(shape=SHAPES, finite=True),
    scale=any_arrays(shape=(), dtypes=FUZZ_DTYPES, finite=True),
)
def test_any_real_input_is_checked_in_float64_or_refused_naming_it(x, scale):
    x_before, scale_before = np.copy(x), np.copy(scale)
    x = np.clip(x, -50, 50) if x.dtype.kind == "f" else x  # sin stays well resolved
    out, error = call(gradcheck, fn, x, scale, backward=backward)
    floats = [a.dtype.kind == "f" for a in (np.asarray(x), np.asarray(scale))]
    if error is not None:
        refused_clearly(error, "gradcheck", "input 0", "input 1", "integer")
        assert isinstance(error, TypeError)
        unreal = [np.asarray(a).dtype.kind not in "biuf" for a in (x, scale)]
        assert any(unreal) or not any(floats)
        return
    assert out is True and fn.seen == (np.float64 if floats[0] else np.asarray(x).dtype)
    if np.asarray(x).size and floats[0]:  # a wrong gradient for x is caught
        with pytest.raises(GradcheckError, match="input 0"):
            gradcheck(fn, x, scale, backward=wrong_backward)
    np.testing.assert_array_equal(x, np.clip(x_before, -50, 50) if floats[0] else x_before)
    assert np.asarray(scale).dtype == np.asarray(scale_before).dtype


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
    x=any_arrays(shape=(2, 3), dtypes=[np.float16, np.float32, np.float64], finite=True),
)
def test_a_module_of_any_float_dtype_is_checked_in_float64_and_restored(dtype, x):
    layer = nn.Linear(3, 2, rng=0, dtype=dtype)
    weight = layer.weight.data
    assert gradcheck(layer, np.clip(x, -100, 100)) is True
    assert layer.weight.data is weight and weight.dtype == dtype and layer.weight.grad is None


@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays(shape=(3,), dtypes=[np.float16, np.float32, np.float64]))
def test_nan_or_inf_fails_as_in_torch(x):
    finite = bool(np.isfinite(x).all())
    _, error = call(gradcheck, lambda x: x * x, x, backward=lambda g, x: 2 * g * x)
    xt = torch.from_numpy(x.astype(np.float64)).requires_grad_()
    _, torch_error = call(torch.autograd.gradcheck, lambda x: x * x, (xt,), raise_exception=True)
    assert (error is None) == (torch_error is None) == finite
    if error is not None:
        assert isinstance(error, GradcheckError)


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("eps", 0.0, ValueError),
        ("eps", -1e-6, ValueError),
        ("eps", np.nan, ValueError),
        ("eps", "1e-6", TypeError),
        ("atol", -1.0, ValueError),
        ("rtol", np.inf, ValueError),
        ("rtol", None, TypeError),
        ("rng", -1, ValueError),
        ("rng", 1.5, TypeError),
    ],
)
def test_bad_tolerances_and_rng_are_refused_naming_them(name, value, error):
    with pytest.raises(error, match=f"gradcheck: {name} must"):
        gradcheck(lambda x: x, np.ones(2), backward=lambda g, x: g, **{name: value})
