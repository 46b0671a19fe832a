"""Print a release's section of CHANGELOG.md: the text of its GitHub release.

`python book/release_notes.py v0.2.0` prints what is under `## [0.2.0] - YYYY-MM-DD` (up to
the next `## ` heading, without the link definitions at the end of the file). The release
workflow (`.github/workflows/release.yml`) runs it on the pushed tag before it builds anything,
so a tag that is not `v` + `pybackprop.__version__`, or whose version has no dated section in
the changelog, fails before anything is published.

Only the standard library is used: the workflow runs it before installing anything.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# `## [0.1.0] - 2026-12-02`, or `## [Unreleased]` (no date).
_SECTION = re.compile(r"^## \[(?P<version>[^\]]+)\](?:\s+-\s+(?P<date>\S+))?\s*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A Markdown link reference definition, `[0.1.0]: https://...`, as Keep a Changelog ends with.
_LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:\s+\S+")
_TAG = re.compile(r"^v(?P<version>\d+(?:\.\d+)*\S*)$")


class ReleaseNotesError(ValueError):
    """A tag, version or changelog from which no release notes can be made."""


def package_version(init_py: Path) -> str:
    """The string assigned to `__version__` in `init_py`, read without importing the package."""
    tree = ast.parse(init_py.read_text(encoding="utf-8"), filename=str(init_py))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ReleaseNotesError(f'{init_py} has no line `__version__ = "X.Y.Z"`')


def changelog_section(text: str, version: str) -> str:
    """The body of the section `## [version] - YYYY-MM-DD` of a Keep a Changelog `text`.

    Raises ReleaseNotesError when the section is missing, has no date (still unreleased) or is
    empty.
    """
    lines = text.splitlines()
    headings = [(i, _SECTION.match(line)) for i, line in enumerate(lines)]
    headings = [(i, m) for i, m in headings if m]
    found = [(i, m) for i, m in headings if m["version"] == version]
    if not found:
        have = ", ".join(m["version"] for _, m in headings) or "none"
        raise ReleaseNotesError(
            f"the changelog has no section '## [{version}] - YYYY-MM-DD' (its sections: {have})"
        )
    start, match = found[0]
    if not (match["date"] and _DATE.match(match["date"])):
        raise ReleaseNotesError(
            f"the changelog's section [{version}] has no release date: "
            f"write its heading as '## [{version}] - YYYY-MM-DD'"
        )
    end = start + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    body = lines[start + 1 : end]
    while body and (not body[-1].strip() or _LINK_DEFINITION.match(body[-1])):
        body.pop()
    notes = "\n".join(body).strip("\n")
    if not notes.strip():
        raise ReleaseNotesError(f"the changelog's section [{version}] is empty")
    return notes + "\n"


def release_notes(tag: str, root: Path = ROOT) -> str:
    """The release notes for the git tag `tag` (`v` + the version) of the project at `root`."""
    match = _TAG.match(tag)
    if not match:
        raise ReleaseNotesError(f"a release tag is 'v' and a version, e.g. v0.2.0; got {tag!r}")
    version = match["version"]
    written = package_version(root / "pybackprop" / "__init__.py")
    if version != written:
        raise ReleaseNotesError(
            f"tag {tag} is not pybackprop's version: pybackprop/__init__.py says "
            f'__version__ = "{written}"; set it to "{version}" or tag v{written}'
        )
    changelog = root / "CHANGELOG.md"
    try:
        text = changelog.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReleaseNotesError(f"{changelog} does not exist") from None
    return changelog_section(text, version)


def main(argv: list[str] | None = None) -> int:
    """`python book/release_notes.py TAG`: print TAG's changelog section, or say why not."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python book/release_notes.py vX.Y.Z", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(release_notes(argv[0]))
    except ReleaseNotesError as err:
        print(f"release_notes: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
