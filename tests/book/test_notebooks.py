"""The download notebooks, as readers get them from a chapter's page or open them in Colab.

`book/qmd_notebook.py` writes `notebooks/<stem>.ipynb` for Quarto's pre-render step; here the
same function writes them into a temporary folder. Each is read (what a reader sees: callouts
as folded Markdown, cross-references as words, links that lead somewhere, solutions shown and
not run), and "Run all" is checked on the chapter's one execution (tests/book/pages.py): the
notebook's cells before its exercises are the page's, which that run executes; its install
cell and its own exercise cells (starter code, no solution run) run there too, and their
checks must report on the starters without stopping the notebook.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from tests.book.pages import (
    CHAPTER_FILES,
    CHAPTERS,
    ROOT,
    exercises_start,
    labels,
    listed_files,
    load_config,
    page_cells,
    qmd_notebook,
    rel,
    run,
)
from tests.book.test_chapter_rerun import code_without_options, top_level_definitions
from tests.repo.test_repo_tooling import notebooks_publisher

BOOK = qmd_notebook.Book.from_root(ROOT)
SITE = BOOK.site_url

_XREF = re.compile(r"(?<![\w@.])-?@(?:fig|tbl|sec|eq)-", re.IGNORECASE)
_MD_LINK = re.compile(r"\]\(\s*(?P<url><[^>\n]*>|[^)\s]+)")
_HTML_LINK = re.compile(r'\b(?:href|src)="(?P<url>[^"]*)"')
_DETAILS = re.compile(r"<details(?:\s[^>]*)?>|</details>")
_SOLUTION_OPEN = re.compile(r'^:::+\s*\{\.callout-\w+ collapse="(?:true|false)"\}\s*\n## Solution')
_CHECK_CALL = re.compile(r"^check_\w+\(", re.MULTILINE)


@pytest.fixture(scope="session")
def notebooks(tmp_path_factory) -> dict[Path, dict]:
    """Each chapter's download notebook, written as the pre-render step writes it."""
    folder = tmp_path_factory.mktemp("notebooks")
    written = qmd_notebook.write_notebooks(ROOT, folder)
    return {ROOT / "chapters" / f"{p.stem}.qmd": nbformat.read(p, as_version=4) for p in written}


