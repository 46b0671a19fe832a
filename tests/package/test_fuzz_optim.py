"""Fuzzing the optimisers' and OneCycleLR's constructors: any hyperparameter value (a bool, a
string, None, NaN, inf, a negative, a numpy scalar) and any parameter list (empty, a
generator, duplicates, arrays) is either accepted and then steps exactly as torch's, or refused
with a TypeError (not a number, not parameters) or ValueError (out of range, empty,
duplicates) naming the class and the argument. Whatever torch refuses, we refuse too."""

import math
import numbers
import warnings

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FUZZ_EXAMPLES
from test_fuzz_functional import call, refused_clearly

from pybackprop import nn
from pybackprop.optim import SGD, Adam
from pybackprop.optim.lr_scheduler import OneCycleLR

NOT_NUMBERS = [True, np.bool_(False), "0.1", None, 1j, [0.1], np.ones(2)]
VALUES = [0, 0.1, 0.5, 0.9, 1, 2.5, np.float32(0.25), np.int64(0), np.array(0.3)]
BAD_VALUES = [-0.1, -1, math.nan, math.inf, -math.inf, 1e400]
ANY_VALUE = st.sampled_from(NOT_NUMBERS + VALUES + BAD_VALUES)
X0 = np.random.default_rng(0).standard_normal((2, 3))
GRADS = np.random.default_rng(1).standard_normal((3, 2, 3))

OURS = {"SGD": SGD, "Adam": Adam}
THEIRS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam}
# Each argument with a value that is valid for the others.
ARGUMENTS = {
    "SGD": {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01},
    "Adam": {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01},
}


def is_number(v) -> bool:
    """A real number: a Python or numpy one or a 0-d array of one; not a bool."""
    if isinstance(v, bool | np.bool_):
        return False
    zero_d = isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "iuf"
    return zero_d or isinstance(v, numbers.Real)


def torch_result(name: str, kwargs: dict) -> np.ndarray:
    """torch's parameter after three steps from X0 with GRADS."""
    p = torch.nn.Parameter(torch.from_numpy(X0.copy()))
    opt = THEIRS[name]([p], **kwargs)
    for g in GRADS:
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    return p.detach().numpy()


def our_result(opt, p) -> np.ndarray:
    for g in GRADS:
        p.grad = g.copy()
        opt.step()
    return p.data


def wrong_type(arg: str, value) -> bool:
    """Whether `value` is of a kind `arg` never takes (a TypeError), not a wrong value."""
    if arg != "betas":
        return not is_number(value)
    if not isinstance(value, tuple | list):
        return True
    return len(value) == 2 and not all(is_number(v) for v in value)


def python(v):
    """numpy numbers as Python ones, and a pair's numbers as floats (as torch wants betas)."""
    if isinstance(v, tuple | list):
        return type(v)(float(b) if is_number(b) and np.ndim(b) == 0 else b for b in v)
    numpy_number = isinstance(v, np.generic | np.ndarray) and np.ndim(v) == 0
    return v.item() if numpy_number and v.dtype.kind in "iuf" else v


