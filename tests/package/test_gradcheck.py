"""pybackprop.gradcheck: passes on every module and correct backward; pinpoints a wrong one."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds

from pybackprop import GradcheckError, gradcheck, nn

small = st.integers(min_value=1, max_value=5)


def mlp(rng: int, dtype=np.float32) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(4, 5, rng=rng, dtype=dtype), nn.ReLU(), nn.Linear(5, 3, rng=rng + 1, dtype=dtype)
    )


@settings(max_examples=30)
@given(batch=small, n_in=small, n_out=small, bias=st.booleans(), seed=seeds())
def test_passes_on_linear(batch, n_in, n_out, bias, seed):
    x = np.random.default_rng(seed).standard_normal((batch, n_in))
    assert gradcheck(nn.Linear(n_in, n_out, bias=bias, rng=seed), x) is True


@settings(max_examples=30)
@given(seed=seeds())
def test_passes_on_relu_sequential_and_losses(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    assert gradcheck(nn.ReLU(), x)
    assert gradcheck(mlp(seed % 1000), x)
    assert gradcheck(nn.MSELoss(), rng.standard_normal((3, 2)), rng.standard_normal((3, 2)))
    assert gradcheck(nn.CrossEntropyLoss(), rng.standard_normal((3, 4)), rng.integers(0, 4, 3))


def linear(x, w, b):
    return x @ w + b


def linear_backward(grad_out, x, w, b):
    return grad_out @ w.T, x.T @ grad_out, grad_out.sum(0)


def test_passes_on_a_function_with_its_backward():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    assert gradcheck(linear, x, w, b, backward=linear_backward)


def test_function_backward_may_return_a_bare_array_or_none_for_labels():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    assert gradcheck(np.tanh, x, backward=lambda g, x: g * (1 - np.tanh(x) ** 2))
    y = rng.integers(0, 3, 4)

    def pick(x, y):
        return x[np.arange(len(y)), y]

    def pick_backward(g, x, y):
        grad = np.zeros_like(x)
        grad[np.arange(len(y)), y] = g
        return grad, None

    assert gradcheck(pick, x, y, backward=pick_backward)


def test_function_checks_agree_with_torch_gradcheck():
    """torch's own gradcheck accepts the same function that ours accepts."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    assert gradcheck(linear, x, w, b, backward=linear_backward)
    tensors = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    assert torch.autograd.gradcheck(linear, tensors)


class LinearWithMeanBias(nn.Linear):
    """A classic mistake: averaging the bias gradient over the batch instead of summing it."""

    def bwd_params(self, grad_out, x):
        self.weight.grad += x.T @ grad_out
        self.bias.grad += grad_out.mean(axis=0)


def test_raises_on_a_wrong_module_backward_naming_parameter_index_and_values():
    x = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(GradcheckError) as info:
        gradcheck(nn.Sequential(LinearWithMeanBias(3, 2, rng=0), nn.ReLU()), x)
    message = str(info.value)
    assert "parameter '0.bias' at index (" in message
    assert "analytical" in message and "numerical" in message


class ReLUWrongAtNegatives(nn.ReLU):
    def bwd(self, grad_out, x):
        return grad_out  # forgets the mask: passes gradient through negative inputs too


