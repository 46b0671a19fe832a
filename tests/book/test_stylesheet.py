"""The book's stylesheet, measured in a real browser: nothing passes the text column, no output
scrolls sideways, no name breaks inside a word, and text keeps its contrast in both themes.

Quarto cannot run here, so each test builds a small page with the markup Quarto writes for the
thing it checks (a figure, a graph drawn as SVG, a cell's output, a reference table, a display
equation, the sidebar drawer, the table `train.fit` leaves, inline code) under CSS rules like the
ones that broke the rendered book (`QUARTO_LIKE`: text that does not wrap, names broken at any
letter, white table rows), adds the rules sections of `book/theme/*.scss`, and measures the
result in headless Chromium at 360, 400, 749, 1400 and 1600 px. Each check also runs without
the book's rules, where it must fail: that is what shows it measures something.

The rules sections are plain CSS (no Sass variables), so they are loaded as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THEME = ROOT / "book" / "theme"
WIDTHS = [360, 400, 749, 1400, 1600]
COLUMN_PX = 749  # Quarto's book text column at 1400 px and wider
AA = 4.5  # WCAG AA contrast for body text


# Colours of the two Bootswatch themes the book uses, and rules like the ones that broke the
# rendered pages: they stand in for Quarto's own stylesheet, which the tests cannot build.
THEMES = {
    "light": {"background": "#ffffff", "color": "#373a3c", "link": "#2780e3"},
    "dark": {"background": "#222222", "color": "#ffffff", "link": "#00bc8c"},
}
QUARTO_LIKE = """
body { margin: 0; font: 17px/1.5 sans-serif; }
main { box-sizing: border-box; width: 100%; max-width: 749px; margin: 0 auto; padding: 0 12px; }
pre { white-space: pre; overflow-x: auto; font: 14px/1.4 monospace; }
figure { display: flex; flex-direction: column; align-items: center; margin: 0; }
.quarto-figure { display: flex; }
table { width: 100%; border-collapse: collapse; }
td, th { word-break: break-all; }
thead tr, tbody tr:nth-child(even) { background-color: #f3f3f3; }
code { background-color: #f8f9fa; color: inherit; }
a { color: LINK; }
#quarto-sidebar { width: 439px; }
#quarto-sidebar .sidebar-link { white-space: nowrap; }
#quarto-sidebar .sidebar-item-container { display: flex; }
h2 { font-size: 2rem; } h3 { font-size: 1.75rem; } h4 { font-size: 1.5rem; }
div.sourceCode { position: relative; }
pre.sourceCode { padding: 0.4em; font: 14px/1.4 monospace; }
pre.sourceCode code { white-space: pre-wrap; }
.code-copy-button { position: absolute; top: 0; right: 0; width: 2rem; height: 2rem; }
"""

LONG_ERROR = (
    "ValueError: mse needs pred and target of the same shape; got pred (2000, 1) and target "
    "(2000,): squeeze the last axis of pred, or compare with y_valid[:, None], before calling it"
)
STD_TABLE = (
    "  ".join(f"{n:>6}" for n in range(0, 55, 5))
    + "\n"
    + "  ".join(f"{0.9 + n / 1000:6.3f}" for n in range(0, 55, 5))
)
SIGNATURE = (
    "nn.Linear(n_in: int, n_out: int, bias: bool = True, "
    'rng: int | np.random.Generator | None = None, init: str = "kaiming")'
)
NAMES = ["scalar", "functional", "gradcheck", "CrossEntropyLoss", "meeting_videos"]


def rules(name: str) -> str:
    """The `scss:rules` section of book/theme/<name>.scss, checked to be plain CSS."""
    text = (THEME / f"{name}.scss").read_text(encoding="utf-8")
    parts = re.split(r"/\*-- scss:(\w+) --\*/", text)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    css = sections["rules"]
    assert "$" not in css and "@include" not in css, f"book/theme/{name}.scss: rules use Sass"
    assert not re.search(r"^\s*//", css, re.MULTILINE), (
        f"book/theme/{name}.scss: // comment in rules"
    )
    return css


def book_css(theme: str) -> str:
    return rules("book") + rules(theme)


# quartodoc's index links a plain name, its summaries a name in code.
REFERENCE_ROWS = "".join(
    f'<tr><td><a href="#">{n if i % 2 else f"<code>{n}</code>"}</a></td>'
    f"<td>{'A long description. ' * 6}</td></tr>"
    for i, n in enumerate(NAMES)
)
FIGURE_SVG = (
    "data:image/svg+xml;utf8,"
    "<svg xmlns='http://www.w3.org/2000/svg' width='1067' height='400'>"
    "<rect width='1067' height='400' fill='steelblue'/></svg>"
)
BODY = f"""
<nav id="quarto-sidebar" class="sidebar"><div class="sidebar-menu-container"><ul>
  <li class="sidebar-item"><div class="sidebar-item-container">
    <a class="sidebar-link" href="#"><span class="menu-text">3 The chain rule and how backprop
    walks the graph</span></a><a class="sidebar-item-toggle" href="#">&gt;</a>
  </div></li>
</ul></div></nav>
<main class="content" id="quarto-document-content">
  <p>Text with <code>History.plot()</code> and a link <a href="#"><code>nn.Linear</code></a>.</p>
  <div class="cell"><div class="cell-output-display">
    <div class="quarto-figure quarto-figure-center"><figure class="figure">
      <p><img id="figure" class="figure-img" src="{FIGURE_SVG}" width="1067" height="400"></p>
      <figcaption>Figure 11.1: a wide figure.</figcaption>
    </figure></div>
  </div></div>
  <div class="cell-output-display">
    <svg id="graph" width="2270pt" height="150pt" viewBox="0 0 2270 150"
      xmlns="http://www.w3.org/2000/svg"><rect width="2270" height="150" fill="gray"/></svg>
  </div>
  <div class="cell-output cell-output-stdout"><pre id="error"><code>{LONG_ERROR}</code></pre></div>
  <div class="cell-output cell-output-stdout"><pre id="std"><code>{STD_TABLE}</code></pre></div>
  <table id="reference"><colgroup><col style="width: 4%"><col style="width: 96%"></colgroup>
    <tbody>{REFERENCE_ROWS}</tbody>
  </table>
  <p><span class="math display"><mjx-container display="true" style="display: block">
    <span style="display: inline-block; width: 1300px">a wide equation</span>
  </mjx-container></span></p>
  <div class="cell-output-display"><table class="caption-top table" id="fit">
    <thead><tr><th>epoch</th><th>train_loss</th><th>valid_loss</th><th>accuracy</th>
      <th>time</th></tr></thead>
    <tbody>{
    "".join(
        f"<tr><td>{e}</td><td>0.59</td><td>0.29</td><td>0.91</td><td>0.04s</td></tr>"
        for e in (1, 2, 3)
    )
}</tbody>
  </table></div>
  <div class="sourceCode" id="signature"><pre class="sourceCode python"><code>{
    SIGNATURE
}</code></pre>
    <button class="code-copy-button">copy</button></div>
  <section class="level2"><h2 id="entry">Value</h2>
    <section class="level3 doc-section doc-section-parameters"><h3 id="label">Parameters</h3>
    </section>
    <section class="level3"><h3 id="method">backward</h3>
      <section class="level4 doc-section doc-section-returns"><h4 id="sublabel">Returns</h4>
      </section></section></section>
  <details class="meeting-chat" open><summary>Meeting chat log</summary>
    <pre class="meeting-chat-log">18:02 Ann: hello everyone</pre></details>
</main>
"""


def page_html(theme: str, with_book: bool) -> str:
    colours = THEMES[theme]
    base = QUARTO_LIKE.replace("LINK", colours["link"])
    base += f"body {{ background: {colours['background']}; color: {colours['color']}; }}"
    book = book_css(theme) if with_book else ""
    return f"<!doctype html><html><head><style>{base}</style><style>{book}</style></head>" + (
        f"<body>{BODY}</body></html>"
    )


def open_page(browser, width: int, theme: str = "light", with_book: bool = True):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_content(page_html(theme, with_book))
    return page


MEASURE = """() => {
  const main = document.querySelector("main").getBoundingClientRect();
  const box = (sel) => document.querySelector(sel).getBoundingClientRect();
  const right = (sel) => box(sel).right;
  const names = [...document.querySelectorAll("#reference td:first-child > a")];
  const toggle = document.querySelector("#quarto-sidebar .sidebar-item-toggle");
  return {
    mainRight: main.right,
    viewport: window.innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    figure: [box("#figure").width, box("#figure").height, right("#figure")],
    graph: [box("#graph").width, box("#graph").height, right("#graph")],
    pres: ["#error", "#std"].map((sel) => {
      const pre = document.querySelector(sel);
      return [sel, pre.scrollWidth, pre.clientWidth, pre.getBoundingClientRect().right];
    }),
    brokenNames: names.filter((c) => c.getClientRects().length > 1
      || c.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(c).fontSize))
      .map((c) => c.textContent),
    tableRight: right("#reference"),
    mathRight: right("span.math.display"),
    sidebarRight: right("#quarto-sidebar"),
    toggleRight: toggle.getBoundingClientRect().right,
  };
}"""


def overflow_problems(m: dict) -> list[str]:
    """Everything that passes the text column or makes the page scroll sideways."""
    edge = m["mainRight"] + 0.5
    problems = []
    if m["pageWidth"] > m["viewport"]:
        problems.append(f"the page scrolls sideways ({m['pageWidth']} > {m['viewport']} px)")
    for name in ("figure", "graph"):
        width, height, right = m[name]
        if right > edge:
            problems.append(f"the {name} passes the column ({right:.0f} > {edge:.0f} px)")
        natural = {"figure": 1067 / 400, "graph": 2270 / 150}[name]
        if height <= 0 or abs(width / height - natural) > 0.02 * natural:
            problems.append(f"the {name} lost its proportions ({width:.0f} x {height:.0f})")
    for sel, scroll, client, right in m["pres"]:
        if scroll > client + 1 or right > edge:
            problems.append(f"output {sel} scrolls sideways ({scroll} > {client} px)")
    if m["brokenNames"]:
        problems.append(f"names broken inside a word: {m['brokenNames']}")
    for name in ("tableRight", "mathRight"):
        if m[name] > edge:
            problems.append(f"{name[:-5]} passes the column ({m[name]:.0f} > {edge:.0f} px)")
    if m["viewport"] < 992 and max(m["sidebarRight"], m["toggleRight"]) > m["viewport"] + 0.5:
        problems.append(f"the sidebar drawer is wider than the screen ({m['sidebarRight']:.0f})")
    return problems


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_passes_the_column_or_scrolls_sideways(browser, width, theme):
    page = open_page(browser, width, theme)
    measured = page.evaluate(MEASURE)
    page.close()
    assert not overflow_problems(measured), f"at {width} px ({theme}): " + "; ".join(
        overflow_problems(measured)
    )


@pytest.mark.parametrize("width", [400, 1400])
def test_without_the_book_rules_the_same_page_overflows(browser, width):
    page = open_page(browser, width, with_book=False)
    problems = overflow_problems(page.evaluate(MEASURE))
    page.close()
    assert any("figure" in p for p in problems), problems
    assert any("output" in p for p in problems), problems
    assert any("names broken" in p for p in problems), problems


def test_a_figure_narrower_than_the_column_is_not_enlarged(browser):
    page = open_page(browser, 1400)
    width = page.evaluate(
        """() => { const img = document.querySelector('#figure');
        img.setAttribute('width', '600'); img.setAttribute('height', '225');
        return img.getBoundingClientRect().width; }"""
    )
    page.close()
    assert width == pytest.approx(600, abs=1)


# --- contrast ---------------------------------------------------------------------------------

CONTRAST = """(selectors) => {
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return rgba(getComputedStyle(document.body).backgroundColor).slice(0, 3);
  };
  const out = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      out.push([sel, el.textContent.trim().slice(0, 20),
                rgba(getComputedStyle(el).color).slice(0, 3), background(el)]);
    }
  }
  return out;
}"""
TEXTS = [
    "#fit th",
    "#fit td",
    "main p > code",
    "main a > code",
    "pre.meeting-chat-log",
]


def luminance(rgb: list[float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: list[float], bg: list[float]) -> float:
    light, dark = sorted([luminance(fg), luminance(bg)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def low_contrast(browser, theme: str, with_book: bool = True) -> list[str]:
    page = open_page(browser, 1400, theme, with_book)
    found = page.evaluate(CONTRAST, TEXTS)
    page.close()
    assert len(found) >= 4 * len(TEXTS) - 4, found  # every kind of text was found
    return [
        f"{sel} {text!r}: {contrast(fg, bg):.2f}"
        for sel, text, fg, bg in found
        if contrast(fg, bg) < AA
    ]


def test_contrast_formula_matches_wcag():
    assert contrast([0, 0, 0], [255, 255, 255]) == pytest.approx(21)
    assert contrast([118, 118, 118], [255, 255, 255]) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_fit_table_inline_code_and_chat_log_keep_aa_contrast(browser, theme):
    weak = low_contrast(browser, theme)
    assert not weak, f"{theme} theme: text below {AA}:1 contrast: {weak}"


def test_without_the_dark_rules_the_fit_table_is_unreadable(browser):
    weak = low_contrast(browser, "dark", with_book=False)
    assert any("#fit" in w for w in weak) and any("code" in w for w in weak), weak


LAYOUT = """() => {
  const size = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
  const pre = document.querySelector("#signature pre");
  const range = document.createRange();
  range.selectNodeContents(pre.querySelector("code"));
  const textRight = Math.max(...[...range.getClientRects()].map((r) => r.right));
  return {
    textRight: textRight,
    buttonLeft: document.querySelector("#signature .code-copy-button").getBoundingClientRect().left,
    entry: size("#entry"), method: size("#method"),
    label: size("#label"), sublabel: size("#sublabel"),
  };
}"""


@pytest.mark.parametrize("width", [400, 1400])
def test_code_keeps_clear_of_the_copy_button(browser, width):
    page = open_page(browser, width)
    m = page.evaluate(LAYOUT)
    page.close()
    assert m["textRight"] <= m["buttonLeft"] + 0.5, m


def test_reference_labels_are_smaller_than_the_entries_they_belong_to(browser):
    page = open_page(browser, 1400)
    m = page.evaluate(LAYOUT)
    page.close()
    assert m["label"] < m["method"] <= m["entry"] and m["sublabel"] < m["method"], m


def test_without_the_book_rules_code_runs_under_the_button(browser):
    page = open_page(browser, 1400, with_book=False)
    m = page.evaluate(LAYOUT)
    page.close()
    assert m["textRight"] > m["buttonLeft"] and m["label"] >= m["method"], m


def test_chat_log_has_a_box():
    css = rules("book")
    block = re.search(r"details\.meeting-chat\s*\{(?P<body>[^}]*)\}", css)
    assert block and re.search(r"border:\s*1px solid", block["body"]), "no box around the log"