def plain(v):
    """v as torch is given it when comparing numbers: Python floats (betas a tuple of them)."""
    return tuple(float(b) for b in v) if isinstance(v, tuple | list) else float(v)


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    name=st.sampled_from(["SGD", "Adam"]),
    data=st.data(),
    value=ANY_VALUE,
)
def test_hyperparameters_step_as_torchs_or_are_refused_by_name(name, data, value):
    arg = data.draw(st.sampled_from(sorted(ARGUMENTS[name])))
    kwargs = dict(ARGUMENTS[name])
    if arg == "betas":  # one beta fuzzed, or the pair itself
        pair = data.draw(st.sampled_from([0, 1, None]))
        kwargs["betas"] = (
            data.draw(st.sampled_from([0.9, None, "ab", (0.9,), (0.5, 0.9, 0.99), [0.8, 0.9]]))
            if pair is None
            else tuple(value if i == pair else b for i, b in enumerate(kwargs["betas"]))
        )
        value = kwargs["betas"]
    else:
        kwargs[arg] = value
    p = nn.Parameter(X0.copy())
    opt, error = call(OURS[name], [p], **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # torch refuses betas=(0, 0.999), (np.float32(0.9), 0.999), pct_start=0 or
        # total_steps=np.int64(5) for their types, not values: it gets Python numbers.
        _, torch_error = call(
            THEIRS[name], [torch.nn.Parameter(torch.zeros(1))], **{arg: python(value)}
        )
    if error is not None:
        refused_clearly(error, name, arg)
        assert isinstance(error, TypeError) == wrong_type(arg, value)
        return
    assert torch_error is None, f"torch refuses {arg}={value!r}: {torch_error}"
    assert all(math.isfinite(v) for v in np.ravel(plain(value)))
    expected = torch_result(name, {k: plain(v) for k, v in kwargs.items()})
    np.testing.assert_allclose(our_result(opt, p), expected, rtol=1e-10, atol=1e-12)


PARAMS = [nn.Parameter(X0.copy()) for _ in range(3)]


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    name=st.sampled_from(["SGD", "Adam"]),
    picks=st.lists(st.integers(0, 2), max_size=4),
    wrap=st.sampled_from([list, tuple, iter, lambda ps: (p for p in ps)]),
)
def test_any_iterable_of_distinct_parameters_is_taken_and_no_other(name, picks, wrap):
    params = [PARAMS[i] for i in picks]
    opt, error = call(OURS[name], wrap(params), lr=0.1)
    if error is not None:
        refused_clearly(error, name, "parameter")
        assert isinstance(error, ValueError)
        assert not picks or len(set(picks)) < len(picks)
        if not picks:  # torch refuses an empty list too
            _, torch_error = call(THEIRS[name], [], lr=0.1)
            assert isinstance(torch_error, ValueError)
        return
    assert picks and len(set(picks)) == len(picks) and opt.params == params


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    name=st.sampled_from(["SGD", "Adam"]),
    params=st.sampled_from(
        [
            None,
            5,
            "ab",
            X0.copy(),
            [X0.copy()],
            [{"params": PARAMS[:1]}],
            PARAMS[0],
            nn.Linear(2, 1, rng=0),
        ]
    ),
)
def test_what_is_not_parameters_is_refused_naming_it(name, params):
    _, error = call(OURS[name], params, lr=0.1)
    assert isinstance(error, TypeError)
    refused_clearly(error, name, "param")


# OneCycleLR's arguments, with values valid for the others (lr and momentum sequences
# compared with torch's; torch's three_phase=False, cosine annealing, as ours).
ONE_CYCLE = {
    "max_lr": 0.1,
    "total_steps": 12,
    "pct_start": 0.3,
    "div_factor": 25.0,
    "final_div_factor": 1e4,
    "base_momentum": 0.85,
    "max_momentum": 0.95,
}


def one_cycle_run(make_opt, make_sched, kwargs, read):
    """The (lr, momentum) after each of total_steps - 1 steps (the constructor sets the first)."""
    opt, seen = make_opt(), []
    sched = make_sched(opt, **kwargs)
    for _ in range(int(kwargs["total_steps"]) - 1):
        seen.append(read(opt))
        opt.step()
        sched.step()
    return seen


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    arg=st.sampled_from(sorted(ONE_CYCLE)),
    value=ANY_VALUE | st.sampled_from([12.0, "12", 3, np.int64(5), 0.95, 0.99, 1.0]),
)
def test_one_cycle_follows_torchs_schedule_or_refuses_by_name(arg, value):
    kwargs = dict(ONE_CYCLE, **{arg: value})
    opt = SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9)
    sched, error = call(OneCycleLR, opt, **kwargs)
    p = torch.nn.Parameter(torch.zeros(1))
    _, torch_error = call(
        torch.optim.lr_scheduler.OneCycleLR,
        torch.optim.SGD([p], lr=0.1, momentum=0.9),
        **{
            k: python(v) if k == "total_steps" or not is_number(v) else float(v)
            for k, v in kwargs.items()
        },
    )
    if error is not None:
        refused_clearly(error, "OneCycleLR", arg)
        is_count = arg == "total_steps"
        right_type = is_number(value) and (
            not is_count or (isinstance(value, int | np.integer) and not isinstance(value, bool))
        )
        assert isinstance(error, ValueError) == right_type
        return
    assert torch_error is None, f"torch refuses {arg}={value!r}: {torch_error}"

    def ours(o):
        return o.lr, o.momentum

    def theirs(o):
        return o.param_groups[0]["lr"], o.param_groups[0]["momentum"]

    plain_kwargs = {k: int(v) if k == "total_steps" else float(v) for k, v in kwargs.items()}
    ours_seen = one_cycle_run(
        lambda: SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=0.9),
        OneCycleLR,
        plain_kwargs,
        ours,
    )
    theirs_seen = one_cycle_run(
        lambda: torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9),
        torch.optim.lr_scheduler.OneCycleLR,
        plain_kwargs,
        theirs,
    )
    np.testing.assert_allclose(ours_seen, theirs_seen, rtol=1e-12, atol=1e-15)
