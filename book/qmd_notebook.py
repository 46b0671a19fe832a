"""Turn the book's Quarto chapters (.qmd) into Jupyter notebooks (nbformat v4).

Quarto cannot write notebooks for a book project, and jupytext's qmd format calls the `quarto`
program, so this module parses the .qmd itself. It makes two kinds of notebook:

- `qmd_to_notebook(text)`: the page as Quarto runs it, every `{python}` cell a code cell
  (solutions included). The chapter tests (`tests/book/test_chapters.py`) execute it with nbclient.
- `downloadable_notebook(text, stem, book)`: the notebook a reader downloads or opens in Colab,
  an exercise book: an install cell first, callouts as Markdown (hints and solutions folded in
  `<details>`, solutions shown, not run), cross-references as "Figure 1.1" with a link, and
  every link an address on the published site. Quarto's `pre-render` step runs `main()`, which
  writes `notebooks/<stem>.ipynb` for every chapter; `tests/book/test_notebooks.py` executes them.

What it understands:

- YAML front matter becomes a markdown title cell (`# title`, then the subtitle).
- An executable cell is a fence of three or more backticks (indented or not, as in a list item)
  whose info string is `{python}` (with or without attributes, e.g. `{python echo=false}`); it
  ends at a line of at least as many backticks. A `~~~{python}` fence only displays, as in
  Quarto. Its option lines (`#|`, `# |`, a trailing `# comment`, as Quarto reads them) stay in
  the code cell, and also go into the cell's metadata (`quarto`) with tags Jupyter tools
  understand: `eval: false` -> `skip-execution`, `error: true` -> `raises-exception`.
- `{{< include >}}` is refused (`QmdError`): Quarto would run the included cells.
- Everything else stays markdown, including display-only blocks (```` ```python ````,
  ```` ```{.python} ````, ```` ```{{python}} ````), whatever they contain, and (as Quarto runs
  the page) Quarto's `:::` divs.
- `_quarto.yml`'s `book:` section (`read_book_config`): the site's address, the repository, and
  the order of the pages, from which chapters and cross-references are numbered as Quarto does.

Only the standard library is used, so the pre-render step runs with any Python.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import sys
from pathlib import Path
from typing import NamedTuple

# A fence may be indented (a cell in a list item runs in Quarto, as in its break-quarto-md).
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
# `{python}` and `{python key=value ...}` run; `{.python}` and `{{python}}` only display.
_EXECUTABLE_INFO = re.compile(r"^\{python(?:[\s,][^{}]*)?\}$")
# Quarto's option comment: `#|`, `# |`, `#|  ` (its optionCommentPattern, `^#\s*\| ?`).
_OPTION = re.compile(r"^#\s*\|\s?(?P<body>.*)$")
# Quarto expands `{{< include file >}}` before it runs the page; this converter does not.
_INCLUDE = re.compile(r"\{\{<\s*include\s")


def _runs(marker: re.Match) -> bool:
    """Whether a fence opens a cell Quarto runs: backticks and `{python ...}`, never tildes."""
    return marker["fence"][0] == "`" and bool(_EXECUTABLE_INFO.match(marker["info"]))


class QmdError(ValueError):
    """A .qmd file that cannot be turned into a notebook (e.g. an unclosed code fence)."""


def parse_scalar(value: str):
    """A YAML-like scalar: true/false, null, integers, floats, quoted or bare strings."""
    value = value.strip()
    lowered = value.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    if lowered in ("null", "~", ""):
        return None
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def parse_front_matter(text: str) -> tuple[dict, str]:
    """Split `text` into (top-level scalar keys of its YAML front matter, the rest).

    Only `key: value` lines at the top level are read (enough for title and subtitle); nested or
    multi-line values are skipped.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise QmdError("front matter opened with '---' on line 1 is never closed")
    meta = {}
    for line in lines[1:end]:
        match = re.match(r"^(?P<key>[A-Za-z_][\w-]*):\s*(?P<value>.*)$", line.rstrip("\n"))
        if match and match["value"].strip() not in ("", "|", ">"):
            meta[match["key"]] = parse_scalar(match["value"])
    return meta, "".join(lines[end + 1 :])


