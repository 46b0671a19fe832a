"""The site's own pages: the home page, the glossary and the 404 page, and the footer.

What a reader would trip over: a glossary out of order or with an empty entry, a link to a page
or section that does not exist, a "Chapter N, *Section*" that names the wrong chapter or a
section the chapter does not have, or that lands somewhere else than that section, a Reference
link to a name the package does not export or that lands on another entry, a 404 page whose
links break when served from another address, and a footer without the licence or MNIST's
credit. Nothing here needs Quarto: the pages are read as Markdown, and the Reference's entry ids
are read from the pages `quartodoc build` generates (the `reference` fixture of
tests/book/conftest.py).
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path, PurePosixPath

import pytest
import yaml

from tests.book import test_reference
from tests.book.pages import listed_files, load_config

ROOT = Path(__file__).resolve().parents[2]
HOME, GLOSSARY, NOT_FOUND = "index.qmd", "glossary.qmd", "404.qmd"
SITE_PAGES = [HOME, GLOSSARY, NOT_FOUND]

_FENCE = re.compile(r"^(`{3,}|~{3,})")
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(?P<level>#{1,6})\s+(?P<title>.*?)\s*(?:\{(?P<attrs>[^{}]*)\})?\s*$")
_CELL_LABEL = re.compile(r"^#\|\s*label:\s*(?P<id>\S+)\s*$")
_DIV_OR_SPAN_ID = re.compile(r"\{#(?P<id>[\w-]+)[\s}]")
_CHAPTER_REF = re.compile(r"^Chapter (?P<number>\d+), \*(?P<section>.+)\*$")
_REFERENCE_NAME = re.compile(r"^`(?P<module>\w+)\.(?P<name>\w+)`$")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


# --- reading the pages ------------------------------------------------------------------------


def numbered_chapters() -> dict[int, str]:
    """Book chapter number -> file: the files of chapters/ in the order the book lists them
    (the home page is unnumbered, and parts take no number)."""
    chapters = [page for page in listed_files(load_config()) if page.startswith("chapters/")]
    return {number: page for number, page in enumerate(chapters, start=1)}


def read(page: str) -> str:
    return (ROOT / page).read_text(encoding="utf-8")


def links(page: str) -> list[tuple[str, str]]:
    """(text, target) of every Markdown link on `page`, code blocks left out."""
    prose = "\n".join(test_reference.prose_lines(read(page)))
    # A link's text may wrap onto the next line; join it so the pattern sees it whole.
    prose = re.sub(r"\n(?!\n)", " ", prose)
    return [(m["text"].strip(), m["target"]) for m in _LINK.finditer(prose)]


def headings(page: str) -> list[tuple[int, str, str]]:
    """(level, title, attributes) of every Markdown heading of `page`."""
    found = []
    for line in test_reference.prose_lines(read(page)):
        match = _HEADING.match(line)
        if match:
            found.append((len(match["level"]), match["title"], match["attrs"] or ""))
    return found


def defined_ids(path: Path) -> set[str]:
    """Ids a link can point at: heading `{#id}`s, div/span `{#id}`s and cells' `#| label:`s."""
    text = path.read_text(encoding="utf-8")
    ids = set()
    for line in text.splitlines():
        label = _CELL_LABEL.match(line)
        if label:
            ids.add(label["id"])
        heading = _HEADING.match(line)
        if heading and heading["attrs"]:
            ids.update(a[1:] for a in heading["attrs"].split() if a.startswith("#"))
        elif not heading:
            ids.update(m["id"] for m in _DIV_OR_SPAN_ID.finditer(line))
    return ids


def generated_reference_pages() -> set[str]:
    """Pages that `quartodoc build` writes (not committed): the book's pages in its `dir`."""
    folder = load_config().get("quartodoc", {}).get("dir")
    if not folder:
        return set()
    return {
        page for page in listed_files(load_config()) if page.startswith(folder.rstrip("/") + "/")
    }


