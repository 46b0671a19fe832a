"""Meeting videos: each cohort's YouTube recordings and chat logs, shown in the book.

Organisers describe a cohort in one YAML file in ``videos/`` (see ``videos/README.md`` and
``videos/_template.yml``). This tool of the book (not part of the ``pybackprop`` package) reads
and checks those files and writes the markdown that the book shows:

- ``load_cohorts(videos_dir)`` -> list of ``Cohort``, or ``VideoConfigError`` listing every
  problem;
- ``meeting_videos(chapter, videos_dir)`` -> the "Meeting videos" section of one chapter;
- ``videos_page(videos_dir)`` -> the cohort listing of the book's "Videos" page;
- ``python3 book/videos.py check [VIDEOS_DIR | FILE]`` (``main``), from the repository's root
  -> every problem at once, exit status 1 if any.

Cohort files and chat logs are untrusted input, published on the site: each is read only if it
is a regular file directly in the videos folder, of at most ``MAX_FILE_BYTES``, as YAML with no
anchors or aliases, nesting and numbers bounded, and every message quotes a short excerpt.

``book/meeting_videos.py``, a pre-render step of the site, writes the sections with it before
every render. It needs PyYAML and nothing else outside the standard library.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import functools
import html
import os
import re
import reprlib
import stat
import sys
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "Cohort",
    "Meeting",
    "VideoConfigError",
    "load_cohorts",
    "main",
    "meeting_videos",
    "parse_start",
    "parse_video",
    "videos_page",
]

VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
COHORT_FIELDS = ("cohort", "name", "facilitators", "meetings")
MEETING_FIELDS = ("chapter", "date", "video", "start", "title", "chat_log", "chat_log_file")
REQUIRED_MEETING_FIELDS = ("chapter", "date", "video")

# The id Pandoc gives each chapter's "## Meeting videos" heading: the Videos page links there.
SECTION_ID = "meeting-videos"

# What organisers run, from the repository's root; every error message names it.
CHECK_COMMAND = "python3 book/videos.py check"

NO_RECORDING = "No recording of this chapter yet. See [Videos](../videos.qmd) to add one."

# Chapter files renamed since cohorts began filing meetings, old name -> new name(s). A meeting
# filed under an old name is refused with the new name(s), not a guess: chapter 9 was split in
# two, and the chapters after it were renumbered.
MOVED_CHAPTERS = {
    "09-minibatch-training": ("09-softmax-cross-entropy", "10-minibatch-training"),
    "10-init-normalisation": ("11-init-normalisation",),
    "11-optimisers": ("12-optimisers",),
}

_VIDEO_EXPECTED = (
    "expected a YouTube video id (11 characters: letters, digits, - and _) or a YouTube link "
    "(youtube.com/watch?v=ID, youtu.be/ID, youtube.com/embed/ID, youtube.com/shorts/ID, "
    "youtube-nocookie.com/embed/ID), optionally with a start time such as ?t=90 or ?t=1m30s"
)
_START_EXPECTED = "expected seconds (90) or a time such as 1m30s, 1h2m3s, 01:30 or 1:02:03"
_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d\d)")
_UNITS = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# A name that looks like a cohort file's but that the folder check would not read: another
# case of .yml (cohort-02.YML), .yml.txt (Windows Notepad), or no extension (cohort-02).
_UNREAD_COHORT = re.compile(r"cohort[-_ ]?\d+|.*\.ya?ml(?:\.txt)?", re.IGNORECASE)

# Limits on what a cohort file (or a chat log) may hold, far above any real one: a file of
# 448 bytes or of a few megabytes must not take the check's time and memory (issue 24).
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 10  # a cohort file nests 4 levels: the file, meetings, one meeting, its fields
MAX_NUMBER_LENGTH = 50  # characters of one number; Python refuses to convert 4300 digits
MAX_PROBLEMS_PER_FILE = 30

# Messages quote values through this: an excerpt of about 60 characters, never a whole file.
_EXCERPT = reprlib.Repr()
_EXCERPT.maxlevel, _EXCERPT.maxstring, _EXCERPT.maxother, _EXCERPT.maxlong = 2, 60, 60, 40
_EXCERPT.maxlist = _EXCERPT.maxtuple = _EXCERPT.maxdict = _EXCERPT.maxset = 4


def _short(value: object) -> str:
    """`repr(value)`, cut to an excerpt of about 60 characters."""
    if isinstance(value, int) and value.bit_length() > 200:  # repr refuses 4300 digits
        return f"<a number of about {int(value.bit_length() * 0.30103)} digits>"
    return _EXCERPT.repr(value)


def _clip(text: str, limit: int = 80) -> str:
    """`text` cut to `limit` characters, marked with "..." where it was cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class VideoConfigError(ValueError):
    """The videos folder has problems; ``.problems`` lists each one as a full sentence.

    A ``ValueError`` whose message counts the problems, lists them one per line and ends with
    the command that checks the folder again. Each problem names the file, the meeting and the
    field, says what was found and what was expected.

    Parameters
    ----------
    problems : list[str]
        One full sentence per problem.

    Examples
    --------
    >>> from videos import VideoConfigError
    >>> err = VideoConfigError(["videos/cohort-02.yml: field 'cohort': missing"])
    >>> print(err)
    1 problem in the meeting videos files:
    - videos/cohort-02.yml: field 'cohort': missing
    After fixing, check again with: python3 book/videos.py check
    >>> err.problems
    ["videos/cohort-02.yml: field 'cohort': missing"]
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = f"{len(self.problems)} problem" + ("s" if len(self.problems) != 1 else "")
        super().__init__(
            f"{count} in the meeting videos files:\n"
            + "".join(f"- {p}\n" for p in self.problems)
            + f"After fixing, check again with: {CHECK_COMMAND}"
        )


@dataclass(frozen=True)
class Meeting:
    """One recorded meeting: the chapter it covered and its YouTube video.

    ``load_cohorts`` makes these from the cohort files, checked; one made by hand is not
    checked.

    Parameters
    ----------
    chapter : str
        The chapter's file name without ``.qmd``, such as ``"02-scalar-autodiff"``.
    date : datetime.date
        The day of the meeting.
    video_id : str
        The 11-character YouTube video id.
    start : int | None
        Seconds into the video where the meeting starts (None: at the beginning).
    title : str | None
        What the meeting was about, shown after its date.
    chat_log : str | None
        The meeting's chat, shown collapsed under the video.

    Examples
    --------
    >>> import datetime as dt
    >>> from videos import Meeting
    >>> meeting = Meeting("02-scalar-autodiff", dt.date(2025, 1, 14), "abcDEF12345", start=90)
    >>> print(meeting.watch_url)
    https://youtu.be/abcDEF12345?t=90
    >>> print(meeting.embed_url)
    https://www.youtube.com/embed/abcDEF12345
    """

    chapter: str
    date: dt.date
    video_id: str
    start: int | None = None
    title: str | None = None
    chat_log: str | None = None

    @property
    def embed_url(self) -> str:
        """The URL of the embeddable player (the start time is passed to it separately).

        Returns
        -------
        str
            ``https://www.youtube.com/embed/<video_id>``.
        """
        return f"https://www.youtube.com/embed/{self.video_id}"

    @property
    def watch_url(self) -> str:
        """The short YouTube link, starting at ``start`` if it is given.

        Returns
        -------
        str
            ``https://youtu.be/<video_id>``, with ``?t=<start>`` if the meeting has a start.
        """
        start = f"?t={self.start}" if self.start else ""
        return f"https://youtu.be/{self.video_id}{start}"


@dataclass(frozen=True)
class Cohort:
    """One cohort's file: its number, name, facilitators and meetings (sorted by date).

    ``load_cohorts`` makes these from the cohort files, checked; one made by hand is not
    checked.

    Parameters
    ----------
    number : int
        The cohort's number, >= 1: the chapters show "Cohort 2".
    name : str
        The cohort's name on the Videos page (default in the file: "Cohort N").
    facilitators : tuple[str, ...]
        Who runs the meetings.
    meetings : tuple[Meeting, ...]
        The recorded meetings, sorted by date, then chapter.
    source : Path
        The YAML file the cohort was read from.

    Examples
    --------
    >>> import datetime as dt
    >>> from pathlib import Path
    >>> from videos import Cohort, Meeting
    >>> meeting = Meeting("02-scalar-autodiff", dt.date(2025, 1, 14), "abcDEF12345")
    >>> cohort = Cohort(1, "Cohort 1", ("Ada Lovelace",), (meeting,), Path("cohort-01.yml"))
    >>> print(cohort.number, cohort.facilitators, [m.chapter for m in cohort.meetings])
    1 ('Ada Lovelace',) ['02-scalar-autodiff']
    """

    number: int
    name: str
    facilitators: tuple[str, ...]
    meetings: tuple[Meeting, ...]
    source: Path


# ---------------------------------------------------------------------------------------------
# Parsing single values


def parse_start(value: int | str) -> int:
    """Seconds from ``90``, ``"90"``, ``"1m30s"``, ``"1h2m3s"``, ``"01:30"`` or ``"1:02:03"``.

    Parameters
    ----------
    value : int | str
        A whole number of seconds (>= 0), or text: seconds with or without ``s``, hours,
        minutes and seconds as ``1h2m3s`` (each part optional), or a clock time ``MM:SS`` or
        ``H:MM:SS``.

    Returns
    -------
    int
        The start time in seconds.

    Raises
    ------
    ValueError
        If ``value`` is negative, neither an int nor text (a bool or a float included), or
        text in none of the forms above (such as ``"1:75"``).

    Examples
    --------
    >>> from videos import parse_start
    >>> parse_start(90), parse_start("1m30s"), parse_start("01:30"), parse_start("1:02:03")
    (90, 90, 90, 3723)
    >>> parse_start("1:75")
    Traceback (most recent call last):
        ...
    ValueError: '1:75' is not a start time: expected seconds (90) or a time such as 1m30s, ...
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{_short(value)} is not a start time: {_START_EXPECTED}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"start time {value} is negative: {_START_EXPECTED}")
        return value
    text = value.strip()
    clock = _CLOCK.fullmatch(text)
    if clock:
        hours, minutes, seconds = (int(g) if g else 0 for g in clock.groups())
        if seconds < 60 and (clock.group(1) is None or minutes < 60):
            return 3600 * hours + 60 * minutes + seconds
    units = _UNITS.fullmatch(text)
    if text and units:
        hours, minutes, seconds = (int(g) if g else 0 for g in units.groups())
        return 3600 * hours + 60 * minutes + seconds
    raise ValueError(f"{_short(value)} is not a start time: {_START_EXPECTED}")


