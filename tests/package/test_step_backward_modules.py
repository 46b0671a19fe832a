"""nn.step_backward_modules: one step per module, in the order of
`model.backward(loss_fn.backward())`; every gradient is that backward's and PyTorch's
(float64); the model's `.grad` and the arrays it kept for its own backward are left alone;
each step states its formulas with the shapes; the player's HTML is self-contained.

The player in a real browser is tested in tests/package/test_player_browser.py."""

import copy
import json
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, batch_sizes, seeds

from pybackprop import nn
from pybackprop.nn import ModuleBackwardPlayer, ModuleStep
from tests.package.test_nn import assert_close, to_torch

small_widths = st.integers(min_value=1, max_value=12)


@st.composite
def chapter8_models(draw):
    """(lin -> relu -> lin, x, target) in float64, with random sizes and values."""
    n, n_in, hidden, n_out = (
        draw(batch_sizes),
        draw(small_widths),
        draw(small_widths),
        draw(small_widths),
    )
    seed = draw(seeds())
    model = nn.Sequential(
        nn.Linear(n_in, hidden, rng=seed, dtype=np.float64),
        nn.ReLU(),
        nn.Linear(hidden, n_out, rng=seed + 1, dtype=np.float64),
    )
    x = draw(arrays((n, n_in)))
    target = draw(arrays((n, n_out)))
    return model, x, target


def player_data(html: str) -> dict:
    raw = re.search(r'<script type="application/json" class="pbp-data">(.*?)</script>', html, re.S)
    return json.loads(raw.group(1))


@settings(max_examples=60, deadline=None)
@given(case=chapter8_models(), leftover=st.none() | st.floats(-3, 3))
def test_steps_are_backwards_own_and_leave_grad_alone(case, leftover):
    model, x, target = case
    if leftover is not None:
        for p in model.parameters():  # gradients left over from earlier work
            p.grad = np.full_like(p.data, leftover)
    before = [None if p.grad is None else p.grad.copy() for p in model.parameters()]
    loss_fn = nn.MSELoss()

    steps = nn.step_backward_modules(model, loss_fn, x, target).steps
    for p, b in zip(model.parameters(), before, strict=True):
        if b is None:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad, b)

    # One step per module, the loss first, then the layers from the last.
    assert [s.module for s in steps] == [loss_fn, model[2], model[1], model[0]]
    assert [s.index for s in steps] == ["loss", "2", "1", "0"]
    assert steps[0].grad_out.shape == ()
    for earlier, later in zip(steps, steps[1:], strict=False):
        assert later.grad_out is earlier.grad_in  # what goes out of one comes into the next

    # The same numbers as model.backward(loss_fn.backward()) on a copy.
    twin, twin_loss = copy.deepcopy(model), nn.MSELoss()
    twin.zero_grad()
    twin_loss(twin(x), target)
    grad_pred = twin_loss.backward()
    grad_x = twin.backward(grad_pred)
    np.testing.assert_array_equal(steps[0].grad_in, grad_pred)
    np.testing.assert_array_equal(steps[-1].grad_in, grad_x)
    for step, layer in ((steps[1], twin[2]), (steps[3], twin[0])):
        assert set(step.param_grads) == {"weight", "bias"}
        np.testing.assert_array_equal(step.param_grads["weight"], layer.weight.grad)
        np.testing.assert_array_equal(step.param_grads["bias"], layer.bias.grad)
    assert steps[2].param_grads == {}


@settings(max_examples=40, deadline=None)
@given(case=chapter8_models())
def test_steps_equal_torch_autograd(case):
    model, x, target = case
    t_model = to_torch(model, np.float64)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    hidden = t_model[1](t_model[0](xt))
    pred = t_model[2](hidden)
    for t in (hidden, pred):
        t.retain_grad()
    torch.nn.functional.mse_loss(pred, torch.from_numpy(target)).backward()

    steps = nn.step_backward_modules(model, nn.MSELoss(), x, target).steps
    dtype = np.float64
    assert_close(steps[0].grad_in, pred.grad, dtype)
    assert_close(steps[1].grad_in, hidden.grad, dtype)
    assert_close(steps[3].grad_in, xt.grad, dtype)
    for step, t_layer in ((steps[1], t_model[2]), (steps[3], t_model[0])):
        assert_close(step.param_grads["weight"], t_layer.weight.grad.numpy().T, dtype)
        assert_close(step.param_grads["bias"], t_layer.bias.grad, dtype)


