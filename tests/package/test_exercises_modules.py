"""pybackprop.exercises.check_module: a learner's module against finite differences of its own
forward pass; each named mistake, written on purpose, is recognised.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds

from pybackprop import nn
from pybackprop.exercises import check_module


class Sigmoid(nn.Module):
    def forward(self, x):
        return 1 / (1 + np.exp(-x))

    def bwd(self, out_g, x):
        # torch's autograd, so that the check's finite differences are compared with torch
        xt = torch.from_numpy(x).requires_grad_()
        torch.sigmoid(xt).backward(torch.from_numpy(out_g))
        return xt.grad.numpy()


class MyLinear(nn.Module):
    """A linear layer whose bwd fills .grad by ``fill``: accumulate_grad, "=", "+=" or not."""

    def __init__(self, fill="accumulate_grad"):
        rng = np.random.default_rng(0)
        self.weight = nn.Parameter(rng.standard_normal((4, 3)))
        self.bias = nn.Parameter(rng.standard_normal(3))
        self.fill = fill

    def forward(self, x):
        return x @ self.weight.data + self.bias.data

    def bwd(self, out_g, x):
        if self.fill == "accumulate_grad":
            self.weight.accumulate_grad(x.T @ out_g)
            self.bias.accumulate_grad(out_g.sum(0))
        elif self.fill == "=":
            self.weight.grad = x.T @ out_g
            self.bias.grad = out_g.sum(0)
        elif self.fill == "+=":
            self.weight.grad += x.T @ out_g
            self.bias.grad += out_g.sum(0)
        return out_g @ self.weight.data.T


class Plain:
    """The chapter's own Module style: no parameters(), backward returns dL/dx."""

    def __call__(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, out_g):
        return out_g * (1 - np.tanh(self.x) ** 2)


def sigmoid_with(bwd):
    return type("Learner", (Sigmoid,), {"bwd": lambda self, g, x: bwd(x, g)})


def s(x):
    return 1 / (1 + np.exp(-x))


class ReluMaskedByGradient:
    def __call__(self, x):
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return grad_out * (grad_out > 0)


GOOD = {
    "sigmoid": (Sigmoid, None),
    "nn.Linear": (lambda: nn.Linear(4, 3), 4),
    "nn.Sequential": (lambda: nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)), 4),
    "own parameters": (MyLinear, 4),
    "no parameters()": (Plain, None),
}

MISTAKES = {
    "backward_returns_grad_out": (sigmoid_with(lambda x, g: g), None),
    "missing_grad_out": (sigmoid_with(lambda x, g: s(x) * (1 - s(x))), None),
    "wrong_sign": (sigmoid_with(lambda x, g: -g * s(x) * (1 - s(x))), None),
    "relu_mask_from_grad_out": (ReluMaskedByGradient, None),
    "parameter_grad_not_filled": (lambda: MyLinear(fill=None), 4),
    "grad_not_accumulated": (lambda: MyLinear(fill="="), 4),
    "grad_is_none": (lambda: MyLinear(fill="+="), 4),
}


@pytest.mark.parametrize("name", list(GOOD))
@settings(max_examples=3, deadline=None)
@given(seed=seeds())
def test_a_right_module_passes_for_any_seed(name, seed):
    make, in_features = GOOD[name]
    result = check_module(make, in_features, seed=seed)
    assert result.passed and result.diagnosis is None, str(result)


@pytest.mark.parametrize("diagnosis", list(MISTAKES))
@settings(max_examples=3, deadline=None)
@given(seed=seeds())
def test_module_mistakes_are_named(diagnosis, seed):
    make, in_features = MISTAKES[diagnosis]
    result = check_module(make, in_features, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_a_container_that_does_not_reverse_its_layers_is_reported_with_the_learners_line():
    class Forward(nn.Sequential):
        def bwd(self, grad_out, x):
            for m in self.layers:
                grad_out = m.backward(grad_out)
            return grad_out

    result = check_module(lambda: Forward(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), 4)
    assert not result.passed and result.diagnosis == "layers_not_reversed", str(result)
    assert "reversed(self.layers)" in result.message and "transpose" not in result.message
    assert "grad_out = m.backward(grad_out)" in result.learner_line


@pytest.mark.parametrize("where", ["init", "forward", "bwd"])
def test_an_exception_anywhere_in_the_module_is_reported_not_raised(where):
    class Broken(Sigmoid):
        def __init__(self):
            if where == "init":
                undefined_in_init  # noqa: B018, F821

        def forward(self, x):
            if where == "forward":
                return undefined_in_forward  # noqa: F821
            return super().forward(x)

        def bwd(self, g, x):
            return undefined_in_bwd  # noqa: F821

    result = check_module(Broken)
    assert not result.passed and result.diagnosis == "exception"
    name = f"undefined_in_{where}"
    assert name in result.message and name in result.learner_line


def test_a_forward_that_returns_a_list_or_a_non_callable_is_named():
    class Listy(Sigmoid):
        def forward(self, x):
            return list(x)

    assert check_module(Listy).diagnosis == "wrong_type"
    assert check_module(None).diagnosis == "not_callable"
    assert check_module(Sigmoid()).diagnosis == "passed_instance"


def test_a_forward_that_modifies_its_input_is_named():
    class InPlace(Sigmoid):
        def forward(self, x):
            x *= 1.0 + 1e-3
            return super().forward(x)

    assert check_module(InPlace).diagnosis == "modified_input_in_place"


def test_the_report_is_the_same_for_the_same_seed():
    make, _ = MISTAKES["wrong_sign"]
    assert str(check_module(make, seed=3)) == str(check_module(make, seed=3))
    assert str(check_module(make, seed=3)) != str(check_module(make, seed=4))


def test_float32_parameters_are_checked_in_float64_and_left_alone():
    layer = nn.Linear(4, 3)
    before = layer.weight.data.copy()
    assert check_module(lambda: layer, 4)
    assert layer.weight.data.dtype == np.float32 and np.array_equal(layer.weight.data, before)
    assert layer.weight.grad is None


class _GeneralReLU(nn.Module):
    """Chapter 11's general ReLU: leaky_relu(x) - shift."""

    def __init__(self, leak=0.1, shift=0.4):
        self.leak, self.shift = leak, shift

    def forward(self, x):
        return np.where(x > 0, x, self.leak * x) - self.shift

    def bwd(self, grad_out, x):
        return np.where(x > 0, grad_out, self.leak * grad_out)


class _HardCodedLeak(_GeneralReLU):
    def bwd(self, grad_out, x):
        return np.where(x > 0, grad_out, 0.1 * grad_out)  # the default leak, written in


@settings(max_examples=5)
@given(seed=seeds(), leak=st.sampled_from([0.01, 0.2, 0.3, 0.5]))
def test_a_module_built_with_its_own_settings_is_checked_with_them(seed, leak):
    # chapter 11 builds its GeneralReLU with a leak other than the default, for this reason
    assert check_module(lambda: _GeneralReLU(leak=leak, shift=0.2), seed=seed).passed
    assert not check_module(lambda: _HardCodedLeak(leak=leak, shift=0.2), seed=seed).passed