def _without_comment(value: str) -> str:
    """A YAML value without its trailing `# comment` (a `#` after a space, outside quotes)."""
    value = value.strip()
    if value[:1] in ("'", '"') and (end := value.find(value[0], 1)) > 0:
        return value[: end + 1]
    return re.sub(r"(?:^|\s)#.*$", "", value)


def parse_options(source_lines: list[str]) -> dict:
    """The `#| key: value` lines at the top of a cell as a dict (values parsed as scalars)."""
    options: dict = {}
    top = None  # the indentation of the options' top-level keys (the first line's)
    for line in source_lines:
        match = _OPTION.match(line)
        if not match:
            break
        key, sep, value = match["body"].partition(":")
        indent = len(key) - len(key.lstrip())
        top = indent if top is None else top
        if sep and key.strip() and not key.strip().startswith("#") and indent == top:
            options[key.strip()] = parse_scalar(_without_comment(value))
    return options


def _markdown_cell(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code_cell(source: str, options: dict) -> dict:
    metadata: dict = {}
    tags = []
    if options.get("eval") is False:
        tags.append("skip-execution")
    if options.get("error") is True:
        tags.append("raises-exception")
    if tags:
        metadata["tags"] = tags
    if options:
        metadata["quarto"] = options
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": metadata,
        "outputs": [],
        "source": source,
    }


def split_cells(body: str, first_line: int = 1) -> list[dict]:
    """Markdown and `{python}` code cells of a .qmd body (front matter already removed).

    `first_line` is the body's line number in its file, for error messages.
    """
    cells: list[dict] = []
    markdown: list[str] = []
    code: list[str] | None = None  # lines of the executable cell being read, if any
    fence = None  # the opening fence of the block we are inside, if any

    def flush_markdown():
        text = "".join(markdown).strip("\n")
        if text.strip():
            cells.append(_markdown_cell(text))
        markdown.clear()

    for number, line in enumerate(body.splitlines(keepends=True), start=first_line):
        match = _FENCE.match(line.rstrip("\n"))
        if fence is None:
            if _INCLUDE.search(line):
                raise QmdError(
                    f"line {number}: {{{{< include >}}}} is not supported here: Quarto would run "
                    "the included file's cells, which the notebook would leave out; put its "
                    "content in the page instead"
                )
            if match:
                fence, opened_at, indent = match["fence"], number, match["indent"]
                if _runs(match):
                    flush_markdown()
                    code = []
                    continue
            markdown.append(line)
            continue
        closes = (
            match is not None
            and match["info"] == ""
            and match["fence"][0] == fence[0]
            and len(match["fence"]) >= len(fence)
        )
        if closes:
            fence = None
            if code is not None:
                source = "".join(code).rstrip("\n")
                cells.append(_code_cell(source, parse_options(code)))
                code = None
                continue
            markdown.append(line)
        elif code is not None:
            # A cell indented in a list item runs without its indentation.
            code.append(line[len(indent) :] if line.startswith(indent) else line.lstrip(" \t"))
        else:
            markdown.append(line)
    if fence is not None:
        what = "a {python} cell" if code is not None else "a code block"
        raise QmdError(f"{what} opened with {fence} on line {opened_at} is never closed")
    flush_markdown()
    return cells


def _numbered(cells: list[dict]) -> list[dict]:
    """`cells` with ids `cell-0`, `cell-1`, ... (nbformat 4.5 requires unique ids)."""
    return [{**cell, "id": f"cell-{index}"} for index, cell in enumerate(cells)]


def _body_line(text: str, body: str) -> int:
    """The line number in `text` where `body` (what follows the front matter) starts."""
    return len(text.splitlines()) - len(body.splitlines()) + 1


def _with_title(meta: dict, cells: list[dict]) -> list[dict]:
    if "title" in meta:
        title = f"# {meta['title']}"
        if meta.get("subtitle"):
            title += f"\n\n*{meta['subtitle']}*"
        cells.insert(0, _markdown_cell(title))
    return cells