def markdown(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def links(nb) -> list[str]:
    found = []
    for source in markdown(nb):
        found += [m["url"].strip("<>") for m in _MD_LINK.finditer(source)]
        found += [m["url"] for m in _HTML_LINK.finditer(source)]
    return found


def solution_code(path: Path) -> list[str]:
    """The code of the cells that the page runs inside Solution callouts."""
    cells = page_cells(path)
    inside, code = False, []
    for cell in cells:
        if cell["cell_type"] == "code":
            if inside:
                code.append(cell["source"])
            continue
        for block in re.split(r"(?m)^(?=:::)", cell["source"]):
            if _SOLUTION_OPEN.match(block):
                inside = True
            elif block.startswith(":::") and inside:
                inside = False
    return code


def anchors(text: str) -> set[str]:
    """The ids a page's HTML has: `{#id ...}` attributes and cells' `#| label:` values."""
    ids = re.findall(r"\{[^{}\n]*?#([\w.:-]+)", text)
    return set(ids + labels(text))


def without_options(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not line.startswith("#|"))


# --- what a reader sees ------------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_has_no_quarto_syntax(notebooks, path):
    nb = notebooks[path]
    nbformat.validate(nb)
    for source in markdown(nb):
        assert not re.search(r"(?m)^:::", source), f"{rel(path)}: a ':::' fence:\n{source}"
        assert "{.callout" not in source, f"{rel(path)}: callout syntax:\n{source}"
        assert not _XREF.search(source), f"{rel(path)}: a raw cross-reference:\n{source}"


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_links_lead_to_the_site_or_outside(notebooks, path):
    pages = {name: ROOT / name for name in listed_files(load_config())}
    for url in links(notebooks[path]):
        assert ".qmd" not in url or not url.startswith(SITE), f"{rel(path)}: {url}"
        assert re.match(r"^(?:https?|mailto):", url), f"{rel(path)}: relative link {url}"
        if not url.startswith(SITE):
            continue
        page, _, anchor = url[len(SITE) :].partition("#")
        if page.startswith("notebooks/"):
            assert (ROOT / "chapters" / f"{Path(page).stem}.qmd").exists(), url
            continue
        source = page.removesuffix(".html") + ".qmd"
        assert source in pages, f"{rel(path)}: {url} is not a page of the book"
        # Reference pages are generated; tests/book/test_reference.py checks their entry ids.
        if anchor and pages[source].exists() and not source.startswith("reference/"):
            assert anchor in anchors(pages[source].read_text(encoding="utf-8")), url


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_cross_references_say_figure_and_number(notebooks, path):
    text = path.read_text(encoding="utf-8")
    labels = re.findall(r"(?<![\w@.])-?@((?:fig|tbl|sec|eq)-[\w-]*\w)", text)
    prose = "\n".join(markdown(notebooks[path]))
    for label in labels:
        target = BOOK.targets[label]
        assert f"]({BOOK.url(target.page, '#' + label)})" in prose, label
        assert re.fullmatch(r"(Figure|Table|Equation|Section) [\dA-Z]+(\.\d+)+", target.words)


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_details_are_balanced_in_every_cell(notebooks, path):
    for source in markdown(notebooks[path]):
        depth = 0
        for tag in _DETAILS.findall(source):
            depth += -1 if tag == "</details>" else 1
            assert depth >= 0, f"{rel(path)}: </details> before <details>:\n{source}"
        assert depth == 0, f"{rel(path)}: unclosed <details>:\n{source}"


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_folded_markdown_is_read_as_markdown(notebooks, path):
    """Inside `<details>`, CommonMark (VS Code's markdown-it; JupyterLab's marked follows it)
    reads Markdown only after a blank line: the code must come out as code, not as text."""
    markdown_it = pytest.importorskip("markdown_it")
    render = markdown_it.MarkdownIt("commonmark", {"html": True}).render
    for source in markdown(notebooks[path]):
        if "<details" not in source:
            continue
        page = render(source)
        assert "```" not in page and "<p>&lt;" not in page, f"{rel(path)}: raw text:\n{page}"
        assert page.count("<details") == source.count("<details"), page
        fences = len(re.findall(r"(?m)^`{3,}python$", source))
        assert page.count('<pre><code class="language-python">') == fences, page


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_shows_solutions_without_running_them(notebooks, path):
    nb = notebooks[path]
    solutions = solution_code(path)
    assert solutions, f"{rel(path)}: no solution code found (did the callouts change?)"
    code = {cell.source for cell in nb.cells if cell.cell_type == "code"}
    folded = "\n".join(s for s in markdown(nb) if "<summary><strong>Solution" in s)
    for source in solutions:
        assert source not in code, f"{rel(path)}: a solution runs:\n{source}"
        assert without_options(source) in folded, f"{rel(path)}: solution not shown:\n{source}"
    text = path.read_text(encoding="utf-8")
    assert folded.count("<summary><strong>Solution") == text.count("\n## Solution\n")


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_installs_pybackprop_first_and_the_page_does_not(notebooks, path):
    nb = notebooks[path]
    first = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    assert nb.cells[first].metadata.get("tags") == ["install"]
    assert 'pip install "pybackprop[book]"' in nb.cells[first - 1].source
    assert "find_spec" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [*CHAPTER_FILES, CHAPTERS / "_template.qmd"], ids=rel)