def local_target(page: str, target: str) -> tuple[str, str] | None:
    """(path relative to the project, anchor) for a link into the project, else None."""
    if _EXTERNAL.match(target):
        return None
    path, _, anchor = target.partition("#")
    if not path:  # an anchor on the same page
        return page, anchor
    resolved = PurePosixPath(page).parent / path
    parts: list[str] = []
    for part in resolved.parts:
        if part == "..":
            parts = parts[:-1]
        elif part != ".":
            parts.append(part)
    return "/".join(parts), anchor


def section_ids(page: str) -> dict[str, set[str]]:
    """Section title (whitespace collapsed) -> the `{#sec-...}` ids of the headings so named."""
    found: dict[str, set[str]] = {}
    for _, title, attrs in headings(page):
        ids = {a[1:] for a in attrs.split() if a.startswith("#sec-")}
        found.setdefault(" ".join(title.split()), set()).update(ids)
    return found


def glossary_entries() -> list[dict]:
    """The glossary's terms: `### Term {#gloss-... .unnumbered}` with the text below them."""
    entries, letter = [], None
    current = None
    for line in test_reference.prose_lines(read(GLOSSARY)):
        heading = _HEADING.match(line)
        if heading and len(heading["level"]) <= 3:
            if len(heading["level"]) == 2:
                letter = heading["title"]
                current = None
            else:
                current = {
                    "title": heading["title"],
                    "attrs": heading["attrs"] or "",
                    "letter": letter,
                    "body": [],
                }
                entries.append(current)
            continue
        if current is not None:
            current["body"].append(line)
    return entries


def sort_key(term: str) -> str:
    """Letter-by-letter order, as dictionaries sort: case, spaces and punctuation ignored."""
    return re.sub(r"[^0-9a-z]", "", term.casefold())


# --- the glossary -----------------------------------------------------------------------------


def test_glossary_has_the_core_terms():
    titles = {sort_key(entry["title"]) for entry in glossary_entries()}
    core = ["Leaf", "Topological order", "Jacobian", "Log-sum-exp", "Kaiming initialisation"]
    missing = [term for term in core if sort_key(term) not in titles]
    assert not missing, f"{GLOSSARY}: no entry for {missing}"


def test_glossary_terms_are_alphabetical():
    titles = [entry["title"] for entry in glossary_entries()]
    assert titles, f"{GLOSSARY}: no '### Term' entries found"
    out_of_order = [(a, b) for a, b in pairwise(titles) if sort_key(a) > sort_key(b)]
    assert not out_of_order, (
        f"{GLOSSARY}: terms out of alphabetical order (first comes after second): {out_of_order}"
    )


def test_glossary_terms_sit_under_their_initial_letter():
    misplaced = [
        f"{entry['title']!r} under {entry['letter']!r}"
        for entry in glossary_entries()
        if entry["letter"] != sort_key(entry["title"])[:1].upper()
    ]
    assert not misplaced, f"{GLOSSARY}: terms under the wrong '## Letter' heading: {misplaced}"


def test_glossary_entries_have_an_id_and_no_number():
    entries = glossary_entries()
    bad = []
    for entry in entries:
        attrs = entry["attrs"].split()
        ids = [a for a in attrs if a.startswith("#gloss-")]
        if len(ids) != 1 or ".unnumbered" not in attrs or re.search(r"[{}]", entry["title"]):
            bad.append(f"{entry['title']} {{{entry['attrs']}}}")
    assert not bad, (
        f"{GLOSSARY}: each term heading needs exactly one {{#gloss-...}} id and .unnumbered, "
        f"in one well-formed attribute block: {bad}"
    )
    ids = [a for entry in entries for a in entry["attrs"].split() if a.startswith("#gloss-")]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"{GLOSSARY}: ids used twice: {duplicates}"
    letters = [title for level, title, attrs in headings(GLOSSARY) if level == 2]
    numbered = [t for level, t, a in headings(GLOSSARY) if level == 2 and ".unnumbered" not in a]
    assert not numbered, f"{GLOSSARY}: letter headings must be .unnumbered: {numbered}"
    assert letters == sorted(set(letters)), f"{GLOSSARY}: letter headings {letters}"