def _notebook_dict(cells: list[dict]) -> dict:
    return {
        "cells": _numbered(cells),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def qmd_to_notebook(text: str) -> dict:
    """A .qmd document as an nbformat v4 notebook (a plain dict, JSON-serialisable), as Quarto
    runs it: every `{python}` cell is a code cell, solutions included, and the rest Markdown."""
    meta, body = parse_front_matter(text)
    cells = split_cells(body, first_line=_body_line(text, body))
    return _notebook_dict(_with_title(meta, cells))


def _drop_section(cells: list[dict], heading: str) -> list[dict]:
    """`cells` without the level-2 section `heading` (from its heading to the next `## `)."""
    kept, dropping = [], False
    for cell in cells:
        if cell["cell_type"] == "markdown":
            out = []
            for line in cell["source"].splitlines():
                if line.startswith("## "):
                    dropping = line[3:].strip() == heading
                if not dropping:
                    out.append(line)
            if "\n".join(out).strip():
                kept.append({**cell, "source": "\n".join(out).strip("\n")})
        elif not dropping:
            kept.append(cell)
    return kept


# --- the book: _quarto.yml, chapter numbers, cross-reference targets ---------------------------

_YAML_KEY = re.compile(r"^(?P<key>[\w-]+):\s*(?P<value>.*)$")
_YAML_ITEM = re.compile(r"^-\s+(?P<part>part:\s*)?(?P<value>.+)$")
_PAGE = re.compile(r"\.(?:qmd|md|ipynb)$")


class BookConfig(NamedTuple):
    """What the download notebooks need from `_quarto.yml`'s `book:` section."""

    site_url: str  # ends with "/"
    repo_url: str
    chapters: list[str]  # pages of `book: chapters` in order, parts' own pages left out
    appendices: list[str]


def read_book_config(text: str) -> BookConfig:
    """The `book:` section of a `_quarto.yml` (block style, as Quarto's templates write it).

    Read without a YAML library so that the pre-render step needs only the standard library.
    """
    scalars: dict = {}
    lists: dict[str, list[str]] = {"chapters": [], "appendices": []}
    in_book, child_indent, current = False, None, None
    for raw in text.splitlines():
        line = re.sub(r"(?:^|\s)#.*$", "", raw).rstrip()
        if not line:
            continue
        indent = len(line) - len(line.lstrip(" "))
        line = line.strip()
        if indent == 0:
            in_book, current = line == "book:", None
            continue
        if not in_book:
            continue
        child_indent = indent if child_indent is None else child_indent
        key = _YAML_KEY.match(line)
        if indent == child_indent and key:
            current = key["key"] if key["key"] in lists else None
            scalars[key["key"]] = parse_scalar(key["value"])
        elif indent > child_indent and current and (item := _YAML_ITEM.match(line)):
            page = str(parse_scalar(item["value"]))
            if not item["part"] and _PAGE.search(page):
                lists[current].append(page)
    for key in ("site-url", "repo-url"):
        if not scalars.get(key):
            raise QmdError(f"_quarto.yml has no book: {key}, which the notebooks' links need")
    return BookConfig(
        site_url=scalars["site-url"].rstrip("/") + "/",
        repo_url=scalars["repo-url"].rstrip("/"),
        chapters=lists["chapters"],
        appendices=lists["appendices"],
    )


class Target(NamedTuple):
    """What a cross-reference to a label becomes: its words ("Figure 1.1") and its page."""

    words: str
    number: str
    page: str


# Cross-reference kinds and the words Quarto puts before their numbers (its defaults).
_PREFIXES = {"fig": "Figure", "tbl": "Table", "eq": "Equation", "sec": "Section"}
_LABEL_OPTION = re.compile(r"^#\s*\|\s*label:\s*(?P<label>(?:fig|tbl)-\S+)\s*$")
_LABEL_ATTR = re.compile(r"\{[^{}]*?#(?P<label>(?:fig|tbl|eq)-[\w-]+)[^{}]*\}")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*?)\s*(?:\{(?P<attrs>[^{}]*)\})?\s*$")
_DIV_OPEN = re.compile(r"^:{3,}\s*(?P<attrs>\S.*?)\s*$")
_DIV_CLOSE = re.compile(r"^:{3,}\s*$")


