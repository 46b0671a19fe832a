"""Turn the book's Quarto chapters (.qmd) into Jupyter notebooks (nbformat v4).

Quarto cannot write notebooks for a book project, and jupytext's qmd format calls the `quarto`
program, so this module parses the .qmd itself. It serves twice:

- the chapter tests (`tests/test_chapters.py`) execute `qmd_to_notebook(text)` with nbclient;
- Quarto's `pre-render` step runs `main()`, which writes `notebooks/<stem>.ipynb` for every
  chapter, the notebooks each chapter links to for download.

What it understands:

- YAML front matter becomes a markdown title cell (`# title`, then the subtitle).
- An executable cell is a fence of three or more backticks whose info string is `{python}` (with
  or without attributes, e.g. `{python}` or `{python echo=false}`); it ends at a line of at least
  as many backticks. Its `#|` option lines stay in the code cell, and also go into the cell's
  metadata (`quarto`) with tags Jupyter tools understand: `eval: false` -> `skip-execution`,
  `error: true` -> `raises-exception`.
- Everything else stays markdown, including display-only blocks (```` ```python ````,
  ```` ```{.python} ````, ```` ```{{python}} ````), whatever they contain, and Quarto's `:::` divs.

Only the standard library is used, so the pre-render step runs with any Python.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REPO_URL = "https://github.com/backprop-bookclub/pybackprop"
SITE_INSTALL = f'pip install "pybackprop[book] @ git+{REPO_URL}"'

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>.*?)\s*$")
# `{python}` and `{python key=value ...}` run; `{.python}` and `{{python}}` only display.
_EXECUTABLE_INFO = re.compile(r"^\{python(?:[\s,][^{}]*)?\}$")
_OPTION = re.compile(r"^#\|\s?(?P<body>.*)$")


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


def parse_options(source_lines: list[str]) -> dict:
    """The `#| key: value` lines at the top of a cell as a dict (values parsed as scalars)."""
    options = {}
    for line in source_lines:
        match = _OPTION.match(line)
        if not match:
            break
        key, sep, value = match["body"].partition(":")
        if sep and key.strip() and not key.startswith(" "):
            options[key.strip()] = parse_scalar(value)
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
            if match:
                fence, opened_at = match["fence"], number
                if _EXECUTABLE_INFO.match(match["info"]):
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
            code.append(line)
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


def qmd_to_notebook(text: str) -> dict:
    """A .qmd document as an nbformat v4 notebook (a plain dict, JSON-serialisable)."""
    meta, body = parse_front_matter(text)
    cells = split_cells(body, first_line=len(text.splitlines()) - len(body.splitlines()) + 1)
    if "title" in meta:
        title = f"# {meta['title']}"
        if meta.get("subtitle"):
            title += f"\n\n*{meta['subtitle']}*"
        cells.insert(0, _markdown_cell(title))
    return {
        "cells": _numbered(cells),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


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


def _drop_notebook_link(cells: list[dict]) -> list[dict]:
    """Remove the `:::` div holding the "download this notebook" link: the reader has it."""
    kept = []
    for cell in cells:
        if cell["cell_type"] == "markdown" and "../notebooks/" in cell["source"]:
            source = re.sub(
                r"^:::+[^\n]*\n(?:(?!:::)[^\n]*\n)*?[^\n]*\.\./notebooks/[^\n]*\n"
                r"(?:(?!:::)[^\n]*\n)*:::+[ \t]*(?:\n|$)",
                "",
                cell["source"] + "\n",
                flags=re.MULTILINE,
            ).strip("\n")
            if source.strip():
                kept.append({**cell, "source": source})
            continue
        kept.append(cell)
    return kept


# A markdown link to a sibling chapter, `[text](NN-stem.qmd)` or `(NN-stem.qmd#anchor)`.
_CHAPTER_LINK = re.compile(r"\]\((?P<stem>[\w-]+)\.qmd(?P<anchor>#[^)\s]*)?\)")


def _link_notebooks(cells: list[dict]) -> list[dict]:
    """Point links between chapters at the sibling notebooks, which sit side by side."""
    return [
        {**cell, "source": _CHAPTER_LINK.sub(r"](\g<stem>.ipynb\g<anchor>)", cell["source"])}
        if cell["cell_type"] == "markdown"
        else cell
        for cell in cells
    ]


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


def downloadable_notebook(text: str, stem: str) -> dict:
    """The notebook offered for download: runs anywhere `pybackprop` is installed.

    Differences from `qmd_to_notebook`: a note on where it comes from and how to install the
    package; no download link; no "Meeting videos" section (its cell reads the repository's
    `videos/` folder, and the recordings are on the chapter's web page); links to other
    chapters lead to their notebooks; headings lose Quarto's `{...}` attributes.
    """
    nb = qmd_to_notebook(text)
    cells = _drop_section(nb["cells"], "Meeting videos")
    cells = _plain_headings(_link_notebooks(_drop_notebook_link(cells)))
    note = _markdown_cell(
        f"This notebook is generated from `chapters/{stem}.qmd` of the Backprop bookclub's book "
        f"({REPO_URL}). Run it where `pybackprop` is installed: from a clone, "
        f'`pip install -e ".[book]"`; elsewhere (e.g. Colab), `{SITE_INSTALL}`. '
        "The meeting videos are on the chapter's page."
    )
    at = 1 if cells and cells[0]["source"].startswith("# ") else 0
    cells.insert(at, note)
    nb["cells"] = _numbered(cells)
    return nb


def chapter_files(root: Path) -> list[Path]:
    """The book's chapters: `chapters/*.qmd`, except files starting with `_` (templates)."""
    return sorted(p for p in (root / "chapters").glob("*.qmd") if not p.name.startswith("_"))


def write_notebooks(root: Path, out_dir: Path) -> list[Path]:
    """Write `out_dir/<stem>.ipynb` for every chapter under `root`; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for qmd in chapter_files(root):
        try:
            nb = downloadable_notebook(qmd.read_text(encoding="utf-8"), qmd.stem)
        except QmdError as err:
            raise QmdError(f"{qmd}: {err}") from None
        target = out_dir / f"{qmd.stem}.ipynb"
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """`python scripts/qmd_notebook.py [ROOT]`: write ROOT/notebooks/<stem>.ipynb per chapter.

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
