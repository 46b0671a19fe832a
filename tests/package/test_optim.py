"""Optimisers and the one-cycle schedule against torch.optim, step by step."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pybackprop import nn, optim
from pybackprop.data import load_mnist
from tests.strategies import (
    F32_ATOL,
    F32_RTOL,
    F64_ATOL,
    F64_RTOL,
    MLP_STEPS_F32_ATOL,
    arrays,
    float_dtypes,
    seeds,
)

TOL = {np.float64: (F64_RTOL, F64_ATOL), np.float32: (F32_RTOL, F32_ATOL)}
STEPS = 8

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=8)
learning_rates = st.floats(min_value=1e-4, max_value=1.0)
momentums = st.floats(min_value=0.01, max_value=0.99)
weight_decays = st.sampled_from([0.0, 1e-4, 1e-2, 0.5])


@st.composite
def problems(draw):
    """(list of initial parameter arrays, seed for the gradients, dtype)."""
    dtype = draw(float_dtypes)
    n = draw(st.integers(min_value=1, max_value=3))
    inits = [draw(arrays(shapes, dtype)) for _ in range(n)]
    return inits, draw(seeds()), dtype


def run_both(inits, seed, dtype, make_ours, make_torch):
    """Give both optimisers the same random gradients for STEPS steps; compare every step.

    A parameter gets no gradient on about one step in four: its .grad stays None on both
    sides, and both optimisers skip it (its momentum, moments and Adam's step count too).
    """
    params = [nn.Parameter(a.copy()) for a in inits]
    tparams = [torch.tensor(a, requires_grad=True) for a in inits]
    opt, topt = make_ours(params), make_torch(tparams)
    rng = np.random.default_rng(seed)
    rtol, atol = TOL[dtype]
    arrays_before = [p.data for p in params]
    for _ in range(STEPS):
        for p, tp in zip(params, tparams, strict=True):
            g = rng.normal(scale=3.0, size=p.data.shape).astype(dtype)
            if rng.random() < 0.75:
                p.grad = g
                tp.grad = torch.tensor(g)
        opt.step()
        opt.zero_grad()
        topt.step()
        topt.zero_grad()
        for p, tp in zip(params, tparams, strict=True):
            assert p.grad is None and tp.grad is None
            expected = tp.detach().numpy()
            # An element that has cancelled to near zero carries the rounding error of the
            # larger terms it was summed from, so the absolute floor scales with the array.
            scale = float(np.abs(expected).max())
            np.testing.assert_allclose(p.data, expected, rtol=rtol, atol=atol + rtol * scale)
    for p, before in zip(params, arrays_before, strict=True):
        assert p.data is before, "step() must update p.data in place"
        assert p.data.dtype == dtype


@given(problems(), learning_rates, weight_decays)
@settings(max_examples=40)
def test_sgd_without_momentum_matches_torch(problem, lr, wd):
    run_both(
        *problem,
        lambda ps: optim.SGD(ps, lr, weight_decay=wd),
        lambda ts: torch.optim.SGD(ts, lr, weight_decay=wd),
    )


@given(problems(), learning_rates, momentums, weight_decays)
@settings(max_examples=40)
def test_sgd_with_momentum_matches_torch(problem, lr, momentum, wd):
    run_both(
        *problem,
        lambda ps: optim.SGD(ps, lr, momentum=momentum, weight_decay=wd),
        lambda ts: torch.optim.SGD(ts, lr, momentum=momentum, weight_decay=wd),
    )


@given(
    problems(),
    st.floats(min_value=1e-4, max_value=0.1),
    st.floats(0.0, 0.99),
    st.floats(0.9, 0.9999),
    st.sampled_from([1e-8, 1e-6, 1e-3]),
    weight_decays,
)
@settings(max_examples=40)
def test_adam_matches_torch(problem, lr, beta1, beta2, eps, wd):
    kw = dict(betas=(beta1, beta2), eps=eps, weight_decay=wd)
    run_both(
        *problem, lambda ps: optim.Adam(ps, lr, **kw), lambda ts: torch.optim.Adam(ts, lr, **kw)
    )


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam])
def test_zero_grad_sets_grads_to_none_like_torch(opt_cls):
    p, tp = nn.Parameter(np.ones((2, 3))), torch.ones((2, 3), requires_grad=True)
    p.grad, tp.grad = np.full((2, 3), 5.0), torch.full((2, 3), 5.0)
    opt, topt = opt_cls([p], 0.1), getattr(torch.optim, opt_cls.__name__)([tp], 0.1)
    opt.zero_grad()
    topt.zero_grad()
    assert p.grad is None and tp.grad is None


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam])
def test_zero_grad_set_to_none_false_fills_the_same_arrays_with_zeros_like_torch(opt_cls):
    fresh, p = nn.Parameter(np.ones(3)), nn.Parameter(np.ones((2, 3), dtype=np.float32))
    tfresh, tp = torch.ones(3, requires_grad=True), torch.ones((2, 3), requires_grad=True)
    p.grad, tp.grad = np.full((2, 3), 5.0, dtype=np.float32), torch.full((2, 3), 5.0)
    grad = p.grad
    opt_cls([fresh, p], 0.1).zero_grad(set_to_none=False)
    getattr(torch.optim, opt_cls.__name__)([tfresh, tp], 0.1).zero_grad(set_to_none=False)
    assert p.grad is grad and not p.grad.any() and not tp.grad.any()
    assert fresh.grad is None and tfresh.grad is None  # no gradient yet: nothing to fill


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam])
def test_a_parameter_without_a_gradient_is_skipped_like_torch(opt_cls):
    used, unused = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))
    opt = opt_cls([used, unused], 0.1)
    used.grad = np.array([1.0, -1.0])
    opt.step()
    assert np.array_equal(unused.data, np.ones(3)) and unused.grad is None
    assert not np.array_equal(used.data, np.ones(2))


@pytest.mark.parametrize(
    ("grad", "message"),
    [
        (
            np.ones(3),
            r"parameter 0: \.grad has shape \(3,\) and dtype float64 but \.data has \(2,\)",
        ),
        (np.ones(2, dtype=np.float32), "dtype float32 but .data has .* float64"),
    ],
)
def test_a_gradient_of_the_wrong_shape_or_dtype_is_refused_at_construction_and_step(grad, message):
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([p], 0.1)
    p.grad = grad
    with pytest.raises(ValueError, match=message):
        opt.step()
    with pytest.raises(ValueError, match=message):
        optim.Adam([p], 0.1)


def test_a_gradient_that_is_not_an_array_or_none_is_refused():
    p = nn.Parameter(np.ones(2))
    opt = optim.SGD([p], 0.1)
    p.grad = [1.0, 1.0]
    with pytest.raises(TypeError, match="a .grad that is a numpy array or None"):
        opt.step()


def test_a_subclass_defining_step_is_an_optimiser():
    class GD(optim.Optimizer):
        def step(self):
            for p in self.params:
                p.data -= self.lr * p.grad

    w = nn.Parameter(np.array([1.0, -2.0]))
    opt = GD([w], lr=0.5)
    w.grad = np.array([1.0, -1.0])
    opt.step()
    opt.zero_grad()
    np.testing.assert_array_equal(w.data, [0.5, -1.5])
    assert w.grad is None
    with pytest.raises(NotImplementedError):
        optim.Optimizer([w], lr=0.1).step()


def test_reprs_show_the_hyperparameters():
    params = [nn.Parameter(np.zeros(1))]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    assert repr(opt) == "SGD(lr=0.1, momentum=0.9, weight_decay=0, params=1)"
    assert repr(optim.Adam(params)) == (
        "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0, params=1)"
    )
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert repr(sched) == "OneCycleLR(max_lr=1, total_steps=10, step=0, lr=0.04)"


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), "-0.1"),
        (lambda ps: optim.SGD(ps, lr=float("nan")), "nan"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), "-0.5"),
        (lambda ps: optim.SGD(ps, lr=0.1, weight_decay=-1.0), "-1.0"),
        (lambda ps: optim.Adam(ps, lr=-1e-3), "-0.001"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), "1.0"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), "-0.1"),
        (lambda ps: optim.Adam(ps, eps=-1e-8), "-1e-08"),
        (lambda ps: optim.Adam(ps, betas=(0.9,)), "(0.9,)"),
    ],
)
def test_bad_hyperparameter_error_names_the_value(make, bad):
    params = [nn.Parameter(np.zeros(3))]
    with pytest.raises(ValueError, match=bad.replace("(", r"\(").replace(")", r"\)")):
        make(params)


def test_non_numeric_hyperparameter_error_names_the_value():
    with pytest.raises(TypeError, match="SGD: lr must be a real number; got 'fast'"):
        optim.SGD([nn.Parameter(np.zeros(3))], lr="fast")


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adam])
def test_empty_parameter_list_is_an_error(opt_cls):
    with pytest.raises(ValueError, match="empty parameter list"):
        opt_cls([], lr=0.1)


def test_passing_a_module_instead_of_its_parameters_is_an_error():
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        optim.SGD(nn.Linear(3, 2), lr=0.1)


def test_a_parameter_listed_twice_is_an_error():
    p = nn.Parameter(np.zeros(3))
    with pytest.raises(ValueError, match="more than once"):
        optim.Adam([p, p])


@given(
    total_steps=st.integers(min_value=2, max_value=300),
    max_lr=st.floats(min_value=1e-4, max_value=10.0),
    pct_start=st.floats(min_value=0.05, max_value=0.95),
    div_factor=st.floats(min_value=1.0, max_value=100.0),
    final_div_factor=st.floats(min_value=1.0, max_value=1e5),
    use_adam=st.booleans(),
    cycle_momentum=st.booleans(),
)
@settings(max_examples=60)
def test_one_cycle_matches_torch_step_by_step(
    total_steps, max_lr, pct_start, div_factor, final_div_factor, use_adam, cycle_momentum
):
    assume(pct_start * total_steps != 1.0)  # torch divides by zero there
    kw = dict(
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        cycle_momentum=cycle_momentum,
    )
    p, tp = nn.Parameter(np.zeros(2)), torch.zeros(2, requires_grad=True)
    if use_adam:
        opt, topt = optim.Adam([p]), torch.optim.Adam([tp])
    else:
        opt, topt = optim.SGD([p], 0.1), torch.optim.SGD([tp], 0.1)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr, total_steps=total_steps, **kw)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr, total_steps=total_steps, **kw)

    def momentum(o):
        if use_adam:
            return o.betas[0] if isinstance(o, optim.Adam) else o.param_groups[0]["betas"][0]
        return o.momentum if isinstance(o, optim.SGD) else o.param_groups[0]["momentum"]

    for _ in range(total_steps):
        assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12, abs=1e-300)
        assert momentum(opt) == pytest.approx(momentum(topt), rel=1e-12)
        topt.step()
        tsched.step()
        sched.step()
    with pytest.raises(ValueError, match="total_steps"):
        sched.step()


def test_one_cycle_rejects_bad_total_steps():
    opt = optim.SGD([nn.Parameter(np.zeros(1))], 0.1)
    with pytest.raises(ValueError, match="total_steps must be a positive integer, got 0"):
        optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=0)


def torch_mlp(model: nn.Sequential) -> torch.nn.Sequential:
    """The same 784-50-10 MLP in torch; nn.Linear's weight is (out, in), ours is (in, out)."""
    tmodel = torch.nn.Sequential(torch.nn.Linear(784, 50), torch.nn.ReLU(), torch.nn.Linear(50, 10))
    with torch.no_grad():
        for i in (0, 2):
            tmodel[i].weight.copy_(torch.from_numpy(model[i].weight.data.T.copy()))
            tmodel[i].bias.copy_(torch.from_numpy(model[i].bias.data))
    return tmodel


@pytest.mark.parametrize(
    ("make", "make_torch"),
    [
        (
            lambda ps: optim.SGD(ps, 0.1, momentum=0.9),
            lambda ts: torch.optim.SGD(ts, 0.1, momentum=0.9),
        ),
        (lambda ps: optim.Adam(ps, 1e-3), lambda ts: torch.optim.Adam(ts, 1e-3)),
    ],
    ids=["sgd_momentum", "adam"],
)
def test_mlp_20_steps_match_torch(make, make_torch):
    """784-50-10 ReLU MLP, same initial weights, 20 float32 minibatch steps."""
    x, y, _, _ = load_mnist()
    model = nn.Sequential(nn.Linear(784, 50, rng=0), nn.ReLU(), nn.Linear(50, 10, rng=1))
    tmodel = torch_mlp(model)
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    opt, topt = make(model.parameters()), make_torch(tmodel.parameters())
    for step in range(20):
        xb, yb = x[64 * step : 64 * (step + 1)], y[64 * step : 64 * (step + 1)]
        loss = loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        opt.step()
        opt.zero_grad()
        tloss = tloss_fn(tmodel(torch.from_numpy(xb)), torch.from_numpy(yb))
        tloss.backward()
        topt.step()
        topt.zero_grad()
        np.testing.assert_allclose(loss, tloss.item(), rtol=F32_RTOL)
    for i in (0, 2):
        np.testing.assert_allclose(
            model[i].weight.data,
            tmodel[i].weight.detach().numpy().T,
            rtol=0,
            atol=MLP_STEPS_F32_ATOL,
        )
        np.testing.assert_allclose(
            model[i].bias.data, tmodel[i].bias.detach().numpy(), rtol=0, atol=MLP_STEPS_F32_ATOL
        )
        assert model[i].weight.data.dtype == np.float32


def _one_cycle(**kw):
    opt = optim.Adam([nn.Parameter(np.zeros(1))])
    return optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, **kw)


