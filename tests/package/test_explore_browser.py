"""The explorable figures in a real browser (headless Chromium, the players' fixture).

Each slider is moved with the keyboard and by setting its value; the figure must then draw
pybackprop's numbers for that setting (read back from the SVG's points), the slider's
aria-valuetext and the live line must follow, and a second figure on the page must not move.
Every figure fits 749 and 400 px with labels of at least 10 px, keeps a contrast of 4.5:1 in
both themes (the system's and the book's quarto-dark / quarto-light), and makes no request.
"""

import numpy as np
import pytest

from pybackprop import explore
from pybackprop.explore.optimisers import _path
from tests.package import test_player_browser as players
from tests.package.test_player_browser import _contrast, outside, write_page

visit = players.visit  # the players' fixture: the session's tab, requests recorded

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
MIN_LABEL_PX = 10
TARGETS = [3.0, -0.5, 2.0, 7.0]


def points(fig, part: str) -> np.ndarray:
    """The (x, y) points of a polyline of the figure, as drawn: (n, 2)."""
    text = fig.locator(f'[data-part="{part}"]').get_attribute("points")
    return np.array([[float(v) for v in p.split(",")] for p in text.split()])


def slide(page, fig, key: str, index: int) -> None:
    """Set a slider's value, as a script or assistive technology would."""
    fig.locator(f'input[data-key="{key}"]').evaluate(
        "(s, i) => { s.value = i; s.dispatchEvent(new Event('input', {bubbles: true})); }", index
    )


def test_relu_pieces_draws_the_packages_sum_and_the_fit(tmp_path, visit):
    made = explore.relu_pieces()
    path = write_page(tmp_path, made._repr_html_(), made._repr_html_())
    page, requests = visit(path)
    one, two = page.locator(".pbx").nth(0), page.locator(".pbx").nth(1)
    before = points(two, "sum")
    grid, x = made.data["grid"], np.array(made.data["x"])
    y = np.array(made.data["y"])
    rng = np.random.default_rng(0)
    for _ in range(4):
        setting = {"b": rng.integers(len(grid["b"])), "w": rng.integers(len(grid["w"]))}
        for j in range(3):
            setting[f"c{j}"] = rng.integers(len(grid["c"]))
            setting[f"a{j}"] = rng.integers(len(grid["a"]))
        for key, i in setting.items():
            slide(page, one, key, int(i))
        one.locator('input[data-key="w"]').focus()
        page.keyboard.press("ArrowRight")  # one grid step by keyboard
        setting["w"] = min(setting["w"] + 1, len(grid["w"]) - 1)
        kinks = np.array([grid["c"][setting[f"c{j}"]] for j in range(3)])
        slopes = np.array([grid["a"][setting[f"a{j}"]] for j in range(3)])
        b, w = grid["b"][setting["b"]], grid["w"][setting["w"]]
        package = explore.relu_sum(x, b, w, kinks, slopes)
        drawn = points(one, "sum")
        np.testing.assert_array_equal(drawn[:, 0], x)
        np.testing.assert_allclose(drawn[:, 1], package, rtol=1e-15, atol=1e-15)
        mse = float(one.locator('[data-part="sum"]').get_attribute("data-mse"))
        assert mse == pytest.approx(np.mean((package - y) ** 2), rel=1e-12)
        assert one.locator('input[data-key="w"]').get_attribute("aria-valuetext") == (
            f"slope w {w:.1f}"
        )
        assert f"MSE against the curve {float(f'{mse:.3g}'):g}"[:30] in (
            one.locator(".pbx-live").text_content()
        )
    fit = one.locator('[data-part="fit"]')
    assert not fit.is_visible()
    one.get_by_role("button", name="Show the least-squares fit").click()
    assert fit.is_visible()
    sync_api.expect(one.locator(".pbx-live")).to_contain_text(made.data["fit"]["text"])
    np.testing.assert_array_equal(points(two, "sum"), before)  # the other figure did not move
    assert outside(requests, path.as_uri()) == []


