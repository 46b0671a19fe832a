"""Search: every public name lands on its own entry, and result snippets show math as text.

Quarto's search makes one record per level-2 section of a page; tests/book/test_reference.py checks
that each public name is a level-2 section of its reference page. Its records hold the page's
text before MathJax runs, so `book/search_text.py` (a `post-render` step) rewrites the TeX of
every record in `_book/search.json` as plain text; this file checks that step.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import search_text
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_build_runs_the_step_after_rendering():
    project = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["project"]
    scripts = project.get("post-render", [])
    scripts = [scripts] if isinstance(scripts, str) else scripts
    assert "book/search_text.py" in scripts, f"project: post-render: {scripts}"
    assert load_book()["search"] is True


def load_book() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["book"]


@pytest.mark.parametrize(
    "tex, text",
    [
        (r"\mathrm{relu}(x-c_j)", "relu(x-c_j)"),
        (r"\partial L / \partial \text{pred}", "∂L / ∂pred"),
        (r"m \leftarrow \beta_1 m + (1-\beta_1)\,g", "m ← β_1 m + (1-β_1) g"),
        (r"\frac{\mathrm{softmax}(x) - \mathrm{onehot}(t)}{n}", "(softmax(x) - onehot(t))/(n)"),
        (r"\left( a \right)", "( a )"),
    ],
)
def test_tex_becomes_readable_text(tex, text):
    assert search_text.tex_to_text(tex) == text


def test_the_index_is_rewritten_and_text_without_math_kept(tmp_path):
    records = [
        {"objectID": "a", "text": r"the features \(\mathrm{relu}(x-c_j)\) of \(x\)"},
        {"objectID": "b", "text": "no math here, \\$5 and a backslash \\ too", "section": "S"},
        {"objectID": "c", "title": "Ch", "text": "display \\[y = wx + b\\] end"},
    ]
    index = tmp_path / "search.json"
    index.write_text(json.dumps(records), encoding="utf-8")
    assert search_text.rewrite_index(index) == 2
    after = json.loads(index.read_text(encoding="utf-8"))
    assert after[0]["text"] == "the features relu(x-c_j) of x"
    assert after[1] == records[1]
    assert after[2]["text"] == "display y = wx + b end"
    assert "\\(" not in index.read_text(encoding="utf-8")


def test_a_render_without_an_index_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(tmp_path))
    assert search_text.main() == 0
    assert not (tmp_path / "search.json").exists()


# The text of a step player's drawing as Quarto indexed it from the inline SVG (ch 3).
DRAWING = (
    "y data 0.2500 grad 0.0000 x data 2.0000 grad 0.0000 * z data 0.5000 grad 0.0000 exp log "
    "b data 1.6487 grad 0.0000 a data -0.6931 grad 1.0000 + h data 0.9556 grad 1.0000"
)


@pytest.mark.parametrize(
    "text, kept",
    [
        (
            f"Each step passes the gradient back. {DRAWING} Reset Previous",
            "Each step passes the gradient back. Reset Previous",
        ),
        (f"{DRAWING} ** -1 w data 1e-05 grad -2.5e+03", ""),
        (
            "Every Value keeps its data and its grad: data 2 is the value.",
            "Every Value keeps its data and its grad: data 2 is the value.",
        ),
    ],
)
def test_graph_drawings_leave_the_index_and_prose_stays(text, kept):
    assert search_text.without_drawings(text) == kept


def test_the_index_loses_drawings_but_keeps_the_section(tmp_path):
    records = [{"objectID": "p", "section": "Step by step", "text": f"Before. {DRAWING} After."}]
    index = tmp_path / "search.json"
    index.write_text(json.dumps(records), encoding="utf-8")
    assert search_text.rewrite_index(index) == 1
    after = json.loads(index.read_text(encoding="utf-8"))[0]
    assert after["text"] == "Before. After." and after["section"] == "Step by step"
    assert "grad 0.0000" not in index.read_text(encoding="utf-8")