@settings(max_examples=30, deadline=None)
@given(case=chapter8_models())
def test_each_step_states_its_formulas_with_the_shapes(case):
    model, x, target = case
    (n, n_in), hidden, n_out = x.shape, model[0].n_out, target.shape[1]
    steps = nn.step_backward_modules(model, nn.MSELoss(), x, target).steps
    assert steps[1].formulas == (
        "grad_in = grad_out @ weight.T",
        "weight.grad += x.T @ grad_out",
        "bias.grad += grad_out.sum(0)",
    )
    assert steps[2].formulas == ("grad_in = grad_out * (x > 0)",)
    assert f"grad_in = grad_out @ weight.T: {(n, hidden)} @ {(hidden, n_in)} → {(n, n_in)}" in (
        steps[3].text
    )
    assert f"weight.grad += x.T @ grad_out: {(hidden, n)} @ {(n, n_out)} → {(hidden, n_out)}" in (
        steps[1].text
    )
    assert f"In: grad_out {(n, n_out)}." in steps[1].text
    assert f"Out: grad_in {(n, hidden)}." in steps[1].text
    assert steps[0].text.startswith("MSELoss() (the loss) runs backward. In: grad_out ().")


def test_the_model_can_still_go_back_through_its_own_last_forward():
    model = nn.Sequential(nn.Linear(3, 4, rng=0, dtype=np.float64), nn.ReLU())
    loss_fn = nn.MSELoss()
    x, target = np.ones((2, 3)), np.zeros((2, 4))
    loss_fn(model(x), target)
    nn.step_backward_modules(model, loss_fn, 2 * x, target)  # a different batch, aside
    model.backward(loss_fn.backward())  # still the first batch's backward
    expected = copy.deepcopy(model)
    expected.zero_grad()
    loss_fn(expected(x), target)
    expected.backward(loss_fn.backward())
    np.testing.assert_array_equal(model[0].weight.grad, expected[0].weight.grad)


def test_a_module_of_ones_own_runs_its_bwd():
    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

        def bwd(self, grad_out, x):
            return 2 * grad_out

    steps = nn.step_backward_modules(
        Double(), nn.MSELoss(), np.ones((2, 2)), np.zeros((2, 2))
    ).steps
    assert steps[1].index == ""
    assert steps[1].formulas == ("grad_in = Double.bwd(grad_out, x)",)
    np.testing.assert_array_equal(steps[1].grad_in, 2 * steps[0].grad_in)


def test_a_parameter_its_module_gives_no_gradient_shows_none():
    class Frozen(nn.Module):
        def __init__(self):
            self.scale = nn.Parameter(np.ones(1))

        def forward(self, x):
            return self.scale.data * x

        def bwd(self, grad_out, x):
            return self.scale.data * grad_out  # no scale.grad: None, as torch

    step = nn.step_backward_modules(Frozen(), nn.MSELoss(), np.ones((2, 2)), np.zeros((2, 2)))
    assert step.steps[1].param_grads == {"scale": None}


def test_nested_sequentials_are_opened():
    inner = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU())
    model = nn.Sequential(inner, nn.Linear(3, 1, rng=1))
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
    steps = nn.step_backward_modules(model, nn.MSELoss(), x, y).steps
    assert [s.index for s in steps] == ["loss", "1", "0.1", "0.0"]
    assert isinstance(steps[0], ModuleStep)


def test_player_html_is_self_contained_and_starts_at_step_0():
    model = nn.Sequential(nn.Linear(3, 5, rng=0), nn.ReLU(), nn.Linear(5, 1, rng=1))
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32)
    player = nn.step_backward_modules(model, nn.MSELoss(), x, y)
    assert isinstance(player, ModuleBackwardPlayer)
    html = player._repr_html_()
    without_namespace = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"(src|href)=|https?:|@import|url\(", without_namespace)
    assert "step 0 of 4" in html
    data = player_data(html)
    assert [s["text"] for s in data["steps"]] == [s.text for s in player.steps]
    assert data["start"]["g4"] == "grad 1"  # dL/dL, known before any step
    assert data["steps"][1]["grads"] == {
        "g2": "grad (4, 5)",
        "p3": "weight.grad (5, 1), bias.grad (1,)",
    }
    ids = set(re.findall(r'id="pbp-[0-9a-f]+-(\w+)"', html))
    for step in data["steps"]:
        assert set(step["on"]) | set(step["grads"]) <= ids


