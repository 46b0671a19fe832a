"""pybackprop.exercises.scalar: check_value_backward agrees with torch's autograd on every op,
names the usual calculus slips, and rejects unknown ops."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds

from pybackprop.exercises import check_value_backward
from pybackprop.exercises.scalar import _OPS

TORCH_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda x, n: x**n,
    "neg": lambda x: -x,
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
}


def torch_local_grad(op):
    """The learner's function for `op`, computed by torch's autograd in float64."""

    def fn(*args):
        if op == "pow":
            x = torch.tensor(args[0], dtype=torch.float64, requires_grad=True)
            TORCH_OPS[op](x, args[1]).backward()
            return x.grad.item()
        ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in args]
        TORCH_OPS[op](*ts).backward()
        grads = tuple(t.grad.item() for t in ts)
        return grads if len(grads) == 2 else grads[0]

    return fn


def test_every_supported_op_is_tested_against_torch():
    assert set(TORCH_OPS) == set(_OPS)


@settings(max_examples=10)
@given(seed=seeds())
@pytest.mark.parametrize("op", sorted(TORCH_OPS))
def test_torchs_local_derivatives_pass(op, seed):
    result = check_value_backward(op, torch_local_grad(op), seed=seed)
    assert result.passed and result.diagnosis is None, str(result)


def sig(x):
    return 1 / (1 + math.exp(-x))


MISTAKES = [
    ("sub", "wrong_sign", lambda a, b: (1.0, 1.0)),
    ("mul", "swapped_partials", lambda a, b: (a, b)),
    ("div", "wrong_sign", lambda a, b: (1 / b, a / b**2)),
    ("div", "swapped_partials", lambda a, b: (-a / b**2, 1 / b)),
    ("div", "missing_square", lambda a, b: (1 / b, -a / b)),
    ("pow", "exponent_not_decreased", lambda x, n: n * x**n),
    ("pow", "missing_factor_n", lambda x, n: x ** (n - 1)),
    ("neg", "wrong_sign", lambda x: 1.0),
    ("exp", "power_rule_on_exp", lambda x: x * math.exp(x - 1)),
    ("log", "returned_forward", math.log),
    ("log", "wrong_sign", lambda x: -1 / x),
    ("tanh", "returned_forward", math.tanh),
    ("tanh", "derivative_at_input", lambda x: 1 - x**2),
    ("tanh", "missing_square", lambda x: 1 - math.tanh(x)),
    ("sigmoid", "returned_forward", sig),
    ("sigmoid", "derivative_at_input", lambda x: x * (1 - x)),
    ("relu", "returned_forward", lambda x: max(x, 0.0)),
    ("relu", "wrong_mask", lambda x: float(x < 0)),
    ("mul", "wrong_tuple_length", lambda a, b: b),
    ("tanh", "wrong_type", lambda x: (1 - math.tanh(x) ** 2,)),
    ("exp", "exception", lambda x: math.exp(x) / 0),
]


@settings(max_examples=5)
@given(seed=seeds())
@pytest.mark.parametrize("op, diagnosis, fn", MISTAKES)
def test_each_mistake_is_named(op, diagnosis, fn, seed):
    result = check_value_backward(op, fn, seed=seed)
    assert not result.passed and result.diagnosis == diagnosis, str(result)


def test_returning_a_value_instead_of_a_number_is_named():
    from pybackprop import Value

    result = check_value_backward("exp", lambda x: Value(x).exp())
    assert result.diagnosis == "returned_value_object" and ".data" in result.message


def test_points_stay_in_each_ops_domain():
    seen = {op: [] for op in ("log", "relu", "div", "pow")}
    for op, points in seen.items():

        def spy(*args, op=op, points=points):
            points.append(args)
            return torch_local_grad(op)(*args)

        assert check_value_backward(op, spy)
    assert all(x > 0 for (x,) in seen["log"]) and all(abs(x) >= 0.1 for (x,) in seen["relu"])
    assert all(abs(b) >= 0.5 for _, b in seen["div"])
    assert all(x > 0 or float(n).is_integer() for x, n in seen["pow"])
    assert any(x < 0 for x, _ in seen["pow"])  # negative bases with integer powers are tried


@given(seed=seeds(), constant=st.sampled_from([0.0, 1.0]))
def test_a_relu_rule_right_on_one_side_only_fails_on_any_seed(seed, constant):
    assert not check_value_backward("relu", lambda x: constant, seed=seed)


def test_an_unknown_op_is_a_value_error_listing_the_supported_ones():
    with pytest.raises(ValueError, match=r"unknown op 'sqrt'; supported ops: add, div, exp"):
        check_value_backward("sqrt", math.sqrt)