def parse_video(value: str) -> tuple[str, int | None]:
    """The 11-character YouTube id and the start time in seconds (None if not given).

    Accepts a bare id or any usual YouTube link: ``watch?v=``, ``youtu.be/``, ``embed/``,
    ``shorts/``, ``live/``, the ``youtube-nocookie.com`` embed, with or without ``https://``
    and ``www.``, and a start time in ``t=`` or ``start=`` (query or ``#t=`` fragment)
    written as 90, 90s or 1m30s.

    Parameters
    ----------
    value : str
        A YouTube video id or link.

    Returns
    -------
    video_id : str
        The 11-character id.
    start : int | None
        The start time in seconds, or None if the link gives none.

    Raises
    ------
    ValueError
        If ``value`` is not text, not a YouTube link, holds an id that is not 11 characters
        of letters, digits, ``-`` and ``_``, or has a start time that ``parse_start`` rejects.

    Examples
    --------
    >>> from videos import parse_video
    >>> parse_video("https://www.youtube.com/watch?v=abcDEF12345&t=1m30s")
    ('abcDEF12345', 90)
    >>> parse_video("youtu.be/abcDEF12345")
    ('abcDEF12345', None)
    >>> parse_video("https://youtu.be/abcDEF")
    Traceback (most recent call last):
        ...
    ValueError: 'https://youtu.be/abcDEF' is not a YouTube video: the id in the link, 'abcDEF',
    has 6 characters; a YouTube id has 11 (letters, digits, - and _)
    """
    if not isinstance(value, str):
        raise ValueError(f"{_short(value)} is not a YouTube video: {_VIDEO_EXPECTED}")
    text = value.strip()
    if VIDEO_ID.fullmatch(text):
        return _not_placeholder(text, value), None
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError as err:
        raise ValueError(f"{_short(value)} is not a YouTube video: {_VIDEO_EXPECTED}") from err
    if parts.scheme not in ("http", "https") or " " in text:
        raise ValueError(f"{_short(value)} is not a YouTube video: {_VIDEO_EXPECTED}")
    query = parse_qs(parts.query)
    path = [segment for segment in parts.path.split("/") if segment]
    candidate = None
    if host == "youtu.be" and len(path) == 1:
        candidate = path[0]
    elif host in ("youtube.com", "m.youtube.com", "music.youtube.com"):
        if path == ["watch"]:
            candidate = query.get("v", [None])[0]
        elif len(path) == 2 and path[0] in ("embed", "shorts", "live", "v"):
            candidate = path[1]
    elif host == "youtube-nocookie.com" and len(path) == 2 and path[0] == "embed":
        candidate = path[1]
    if candidate is None:
        raise ValueError(f"{_short(value)} is not a YouTube video: {_VIDEO_EXPECTED}")
    if not VIDEO_ID.fullmatch(candidate):
        raise ValueError(
            f"{_short(value)} is not a YouTube video: the id in the link, {_short(candidate)}, has "
            f"{len(candidate)} characters; a YouTube id has 11 (letters, digits, - and _)"
        )
    _not_placeholder(candidate, value)
    fragment = parse_qs(parts.fragment)
    times = query.get("t") or query.get("start") or fragment.get("t") or fragment.get("start")
    if not times:
        return candidate, None
    try:
        return candidate, parse_start(times[0])
    except ValueError as err:
        raise ValueError(
            f"{_short(value)} is not a YouTube video link with a valid start time: {err}"
        ) from None


