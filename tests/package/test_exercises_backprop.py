"""pybackprop.exercises.backprop: the sigmoid, MAE and 3-layer network checks pass torch's answers
and name each mistake, written on purpose, on any seed.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from strategies import seeds

from pybackprop.exercises import check_mae_backward, check_mlp_backward, check_sigmoid_backward


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def torch_sigmoid_backward(x, grad_out):
    xt = t(x).requires_grad_()
    torch.sigmoid(xt).backward(t(grad_out))
    return xt.grad.numpy()


def torch_mae_backward(pred, target):
    pt = t(pred).requires_grad_()
    torch.nn.functional.l1_loss(pt, t(target)).backward()
    return pt.grad.numpy()


def torch_mlp_backward(x, target, *params):
    ps = [t(p).requires_grad_() for p in params]
    w1, b1, w2, b2, w3, b3 = ps
    out = torch.relu(torch.relu(t(x) @ w1 + b1) @ w2 + b2) @ w3 + b3
    torch.nn.functional.mse_loss(out[:, 0], t(target)).backward()
    return tuple(p.grad.numpy() for p in ps)


def numpy_mlp_backward(x, target, w1, b1, w2, b2, w3, b3):
    l1 = x @ w1 + b1
    h1 = np.maximum(l1, 0)
    l2 = h1 @ w2 + b2
    h2 = np.maximum(l2, 0)
    g = 2 * ((h2 @ w3 + b3)[:, 0] - target)[:, None] / len(target)
    gw3, gb3 = h2.T @ g, g.sum(0)
    g = (g @ w3.T) * (l2 > 0)
    gw2, gb2 = h1.T @ g, g.sum(0)
    g = (g @ w2.T) * (l1 > 0)
    return x.T @ g, g.sum(0), gw2, gb2, gw3, gb3


def sig(x):
    return 1 / (1 + np.exp(-x))


SIGMOID_MISTAKES = {
    "sigmoid_derivative_of_input": lambda x, g: g * x * (1 - x),
    "missing_grad_out": lambda x, g: sig(x) * (1 - sig(x)),
    "returned_forward": lambda x, g: g * sig(x),
    "wrong_sign": lambda x, g: g * sig(x) * (sig(x) - 1),
}

MAE_MISTAKES = {
    "mae_missing_1_over_n": lambda p, y: np.sign(p - y),
    "mae_sign_at_zero": lambda p, y: np.where(p - y > 0, 1.0, -1.0).astype(p.dtype) / len(p),
    "wrong_sign": lambda p, y: np.sign(y - p) / len(p),
    "returned_mse_gradient": lambda p, y: 2 * (p - y) / len(p),
}


def mlp_with(relu_last=False, mask=True, scale=2.0, mask_from_grad=False, over_n=True):
    def fn(x, target, w1, b1, w2, b2, w3, b3):
        l1 = x @ w1 + b1
        h1 = np.maximum(l1, 0)
        l2 = h1 @ w2 + b2
        h2 = np.maximum(l2, 0)
        pre = h2 @ w3 + b3
        out = np.maximum(pre, 0) if relu_last else pre
        g = scale * (out[:, 0] - target)[:, None] / (len(target) if over_n else 1)
        if relu_last:
            g = g * (pre > 0)

        def through(g, l):
            return g if not mask else g * ((g > 0) if mask_from_grad else (l > 0))

        gw3, gb3 = h2.T @ g, g.sum(0)
        g = through(g @ w3.T, l2)
        gw2, gb2 = h1.T @ g, g.sum(0)
        g = through(g @ w2.T, l1)
        return x.T @ g, g.sum(0), gw2, gb2, gw3, gb3

    return fn


MLP_MISTAKES = {
    "relu_after_last_layer": mlp_with(relu_last=True),
    "missing_relu_backward": mlp_with(mask=False),
    "relu_mask_from_grad_out": mlp_with(mask_from_grad=True),
    "mse_missing_2": mlp_with(scale=1.0),
    "mse_missing_1_over_n": mlp_with(over_n=False),
    "mse_missing_2_over_n": mlp_with(scale=1.0, over_n=False),
}

CHECKS = {
    "sigmoid": (check_sigmoid_backward, torch_sigmoid_backward),
    "mae": (check_mae_backward, torch_mae_backward),
    "mlp": (check_mlp_backward, torch_mlp_backward),
}


@pytest.mark.parametrize("name", list(CHECKS))
@settings(max_examples=5, deadline=None)
@given(seed=seeds())
def test_torchs_gradients_pass_for_any_seed(name, seed):
    check, good = CHECKS[name]
    result = check(good, seed=seed)
    assert result.passed and result.diagnosis is None, str(result)


def test_a_numpy_mlp_backward_passes():
    assert check_mlp_backward(numpy_mlp_backward)


def nn_mlp_backward(x, target, w1, b1, w2, b2, w3, b3):
    """The network built from pybackprop.nn's layers, its gradients by their backward passes."""
    from pybackprop import nn

    lins = [nn.Linear(*w.shape, dtype=w.dtype) for w in (w1, w2, w3)]
    for lin, w, b in zip(lins, (w1, w2, w3), (b1, b2, b3), strict=True):
        lin.weight.data[...], lin.bias.data[...] = w, b
    model = nn.Sequential(lins[0], nn.ReLU(), lins[1], nn.ReLU(), lins[2])
    loss = nn.MSELoss()
    loss(model(x), target[:, None])
    model.backward(loss.backward())
    return tuple(p.grad for p in model.parameters())