def test_learning_rate_slider_redraws_the_recorded_descent(tmp_path, visit):
    made = explore.learning_rate_1d(TARGETS)
    page, requests = visit(write_page(tmp_path, made._repr_html_()))
    fig = page.locator(".pbx")
    lrs = [round(0.05 * i, 2) for i in range(1, 26)]
    for lr, word in [(0.25, "creeps"), (0.75, "overshoots"), (1.25, "diverges")]:
        slide(page, fig, "lr", lrs.index(lr))
        c, expect = 0.0, []
        for _ in range(13):
            expect.append(c)
            c -= lr * 2 * np.mean(c - np.array(TARGETS))
        np.testing.assert_allclose(points(fig, "path")[:, 0], expect, rtol=1e-4, atol=1e-12)
        assert word in fig.locator(".pbx-live").text_content()
        slider = fig.locator('input[data-key="lr"]')
        assert slider.get_attribute("aria-valuetext") == f"learning rate {lr:g}"
    slider.focus()
    page.keyboard.press("ArrowLeft")
    assert slider.get_attribute("aria-valuetext") == "learning rate 1.2"
    assert fig.locator(".pbx-live").text_content() == made.data["runs"][-2]["text"]
    assert outside(requests, page.url) == []


def test_a_diverging_run_is_drawn_up_to_where_it_stops_and_marked(tmp_path, visit):
    made = explore.learning_rate_1d([1.0, 2.0, 3.0], lrs=[0.25, 1000.0], steps=60)
    page, _ = visit(write_page(tmp_path, made._repr_html_()))
    fig = page.locator(".pbx")
    slide(page, fig, "lr", 1)
    far = made.data["runs"][1]
    np.testing.assert_array_equal(points(fig, "path")[:, 0], far["c"])
    dist = points(fig, "dist")
    np.testing.assert_array_equal(dist[:, 0], range(len(far["c"])))
    stop = fig.locator('[data-part="stop"]').get_attribute("d")
    assert stop == f"M{len(far['c']) - 1} {min(far['logdist'][-1], 3.6)}h0"
    assert "Diverged: the run stops" in fig.locator(".pbx-live").text_content()
    slide(page, fig, "lr", 0)
    assert fig.locator('[data-part="stop"]').get_attribute("d") == ""
    assert len(points(fig, "dist")) == 61


