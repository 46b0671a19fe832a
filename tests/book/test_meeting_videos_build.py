"""Meeting videos reach a page one way, and never go stale.

Before every render a `pre-render` step writes each chapter's "Meeting videos" section and the
Videos page's listing from videos/ (`book/meeting_videos.py`), and a Lua filter that runs on
every page, frozen by `freeze: auto` or not, puts them in place of the pages' placeholders
(`book/meeting-videos.lua`). No page runs code for its videos. These tests check, without
Quarto, that the two are wired into `_quarto.yml` and are the only way, that the step writes
what `book/videos.py` renders, that a new meeting reaches both pages without touching a
chapter's source (whose hash is what `freeze` compares), and, where pandoc is installed, that
the filter swaps the fresh section in.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import meeting_videos as script
import pytest
import yaml

from videos import NO_RECORDING, SECTION_ID, meeting_videos, videos_page

ROOT = Path(__file__).resolve().parents[2]
FILTER = ROOT / "book" / "meeting-videos.lua"

CHAPTERS = {
    "01-relu-piecewise": "Linear models and ReLU",
    "02-scalar-autodiff": "Scalar autodiff",
}


def config() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))


def make_book(root: Path) -> Path:
    """A small book: two chapters and a cohort file with no meetings yet."""
    (root / "chapters").mkdir()
    for stem, title in CHAPTERS.items():
        (root / "chapters" / f"{stem}.qmd").write_text(
            f"---\ntitle: {title}\n---\n\n## Meeting videos\n", encoding="utf-8"
        )
    (root / "videos").mkdir()
    write_cohort(root, [])
    return root


def write_cohort(root: Path, meetings: list[dict]) -> None:
    text = yaml.safe_dump({"cohort": 1, "meetings": meetings})
    (root / "videos" / "cohort-01.yml").write_text(text, encoding="utf-8")


def test_the_build_runs_the_step_and_the_filter():
    project = config()["project"]
    scripts = project["pre-render"]
    scripts = [scripts] if isinstance(scripts, str) else scripts
    assert "book/meeting_videos.py" in scripts, f"project: pre-render: {scripts}"
    filters = config().get("filters", [])
    assert "book/meeting-videos.lua" in filters, f"filters: {filters}"
    assert FILTER.exists()


def test_the_step_and_the_filter_agree_on_the_folder_and_it_is_not_committed():
    assert f'"{script.OUT_DIR}"' in FILTER.read_text(encoding="utf-8")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"{script.OUT_DIR}/02-scalar-autodiff.md"], cwd=ROOT
    )
    assert ignored.returncode == 0, f"{script.OUT_DIR}/ is generated: add it to .gitignore"


def test_the_step_writes_what_the_pages_print(tmp_path):
    book = make_book(tmp_path)
    write_cohort(
        book, [{"chapter": "02-scalar-autodiff", "date": "2025-01-14", "video": "abcDEF12345"}]
    )
    written = script.write_meeting_videos(book)
    out = book / script.OUT_DIR
    assert sorted(p.name for p in written) == sorted([*(f"{s}.md" for s in CHAPTERS), "videos.md"])
    for stem in CHAPTERS:
        expected = meeting_videos(stem, videos_dir=book / "videos")
        assert (out / f"{stem}.md").read_text(encoding="utf-8") == expected
    assert (out / "videos.md").read_text(encoding="utf-8") == videos_page(book / "videos")


def test_a_new_meeting_reaches_chapter_and_videos_page_without_touching_the_chapter(tmp_path):
    book = make_book(tmp_path)
    chapter = book / "chapters" / "02-scalar-autodiff.qmd"
    source_before = chapter.read_bytes()
    script.write_meeting_videos(book)
    out = book / script.OUT_DIR
    assert (out / "02-scalar-autodiff.md").read_text(encoding="utf-8") == NO_RECORDING + "\n"
    assert "abcDEF12345" not in (out / "videos.md").read_text(encoding="utf-8")

    write_cohort(
        book, [{"chapter": "02-scalar-autodiff", "date": "2025-01-14", "video": "abcDEF12345"}]
    )
    script.write_meeting_videos(book)
    section = (out / "02-scalar-autodiff.md").read_text(encoding="utf-8")
    listing = (out / "videos.md").read_text(encoding="utf-8")
    assert "youtube.com/embed/abcDEF12345" in section and NO_RECORDING not in section
    assert "(chapters/02-scalar-autodiff.qmd#meeting-videos)" in listing
    assert "abcDEF12345" in listing
    assert (out / "01-relu-piecewise.md").read_text(encoding="utf-8") == NO_RECORDING + "\n"
    assert chapter.read_bytes() == source_before, "the chapter's source (freeze's hash) changed"


def test_a_removed_chapter_leaves_no_section_behind(tmp_path):
    book = make_book(tmp_path)
    script.write_meeting_videos(book)
    (book / "chapters" / "01-relu-piecewise.qmd").unlink()
    script.write_meeting_videos(book)
    assert not (book / script.OUT_DIR / "01-relu-piecewise.md").exists()


def test_a_broken_cohort_file_stops_the_build(tmp_path, monkeypatch, capsys):
    book = make_book(tmp_path)
    (book / "videos" / "cohort-01.yml").write_text("cohort: 1\nmeetings: [{chapter: nope}]\n")
    monkeypatch.setattr(script, "ROOT", book)
    assert script.main() == 1
    err = capsys.readouterr().err
    assert "cohort-01.yml" in err and "python3 book/videos.py check" in err


# --- the Lua filter, run by pandoc itself (Quarto runs it the same way, after its reader) ------

PANDOC = shutil.which("pandoc")


def run_filter(project: Path, page: str, text: str) -> str:
    (project / page).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [PANDOC, "--lua-filter", str(FILTER), "--to", "markdown", page],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed (apt-get install pandoc)")
def test_the_filter_replaces_a_frozen_section_with_the_fresh_one(tmp_path):
    out = tmp_path / script.OUT_DIR
    out.mkdir()
    (out / "02-x.md").write_text("### Cohort 1 {.unnumbered}\n\nFRESH meeting\n")
    frozen = (
        "## Before\n\nText.\n\n## Meeting videos\n\nSTALE: no recording yet.\n\n"
        "### Cohort 9\n\nSTALE too.\n\n# Next part\n\nAfter.\n"
    )
    html = run_filter(tmp_path, "02-x.qmd", frozen)
    assert "FRESH meeting" in html and "STALE" not in html
    assert "Text." in html and "After." in html


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed (apt-get install pandoc)")
def test_the_filter_fills_the_videos_page_and_keeps_output_without_the_folder(tmp_path):
    page = "Intro.\n\n::: {#cohort-recordings}\nSTALE listing\n:::\n\n## External\n\nKept.\n"
    assert "STALE listing" in run_filter(tmp_path, "videos.qmd", page)
    (tmp_path / script.OUT_DIR).mkdir()
    (tmp_path / script.OUT_DIR / "videos.md").write_text("## Cohort 1\n\nFRESH listing\n")
    html = run_filter(tmp_path, "videos.qmd", page)
    assert "FRESH listing" in html and "STALE" not in html and "Kept." in html


def test_every_chapter_has_the_section_the_videos_page_links_to():
    from tests.book.test_reference import page_ids

    chapters = sorted((ROOT / "chapters").glob("[0-9]*.qmd"))
    assert chapters
    missing = [
        p.name for p in chapters if SECTION_ID not in page_ids(p.read_text(encoding="utf-8"))
    ]
    assert not missing, f"no #{SECTION_ID} section (the Videos page links there): {missing}"


# `import videos`, `from videos import ...`, `from pybackprop.videos import ...`, or a call.
CALLS_THE_TOOL = re.compile(
    r"^\s*(from|import)\s+[\w.]*videos\b|\b(meeting_videos|videos_page)\(", re.MULTILINE
)


def test_no_page_runs_code_for_its_videos():
    """The step and the filter are the only way: no page imports the videos tool, the Videos
    page has no cell, and its placeholder div is the one the filter fills."""
    pages = [ROOT / "videos.qmd", ROOT / "index.qmd", *sorted((ROOT / "chapters").glob("*.qmd"))]
    calling = [
        p.relative_to(ROOT).as_posix()
        for p in pages
        if CALLS_THE_TOOL.search(p.read_text(encoding="utf-8"))
    ]
    assert not calling, f"pages that compute their videos (the filter puts them in): {calling}"
    videos_qmd = (ROOT / "videos.qmd").read_text(encoding="utf-8")
    assert "```{python}" not in videos_qmd
    assert "::: {#cohort-recordings}" in videos_qmd
