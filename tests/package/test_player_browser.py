"""The backward-pass player in a real browser: Debian's headless Chromium, driven by Playwright.

A page with two players (as a chapter has) is opened from disk. Buttons and keys step the
first; the second must not move. At the last step every gradient in the drawing must be the
engine's. The module player (`nn.step_backward_modules`) steps through chapter 8's model the
same way. Every request the page makes is recorded (and anything but the file itself refused):
none may leave it. Legibility is measured in the browser: labels at least 10 CSS px tall in the
book's 749 px column, and at 400 px the drawing fits the screen and opens full size.

Playwright cannot download its own browser here, so it drives the system's `chromium`
(`.ci/run` installs it); without it these tests are skipped with that reason.
"""

import re
from pathlib import Path

import numpy as np
import pytest

from pybackprop import Value, nn, step_backward
from pybackprop.scalar.graph import _number
from tests.package.test_graph import BOOK_GRAPHS, COLUMN_PX, MIN_LABEL_PX, hide_dot

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
# A page laid out like the book's: a text column of at most 749 px, light or dark.
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{margin:0;font-family:sans-serif}}
main{{max-width:{column}px;margin:0 auto;padding:0 8px}}
@media (prefers-color-scheme: dark){{body{{background:#222;color:#ddd}}}}</style></head>
<body><main>{body}</main></body></html>"""


@pytest.fixture
def visit(browser, tab):
    """Open a file: (page, every URL it requested; anything but the file is refused).

    In the test's `tab` (conftest.py), sized and themed for this page; with clock=True in a
    context of its own whose timers the test runs with `page.clock` (a fake clock stays in its
    context, so it is kept out of the tab the session shares).
    """
    opened = []  # (page, its request recorder), to detach after the test

    def open_(path: Path, width: int = 1400, scheme: str = "light", clock: bool = False):
        if clock:
            context = browser.new_context()
            context.clock.install()
            page = context.new_page()
        else:
            page = tab
        for earlier, record in opened:
            earlier.remove_listener("request", record)
        page.unroute_all()
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        requests: list[str] = []

        def record(request):
            requests.append(request.url)

        page.on("request", record)
        opened.append((page, record))
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url == path.as_uri() else route.abort()
            ),
        )
        page.goto(path.as_uri())
        return page, requests

    yield open_
    for page, record in opened:
        page.remove_listener("request", record)
        page.unroute_all()
        if page is not tab:
            page.context.close()


def write_page(tmp_path: Path, *parts: str, column: int = COLUMN_PX) -> Path:
    path = tmp_path / "page.html"
    path.write_text(PAGE.format(column=column, body="\n".join(parts)), encoding="utf-8")
    return path


def twice_used() -> Value:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    return b


def player_id(locator) -> str:
    return locator.get_attribute("id")


def drawn_grads(page, pid: str, n_nodes: int) -> list[str]:
    return [page.locator(f"[id='{pid}-v{i}'] .pbp-grad").text_content() for i in range(n_nodes)]


def outside(requests: list[str], page_url: str) -> list[str]:
    return [url for url in requests if url != page_url]


def test_two_players_step_independently_and_end_at_backwards_gradients(tmp_path, visit):
    out, twice = BOOK_GRAPHS["ch2 expression"](), twice_used()
    first, second = step_backward(out), step_backward(twice)
    path = write_page(tmp_path, first._repr_html_(), "<p>Text between.</p>", second._repr_html_())
    page, requests = visit(path, clock=True)  # Play's timed steps: clock.run_for, not waited
    expect = sync_api.expect
    one, two = page.locator(".pbp-player").nth(0), page.locator(".pbp-player").nth(1)
    count, text = one.locator(".pbp-count"), one.locator(".pbp-text")

    expect(count).to_have_text("step 0 of 4")
    expect(text).to_contain_text("L.grad = 1")
    one.get_by_role("button", name="Next").click()
    expect(count).to_have_text("step 1 of 4")
    expect(text).to_have_text(first.steps[0].text)
    one.get_by_role("button", name="Next").click()
    one.get_by_role("button", name="Previous").click()
    expect(count).to_have_text("step 1 of 4")
    one.get_by_role("button", name="Reset").click()
    expect(count).to_have_text("step 0 of 4")

    one.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(count).to_have_text("step 2 of 4")
    expect(text).to_have_text(first.steps[1].text)
    page.keyboard.press("ArrowLeft")
    expect(count).to_have_text("step 1 of 4")
    expect(text).to_have_text(first.steps[0].text)

    page.keyboard.press(" ")  # play to the end
    page.clock.run_for(60_000)
    expect(count).to_have_text("step 4 of 4")
    expect(one.get_by_role("button", name="Play")).to_be_visible()
    expect(text).to_have_text(first.steps[-1].text)

    order = out._topological_order()
    out.backward()
    engine = [f"grad {_number(node.grad)}" for node in order]
    assert drawn_grads(page, player_id(one), len(order)) == engine

    # The second player has not moved; stepping it leaves the first where it is.
    expect(two.locator(".pbp-count")).to_have_text("step 0 of 1")
    assert drawn_grads(page, player_id(two), 2) == ["grad 0.0000", "grad 1.0000"]
    two.get_by_role("button", name="Next").click()
    assert drawn_grads(page, player_id(two), 2) == ["grad 2.0000", "grad 1.0000"]  # a += 1 twice
    expect(two.locator(".pbp-text")).to_contain_text("(so a.grad is now 2.0000)")
    expect(count).to_have_text("step 4 of 4")

    assert outside(requests, path.as_uri()) == []


def test_the_request_recorder_sees_a_request_leaving_the_page(tmp_path, visit):
    # The check above is only worth something if it catches a leak: here is one.
    player = step_backward(twice_used())._repr_html_()
    path = write_page(tmp_path, player, '<img src="http://192.0.2.1/pixel.png" alt="">')
    page, requests = visit(path)
    page.wait_for_load_state("load")
    assert outside(requests, path.as_uri()) == ["http://192.0.2.1/pixel.png"]


def test_controls_have_names_and_the_text_is_a_live_region(tmp_path, visit):
    path = write_page(tmp_path, step_backward(BOOK_GRAPHS["ch3 log-exp"]())._repr_html_())
    page, _ = visit(path)
    for name in ("Previous", "Next", "Play", "Reset", "Full size"):
        assert page.get_by_role("button", name=name).count() == 1
    assert page.get_by_role("group", name=re.compile("Backward pass of h")).count() == 1
    assert page.locator(".pbp-text").get_attribute("aria-live") == "polite"
    assert page.get_by_role("img", name=re.compile("Computation graph of h")).count() == 1


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def _contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two CSS rgb() colours."""

    def luminance(rgb):
        c = [x / 255 for x in rgb]
        c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    hi, lo = sorted((luminance(_rgb(fg)), luminance(_rgb(bg))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_readable_in_light_and_dark_themes(tmp_path, visit, scheme):
    page_path = step_backward(BOOK_GRAPHS["ch2 expression"]()).save(tmp_path / "saved.html")
    page, requests = visit(page_path, scheme=scheme)
    body_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    if body_bg == "rgba(0, 0, 0, 0)":
        body_bg = "rgb(255, 255, 255)"
    for selector in (".pbp-text", ".pbp-count", "button[data-do=next]"):
        colour = page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).color")
        assert _contrast(colour, body_bg) >= 4.5, (scheme, selector, colour, body_bg)
    panel = page.evaluate(
        "getComputedStyle(document.querySelector('.pbp-drawing')).backgroundColor"
    )
    label = page.evaluate("getComputedStyle(document.querySelector('.pbp-grad')).fill")
    assert _contrast(label, panel) >= 4.5
    page.locator("button[data-do=next]").click()
    highlighted = page.evaluate(
        "getComputedStyle(document.querySelector('.node.pbp-on polygon')).fill"
    )
    assert _contrast(label, highlighted) >= 4.5  # labels stay readable on a highlighted box
    assert outside(requests, page_path.as_uri()) == []


LABEL_SIZES = """(svg) => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')];
  return texts.map(t => parseFloat(t.getAttribute('font-size')) * scale);
}"""


@pytest.mark.parametrize("name", BOOK_GRAPHS)
def test_labels_at_least_10px_in_the_books_column(tmp_path, visit, name):
    path = write_page(tmp_path, step_backward(BOOK_GRAPHS[name]())._repr_html_())
    page, _ = visit(path, width=1400)
    sizes = page.locator(".pbp-drawing svg").evaluate(LABEL_SIZES)
    assert min(sizes) >= MIN_LABEL_PX, f"{name}: smallest label {min(sizes):.1f} px"


def test_at_400px_the_drawing_fits_and_opens_full_size(tmp_path, visit):
    path = write_page(tmp_path, step_backward(BOOK_GRAPHS["ch2 expression"]())._repr_html_())
    page, _ = visit(path, width=400)
    svg = page.locator(".pbp-drawing svg")
    page_width = "document.documentElement.scrollWidth"
    assert page.evaluate(page_width) <= 400
    assert svg.bounding_box()["width"] <= 400
    page.get_by_role("button", name="Full size").click()
    assert page.get_by_role("button", name="Full size").get_attribute("aria-pressed") == "true"
    assert svg.bounding_box()["width"] == pytest.approx(float(svg.get_attribute("width")), abs=1)
    assert min(svg.evaluate(LABEL_SIZES)) >= MIN_LABEL_PX
    drawing = page.locator(".pbp-drawing")
    assert drawing.evaluate("d => d.scrollWidth > d.clientWidth")  # it scrolls inside the player
    assert page.evaluate(page_width) <= 400  # and the page does not


def test_player_without_dot_works_in_the_browser(tmp_path, visit, monkeypatch):
    hide_dot(monkeypatch)
    out = BOOK_GRAPHS["ch3 quadratic"]()
    player = step_backward(out)
    path = write_page(tmp_path, player._repr_html_())
    page, requests = visit(path)
    assert "built-in layout" in page.locator(".pbp-note").text_content()
    for _ in player.steps:
        page.get_by_role("button", name="Next").click()
    sync_api.expect(page.locator(".pbp-count")).to_have_text("step 3 of 3")
    order = out._topological_order()
    out.backward()
    pid = player_id(page.locator(".pbp-player"))
    assert drawn_grads(page, pid, len(order)) == [f"grad {_number(n.grad)}" for n in order]
    assert outside(requests, path.as_uri()) == []


# --- the module player (nn.step_backward_modules) --------------------------------------------


def chapter8_player():
    """Chapter 8's model, lin -> relu -> lin -> mse, on a small random batch."""
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Linear(13, 50, rng=0, dtype=np.float64),
        nn.ReLU(),
        nn.Linear(50, 1, rng=1, dtype=np.float64),
    )
    return nn.step_backward_modules(
        model, nn.MSELoss(), rng.normal(size=(64, 13)), rng.normal(size=(64, 1))
    )


def test_module_player_steps_through_the_modules(tmp_path, visit):
    player = chapter8_player()
    scalar = step_backward(twice_used())
    path = write_page(tmp_path, player._repr_html_(), scalar._repr_html_())
    page, requests = visit(path, clock=True)  # Play's timed steps: clock.run_for, not waited
    expect = sync_api.expect
    one = page.locator(".pbp-player").nth(0)
    pid = player_id(one)
    count, text = one.locator(".pbp-count"), one.locator(".pbp-text")
    grad = one.locator(f"[id='{pid}-g3'] .pbp-grad")  # the gradient leaving the loss
    params = one.locator(f"[id='{pid}-p3'] .pbp-grad")  # the last Linear's parameters

    expect(count).to_have_text("step 0 of 4")
    expect(text).to_contain_text("the loss's gradient with respect to itself is 1")
    expect(grad).to_have_text("grad ?")
    one.get_by_role("button", name="Next").click()
    expect(count).to_have_text("step 1 of 4")
    expect(text).to_have_text(player.steps[0].text)
    expect(grad).to_have_text("grad (64, 1)")
    assert "pbp-on" in one.locator(f"[id='{pid}-m4']").get_attribute("class")  # MSELoss
    one.get_by_role("button", name="Next").click()
    expect(text).to_have_text(player.steps[1].text)
    expect(params).to_have_text("weight.grad (50, 1), bias.grad (1,)")
    assert "pbp-on" in one.locator(f"[id='{pid}-m3']").get_attribute("class")
    assert "pbp-on" not in one.locator(f"[id='{pid}-m4']").get_attribute("class")

    one.focus()
    page.keyboard.press("ArrowLeft")
    expect(count).to_have_text("step 1 of 4")
    expect(params).to_have_text("weight.grad ?, bias.grad ?")
    page.keyboard.press(" ")  # play to the end
    page.clock.run_for(60_000)
    expect(count).to_have_text("step 4 of 4")
    expect(text).to_have_text(player.steps[-1].text)
    expect(one.locator(f"[id='{pid}-g0'] .pbp-grad")).to_have_text("grad (64, 13)")
    one.get_by_role("button", name="Reset").click()
    expect(count).to_have_text("step 0 of 4")
    expect(grad).to_have_text("grad ?")

    # The scalar player on the same page has not moved.
    expect(page.locator(".pbp-player").nth(1).locator(".pbp-count")).to_have_text("step 0 of 1")
    assert outside(requests, path.as_uri()) == []


def test_module_player_is_legible_in_the_column_and_fits_400px(tmp_path, visit):
    html = chapter8_player()._repr_html_()
    page, _ = visit(write_page(tmp_path, html), width=1400)
    assert page.get_by_role("group", name=re.compile("Backward pass through the modules")).count()
    assert page.locator(".pbp-text").get_attribute("aria-live") == "polite"
    sizes = page.locator(".pbp-drawing svg").evaluate(LABEL_SIZES)
    assert min(sizes) >= MIN_LABEL_PX
    page, _ = visit(write_page(tmp_path, html), width=400)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    assert page.locator(".pbp-drawing svg").bounding_box()["width"] <= 400


# --- on a phone and in both themes: legible labels, a key, a text that keeps its height ------

PLAYERS = {
    "scalar": lambda: step_backward(BOOK_GRAPHS["ch2 expression"]()),
    "modules": chapter8_player,
}
HINT = "Full size shows the drawing at its own size"


def smallest_label_on_screen(page, player) -> float:
    return min(player.locator(".pbp-drawing svg").evaluate(LABEL_SIZES))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [COLUMN_PX, 400])
@pytest.mark.parametrize("which", PLAYERS)
def test_labels_are_legible_or_full_size_is_pointed_to(tmp_path, visit, which, width, scheme):
    page, _ = visit(write_page(tmp_path, PLAYERS[which]()._repr_html_()), width, scheme)
    player = page.locator(".pbp-player")
    hint = player.locator(".pbp-hint")
    fitted = smallest_label_on_screen(page, player)
    # Labels under 10 px fitted to the column: the hint says Full size exists; else no hint.
    assert hint.is_visible() == (fitted < MIN_LABEL_PX), f"labels {fitted:.1f} px"
    if width == COLUMN_PX:
        assert fitted >= MIN_LABEL_PX
    if fitted < MIN_LABEL_PX:
        assert HINT in hint.inner_text()
        player.get_by_role("button", name="Full size").click()
        assert smallest_label_on_screen(page, player) >= MIN_LABEL_PX
        assert not hint.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    body_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    body_bg = "rgb(255, 255, 255)" if body_bg == "rgba(0, 0, 0, 0)" else body_bg
    for selector in (".pbp-key", ".pbp-hint"):
        colour = player.locator(selector).evaluate("e => getComputedStyle(e).color")
        assert _contrast(colour, body_bg) >= 4.5, (selector, colour, body_bg)


def test_the_hint_follows_the_width_of_the_window(tmp_path, visit):
    page, _ = visit(write_page(tmp_path, PLAYERS["scalar"]()._repr_html_()), width=400)
    hint = page.locator(".pbp-hint")
    assert hint.is_visible()
    page.set_viewport_size({"width": 1400, "height": 900})
    sync_api.expect(hint).to_be_hidden()
    page.set_viewport_size({"width": 400, "height": 900})
    sync_api.expect(hint).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("which", PLAYERS)
def test_the_key_shows_the_highlights_colours_in_words(tmp_path, visit, which, scheme):
    player_object = PLAYERS[which]()
    page, _ = visit(write_page(tmp_path, player_object._repr_html_()), 400, scheme)
    key = page.locator(".pbp-key")
    assert key.is_visible()
    on_words, new_words = player_object.key
    assert on_words.startswith("orange: ") and new_words.startswith("blue: ")
    assert key.text_content() == on_words + new_words
    swatch = {
        name: key.locator(f".pbp-swatch-{name}").evaluate(
            "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).borderTopColor]"
        )
        for name in ("on", "new")
    }
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Next").click()
    # The swatches are the colours the drawing highlights with: fill and outline of a box.
    on_box = page.locator(".node.pbp-on polygon").first.evaluate(
        "e => [getComputedStyle(e).fill, getComputedStyle(e).stroke]"
    )
    assert on_box == swatch["on"]
    if which == "scalar":
        new_box = page.locator(".node.pbp-new polygon").first.evaluate(
            "e => [getComputedStyle(e).fill, getComputedStyle(e).stroke]"
        )
        assert new_box == swatch["new"]
    else:  # the gradients a module computes are written in the key's blue
        fill = page.locator(".pbp-new .pbp-grad").first.evaluate("e => getComputedStyle(e).fill")
        assert fill == swatch["new"][1]


# The height of the text itself, not of the box it is in.
TEXT_HEIGHT = """(e) => {
  const range = document.createRange();
  range.selectNodeContents(e);
  return range.getBoundingClientRect().height;
}"""


@pytest.mark.parametrize("width", [COLUMN_PX, 400])
@pytest.mark.parametrize("which", PLAYERS)
def test_the_step_text_keeps_its_height_so_the_page_does_not_jump(tmp_path, visit, which, width):
    player_object = PLAYERS[which]()
    page, _ = visit(write_page(tmp_path, player_object._repr_html_()), width)
    texts, player = page.locator(".pbp-texts"), page.locator(".pbp-player")
    text = page.locator(".pbp-text")
    heights, text_heights = set(), set()
    for step in range(len(player_object.steps) + 1):
        sync_api.expect(page.locator(".pbp-count")).to_have_text(
            f"step {step} of {len(player_object.steps)}"
        )
        heights.add((texts.bounding_box()["height"], player.bounding_box()["height"]))
        text_heights.add(text.evaluate(TEXT_HEIGHT))
        page.get_by_role("button", name="Next").click()
    if width == 400:  # there the texts take 2 to 6 lines: the test would see a jump
        assert len(text_heights) > 1
    assert len(heights) == 1, heights


def test_in_full_size_each_step_scrolls_its_node_into_sight(tmp_path, visit):
    player_object = PLAYERS["scalar"]()
    page, _ = visit(write_page(tmp_path, player_object._repr_html_()), width=400)
    page.get_by_role("button", name="Full size").click()
    drawing = page.locator(".pbp-drawing")
    box = drawing.bounding_box()
    for _ in player_object.steps:
        page.get_by_role("button", name="Next").click()
        node = page.locator(".node.pbp-on").first.bounding_box()
        assert box["x"] <= node["x"] and node["x"] + node["width"] <= box["x"] + box["width"]
    assert drawing.evaluate("d => d.scrollLeft") > 0