def test_bad_arguments_say_what_was_expected():
    model = nn.Linear(2, 1, rng=0)
    x, y = np.ones((3, 2), np.float32), np.zeros((3, 1), np.float32)
    with pytest.raises(TypeError, match=r"nn.MSELoss\(\)"):
        nn.step_backward_modules(model, nn.MSELoss, x, y)
    with pytest.raises(TypeError, match="Module"):
        nn.step_backward_modules(lambda x: x, nn.MSELoss(), x, y)


def test_cross_entropy_steps_and_the_losss_own_pending_backward():
    model = nn.Linear(4, 3, rng=0, dtype=np.float64)
    loss_fn = nn.CrossEntropyLoss()
    x, labels = np.random.default_rng(0).normal(size=(5, 4)), np.array([0, 2, 1, 1, 0])
    loss_fn(model(x), labels)  # a forward pass whose backward is still to come
    steps = nn.step_backward_modules(model, loss_fn, x, labels).steps
    assert steps[0].formulas == ("grad_in = grad_out * (softmax(logits) - one_hot(target)) / n",)
    np.testing.assert_array_equal(steps[0].grad_in, loss_fn.backward())


@settings(max_examples=30, deadline=None)
@given(n=batch_sizes, width=small_widths, seed=seeds(), data=st.data(), tail=st.booleans())
def test_a_module_used_twice_steps_as_model_backward_and_torch(n, width, seed, data, tail):
    lin, relu = nn.Linear(width, width, rng=seed, dtype=np.float64), nn.ReLU()
    layers = [lin, relu, lin] + ([relu] if tail else [])  # weight tying; one ReLU used twice
    model = nn.Sequential(*layers)
    x, target = data.draw(arrays((n, width))), data.draw(arrays((n, width)))

    steps = nn.step_backward_modules(model, nn.MSELoss(), x, target).steps
    assert [s.module for s in steps[1:]] == layers[::-1]
    weight = sum(s.param_grads["weight"] for s in steps if s.module is lin)
    bias = sum(s.param_grads["bias"] for s in steps if s.module is lin)

    twin, twin_loss = copy.deepcopy(model), nn.MSELoss()
    twin_loss(twin(x), target)
    np.testing.assert_array_equal(steps[-1].grad_in, twin.backward(twin_loss.backward()))
    np.testing.assert_array_equal(weight, twin[0].weight.grad)
    np.testing.assert_array_equal(bias, twin[0].bias.grad)

    t_lin = to_torch(lin, np.float64)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    pred = t_lin(torch.relu(t_lin(xt)))
    pred = torch.relu(pred) if tail else pred
    torch.nn.functional.mse_loss(pred, torch.from_numpy(target)).backward()
    assert_close(steps[-1].grad_in, xt.grad, np.float64)
    assert_close(weight, t_lin.weight.grad.numpy().T, np.float64)
    assert_close(bias, t_lin.bias.grad, np.float64)


def test_a_module_of_ones_own_used_twice_calling_a_shared_layer():
    class Block(nn.Module):  # calls its layer itself: the layer keeps one input per call
        def __init__(self):
            self.lin = nn.Linear(2, 2, rng=0, dtype=np.float64)

        def forward(self, x):
            return self.lin(x) * 2

        def bwd(self, grad_out, x):
            return self.lin.backward(grad_out * 2)

    block = Block()
    model = nn.Sequential(block, nn.ReLU(), block)
    x, target = np.arange(6.0).reshape(3, 2), np.ones((3, 2))
    steps = nn.step_backward_modules(model, nn.MSELoss(), x, target).steps
    twin, twin_loss = copy.deepcopy(model), nn.MSELoss()
    twin_loss(twin(x), target)
    np.testing.assert_array_equal(steps[-1].grad_in, twin.backward(twin_loss.backward()))
    weight = steps[1].param_grads["lin.weight"] + steps[3].param_grads["lin.weight"]
    np.testing.assert_array_equal(weight, twin[0].lin.weight.grad)