def test_the_packages_own_layers_pass():
    assert check_mlp_backward(nn_mlp_backward)


def test_the_starter_code_is_all_zeros():
    def starter(x, target, *params):
        return tuple(np.zeros_like(p) for p in params)

    assert check_mlp_backward(starter).diagnosis == "all_zeros"


@settings(max_examples=5, deadline=None)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", list(SIGMOID_MISTAKES.items()))
def test_sigmoid_backward_mistakes_are_named(diagnosis, fn, seed):
    result = check_sigmoid_backward(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


@settings(max_examples=5, deadline=None)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", list(MAE_MISTAKES.items()))
def test_mae_backward_mistakes_are_named(diagnosis, fn, seed):
    result = check_mae_backward(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_the_sign_at_zero_is_named_only_on_cases_with_ties():
    result = check_mae_backward(MAE_MISTAKES["mae_sign_at_zero"])
    assert "some pred == target" in result.case.description


@settings(max_examples=3, deadline=None)
@given(seed=seeds())
@pytest.mark.parametrize("diagnosis, fn", list(MLP_MISTAKES.items()))
def test_mlp_backward_mistakes_are_named(diagnosis, fn, seed):
    result = check_mlp_backward(fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_the_broadcasting_trap_in_the_mlp_is_a_shape_mismatch_with_a_hint():
    def trapped(x, target, w1, b1, w2, b2, w3, b3):
        h1 = np.maximum(x @ w1 + b1, 0)
        h2 = np.maximum(h1 @ w2 + b2, 0)
        g = 2 * ((h2 @ w3 + b3) - target) / len(target)  # (n, 1) - (n,): (n, n)
        return x.T @ (g @ w3.T), b1, w2, b2, h2.T @ g, g.sum(0)

    result = check_mlp_backward(trapped)
    assert not result.passed and result.diagnosis in ("shape_mismatch", "wrong_shape")
    assert result.diagnosis != "shape_mismatch" or "(batch, 1)" in result.message


@pytest.mark.parametrize("name", list(CHECKS))
def test_an_exception_is_reported_not_raised(name):
    check, _ = CHECKS[name]

    def broken(*args):
        return args[0] * undefined_name  # noqa: F821

    result = check(broken)
    assert not result.passed and result.diagnosis == "exception"
    assert "undefined_name" in result.learner_line


@pytest.mark.parametrize("name", list(CHECKS))
def test_the_report_is_the_same_for_the_same_seed(name):
    check, good = CHECKS[name]

    def off(*args):
        out = good(*args)
        return tuple(1.5 * o for o in out) if isinstance(out, tuple) else 1.5 * out

    for fn in (good, off):
        assert str(check(fn, seed=7)) == str(check(fn, seed=7))
    assert str(check(off, seed=1)) != str(check(off, seed=2))


def test_large_inputs_do_not_warn_in_the_sigmoid_check():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_sigmoid_backward(lambda x, g: g * sig(x) * (1 - sig(x)))
