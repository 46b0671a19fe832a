"""The graphs chapters 2 and 3 draw, read from the pages' one execution (tests/book/pages.py):
each shows a backward-pass player, and every drawing keeps its labels at least 10 px tall in
the 749 px text column. Without Graphviz the same graphs are drawn by the built-in layout,
tested on the chapters' graphs in tests/package/test_graph.py (BOOK_GRAPHS)."""

import re

import pytest

from tests.book.pages import CHAPTERS, run
from tests.package.test_graph import COLUMN_PX, MIN_LABEL_PX, smallest_label_px
from tests.package.test_step_backward import player_svg


def drawings(cells: list) -> tuple[list[str], list[str]]:
    """(players' HTML, every SVG drawing) among the outputs of executed cells."""
    players, svgs = [], []
    for cell in cells:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            data = out.get("data", {})
            if "image/svg+xml" in data:
                svgs.append(data["image/svg+xml"])
            elif "<svg" in data.get("text/html", ""):
                page = data["text/html"]
                players += [page] if 'class="pbp-player"' in page else []
                svgs.append(player_svg(page))
    return players, svgs


@pytest.mark.parametrize("stem", ["02-scalar-autodiff", "03-chain-rule"])
def test_chapter_graphs_are_legible(stem):
    result = run(CHAPTERS / f"{stem}.qmd")
    if result.error is not None:
        pytest.skip("the page does not run; see test_chapters.test_page_runs_top_to_bottom")
    players, svgs = drawings(result.cells)
    assert players, f"{stem} shows no backward-pass player"
    for page in players:
        assert "built-in layout" not in page, "Graphviz is installed, yet the fallback drew it"
    assert svgs and all(re.search(r"<svg\b", svg) for svg in svgs)
    for svg in svgs:
        assert smallest_label_px(svg, COLUMN_PX) >= MIN_LABEL_PX