def test_moons_step_slider_scrubs_through_training(tmp_path, visit):
    from pybackprop.data import make_moons

    x, y = make_moons(20, noise=0.1, rng=1)
    made = explore.moons_training(x, y, steps=3, hidden=(4,), grid=6)
    page, _ = visit(write_page(tmp_path, made._repr_html_()))
    fig = page.locator(".pbx")
    slider = fig.locator('input[data-key="step"]')
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert slider.get_attribute("aria-valuetext") == "training step 2"
    assert fig.locator(".pbx-live").text_content() == made.data["texts"][2]
    assert points(fig, "sofar")[:, 1].tolist() == made.data["loss"][:3]
    # The shaded cells are the package's signs of step 2.
    d = fig.locator('[data-part="pos"]').get_attribute("d")
    g = made.data["grid"]
    starts = [tuple(map(float, m.split())) for m in d.split("M")[1:] for m in [m.split("h")[0]]]
    cells = {
        (round((cy - g["y0"]) / g["dy"] + 0.5), round((cx - g["x0"]) / g["dx"] + 0.5))
        for cx, cy in starts
    }
    bits = "".join(f"{int(h, 16):04b}" for h in made.data["signs"][2])[:36]
    assert cells == {(i // 6, i % 6) for i, bit in enumerate(bits) if bit == "1"}


def test_activations_choices_and_slider_redraw_the_statistics(tmp_path, visit):
    made = explore.activations_by_init(depth=4, width=8, rows=16, stds=[0.1, 1.0])
    page, _ = visit(write_page(tmp_path, made._repr_html_(), made._repr_html_()))
    one, two = page.locator(".pbx").nth(0), page.locator(".pbx").nth(1)
    slide(page, one, "std", 1)
    assert points(one, "std")[:, 1].tolist() == made.data["naive"][0][1]["std"]
    one.get_by_label("normalised").check()
    assert points(one, "mean")[:, 1].tolist() == made.data["naive"][1][1]["mean"]
    one.get_by_label("Kaiming", exact=False).focus()
    one.get_by_label("Kaiming", exact=False).check()
    assert points(one, "std")[:, 1].tolist() == made.data["kaiming"][1]["std"]
    assert one.locator(".pbx-live").text_content() == made.data["kaiming"][1]["text"]
    assert points(two, "std")[:, 1].tolist() == made.data["naive"][0][0]["std"]  # untouched


def test_optimiser_sliders_redraw_pybackprop_optim_paths(tmp_path, visit):
    made = explore.valley_optimisers()
    page, _ = visit(write_page(tmp_path, made._repr_html_()))
    fig = page.locator(".pbx")
    grids = made.data["grids"]
    curvature, start = np.array([0.5, 20.0]), np.array([-4.5, 1.0])
    for lr, mom, alr, b1, b2 in [(0.09, 0.9, 0.1, 0.0, 0.9), (0.12, 0.5, 0.5, 0.95, 0.99)]:
        for key, value in [
            ("lr", lr),
            ("momentum", mom),
            ("adam_lr", alr),
            ("beta1", b1),
            ("beta2", b2),
        ]:
            slide(page, fig, key, grids[key].index(value))
        expect = {
            "sgd": _path("sgd", lr, 0.0, None, curvature, start, 40),
            "momentum": _path("sgd", lr, mom, None, curvature, start, 40),
            "adam": _path("adam", alr, 0.0, (b1, b2), curvature, start, 40),
        }
        for name, path in expect.items():
            drawn = points(fig, name)
            np.testing.assert_allclose(drawn, np.clip(path, -1000, 1000), atol=5e-4 + 1e-9)
        live = fig.locator(".pbx-live").text_content()
        assert f"Adam at lr {alr:g}, β1 {b1:g}, β2 {b2:g}" in live
    fig.locator('input[data-key="beta2"]').focus()
    page.keyboard.press("ArrowLeft")
    assert fig.locator('input[data-key="beta2"]').get_attribute("aria-valuetext") == ("Adam β2 0.9")


def dots(fig, part: str) -> list[tuple[float, float]]:
    """The (x, y) of each dot of a dots path, as drawn."""
    d = fig.locator(f'[data-part="{part}"]').get_attribute("d")
    return [tuple(map(float, m.split("h")[0].split())) for m in d.split("M")[1:]]


def test_softmax_scale_slider_redraws_the_packages_bars_and_overflow(tmp_path, visit):
    import pybackprop.nn.functional as F

    made = explore.softmax_temperature()
    page, requests = visit(write_page(tmp_path, made._repr_html_(), made._repr_html_()))
    one, two = page.locator(".pbx").nth(0), page.locator(".pbx").nth(1)
    before = points(two, "bars")
    slider, live = one.locator('input[data-key="scale"]'), one.locator(".pbx-live")
    logits = np.array([1.0, 0.8, 0.1, -0.5, -1.2])
    scales = [float(t.split()[0]) for t in made.controls[0].texts]

    def check(s: float) -> None:
        z = (s * logits).astype(np.float32)
        bars = points(one, "bars")  # each bar: up at its left edge, across, down
        np.testing.assert_allclose(bars[1::4, 1], F.softmax(z), rtol=6e-6, atol=1e-38)
        np.testing.assert_allclose(bars[1::4, 0], np.arange(5) - 0.35)
        with np.errstate(over="ignore", invalid="ignore"):
            naive = np.exp(z) / np.exp(z).sum()
        drawn = dots(one, "naive")
        assert [x for x, _ in drawn] == [i for i in range(5) if np.isfinite(naive[i])]
        np.testing.assert_allclose([y for _, y in drawn], naive[np.isfinite(naive)], rtol=6e-6)
        now = dots(one, "now")
        assert now[0][1] == pytest.approx(float(F.logsumexp(z)), rel=6e-6)
        assert len(dots(one, "naivenow")) == int(np.isfinite(naive).all())
        assert slider.get_attribute("aria-valuetext") == (
            f"logit scale s {s:g} (T\u00a0=\u00a0{1 / s:.2g})"
        )
        assert live.text_content() == made.data["runs"][scales.index(s)]["text"]

    for s in [0.1, 10.0, 90.0]:
        slide(page, one, "scale", scales.index(s))
        check(s)
    assert "exp(90) overflows float32" in live.text_content()
    slider.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    check(88.0)
    assert "exp(88) = 1.65e+38 fits in float32" in live.text_content()
    np.testing.assert_array_equal(points(two, "bars"), before)  # the other figure did not move
    assert outside(requests, page.url) == []


TEXT_COLOURS = """(fig) => {
  const bg = getComputedStyle(fig).backgroundColor;
  return [...fig.querySelectorAll('text, li, label, output, .pbx-live')]
    .map(e => [getComputedStyle(e)[e.tagName === 'text' ? 'fill' : 'color'], bg]);
}"""


@pytest.mark.parametrize("scheme, body", [("light", ""), ("dark", ""), ("light", "quarto-dark")])
def test_softmax_text_contrast_in_both_themes(tmp_path, visit, scheme, body):
    saved = explore.softmax_temperature().save(tmp_path / "saved.html")
    text = saved.read_text(encoding="utf-8").replace("<body>", f'<body class="{body}">')
    saved.write_text(text, encoding="utf-8")
    page, _ = visit(saved, scheme=scheme)
    pairs = page.locator(".pbx").evaluate(TEXT_COLOURS)
    assert len(pairs) > 20
    assert (pairs[0][1] == "rgb(34, 34, 34)") == (scheme == "dark" or body == "quarto-dark")
    for colour, bg in pairs:
        assert _contrast(colour, bg) >= 4.5, (colour, bg)


FIGURES = {
    "relu": explore.relu_pieces,
    "softmax": explore.softmax_temperature,
    "lr": lambda: explore.learning_rate_1d(TARGETS),
    "valley": explore.valley_optimisers,
    "init": lambda: explore.activations_by_init(depth=4, width=8, rows=16, stds=[0.1, 1.0]),
}
LABELS = """(svg) => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize)
    * scale);
}"""


@pytest.mark.parametrize("width", [749, 400])
@pytest.mark.parametrize("name", FIGURES)
def test_fits_the_column_with_legible_labels(tmp_path, visit, name, width):
    page, _ = visit(write_page(tmp_path, FIGURES[name]()._repr_html_()), width=width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for svg in page.locator(".pbx-panel").all():
        assert svg.bounding_box()["width"] <= width
        assert min(svg.evaluate(LABELS)) >= MIN_LABEL_PX


COLOURS = """(fig) => {
  const css = getComputedStyle(fig), get = (v) => {
    const probe = document.createElement('span');
    probe.style.color = css.getPropertyValue(v); fig.appendChild(probe);
    const c = getComputedStyle(probe).color; probe.remove(); return c; };
  return {bg: css.backgroundColor, fg: css.color,
          others: ['--pbx-muted', '--pbx-c0', '--pbx-c1', '--pbx-c2', '--pbx-c3', '--pbx-c4']
            .map(get)};
}"""


@pytest.mark.parametrize(
    "scheme, body, dark",
    [
        ("light", "", False),
        ("dark", "", True),
        ("dark", "quarto-light", False),
        ("light", "quarto-dark", True),
    ],
)
def test_contrast_in_both_themes(tmp_path, visit, scheme, body, dark):
    saved = explore.relu_pieces().save(tmp_path / "saved.html")
    text = saved.read_text(encoding="utf-8").replace("<body>", f'<body class="{body}">')
    saved.write_text(text, encoding="utf-8")
    page, requests = visit(saved, scheme=scheme)
    colours = page.locator(".pbx").evaluate(COLOURS)
    assert (colours["bg"] == "rgb(34, 34, 34)") == dark
    for colour in [colours["fg"], *colours["others"]]:
        assert _contrast(colour, colours["bg"]) >= 4.5, (colour, colours["bg"])
    live = page.evaluate("getComputedStyle(document.querySelector('.pbx-live')).color")
    assert _contrast(live, colours["bg"]) >= 4.5
    assert outside(requests, saved.as_uri()) == []
