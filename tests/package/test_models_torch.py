"""Whole models on MNIST against torch with the same initial weights: loss and every gradient."""

import numpy as np
import pytest
import torch
from strategies import F32_ATOL, F32_RTOL, F64_ATOL, F64_RTOL

from pybackprop import nn
from pybackprop.data import load_mnist


@pytest.fixture(scope="module")
def mnist():
    x_train, y_train, _, _ = load_mnist()
    return x_train, y_train


def assert_close(actual, expected: torch.Tensor, dtype) -> None:
    """Equal within `dtype`'s tolerance relative to the array's scale (sums of 784 terms)."""
    rtol, atol = (F32_RTOL, F32_ATOL) if dtype == np.float32 else (F64_RTOL, F64_ATOL)
    expected = expected.detach().numpy()
    assert np.asarray(actual).dtype == dtype
    scale = np.max(np.abs(expected), initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol + rtol * scale)


def twin_mlp(sizes: list[int], dtype, seed: int) -> tuple[nn.Sequential, torch.nn.Sequential]:
    """A Linear-ReLU-...-Linear MLP in pybackprop and the same one, same weights, in torch."""
    ours, theirs = [], []
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layer = nn.Linear(n_in, n_out, rng=seed + i, dtype=dtype)
        layer.bias.data[:] = np.random.default_rng(seed - i).standard_normal(n_out) * 0.1
        twin = torch.nn.Linear(n_in, n_out, dtype=tdtype)
        with torch.no_grad():
            twin.weight.copy_(torch.from_numpy(layer.weight.data.T))
            twin.bias.copy_(torch.from_numpy(layer.bias.data))
        ours += [layer, nn.ReLU()]
        theirs += [twin, torch.nn.ReLU()]
    return nn.Sequential(*ours[:-1]), torch.nn.Sequential(*theirs[:-1])


def assert_same_gradients(model: nn.Sequential, twin: torch.nn.Sequential, dtype) -> None:
    params, twin_params = model.parameters(), list(twin.parameters())
    assert len(params) == len(twin_params)
    for p, tp in zip(params, twin_params, strict=True):
        expected = tp.grad.T if tp.ndim == 2 else tp.grad  # torch's weight is (n_out, n_in)
        assert_close(p.grad, expected, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("start", [0, 5000])
def test_784_50_10_mlp_minibatch_loss_and_every_gradient_match_torch(mnist, dtype, start):
    x, y = mnist[0][start : start + 64].astype(dtype), mnist[1][start : start + 64]
    model, twin = twin_mlp([784, 50, 10], dtype, seed=start + 1)
    # as torch: no gradient before the first backward pass, which then assigns it
    assert all(p.grad is None for p in model.parameters())
    assert all(tp.grad is None for tp in twin.parameters())
    loss_fn = nn.CrossEntropyLoss()
    loss = loss_fn(model(x), y)
    grad_x = model.backward(loss_fn.backward())

    xt = torch.from_numpy(x.copy()).requires_grad_()
    loss_t = torch.nn.functional.cross_entropy(twin(xt), torch.from_numpy(y))
    loss_t.backward()
    assert_close(loss, loss_t, dtype)
    assert_close(grad_x, xt.grad, dtype)
    assert_same_gradients(model, twin, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lesson13_784_50_1_mse_model_on_1000_rows_matches_torch(mnist, dtype):
    # Lesson 13 regresses the digit itself (as a float) with one output unit.
    x, y = mnist[0][:1000].astype(dtype), mnist[1][:1000].astype(dtype)[:, None]
    model, twin = twin_mlp([784, 50, 1], dtype, seed=13)
    loss_fn = nn.MSELoss()
    out = model(x)
    loss = loss_fn(out, y)
    grad_x = model.backward(loss_fn.backward())

    xt = torch.from_numpy(x.copy()).requires_grad_()
    out_t = twin(xt)
    loss_t = torch.nn.functional.mse_loss(out_t, torch.from_numpy(y))
    loss_t.backward()
    assert_close(out, out_t, dtype)
    assert_close(loss, loss_t, dtype)
    assert_close(grad_x, xt.grad, dtype)
    assert_same_gradients(model, twin, dtype)
