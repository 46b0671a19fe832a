"""The .qmd -> notebook converter (`book/qmd_notebook.py`) on small synthetic documents."""

import json
from pathlib import Path

import nbformat
import pytest
import qmd_notebook

ROOT = Path(__file__).resolve().parents[2]

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


@pytest.mark.parametrize(
    "option",
    ["#| eval: false", "# | eval: false", "#|  eval: false", "#| eval: false  # later"],
)
def test_option_lines_are_read_as_quarto_reads_them(option):
    cell = to_nb(f"```{{python}}\n{option}\nraise SystemExit\n```\n")["cells"][0]
    assert cell["metadata"] == {"tags": ["skip-execution"], "quarto": {"eval": False}}


def test_a_trailing_comment_is_not_part_of_an_option_value():
    cell = to_nb('```{python}\n#| error: true # expected\n#| label: "a # b" # c\n1/0\n```\n')
    assert cell["cells"][0]["metadata"] == {
        "tags": ["raises-exception"],
        "quarto": {"error": True, "label": "a # b"},
    }


def test_nested_option_keys_are_not_top_level_options():
    cell = to_nb("```{python}\n#| fig-cap:\n#|   eval: false\nx = 1\n```\n")["cells"][0]
    assert "tags" not in cell["metadata"]


@pytest.mark.parametrize("indent", ["  ", "    ", "\t"])
def test_an_indented_cell_in_a_list_item_runs_without_its_indentation(indent):
    text = f"1. Step:\n\n{indent}```{{python}}\n{indent}if True:\n{indent}    x = 1\n{indent}```\n"
    nb = to_nb(text)
    assert kinds(nb) == ["markdown", "code"]
    assert code_sources(nb) == ["if True:\n    x = 1"]


def test_a_tilde_fence_is_a_displayed_block_as_in_quarto():
    nb = to_nb("~~~{python}\nx = 1\n~~~\n\n```{python}\ny = 2\n```\n")
    assert kinds(nb) == ["markdown", "code"] and code_sources(nb) == ["y = 2"]
    assert nb["cells"][0]["source"] == "~~~{python}\nx = 1\n~~~"


def test_an_include_shortcode_is_refused_not_dropped():
    with pytest.raises(qmd_notebook.QmdError, match=r"line 3: \{\{< include >\}\} is not"):
        to_nb("Intro\n\n{{< include _setup.qmd >}}\n\n```{python}\nprint(x)\n```\n")


def test_an_include_shown_in_a_code_block_is_not_refused():
    nb = to_nb("````markdown\n{{< include _setup.qmd >}}\n````\n")
    assert kinds(nb) == ["markdown"]


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


# --- download notebooks ------------------------------------------------------------------------

SITE = "https://site.example/book/"
REPO = "https://github.com/example-org/example-repo"
QUARTO_YML = f"""\
project:
  type: book
book:
  title: "A book"  # a comment
  repo-url: {REPO}
  site-url: {SITE.rstrip("/")}
  chapters:
    - index.qmd
    - part: "Part one"
      chapters:
        - chapters/01-a.qmd
        - chapters/02-b.qmd
    - part: reference/index.qmd
      chapters:
        - reference/generated.qmd
  appendices:
    - glossary.qmd
format:
  html:
    number-sections: true
"""


def make_book(tmp_path, pages: dict[str, str]):
    """A book on disk with _quarto.yml above and `pages` ({path: text}); its `Book`."""
    (tmp_path / "_quarto.yml").write_text(QUARTO_YML)
    for name, text in pages.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return qmd_notebook.Book.from_root(tmp_path)


def simple_book(**targets):
    """A `Book` whose chapter `chapters/s.qmd` is chapter 3, with the given label targets."""
    return qmd_notebook.Book(
        site_url=SITE,
        repo_url=REPO,
        chapter_numbers={"chapters/s.qmd": "3"},
        targets={
            label: qmd_notebook.Target(f"Figure {number}", number, page)
            for label, (number, page) in targets.items()
        },
    )


def download(text: str, book=None) -> dict:
    nb = qmd_notebook.downloadable_notebook(text, "s", book or simple_book())
    nbformat.validate(nbformat.from_dict(nb))
    return nb


def reader_cells(nb) -> list[dict]:
    """The cells that come from the chapter: without the title, note and install cells."""
    return nb["cells"][4:] if nb["cells"][0]["source"].startswith("# ") else nb["cells"][3:]


def prose_of(nb) -> str:
    return "\n".join(c["source"] for c in reader_cells(nb) if c["cell_type"] == "markdown")


