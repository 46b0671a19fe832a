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

import re
import sys

from rendered_pages import rewrite_pages

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
    return rewrite_pages("offline_pages", strip_cdn_scripts, "removed the widget CDN scripts from")


if __name__ == "__main__":
    sys.exit(main())
