"""The .qmd -> notebook converter (`scripts/qmd_notebook.py`) on small synthetic documents."""

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("qmd_notebook", ROOT / "scripts" / "qmd_notebook.py")
qmd_notebook = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qmd_notebook)

to_nb = qmd_notebook.qmd_to_notebook


def kinds(nb):
    return [cell["cell_type"] for cell in nb["cells"]]


def code_sources(nb):
    return [cell["source"] for cell in nb["cells"] if cell["cell_type"] == "code"]


def test_front_matter_becomes_a_title_cell():
    nb = to_nb('---\ntitle: "ReLU: piecewise"\nsubtitle: Lines\nformat: html\n---\n\nText.\n')
    assert nb["cells"][0]["source"] == "# ReLU: piecewise\n\n*Lines*"
    assert nb["cells"][1]["source"] == "Text."
    assert "format" not in json.dumps(nb["cells"])


def test_document_without_front_matter_has_no_title_cell():
    nb = to_nb("Just text.\n")
    assert kinds(nb) == ["markdown"] and nb["cells"][0]["source"] == "Just text."


def test_unclosed_front_matter_is_an_error():
    with pytest.raises(qmd_notebook.QmdError, match="front matter"):
        to_nb("---\ntitle: x\n\nno end\n")


def test_prose_and_python_cells_alternate_in_order():
    text = "Before.\n\n```{python}\nx = 1\n```\n\nBetween.\n\n```{python}\nx + 1\n```\nAfter.\n"
    nb = to_nb(text)
    assert kinds(nb) == ["markdown", "code", "markdown", "code", "markdown"]
    assert code_sources(nb) == ["x = 1", "x + 1"]
    assert [c["source"] for c in nb["cells"] if c["cell_type"] == "markdown"] == [
        "Before.",
        "Between.",
        "After.",
    ]


def test_python_cell_with_attributes_is_executable():
    nb = to_nb("```{python echo=false}\n1\n```\n")
    assert code_sources(nb) == ["1"]


@pytest.mark.parametrize(
    "info", ["{.python}", "python", "{{python}}", "{r}", "", "{.python .cell}"]
)
def test_display_blocks_stay_markdown(info):
    text = f"Show:\n\n```{info}\nprint('not run')\n```\n"
    nb = to_nb(text)
    assert kinds(nb) == ["markdown"]
    assert "print('not run')" in nb["cells"][0]["source"]


def test_longer_fence_shows_a_python_cell_without_running_it():
    text = "````markdown\n```{python}\nprint('shown, not run')\n```\n````\n\n```{python}\n2\n```\n"
    nb = to_nb(text)
    assert code_sources(nb) == ["2"]
    assert "```{python}" in nb["cells"][0]["source"]


def test_python_cell_ends_only_at_a_fence_at_least_as_long():
    text = "````{python}\ns = '''\n```\n'''\n````\n"
    assert code_sources(to_nb(text)) == ["s = '''\n```\n'''"]


def test_tilde_fence_is_not_closed_by_backticks():
    text = "~~~\n```{python}\nnot a cell\n```\n~~~\n"
    assert kinds(to_nb(text)) == ["markdown"]


def test_unclosed_python_cell_is_an_error_naming_the_line():
    with pytest.raises(qmd_notebook.QmdError, match="line 5"):
        to_nb("---\ntitle: t\n---\n\n```{python}\nx = 1\n")


def test_option_lines_stay_in_source_and_go_into_metadata():
    nb = to_nb('```{python}\n#| echo: false\n#| fig-cap: "A: plot"\nx = 1\n```\n')
    cell = nb["cells"][0]
    assert cell["source"].startswith("#| echo: false\n#| fig-cap")
    assert cell["metadata"]["quarto"] == {"echo": False, "fig-cap": "A: plot"}
    assert "tags" not in cell["metadata"]


def test_eval_false_is_tagged_skip_execution():
    cell = to_nb("```{python}\n#| eval: false\nimport missing_module\n```\n")["cells"][0]
    assert cell["metadata"]["tags"] == ["skip-execution"]


def test_error_true_is_tagged_raises_exception():
    cell = to_nb("```{python}\n#| error: true\n1 / 0\n```\n")["cells"][0]
    assert cell["metadata"]["tags"] == ["raises-exception"]


def test_option_lines_after_code_are_ordinary_comments():
    cell = to_nb("```{python}\nx = 1\n#| eval: false\n```\n")["cells"][0]
    assert "tags" not in cell["metadata"] and "quarto" not in cell["metadata"]


