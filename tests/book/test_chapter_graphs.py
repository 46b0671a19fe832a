"""The graphs chapters 2 and 3 draw, read from the pages' one execution (tests/book/pages.py):
each shows a backward-pass player, and every drawing keeps its labels at least 10 px tall in
the 749 px text column. Without Graphviz the same graphs are drawn by the built-in layout,
tested on the chapters' graphs in tests/package/test_graph.py (BOOK_GRAPHS)."""

import html
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


def edge_polylines(svg: str) -> list[tuple[str, str, list[tuple[float, float]]]]:
    """(tail, head, points along the drawn curve) for each edge of a Graphviz SVG."""
    edges = []
    for title, path in re.findall(
        r'<g id="edge\d+" class="edge">\s*<title>(.*?)</title>\s*<path[^>]*\sd="([^"]+)"', svg
    ):
        tail, head = html.unescape(title).split("->")
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path)]
        xy = list(zip(numbers[0::2], numbers[1::2], strict=True))
        points = []  # M p0 C p1 p2 p3 [p4 p5 p6 ...]: cubic pieces sharing their ends
        for k in range(0, len(xy) - 3, 3):
            p0, p1, p2, p3 = xy[k : k + 4]
            for step in range(11):
                t = step / 10
                a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
                points.append(
                    (
                        a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
                    )
                )
        edges.append((tail.strip(), head.strip(), points))
    return edges


def _cross(p, q, r, s) -> bool:
    """Whether segment pq properly crosses segment rs."""

    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


def crossings(svg: str) -> list[tuple[str, str]]:
    """Pairs of edges, sharing no node, whose drawn curves cross."""
    edges, found = edge_polylines(svg), []
    for i, (t1, h1, a) in enumerate(edges):
        for t2, h2, b in edges[i + 1 :]:
            if {t1, h1} & {t2, h2}:
                continue  # edges that meet at a node touch there by design
            if any(
                _cross(a[k], a[k + 1], b[m], b[m + 1])
                for k in range(len(a) - 1)
                for m in range(len(b) - 1)
            ):
                found.append((f"{t1}->{h1}", f"{t2}->{h2}"))
    return found


def test_crossings_finds_an_x():
    a = '<g id="edge1" class="edge"><title>a&#45;&gt;b</title><path d="M0,0C1,1 2,2 3,3"/>'
    b = '<g id="edge2" class="edge"><title>c&#45;&gt;d</title><path d="M0,2.9C1,2.1 2,1.3 3,0.2"/>'
    c = '<g id="edge3" class="edge"><title>e&#45;&gt;f</title><path d="M5,0C5,1 5,2 5,3"/>'
    assert crossings(a + b + c) == [("a->b", "c->d")]


# Parametrised by the page so that `make test` runs it on the worker that runs chapter 5
# (tests/conftest.py groups tests by the page in their id): the page is executed once.
@pytest.mark.parametrize("stem", ["05-matrix-calculus"])
def test_matrix_calculus_flow_figures_have_no_crossing_arrows(stem):
    """Fig 5.1 and 5.2: the arrows of the forward pass, the backward pass and what the backward
    pass reads from the forward pass never cross (they used to tangle: site review, fig 5.1)."""
    result = run(CHAPTERS / f"{stem}.qmd")
    if result.error is not None:
        pytest.skip("the page does not run; see test_chapters.test_page_runs_top_to_bottom")
    _, svgs = drawings(result.cells)
    flows = [svg for svg in svgs if "grad_out" in svg or "dL/dL" in svg]
    assert len(flows) >= 2, "chapter 5 should draw the layer's and the network's flow"
    for svg in flows:
        assert edge_polylines(svg), "no edges read from the drawing"
        assert crossings(svg) == []