def test_chapter_box_opens_its_notebook_in_colab_and_links_to_how_to_install(path):
    _, _, publisher = notebooks_publisher()
    branch = publisher["with"]["publish_branch"]
    org, repo = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", BOOK.repo_url).groups()
    stem = "STEM" if path.name == "_template.qmd" else path.stem
    _, body = qmd_notebook.parse_front_matter(path.read_text(encoding="utf-8"))
    box = body.split("\n## ", 1)[0]
    colab = f"https://colab.research.google.com/github/{org}/{repo}/blob/{branch}/{stem}.ipynb"
    assert f"[open it in Colab]({colab})" in box, f"{rel(path)}: no Colab link {colab}"
    assert f"(../notebooks/{stem}.ipynb)" in box, f"{rel(path)}: no download link"
    # How to install is said in one place, the home page (PyPI, or the repository until the
    # first release); the box links there and stays a few lines long on a phone.
    assert "(../index.qmd#installing-the-package)" in box, f"{rel(path)}: no link to install"
    assert "pip install" not in box, f"{rel(path)}: the box repeats the install commands"


# --- "Run all" -----------------------------------------------------------------------------------


def _code(cells: list) -> list[str]:
    return [without_options(c["source"]).strip() for c in cells if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_runs_the_pages_cells_before_its_exercises(notebooks, path):
    """So the page's execution of those cells stands for the notebook's. The page may run a few
    more (code inside an aside the notebook shows without running); nothing the notebook runs
    may read a name that only those bind."""
    nb_cells = notebooks[path].cells
    page = page_cells(path)
    ours = _code(nb_cells[: exercises_start(nb_cells)])[1:]  # without the install cell
    theirs = _code(page[: exercises_start(page)])
    remaining = iter(theirs)
    assert all(any(mine == cell for cell in remaining) for mine in ours), (
        f"{rel(path)}: the notebook's code before its exercises is not the page's, in order"
    )
    run_here = _code(nb_cells)[1:]
    bound_here = {name for source in run_here for name in top_level_definitions(source)}
    only_page = {
        name
        for source in theirs
        if source not in ours
        for name in top_level_definitions(source)
        if name not in bound_here
    }
    read = {
        node.id
        for source in run_here
        for node in ast.walk(ast.parse(code_without_options(source)))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    assert not only_page & read, (
        f"{rel(path)}: the notebook reads {sorted(only_page & read)}, which only cells it does "
        "not run (asides shown as code) define"
    )


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=rel)
def test_notebook_runs_all_with_the_starter_code(path):
    result = run(path)
    if result.error is not None:
        pytest.skip("the page does not run; see test_chapters.test_page_runs_top_to_bottom")
    assert result.notebook_error() is None, result.notebook_error()
    cells = [result.notebook["cells"][i] for i in result.notebook_executed]
    install = cells[0]
    assert install["metadata"].get("tags") == ["install"]
    printed = "".join(o.get("text", "") for o in install["outputs"]).splitlines()
    assert len(printed) == 1 and "already installed" in printed[0], printed
    checks = [c for c in cells if _CHECK_CALL.search(c["source"])]
    assert checks, f"{rel(path)}: no exercise cell calls a check"
    # The checks catch whatever the learner's function raises and report it, so a starter never
    # stops "Run all"; and since no solution ran before them, they report on the starter, which
    # is incomplete by design (chapters/_template.qmd). Its check call names the starter's
    # fingerprint (CheckResult.unless_starter), so the report is "not solved yet", without the
    # mistake the exercise is about, and never FAILED: in the notebook, and on the page.
    page = result.cells[exercises_start(result.cells) :]
    on_page = [c for c in page if c["cell_type"] == "code" and _CHECK_CALL.search(c["source"])]
    assert len(on_page) == len(checks), f"{rel(path)}: the page has other starters"
    for cell in checks + on_page:
        shown = "\n".join(
            o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in cell["outputs"]
        )
        assert "FAILED" not in shown, f"{rel(path)}: a starter's report names its mistake:\n{shown}"
        assert re.search(r"check_\w+(\([^)]*\))?: not solved yet", shown), (
            f"{rel(path)}: the check did not report on the starter code:\n{cell['source']}"
            f"\n--- output ---\n{shown}"
        )