def _not_placeholder(video_id: str, value: str) -> str:
    """`video_id`, unless it is a placeholder such as the docs' example XXXXXXXXXXX."""
    if set(video_id) <= {"x", "X"}:
        raise ValueError(
            f"{_short(value)} is the example's placeholder, not a video: replace it with the "
            "meeting's real link (YouTube's Share button, or the address bar)"
        )
    return video_id


def _parse_date(value: object) -> dt.date:
    # The loader keeps YAML timestamps as text, so quoted and unquoted dates both arrive here
    # and a date that does not exist (2025-02-30) is reported on its meeting, not as a crash.
    if isinstance(value, dt.datetime) or not isinstance(value, str | dt.date):
        raise ValueError(f"{_short(value)} is not a date: expected YYYY-MM-DD, such as 2025-01-14")
    if isinstance(value, dt.date):
        return value
    if not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError(f"{_short(value)} is not a date: expected YYYY-MM-DD, such as 2025-01-14")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as err:
        raise ValueError(f"{_short(value)} is not a date that exists ({err})") from None


# ---------------------------------------------------------------------------------------------
# Loading and checking the folder


def _import_yaml():
    try:
        import yaml
    except ImportError as err:
        raise ImportError(
            "book/videos.py needs PyYAML to read the cohort files: run make videos-check "
            "from the repository's root (it installs PyYAML in the project's .venv), or install "
            "it for python3 (Debian/Ubuntu: sudo apt install python3-yaml; in a virtual "
            f"environment: pip install pyyaml), then run {CHECK_COMMAND} again"
        ) from err
    return yaml


@functools.cache
def _strict_loader():
    """A SafeLoader for cohort files: no repeated key, no anchor or alias, at most MAX_DEPTH
    levels, no number over MAX_NUMBER_LENGTH characters; dates left as text for `_parse_date`.

    Its refusals are ConstructorErrors, whose messages need no indentation hint.
    """
    yaml = _import_yaml()
    refuse = yaml.constructor.ConstructorError

    class StrictLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            # Refused before anything is built: 448 bytes of nested aliases expand to
            # gigabytes ("billion laughs"), and a list nested 100,000 deep overflows the stack.
            event = self.peek_event()
            if event.anchor is not None:
                sign = "*" if isinstance(event, yaml.AliasEvent) else "&"
                raise refuse(
                    None,
                    None,
                    f"{sign}{_clip(event.anchor, 40)}: anchors (&name) and aliases (*name) "
                    "are not allowed in a cohort file; write each value out in full",
                    event.start_mark,
                )
            if self.depth == MAX_DEPTH:
                raise refuse(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep; a cohort file needs 4 (the "
                    "file, its meetings, one meeting, its fields)",
                    event.start_mark,
                )
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

        def construct_yaml_int(self, node):
            if len(node.value) > MAX_NUMBER_LENGTH:
                raise refuse(
                    None,
                    None,
                    f"a number of {len(node.value)} characters: a cohort file's numbers "
                    f"have at most {MAX_NUMBER_LENGTH}; put text in quotes",
                    node.start_mark,
                )
            text = node.value.lower()  # YAML 1.2: 0x1f, 0o17, and decimal even with a leading 0
            if text.startswith(("0x", "0o")):
                return int(text[2:], 16 if text[1] == "x" else 8)
            return int(text)

        def construct_object(self, node, deep=False):
            try:
                return super().construct_object(node, deep=deep)
            except (ArithmeticError, LookupError, TypeError, ValueError) as err:
                # PyYAML's own slips on odd scalars, such as an empty `!!int` (IndexError).
                raise refuse(
                    None,
                    None,
                    f"cannot read the value {_short(node.value)} as {_clip(node.tag, 40)} "
                    f"({_clip(str(err), 60)}); put text in quotes",
                    node.start_mark,
                ) from None

        def construct_mapping(self, node, deep=False):
            seen: dict[object, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, Hashable) and key in seen:
                    raise refuse(
                        None,
                        None,
                        f"field {_short(key)} is given twice (first on line {seen[key] + 1})",
                        key_node.start_mark,
                    )
                if isinstance(key, Hashable):
                    seen[key] = key_node.start_mark.line
            return super().construct_mapping(node, deep=deep)

    StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)
    StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
    # YAML 1.2's integers (PyYAML keeps 1.1's): digits are decimal, so `cohort: 010` is 10, not
    # 8, `cohort: 08` a number, `start: 0100` 100 s; 1.1's 010 octal, binary, `1_000` and `1:30`
    # forms stay text.
    StrictLoader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"),
    )
    return StrictLoader