def test_book_config_is_read_without_yaml_in_page_order():
    config = qmd_notebook.read_book_config(QUARTO_YML)
    assert config.site_url == SITE and config.repo_url == REPO
    assert config.chapters == [
        "index.qmd",
        "chapters/01-a.qmd",
        "chapters/02-b.qmd",
        "reference/generated.qmd",
    ]
    assert config.appendices == ["glossary.qmd"]


def test_book_config_matches_pyyaml_on_the_real_quarto_yml():
    yaml = pytest.importorskip("yaml")
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    book = yaml.safe_load(text)["book"]
    config = qmd_notebook.read_book_config(text)
    assert config.site_url.rstrip("/") == book["site-url"].rstrip("/")
    assert config.repo_url == book["repo-url"]

    def pages(entries):
        for entry in entries:
            if isinstance(entry, str):
                yield entry
            else:
                yield from pages(entry.get("chapters", []))

    assert config.chapters == list(pages(book["chapters"]))
    assert config.appendices == list(pages(book.get("appendices", [])))


@pytest.mark.parametrize("key", ["site-url", "repo-url"])
def test_book_config_without_its_urls_is_an_error(key):
    text = "\n".join(line for line in QUARTO_YML.splitlines() if key not in line)
    with pytest.raises(qmd_notebook.QmdError, match=key):
        qmd_notebook.read_book_config(text)


def test_chapters_are_numbered_in_book_order_skipping_unnumbered_pages(tmp_path):
    book = make_book(
        tmp_path,
        {
            "index.qmd": "# Welcome {.unnumbered}\n\nHello.\n",
            "chapters/01-a.qmd": "---\ntitle: A\n---\n\nText.\n",
            "chapters/02-b.qmd": "---\ntitle: B\n---\n\nText.\n",
            "glossary.qmd": "---\ntitle: Glossary\n---\n\nText.\n",
        },
    )
    assert book.chapter_numbers == {
        "chapters/01-a.qmd": "1",
        "chapters/02-b.qmd": "2",
        "glossary.qmd": "A",
    }


def test_labels_are_numbered_per_chapter_as_quarto_numbers_them(tmp_path):
    chapter_b = (
        "---\ntitle: B\n---\n\n## Objectives\n\n## Values {#sec-values}\n\n"
        "```{python}\n#| label: fig-first\n#| fig-cap: A\n1\n```\n\n"
        "### Details {#sec-details}\n\n![A picture](p.png){#fig-second width=50%}\n\n"
        "## Aside {.unnumbered #sec-aside}\n\n"
        '::: {.callout-tip collapse="true"}\n## Hint\n\n```{python}\n#| label: fig-third\n2\n```\n'
        ":::\n\n## Tables {#sec-tables}\n\n```{python}\n#| label: tbl-one\n3\n```\n\n"
        "$$\nx = 1\n$$ {#eq-one}\n\n```python\n## not a heading {#sec-no}\n```\n"
    )
    book = make_book(
        tmp_path,
        {
            "index.qmd": "# Welcome {.unnumbered}\n",
            "chapters/01-a.qmd": "---\ntitle: A\n---\n\n```{python}\n#| label: fig-a\n1\n```\n",
            "chapters/02-b.qmd": chapter_b,
        },
    )
    words = {label: target.words for label, target in book.targets.items()}
    assert words == {
        "fig-a": "Figure 1.1",
        "sec-values": "Section 2.2",
        "fig-first": "Figure 2.1",
        "sec-details": "Section 2.2.1",
        "fig-second": "Figure 2.2",
        "sec-aside": "Aside",
        "fig-third": "Figure 2.3",
        "sec-tables": "Section 2.3",
        "tbl-one": "Table 2.1",
        "eq-one": "Equation 2.1",
    }
    assert book.targets["fig-second"].page == "chapters/02-b.qmd"


def test_cross_references_become_words_linking_to_the_site():
    book = simple_book(**{"fig-x": ("3.1", "chapters/s.qmd"), "fig-y": ("1.2", "chapters/a.qmd")})
    text = (
        "As (@fig-x) shows. @Fig-x again, [@fig-y], see [-@fig-y] and figure -@fig-x.\n\n"
        "Code: `@fig-x`, mail me@fig-x.org.\n\n```python\n# @fig-x\n```\n"
    )
    prose = prose_of(download(text, book))
    here, there = f"{SITE}chapters/s.html#fig-x", f"{SITE}chapters/a.html#fig-y"
    assert f"As ([Figure 3.1]({here})) shows. [Figure 3.1]({here}) again" in prose
    assert f", [Figure 1.2]({there}), see [1.2]({there}) and figure [3.1]({here})." in prose
    assert "Code: `@fig-x`, mail me@fig-x.org." in prose and "# @fig-x\n```" in prose


