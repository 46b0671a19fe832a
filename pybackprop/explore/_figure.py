"""The explorable figures' HTML: panels of axes, sliders, and a live line, in one shell.

A figure is one self-contained piece of HTML, built the way the step players are
(``pybackprop._player``): inline SVG panels, native controls (``<input type=range>`` sliders,
radio buttons, toggle buttons), a line of text that is an ARIA live region, the numbers as
JSON, and a small script with scoped CSS. Nothing is fetched from anywhere. Everything inside
a figure is found from its root element, by ``data-part`` names, so several figures on one
page stay independent.

Each panel draws its series in data coordinates: a nested ``<svg>`` whose viewBox is the
axes' ranges (y flipped by a transform) clips them, and strokes keep their width with
``vector-effect: non-scaling-stroke``. So a series' ``points`` attribute holds the very
numbers the figure shows, which is what the browser tests read back.
"""

from __future__ import annotations

import html
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from .._player import Page

# Light colours by default; dark ones for a dark system preference (Jupyter, VS Code, a saved
# page) unless the book's light theme is on, and always in the book's dark theme (Quarto puts
# quarto-dark or quarto-light on <body>) and in JupyterLab's and VS Code's dark themes. Every
# colour has a contrast of at least 4.5:1 with its theme's background (tests/package).
LIGHT = (
    "--pbx-bg:#ffffff;--pbx-fg:#1f2328;--pbx-muted:#555555;--pbx-c0:#1d4ed8;--pbx-c1:#c2410c;"
    "--pbx-c2:#15803d;--pbx-c3:#7e22ce;--pbx-c4:#595959;color-scheme:light"
)
DARK = (
    "--pbx-bg:#222222;--pbx-fg:#eeeeee;--pbx-muted:#b8b8b8;--pbx-c0:#8ab4f8;--pbx-c1:#fdba74;"
    "--pbx-c2:#86efac;--pbx-c3:#d8b4fe;--pbx-c4:#c8c8c8;color-scheme:dark"
)
CSS = f"""
.pbx{{{LIGHT}}}
@media (prefers-color-scheme:dark){{.pbx{{{DARK}}}}}
body.quarto-light .pbx{{{LIGHT}}}
body.quarto-dark .pbx,body.vscode-dark .pbx,[data-jp-theme-light=false] .pbx{{{DARK}}}
.pbx{{margin:1em 0;padding:.5em;border:1px solid var(--pbx-muted);border-radius:6px;
 background:var(--pbx-bg);color:var(--pbx-fg);font-family:system-ui,sans-serif;
 box-sizing:border-box;max-width:100%}}
.pbx-panels{{display:flex;flex-wrap:wrap;gap:.5em;justify-content:center}}
.pbx-panel{{flex:1 1 300px;min-width:0;max-width:440px;height:auto;font-size:13px}}
.pbx-panel text{{fill:currentColor}}
.pbx-panel .pbx-muted{{fill:var(--pbx-muted)}}
.pbx-frame,.pbx-tick{{fill:none;stroke:var(--pbx-muted);stroke-width:1}}
.pbx-panel polyline,.pbx-panel path,.pbx-panel ellipse,.pbx-panel line.pbx-ref{{fill:none;
 vector-effect:non-scaling-stroke;stroke-width:2;stroke-linejoin:round}}
.pbx-panel .pbx-thin{{stroke-width:1.2}}
.pbx-panel .pbx-dashed{{stroke-dasharray:5 4}}
.pbx-panel .pbx-dots{{stroke-width:7;stroke-linecap:round}}
.pbx-panel .pbx-small{{stroke-width:5}}
.pbx-panel .pbx-fill{{stroke:none;opacity:.22;fill:currentColor}}
.pbx-c0{{stroke:var(--pbx-c0);fill:var(--pbx-c0);color:var(--pbx-c0)}}
.pbx-c1{{stroke:var(--pbx-c1);fill:var(--pbx-c1);color:var(--pbx-c1)}}
.pbx-c2{{stroke:var(--pbx-c2);fill:var(--pbx-c2);color:var(--pbx-c2)}}
.pbx-c3{{stroke:var(--pbx-c3);fill:var(--pbx-c3);color:var(--pbx-c3)}}
.pbx-c4{{stroke:var(--pbx-c4);fill:var(--pbx-c4);color:var(--pbx-c4)}}
.pbx-legend{{display:flex;flex-wrap:wrap;gap:.2em 1.2em;margin:.3em 0;padding:0;
 list-style:none;font-size:.9em}}
.pbx-legend span{{display:inline-block;width:1.6em;height:0;margin-right:.4em;
 vertical-align:middle;border-top:3px solid}}
.pbx-legend span.pbx-dashed{{border-top-style:dashed}}
.pbx-legend span.pbx-dots{{width:.7em;height:.7em;border:0;border-radius:50%;
 background:currentColor}}
.pbx-controls{{display:grid;grid-template-columns:repeat(auto-fill,minmax(14em,1fr));
 gap:.4em 1.2em;margin:.5em 0}}
.pbx-slider label{{display:block;font-size:.95em}}
.pbx-slider output{{font-variant-numeric:tabular-nums;font-weight:600;margin-left:.3em}}
.pbx-slider input{{display:block;width:100%;margin:.2em 0;accent-color:var(--pbx-c0)}}
.pbx fieldset{{border:0;margin:0;padding:0;font-size:.95em}}
.pbx legend{{padding:0;font-weight:600}}
.pbx fieldset label{{display:inline-block;margin-right:1em;white-space:nowrap}}
.pbx input[type=radio]{{accent-color:var(--pbx-c0)}}
.pbx button{{font:inherit;color:inherit;background:transparent;justify-self:start;
 border:1px solid currentColor;border-radius:4px;padding:.15em .7em;cursor:pointer}}
.pbx button[aria-pressed=true]{{background:var(--pbx-fg);color:var(--pbx-bg)}}
.pbx input:focus-visible,.pbx button:focus-visible{{outline:2px solid currentColor;
 outline-offset:2px}}
.pbx-live{{margin:.3em 0;min-height:4.2em;font-size:.95em;overflow-wrap:anywhere}}
"""

