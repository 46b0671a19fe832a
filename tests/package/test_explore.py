"""The explorable figures' numbers (pybackprop.explore), without a browser.

The optimiser paths are pybackprop.optim's, compared with torch.optim in float64; the moons
figure's plane, scored by array layers, is the scalar MLP's; the activation statistics are
those of the layers rebuilt by hand; and each function refuses bad input naming it.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pybackprop import MLP, explore, nn
from pybackprop.data import load_mnist, make_moons, mean_std
from pybackprop.explore._figure import int_ticks
from pybackprop.explore.descent import _array_model
from pybackprop.explore.optimisers import _path

torch = pytest.importorskip("torch")
CURVATURE, START = np.array([0.5, 20.0]), np.array([-4.5, 1.0])


def torch_path(kind, lr, momentum=0.0, betas=(0.9, 0.999), steps=40):
    w = torch.tensor(START, requires_grad=True)
    opt = (
        torch.optim.Adam([w], lr=lr, betas=betas)
        if kind == "adam"
        else torch.optim.SGD([w], lr=lr, momentum=momentum)
    )
    path = [w.detach().numpy().copy()]
    for _ in range(steps):
        (0.5 * (torch.from_numpy(CURVATURE) * w**2).sum()).backward()
        opt.step()
        opt.zero_grad()
        path.append(w.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize(
    "kind, lr, momentum, betas",
    [
        ("sgd", 0.09, 0.0, None),
        ("sgd", 0.12, 0.0, None),  # diverges
        ("sgd", 0.04, 0.8, None),
        ("sgd", 0.1, 0.95, None),
        ("adam", 0.3, 0.0, (0.9, 0.999)),
        ("adam", 0.5, 0.0, (0.0, 0.9)),
        ("adam", 0.05, 0.0, (0.95, 0.99)),
    ],
)
def test_valley_paths_are_torch_optims(kind, lr, momentum, betas):
    ours = _path(kind, lr, momentum, betas or (0.9, 0.999), CURVATURE, START, 40)
    theirs = torch_path(kind, lr, momentum, betas or (0.9, 0.999))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_valley_figure_embeds_the_paths_in_thousandths():
    fig = explore.valley_optimisers()
    grids = fig.data["grids"]
    i, j = grids["lr"].index(0.04), grids["momentum"].index(0.8)
    embedded = np.array(fig.data["momentum"][i][j]["w"]).reshape(-1, 2) / 1000
    np.testing.assert_allclose(embedded, torch_path("sgd", 0.04, 0.8), atol=5e-4 + 1e-12)
    a, b1, b2 = grids["adam_lr"].index(0.3), grids["beta1"].index(0.9), grids["beta2"].index(0.999)
    embedded = np.array(fig.data["adam"][a][b1][b2]["w"]).reshape(-1, 2) / 1000
    np.testing.assert_allclose(embedded, torch_path("adam", 0.3), atol=5e-4 + 1e-12)
    assert len(fig._repr_html_()) < 300_000


def test_relu_pieces_fit_is_least_squares_and_relu_sum_the_formula():
    fig = explore.relu_pieces()
    x, y = np.array(fig.data["x"]), np.array(fig.data["y"])
    b, w, *a = fig.data["fit"]["params"]
    kinks = np.array(fig.data["fit"]["kinks"])
    by_formula = b + w * x + sum(ai * np.maximum(x - c, 0) for ai, c in zip(a, kinks, strict=True))
    np.testing.assert_allclose(explore.relu_sum(x, b, w, kinks, np.array(a)), by_formula)
    X = np.column_stack([np.ones_like(x), x, np.maximum(x[:, None] - kinks, 0)])
    normal = np.linalg.solve(X.T @ X, X.T @ y)  # the normal equations' solution
    np.testing.assert_allclose(fig.data["fit"]["params"], normal, rtol=1e-9)
    assert fig.data["fit"]["mse"] == pytest.approx(np.mean((by_formula - y) ** 2), rel=1e-12)


def test_learning_rate_runs_are_gradient_descent_on_the_mse():
    targets = np.array([3.0, -0.5, 2.0, 7.0])
    fig = explore.learning_rate_1d(targets, lrs=[0.25, 0.75, 1.1])
    for lr, run, word in zip(
        [0.25, 0.75, 1.1], fig.data["runs"], ["creeps", "overshoots", "diverges"], strict=True
    ):
        c, expect = 0.0, []
        for _ in range(13):
            expect.append(c)
            c -= lr * 2 * np.mean(c - targets)
        np.testing.assert_allclose(run["c"], expect, rtol=1e-4, atol=1e-12)
        assert word in run["text"]


def descent(lr, targets, steps, start=0.0):
    """Gradient descent on the MSE of c against targets, by the closed-form gradient."""
    c, path = start, []
    for _ in range(steps + 1):
        path.append(c)
        c -= lr * 2 * np.mean(c - np.asarray(targets))
    return np.array(path)


@pytest.mark.parametrize("lr, steps", [(1000.0, 60), (1.25, 60), (1e9, 3)])
def test_a_diverging_run_stops_before_it_overflows_and_is_marked(lr, steps):
    targets = [1.0, 2.0, 3.0]
    fig = explore.learning_rate_1d(targets, lrs=[lr, 0.25], steps=steps)
    far, calm = fig.data["runs"]
    expect = descent(lr, targets, steps)
    kept = np.abs(expect - 2.0) <= 1e6 * 2.0  # the first that leaves the bound stops the run
    n = int(np.argmin(kept)) if not kept.all() else len(expect)
    assert far["diverged"] and 1 <= len(far["c"]) == n < steps + 1
    np.testing.assert_allclose(far["c"], expect[:n], rtol=1e-4)
    assert len(far["loss"]) == len(far["logdist"]) == n
    assert "diverges" in far["text"] and f"stops after {n - 1} of {steps} steps" in far["text"]
    assert not calm["diverged"] and len(calm["c"]) == steps + 1 and "Diverged" not in calm["text"]
    assert ("pbx-c3 pbx-dots", "where a diverging run stops") in fig.legend
    assert "nan" not in fig._repr_html_() and "inf" not in fig._repr_html_().lower()


def test_a_figure_without_a_diverging_run_has_no_stop_in_its_legend():
    fig = explore.learning_rate_1d([1.0, 2.0], lrs=[0.25, 1.25])
    assert not any(r["diverged"] for r in fig.data["runs"])
    assert all("stops" not in text for _, text in fig.legend)


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(-1e4, 1e4, allow_nan=False),
    shift=st.floats(-50, 50, allow_nan=False),
    scale=st.floats(0.01, 30, allow_nan=False),
)
def test_every_tick_lies_inside_its_axis(mean, shift, scale):
    figs = [explore.learning_rate_1d([mean], lrs=[0.1], steps=2)]
    x, y = make_moons(8, noise=0.1, rng=1)
    figs.append(explore.moons_training(x * scale + shift, y, steps=1, hidden=(2,), grid=2))
    for ax in (ax for fig in figs for ax in fig.panels):
        for ticks, (lo, hi) in ((ax.xticks, ax.x), (ax.yticks, ax.y)):
            assert ticks and all(lo <= t <= hi for t, _ in ticks), (ax.title, ticks, lo, hi)


@given(lo=st.floats(-1e6, 1e6), width=st.floats(0, 1e3), step=st.integers(1, 5))
def test_integer_ticks_are_the_integers_inside_the_range(lo, width, step):
    hi = lo + width
    ticks = [t for t, _ in int_ticks(lo, hi, step)]
    assert all(lo <= t <= hi for t in ticks)
    inside = [v for v in range(math.ceil(lo), math.floor(hi) + 1)]
    assert ticks == inside[::step]


def test_moons_plane_is_the_scalar_mlps_sign():
    x, y = make_moons(20, noise=0.1, rng=1)
    fig = explore.moons_training(x, y, steps=2, hidden=(4,), grid=6)
    model = MLP(2, [4, 1], rng=1)  # the start of training: step 0
    g = fig.data["grid"]
    gx, gy = g["x0"] + g["dx"] * np.arange(6), g["y0"] + g["dy"] * np.arange(6)
    points = np.column_stack([np.tile(gx, 6), np.repeat(gy, 6)])
    scalar = np.array([model(list(p)).data for p in points])
    np.testing.assert_allclose(_array_model(model)(points)[:, 0], scalar, rtol=1e-12, atol=1e-14)
    bits = "".join(f"{int(h, 16):04b}" for h in fig.data["signs"][0])[:36]
    assert bits == "".join("1" if s > 0 else "0" for s in scalar)
    assert len(fig.data["loss"]) == 3 and fig.data["loss"][-1] < fig.data["loss"][0]


def test_activation_statistics_are_the_layers():
    fig = explore.activations_by_init(depth=3, width=8, rows=16, stds=[0.5])
    x = load_mnist()[0][:16].astype(np.float64)
    mean, std = mean_std(load_mnist()[0])
    h = (x - mean) / std
    rng = np.random.default_rng(0)
    stds = []
    for i in range(3):
        layer = nn.Linear(784 if i == 0 else 8, 8, bias=False, rng=rng, dtype=np.float64)
        h = np.maximum(h @ layer.weight.data, 0)
        stds.append(np.log10(h.std()))
    np.testing.assert_allclose(fig.data["kaiming"][1]["std"], stds, atol=5e-4 + 1e-9)


def torch_softmax_forms(z):
    """torch's softmax and logsumexp, and its naive exp / sum and log(sum(exp)), of a row."""
    z = torch.from_numpy(z)
    e = torch.exp(z)
    forms = torch.softmax(z, -1), torch.logsumexp(z, -1), e / e.sum(), torch.log(e.sum())
    return [f.numpy() for f in forms]