def test_unknown_cross_reference_is_an_error_naming_it():
    with pytest.raises(qmd_notebook.QmdError, match="@fig-missing"):
        download("See @fig-missing.\n")


def test_relative_links_become_site_addresses_and_code_is_left_alone():
    text = (
        "See [chapter 2](02-b.qmd), [its section](02-b.qmd#sec-x), the [videos](../videos.qmd),"
        " [`nn.Linear`](../reference/nn.qmd#pybackprop.nn.Linear), [above](#sec-y),"
        ' <a href="../glossary.qmd#gloss-a">a</a>, the [notebook](../notebooks/02-b.ipynb),'
        " [the site](https://example.org/a.qmd) and <https://example.org/b>.\n\n"
        "```python\n# [x](02-b.qmd)\n```\n\n```{python}\n# [x](02-b.qmd)\n```\n"
    )
    nb = download(text)
    prose = prose_of(nb)
    for expected in [
        f"[chapter 2]({SITE}chapters/02-b.html)",
        f"[its section]({SITE}chapters/02-b.html#sec-x)",
        f"[videos]({SITE}videos.html)",
        f"[`nn.Linear`]({SITE}reference/nn.html#pybackprop.nn.Linear)",
        f"[above]({SITE}chapters/s.html#sec-y)",
        f'<a href="{SITE}glossary.html#gloss-a">',
        f"[notebook]({SITE}notebooks/02-b.ipynb)",
        "[the site](https://example.org/a.qmd)",
        "<https://example.org/b>",
        "```python\n# [x](02-b.qmd)\n```",
    ]:
        assert expected in prose
    assert code_sources(nb)[-1] == "# [x](02-b.qmd)"  # code is never rewritten


def test_link_leading_outside_the_book_is_an_error():
    with pytest.raises(qmd_notebook.QmdError, match="outside the book"):
        download("[x](../../elsewhere.qmd)\n")


def test_download_notebook_drops_meeting_videos_and_download_link():
    text = (
        '---\ntitle: T\n---\n\n::: {.callout-note appearance="simple"}\n'
        "**Run live:** [notebook](../notebooks/s.ipynb)\n:::\n\n"
        "## Learning objectives\n\n- one\n\n```{python}\n1\n```\n\n## Meeting videos\n\n"
        "```{python}\nprint('videos')\n```\n"
    )
    nb = download(text)
    joined = json.dumps(nb["cells"])
    assert "../notebooks/" not in joined and "Meeting videos" not in joined
    assert "Run live" not in joined and "> **Note**" not in joined
    assert code_sources(nb)[1:] == ["1"]
    assert "## Learning objectives" in joined


def test_download_notebook_opens_with_title_note_and_install_cell():
    nb = download("---\ntitle: T\n---\n\n```{python}\n1\n```\n")
    title, note, explain, install = nb["cells"][:4]
    assert title["source"] == "# T"
    assert "chapter 3" in note["source"] and f"({SITE}chapters/s.html)" in note["source"]
    assert (
        explain["cell_type"] == "markdown" and 'pip install "pybackprop[book]"' in explain["source"]
    )
    assert install["cell_type"] == "code" and install["metadata"]["tags"] == ["install"]
    assert f'repo = "{REPO}"' in install["source"]
    assert code_sources(nb)[1:] == ["1"]


def test_page_as_quarto_runs_it_has_no_install_cell():
    nb = to_nb("---\ntitle: T\n---\n\n```{python}\n1\n```\n")
    assert code_sources(nb) == ["1"]


def run_install_cell(
    monkeypatch, capsys, installed: bool, pip_status: int = 0
) -> tuple[list, list[str]]:
    """Run the install cell's code here, with pip replaced by a recorder that exits with
    `pip_status`."""
    import importlib.util
    import subprocess

    calls = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        if name == "pybackprop" and not installed:
            return None
        return real_find_spec(name, *args)

    def run(*args, **kwargs):
        calls.append((args, kwargs))
        return subprocess.CompletedProcess(args[0], pip_status)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "run", run)
    exec(qmd_notebook.install_cell(simple_book())["source"], {})
    return calls, capsys.readouterr().out.splitlines()


def test_install_cell_does_nothing_where_pybackprop_is_importable(monkeypatch, capsys):
    calls, printed = run_install_cell(monkeypatch, capsys, installed=True)
    assert calls == []
    assert len(printed) == 1 and "already installed" in printed[0], printed


