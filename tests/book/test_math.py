"""Inline math in every page of the book is math that Pandoc reads as math.

Pandoc's `tex_math_dollars` reads `$...$` as math only if the opening `$` has a non-space
character right after it, the closing `$` has a non-space character right before it and no digit
right after it, and both sit in one paragraph. Anything else comes out as text with the dollar
signs in it ("for $L = $ mse(pred, target)"). A dollar meant as a dollar is written `\\$`.

The check reads the prose of each `.qmd` (front matter, fenced code and cells, inline code and
raw HTML comments left out), pairs the unescaped single dollars of each paragraph in order, and
names every pair Pandoc would not read as math, and every dollar left without a partner.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_DISPLAY = re.compile(r"\$\$.*?\$\$", re.DOTALL)


def qmd_files() -> list[Path]:
    """Every .qmd that git tracks (generated reference pages are not written by hand)."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.qmd"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in sorted(tracked)]


def prose_paragraphs(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each paragraph outside front matter and fenced blocks."""
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), 0) + 1
    paragraphs: list[tuple[int, str]] = []
    current: list[str] = []
    first = 0
    fence = None
    for number, line in enumerate(lines[start:], start + 1):
        match = _FENCE.match(line)
        if fence is not None:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
        if match or not line.strip():
            if current:
                paragraphs.append((first, "\n".join(current)))
            current = []
            continue
        if not current:
            first = number
        current.append(line)
    if current:
        paragraphs.append((first, "\n".join(current)))
    return paragraphs


def unreadable_math(paragraph: str) -> list[str]:
    """The `$...$` spans (or lone `$`) of one paragraph that Pandoc would not read as math."""
    text = _COMMENT.sub(" ", paragraph)
    text = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), text)
    text = _DISPLAY.sub(lambda m: " " * len(m.group(0)), text)
    dollars = [
        m.start()
        for m in re.finditer(r"\$", text)
        if len(re.match(r"\\*", text[: m.start()][::-1]).group(0)) % 2 == 0
    ]
    problems = []
    for opening, closing in zip(dollars[::2], dollars[1::2], strict=False):
        span = text[opening : closing + 1]
        after = text[closing + 1 : closing + 2]
        if text[opening + 1].isspace():
            problems.append(f"{span!r}: a space after the opening $")
        elif text[closing - 1].isspace():
            problems.append(f"{span!r}: a space before the closing $")
        elif after.isdigit():
            problems.append(f"{span!r}: a digit right after the closing $")
    if len(dollars) % 2:
        lone = dollars[-1]
        problems.append(f"{text[lone : lone + 30]!r}...: a $ without a partner (write \\$)")
    return problems


@pytest.mark.parametrize("page", qmd_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_inline_math_is_read_as_math(page):
    found = [
        f"line {line}: {problem}"
        for line, paragraph in prose_paragraphs(page.read_text(encoding="utf-8"))
        for problem in unreadable_math(paragraph)
    ]
    assert not found, (
        f"{page.relative_to(ROOT)}: inline math that Pandoc shows as text "
        "(no space inside the dollars, no digit after the closing one):\n" + "\n".join(found)
    )


@pytest.mark.parametrize(
    "paragraph",
    [
        "for $L = $\n`mse(pred, target)`",
        "costs $ 5 and more $",
        "between $a$5 and b",
        "a lone $ sign",
    ],
)
def test_the_check_catches_what_pandoc_shows_as_text(paragraph):
    assert unreadable_math(paragraph)


@pytest.mark.parametrize(
    "paragraph",
    [
        "for the loss $L$ =\n`mse(pred, target)`",
        "$\\partial L / \\partial x$ and $y = wx + b$",
        "a price of \\$5 and `$HOME` in code",
        "display $$\na = b\n$$ then $x$",
        "math over a line break: $a +\nb$",
    ],
)
def test_the_check_accepts_math_pandoc_reads(paragraph):
    assert unreadable_math(paragraph) == []
