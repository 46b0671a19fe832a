"""The loop the book's `post-render` steps share: rewrite every rendered page with one function.

Only the standard library, so any Python runs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path


def rewrite_pages(step: str, rewrite: Callable[[str], str], done: str) -> int:
    """Apply `rewrite` to every .html page of the rendered book; print how many changed.

    `step` names the calling script in its messages, and `done` says what it did to a page.
    Returns the exit status, 0 (no rendered book is nothing to do, not an error).
    """
    out_dir = Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR", "_book"))
    if not out_dir.is_dir():
        print(f"{step}: no rendered book at {out_dir}; nothing to do", file=sys.stderr)
        return 0
    changed = 0
    for path in sorted(out_dir.rglob("*.html")):
        page = path.read_text(encoding="utf-8")
        new = rewrite(page)
        if new != page:
            path.write_text(new, encoding="utf-8")
            changed += 1
    print(f"{step}: {done} {changed} page(s)")
    return 0
