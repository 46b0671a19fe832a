"""The book's stylesheet, measured in a real browser: nothing passes the text column, no output
scrolls sideways, no name breaks inside a word, and text keeps its contrast in both themes.

Quarto cannot run here, so each test builds a small page with the markup Quarto writes for the
thing it checks (a figure, a graph drawn as SVG, a cell's output, a reference table, a display
equation, the sidebar drawer, the table `train.fit` leaves, inline code) under CSS rules like the
ones that broke the rendered book (`QUARTO_LIKE`: text that does not wrap, names broken at any
letter, white table rows), adds the rules sections of `book/theme/*.scss`, and measures the
result in headless Chromium at 360, 400, 749, 1400 and 1600 px: also a code cell (no line of code
wraps; it scrolls in its box), printed tables (they keep their rows), Markdown tables (they fit
or scroll with a visible cue, and no word breaks), Quarto's captions, title block, breadcrumbs
and navigation (contrast), a figure in the dark theme (it takes the page's background), and
the how-to-run box on a phone. Each check also runs without the book's rules, where it must
fail: that is what shows it measures something.

The rules sections are plain CSS (no Sass variables), so they are loaded as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pybackprop._player import CSS as PLAYER_CSS

ROOT = Path(__file__).resolve().parents[2]
THEME = ROOT / "book" / "theme"
WIDTHS = [360, 400, 749, 1400, 1600]
COLUMN_PX = 749  # Quarto's book text column at 1400 px and wider
AA = 4.5  # WCAG AA contrast for body text


# Colours of the two Bootswatch themes the book uses, and rules like the ones that broke the
# rendered pages: they stand in for Quarto's own stylesheet, which the tests cannot build.
THEMES = {
    "light": {
        "background": "#ffffff",
        "color": "#373a3c",
        "link": "#2780e3",
        # cosmo's captions and section numbers, as measured on the rendered pages (4.39:1)
        "furniture": "figcaption, caption, .header-section-number { color: #787878; }",
    },
    "dark": {
        "background": "#222222",
        "color": "#ffffff",
        "link": "#00bc8c",
        # darkly's greys, as QUARTO.md (point 8) measured them on the rendered pages
        "furniture": """