def test_callouts_and_divs_stay_in_markdown_around_cells():
    text = '::: {.callout-tip collapse="true"}\n## Solution\n\n```{python}\n2 * 3\n```\n:::\n'
    nb = to_nb(text)
    assert kinds(nb) == ["markdown", "code", "markdown"]
    assert nb["cells"][0]["source"] == '::: {.callout-tip collapse="true"}\n## Solution'
    assert nb["cells"][2]["source"] == ":::"


def test_notebook_is_valid_nbformat_v4():
    text = "---\ntitle: T\n---\n\nA\n\n```{python}\n#| eval: false\n1\n```\n\nB\n"
    nb = nbformat.from_dict(to_nb(text))
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    assert len({cell.id for cell in nb.cells}) == len(nb.cells)


def test_download_notebook_drops_meeting_videos_and_download_link():
    text = (
        "---\ntitle: T\n---\n\n::: {.callout-note}\n[notebook](../notebooks/s.ipynb)\n:::\n\n"
        "## Learning objectives\n\n- one\n\n```{python}\n1\n```\n\n## Meeting videos\n\n"
        "```{python}\nprint('videos')\n```\n"
    )
    nb = qmd_notebook.downloadable_notebook(text, "s")
    nbformat.validate(nbformat.from_dict(nb))
    joined = json.dumps(nb["cells"])
    assert "../notebooks/" not in joined and "Meeting videos" not in joined
    assert "videos" not in code_sources(nb)[-1] and code_sources(nb) == ["1"]
    assert nb["cells"][0]["source"] == "# T" and "pip install" in nb["cells"][1]["source"]
    assert "## Learning objectives" in joined


def test_download_notebook_links_other_chapters_to_their_notebooks():
    text = (
        "See [chapter 2](02-b.qmd), [its section](02-b.qmd#sec-x), the [videos](../videos.qmd)"
        " and [the site](https://example.org/a.qmd).\n\n```{python}\n# [x](02-b.qmd)\n```\n"
    )
    nb = qmd_notebook.downloadable_notebook(text, "s")
    prose = nb["cells"][-2]["source"]
    assert "[chapter 2](02-b.ipynb)" in prose and "[its section](02-b.ipynb#sec-x)" in prose
    assert "(../videos.qmd)" in prose and "(https://example.org/a.qmd)" in prose
    assert code_sources(nb) == ["# [x](02-b.qmd)"]  # code is never rewritten


def test_download_notebook_headings_lose_quarto_attributes_but_keep_their_ids():
    text = (
        "## Value {#sec-02-value}\n\ntext\n\n### Aside {.unnumbered}\n\n"
        "## Both {#sec-both .unnumbered}\n\n```python\n# shown {#not-a-heading}\n```\n\n"
        "```{python}\n# code {#untouched}\n```\n"
    )
    nb = qmd_notebook.downloadable_notebook(text, "s")
    prose = "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "markdown")
    assert '## Value <a id="sec-02-value"></a>' in prose
    assert "### Aside\n" in prose + "\n" and '## Both <a id="sec-both"></a>' in prose
    assert "{#" not in prose.replace("# shown {#not-a-heading}", "")
    assert "# shown {#not-a-heading}" in prose  # displayed code is left as written
    assert code_sources(nb) == ["# code {#untouched}"]


def test_main_writes_one_notebook_per_chapter_skipping_underscore_files(tmp_path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (chapters / "01-a.qmd").write_text("---\ntitle: A\n---\n\n```{python}\n1\n```\n")
    (chapters / "02-b.qmd").write_text("---\ntitle: B\n---\n\nText only.\n")
    (chapters / "_template.qmd").write_text("---\ntitle: Template\n---\n")
    assert qmd_notebook.main([str(tmp_path)]) == 0
    written = sorted(p.name for p in (tmp_path / "notebooks").iterdir())
    assert written == ["01-a.ipynb", "02-b.ipynb"]
    nb = nbformat.read(tmp_path / "notebooks" / "01-a.ipynb", as_version=4)
    nbformat.validate(nb)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["1"]


def test_main_reports_a_broken_chapter_by_name(tmp_path, capsys):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01-bad.qmd").write_text("```{python}\nx = 1\n")
    assert qmd_notebook.main([str(tmp_path)]) == 1
    assert "01-bad.qmd" in capsys.readouterr().err