def test_every_glossary_term_has_a_definition():
    # The definition is the prose before the "Introduced in" / "In pybackprop" lines; a
    # formula alone, or a bare link, is not one.
    too_short = []
    for entry in glossary_entries():
        prose = " ".join(
            line
            for line in entry["body"]
            if not line.startswith(("Introduced", "In pybackprop", "$$"))
        )
        prose = re.sub(r"\$\$.*?\$\$", " ", prose)
        words = re.findall(r"[A-Za-z]{2,}", prose)
        if len(words) < 8:
            too_short.append(entry["title"])
    assert not too_short, f"{GLOSSARY}: entries without a sentence of definition: {too_short}"


def test_every_glossary_term_links_to_a_chapter_section():
    unlinked = [
        entry["title"]
        for entry in glossary_entries()
        if not re.search(r"\]\(chapters/[^)#]+\.qmd#sec-[^)]+\)", " ".join(entry["body"]))
    ]
    assert not unlinked, (
        f"{GLOSSARY}: entries with no link to the chapter section that introduces them: {unlinked}"
    )


def test_glossary_chapter_links_cite_the_section_they_land_on():
    # Every link into a chapter names it as "Chapter N, *Section*" and carries that section's
    # id, so that the reader lands on the section, not at the top of the chapter.
    wrong = [
        f"[{text}]({target})"
        for text, target in links(GLOSSARY)
        if target.startswith("chapters/")
        and not (_CHAPTER_REF.match(text) and target.partition("#")[2].startswith("sec-"))
    ]
    assert not wrong, (
        f"{GLOSSARY}: chapter links should read "
        f"[Chapter N, *Section*](chapters/NN-....qmd#sec-...): {wrong}"
    )


# --- links ------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", SITE_PAGES)
def test_local_links_point_at_existing_files(page):
    generated = generated_reference_pages()
    chapter_stems = {p.stem for p in (ROOT / "chapters").glob("*.qmd") if not p.stem[0] == "_"}
    broken = []
    for text, target in links(page):
        local = local_target(page, target)
        if local is None:
            continue
        path, _ = local
        if path.startswith("notebooks/") and path.endswith(".ipynb"):
            # Written by the pre-render step, one per chapter; not in the repository.
            ok = path.count("/") == 1 and PurePosixPath(path).stem in chapter_stems
        else:
            ok = (ROOT / path).exists() or path in generated
        if not ok:
            broken.append(f"[{text}]({target})")
    assert not broken, f"{page}: links to files that do not exist (or are not generated): {broken}"


@pytest.mark.parametrize("page", SITE_PAGES)
def test_anchors_point_at_defined_ids(page, reference):
    generated = generated_reference_pages()
    broken = []
    for text, target in links(page):
        local = local_target(page, target)
        if local is None or not local[1]:
            continue
        path, anchor = local
        if path in generated:
            if anchor not in reference.get(PurePosixPath(path).stem, set()):
                broken.append(f"[{text}]({target}) (no such entry in the generated {path})")
        elif not (ROOT / path).exists():
            broken.append(f"[{text}]({target}) (no such file to hold #{anchor})")
        elif anchor not in defined_ids(ROOT / path):
            broken.append(f"[{text}]({target})")
    assert not broken, f"{page}: links to ids their page does not define: {broken}"


@pytest.mark.parametrize("page", SITE_PAGES)
def test_chapter_references_name_the_right_chapter_and_an_existing_section(page):
    chapters = numbered_chapters()
    wrong = []
    for text, target in links(page):
        ref = _CHAPTER_REF.match(text)
        if not ref:
            continue
        path, anchor = local_target(page, target)
        expected = chapters.get(int(ref["number"]))
        sections = section_ids(path) if path == expected else {}
        section = " ".join(ref["section"].split())
        if path != expected:
            wrong.append(f"[{text}]({target}): chapter {ref['number']} is {expected}")
        elif section not in sections:
            wrong.append(f"[{text}]({target}): {path} has no section {ref['section']!r}")
        elif anchor not in sections[section]:
            ids = sorted(sections[section]) or ["none: give the heading a {#sec-...} id"]
            wrong.append(f"[{text}]({target}): the section's ids are {ids}, not #{anchor}")
    assert not wrong, f"{page}: chapter references that do not match the book: {wrong}"