.quarto-secondary-nav, .quarto-title-block { background-color: #434343; }
h1.title, .breadcrumb-item, .breadcrumb-item a, .chapter-number, .chapter-title,
.code-tools-button, details.code-fold > summary, .nav-page a { color: #6c757d; }
pre.sourceCode { background-color: #373737; }
code span.al, code span.er { color: #f07178; }
""",
    },
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
pre > code.sourceCode > span { display: inline-block; }
.table td, .table th, .table a, .table code { overflow-wrap: anywhere; }
.table code { white-space: pre; }
pre.sourceCode > code { background-color: transparent; }
.btn { background-color: transparent; border: 0; }
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
  <div class="callout callout-style-simple callout-note" id="run-box"><div
    class="callout-body d-flex">
    <div class="callout-icon-container"><i class="callout-icon"></i></div>
    <div class="callout-body-container"><p><strong>Run this chapter live:</strong> <a
      href="#">open it in Colab</a> or <a href="#">download it as a notebook</a>; its first cell
      installs what it needs. Elsewhere, <a href="#">install the package</a> and copy cells with
      the button at their top right.
    </p></div></div></div>
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
  <div class="cell-output cell-output-stdout"><pre id="std" class="tabular-output"><code>{
    STD_TABLE
}</code></pre></div>
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


# A code cell as Quarto 1.7 writes it: each line of code a `<span id="cbN-M">` (display:
# inline-block) with an empty anchor, in `pre.sourceCode > code.sourceCode`, and the copy button
# beside it in `div.code-copy-outer-scaffold`; ch 10's line that wrapped into "separate
# statements" at 400 px.
LONG_CODE = (
    "deep = nn.Sequential(*[m for _ in range(depth) for m in "
    "(nn.Linear(width, width, bias=False, rng=rng, dtype=np.float64), nn.ReLU())])"
)
CODE_CELL = f"""
<div class="cell"><div class="code-copy-outer-scaffold"><div class="sourceCode cell-code"
  id="cb7"><pre
  class="sourceCode python code-with-copy"><code class="sourceCode python"><span id="cb7-1"><a
  href="#cb7-1" aria-hidden="true" tabindex="-1"></a>rng <span class="op">=</span
  > np.random.default_rng(<span
  class="dv">1</span>)</span>
<span id="cb7-2"><a href="#cb7-2" aria-hidden="true" tabindex="-1"></a>{LONG_CODE}</span>
<span id="cb7-3"><a href="#cb7-3" aria-hidden="true" tabindex="-1"></a><span
  class="cf">for</span> layer <span class="kw">in</span> deep: <span class="al">TODO</span> <span
  class="er">$</span></span></code></pre></div><button
  title="Copy to Clipboard" class="code-copy-button"><i class="bi"></i></button></div></div>
"""
# Markdown tables as Quarto 1.7 writes them (`<table class="caption-top table">` with Pandoc's
# colgroup): ch 9's "by hand / pybackprop" (816 px in the 749 px column) and the home page's map
# of the book, whose titles broke mid-word at 400 px.
CH9_ROWS = [
    (
        "ShuffledLoader(Dataset(x, y), bs, shuffle=True, rng=seed)",
        "DataLoader(x, y, batch_size=bs, shuffle=True, rng=seed)",
    ),
    ("Optimizer(params, lr)", "optim.SGD(model.parameters(), lr)"),
    ("the loop, the printing", "train.fit(model, loss_func, opt, train_dl, valid_dl, epochs)"),
]
CH9_TABLE = (
    '<table id="ch9" class="caption-top table"><colgroup><col style="width: 50%">'
    '<col style="width: 50%"></colgroup><thead><tr><th>by hand</th><th>pybackprop</th></tr>'
    "</thead><tbody>"
    + "".join(f"<tr><td><code>{a}</code></td><td><code>{b}</code></td></tr>" for a, b in CH9_ROWS)
    + "</tbody></table>"
)
MAP_ROWS = [
    ("1 Linear models and ReLU, piecewise", "Linear models; ReLU pieces fitting a curve"),
    ("8 Refactoring into modules", "Module, Sequential; the backward of each layer"),
    ("10 Initialisation and normalisation", "Kaiming init; normalisation of the inputs"),
]
MAP_TABLE = (
    '<table id="map" class="caption-top table"><colgroup><col style="width: 20%">'
    '<col style="width: 25%"><col style="width: 30%"><col style="width: 25%"></colgroup>'
    "<thead><tr><th>Chapter</th><th>The notes</th><th>fast.ai lesson 13</th><th>pybackprop</th>"
    "</tr></thead><tbody>"
    + "".join(
        f'<tr><td><a href="#">{a}</a></td><td>{b}</td><td>The chain rule, by hand, then '
        f"<code>lin_grad</code></td><td><code>nn.Linear</code>, <code>nn.ReLU</code></td></tr>"
        for a, b in MAP_ROWS
    )
    + "</tbody></table>"
)
FIGURE_CAPTION = (
    '<figure class="figure"><figcaption>Figure 11.3: every MNIST run.</figcaption></figure>'
    '<div class="quarto-float"><figure class="quarto-float quarto-float-tbl figure"><figcaption '
    'class="quarto-float-caption-top quarto-float-caption quarto-float-tbl" id="tbl-x-caption">'
    "Table 5.1: the Jacobians.</figcaption></figure></div>"
    '<h2 id="numbered"><span class="header-section-number">9.2</span> A section</h2>'
)
# Quarto 1.7's page furniture around `main`: the breadcrumbs of the secondary nav, the title
# block with the "Code" tools button, "Show the code" of a folded cell, the previous/next links.
CHROME_TOP = """
<nav class="quarto-secondary-nav"><div class="container-fluid d-flex">
  <nav class="quarto-page-breadcrumbs" aria-label="breadcrumb"><ol class="breadcrumb">
    <li class="breadcrumb-item"><a href="#">Tensors and lesson 13</a></li>
    <li class="breadcrumb-item"><a href="#"><span class="chapter-number">9</span>&nbsp;
      <span class="chapter-title">Minibatch training</span></a></li></ol></nav></div></nav>
<header id="title-block-header" class="quarto-title-block default"><div class="quarto-title">
  <div class="quarto-title-block"><div><h1 class="title"><span class="chapter-number">9</span>&nbsp;
    <span class="chapter-title">Minibatch training</span></h1><button type="button"
    class="btn code-tools-button" id="quarto-code-tools-source"><i class="bi"></i> Code</button>
  </div></div></div></header>
"""
CHROME_BOTTOM = """
<nav class="page-navigation"><div class="nav-page nav-page-previous"><a href="#"
  class="pagination-link"><i class="bi bi-arrow-left-short"></i> <span class="nav-page-text"><span
  class="chapter-number">8</span>&nbsp; <span class="chapter-title">Refactoring</span></span></a
  ></div>
  <div class="nav-page nav-page-next"><a href="#" class="pagination-link"><span
  class="nav-page-text"><span class="chapter-number">10</span>&nbsp; <span
  class="chapter-title">Initialisation</span></span></a></div></nav>
"""
FOLDED = (
    '<details class="code-fold"><summary>Show the code</summary><div class="sourceCode">'
    '<pre class="sourceCode python"><code class="sourceCode python"><span id="cb9-1">'
    "plt.show()</span></code></pre></div></details>"
)
BODY = (
    CHROME_TOP
    + BODY.replace(
        "</main>", CODE_CELL + CH9_TABLE + MAP_TABLE + FIGURE_CAPTION + FOLDED + "</main>"
    )
    + CHROME_BOTTOM
)


def page_html(theme: str, with_book: bool) -> str:
    colours = THEMES[theme]
    base = QUARTO_LIKE.replace("LINK", colours["link"])
    base += f"body {{ background: {colours['background']}; color: {colours['color']}; }}"
    base += colours["furniture"]
    book = book_css(theme) if with_book else ""
    return f"<!doctype html><html><head><style>{base}</style><style>{book}</style></head>" + (
        f"<body>{BODY}</body></html>"
    )


def open_page(tab, width: int, theme: str = "light", with_book: bool = True):
    tab.set_viewport_size({"width": width, "height": 900})
    tab.set_content(page_html(theme, with_book))
    return tab


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
    pres: ["#error"].map((sel) => {
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
def test_nothing_passes_the_column_or_scrolls_sideways(tab, width, theme):
    page = open_page(tab, width, theme)
    measured = page.evaluate(MEASURE)
    assert not overflow_problems(measured), f"at {width} px ({theme}): " + "; ".join(
        overflow_problems(measured)
    )


@pytest.mark.parametrize("width", [400, 1400])
def test_without_the_book_rules_the_same_page_overflows(tab, width):
    page = open_page(tab, width, with_book=False)
    problems = overflow_problems(page.evaluate(MEASURE))
    assert any("figure" in p for p in problems), problems
    assert any("output" in p for p in problems), problems
    assert any("names broken" in p for p in problems), problems


def test_a_figure_narrower_than_the_column_is_not_enlarged(tab):
    page = open_page(tab, 1400)
    width = page.evaluate(
        """() => { const img = document.querySelector('#figure');
        img.setAttribute('width', '600'); img.setAttribute('height', '225');
        return img.getBoundingClientRect().width; }"""
    )
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


def low_contrast(tab, theme: str, with_book: bool = True) -> list[str]:
    page = open_page(tab, 1400, theme, with_book)
    found = page.evaluate(CONTRAST, TEXTS)
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
def test_fit_table_inline_code_and_chat_log_keep_aa_contrast(tab, theme):
    weak = low_contrast(tab, theme)
    assert not weak, f"{theme} theme: text below {AA}:1 contrast: {weak}"


def test_without_the_dark_rules_the_fit_table_is_unreadable(tab):
    weak = low_contrast(tab, "dark", with_book=False)
    assert any("#fit" in w for w in weak) and any("code" in w for w in weak), weak


LAYOUT = """() => {
  const size = (sel) => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
  const pre = document.querySelector("#signature pre");
  pre.scrollLeft = pre.scrollWidth;
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
def test_code_keeps_clear_of_the_copy_button(tab, width):
    # A line longer than the box scrolls under the button; scrolled to its end, it ends left of it.
    page = open_page(tab, width)
    m = page.evaluate(LAYOUT)
    assert m["textRight"] <= m["buttonLeft"] + 0.5, m


def test_reference_labels_are_smaller_than_the_entries_they_belong_to(tab):
    page = open_page(tab, 1400)
    m = page.evaluate(LAYOUT)
    assert m["label"] < m["method"] <= m["entry"] and m["sublabel"] < m["method"], m


def test_without_the_book_rules_code_runs_under_the_button(tab):
    page = open_page(tab, 1400, with_book=False)
    m = page.evaluate(LAYOUT)
    assert m["textRight"] > m["buttonLeft"] and m["label"] >= m["method"], m


def test_chat_log_has_a_box():
    css = rules("book")
    block = re.search(r"details\.meeting-chat\s*\{(?P<body>[^}]*)\}", css)
    assert block and re.search(r"border:\s*1px solid", block["body"]), "no box around the log"


# --- code, outputs and tables at a phone's and the column's width ----------------------------

LINES_AND_TABLES = """() => {
  const main = document.querySelector("main").getBoundingClientRect();
  // The distinct line boxes a piece of text takes (a word or a line of code broken in two
  // takes two).
  const lineCount = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    const tops = [...range.getClientRects()].filter((r) => r.width > 0)
      .map((r) => Math.round(r.top));
    return new Set(tops).size;
  };
  const textLines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0)
      .map((r) => Math.round(r.top))).size;
  };
  const brokenWords = (sel) => {
    const broken = [];
    const walker = document.createTreeWalker(document.querySelector(sel), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.textContent.matchAll(/\\S+/g)) {
        if (lineCount(node, m.index, m.index + m[0].length) > 1) broken.push(m[0]);
      }
    }
    return broken;
  };
  const table = (sel) => {
    const t = document.querySelector(sel);
    const style = getComputedStyle(t);
    return {
      sel, right: t.getBoundingClientRect().right, scrolls: t.scrollWidth > t.clientWidth + 1,
      overflowX: style.overflowX, cue: style.backgroundImage.includes("radial-gradient"),
      broken: brokenWords(sel),
    };
  };
  const pre = (sel) => {
    const p = document.querySelector(sel);
    return { right: p.getBoundingClientRect().right, scrollWidth: p.scrollWidth,
             clientWidth: p.clientWidth, overflowX: getComputedStyle(p).overflowX };
  };
  return {
    mainRight: main.right,
    pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
    codeLines: [...document.querySelectorAll("#cb7 code > span")].map(textLines),
    code: pre("#cb7 pre"),
    stdLines: textLines(document.querySelector("#std code")),
    std: pre("#std"),
    error: pre("#error"),
    tables: ["#ch9", "#map", "#reference"].map(table),
  };
}"""


def layout_problems(m: dict) -> list[str]:
    edge = m["mainRight"] + 0.5
    problems = []
    if m["pageScrolls"]:
        problems.append("the page scrolls sideways")
    if any(n != 1 for n in m["codeLines"]):
        problems.append(f"a line of code wraps (line boxes per line: {m['codeLines']})")
    code = m["code"]
    if code["right"] > edge or code["overflowX"] not in ("auto", "scroll"):
        problems.append(f"the code's box passes the column or does not scroll: {code}")
    if code["scrollWidth"] <= code["clientWidth"]:
        problems.append("the long line of code does not scroll in its box")
    if m["stdLines"] != STD_TABLE.count("\n") + 1:
        problems.append(f"the printed table wraps: {m['stdLines']} lines")
    if m["std"]["right"] > edge or m["std"]["overflowX"] not in ("auto", "scroll"):
        problems.append(f"the printed table passes the column or does not scroll: {m['std']}")
    if m["error"]["scrollWidth"] > m["error"]["clientWidth"] + 1:
        problems.append("the error message scrolls instead of wrapping")
    for t in m["tables"]:
        if t["broken"]:
            problems.append(f"{t['sel']}: words broken across lines: {t['broken']}")
        if t["right"] > edge:
            problems.append(f"{t['sel']} passes the column ({t['right']:.0f} > {edge:.0f})")
        if t["scrolls"] and not (t["overflowX"] in ("auto", "scroll") and t["cue"]):
            problems.append(f"{t['sel']} is cut without a visible cue: {t}")
    return problems


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [400, 749])
def test_code_scrolls_tables_keep_their_rows_and_words_stay_whole(tab, width, theme):
    page = open_page(tab, width, theme)
    m = page.evaluate(LINES_AND_TABLES)
    assert not layout_problems(m), f"at {width} px ({theme}): " + "; ".join(layout_problems(m))
    if width == 749:  # ch 9's table fits the column whole (its code wraps at spaces)
        assert not next(t for t in m["tables"] if t["sel"] == "#ch9")["scrolls"], m["tables"]


@pytest.mark.parametrize("width", [400, 749])
def test_without_the_book_rules_code_wraps_and_names_break(tab, width):
    page = open_page(tab, width, with_book=False)
    problems = layout_problems(page.evaluate(LINES_AND_TABLES))
    assert any("a line of code wraps" in p for p in problems), problems
    assert any("words broken" in p for p in problems), problems


# --- the contrast of Quarto's own furniture ----------------------------------------------------

FURNITURE = {
    "light": [
        "main figure > figcaption",
        "main figcaption.quarto-float-caption",
        "#numbered .header-section-number",
    ],
    "dark": [
        "#title-block-header h1.title .chapter-number",
        "#title-block-header h1.title .chapter-title",
        ".breadcrumb-item > a",
        ".breadcrumb-item .chapter-title",
        ".code-tools-button",
        "details.code-fold > summary",
        ".nav-page a .chapter-title",
        ".nav-page a .chapter-number",
        "#cb7 span.al",
        "#cb7 span.er",
    ],
}


def furniture_contrast(tab, theme: str, with_book: bool = True) -> list[tuple[str, float]]:
    page = open_page(tab, 1400, theme, with_book)
    found = page.evaluate(CONTRAST, FURNITURE[theme])
    assert {sel for sel, *_ in found} == set(FURNITURE[theme]), found
    return [(f"{sel} {text!r}", contrast(fg, bg)) for sel, text, fg, bg in found]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_captions_titles_breadcrumbs_and_navigation_keep_aa_contrast(tab, theme):
    weak = [f"{what}: {r:.2f}" for what, r in furniture_contrast(tab, theme) if r < AA]
    assert not weak, f"{theme} theme: below {AA}:1: {weak}"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_without_the_book_rules_the_furniture_is_too_faint(tab, theme):
    ratios = dict(furniture_contrast(tab, theme, with_book=False))
    assert all(r < AA for r in ratios.values()), ratios


# --- figures follow the theme --------------------------------------------------------------------

# A figure as Quarto writes it, <img class="img-fluid figure-img">: black text and a blue line
# (matplotlib's C0) on white, as matplotlib and Graphviz draw them.
THEMED_FIGURE = (
    "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' width='300' height='120'>"
    "<rect width='300' height='120' fill='white'/>"
    "<rect x='20' y='20' width='100' height='30' fill='black'/>"
    "<rect x='160' y='20' width='100' height='30' fill='%231f77b4'/></svg>"
)


# The player's drawing as pybackprop writes it: inline SVG in a white `.pbp-drawing` panel (the
# player's own CSS), here with the same picture; the player's frame is taken off to place it.
PLAYER_FIGURE = (
    f"<style>{PLAYER_CSS}</style><div class='pbp-player' style='margin:0;padding:0;border:0'>"
    "<div class='pbp-drawing' style='border-radius:0'>"
    f"<img src=\"{THEMED_FIGURE}\" width='300' height='120' style='display:block'></div></div>"
)
FIGURES = {
    "figure": f'<img class="img-fluid figure-img" src="{THEMED_FIGURE}" width="300" height="120">',
    "player": PLAYER_FIGURE,
}


def figure_pixels(tab, theme: str, kind: str, with_book: bool = True) -> dict[str, tuple]:
    from io import BytesIO

    from PIL import Image

    page = tab
    page.set_viewport_size({"width": 400, "height": 300})
    colours = THEMES[theme]
    book = book_css(theme) if with_book else ""
    page.set_content(
        f"<!doctype html><html><head><style>body {{ margin: 0; background: "
        f"{colours['background']}; }}</style><style>{book}</style></head><body><main "
        f'style="width: 300px">{FIGURES[kind]}</main></body></html>'
    )
    shot = Image.open(BytesIO(page.screenshot())).convert("RGB")
    return {
        "page": shot.getpixel((350, 250)),
        "paper": shot.getpixel((5, 100)),
        "ink": shot.getpixel((70, 35)),
        "blue": shot.getpixel((210, 35)),
    }


@pytest.mark.parametrize("kind", list(FIGURES))
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_figures_take_the_page_background_and_keep_readable_ink(tab, theme, kind):
    """Matplotlib's and Graphviz's images, and the players' drawings (the site review's
    white rectangles in the dark theme), take the page's background."""
    px = figure_pixels(tab, theme, kind)
    if theme == "light" and kind == "player":
        assert px["paper"] == (255, 255, 255), px  # the player's white panel, as on white
    else:
        assert all(abs(a - b) <= 3 for a, b in zip(px["paper"], px["page"], strict=True)), px
    assert contrast(list(px["ink"]), list(px["paper"])) >= 7, px
    r, g, b = px["blue"]
    assert b > r + 40 and b > g, f"the blue line is no longer blue: {px}"


@pytest.mark.parametrize("kind", list(FIGURES))
def test_without_the_dark_rules_a_figure_is_a_white_box(tab, kind):
    px = figure_pixels(tab, "dark", kind, with_book=False)
    assert px["paper"] == (255, 255, 255) and px["page"] == (34, 34, 34), px


# --- which printed outputs are tables (book/output_layout.py, a post-render step) ---------------


@pytest.mark.parametrize(
    "text, tabular",
    [
        (STD_TABLE, True),
        ("array([[ 0.1 , -0.25],\n       [ 1.5 ,  2.  ]])", True),
        ("J_W (3, 12)\n[[0.1 0.2 0.3]\n [0.4 0.5 0.6]]", True),
        ("name           loss   acc\nSGD          0.3000  0.91\nAdam         0.2000  0.95", True),
        (LONG_ERROR, False),
        ("The loss fell from 2.3 to 0.3 in 40 steps.\nEvery gradient matches torch's.", False),
        ("[0.1 0.2 0.3]", False),
    ],
)
def test_printed_tables_and_matrices_are_told_from_prose(text, tabular):
    import output_layout

    assert output_layout.is_tabular(text) is tabular


def test_the_step_marks_only_tabular_outputs_and_the_build_runs_it(tmp_path, monkeypatch):
    import html

    import output_layout
    import yaml

    table, prose = html.escape(STD_TABLE), html.escape(LONG_ERROR)
    page = (
        f'<div class="cell-output cell-output-stdout">\n<pre><code>{table}</code></pre>\n</div>'
        f'<div class="cell-output cell-output-stdout">\n<pre><code>{prose}</code></pre>\n</div>'
        f'<div class="sourceCode"><pre class="sourceCode"><code>{table}</code></pre></div>'
    )
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "10.html").write_text(page, encoding="utf-8")
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(tmp_path))
    assert output_layout.main() == 0
    marked = (tmp_path / "chapters" / "10.html").read_text(encoding="utf-8")
    assert marked.count('<pre class="tabular-output">') == 1
    assert f'<pre class="tabular-output"><code>{table}</code>' in marked
    assert f"<pre><code>{prose}</code>" in marked
    project = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["project"]
    assert "book/output_layout.py" in project["post-render"]


# --- the how-to-run box at the top of each chapter, on a phone -----------------------------------

RUN_BOX = """() => {
  const box = document.querySelector("#run-box");
  const text = box.querySelector("p");
  const icon = box.querySelector(".callout-icon-container").getBoundingClientRect();
  return {
    right: box.getBoundingClientRect().right,
    mainRight: document.querySelector("main").getBoundingClientRect().right,
    iconWidth: icon.width,
    lines: Math.round(text.getBoundingClientRect().height
      / parseFloat(getComputedStyle(text).lineHeight)),
  };
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_run_box_on_a_phone_is_a_few_full_width_lines(tab, theme):
    page = open_page(tab, 400, theme)
    m = page.evaluate(RUN_BOX)
    assert m["lines"] <= 5, f"the how-to-run box takes {m['lines']} lines on a phone: {m}"
    assert m["iconWidth"] == 0 and m["right"] <= m["mainRight"] + 0.5, m


def test_without_the_book_rules_the_run_box_keeps_its_icon_column(tab):
    page = open_page(tab, 400, with_book=False)
    m = page.evaluate(RUN_BOX)
    assert m["iconWidth"] > 0, m
