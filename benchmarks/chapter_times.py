"""How long each page of the book takes to run top to bottom in a fresh kernel, as Quarto runs it.

`make chapter-times` (or `python benchmarks/chapter_times.py [NAME ...]`, NAME a part of a page's
file name). Each page runs once, offline and with one BLAS thread, exactly as the book's tests
set the kernel up (tests/book/pages.py), but with each cell run once: the tests run every cell
twice, so their run is no measure of a chapter. Prints one row per page, kernel start-up
included, and the total; a member's laptop should run each chapter in seconds. Nothing here is
asserted: a busy machine is not a bug.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The tests' page helpers, and the book's notebook converter they import (as tests/conftest.py
# arranges for the tests).
sys.path[:0] = [str(ROOT), str(ROOT / "book")]

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

from tests.book.pages import (  # noqa: E402
    CELL_TIMEOUT,
    KERNEL_ENV,
    OFFLINE_PRELUDE,
    PAGES,
    first_error,
    page_cells,
    rel,
    warm_matplotlib,
)


def time_page(path: Path) -> tuple[float, str | None]:
    """Seconds to run `path` in a fresh kernel (start-up included), and its first error."""
    cells = [nbformat.from_dict(cell) for cell in page_cells(path)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(OFFLINE_PRELUDE), *cells])
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute(env=KERNEL_ENV)
    return time.perf_counter() - start, first_error(path, nb.cells[1:])


def main(names: list[str]) -> int:
    pages = [p for p in PAGES if not names or any(n.lower() in p.name.lower() for n in names)]
    if not pages:
        print(f"no page matches {names}; the pages are: {[p.name for p in PAGES]}")
        return 2
    warm_matplotlib()
    print("| page                                   | seconds |\n|---|---:|")
    total, failed = 0.0, []
    for path in pages:
        seconds, error = time_page(path)
        total += seconds
        print(f"| {rel(path):<38} | {seconds:7.1f} |" + ("  FAILED" if error else ""))
        if error:
            failed.append(error)
    print(f"| {'in all':<38} | {total:7.1f} |")
    for error in failed:
        print("\n" + error)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
