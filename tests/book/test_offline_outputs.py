"""Rendered chapters work offline: no page loads a script, font or style from another host.

Quarto adds require.js and jQuery from a CDN (and a `define('jquery', ...)` shim) to every page
that has a `text/html` or `application/javascript` output, in case it is a widget that needs
them; offline those pages threw an uncaught error. Two answers, both checked here:

- outputs that need no HTML have none: `train.fit` shows Markdown
  (tests/package/test_train.py runs it in a kernel) and `CheckResult` has only a Markdown repr;
- the package's HTML outputs (the `step_backward` and `nn.step_backward_modules` players, the
  Graphviz-free drawing) reference nothing outside themselves, and the `post-render` step
  `book/offline_pages.py` removes Quarto's CDN tags from every page without a real Jupyter
  widget. The explorable figures (`pybackprop.explore`) share one shell, checked the same way.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import offline_pages
import pytest
import yaml

from pybackprop import Value, explore, nn, step_backward
from pybackprop.scalar import GraphDrawing
from pybackprop.scalar.graph import _graph, _pick_rankdir, _svg_layout

ROOT = Path(__file__).resolve().parents[2]

# The MIME types for which Quarto loads require.js and jQuery from a CDN.
CDN_TRIGGERS = {"text/html", "application/javascript"}
_HTML_REPR = re.compile(r"def _repr_(html|javascript)_\b")
# The objects whose HTML repr is allowed: self-contained, checked below.
SELF_CONTAINED_HTML = {
    "pybackprop/_player.py",  # the players' one shell: the scalar and the module player
    "pybackprop/scalar/graph.py",
    "pybackprop/explore/_figure.py",  # the explorable figures' one shell
}
_HTML_DISPLAY = re.compile(r"\b(HTML|Javascript|IFrame)\(|\bipywidgets\b|\bplotly\b|tqdm\.auto")
# Anything that makes a browser fetch from another host.
_EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(\s*["']?(?:https?:)?//"""
)

# The head that Quarto 1.7 writes for a page with an HTML output (src/core/jupyter/widgets.ts).
QUARTO_WIDGET_HEAD = (
    '<head>\n<meta charset="utf-8">\n'
    '<script src="https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.min.js" '
    'integrity="sha384-x" crossorigin="anonymous"></script>\n'
    '<script src="https://cdn.jsdelivr.net/npm/jquery@3.5.1/dist/jquery.min.js" '
    'integrity="sha384-y" crossorigin="anonymous" data-relocate-top="true"></script>\n'
    '<script type="application/javascript">'
    "define('jquery', [],function() {return window.jQuery;})</script>\n"
    '<script src="../site_libs/quarto-html/quarto.js"></script>\n</head>\n'
)


def tracked(pattern: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [ROOT / name for name in out.stdout.split()]


def test_only_the_self_contained_drawings_have_an_html_or_javascript_repr():
    found = {
        str(path.relative_to(ROOT))
        for path in tracked("pybackprop/*.py")
        if _HTML_REPR.search(path.read_text(encoding="utf-8"))
    }
    assert found <= SELF_CONTAINED_HTML, f"HTML reprs outside the checked drawings: {found}"


def test_the_players_drawings_and_figures_reference_nothing_outside_themselves():
    x = Value(2.0, label="x")
    y = (x * x + x).tanh()
    graph = _graph(y)
    drawing = GraphDrawing(_svg_layout(graph, _pick_rankdir(graph, None)), "a note")
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 1, rng=1))
    x, target = np.ones((2, 3), np.float32), np.zeros((2, 1), np.float32)
    modules = nn.step_backward_modules(model, nn.MSELoss(), x, target)
    figure = explore.relu_pieces()
    reprs = (step_backward(y), drawing, modules, figure)
    for html in (shown._repr_html_() for shown in reprs):
        assert "<svg" in html
        assert not _EXTERNAL.search(html), _EXTERNAL.search(html)


def test_no_page_displays_html_javascript_or_widgets():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in tracked("*.qmd")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _HTML_DISPLAY.search(line)
    ]
    assert not found, "outputs that make Quarto load CDN scripts:\n" + "\n".join(found)


def test_a_check_result_is_displayed_without_html():
    formatters = pytest.importorskip("IPython.core.formatters")
    from pybackprop.exercises import check_relu_backward

    result = check_relu_backward(lambda x, grad: grad)
    data, _ = formatters.DisplayFormatter().format(result)
    assert "text/markdown" in data and not set(data) & CDN_TRIGGERS, sorted(data)


def test_the_scans_would_catch_what_they_look_for():
    assert _HTML_REPR.search("    def _repr_html_(self) -> str:")
    assert _HTML_DISPLAY.search("display(HTML('<b>x</b>'))")
    assert not _HTML_DISPLAY.search("from IPython.display import Markdown")
    assert _EXTERNAL.search('<script src="https://cdn.example/x.js">')
    assert _EXTERNAL.search("<link href='//fonts.example/f.css'>")
    assert _EXTERNAL.search("@import url(x.css)")
    assert not _EXTERNAL.search('<a href="#step-3">')


def test_the_post_render_step_removes_quartos_cdn_scripts_and_nothing_else():
    page = QUARTO_WIDGET_HEAD + "<body><p>cdn.jsdelivr.net in text stays</p></body>\n"
    stripped = offline_pages.strip_cdn_scripts(page)
    assert "require.min.js" not in stripped and "jquery.min.js" not in stripped
    assert "define('jquery'" not in stripped
    assert '<script src="../site_libs/quarto-html/quarto.js"></script>' in stripped
    assert "<p>cdn.jsdelivr.net in text stays</p>" in stripped
    assert offline_pages.strip_cdn_scripts(stripped) == stripped


def test_a_page_with_a_real_jupyter_widget_keeps_them():
    page = QUARTO_WIDGET_HEAD + (
        '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "1"}</script>\n'
    )
    assert offline_pages.strip_cdn_scripts(page) == page


def test_the_step_rewrites_every_page_of_the_book(tmp_path, monkeypatch, capsys):
    (tmp_path / "chapters").mkdir()
    with_player = tmp_path / "chapters" / "02.html"
    with_player.write_text(QUARTO_WIDGET_HEAD, encoding="utf-8")
    plain = tmp_path / "index.html"
    plain.write_text("<head></head>", encoding="utf-8")
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(tmp_path))
    assert offline_pages.main() == 0
    assert "require.min.js" not in with_player.read_text(encoding="utf-8")
    assert plain.read_text(encoding="utf-8") == "<head></head>"
    assert "1 page(s)" in capsys.readouterr().out


def test_the_build_runs_the_step_after_rendering():
    project = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["project"]
    scripts = project.get("post-render", [])
    scripts = [scripts] if isinstance(scripts, str) else scripts
    assert "book/offline_pages.py" in scripts, f"project: post-render: {scripts}"