@pytest.mark.parametrize("page", SITE_PAGES)
def test_reference_links_name_public_names(page):
    folder = load_config()["quartodoc"]["dir"].rstrip("/")
    wrong = []
    for text, target in links(page):
        name = _REFERENCE_NAME.match(text)
        if not name or not target.startswith(f"{folder}/"):
            continue
        module = importlib.import_module(f"pybackprop.{name['module']}")
        public = getattr(module, "__all__", None)
        exported = hasattr(module, name["name"]) and (public is None or name["name"] in public)
        entry = f"pybackprop.{name['module']}.{name['name']}"
        if target != f"{folder}/{name['module']}.qmd#{entry}" or not exported:
            wrong.append(f"[{text}]({target})")
    assert not wrong, (
        f"{page}: Reference links whose name is not public in pybackprop.<module>, or that do "
        f"not land on its entry, {folder}/<module>.qmd#pybackprop.<module>.<name>: {wrong}"
    )


# --- home page and 404 ------------------------------------------------------------------------


def test_home_page_links_to_where_to_start():
    first = numbered_chapters()[1]
    targets = {target.partition("#")[0] for _, target in links(HOME)}
    wanted = {
        "the first chapter": first,
        "its notebook": f"notebooks/{PurePosixPath(first).stem}.ipynb",
        "the glossary": GLOSSARY,
        "the Reference": f"{load_config()['quartodoc']['dir'].rstrip('/')}/index.qmd",
    }
    missing = [what for what, target in wanted.items() if target not in targets]
    assert not missing, f"{HOME}: no link to {missing}"


def test_home_page_map_lists_every_chapter_by_number_and_title():
    rows = {target: text for text, target in links(HOME) if re.match(r"^\d+ ", text)}
    wrong = []
    for number, chapter in numbered_chapters().items():
        meta = yaml.safe_load(read(chapter).split("---", 2)[1])
        expected = f"{number} {meta['title']}"
        if rows.get(chapter) != expected:
            wrong.append(f"{chapter}: expected [{expected}], found [{rows.get(chapter)}]")
    assert not wrong, f"{HOME}: the map of the book does not match the chapters: {wrong}"


def test_404_page_links_home_and_to_the_chapter_list():
    targets = [target for _, target in links(NOT_FOUND)]
    assert HOME in targets, f"{NOT_FOUND}: no link to the home page ({HOME})"
    chapter_list = [t for t in targets if t.startswith(f"{HOME}#")]
    assert chapter_list, f"{NOT_FOUND}: no link to the chapter list on the home page"


def test_404_page_links_survive_being_served_from_any_address():
    # The 404 page is served at whatever address was not found. Quarto rewrites its links to
    # .qmd files into absolute ones from `site-url`; a relative .html, a root-relative path
    # or a `..` would not be rewritten and would break.
    assert load_config()["book"].get("site-url", "").startswith("https://"), "book: site-url unset"
    fragile = [
        target
        for _, target in links(NOT_FOUND)
        if not _EXTERNAL.match(target)
        and (target.startswith(("/", "..")) or not target.partition("#")[0].endswith(".qmd"))
    ]
    assert not fragile, f"{NOT_FOUND}: links that break when served from another path: {fragile}"


def test_glossary_and_404_are_rendered():
    project, book = load_config()["project"], load_config()["book"]
    assert GLOSSARY in book.get("appendices", []), f"{GLOSSARY} is not in book: appendices"
    render = project.get("render")
    for page in (GLOSSARY, NOT_FOUND):
        assert render is None or page in render, f"{page} is not in project: render"


# --- footer -----------------------------------------------------------------------------------


def footer_text() -> str:
    footer = load_config()["book"].get("page-footer", "")
    parts = footer.values() if isinstance(footer, dict) else [footer]
    return " ".join(" ".join(str(part).split()) for part in parts)