def _chapters_beside(folder: Path) -> Path:
    """The `chapters` folder beside `folder` (`videos` -> `chapters`, `.` -> `../chapters`)."""
    return Path(os.path.normpath(folder / ".." / "chapters"))


def _chapter_stems(chapters_dir: Path) -> list[str]:
    return sorted(p.stem for p in chapters_dir.glob("*.qmd") if not p.name.startswith("_"))


def _suggest(word: object, choices: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _moved_chapter(old: str) -> str:
    """Where the meetings of chapter file ``old`` (renamed or split) go now."""
    new = MOVED_CHAPTERS[old]
    if len(new) == 1:
        return f"chapter {old!r} is now {new[0]!r} (the chapter was renumbered): write {new[0]}"
    names = " and ".join(repr(n) for n in new)
    return (
        f"chapter {old!r} was split into {names}: write the one the meeting covered, "
        "or give the meeting one entry for each (with a start for each, if you like)"
    )


def _describe(value: object) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing",
    }
    return f"{names.get(type(value), type(value).__name__)} ({_short(value)})"


CHAT_LOG_RULE = (
    "a chat log file must be a .txt file directly in the videos folder, beside the cohort "
    "file, given by its name alone (such as 2025-01-14-chat.txt): no absolute path, no "
    "'..', no folder, no symbolic link"
)


def _chat_log_name_problem(name: object) -> str | None:
    """What is wrong with `chat_log_file: name` as a name (None if nothing is)."""
    if not isinstance(name, str) or not name.endswith(".txt"):
        return f"{_short(name)} is not a .txt file name"
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or PureWindowsPath(name).drive:
        return f"{_short(name)} is an absolute path"
    if ".." in parts:
        return f"{_short(name)} goes up out of the videos folder with '..'"
    if len(parts) > 1:
        return f"{_short(name)} has a folder part ({_short(parts[0] + '/')})"
    return None