# `id` is the figure's own id and `draw(fig, data, v)` its own function: it redraws from the
# controls' values `v` (a slider's or radio group's index, a toggle's true/false) and returns
# the live line. Everything is looked up inside the root, so figures stay independent.
JS = """
(function (id, draw) {
  var root = document.getElementById(id);
  var data = JSON.parse(root.querySelector(".pbx-data").textContent);
  var live = root.querySelector(".pbx-live");
  function part(name) { return root.querySelector('[data-part="' + name + '"]'); }
  var fig = {
    part: part,
    line: function (name, xs, ys) {
      var p = [];
      for (var i = 0; i < xs.length; i++) p.push(xs[i] + "," + ys[i]);
      part(name).setAttribute("points", p.join(" "));
    },
    dots: function (name, xs, ys) {
      var d = "";
      for (var i = 0; i < xs.length; i++) d += "M" + xs[i] + " " + ys[i] + "h0";
      part(name).setAttribute("d", d);
    },
    show: function (name, on) { part(name).style.display = on ? "" : "none"; }
  };
  function update() {
    var v = {};
    root.querySelectorAll("input[type=range]").forEach(function (s) {
      var key = s.getAttribute("data-key"), i = +s.value, text = data.sliders[key][i];
      v[key] = i;
      s.setAttribute("aria-valuetext", s.getAttribute("data-label") + " " + text);
      root.querySelector('output[data-key="' + key + '"]').textContent = text;
    });
    root.querySelectorAll("input[type=radio]:checked").forEach(function (r) {
      v[r.getAttribute("data-key")] = +r.value;
    });
    root.querySelectorAll("button[data-key]").forEach(function (b) {
      v[b.getAttribute("data-key")] = b.getAttribute("aria-pressed") === "true";
    });
    live.textContent = draw(fig, data, v);
  }
  root.addEventListener("input", update);
  root.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-key]");
    if (!b) return;
    b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") !== "true");
    update();
  });
  root.addEventListener("keydown", function (e) {
    if (e.target.closest("input")) e.stopPropagation();  // arrows move the slider, not the notebook
  });
  update();
})
"""


@dataclass(frozen=True)
class Slider:
    """A slider over the values ``texts`` (shown as they are), starting at index ``start``."""

    key: str
    label: str
    texts: Sequence[str]
    start: int = 0


@dataclass(frozen=True)
class Choice:
    """A group of radio buttons, one per option, the ``start``-th checked."""

    key: str
    label: str
    options: Sequence[str]
    start: int = 0


@dataclass(frozen=True)
class Toggle:
    """A button that is pressed or not."""

    key: str
    label: str


@dataclass(frozen=True)
class Series:
    """A drawn series: a polyline ("line"), round dots ("dots") or a filled path ("fill")."""

    part: str
    kind: str = "line"
    style: str = "pbx-c0"


@dataclass(frozen=True)
class Axes:
    """One panel: its ranges, ticks (value, text), labels, and series in data coordinates."""

    title: str
    x: tuple[float, float]
    y: tuple[float, float]
    xticks: Sequence[tuple[float, str]]
    yticks: Sequence[tuple[float, str]]
    xlabel: str
    ylabel: str
    series: Sequence[Series]
    under: str = ""  # fixed SVG in data coordinates, drawn under the series


W, H = 360, 250  # a panel's viewBox: at 13px its labels stay at least 10px wide down to 277px
LEFT, RIGHT, TOP, BOTTOM = 62, 12, 26, 44


def int_ticks(lo: float, hi: float, step: int = 1) -> list[tuple[float, str]]:
    """Ticks at the integers from ceil(lo) to floor(hi), every ``step``: all inside the axis."""
    return [(v, f"{v:g}") for v in range(math.ceil(lo), math.floor(hi) + 1, step)]


def _num(x: float) -> str:
    """x as a short SVG number."""
    return f"{x:.6g}"