def test_footer_names_the_code_licence():
    footer = footer_text()
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License"), "LICENSE is not the MIT licence the footer names"
    match = re.search(r"\[MIT licen[cs]e\]\((?P<url>[^)]+)\)", footer)
    assert match, f"footer does not name the MIT licence with a link: {footer!r}"
    repo = load_config()["book"]["repo-url"].rstrip("/")
    assert match["url"] == f"{repo}/blob/main/LICENSE", f"licence link {match['url']}"


def test_footer_credits_mnist_as_its_licence_file_says():
    footer = footer_text()
    notice = (ROOT / "pybackprop" / "data" / "LICENSE-MNIST.md").read_text(encoding="utf-8")
    # "... **the MNIST database of handwritten digits** by **<authors>**, ..."
    authors = re.search(r"\*\*[^*]*MNIST[^*]*\*\*\s+by\s+\*\*(?P<names>[^*]+)\*\*", notice)
    assert authors, "LICENSE-MNIST.md no longer says who made MNIST; update this test"
    authors = " ".join(authors["names"].split())
    licence = re.search(r"\((?P<name>CC BY-SA [\d.]+), <(?P<url>[^>]+)>\)", notice)
    assert "MNIST" in footer, f"footer does not mention MNIST: {footer!r}"
    assert authors in footer, f"footer does not credit MNIST's authors ({authors}): {footer!r}"
    assert f"[{licence['name']}]({licence['url']})" in footer, (
        f"footer does not give MNIST's licence as [{licence['name']}]({licence['url']})"
    )


# Quarto puts the footer on a page through its Markdown: it appends the footer's text to the
# page's Markdown in hidden divs (Quarto 1.7's shape, below), Pandoc renders them with the page,
# and Quarto then moves the rendered HTML into `<div class="footer-contents">`. When a filter drops
# the divs, Quarto falls back to the raw text: the book's chapters, whose last section "Meeting
# videos" book/meeting-videos.lua replaces, showed "Code under the [MIT licence](https://...)".
ENVELOPES = """
::: {{#quarto-navigation-envelope .hidden}}
[{footer}]{{.hidden render-id="footer-left"}}
:::

::: {{#quarto-meta-markdown .hidden}}
[Chapter]{{.hidden render-id="quarto-metatitle"}}
:::
"""
LUA_FILTER = ROOT / "book" / "meeting-videos.lua"


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
@pytest.mark.parametrize("page", ["chapters/02-x.qmd", "glossary.qmd"])
def test_footer_reaches_every_page_rendered_after_the_meeting_videos_filter(tmp_path, page):
    footer = load_config()["book"]["page-footer"]["left"]
    (tmp_path / "_meeting-videos").mkdir()
    (tmp_path / "_meeting-videos" / "02-x.md").write_text("### Cohort 1\n\nFRESH\n")
    text = "## Exercises\n\nText.\n\n## Meeting videos\n\nPlaceholder.\n"
    if page == "glossary.qmd":
        text = "## A\n\nA term.\n"
    (tmp_path / page).parent.mkdir(exist_ok=True)
    (tmp_path / page).write_text(text + ENVELOPES.format(footer=footer), encoding="utf-8")
    result = subprocess.run(
        ["pandoc", "--lua-filter", str(LUA_FILTER), "--wrap=none", "--to", "html", page],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    html = result.stdout
    envelope = re.search(
        r'<div id="quarto-navigation-envelope" class="hidden">(.*?)</div>', html, re.S
    )
    assert envelope, f"{page}: the filter dropped Quarto's footer envelope: {html}"
    assert (
        '<a href="https://github.com/backprop-bookclub/pybackprop/blob/main/LICENSE">'
        in (envelope[1])
    ), envelope[1]
    assert "](" not in envelope[1], f"{page}: raw Markdown in the footer: {envelope[1]}"
    assert 'id="quarto-meta-markdown"' in html
    if page.startswith("chapters/"):
        assert "FRESH" in html and "Placeholder" not in html


# --- what readers tripped over on the rendered pages -------------------------------------------


@pytest.mark.parametrize("page", SITE_PAGES)
def test_no_link_to_a_server_on_the_readers_own_machine(page):
    # A published page is read on other machines: a link to localhost leads nowhere there.
    machine = r"https?://(?:localhost|127\.|0\.0\.0\.0)[^\s>)]*"
    local = [t for _, t in links(page) if re.match(machine, t)]
    local += re.findall(rf"<({machine})>", "\n".join(test_reference.prose_lines(read(page))))
    assert not local, f"{page}: links to the reader's own machine: {local}"


def test_404_page_sends_readers_to_a_search_box_they_can_reach():
    # The 404 page has no sidebar: where it mentions searching, it links to a page that has one.
    for line in " ".join(test_reference.prose_lines(read(NOT_FOUND))).split(". "):
        if "search" in line.lower():
            assert f"]({HOME})" in line, f"{NOT_FOUND}: '{line.strip()}' links to no search box"


def test_home_page_subtitle_is_not_the_author():
    book = load_config()["book"]
    assert book.get("subtitle") and book["subtitle"] != book.get("author"), (
        "_quarto.yml: the home page shows subtitle and author one above the other: "
        "the subtitle should say what the book is"
    )


# --- the landing page starts readers -------------------------------------------------------------

_BUTTON = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)\{(?P<attrs>[^}]*\.btn\b[^}]*)\}")