def _closes(line: str, fence: str) -> bool:
    match = _FENCE.match(line)
    return (
        match is not None
        and match["info"] == ""
        and match["fence"][0] == fence[0]
        and len(match["fence"]) >= len(fence)
    )


def _is_numbered(text: str) -> bool:
    """Whether Quarto gives this page a chapter number: not if its title heading (used when the
    front matter has no title) is `.unnumbered`, nor with `number-sections: false`."""
    meta, body = parse_front_matter(text)
    if meta.get("number-sections") is False:
        return False
    if "title" in meta:
        return True
    title = next((line for line in body.splitlines() if line.startswith("# ")), "")
    heading = _HEADING.match(title)
    attrs = (heading["attrs"] or "").split() if heading else []
    return ".unnumbered" not in attrs and "-" not in attrs


def page_targets(page: str, text: str, chapter: str | None) -> dict[str, Target]:
    """The cross-reference labels a page defines, numbered as Quarto numbers them in a book.

    Figures, tables and equations count from 1 in each chapter ("Figure 4.2"); sections follow
    `number-sections` ("Section 5.10.2": chapter 5, its tenth `##`, that one's second `###`),
    and an `.unnumbered` one is called by its title. Headings inside callouts are the
    callouts' titles, not sections.
    """
    _, body = parse_front_matter(text)
    prefix = f"{chapter}." if chapter else ""
    counts = dict.fromkeys(_PREFIXES, 0)
    sections = [0] * 5  # counters for `##` to `######`
    targets: dict[str, Target] = {}
    divs: list[bool] = []  # for each open `:::` div: is it a callout?
    fence, in_cell = None, False

    def add(label: str, number: str | None = None, words: str | None = None):
        kind = label.split("-", 1)[0]
        if number is None:
            counts[kind] += 1
            number = f"{prefix}{counts[kind]}"
        targets[label] = Target(words or f"{_PREFIXES[kind]} {number}", number, page)

    for line in body.splitlines():
        if fence is not None:
            if _closes(line, fence):
                fence = None
            elif in_cell and (option := _LABEL_OPTION.match(line)):
                add(option["label"])
            continue
        if marker := _FENCE.match(line):
            fence, in_cell = marker["fence"], _runs(marker)
            continue
        if _DIV_CLOSE.match(line):
            divs = divs[:-1]
            continue
        if div := _DIV_OPEN.match(line):
            divs.append(".callout" in div["attrs"])
        heading = _HEADING.match(line)
        if heading and len(heading["hashes"]) >= 2 and not any(divs):
            level = len(heading["hashes"]) - 2
            attrs = (heading["attrs"] or "").split()
            numbered = ".unnumbered" not in attrs and "-" not in attrs
            if numbered:
                sections[level] += 1
                sections[level + 1 :] = [0] * (len(sections) - level - 1)
            for label in (a[1:] for a in attrs if a.startswith("#sec-")):
                if numbered:
                    add(label, prefix + ".".join(map(str, sections[: level + 1])))
                else:  # Quarto has no number for it; its title says where the link goes
                    add(label, heading["title"], heading["title"])
            continue
        for match in _LABEL_ATTR.finditer(line):
            add(match["label"])
    return targets


