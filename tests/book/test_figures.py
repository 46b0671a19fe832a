"""Figures are drawn for the book's text column, so that none is cut off or shrunk illegibly.

The rendered book's text column is 749 CSS px wide (Quarto's book layout at 1400 px). Quarto
draws matplotlib figures at the `fig-dpi` of `_quarto.yml`, and the browser shows them at one
CSS px per pixel, so a figure `figsize` inches wide takes `figsize * fig-dpi` px. Every
`figsize=` in the chapters and in the package (`History.plot`), and the default `fig-width`,
must fit the column: then nothing is scaled down and 10 pt text stays 13 px tall. (The
stylesheet scales a wider figure down rather than cutting it: tests/book/test_stylesheet.py.)
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COLUMN_PX = 749

_FIGSIZE = re.compile(r"figsize\s*=\s*(?P<value>\((?:[^()]|\([^()]*\))*\))")


def html_format() -> dict:
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    return config["format"]["html"]


def figsize_calls() -> list[tuple[str, int, str]]:
    """(file, line, the figsize expression) for the chapters and the package's modules."""
    files = sorted((ROOT / "chapters").glob("*.qmd")) + sorted((ROOT / "pybackprop").rglob("*.py"))
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in _FIGSIZE.finditer(line):
                found.append((path.relative_to(ROOT).as_posix(), number, match["value"]))
    return found


def widest(expression: str) -> float:
    """The largest width a figsize expression can give: `(w, h)` or `(a if c else b, h)`."""
    node = ast.parse(expression, mode="eval").body
    assert isinstance(node, ast.Tuple) and len(node.elts) == 2, expression
    width = node.elts[0]
    options = [width.body, width.orelse] if isinstance(width, ast.IfExp) else [width]
    return max(float(ast.literal_eval(option)) for option in options)


def test_quarto_draws_figures_at_a_stated_dpi():
    html = html_format()
    assert isinstance(html.get("fig-dpi"), int | float), "_quarto.yml: set format.html.fig-dpi"
    assert html["fig-width"] * html["fig-dpi"] <= COLUMN_PX, (
        f"_quarto.yml: the default figure ({html['fig-width']} in at {html['fig-dpi']} dpi) is "
        f"wider than the {COLUMN_PX} px column"
    )


def test_figures_open_full_size():
    assert html_format().get("lightbox") in (True, "auto"), "_quarto.yml: set lightbox: true"


def test_the_figsize_scan_finds_the_chapters_plots():
    # Chapters 1, 4, 11 and 12 draw side-by-side panels; if the scan found none of them, the
    # width check below would pass without checking anything.
    files = {file for file, _, _ in figsize_calls()}
    for stem in ("01-relu-piecewise", "04-loss-gradient-descent", "11-init-normalisation"):
        assert f"chapters/{stem}.qmd" in files
    assert "pybackprop/train.py" in files


@pytest.mark.parametrize(
    "file, line, expression", figsize_calls(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_figure_fits_the_text_column(file, line, expression):
    dpi = html_format()["fig-dpi"]
    width = widest(expression)
    assert width * dpi <= COLUMN_PX, (
        f"{file}:{line}: figsize={expression} is {width * dpi:.0f} px wide at {dpi} dpi; the "
        f"text column is {COLUMN_PX} px: use a width of at most {COLUMN_PX / dpi:.2f} inches"
    )


def test_history_plot_png_fits_the_column():
    """The figure `History.plot` draws, saved as Quarto saves it (tight box, fig-dpi)."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pybackprop.train import History

    hist = History(
        step_loss=[2.3, 1.9, 1.2, 0.9],
        lr=[0.1] * 4,
        train_loss=[2.1, 1.05],
        valid_loss=[1.5, 1.0],
        accuracy=[0.6, 0.75],
        epoch_time=[0.02, 0.02],
    )
    axes = hist.plot()
    buffer = io.BytesIO()
    axes[0].figure.savefig(buffer, format="png", dpi=html_format()["fig-dpi"], bbox_inches="tight")
    plt.close(axes[0].figure)
    width = int.from_bytes(buffer.getvalue()[16:20], "big")  # the PNG header's IHDR width
    assert 0 < width <= COLUMN_PX, f"History.plot() draws a {width} px wide figure"