def _read_text(path: Path, what: str) -> str:
    """The UTF-8 text of `path`, a regular file of at most MAX_FILE_BYTES, never a link.

    Raises ValueError saying what `path` is instead (the message does not name it).
    """
    rule = f"{what} must be a regular file in {path.parent}"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise ValueError(f"not found (looked for {path})") from None
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot be read ({_clip(str(err))})") from None
    if stat.S_ISLNK(info.st_mode):
        raise ValueError(f"is a symbolic link: {rule}, not a link (copy the file there)")
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"is a folder, not a file: {rule}")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"is not a regular file (a pipe, socket or device): {rule}")
    try:
        # O_NOFOLLOW: a link put in its place since lstat is refused too.
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        with os.fdopen(os.open(path, flags), "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise ValueError(f"is not a regular file: {rule}")
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ValueError(f"cannot be read ({err.strerror or err})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"is over {MAX_FILE_BYTES // 1024} KB ({max(info.st_size, len(data)) // 1024} KB): "
            f"{what} may hold at most {MAX_FILE_BYTES // 1024} KB"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ValueError(
            f"is not UTF-8 text ({err.reason}: byte {_short(data[err.start : err.start + 1])} "
            f"on line {line}); save it as UTF-8"
        ) from None


_INDENT_HINT = (
    "; check the indentation and the space after each ':' and '-' on this line and the one above"
)
_UNQUOTED_COLON = re.compile(r"\s*(?:-\s+)?([A-Za-z_][\w-]*):[ \t]+([^\s\"'#].*?)\s*")
_EMPTY_LIST = re.compile(r"\s*(?:-\s+)?([A-Za-z_][\w-]*):\s*\[\s*\]\s*(?:#.*)?")


def _yaml_problem(err, text: str) -> str:
    """A YAML error as one line: where, what, and the likely fix."""
    mark = err.problem_mark or err.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    context = f" ({err.context})" if err.context else ""
    message = f"{where}YAML error: {_clip(str(err.problem), 200)}{context}"
    if isinstance(err, _import_yaml().constructor.ConstructorError) or mark is None:
        return message
    lines = re.split(r"\r\n|[\n\r\x85\u2028\u2029]", text)
    line = lines[mark.line] if mark.line < len(lines) else ""
    colon = _UNQUOTED_COLON.fullmatch(line)
    if err.problem == "mapping values are not allowed here" and colon:
        field, value = colon.group(1), _clip(colon.group(2), 60)
        quoted = '"' + value + '"' if '"' not in value else "'" + value.replace("'", "''") + "'"
        return (
            f"{where}YAML error: the {field} holds ': ', which YAML reads as the start of a "
            f"field: put the {field} in quotes, as in {field}: {quoted}"
        )
    if line.lstrip().startswith("-"):
        above = [i for i in range(mark.line) if lines[i].strip() and not _is_comment(lines[i])]
        empty = _EMPTY_LIST.fullmatch(lines[above[-1]]) if above else None
        if empty:
            field = empty.group(1)
            return (
                f"{where}YAML error: line {above[-1] + 1} says '{field}: []' (an empty list), "
                f"yet entries follow it: write '{field}:' alone on that line, without '[]'"
            )
    return message + _INDENT_HINT


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


class _FileCheck:
    """Collects the problems of one cohort file, each naming the file, meeting and field."""

    def __init__(self, path: Path, chapters: list[str], chapters_dir: Path):
        self.path, self.chapters, self.chapters_dir = path, chapters, chapters_dir
        self.problems: list[str] = []
        self.count = 0  # problems found; only the first MAX_PROBLEMS_PER_FILE are kept
        self.number: int | None = None  # kept even when the file has problems

    def add(self, message: str, field: str | None = None, meeting: str | None = None) -> None:
        self.count += 1
        if self.count <= MAX_PROBLEMS_PER_FILE:
            where = [str(self.path)] + ([meeting] if meeting else [])
            where += [f"field {_short(field)}"] if field else []
            self.problems.append(": ".join(where) + ": " + message)

    def reported(self) -> list[str]:
        """The problems kept, and a line counting the others."""
        more = self.count - len(self.problems)
        return self.problems + (
            [f"{self.path}: {more} more problems not listed; fix the ones above first"]
            if more
            else []
        )

    def unknown_fields(self, data: dict, known: tuple[str, ...], meeting: str | None) -> None:
        for key in data:
            if key not in known:
                self.add(
                    f"unknown field{_suggest(key, known)} (known fields: {', '.join(known)})",
                    field=str(key),
                    meeting=meeting,
                )

    def run(self) -> Cohort | None:
        """Read, parse and check the file: its Cohort, or None if it has a problem."""
        yaml = _import_yaml()
        try:
            text = _read_text(self.path, "a cohort file")
            data = yaml.load(text, Loader=_strict_loader())
        except ValueError as err:
            self.add(str(err))
        except yaml.MarkedYAMLError as err:
            self.add(_yaml_problem(err, text))
        except yaml.reader.ReaderError as err:
            line = text.count("\n", 0, err.position) + 1
            character = chr(err.character) if isinstance(err.character, int) else err.character
            self.add(
                f"line {line}: the character {_short(character)} is not allowed in a YAML "
                "file; remove it"
            )
        else:
            return self.cohort(data)
        return None

    def cohort(self, data: object) -> Cohort | None:
        if not isinstance(data, dict):
            self.add(
                f"expected a mapping with the fields {', '.join(COHORT_FIELDS)}; "
                f"found {_describe(data)}"
            )
            return None
        self.unknown_fields(data, COHORT_FIELDS, None)
        number = data.get("cohort")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            what = "missing" if "cohort" not in data else f"is {_describe(number)}"
            self.add(f"{what}: expected the cohort's number, a whole number >= 1", "cohort")
            number = None
        self.number = number
        name = data.get("name", f"Cohort {number}")
        if not isinstance(name, str) or not name.strip():
            self.add(f"is {_describe(name)}: expected the cohort's name as text", "name")
        # An empty `facilitators:` or `meetings:` (YAML null) means none yet.
        facilitators = data.get("facilitators")
        facilitators = [] if facilitators is None else facilitators
        if not isinstance(facilitators, list) or not all(isinstance(f, str) for f in facilitators):
            self.add(
                f"is {_describe(facilitators)}: expected a list of names, "
                "one per line starting with '- '",
                "facilitators",
            )
            facilitators = []
        raw_meetings = data.get("meetings")
        raw_meetings = [] if raw_meetings is None else raw_meetings
        if not isinstance(raw_meetings, list):
            self.add(
                f"is {_describe(raw_meetings)}: expected a list of meetings, "
                "each starting with '- chapter:'",
                "meetings",
            )
            raw_meetings = []
        meetings = [self.meeting(i, raw) for i, raw in enumerate(raw_meetings, start=1)]
        self.duplicates(meetings)
        if self.count:
            return None
        return Cohort(
            number=number,
            name=name.strip(),
            facilitators=tuple(facilitators),
            meetings=tuple(sorted(meetings, key=lambda m: (m.date, m.chapter))),
            source=self.path,
        )

    def meeting(self, index: int, raw: object) -> Meeting | None:
        label = f"meeting {index}"
        if isinstance(raw, dict):
            known = [
                _clip(" ".join(raw[k].split()), 40)
                for k in ("chapter", "date")
                if isinstance(raw.get(k), str)
            ]
            label += f" ({', '.join(known)})" if known else ""
        else:
            self.add(
                f"expected a mapping with the fields {', '.join(REQUIRED_MEETING_FIELDS)} "
                f"(and optionally the others); found {_describe(raw)}",
                meeting=label,
            )
            return None
        before = self.count
        self.unknown_fields(raw, MEETING_FIELDS, label)
        for field in REQUIRED_MEETING_FIELDS:
            if field not in raw:
                self.add("missing: every meeting needs chapter, date and video", field, label)

        chapter = raw.get("chapter")
        if "chapter" in raw and chapter not in self.chapters:
            if not isinstance(chapter, str):
                self.add(
                    f"is {_describe(chapter)}: expected a chapter file's name without "
                    ".qmd, such as 02-scalar-autodiff",
                    "chapter",
                    label,
                )
            elif chapter in MOVED_CHAPTERS:
                self.add(_moved_chapter(chapter), "chapter", label)
            elif not self.chapters:
                self.add(
                    f"unknown chapter {_short(chapter)}: no chapters found in {self.chapters_dir}/",
                    "chapter",
                    label,
                )
            else:
                self.add(
                    f"unknown chapter {_short(chapter)}{_suggest(chapter, self.chapters)} "
                    f"(chapters are the file names in {self.chapters_dir}/ without "
                    ".qmd)",
                    "chapter",
                    label,
                )

        date = None
        if "date" in raw:
            try:
                date = _parse_date(raw["date"])
            except ValueError as err:
                self.add(str(err), "date", label)

        video_id = start = None
        if "video" in raw:
            value = raw["video"]
            try:
                video_id, start = parse_video(value)
            except ValueError as err:
                hint = (
                    "; YAML read it as a number: put the id in quotes"
                    if isinstance(value, int | float) and not isinstance(value, bool)
                    else ""
                )
                self.add(f"{err}{hint}", "video", label)
        if "start" in raw:
            try:
                start = parse_start(raw["start"])  # overrides a time given in the link
            except ValueError as err:
                self.add(str(err), "start", label)

        title = raw.get("title")
        if title is not None and not isinstance(title, str):
            self.add(f"is {_describe(title)}: expected text; put it in quotes", "title", label)
        chat_log = self.chat_log(raw, label)

        if self.count > before:
            return None
        return Meeting(
            chapter=chapter,
            date=date,
            video_id=video_id,
            start=start,
            title=title.strip() if title else None,
            chat_log=chat_log,
        )

    def chat_log(self, raw: dict, label: str) -> str | None:
        if "chat_log" in raw and "chat_log_file" in raw:
            self.add(
                "give the chat log either inline (chat_log) or as a file (chat_log_file), not both",
                "chat_log_file",
                label,
            )
            return None
        if "chat_log" in raw:
            text = raw["chat_log"]
            if not isinstance(text, str):
                self.add(
                    f"is {_describe(text)}: expected text; start it with 'chat_log: |' "
                    "and indent the lines below",
                    "chat_log",
                    label,
                )
                return None
        elif "chat_log_file" in raw:
            name = raw["chat_log_file"]
            wrong = _chat_log_name_problem(name)
            if wrong:
                self.add(f"{wrong}: {CHAT_LOG_RULE}", "chat_log_file", label)
                return None
            try:
                text = _read_text(self.path.parent / name, "a chat log")
            except ValueError as err:
                self.add(f"file {_short(name)} {err}", "chat_log_file", label)
                return None
        else:
            return None
        # A browser drops a newline right after <pre>, so surrounding blank lines go here.
        return text.strip("\r\n") or None

    def duplicates(self, meetings: list[Meeting | None]) -> None:
        """Same chapter and same date, or same chapter and same video: entered twice."""
        first_by: dict[tuple, int] = {}
        for index, meeting in enumerate(meetings, start=1):
            if meeting is None:
                continue
            keys = {
                "date": (meeting.chapter, meeting.date),
                "video": (meeting.chapter, meeting.video_id),
            }
            for field, key in keys.items():
                first = first_by.setdefault((field, key), index)
                if first != index:
                    label = f"meeting {index} ({meeting.chapter}, {meeting.date.isoformat()})"
                    self.add(
                        f"duplicate of meeting {first}: same chapter and same {field}; "
                        "remove one of them",
                        field,
                        label,
                    )
                    break


def load_cohorts(
    videos_dir: str | Path = "videos", *, chapters_dir: str | Path | None = None
) -> list[Cohort]:
    r"""Read and check every cohort file (``*.yml``, ``*.yaml``, except names starting with ``_``).

    Every problem in every file is collected before anything is raised, so one run lists
    them all, each naming its file, meeting and field.

    Parameters
    ----------
    videos_dir : str | Path
        The folder of cohort files.
    chapters_dir : str | Path | None
        The folder whose ``.qmd`` files' names are the valid chapters (default: the
        ``chapters`` folder beside ``videos_dir``).

    Returns
    -------
    list[Cohort]
        The cohorts, sorted by number.

    Raises
    ------
    VideoConfigError
        If ``videos_dir`` is not a folder, or any file has a problem: YAML syntax, a missing,
        unknown or repeated field, a wrong value, an unknown chapter, a duplicate meeting, or
        a cohort number used twice.
    ImportError
        If PyYAML is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from videos import VideoConfigError, load_cohorts
    >>> cohort_file = '''
    ... cohort: 1
    ... facilitators: [Ada Lovelace]
    ... meetings:
    ...   - chapter: 02-scalar-autodiff
    ...     date: 2025-01-14
    ...     video: https://youtu.be/abcDEF12345?t=90
    ... '''
    >>> with tempfile.TemporaryDirectory() as root:
    ...     Path(root, "videos").mkdir()
    ...     Path(root, "chapters").mkdir()
    ...     _ = Path(root, "chapters", "02-scalar-autodiff.qmd").write_text("")
    ...     _ = Path(root, "videos", "cohort-01.yml").write_text(cohort_file)
    ...     cohorts = load_cohorts(Path(root, "videos"))
    ...     _ = Path(root, "videos", "cohort-02.yml").write_text("cohort: 1\nmeetings: []\n")
    ...     try:
    ...         load_cohorts(Path(root, "videos"))
    ...     except VideoConfigError as err:
    ...         print(err)
    1 problem in the meeting videos files:
    - ...cohort-02.yml: field 'cohort': cohort 1 is also defined in ...cohort-01.yml;
      give each cohort its own number
    After fixing, check again with: python3 book/videos.py check
    >>> meeting = cohorts[0].meetings[0]
    >>> print(cohorts[0].name, meeting.chapter, meeting.date, meeting.video_id, meeting.start)
    Cohort 1 02-scalar-autodiff 2025-01-14 abcDEF12345 90
    """
    videos_dir = Path(videos_dir)
    chapters_dir = Path(chapters_dir) if chapters_dir else _chapters_beside(videos_dir)
    if videos_dir.is_file():
        raise VideoConfigError(
            [f"{videos_dir}: a file, not a folder: give the folder of cohort files"]
        )
    if not videos_dir.is_dir():
        raise VideoConfigError([f"{videos_dir}: no such folder (expected the cohort files here)"])
    _import_yaml()
    chapters = _chapter_stems(chapters_dir)
    paths, problems = [], []
    for p in sorted(videos_dir.iterdir()):
        if p.name.startswith("_"):
            continue
        if p.suffix in (".yml", ".yaml"):
            paths.append(p)
        elif _UNREAD_COHORT.fullmatch(p.name):
            problems.append(
                f"{p}: not read, so its meetings are not on the site: a cohort file is named "
                "cohort-NN.yml (lower-case .yml, nothing after it); rename it"
            )
    cohorts: list[Cohort] = []
    numbers: dict[int, list[Path]] = {}
    for path in paths:
        check = _FileCheck(path, chapters, chapters_dir)
        cohort = check.run()
        if cohort is not None:
            cohorts.append(cohort)
        problems += check.reported()
        if check.number is not None:
            numbers.setdefault(check.number, []).append(path)
    for number, files in sorted(numbers.items()):
        for path in files[1:]:
            problems.append(
                f"{path}: field 'cohort': cohort {number} is also defined in "
                f"{files[0]}; give each cohort its own number"
            )
    if problems:
        raise VideoConfigError(problems)
    return sorted(cohorts, key=lambda c: c.number)


# ---------------------------------------------------------------------------------------------
# Markdown for the book


def _markdown_text(text: str) -> str:
    """Untrusted text as literal markdown: every ASCII punctuation mark backslash-escaped.

    Escaping the braces also stops Quarto from reading `{{< ... >}}` as a shortcode.
    """
    flat = " ".join(text.split())
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", flat)


def _html_text(text: str) -> str:
    """Untrusted text for a raw HTML block: html.escape, plus braces so no `{{<` survives."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def _attribute_text(text: str) -> str:
    # Quarto's video shortcode pastes `title` into the iframe's attribute unescaped, and its
    # arguments are split on quotes, so the characters that could break either are dropped.
    return " ".join(re.sub(r'["<>&{}\\]', " ", text).split())


def _long_date(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def _chat_log_block(log: str) -> str:
    body = _html_text(log)
    # The fence must be longer than any backtick run in the log, or the log could close it.
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return (
        # The class gives the log its box (book/theme/book.scss), apart from the text around it.
        f'{fence}{{=html}}\n<details class="meeting-chat">\n<summary>Meeting chat log</summary>\n'
        # pre-wrap: keep the log's line breaks and spacing, but wrap long lines on a phone.
        f'<pre class="meeting-chat-log" style="white-space: pre-wrap">{body}</pre>\n'
        f"</details>\n{fence}"
    )


def _meeting_markdown(cohort: Cohort, meeting: Meeting) -> str:
    heading = f"Meeting of {_long_date(meeting.date)}"
    if meeting.title:
        heading += f": {_markdown_text(meeting.title)}"
    iframe_title = f"Cohort {cohort.number}, meeting of {_long_date(meeting.date)}"
    if meeting.title:
        iframe_title += f": {meeting.title}"
    start = f' start="{meeting.start}"' if meeting.start else ""
    parts = [
        f"{heading} ([watch on YouTube]({meeting.watch_url}))",
        f'{{{{< video {meeting.embed_url}{start} title="{_attribute_text(iframe_title)}" >}}}}',
    ]
    if meeting.chat_log:
        parts.append(_chat_log_block(meeting.chat_log))
    return "\n\n".join(parts)


def _check_chapter(chapter: str, chapters_dir: Path) -> None:
    stems = _chapter_stems(chapters_dir)
    if stems and chapter not in stems:
        raise ValueError(
            f"meeting_videos: unknown chapter {_short(chapter)}{_suggest(chapter, stems)} "
            f"(chapters are the file names in {chapters_dir}/ without .qmd)"
        )


def meeting_videos(chapter: str, videos_dir: str | Path = "videos") -> str:
    """Markdown for a chapter's "Meeting videos" section (``book/meeting_videos.py`` writes it).

    One ``### Cohort N`` subsection per cohort that met about ``chapter``, each meeting with
    its date and title, an embedded YouTube player and a collapsed chat log; a one-line note
    if no cohort has a recording of it yet. Text from the cohort files is escaped, so it
    shows as written and cannot inject markdown, HTML or Quarto shortcodes.

    Parameters
    ----------
    chapter : str
        The chapter file's name without ``.qmd``, such as ``"02-scalar-autodiff"``.
    videos_dir : str | Path
        The folder of cohort files; the chapters are in the ``chapters`` folder beside it.

    Returns
    -------
    str
        Markdown, ending in a newline.

    Raises
    ------
    VideoConfigError
        If any cohort file has a problem (see ``load_cohorts``).
    ValueError
        If ``chapter`` is not one of the chapters.
    ImportError
        If PyYAML is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from videos import meeting_videos
    >>> cohort_file = '''
    ... cohort: 1
    ... meetings:
    ...   - chapter: 02-scalar-autodiff
    ...     date: 2025-01-14
    ...     video: https://youtu.be/abcDEF12345?t=90
    ...     chat_log: "Ada: hello"
    ... '''
    >>> with tempfile.TemporaryDirectory() as root:
    ...     Path(root, "videos").mkdir()
    ...     Path(root, "chapters").mkdir()
    ...     for chapter in ("02-scalar-autodiff", "03-mlp"):
    ...         _ = Path(root, "chapters", f"{chapter}.qmd").write_text("")
    ...     _ = Path(root, "videos", "cohort-01.yml").write_text(cohort_file)
    ...     markdown = meeting_videos("02-scalar-autodiff", Path(root, "videos"))
    ...     no_videos = meeting_videos("03-mlp", Path(root, "videos"))
    >>> lines = markdown.splitlines()
    >>> print(lines[0])
    ### Cohort 1 {.unnumbered}
    >>> print(lines[2])
    Meeting of 14 January 2025 ([watch on YouTube](https://youtu.be/abcDEF12345?t=90))

    Then come Quarto's video shortcode for the embedded player, and the chat log in a raw
    HTML ``<details>`` block:

    >>> "www.youtube.com/embed/abcDEF12345" in lines[4], "<details" in markdown
    (True, True)
    >>> print(no_videos, end="")
    No recording of this chapter yet. See [Videos](../videos.qmd) to add one.
    """
    cohorts = load_cohorts(videos_dir)
    _check_chapter(chapter, _chapters_beside(Path(videos_dir)))
    sections = []
    for cohort in cohorts:
        meetings = [m for m in cohort.meetings if m.chapter == chapter]
        if meetings:
            body = "\n\n".join(_meeting_markdown(cohort, m) for m in meetings)
            sections.append(f"### Cohort {cohort.number} {{.unnumbered}}\n\n{body}")
    return "\n\n".join(sections) + "\n" if sections else NO_RECORDING + "\n"


def _chapter_titles(chapters_dir: Path) -> dict[str, str]:
    """Each chapter's `title` from its front matter (its file name if it has none)."""
    yaml = _import_yaml()
    titles = {}
    for stem in _chapter_stems(chapters_dir):
        text = (chapters_dir / f"{stem}.qmd").read_text(encoding="utf-8")
        match = re.match(r"---\r?\n(.*?)\r?\n---", text, re.DOTALL)
        try:
            front = yaml.safe_load(match.group(1)) if match else None
        except yaml.YAMLError:
            front = None
        title = front.get("title") if isinstance(front, dict) else None
        titles[stem] = str(title) if title else stem
    return titles


def videos_page(videos_dir: str | Path = "videos") -> str:
    r"""Markdown listing every cohort and its meetings, each linked to its chapter.

    Links are written relative to the book's root (``chapters/<stem>.qmd``), where the Videos
    page lives; Quarto turns them into links to the rendered pages. Each link's text is the
    chapter's ``title`` from its front matter (its file name if it has none).

    Parameters
    ----------
    videos_dir : str | Path
        The folder of cohort files; the chapters are in the ``chapters`` folder beside it.

    Returns
    -------
    str
        Markdown, one ``## Cohort N`` section per cohort, ending in a newline.

    Raises
    ------
    VideoConfigError
        If any cohort file has a problem (see ``load_cohorts``).
    ImportError
        If PyYAML is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from videos import videos_page
    >>> cohort_file = '''
    ... cohort: 1
    ... facilitators: [Ada Lovelace]
    ... meetings:
    ...   - chapter: 02-scalar-autodiff
    ...     date: 2025-01-14
    ...     video: abcDEF12345
    ... '''
    >>> with tempfile.TemporaryDirectory() as root:
    ...     Path(root, "videos").mkdir()
    ...     Path(root, "chapters").mkdir()
    ...     front_matter = "---\ntitle: Scalar autodiff\n---\n"
    ...     _ = Path(root, "chapters", "02-scalar-autodiff.qmd").write_text(front_matter)
    ...     _ = Path(root, "videos", "cohort-01.yml").write_text(cohort_file)
    ...     markdown = videos_page(Path(root, "videos"))
    >>> print(markdown, end="")
    ## Cohort 1 {.unnumbered}
    <BLANKLINE>
    Facilitators: Ada Lovelace.
    <BLANKLINE>
    - 14 January 2025, [Scalar autodiff](chapters/02-scalar-autodiff.qmd#meeting-videos)
      ([watch on YouTube](https://youtu.be/abcDEF12345))
    """
    cohorts = load_cohorts(videos_dir)
    if not cohorts:
        return "No cohort files yet: see `videos/README.md` to add one.\n"
    titles = _chapter_titles(_chapters_beside(Path(videos_dir)))
    sections = []
    for cohort in cohorts:
        heading = f"## Cohort {cohort.number}"
        if cohort.name != f"Cohort {cohort.number}":
            heading += f": {_markdown_text(cohort.name)}"
        lines = [heading + " {.unnumbered}", ""]
        if cohort.facilitators:
            names = ", ".join(_markdown_text(f) for f in cohort.facilitators)
            lines += [f"Facilitators: {names}.", ""]
        if not cohort.meetings:
            lines.append("No recordings yet.")
        for m in cohort.meetings:
            chapter = _markdown_text(titles.get(m.chapter, m.chapter))
            title = f": {_markdown_text(m.title)}" if m.title else ""
            target = f"chapters/{m.chapter}.qmd#{SECTION_ID}"
            lines.append(
                f"- {_long_date(m.date)}, [{chapter}]({target}){title} "
                f"([watch on YouTube]({m.watch_url}))"
            )
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line


def _no_videos_dir(videos_dir: Path) -> str:
    """The CLI's message for a missing folder: the full path tried, and where to run from."""
    tried = videos_dir.absolute()
    lines = [f"{videos_dir}: no such folder (looked for the cohort files in {tried})."]
    # Run from a sub-folder of the book (chapters/, say), the usual cause: name the root.
    if not videos_dir.is_absolute():
        for parent in tried.parent.parents:
            if (parent / videos_dir).is_dir():
                lines.append(
                    f"Run the command from the book's root folder, {parent}: "
                    f"cd {parent} && {CHECK_COMMAND}"
                )
                return "\n".join(lines)
    lines.append(
        "Run the command from the book's root folder (the one that holds book/, videos/ and "
        f"chapters/): {CHECK_COMMAND}, or pass the folder of cohort files: "
        f"{CHECK_COMMAND} path/to/videos"
    )
    return "\n".join(lines)


def _load_one(path: Path) -> Cohort:
    """One cohort file checked alone (the chapters beside its folder), as ``check FILE`` does."""
    chapters_dir = _chapters_beside(path.parent)
    check = _FileCheck(path, _chapter_stems(chapters_dir), chapters_dir)
    cohort = check.run()
    if cohort is None:
        raise VideoConfigError(check.reported())
    return cohort


def main(argv: list[str] | None = None) -> int:
    r"""The command line: ``python3 book/videos.py check [PATH]``, from the repository's root.

    ``check`` loads every cohort file in the folder ``PATH`` (default ``videos``), or the one
    cohort file ``PATH``; it prints every problem to stderr, or a one-line summary to stdout
    if there is none.

    Parameters
    ----------
    argv : list[str] | None
        The arguments after the program name (None: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 if the files are fine, 1 if any has a problem.

    Raises
    ------
    SystemExit
        If the arguments are not valid (status 2, with a usage message), or for ``--help``
        (status 0).
    ImportError
        If PyYAML is not installed.

    Examples
    --------
    >>> import contextlib, io, tempfile
    >>> from pathlib import Path
    >>> from videos import main
    >>> with tempfile.TemporaryDirectory() as root:
    ...     Path(root, "videos").mkdir()
    ...     _ = Path(root, "videos", "cohort-01.yml").write_text("cohort: 1\nmeetings: []\n")
    ...     with contextlib.redirect_stdout(io.StringIO()) as out:
    ...         status = main(["check", str(Path(root, "videos"))])
    >>> status, out.getvalue().endswith("videos: OK, 1 cohort file, 0 meetings.\n")
    (0, True)
    """
    parser = argparse.ArgumentParser(
        prog="python3 book/videos.py",
        description="Check the meeting videos files (one YAML file per cohort).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check every cohort file, or one; exit 1 on problems")
    check.add_argument(
        "path",
        nargs="?",
        default="videos",
        help="the folder of cohort files, or one cohort file (default: videos)",
    )
    args = parser.parse_args(argv)
    path = Path(args.path)
    alone = ""
    try:
        if path.is_dir():
            cohorts = load_cohorts(path)
        elif path.suffix in (".yml", ".yaml"):
            cohorts = [_load_one(path)]
            alone = (
                f" Checked alone: {CHECK_COMMAND} checks the whole folder "
                "(no two files with one cohort number)."
            )
        elif path.exists():
            print(
                f"{path} is not a cohort file (.yml or .yaml): give one cohort file or the "
                f"folder of cohort files, such as {CHECK_COMMAND} videos",
                file=sys.stderr,
            )
            return 1
        else:
            print(_no_videos_dir(path), file=sys.stderr)
            return 1
    except VideoConfigError as err:
        print(err, file=sys.stderr)
        return 1
    n_meetings = sum(len(c.meetings) for c in cohorts)
    files = f"{len(cohorts)} cohort file" + ("s" if len(cohorts) != 1 else "")
    print(
        f"{args.path}: OK, {files}, {n_meetings} meeting"
        + ("s" if n_meetings != 1 else "")
        + "."
        + alone
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
