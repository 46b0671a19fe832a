"""Write the book's meeting-videos markdown into `_meeting-videos/`, from `videos/*.yml`.

Quarto's `pre-render` step runs this before every render, and `book/meeting-videos.lua` puts
the files into the pages: `<chapter>.md` becomes the chapter's "Meeting videos" section and
`videos.md` the cohort listing of the Videos page. This is the one way videos reach a page: the
chapters hold only the heading, so nothing of them is executed or frozen for it, and the next
build after a change in `videos/` shows the change everywhere without running any chapter.

A problem in a cohort file stops the render with the checker's message (exit status 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

from videos import VideoConfigError, meeting_videos, videos_page

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = "_meeting-videos"


def write_meeting_videos(root: Path, out_dir: Path | None = None) -> list[Path]:
    """Write `<chapter>.md` for every chapter and `videos.md`; return the files written."""
    videos_dir = root / "videos"
    out = out_dir if out_dir is not None else root / OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    stems = sorted(p.stem for p in (root / "chapters").glob("*.qmd") if not p.name.startswith("_"))
    pages = {stem: meeting_videos(stem, videos_dir=videos_dir) for stem in stems}
    pages["videos"] = videos_page(videos_dir=videos_dir)
    written = []
    for name, markdown in pages.items():
        path = out / f"{name}.md"
        path.write_text(markdown, encoding="utf-8")
        written.append(path)
    # A chapter that was renamed or removed leaves no stale section behind.
    for old in out.glob("*.md"):
        if old.stem not in pages:
            old.unlink()
    return written


def main() -> int:
    try:
        written = write_meeting_videos(ROOT)
    except VideoConfigError as err:
        print(f"book/meeting_videos.py: {err}", file=sys.stderr)
        return 1
    print(f"meeting videos: wrote {len(written)} files to {OUT_DIR}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
