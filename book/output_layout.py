"""Keep printed tables and matrices in their columns: mark their outputs `tabular-output`.

The stylesheet (book/theme/book.scss) wraps cell outputs, so that prose and error messages are
read whole on a phone; but a wrapped table drops its last column under every row and a wrapped
matrix splits its rows. CSS cannot tell the two apart, so this `post-render` step reads each
printed output Quarto 1.7 wrote,

    <div class="cell-output cell-output-stdout">
    <pre><code>std of activations after layer        1         2 ...</code></pre>

(`cell-output-display` for a cell's value), and gives the <pre> of a table or a matrix the class
`tabular-output`, which scrolls sideways in its own box instead of wrapping. Only the standard
library, so any Python runs it.
"""

from __future__ import annotations

import html
import re
import sys

from rendered_pages import rewrite_pages

_OUTPUT_PRE = re.compile(
    r'(?P<head><div class="cell-output cell-output-(?:stdout|display)">\s*)'
    r"<pre><code>(?P<text>.*?)</code></pre>",
    re.DOTALL,
)
# A numpy matrix row: "[[ 0.1  0.2", " [0.3 ...", "array([[1, 2]": a bracket, then a number.
_MATRIX_ROW = re.compile(r"^\s*(?:\w+\()?\[+\s*[-+]?(?:\d|\.\d|nan|inf)", re.MULTILINE)
# Columns lined up with spaces: two or more spaces between two words on a line.
_ALIGNED = re.compile(r"\S {2,}\S")


def is_tabular(text: str) -> bool:
    """True for printed text whose lines are rows of columns (a table or a matrix)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    if len(_MATRIX_ROW.findall(text)) >= 2:
        return True
    return sum(bool(_ALIGNED.search(line.strip())) for line in lines) >= 2


def mark_tabular_outputs(page: str) -> str:
    """`page` with the <pre> of every printed table or matrix classed `tabular-output`."""

    def mark(match: re.Match) -> str:
        if not is_tabular(html.unescape(match["text"])):
            return match[0]
        return f'{match["head"]}<pre class="tabular-output"><code>{match["text"]}</code></pre>'

    return _OUTPUT_PRE.sub(mark, page)


def main() -> int:
    return rewrite_pages(
        "output_layout", mark_tabular_outputs, "marked the printed tables and matrices of"
    )


if __name__ == "__main__":
    sys.exit(main())