def panel(ax: Axes) -> str:
    """The SVG of one panel of axes."""
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    (x0, x1), (y0, y1) = ax.x, ax.y

    def px(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return TOP + (y1 - y) / (y1 - y0) * ph

    out = [
        f'<svg class="pbx-panel" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{html.escape(ax.title)}">',
        f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="600">'
        f"{html.escape(ax.title)}</text>",
        f'<rect class="pbx-frame" x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}"/>',
    ]
    for x, text in ax.xticks:
        out.append(
            f'<line class="pbx-tick" x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{TOP + ph}" '
            f'y2="{TOP + ph + 4}"/><text x="{px(x):.1f}" y="{TOP + ph + 17}" '
            f'text-anchor="middle">{html.escape(text)}</text>'
        )
    for y, text in ax.yticks:
        out.append(
            f'<line class="pbx-tick" x1="{LEFT - 4}" x2="{LEFT}" y1="{py(y):.1f}" '
            f'y2="{py(y):.1f}"/><text x="{LEFT - 7}" y="{py(y) + 4:.1f}" '
            f'text-anchor="end">{html.escape(text)}</text>'
        )
    series = "".join(
        f'<polyline data-part="{s.part}" class="{s.style}" points=""/>'
        if s.kind == "line"
        else f'<path data-part="{s.part}" class="pbx-{s.kind} {s.style}" d=""/>'
        for s in ax.series
    )
    out += [
        f'<svg x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" '
        f'viewBox="{_num(x0)} {_num(-y1)} {_num(x1 - x0)} {_num(y1 - y0)}" '
        f'preserveAspectRatio="none"><g transform="scale(1,-1)">{ax.under}{series}</g></svg>',
        f'<text x="{LEFT + pw / 2}" y="{H - 6}" text-anchor="middle">'
        f"{html.escape(ax.xlabel)}</text>",
        f'<text transform="translate(12 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">'
        f"{html.escape(ax.ylabel)}</text>",
        "</svg>",
    ]
    return "".join(out)


@dataclass(eq=False)
class Explorable(Page):
    """An explorable figure: shown in Jupyter and the book, saved as a page with ``save``.

    Made by the functions of ``pybackprop.explore``, not by hand.

    Parameters
    ----------
    title : str
        Its name, the saved page's title.
    panels : sequence of Axes
        The SVG panels.
    legend : sequence of (str, str)
        The CSS classes and the text of each legend entry.
    controls : sequence of Slider, Choice or Toggle
        The sliders, radio groups and buttons.
    data : dict
        The numbers it embeds (rounded to what is drawn), as JSON.
    draw : str
        The JavaScript ``function (fig, data, v)`` that redraws and returns the live line.

    Examples
    --------
    >>> from pybackprop import explore
    >>> explore.relu_pieces()
    <Explorable: ReLU pieces against the curve>
    """

    title: str
    panels: Sequence[Axes]
    legend: Sequence[tuple[str, str]]  # (CSS classes, text) of each entry
    controls: Sequence[Slider | Choice | Toggle]
    data: dict = field(repr=False)
    draw: str = field(repr=False)  # the JavaScript function(fig, data, v) -> live line

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.title}>"

    def _control(self, c: Slider | Choice | Toggle, fid: str) -> str:
        """One control's HTML."""
        label = html.escape(c.label)
        if isinstance(c, Slider):
            start = html.escape(c.texts[c.start])
            return (
                f'<div class="pbx-slider"><label>{label} <output data-key="{c.key}">{start}'
                f'</output><input type="range" data-key="{c.key}" data-label="{label}" '
                f'min="0" max="{len(c.texts) - 1}" step="1" value="{c.start}" '
                f'aria-valuetext="{label} {start}"></label></div>'
            )
        if isinstance(c, Choice):
            radios = "".join(
                f'<label><input type="radio" name="{fid}-{c.key}" data-key="{c.key}" '
                f'value="{i}"{" checked" if i == c.start else ""}> {html.escape(o)}</label>'
                for i, o in enumerate(c.options)
            )
            return f"<fieldset><legend>{label}</legend>{radios}</fieldset>"
        return f'<button type="button" data-key="{c.key}" aria-pressed="false">{label}</button>'

    def _repr_html_(self) -> str:
        fid = "pbx-" + uuid.uuid4().hex[:12]
        texts = {c.key: list(c.texts) for c in self.controls if isinstance(c, Slider)}
        data = json.dumps({**self.data, "sliders": texts}, separators=(",", ":"))
        data = data.replace("<", "\\u003c")  # no "</script>" inside the script element
        legend = "".join(
            f'<li><span class="{style}"></span>{html.escape(text)}</li>'
            for style, text in self.legend
        )
        controls = "".join(self._control(c, fid) for c in self.controls)
        label = f"{self.title}: move the sliders (arrow keys) and read the line below"
        return f"""<div class="pbx" id="{fid}" role="group" aria-label="{html.escape(label)}">
<style>{CSS}</style>
<div class="pbx-panels">{"".join(panel(ax) for ax in self.panels)}</div>
<ul class="pbx-legend">{legend}</ul>
<div class="pbx-controls">{controls}</div>
<p class="pbx-live" aria-live="polite"></p>
<script type="application/json" class="pbx-data">{data}</script>
<script>{JS}("{fid}", {self.draw});</script>
</div>"""
