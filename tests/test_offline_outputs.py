"""Rendered chapters work offline: no cell output makes Quarto load scripts from a CDN.

Quarto adds require.js and jQuery from cdnjs to every page that has a `text/html` or
`application/javascript` output (its "JavaScript widgets" support), so offline those pages threw
an uncaught error. The outputs that did it were `train.fit`'s progress table (fastprogress's
HTML) and the exercise checks' `CheckResult` (an HTML repr). Now `fit` shows Markdown
(tests/test_train.py runs it in a kernel) and `CheckResult` has only a Markdown repr. This file
checks the package and the pages for anything else that would bring an HTML or JavaScript
output back.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The MIME types for which Quarto loads require.js and jQuery from a CDN.
CDN_TRIGGERS = {"text/html", "application/javascript"}
_HTML_REPR = re.compile(r"def _repr_(html|javascript)_\b")
_HTML_DISPLAY = re.compile(r"\b(HTML|Javascript|IFrame)\(|\bipywidgets\b|\bplotly\b|tqdm\.auto")


def tracked(pattern: str) -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [ROOT / name for name in out.stdout.split()]


def test_no_object_of_the_package_has_an_html_or_javascript_repr():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in tracked("pybackprop/*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _HTML_REPR.search(line)
    ]
    assert not found, f"HTML/JavaScript reprs make Quarto load CDN scripts: {found}"


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


def test_the_scan_would_catch_an_html_repr():
    assert _HTML_REPR.search("    def _repr_html_(self) -> str:")
    assert _HTML_DISPLAY.search("display(HTML('<b>x</b>'))")
    assert not _HTML_DISPLAY.search("from IPython.display import Markdown")
