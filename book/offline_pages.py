"""Make the rendered pages work offline: drop the CDN scripts Quarto adds for "JavaScript widgets".

Quarto puts require.js and jQuery from a CDN (plus a one-line `define('jquery', ...)` shim) into
the head of every page that has any `text/html` or `application/javascript` cell output, in case
that output is a widget such as plotly or itables that expects them. The book's HTML outputs
(the `step_backward` player, Graphviz-free drawings) are self-contained and need neither, so
offline those script tags only fail, and the shim then throws `define is not defined`. This
`post-render` step removes the three tags from every page that has no Jupyter widget in it (a
page with `application/vnd.jupyter.widget-view+json` really needs them and is left alone). Only
the standard library, so any Python runs it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# The tags as Quarto writes them (src/core/jupyter/widgets.ts): require.js and jQuery from a CDN,
# and the inline shim that registers jQuery with require.js.
_CDN_SCRIPT = re.compile(
    r'[ \t]*<script src="https://cdn\.jsdelivr\.net/npm/(?:requirejs|jquery)@[^"]*"[^>]*>'
    r"</script>[ \t]*\n?"
)
_JQUERY_SHIM = re.compile(
    r"[ \t]*<script type=\"application/javascript\">define\('jquery', \[\],\s*function\(\) "
    r"\{return window\.jQuery;\}\)</script>[ \t]*\n?"
)
_JUPYTER_WIDGET = "application/vnd.jupyter.widget-view+json"


def strip_cdn_scripts(page: str) -> str:
    """`page` without Quarto's widget CDN scripts, unless it holds a real Jupyter widget."""
    if _JUPYTER_WIDGET in page:
        return page
    return _JQUERY_SHIM.sub("", _CDN_SCRIPT.sub("", page))


def main() -> int:
    out_dir = Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", "_book"))
    if not out_dir.is_dir():
        print(f"offline_pages: no rendered book at {out_dir}; nothing to do", file=sys.stderr)
        return 0
    changed = 0
    for path in sorted(out_dir.rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        stripped = strip_cdn_scripts(page)
        if stripped != page:
            path.write_text(stripped, encoding="utf-8")
            changed += 1
    print(f"offline_pages: removed the widget CDN scripts from {changed} page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