def test_install_cell_pip_installs_the_book_extra_into_the_kernel_python(monkeypatch, capsys):
    import sys

    calls, printed = run_install_cell(monkeypatch, capsys, installed=False)
    assert len(calls) == 1, calls
    (command,), options = calls[0]
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[-1] == "pybackprop[book]" and options == {}
    assert len(printed) == 1 and 'installing "pybackprop[book]"' in printed[0], printed


# What the install cell prints when pip fails: how to install from the repository.
FROM_THE_REPOSITORY = [
    "pip could not install pybackprop from PyPI",
    "no network here, or no release on PyPI yet",
    f'%pip install "pybackprop[book] @ git+{REPO}"',
    f"git clone {REPO}",
    'pip install -e ".[book]"',
]


def test_install_cell_where_pip_fails_says_how_to_install_from_the_repository(monkeypatch, capsys):
    """pip exits 1 (offline, or no release on PyPI yet): one paragraph, no traceback."""
    calls, printed = run_install_cell(monkeypatch, capsys, installed=False, pip_status=1)
    assert len(calls) == 1, calls
    assert len(printed) == 2 and 'installing "pybackprop[book]"' in printed[0], printed
    for words in FROM_THE_REPOSITORY:
        assert words in printed[1], printed[1]
    assert len(printed[1]) < 500, printed[1]


def test_install_cell_with_a_pip_that_really_fails_prints_the_paragraph(monkeypatch, capsys):
    """The cell run for real, the kernel's Python replaced by a program that exits 1."""
    import importlib.util
    import shutil
    import sys

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "pybackprop" else real_find_spec(name, *a),
    )
    monkeypatch.setattr(sys, "executable", shutil.which("false"))
    exec(qmd_notebook.install_cell(simple_book())["source"], {})
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and all(words in printed[1] for words in FROM_THE_REPOSITORY)


def test_install_cell_where_pip_succeeds_prints_no_repository_paragraph(monkeypatch, capsys):
    _, printed = run_install_cell(monkeypatch, capsys, installed=False, pip_status=0)
    assert not any(words in " ".join(printed) for words in FROM_THE_REPOSITORY), printed


SOLUTION = (
    "### Exercise 1\n\n```{python}\ndef f(x):\n    return x  # TODO\n\ncheck_f(f)\n```\n\n"
    '::: {.callout-tip collapse="true"}\n## Hint\n\nThink of `2 * x`.\n:::\n\n'
    '::: {.callout-tip collapse="true"}\n## Solution\n\nDouble it:\n\n'
    "```{python}\n#| label: fig-s\n#| echo: true\ndef f(x):\n    return 2 * x\n```\n\n"
    "Then:\n\n````{python}\nf(3)\n````\n:::\n\nAfter.\n"
)


def test_hints_and_solutions_fold_and_solutions_are_shown_not_run():
    nb = download(SOLUTION)
    assert code_sources(nb)[1:] == ["def f(x):\n    return x  # TODO\n\ncheck_f(f)"]
    cells = reader_cells(nb)
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "markdown"]
    folded = cells[2]["source"]
    assert folded.startswith("<details>\n<summary><strong>Hint</strong></summary>\n\nThink of")
    assert "<summary><strong>Solution</strong></summary>\n\nDouble it:" in folded
    assert "```python\ndef f(x):\n    return 2 * x\n```" in folded  # options dropped
    assert "````python\nf(3)\n````" in folded
    assert folded.count("<details>") == folded.count("</details>") == 2
    assert folded.endswith("</details>\n\nAfter.")
    assert ":::" not in folded and "## Hint" not in folded and "#|" not in folded


def test_page_as_quarto_runs_it_keeps_running_the_solutions():
    assert "return 2 * x" in "".join(code_sources(to_nb(SOLUTION)))


@pytest.mark.parametrize(
    ("attrs", "opening"),
    [('collapse="true"', "<details>"), ('collapse="false"', "<details open>")],
)
def test_folding_callouts_of_any_kind_become_details(attrs, opening):
    prose = prose_of(download(f"::: {{.callout-warning {attrs}}}\nCareful with `x`.\n:::\n"))
    assert prose.startswith(f"{opening}\n<summary><strong>Warning</strong></summary>\n\nCareful")


