"""Fuzzing pybackprop.nn.functional: any dtype, shape, NaN or inf either gives torch's result or
a TypeError/ValueError naming the function and the argument, never numpy's own words.

float16 is compared with torch's float32 result rounded to float16: what torch's float16
kernels compute (in float32, rounded once), without the overflow of their float16 temporaries.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import FUZZ_EXAMPLES, NUMPY_WORDS, any_arrays, tolerance

import pybackprop.nn.functional as F

TF = torch.nn.functional
LABEL_DTYPES = (np.bool_, np.int8, np.int64, np.uint8, np.float32, np.float64, np.object_)
junk = st.sampled_from([1.5, "1", None, True, np.int64(1)])


def call(fn, *args, **kwargs):
    """(result, None) or (None, the exception). numpy's RuntimeWarnings on NaN/inf are kept
    (silencing them would cost each call 3 us): the result is what is judged."""
    try:
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs), None
    except Exception as error:  # noqa: BLE001 - every exception is judged by refused_clearly
        return None, error


def refused_clearly(error: Exception, fn: str, *args: str) -> None:
    """A TypeError/ValueError naming fn and one of args, in pybackprop's words, not numpy's."""
    message = str(error)
    assert isinstance(error, (TypeError, ValueError)), f"{type(error).__name__}: {message}"
    assert fn.lower() in message.lower() and any(a in message for a in args), message
    assert not any(words in message for words in NUMPY_WORDS), message


def torch_of(x: np.ndarray) -> torch.Tensor:
    """x as a tensor to compute the reference with: float16 widened to float32."""
    return torch.from_numpy(x.astype(np.float32) if x.dtype == np.float16 else x)


def assert_matches(actual, expected: torch.Tensor, dtype, log_domain: bool = False) -> None:
    """Equal to torch's result (rounded to `dtype`), NaN where torch has NaN, same dtype."""
    rtol, atol = tolerance(dtype)
    with np.errstate(over="ignore"):  # float16's rounding gives inf past 65504, as torch's
        actual, expected = np.asarray(actual), expected.numpy().astype(dtype)
    assert actual.dtype == dtype and actual.shape == expected.shape
    np.testing.assert_allclose(
        actual, expected, rtol=rtol, atol=atol + (rtol if log_domain else 0.0), equal_nan=True
    )


@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays())
def test_relu_is_torchs_or_refuses_non_floats(x):
    out, error = call(F.relu, x)
    if error is not None:
        assert x.dtype.kind != "f"
        refused_clearly(error, "relu", "input")
    else:
        assert_matches(out, torch.relu(torch_of(x)), x.dtype)


SOFTMAXES = {
    "softmax": (F.softmax, torch.softmax, False),
    "log_softmax": (F.log_softmax, torch.log_softmax, True),
    "logsumexp": (F.logsumexp, torch.logsumexp, True),
}


@pytest.mark.parametrize("name", SOFTMAXES)
@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays(), dim=st.integers(-4, 3) | junk)
def test_softmaxes_are_torchs_or_refuse_naming_input_or_dim(name, x, dim):
    ours, theirs, log_domain = SOFTMAXES[name]
    out, error = call(ours, x, dim=dim)
    if error is not None:
        refused_clearly(error, name, "input", "dim")
        if x.dtype.kind == "f" and isinstance(dim, int) and not isinstance(dim, bool):
            with pytest.raises(IndexError):  # torch refuses that dim too
                theirs(torch_of(x), dim)
    else:
        with np.errstate(invalid="ignore"):
            assert_matches(out, theirs(torch_of(x), dim), x.dtype, log_domain)


@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays(), data=st.data())
def test_mse_loss_is_torchs_or_refuses_naming_input_or_target(x, data):
    same = data.draw(st.booleans())
    target = data.draw(any_arrays(shape=x.shape if same else hnp.array_shapes(max_dims=2)))
    out, error = call(F.mse_loss, x, target)
    if error is not None:
        refused_clearly(error, "mse_loss", "input", "target")
        assert x.dtype.kind != "f" or target.dtype.kind not in "biuf" or x.shape != target.shape
    else:
        wide = torch_of(x)
        expected = TF.mse_loss(wide, torch.from_numpy(target.astype(wide.numpy().dtype)))
        assert_matches(out, expected, x.dtype)


LABEL_LOSSES = {
    "cross_entropy": (F.cross_entropy, TF.cross_entropy, True),
    "nll_loss": (F.nll_loss, TF.nll_loss, True),
    "accuracy": (F.accuracy, None, False),
}


def torch_accuracy(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """argmax == label, a row whose top score is NaN or infinite counting as wrong."""
    pred = x.argmax(dim=1)
    top = x[torch.arange(len(x)), pred]
    return ((pred == y) & torch.isfinite(top)).double().mean()


@pytest.mark.parametrize("name", LABEL_LOSSES)
@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays(), data=st.data())
def test_label_functions_are_torchs_or_refuse_naming_input_or_target(name, x, data):
    ours, theirs, log_domain = LABEL_LOSSES[name]
    n = x.shape[0] if x.ndim else 0
    c = x.shape[1] if x.ndim > 1 else 1
    y = data.draw(any_arrays(shape=st.sampled_from([(n,), (n, 1), ()]), dtypes=LABEL_DTYPES))
    if y.dtype.kind in "iuf" and c and data.draw(st.booleans()):
        y = np.random.default_rng(0).integers(0, c, y.shape).astype(y.dtype)  # mostly in range
    out, error = call(ours, x, y)
    if error is not None:
        refused_clearly(error, name, "input", "logits", "target", "label")
        return
    assert x.dtype.kind == "f" and x.ndim == 2 and y.dtype.kind in "iu"
    xt, yt = torch_of(x), torch.from_numpy(y.astype(np.int64))
    if theirs is None:
        assert out == pytest.approx(torch_accuracy(xt, yt).item(), nan_ok=True)
    else:
        with np.errstate(invalid="ignore"):
            assert_matches(out, theirs(xt, yt), x.dtype, log_domain)


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    y=any_arrays(shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=4), dtypes=LABEL_DTYPES),
    num_classes=st.integers(-1, 5) | junk,
    in_range=st.booleans(),
)
def test_one_hot_is_torchs_or_refuses_naming_the_argument(y, num_classes, in_range):
    if in_range and y.dtype.kind in "iu" and isinstance(num_classes, int) and num_classes > 0:
        y = y % np.array(num_classes, y.dtype)
    out, error = call(F.one_hot, y, num_classes)
    if error is not None:
        refused_clearly(error, "one_hot", "tensor", "target", "num_classes")
        return
    expected = TF.one_hot(torch.from_numpy(y.astype(np.int64)), num_classes)
    np.testing.assert_array_equal(out, expected.numpy())


def test_a_nan_row_never_counts_as_correct():
    # torch's argmax takes NaN for the largest score, so torch's usual formula counts both rows
    nan = np.nan
    assert (torch.tensor([[nan, 0], [0, nan]]).argmax(1) == torch.tensor([0, 1])).all()
    assert F.accuracy(np.array([[nan, 0], [0, nan]]), np.array([0, 1])) == 0.0
    assert F.accuracy(np.array([[np.inf, 0], [0, 1.0]]), np.array([0, 1])) == 0.5
    # -inf is an ordinary score (a masked class, the log of a probability 0)
    assert F.accuracy(np.array([[0, -np.inf], [-np.inf, 0]]), np.array([0, 1])) == 1.0