class Book(NamedTuple):
    """The book as the download notebooks link to it: its site, pages, chapter numbers, labels."""

    site_url: str
    repo_url: str
    chapter_numbers: dict[str, str]  # page -> "1", ..., appendices "A", "B", ...
    targets: dict[str, Target]

    @classmethod
    def from_root(cls, root: Path) -> Book:
        """Read `root/_quarto.yml` and every page it lists (pages not on disk are skipped)."""
        try:
            config = read_book_config((root / "_quarto.yml").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise QmdError(
                f"no _quarto.yml in {root}: the notebooks link to its site-url"
            ) from None
        numbers: dict[str, str] = {}
        targets: dict[str, Target] = {}
        counted = {False: 0, True: 0}
        pages = [(p, False) for p in config.chapters] + [(p, True) for p in config.appendices]
        for page, appendix in pages:
            path = root / page
            if not path.is_file():
                continue  # generated pages (reference/*.qmd) number nothing a chapter refers to
            text = path.read_text(encoding="utf-8")
            if _is_numbered(text):
                counted[appendix] += 1
                n = counted[appendix]
                numbers[page] = chr(ord("A") + n - 1) if appendix else str(n)
            targets.update(page_targets(page, text, numbers.get(page)))
        return cls(config.site_url, config.repo_url, numbers, targets)

    def url(self, page: str, anchor: str = "") -> str:
        """The published address of `page` (a path from the book's root), with `#anchor`."""
        return self.site_url + re.sub(r"\.qmd$", ".html", page) + anchor


# --- download notebooks: callouts, links, cross-references -----------------------------------


class _Div:
    """A `:::` div being read: its attributes and its lines as (text, is executable code)."""

    def __init__(self, attrs: str, opened_at: int):
        self.attrs, self.opened_at = attrs, opened_at
        self.lines: list[tuple[str, bool | None]] = []
        self.title: str | None = None
        self.awaiting_title = True

    @property
    def classes(self) -> list[str]:
        return re.findall(r"(?:^|\s)\.([\w-]+)", self.attrs)

    @property
    def kind(self) -> str | None:
        """`tip` for `.callout-tip`; None for a div that is not a callout."""
        return next((c[len("callout-") :] for c in self.classes if c.startswith("callout-")), None)

    def attr(self, name: str) -> str | None:
        match = re.search(rf'(?:^|\s){name}=(?:"(?P<q>[^"]*)"|(?P<bare>\S+))', self.attrs)
        return None if match is None else (match["q"] if match["q"] is not None else match["bare"])

    @property
    def folds(self) -> bool:
        return self.kind is not None and self.attr("collapse") is not None


def _summary(title: str) -> str:
    escaped = html.escape(title, quote=False)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


# A blank line that `_wrap` adds to end an HTML block or a blockquote: `(line, code)` pairs
# mark it with code=None, and `callouts_to_markdown` drops it where the text has a blank anyway.
_PAD = ("", None)


def _wrap(div: _Div) -> list[tuple[str, bool | None]]:
    """A closed div as notebook Markdown: a folding callout becomes `<details>`, another callout
    a blockquote with its title in bold, any other div just its content (ids kept as anchors)."""
    lines = div.lines
    while lines and not lines[0][0].strip():
        lines = lines[1:]
    while lines and not lines[-1][0].strip():
        lines = lines[:-1]
    anchors = "".join(f'<a id="{a[1:]}"></a>' for a in div.attrs.split() if a.startswith("#"))
    head = [(anchors, False), _PAD] if anchors else []
    if div.kind is None:
        return head + lines
    title = div.attr("title") or div.title or div.kind.capitalize()
    if div.folds:
        opened = " open" if div.attr("collapse") == "false" else ""
        summary = f"<summary><strong>{_summary(title)}</strong></summary>"
        top = [(f"<details{opened}>", False), (summary, False), _PAD]
        return head + top + lines + [_PAD, ("</details>", False), _PAD]
    quoted = [
        (line if code else (f"> {line}" if line.strip() else ">"), code) for line, code in lines
    ]
    return head + [(f"> **{title}**", False), (">", False)] + quoted + [_PAD]


def callouts_to_markdown(body: str, first_line: int = 1) -> str:
    """`body` with Quarto's `:::` divs turned into notebook Markdown (see `_wrap`).

    Code inside a folding callout (a Solution, a Hint) is shown, not run: its `{python}` cells
    become displayed ```` ```python ```` blocks without their `#|` options, so "Run all" runs
    the reader's own answers. The div holding the notebook download link is dropped (the reader
    has the notebook). `first_line` is the body's line number in its file, for error messages.
    """
    out: list[tuple[str, bool | None]] = []
    divs: list[_Div] = []
    fence, in_cell, shown, leading = None, False, False, False

    def emit(line: str, code: bool | None = False):
        (divs[-1].lines if divs else out).append((line, code))

    for number, line in enumerate(body.split("\n"), start=first_line):
        if fence is not None:
            if _closes(line, fence):
                fence, shown = None, False
            elif shown and leading and _OPTION.match(line):
                continue  # Quarto's options mean nothing in a displayed block
            else:
                leading = False
            emit(line, in_cell)
            continue
        if marker := _FENCE.match(line):
            fence, opened_at = marker["fence"], number
            in_cell = _runs(marker)
            if in_cell and any(div.folds for div in divs):
                in_cell, shown, leading, line = False, True, True, f"{fence}python"
            emit(line, in_cell)
            continue
        if divs and divs[-1].awaiting_title and line.strip():
            divs[-1].awaiting_title = False
            heading = _HEADING.match(line)
            if heading and divs[-1].kind is not None:
                divs[-1].title = heading["title"]
                continue
        if _DIV_CLOSE.match(line):
            if not divs:
                raise QmdError(f"the ':::' on line {number} closes no div")
            div = divs.pop()
            if not any("../notebooks/" in text for text, _ in div.lines):
                for wrapped in _wrap(div):
                    emit(*wrapped)
            continue
        if div := _DIV_OPEN.match(line):
            divs.append(_Div(div["attrs"].strip("{}"), number))
            continue
        emit(line)
    if fence is not None:
        what = "a {python} cell" if in_cell or shown else "a code block"
        raise QmdError(f"{what} opened with {fence} on line {opened_at} is never closed")
    if divs:
        raise QmdError(f"the ':::' div opened on line {divs[-1].opened_at} is never closed")
    kept: list[str] = []
    for at, (line, code) in enumerate(out):
        after = out[at + 1][0] if at + 1 < len(out) else ""
        if code is None and ((kept and not kept[-1].strip()) or not after.strip()):
            continue
        kept.append(line)
    return "\n".join(kept)


_INLINE_CODE = re.compile(r"(`+).*?\1")


def _map_prose(source: str, rewrite) -> str:
    """`source` with `rewrite` applied to its text outside fenced blocks and inline code."""
    out, fence = [], None
    for line in source.split("\n"):
        if fence is not None:
            fence = None if _closes(line, fence) else fence
        elif marker := _FENCE.match(line):
            fence = marker["fence"]
        else:
            pieces, at = [], 0
            for code in _INLINE_CODE.finditer(line):
                pieces += [rewrite(line[at : code.start()]), code.group()]
                at = code.end()
            line = "".join(pieces) + rewrite(line[at:])
        out.append(line)
    return "\n".join(out)


# `@fig-x`, `@Fig-x` (sentence start), `-@fig-x` (number only), each possibly in brackets.
_XREF = re.compile(
    r"(?P<open>\[)?(?P<bare>-)?(?<![\w@.])@(?P<kind>[Ff]ig|[Tt]bl|[Ss]ec|[Ee]q)-"
    r"(?P<name>[\w-]*\w)(?P<close>\])?"
)
_MD_LINK = re.compile(r"(?P<before>\]\(\s*)(?P<url><[^>\n]*>|[^)\s]+)")
_HTML_LINK = re.compile(r'(?P<before>\b(?:href|src)=")(?P<url>[^"]*)')
_ABSOLUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")


def _resolve_xrefs(text: str, book: Book) -> str:
    def words(match: re.Match) -> str:
        label = f"{match['kind'].lower()}-{match['name']}"
        if label not in book.targets:
            raise QmdError(f"the cross-reference @{label} matches no label in the book")
        target = book.targets[label]
        link = f"[{target.number if match['bare'] else target.words}]"
        link += f"({book.url(target.page, '#' + label)})"
        if bool(match["open"]) != bool(match["close"]):
            link = (match["open"] or "") + link + (match["close"] or "")
        return link

    return _XREF.sub(words, text)


def _absolute_links(text: str, page: str, book: Book) -> str:
    """Relative links of `page` (`../reference/nn.qmd#x`, `02-b.qmd`, `#sec-y`) as addresses on
    the published site, `.qmd` becoming `.html`: a notebook opened anywhere has no neighbours."""

    def absolute(match: re.Match) -> str:
        url = match["url"].strip("<>")
        if _ABSOLUTE.match(url):
            return match.group()
        path, hash_, anchor = url.partition("#")
        if not path:
            target = page
        elif path.startswith("/"):
            target = path.lstrip("/")
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if target.startswith(".."):
            raise QmdError(f"{page}: the link {url} leads outside the book")
        return match["before"] + book.url(target, hash_ + anchor)

    return _HTML_LINK.sub(absolute, _MD_LINK.sub(absolute, text))


# A Markdown heading with Quarto attributes: `## Title {#sec-02-value .unnumbered}`.
_HEADING_ATTRS = re.compile(r"^(?P<heading>#{1,6} .*?)\s*\{(?P<attrs>[^{}]*)\}\s*$")


def _plain_headings(cells: list[dict]) -> list[dict]:
    """Headings without Quarto's `{...}` attributes, which Jupyter would show as text.

    A heading's `#id` becomes an HTML anchor, so links to `#sec-...` still land in Jupyter.
    Lines inside fenced blocks (a `# comment {...}` in displayed code) are left alone.
    """

    def plain(source: str) -> str:
        out, fence = [], None
        for line in source.split("\n"):
            marker = _FENCE.match(line)
            if marker and (fence is None or marker.group(1).startswith(fence)):
                fence = None if fence else marker.group(1)
            elif fence is None and (m := _HEADING_ATTRS.match(line)):
                ids = [a[1:] for a in m["attrs"].split() if a.startswith("#")]
                line = m["heading"] + "".join(f' <a id="{i}"></a>' for i in ids)
            out.append(line)
        return "\n".join(out)

    return [
        {**cell, "source": plain(cell["source"])} if cell["cell_type"] == "markdown" else cell
        for cell in cells
    ]


# What the first code cell of a download notebook runs. It installs from PyPI by name (the
# released package). `sys.executable -m pip` installs into the kernel's own Python, which a
# bare `pip` in a shell may not be. Where pip cannot install (offline, or no release on PyPI
# yet), it says in one paragraph how to install from the repository, never a traceback.
_INSTALL_CELL = """\
# Installs pybackprop where it is missing (Colab, a fresh Jupyter).
import importlib.metadata
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("pybackprop") is None:
    print('pybackprop is not installed: installing "pybackprop[book]" from PyPI')
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pybackprop[book]"])
    importlib.invalidate_caches()
    if pip.returncode != 0:
        repo = "{repo_url}"
        print(
            "pip could not install pybackprop from PyPI (see its message above: no network "
            "here, or no release on PyPI yet). Install it from its repository instead: in a "
            f'cell, %pip install "pybackprop[book] @ git+{{repo}}"; or, with no network here, '
            f"bring a copy made where there is one (git clone {{repo}}) and, in its folder, "
            'run pip install -e ".[book]". Then run the notebook again.'
        )
else:
    print(f"pybackprop {{importlib.metadata.version('pybackprop')}} is already installed")"""


def install_cell(book: Book) -> dict:
    """The code cell that installs `pybackprop[book]` when the kernel's Python lacks it."""
    cell = _code_cell(_INSTALL_CELL.format(repo_url=book.repo_url), {})
    cell["metadata"]["tags"] = ["install"]
    return cell


def _shown_if_not_run(cell: dict) -> dict:
    """An `eval: false` cell as Markdown showing its code: Jupyter's and Colab's "Run all"
    ignore the `skip-execution` tag, and the page does not run it either."""
    if cell["cell_type"] != "code" or cell["metadata"].get("quarto", {}).get("eval") is not False:
        return cell
    lines = cell["source"].split("\n")
    while lines and _OPTION.match(lines[0]):
        lines.pop(0)
    code = "\n".join(lines).strip("\n")
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`{3,}", code))])
    return _markdown_cell(
        f"Not run (the page shows this code without running it):\n\n{fence}python\n{code}\n{fence}"
    )


def downloadable_notebook(text: str, stem: str, book: Book) -> dict:
    """The notebook offered for download and opened in Colab: an exercise book that runs anywhere.

    Differences from `qmd_to_notebook` (which runs as Quarto runs the page):

    - a note on where it comes from, and a first code cell that installs `pybackprop[book]`
      when it is missing (`install_cell`);
    - callouts become Markdown (`callouts_to_markdown`): hints and solutions fold as
      `<details>`, and the code of solutions is shown, not run, so "Run all" runs the reader's
      answers and the checks report on them;
    - cross-references (`@fig-...`) become words with a link ("Figure 1.1"), and every relative
      link becomes the published site's address (`book.site_url`);
    - no download link and no "Meeting videos" section (a placeholder that the site's build
      fills from the repository's `videos/` folder; the recordings are on the chapter's page);
    - headings lose Quarto's `{...}` attributes, keeping ids as HTML anchors.
    """
    page = f"chapters/{stem}.qmd"
    meta, body = parse_front_matter(text)
    body = callouts_to_markdown(body, first_line=_body_line(text, body))
    cells = _drop_section(_with_title(meta, split_cells(body)), "Meeting videos")
    cells = _plain_headings([_shown_if_not_run(cell) for cell in cells])
    for cell in cells:
        if cell["cell_type"] == "markdown":
            cell["source"] = _map_prose(
                cell["source"],
                lambda prose: _absolute_links(_resolve_xrefs(prose, book), page, book),
            )
    number = book.chapter_numbers.get(page)
    which = f"chapter {number}" if number else "a chapter"
    note = _markdown_cell(
        f"This notebook is {which} of the Backprop bookclub's book, generated from "
        f"`{page}`; [its page]({book.url(page)}) has the same text with the meeting videos. "
        "Hints and solutions are folded: click ▸ Hint or ▸ Solution. Solutions are shown, not "
        'run, so "Run all" runs your own code and each check reports on it; to try a solution, '
        "copy it into the exercise's cell."
    )
    explain = _markdown_cell(
        "The next cell installs `pybackprop` with what the chapters use "
        '(`pip install "pybackprop[book]"`) when this Python does not have it, as on Colab or '
        "in a fresh Jupyter, and does nothing where it is already installed. Where pip cannot "
        "reach the package, it says how to install it from the repository."
    )
    at = 1 if cells and cells[0]["source"].startswith("# ") else 0
    cells[at:at] = [note, explain, install_cell(book)]
    return _notebook_dict(cells)


def chapter_files(root: Path) -> list[Path]:
    """The book's chapters: `chapters/*.qmd`, except files starting with `_` (templates)."""
    return sorted(p for p in (root / "chapters").glob("*.qmd") if not p.name.startswith("_"))


def write_notebooks(root: Path, out_dir: Path) -> list[Path]:
    """Write `out_dir/<stem>.ipynb` for every chapter under `root`; return the paths written."""
    book = Book.from_root(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for qmd in chapter_files(root):
        try:
            nb = downloadable_notebook(qmd.read_text(encoding="utf-8"), qmd.stem, book)
        except QmdError as err:
            raise QmdError(f"{qmd}: {err}") from None
        target = out_dir / f"{qmd.stem}.ipynb"
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """`python book/qmd_notebook.py [ROOT]`: write ROOT/notebooks/<stem>.ipynb per chapter.

    ROOT defaults to the repository this script lives in (Quarto runs pre-render scripts from
    the project folder, but this does not depend on it).
    """
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    try:
        written = write_notebooks(root, root / "notebooks")
    except QmdError as err:
        print(f"qmd_notebook: {err}", file=sys.stderr)
        return 1
    print(f"qmd_notebook: wrote {len(written)} notebooks to {root / 'notebooks'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