def check_softmax_run(run, z):
    """A run of softmax_temperature against torch in z's dtype, to the 6 digits embedded."""
    p, lse, naive_p, naive_lse = torch_softmax_forms(z)
    tiny = np.finfo(z.dtype).tiny  # what the two exps may round differently below
    np.testing.assert_allclose(run["p"], p, rtol=6e-6, atol=tiny)
    assert run["lse"] == pytest.approx(float(lse), rel=6e-6)
    assert [v is None for v in run["naive"]] == list(~np.isfinite(naive_p))
    finite = np.isfinite(naive_p)
    np.testing.assert_allclose(
        np.array(run["naive"])[finite].astype(float), naive_p[finite], rtol=6e-6, atol=tiny
    )
    assert (run["naive_lse"] is None) == (not np.isfinite(naive_lse))
    if run["naive_lse"] is not None:
        assert run["naive_lse"] == pytest.approx(float(naive_lse), rel=6e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_temperature_is_torchs_over_the_grid(dtype):
    fig = explore.softmax_temperature(dtype=dtype)
    logits = np.array([1.0, 0.8, 0.1, -0.5, -1.2])
    scales = [float(t.split()[0]) for t in fig.controls[0].texts]
    for s, run in zip(scales, fig.data["runs"], strict=True):
        check_softmax_run(run, (s * logits).astype(dtype))
        overflow = dtype is np.float32 and s * 1.0 > np.log(np.finfo(np.float32).max)
        assert (run["naive_lse"] is None) == overflow
        assert (f"exp({s:g}) overflows float32" in run["text"]) == overflow
        assert f"Safe (subtract the max {s:g}" in run["text"]
    assert len(fig._repr_html_()) < 40_000


NAIVE_CASES = [  # logits, scale, and the words only that case's live line says
    ([1.0, 1.0], 88.5, "each exp fits in float32 (max 3.4e+38) but their sum overflows to inf"),
    ([-1.0, -1.1], 150.0, "every exp underflows to 0 in float32, so the sum is 0"),
    ([1.0, 0.5], 89.0, ") overflows float32 (max 3.4e+38) to inf: log-sum-exp inf"),
    ([1.0, 0.5], 88.0, ") = 1.65e+38 fits in float32 (max 3.4e+38), and log-sum-exp is 88."),
]


@pytest.mark.parametrize("logits, scale, words", NAIVE_CASES)
def test_softmax_live_line_names_what_the_naive_form_lost(logits, scale, words):
    run = explore.softmax_temperature(logits, scales=[scale]).data["runs"][0]
    check_softmax_run(run, (scale * np.array(logits)).astype(np.float32))
    assert [case[2] in run["text"] for case in NAIVE_CASES].count(True) == 1
    assert words in run["text"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: explore.relu_pieces(pieces=0), "pieces must be an integer from 1 to 5; got 0"),
        (lambda: explore.relu_pieces(n=1), "n must be an integer of at least 2; got 1"),
        (lambda: explore.learning_rate_1d([1.0], lrs=[-0.1]), r"positive learning rates"),
        (lambda: explore.moons_training(np.zeros((4, 3)), np.zeros(4)), r"x \(4, 3\)"),
        (lambda: explore.moons_training(np.zeros((4, 2)), np.full(4, 2)), r"values \[2\]"),
        (lambda: explore.activations_by_init(depth=1), "depth >= 2"),
        (lambda: explore.valley_optimisers(start=(1.0,)), r"\(1,\)"),
        (lambda: explore.valley_optimisers(curvature=(-0.5, 20)), r"positive.*\[-0.5, 20.0\]"),
        (lambda: explore.valley_optimisers(curvature=(0.0, 20)), r"must be positive"),
        (lambda: explore.valley_optimisers(curvature=(np.inf, 20)), r"positive and finite"),
        (lambda: explore.valley_optimisers(curvature=(np.nan, 20)), r"positive and finite"),
        (lambda: explore.valley_optimisers(start=(np.nan, 1)), r"start finite.*\[nan, 1.0\]"),
        (lambda: explore.learning_rate_1d([np.nan]), r"must be finite; got targets \[nan\]"),
        (lambda: explore.learning_rate_1d([1.0], start=np.inf), r"finite.*start inf"),
        (lambda: explore.learning_rate_1d([1e200]), r"loss at start = 0 overflows a float"),
        (lambda: explore.softmax_temperature([1.0]), r"2 to 10 finite numbers; got \[1.0\]"),
        (lambda: explore.softmax_temperature(scales=[2, 1]), r"increasing; got \[2, 1\]"),
        (lambda: explore.softmax_temperature(dtype=np.float16), "np.float32 or np.float64"),
    ],
)
def test_bad_settings_are_refused_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()