def home_top() -> str:
    """The home page from its title to its first section."""
    body = read(HOME).split("\n## ", 1)[0]
    return body[body.index("# Welcome") :]


def test_home_page_opens_with_start_reading_and_colab_then_where_to_start():
    buttons = {m["text"]: m["target"] for m in _BUTTON.finditer(home_top())}
    first = numbered_chapters()[1]
    stem = PurePosixPath(first).stem
    repo = load_config()["book"]["repo-url"].removeprefix("https://github.com/").rstrip("/")
    assert buttons.get("Start reading") == first, buttons
    assert buttons.get("Open in Colab") == (
        f"https://colab.research.google.com/github/{repo}/blob/notebooks/{stem}.ipynb"
    ), buttons
    sections = [title for level, title, _ in headings(HOME) if level == 2]
    assert sections[0] == "Where to start", sections


def test_home_page_shows_a_player_step_drawn_by_the_package():
    cells = re.findall(r"```\{python\}\n(.*?)```", read(HOME), re.DOTALL)
    assert any("step_backward(" in cell and "#| echo: false" in cell for cell in cells), cells


# Quarto's furniture above a page's text: the navbar and the title block ("Welcome"), about 150
# px at 1400 px and 200 px on a phone (where the title is larger relative to the screen), under
# which the text begins; the fold is a laptop's 800 px and a phone's 740 px of viewport.
FOLD = {1400: (150, 800), 400: (200, 740)}


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
@pytest.mark.parametrize("width", sorted(FOLD))
def test_start_buttons_are_above_the_fold(tab, width):
    from tests.book.test_stylesheet import book_css

    html = subprocess.run(
        ["pandoc", "--from", "markdown", "--to", "html"],
        input=home_top(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    above, fold = FOLD[width]
    column = min(width - 24, 749)
    page = tab
    page.set_viewport_size({"width": width, "height": fold})
    page.set_content(
        "<!doctype html><html><head><style>body { margin: 0; font: 17px/1.5 sans-serif; }"
        f"main {{ width: {column}px; margin: {above}px auto 0; }} h1 {{ font-size: 2.2rem; }}"
        ".btn { display: inline-block; padding: 0.375rem 0.75rem; border: 1px solid; }</style>"
        f"<style>{book_css('light')}</style></head><body>"
        f'<main id="quarto-document-content">{html}</main></body></html>'
    )
    bottoms = page.evaluate(
        "() => [...document.querySelectorAll('a.btn')].map((a) => a.getBoundingClientRect().bottom)"
    )
    assert len(bottoms) == 2 and max(bottoms) <= fold, f"at {width} px: {bottoms} > {fold}"