def test_other_callouts_become_a_blockquote_with_a_bold_title():
    text = (
        '::: {.callout-important title="Before you start"}\nLine one.\n\nLine two.\n:::\n\n'
        "::: {.callout-note}\n## A `note`\nText.\n\n```{python}\n1 + 1\n```\n\nMore.\n:::\n"
    )
    nb = download(text)
    cells = reader_cells(nb)
    assert [c["cell_type"] for c in cells] == ["markdown", "code", "markdown"]
    assert cells[0]["source"] == (
        "> **Before you start**\n>\n> Line one.\n>\n> Line two.\n\n> **A `note`**\n>\n> Text.\n>"
    )
    assert cells[1]["source"] == "1 + 1"  # runs, as on the page
    assert cells[2]["source"] == ">\n> More."


def test_plain_divs_keep_their_content_and_ids():
    prose = prose_of(download("::: {#fig-grid layout-ncol=2}\nTwo pictures.\n:::\n"))
    assert prose == '<a id="fig-grid"></a>\n\nTwo pictures.'


def test_nested_callouts_stay_balanced():
    text = (
        '::: {.callout-tip collapse="true"}\n## Solution\n\n::: {.callout-note}\nInner.\n:::\n\n'
        "```{python}\n1\n```\n:::\n"
    )
    (cell,) = reader_cells(download(text))
    assert cell["source"].count("<details>") == cell["source"].count("</details>") == 1
    assert "> **Note**\n>\n> Inner." in cell["source"] and "```python\n1\n```" in cell["source"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Text.\n\n::: {.callout-tip}\nopen\n", "div opened on line 3 is never closed"),
        ("Text.\n:::\n", "':::' on line 2 closes no div"),
        ('::: {.callout-tip collapse="true"}\n```{python}\n1\n:::\n', "line 2 is never closed"),
    ],
)
def test_broken_divs_are_errors_naming_the_line(text, message):
    with pytest.raises(qmd_notebook.QmdError, match=message):
        download(text)


def test_download_notebook_headings_lose_quarto_attributes_but_keep_their_ids():
    text = (
        "## Value {#sec-02-value}\n\ntext\n\n### Aside {.unnumbered}\n\n"
        "## Both {#sec-both .unnumbered}\n\n```python\n# shown {#not-a-heading}\n```\n\n"
        "```{python}\n# code {#untouched}\n```\n"
    )
    nb = download(text)
    prose = prose_of(nb)
    assert '## Value <a id="sec-02-value"></a>' in prose
    assert "### Aside\n" in prose + "\n" and '## Both <a id="sec-both"></a>' in prose
    assert "{#" not in prose.replace("# shown {#not-a-heading}", "")
    assert "# shown {#not-a-heading}" in prose  # displayed code is left as written
    assert code_sources(nb)[1:] == ["# code {#untouched}"]


def test_main_writes_one_notebook_per_chapter_skipping_underscore_files(tmp_path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (tmp_path / "_quarto.yml").write_text(QUARTO_YML)
    (chapters / "01-a.qmd").write_text("---\ntitle: A\n---\n\n```{python}\n1\n```\n")
    (chapters / "02-b.qmd").write_text("---\ntitle: B\n---\n\nText only.\n")
    (chapters / "_template.qmd").write_text("---\ntitle: Template\n---\n")
    assert qmd_notebook.main([str(tmp_path)]) == 0
    written = sorted(p.name for p in (tmp_path / "notebooks").iterdir())
    assert written == ["01-a.ipynb", "02-b.ipynb"]
    nb = nbformat.read(tmp_path / "notebooks" / "01-a.ipynb", as_version=4)
    nbformat.validate(nb)
    assert [c.source for c in nb.cells if c.cell_type == "code"][1:] == ["1"]


def test_main_reports_a_broken_chapter_by_name(tmp_path, capsys):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "_quarto.yml").write_text(QUARTO_YML)
    (tmp_path / "chapters" / "01-bad.qmd").write_text("```{python}\nx = 1\n")
    assert qmd_notebook.main([str(tmp_path)]) == 1
    assert "01-bad.qmd" in capsys.readouterr().err


def test_main_without_quarto_yml_says_so(tmp_path, capsys):
    (tmp_path / "chapters").mkdir()
    assert qmd_notebook.main([str(tmp_path)]) == 1
    assert "_quarto.yml" in capsys.readouterr().err


def test_a_cell_not_run_on_the_page_is_shown_not_run_in_the_download():
    nb = download(
        "## A\n\n```{python}\n#| eval: false\nwhile True: pass\n```\n\n```{python}\nx = 1\n```\n"
    )
    cells = reader_cells(nb)
    assert [c["cell_type"] for c in cells] == ["markdown", "markdown", "code"]
    assert cells[1]["source"] == (
        "Not run (the page shows this code without running it):\n\n```python\nwhile True: pass\n```"
    )
    assert cells[2]["source"] == "x = 1"