def test_raises_on_a_wrong_input_gradient_with_the_reported_values():
    x = np.array([[1.0, -2.0, 3.0]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(ReLUWrongAtNegatives(), x, rng=0)
    u = np.random.default_rng(0).standard_normal((1, 3))
    message = str(info.value)
    assert "input 0 at index (0, 1)" in message
    assert f"analytical {u[0, 1]:.6g}, numerical 0" in message
    assert "1 of 3 entries disagree" in message


def test_raises_on_a_wrong_function_backward_naming_the_input():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)

    def bias_from_first_row(grad_out, x, w, b):
        return grad_out @ w.T, x.T @ grad_out, grad_out[0]

    with pytest.raises(GradcheckError, match=r"input 2 at index \(\d,\): analytical"):
        gradcheck(linear, x, w, b, backward=bias_from_first_row)


def test_raises_when_backward_returns_the_wrong_number_or_shape_of_gradients():
    x = np.ones((2, 3))
    with pytest.raises(GradcheckError, match=r"returned 1 gradient\(s\) for 2 input\(s\)"):
        gradcheck(lambda a, b: a * b, x, x, backward=lambda g, a, b: (g * b,))
    with pytest.raises(GradcheckError, match=r"input 0 should have shape \(2, 3\).*\(3,\)"):
        gradcheck(lambda a: a * 2, x, backward=lambda g, a: np.ones(3))


def test_a_function_without_backward_is_a_type_error():
    with pytest.raises(TypeError, match="needs backward="):
        gradcheck(np.tanh, np.ones(3))


def test_leaves_inputs_and_module_parameters_unchanged():
    model = mlp(0)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x0 = x.copy()
    before = [(p.data, p.data.copy(), p.grad) for p in model.parameters()]
    gradcheck(model, x)
    np.testing.assert_array_equal(x, x0)
    for p, (data, values, grad) in zip(model.parameters(), before, strict=True):
        assert p.data is data and p.grad is grad and p.data.dtype == np.float32
        np.testing.assert_array_equal(p.data, values)
        assert not np.any(p.grad)


def test_inputs_as_one_tuple_as_torch_takes_them():
    """torch.autograd.gradcheck(fn, (x,)): the tuple habit gives the same check."""
    x = np.random.default_rng(1).standard_normal((2, 4))
    assert gradcheck(mlp(1), (x,)) and gradcheck(mlp(1), x)
    w = np.random.default_rng(2).standard_normal((4, 3))

    def matmul_backward(grad_out, x, w):
        return grad_out @ w.T, x.T @ grad_out

    assert gradcheck(lambda x, w: x @ w, (x, w), backward=matmul_backward)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda x, w: x @ w, (x, w), backward=lambda g, x, w: (g @ w.T, x.T @ g / 2))


# A call that would compare nothing is refused, each for its own reason (and only that one).
NOTHING_TO_COMPARE = {
    "no-inputs": (lambda: gradcheck(lambda x: x**2, backward=lambda g, x: 2 * x * g), ValueError),
    "none-gradients": (
        lambda: gradcheck(lambda x: x**2, np.array([1.0, 2.0]), backward=lambda g, x: None),
        GradcheckError,
    ),
    "integer-inputs": (  # a wrong backward, which integer inputs would let pass unchecked
        lambda: gradcheck(lambda x: x**2, np.array([1, 2]), backward=lambda g, x: 0 * x),
        TypeError,
    ),
}
REASONS = {
    "no-inputs": "needs the inputs",
    "none-gradients": "returned None for every floating-point input",
    "integer-inputs": "got only int64",
}


@pytest.mark.parametrize("case", NOTHING_TO_COMPARE)
def test_a_call_that_would_compare_nothing_is_refused_with_its_own_reason(case):
    call, error = NOTHING_TO_COMPARE[case]
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert REASONS[case] in message
    assert not [other for name, other in REASONS.items() if name != case and other in message]


def test_a_none_gradient_beside_a_checked_one_is_still_allowed_for_labels():
    x, labels = np.array([[1.0, -2.0]]), np.array([0])
    assert gradcheck(lambda x, y: x * 2, x, labels, backward=lambda g, x, y: (2 * g, None))


class SquareInPlace(nn.Module):
    """x**2 whose backward multiplies grad_out in place by `factor * x` (2 is right)."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * x

    def bwd(self, grad_out, x):
        grad_out *= self.factor * x
        return grad_out


@settings(max_examples=30)
@given(
    shape=st.lists(small, min_size=1, max_size=3).map(tuple),
    seed=seeds(),
    factor=st.sampled_from([2.0, 1.0, 3.0, -2.0]),
)
def test_a_backward_updating_grad_out_in_place_is_judged_on_its_gradient(shape, seed, factor):
    """As torch.autograd.gradcheck: backward gets a copy of u, so in place is no mistake."""
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)  # no entry near 0

    def backward(g, a):
        return np.multiply(g, factor * a, out=g)

    checks = [lambda: gradcheck(SquareInPlace(factor), x, rng=seed),
              lambda: gradcheck(lambda a: a * a, x, backward=backward, rng=seed)]  # fmt: skip
    for check in checks:
        if factor == 2.0:
            assert check() is True
        else:
            with pytest.raises(GradcheckError, match=r"input 0 at index"):
                check()
