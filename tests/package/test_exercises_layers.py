"""pybackprop.exercises.layers: each named mistake in ReLU, Linear and MSE backward is recognised.

Each mistake is written on purpose as a small learner function; the check must fail with that
mistake's identifier, on any seed.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_linear_backward, check_mse_backward, check_relu_backward

RELU_MISTAKES = {
    "relu_mask_from_grad_out": lambda x, g: g * (g > 0),
    "missing_grad_out": lambda x, g: (x > 0).astype(x.dtype),
    "returned_forward": lambda x, g: np.maximum(x, 0),
    "missing_relu_mask": lambda x, g: g,
}

LINEAR_MISTAKES = {
    "missing_transpose": [
        lambda x, w, b, g: (g @ w.T, g.T @ x, g.sum(0)),  # grad_weight (n_out, n_in)
        lambda x, w, b, g: (g @ w, x.T @ g, g.sum(0)),  # grad_x: a matmul shape error
    ],
    "bias_not_summed": [
        lambda x, w, b, g: (g @ w.T, x.T @ g, g),
        lambda x, w, b, g: (g @ w.T, x.T @ g, g.mean(0)),
        lambda x, w, b, g: (g @ w.T, x.T @ g, g * 2),  # (batch, n_out), other values
    ],
    "bias_summed_over_wrong_axis": [lambda x, w, b, g: (g @ w.T, x.T @ g, g.sum(1))],
    "weight_gradient_averaged": [lambda x, w, b, g: (g @ w.T, x.T @ g / len(x), g.sum(0))],
}

MSE_MISTAKES = {
    "mse_missing_2_over_n": [lambda p, y: p - y],
    "mse_missing_1_over_n": [lambda p, y: 2 * (p - y)],
    "mse_missing_2": [lambda p, y: (p - y) / len(p)],
    "wrong_sign": [lambda p, y: 2 * (y - p) / len(p)],
    "returned_mae_gradient": [lambda p, y: np.sign(p - y) / len(p)],
}


def cases(table):
    return [(d, fn) for d, fns in table.items() for fn in (fns if isinstance(fns, list) else [fns])]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", cases(RELU_MISTAKES))
def test_relu_backward_mistakes_are_named(diagnosis, fn, seed):
    result = check_relu_backward(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", cases(LINEAR_MISTAKES))
def test_linear_backward_mistakes_are_named(diagnosis, fn, seed):
    result = check_linear_backward(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", cases(MSE_MISTAKES))
def test_mse_backward_mistakes_are_named(diagnosis, fn, seed):
    result = check_mse_backward(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_a_transposed_weight_gradient_is_named_on_square_weights_too():
    # A learner who transposes only when the shapes differ: right on every rectangular case.
    def fn(x, w, b, g):
        gw = x.T @ g
        return g @ w.T, (gw.T if gw.shape[0] == gw.shape[1] else gw), g.sum(0)

    result = check_linear_backward(fn)
    assert result.diagnosis == "missing_transpose" and result.case.output == "grad_weight"
    assert "n_in 4, n_out 4" in result.case.description


def test_the_checks_cover_batch_1_odd_widths_and_both_dtypes():
    seen = []

    def spy(x, w, b, g):
        seen.append((x.shape, w.shape, x.dtype))
        return g @ w.T, x.T @ g, g.sum(0)

    assert check_linear_backward(spy)
    assert any(s[0][0] == 1 for s in seen) and any(s[1][0] == 1 or s[1][1] == 1 for s in seen)
    assert any(s[1][0] % 2 == 1 and s[1][0] > 1 for s in seen)
    assert {s[2] for s in seen} == {np.dtype(np.float32), np.dtype(np.float64)}