# Hyperparameters outside their range, each refused at construction naming the value and range
# (before: accepted, then NaN weights, or a bare ZeroDivisionError steps later).
BAD_HYPERPARAMETERS = [
    (
        "sgd-lr-inf",
        lambda: optim.SGD([nn.Parameter(np.zeros(1))], lr=np.inf),
        "SGD: lr must be a finite number >= 0, got inf",
    ),
    (
        "sgd-lr-nan",
        lambda: optim.SGD([nn.Parameter(np.zeros(1))], lr=np.nan),
        "SGD: lr must be a finite number >= 0, got nan",
    ),
    (
        "sgd-momentum-negative",
        lambda: optim.SGD([nn.Parameter(np.zeros(1))], lr=0.1, momentum=-0.5),
        "SGD: momentum must be a finite number >= 0, got -0.5",
    ),
    (
        "adam-eps-zero",
        lambda: optim.Adam([nn.Parameter(np.zeros(1))], eps=0.0),
        "Adam: eps must be a finite number > 0, got 0.0",
    ),
    (
        "adam-beta1-one",
        lambda: optim.Adam([nn.Parameter(np.zeros(1))], betas=(1.0, 0.999)),
        "Adam: betas[0] must be in [0, 1), got 1.0",
    ),
    (
        "one-cycle-max-momentum-one",
        lambda: _one_cycle(max_momentum=1.0),
        "OneCycleLR: max_momentum must be in [0, 1), got 1.0",
    ),
    (
        "one-cycle-div-factor-zero",
        lambda: _one_cycle(div_factor=0),
        "OneCycleLR: div_factor must be a finite number > 0, got 0.0",
    ),
]


@pytest.mark.parametrize(
    ("make", "message"),
    [c[1:] for c in BAD_HYPERPARAMETERS],
    ids=[c[0] for c in BAD_HYPERPARAMETERS],
)
def test_out_of_range_hyperparameters_are_refused_naming_value_and_range(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message


def test_hyperparameters_at_the_edge_of_their_range_are_accepted():
    params = [nn.Parameter(np.zeros(1))]
    optim.SGD(params, lr=0.0, momentum=0.0, weight_decay=0.0)
    optim.Adam(params, lr=0.0, betas=(0.0, 0.0), eps=1e-300)
    _one_cycle(base_momentum=0.0, max_momentum=0.999)
