"""pybackprop.nn.functional against torch.nn.functional: values, dtypes, stability, bad input."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    F32_ATOL,
    F32_RTOL,
    F64_ATOL,
    F64_RTOL,
    arrays,
    batch_sizes,
    float_dtypes,
    seeds,
    widths,
)

import pybackprop.nn.functional as F

TF = torch.nn.functional


def assert_close(actual, expected: torch.Tensor, dtype, log_domain: bool = False) -> None:
    """Equal to torch's result within the tolerance for `dtype`; same dtype too.

    `log_domain`: the result is a log of a sum (logsumexp, log_softmax, the losses). Rounding
    the sum by a relative error r shifts its log by about r in absolute terms, however close
    to 0 the log is, so such results also get an absolute tolerance of rtol.
    """
    rtol, atol = (F32_RTOL, F32_ATOL) if dtype == np.float32 else (F64_RTOL, F64_ATOL)
    assert np.asarray(actual).dtype == dtype
    atol += rtol if log_domain else 0.0
    np.testing.assert_allclose(actual, expected.numpy(), rtol=rtol, atol=atol)


@st.composite
def logits_and_labels(draw, lo=-10.0, hi=10.0):
    """(logits (n, c), labels (n,) int64, dtype) for a random batch n and class count c."""
    dtype = draw(float_dtypes)
    n, c = draw(batch_sizes), draw(widths)
    x = draw(arrays((n, c), dtype, lo, hi))
    y = np.random.default_rng(draw(seeds())).integers(0, c, n)
    return x, y, dtype


batches = st.tuples(batch_sizes, widths)


@given(dtype=float_dtypes, data=st.data())
def test_relu_matches_torch(dtype, data):
    x = data.draw(arrays(data.draw(batches), dtype))
    assert_close(F.relu(x), torch.relu(torch.from_numpy(x)), dtype)


@given(dtype=float_dtypes, axis=st.sampled_from([0, 1, -1]), data=st.data())
def test_softmax_matches_torch(dtype, axis, data):
    x = data.draw(arrays(data.draw(batches), dtype))
    assert_close(F.softmax(x, dim=axis), torch.softmax(torch.from_numpy(x), dim=axis), dtype)


@given(dtype=float_dtypes, axis=st.sampled_from([0, 1, -1]), data=st.data())
def test_log_softmax_matches_torch(dtype, axis, data):
    x = data.draw(arrays(data.draw(batches), dtype))
    expected = torch.log_softmax(torch.from_numpy(x), dim=axis)
    assert_close(F.log_softmax(x, dim=axis), expected, dtype, log_domain=True)


@given(dtype=float_dtypes, axis=st.sampled_from([0, 1, -1]), keepdims=st.booleans(), data=st.data())
def test_logsumexp_matches_torch(dtype, axis, keepdims, data):
    x = data.draw(arrays(data.draw(batches), dtype))
    expected = torch.logsumexp(torch.from_numpy(x), dim=axis, keepdim=keepdims)
    assert_close(F.logsumexp(x, dim=axis, keepdim=keepdims), expected, dtype, log_domain=True)


@given(n=batch_sizes, c=widths, seed=seeds())
def test_one_hot_matches_torch(n, c, seed):
    y = np.random.default_rng(seed).integers(0, c, n)
    expected = TF.one_hot(torch.from_numpy(y), c).numpy()
    np.testing.assert_array_equal(F.one_hot(y, c), expected)
    assert F.one_hot(y, c, dtype=np.float32).dtype == np.float32


@given(logits_and_labels())
def test_nll_loss_matches_torch(case):
    x, y, dtype = case
    log_probs = np.log(F.softmax(x))  # any log-probabilities will do
    expected = TF.nll_loss(torch.from_numpy(log_probs), torch.from_numpy(y))
    assert_close(F.nll_loss(log_probs, y), expected, dtype, log_domain=True)


@given(logits_and_labels())
def test_cross_entropy_matches_torch(case):
    x, y, dtype = case
    expected = TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(y))
    assert_close(F.cross_entropy(x, y), expected, dtype, log_domain=True)


@given(dtype=float_dtypes, data=st.data())
def test_mse_matches_torch(dtype, data):
    shape = data.draw(st.one_of(batches, batches.map(lambda s: (s[0],))))
    pred, target = data.draw(arrays(shape, dtype)), data.draw(arrays(shape, dtype))
    expected = TF.mse_loss(torch.from_numpy(pred), torch.from_numpy(target))
    assert_close(F.mse_loss(pred, target), expected, dtype)


@given(dtype=float_dtypes, n=batch_sizes, seed=seeds())
def test_mse_accepts_integer_targets_in_preds_dtype(dtype, n, seed):
    rng = np.random.default_rng(seed)
    pred, target = rng.standard_normal(n).astype(dtype), rng.integers(0, 10, n)
    expected = TF.mse_loss(torch.from_numpy(pred), torch.from_numpy(target.astype(dtype)))
    assert_close(F.mse_loss(pred, target), expected, dtype)


@given(logits_and_labels())
def test_accuracy_matches_torch(case):
    x, y, _ = case
    expected = (torch.from_numpy(x).argmax(dim=1) == torch.from_numpy(y)).double().mean()
    assert F.accuracy(x, y) == pytest.approx(expected.item(), rel=1e-12)


@given(logits_and_labels())
def test_losses_return_a_numpy_scalar_of_the_input_dtype(case):
    x, y, dtype = case
    for loss in (F.cross_entropy(x, y), F.nll_loss(F.log_softmax(x), y), F.mse_loss(x, x[::-1])):
        assert isinstance(loss, np.floating) and loss.dtype == dtype


@given(logits_and_labels())
def test_functions_do_not_modify_their_inputs(case):
    x, y, _ = case
    x0, y0 = x.copy(), y.copy()
    F.relu(x)
    F.softmax(x)
    F.log_softmax(x)
    F.logsumexp(x)
    F.one_hot(y, x.shape[1])
    F.nll_loss(x, y)
    F.cross_entropy(x, y)
    F.mse_loss(x, x0)
    F.accuracy(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


# Largest logit magnitudes that must stay finite: exp overflows float32 above ~88.7 and
# float64 above ~709.8, so these are far past where the naive formula breaks.
HUGE = {np.float32: 1e4, np.float64: 1e300}


@st.composite
def huge_logits(draw):
    """(logits (n, c) up to HUGE[dtype] in magnitude, labels, dtype); column 0 is huge."""
    x, y, dtype = draw(logits_and_labels(lo=-1.0, hi=1.0))
    scale = draw(st.floats(min_value=1e3, max_value=HUGE[dtype]))
    x = (x * scale).astype(dtype)
    x[:, 0] = dtype(scale)
    return x, y, dtype


@settings(max_examples=50)
@given(huge_logits())
def test_logsumexp_softmax_log_softmax_cross_entropy_finite_for_huge_logits(case):
    x, y, dtype = case
    with np.errstate(over="ignore"):
        naive = np.log(np.sum(np.exp(x), axis=1))
    assert not np.all(np.isfinite(naive))  # the naive formula overflows to inf
    xt = torch.from_numpy(x)
    lse, log_probs, loss = F.logsumexp(x), F.log_softmax(x), F.cross_entropy(x, y)
    probs = F.softmax(x)
    assert np.all(np.isfinite(lse)) and np.all(np.isfinite(log_probs)) and np.isfinite(loss)
    assert np.all(np.isfinite(probs))
    assert_close(lse, torch.logsumexp(xt, dim=1), dtype, log_domain=True)
    assert_close(log_probs, torch.log_softmax(xt, dim=1), dtype, log_domain=True)
    assert_close(probs, torch.softmax(xt, dim=1), dtype)
    assert_close(loss, TF.cross_entropy(xt, torch.from_numpy(y)), dtype, log_domain=True)


@pytest.mark.parametrize(
    ("logits", "finite"),
    [
        (np.array([[3e4, -3e4]], np.float16), True),  # a loss of 6e4, under float16's 65504
        (np.array([[4e4, -4e4]], np.float16), False),  # 8e4: inf, as torch
        (np.array([[1e308, -1e308, 0.0]]), False),  # 2e308, past float64's largest value
    ],
)
def test_cross_entropy_is_inf_only_past_the_dtype_s_largest_value_as_torch(logits, finite):
    with np.errstate(over="ignore"):
        loss = F.cross_entropy(logits, np.array([1]))
    expected = TF.cross_entropy(torch.from_numpy(logits), torch.tensor([1]))
    assert np.isfinite(loss) == finite and loss.dtype == logits.dtype
    np.testing.assert_array_equal(loss, expected.numpy())


@st.composite
def logits_with_neg_inf(draw):
    """Logits where some entries are -inf, including at least one row that is all -inf."""
    x, y, dtype = draw(logits_and_labels())
    rng = np.random.default_rng(draw(seeds()))
    x[rng.random(x.shape) < 0.3] = -np.inf
    x[rng.integers(len(x))] = -np.inf
    return x, y, dtype


@given(logits_with_neg_inf())
def test_neg_inf_logits_give_what_torch_gives(case):
    x, y, dtype = case
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    with np.errstate(invalid="ignore"):  # an all -inf row is NaN in torch too
        assert_close(F.logsumexp(x), torch.logsumexp(xt, dim=1), dtype, log_domain=True)
        assert_close(F.log_softmax(x), torch.log_softmax(xt, dim=1), dtype, log_domain=True)
        assert_close(F.softmax(x), torch.softmax(xt, dim=1), dtype)
        assert_close(F.cross_entropy(x, y), TF.cross_entropy(xt, yt), dtype, log_domain=True)
    all_neg_inf = np.all(np.isneginf(x), axis=1)
    assert np.all(F.logsumexp(x)[all_neg_inf] == -np.inf)


@given(logits_and_labels(), st.data())
def test_pos_inf_logits_give_what_torch_gives(case, data):
    x, _, dtype = case
    row = data.draw(st.integers(0, len(x) - 1))
    x[row, data.draw(st.integers(0, x.shape[1] - 1))] = np.inf
    xt = torch.from_numpy(x)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN in the row, in torch too
        assert_close(F.logsumexp(x), torch.logsumexp(xt, dim=1), dtype, log_domain=True)
        assert_close(F.log_softmax(x), torch.log_softmax(xt, dim=1), dtype, log_domain=True)
        assert_close(F.softmax(x), torch.softmax(xt, dim=1), dtype)
    assert F.logsumexp(x)[row] == np.inf


@given(logits_and_labels())
def test_cross_entropy_is_nll_loss_of_log_softmax(case):
    x, y, dtype = case
    expected = torch.from_numpy(np.asarray(F.nll_loss(F.log_softmax(x), y)))
    assert_close(F.cross_entropy(x, y), expected, dtype, log_domain=True)


LABEL_FNS = {
    "cross_entropy": F.cross_entropy,
    "nll_loss": F.nll_loss,
    "accuracy": F.accuracy,
}
BAD_LABELS = {
    "out of range": (np.array([0, 1, 3]), ValueError, r"\[0, 3\).*got 3 at index 2"),
    "negative": (np.array([0, -1, 2]), ValueError, r"\[0, 3\).*got -1 at index 1"),
    "fractional": (np.array([0.0, 1.5, 2.0]), ValueError, r"fractional label 1\.5 at index 1"),
    "float dtype": (np.array([0.0, 1.0, 2.0]), TypeError, r"class labels in target.*float64"),
    "wrong length": (np.array([0, 1]), ValueError, r"target of shape \(3,\).*\(2,\)"),
}


@pytest.mark.parametrize("fn", LABEL_FNS)
@pytest.mark.parametrize("case", BAD_LABELS)
def test_bad_labels_raise_naming_expected_and_received(fn, case):
    labels, error, message = BAD_LABELS[case]
    logits = np.zeros((3, 3))
    with pytest.raises(error, match=fn + ".*" + message):
        LABEL_FNS[fn](logits, labels)


def test_one_hot_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match=r"one_hot.*\[0, 2\).*got 2 at index 0"):
        F.one_hot(np.array([2, 0]), 2)


def test_mse_rejects_shapes_that_would_broadcast():
    with pytest.raises(ValueError, match=r"same shape.*\(5, 1\).*\(5,\)"):
        F.mse_loss(np.zeros((5, 1)), np.zeros(5))


@pytest.mark.parametrize("fn", [F.relu, F.softmax, F.log_softmax, F.logsumexp])
def test_integer_input_raises_type_error(fn):
    with pytest.raises(TypeError, match=r"input must be a floating-point array.*got dtype int64"):
        fn(np.arange(6).reshape(2, 3))


@pytest.mark.parametrize("fn", LABEL_FNS)
def test_one_dimensional_logits_raise(fn):
    with pytest.raises(ValueError, match=r"shape \(batch, n_classes\).*got shape \(3,\)"):
        LABEL_FNS[fn](np.zeros(3), np.array([0]))


@pytest.mark.parametrize("shape", [(16, 10), (17, 10), (64, 10), (100, 32), (64, 33), (2, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_over_few_classes_is_numpys_exactly(shape, dtype):
    # F._max reduces few classes in a Fortran-order copy, for speed: the very same numbers
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x[1, 0], x[0, :], x[-1, -1] = np.nan, -np.inf, np.inf
    for dim in (1, -1, 0):
        np.testing.assert_array_equal(F._max(x, dim), x.max(axis=dim, keepdims=True))
