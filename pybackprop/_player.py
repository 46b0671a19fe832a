"""The step-by-step player's HTML, shared by the scalar and the module backward passes.

A player is one self-contained piece of HTML: an inline SVG drawing, Previous / Next / Play /
Reset buttons, a step counter and a line of text that is an ARIA live region, with a small
script and scoped CSS (nothing fetched from anywhere). The drawing's parts that change are SVG
elements with the ids ``<player id>-<name>``: a step highlights some of them (``pbp-on``) and
sets the text of the ``.pbp-grad`` element inside others (``pbp-new``).

``Player`` is the base class of both players: it holds the one ``_repr_html_``; its base
``Page`` holds ``save``, which the explorable figures (``pybackprop.explore``) share.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

PAGE_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
    "@media (prefers-color-scheme:dark){body{background:#1e1e1e;color:#eee}}"
)

# Scoped by class, so several players on a page share it harmlessly. The drawing keeps its own
# white panel, readable in light and dark themes alike; controls and text take the page's colours.
CSS = """
.pbp-player{margin:1em 0;padding:.5em;border:1px solid rgba(128,128,128,.6);border-radius:6px}
.pbp-player:focus-visible,.pbp-player button:focus-visible{outline:2px solid currentColor;
 outline-offset:2px}
.pbp-drawing{background:#fff;color:#000;border-radius:4px;overflow-x:auto}
.pbp-drawing svg{display:block;max-width:100%;height:auto;margin:0 auto}
.pbp-full .pbp-drawing svg{max-width:none}
.pbp-controls{display:flex;flex-wrap:wrap;gap:.4em;align-items:center;margin:.5em 0}
.pbp-controls button{font:inherit;color:inherit;background:transparent;
 border:1px solid currentColor;border-radius:4px;padding:.1em .7em;cursor:pointer}
.pbp-count{font-variant-numeric:tabular-nums;margin:0 .5em;display:inline-block}
.pbp-texts{display:grid}
.pbp-text,.pbp-sizer{grid-area:1/1;margin:.3em 0;font-family:monospace;font-size:.9em;
 overflow-wrap:anywhere;min-height:2.6em}
.pbp-sizer{visibility:hidden}
.pbp-note,.pbp-key,.pbp-hint{font-size:.85em;margin:.3em 0}
.pbp-swatch{display:inline-block;width:1.6em;height:1em;vertical-align:-.15em;
 margin:0 .3em 0 0;border:2px solid;border-radius:2px;box-sizing:border-box}
.pbp-swatch-on{background:#fed7aa;border-color:#c2410c}
.pbp-swatch-new{background:#bfdbfe;border-color:#1d4ed8}
.pbp-key span{display:inline-block;margin-right:1em}
.pbp-key .pbp-swatch{margin-right:.3em}
.pbp-on polygon,.pbp-on ellipse,.pbp-on path{stroke:#c2410c;stroke-width:2.5px}
.node.pbp-on polygon,.node.pbp-on ellipse{fill:#fed7aa}
.edge.pbp-on polygon{fill:#c2410c}
.node.pbp-new polygon{fill:#bfdbfe;stroke:#1d4ed8;stroke-width:2px}
.pbp-new .pbp-grad{font-weight:bold}
g.pbp-new:not(.node) .pbp-grad{fill:#1d4ed8}
"""

# Shown under a drawing whose labels, fitted to the column, are under 10 px (a phone).
HINT = (
    "The labels are small at this width: <strong>Full size</strong> shows the drawing at its own "
    "size, to scroll sideways."
)

# `id` is the player's own id; everything is looked up from it, so players stay independent.
JS = """
(function (id) {
  var root = document.getElementById(id);
  var data = JSON.parse(root.querySelector(".pbp-data").textContent);
  var last = data.steps.length, k = 0, applied = 0, timer = null;
  var text = root.querySelector(".pbp-text"), count = root.querySelector(".pbp-count");
  var play = root.querySelector("[data-do=play]");
  var drawing = root.querySelector(".pbp-drawing"), svg = drawing.querySelector("svg");
  var hint = root.querySelector(".pbp-hint");
  var fonts = svg ? [].map.call(svg.querySelectorAll("text[font-size]"), function (t) {
    return parseFloat(t.getAttribute("font-size"));
  }) : [];
  var smallest = Math.min.apply(null, fonts);  // Infinity: no labels, no hint
  // The hint says that Full size exists when the drawing, fitted to the column, has labels
  // under 10 CSS px (a phone): Full size shows it at its own size, scrolling sideways.
  function fit() {
    if (!fonts.length) return;
    var scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    hint.hidden = root.classList.contains("pbp-full") || !(smallest * scale < 10);
  }
  function part(name) { return document.getElementById(id + "-" + name); }
  function setGrads(grads) {
    for (var name in grads) part(name).querySelector(".pbp-grad").textContent = grads[name];
  }
  function show(target) {
    k = Math.max(0, Math.min(last, target));
    root.querySelectorAll(".pbp-on, .pbp-new").forEach(function (el) {
      el.classList.remove("pbp-on", "pbp-new");
    });
    // Forward, only the new steps' texts change: playing n steps costs n, not n * n.
    if (k < applied) { setGrads(data.start); applied = 0; }
    for (; applied < k; applied++) setGrads(data.steps[applied].grads);
    if (k > 0) {
      var step = data.steps[k - 1];
      step.on.forEach(function (name) { part(name).classList.add("pbp-on"); });
      Object.keys(step.grads).forEach(function (name) { part(name).classList.add("pbp-new"); });
      if (root.classList.contains("pbp-full")) {  // keep the current node in sight
        var r = part(step.on[0]).getBoundingClientRect(), box = drawing.getBoundingClientRect();
        drawing.scrollLeft += r.left + r.width / 2 - (box.left + box.width / 2);
      }
    }
    count.textContent = "step " + k + " of " + last;
    text.textContent = k > 0 ? data.steps[k - 1].text : data.intro;
  }
  function stop() { clearInterval(timer); timer = null; play.textContent = "Play"; }
  function toggle() {
    if (timer) return stop();
    if (k === last) show(0);
    play.textContent = "Pause";
    timer = setInterval(function () {
      show(k + 1);
      if (k === last) stop();
    }, 1200);
  }
  var actions = {
    prev: function () { stop(); show(k - 1); },
    next: function () { stop(); show(k + 1); },
    reset: function () { stop(); show(0); },
    play: toggle,
    zoom: function (button) {
      button.setAttribute("aria-pressed", root.classList.toggle("pbp-full"));
      fit();
      show(k);
    }
  };
  root.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-do]");
    if (button) actions[button.getAttribute("data-do")](button);
  });
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowLeft") actions.prev();
    else if (e.key === "ArrowRight") actions.next();
    else if (e.key === " " && !e.target.closest("button")) toggle();
    else return;
    e.preventDefault();
    e.stopPropagation();  // keep the notebook from moving between cells
  });
  window.addEventListener("resize", fit);
  fit();
  setGrads(data.start);  // the drawing may hold other texts (the widest, for its layout)
  show(0);
})
"""


def printable(text: str) -> str:
    """text with control characters, surrogates and U+FFFE/U+FFFF written as Python escapes."""
    # SVG is XML, which cannot hold them even escaped; a learner's label may (issue 24).
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in "\ufffe\uffff"
        else ch
        for ch in text
    )


@dataclass(frozen=True)
class Frames:
    """What a player whose id is pid shows: a drawing, its texts at step 0, and the steps."""

    svg: str  # the drawing; the parts that change have the ids pid-<name>
    start: dict[str, str]  # part name -> the text of its .pbp-grad element at step 0
    steps: list[dict]  # each: "on" (parts to highlight), "grads" (part -> new text), "text"
    intro: str  # step 0's line
    note: str | None = None  # an optional line under the player


class Page:
    """Base of every figure shown as HTML (players, explorable figures): saved as a page.

    A subclass sets ``title`` and implements ``_repr_html_``, which Jupyter and the book show.
    """

    title: str

    def _repr_html_(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} must implement _repr_html_()")

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write the figure as a standalone HTML page (no network needed to open it).

        Parameters
        ----------
        path : str or Path
            Where to write the page, e.g. ``"backward.html"``.
        overwrite : bool, default False
            Replace a file already at ``path``. A symbolic link is never written through.

        Returns
        -------
        Path
            The path written.

        Raises
        ------
        FileExistsError
            If ``path`` is a symbolic link, or exists and ``overwrite`` is False.
        IsADirectoryError
            If ``path`` is a directory.
        """
        path = Path(path)
        title = html.escape(self.title)
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{PAGE_CSS}</style></head>\n<body>\n"
            f"<h1>{title}</h1>\n{self._repr_html_()}\n</body></html>\n"
        ).encode()
        if path.is_symlink():
            raise FileExistsError(
                f"{path} is a symbolic link (to {os.readlink(path)}); save() does not write "
                "through links: give the path of a file, or remove the link"
            )
        if path.is_dir():
            raise IsADirectoryError(
                f"{path} is a directory; save() writes one file: give a file name, e.g. "
                f"{path / 'figure.html'}"
            )
        if not overwrite:
            # O_EXCL: fails if anything is there by now, a link included, instead of replacing it.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise FileExistsError(
                    f"{path} exists; pass overwrite=True to replace it, or choose another name"
                ) from None
            with os.fdopen(fd, "wb") as f:
                f.write(page)
            return path
        # A new file renamed over the old: os.replace replaces a link itself, never its target.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(page)
            os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


class Player(Page):
    """Base of the step-by-step players: shown in Jupyter and the book, saved as a page.

    A subclass sets ``title`` and implements ``_frames(pid)``; this class wraps the drawing in
    the one HTML shell all players share.
    """

    # What the two highlights mean, in words naming their colours: orange (pbp-on), blue (pbp-new).
    key: tuple[str, str] | None = None

    def _frames(self, pid: str) -> Frames:
        """The drawing and the steps, for a player whose id is pid."""
        raise NotImplementedError(f"{type(self).__name__} must implement _frames(pid)")

    def _repr_html_(self) -> str:
        pid = "pbp-" + uuid.uuid4().hex[:12]  # every id inside one player starts with it
        frames = self._frames(pid)
        data = {"start": frames.start, "steps": frames.steps, "intro": frames.intro}
        data = json.dumps(data, ensure_ascii=False)
        data = data.replace("<", "\\u003c")  # no "</script>" or "<!--" inside the script element
        note = f'<p class="pbp-note">{html.escape(frames.note)}</p>' if frames.note else ""
        label = f"{self.title}, step by step: buttons, or the arrow keys and space"
        key = "".join(
            f'<span><span class="pbp-swatch pbp-swatch-{kind}"></span>{html.escape(words)}</span>'
            for kind, words in zip(("on", "new"), self.key or (), strict=False)
        )
        key = f'<p class="pbp-key">{key}</p>' if key else ""
        # The longest texts, hidden in the text's grid cell: it is as tall as the tallest, and
        # the page does not jump from step to step.
        texts = sorted([frames.intro] + [step["text"] for step in frames.steps], key=len)
        sizers = "".join(
            f'<p class="pbp-sizer" aria-hidden="true">{html.escape(text)}</p>'
            for text in texts[-12:]
        )
        return f"""<div class="pbp-player" id="{pid}" role="group" tabindex="0"
 aria-label="{html.escape(label)}">
<style>{CSS}</style>
<div class="pbp-drawing">{frames.svg}</div>
{key}<p class="pbp-hint" hidden>{HINT}</p>
<div class="pbp-controls">
<button type="button" data-do="reset">Reset</button>
<button type="button" data-do="prev">Previous</button>
<button type="button" data-do="play">Play</button>
<button type="button" data-do="next">Next</button>
<span class="pbp-count" style="min-width:{2 * len(str(len(frames.steps))) + 9}ch">step 0 of \
{len(frames.steps)}</span>
<button type="button" data-do="zoom" aria-pressed="false">Full size</button>
</div>
<div class="pbp-texts"><p class="pbp-text" aria-live="polite">{html.escape(frames.intro)}</p>
{sizers}</div>
{note}
<script type="application/json" class="pbp-data">{data}</script>
<script>{JS}("{pid}");</script>
</div>"""
