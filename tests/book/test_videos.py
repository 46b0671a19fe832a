"""Meeting videos (`book/videos.py`): cohort files are checked with clear errors, and rendered
safely.

Fixtures live in tests/fixtures/videos/ (good/: a valid folder; broken/: one problem kind per
file). Each test copies what it needs into a temporary book folder with its own chapters/, so
the tests do not depend on which chapters of the real book exist yet.
"""

import doctest
import html
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import videos
from videos import (
    NO_RECORDING,
    VideoConfigError,
    load_cohorts,
    meeting_videos,
    parse_start,
    parse_video,
    videos_page,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures" / "videos"
CHAPTERS = {
    "01-relu-piecewise": "ReLU and piecewise linear functions",
    "02-scalar-autodiff": "Scalar autodiff",
    "03-chain-rule": "The chain rule",
}
SHORTCODE = re.compile(
    r'^\{\{< video (?P<src>\S+)(?: start="(?P<start>\d+)")? title="(?P<title>[^"<>{}]*)" >\}\}$'
)

video_ids = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    min_size=11,
    max_size=11,
)
start_seconds = st.integers(min_value=0, max_value=10 * 3600)


def make_book(root: Path, *cohort_files: Path) -> Path:
    """A book folder in `root`: chapters/ with CHAPTERS, videos/ with `cohort_files`."""
    (root / "chapters").mkdir(parents=True, exist_ok=True)
    for stem, title in CHAPTERS.items():
        (root / "chapters" / f"{stem}.qmd").write_text(f'---\ntitle: "{title}"\n---\n\nText.\n')
    (root / "chapters" / "_template.qmd").write_text("---\ntitle: not a chapter\n---\n")
    (root / "videos").mkdir(exist_ok=True)
    for path in cohort_files:
        shutil.copy(path, root / "videos" / path.name)
    return root / "videos"


def write_cohort(videos_dir: Path, meetings: list[dict], number: int = 1) -> None:
    data = {"cohort": number, "meetings": meetings}
    (videos_dir / f"cohort-{number:02d}.yml").write_text(yaml.safe_dump(data), encoding="utf-8")


@pytest.fixture
def good(tmp_path):
    return make_book(tmp_path, *sorted(FIXTURES.joinpath("good").iterdir()))


def problems_of(videos_dir: Path) -> list[str]:
    with pytest.raises(VideoConfigError) as info:
        load_cohorts(videos_dir)
    return info.value.problems


# ---------------------------------------------------------------------------------------------
# Loading the good fixtures


def test_good_fixture_loads_cohorts_sorted_by_number_with_meetings_sorted_by_date(good):
    cohorts = load_cohorts(good)
    assert [c.number for c in cohorts] == [1, 2, 3]
    assert [c.name for c in cohorts] == ["Spring cohort", "Cohort 2", "Autumn cohort"]
    assert cohorts[0].facilitators == ("Ada", "Grace <admin>")
    dates = [m.date.isoformat() for m in cohorts[0].meetings]
    assert dates == sorted(dates) == ["2025-01-14", "2025-01-21", "2025-01-28"]
    assert cohorts[2].meetings == ()


def test_good_fixture_values_are_normalised(good):
    first, second, third = load_cohorts(good)[0].meetings
    assert (first.video_id, first.start) == ("BBBBBBBBBBB", 65)  # start: "01:05"
    assert (second.video_id, second.start) == ("AAAAAAAAAAA", 90)  # &t=1m30s in the link
    assert (third.video_id, third.start) == ("CCCCCCCCCCC", None)
    nocookie = load_cohorts(good)[1].meetings[0]
    assert (nocookie.video_id, nocookie.start) == ("D-_DDDDDDD9", 30)


def test_chat_logs_are_read_inline_and_from_the_file_beside_the_yaml(good):
    first, second, third = load_cohorts(good)[0].meetings
    log_file = FIXTURES / "good" / "cohort-01-2025-01-21.txt"
    assert second.chat_log == log_file.read_text(encoding="utf-8").strip("\n")
    raw = yaml.safe_load((FIXTURES / "good" / "cohort-01.yml").read_text())
    assert first.chat_log == raw["meetings"][1]["chat_log"].strip("\n")
    assert third.chat_log is None


def test_files_starting_with_underscore_are_ignored(good):
    assert (good / "_draft.yml").exists()
    assert len(load_cohorts(good)) == 3


# ---------------------------------------------------------------------------------------------
# Broken fixtures: every problem named with its file, meeting and field

# file -> the problems it must report, each as (meeting label or None, field or None, text).
BROKEN = {
    "unknown_chapter.yml": [
        (
            "meeting 1 (02-scalar-autodif, 2025-01-14)",
            "chapter",
            "did you mean '02-scalar-autodiff'?",
        )
    ],
    "bad_date.yml": [("meeting 1 (01-relu-piecewise, 14/01/2025)", "date", "YYYY-MM-DD")],
    "impossible_date.yml": [
        ("meeting 1 (01-relu-piecewise, 2025-02-30)", "date", "not a date that exists")
    ],
    "bad_video_id.yml": [
        (
            "meeting 1 (01-relu-piecewise, 2025-01-14)",
            "video",
            "'AAAAAAAAAA' is not a YouTube video",
        )
    ],
    "bad_video_url.yml": [
        (
            "meeting 1 (01-relu-piecewise, 2025-01-14)",
            "video",
            "'https://vimeo.com/548291297' is not a YouTube video",
        )
    ],
    "short_id_in_url.yml": [
        ("meeting 1 (01-relu-piecewise, 2025-01-14)", "video", "'abc', has 3 characters")
    ],
    "numeric_video.yml": [
        ("meeting 1 (01-relu-piecewise, 2025-01-14)", "video", "put the id in quotes")
    ],
    "bad_start.yml": [
        ("meeting 1 (01-relu-piecewise, 2025-01-14)", "start", "'ninety' is not a start time")
    ],
    "duplicate_date.yml": [
        (
            "meeting 2 (01-relu-piecewise, 2025-01-14)",
            "date",
            "duplicate of meeting 1: same chapter and same date",
        )
    ],
    "duplicate_video.yml": [
        (
            "meeting 2 (01-relu-piecewise, 2025-01-21)",
            "video",
            "duplicate of meeting 1: same chapter and same video",
        )
    ],
    "missing_chat_log.yml": [
        (
            "meeting 1 (01-relu-piecewise, 2025-01-14)",
            "chat_log_file",
            "'no-such-log.txt' not found",
        )
    ],
    "chat_log_not_txt.yml": [
        (
            "meeting 1 (01-relu-piecewise, 2025-01-14)",
            "chat_log_file",
            "'chat.md' is not a .txt file name",
        )
    ],
    "both_chat_logs.yml": [
        ("meeting 1 (01-relu-piecewise, 2025-01-14)", "chat_log_file", "not both")
    ],
    "unknown_meeting_field.yml": [
        (
            "meeting 1 (01-relu-piecewise, 2025-01-14)",
            "vidoe",
            "unknown field; did you mean 'video'?",
        ),
        ("meeting 1 (01-relu-piecewise, 2025-01-14)", "video", "missing"),
    ],
    "unknown_cohort_field.yml": [
        (None, "facilitator", "unknown field; did you mean 'facilitators'?")
    ],
    "yaml_syntax.yml": [(None, None, "line 5, column 4: YAML error")],
    "duplicate_field.yml": [
        (None, None, "line 6, column 5: YAML error: field 'video' is given twice (first on line 5)")
    ],
    "missing_fields.yml": [
        ("meeting 1 (01-relu-piecewise)", "date", "missing"),
        ("meeting 1 (01-relu-piecewise)", "video", "missing"),
    ],
    "wrong_types.yml": [
        (None, "cohort", "is text ('one'): expected the cohort's number"),
        (None, "name", "is a list"),
        (None, "facilitators", "is text ('Ada'): expected a list of names"),
        ("meeting 1 (01-relu-piecewise, 2025-01-14)", "title", "is a number (2025)"),
        ("meeting 1 (01-relu-piecewise, 2025-01-14)", "chat_log", "is a list"),
        ("meeting 2", None, "found text ('02-scalar-autodiff on 2025-01-21')"),
    ],
    "meetings_not_a_list.yml": [(None, "meetings", "is a mapping")],
    "not_a_mapping.yml": [(None, None, "expected a mapping with the fields cohort")],
}


def test_every_broken_fixture_is_in_the_table():
    assert sorted(p.name for p in (FIXTURES / "broken").iterdir()) == sorted(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_fixture_reports_file_meeting_and_field(tmp_path, name):
    videos_dir = make_book(tmp_path, FIXTURES / "broken" / name)
    problems = problems_of(videos_dir)
    assert len(problems) == len(BROKEN[name]), problems
    for problem, (meeting, field, text) in zip(problems, BROKEN[name], strict=True):
        where = [str(videos_dir / name)] + ([meeting] if meeting else [])
        where += [f"field {field!r}"] if field else []
        assert problem.startswith(": ".join(where) + ": "), problem
        assert text in problem, problem


def broken_folder(root: Path) -> Path:
    """Every broken fixture in one folder, each with its own cohort number."""
    videos_dir = make_book(root)
    for number, path in enumerate(sorted((FIXTURES / "broken").iterdir()), start=1):
        text = path.read_text().replace("cohort: 1\n", f"cohort: {number}\n")
        (videos_dir / path.name).write_text(text)
    return videos_dir


def test_all_problems_of_all_files_are_reported_at_once(tmp_path):
    videos_dir = broken_folder(tmp_path)
    problems = problems_of(videos_dir)
    assert len(problems) == sum(len(expected) for expected in BROKEN.values())
    for name in BROKEN:
        assert any(p.startswith(str(videos_dir / name)) for p in problems), name


def test_error_message_lists_every_problem(tmp_path):
    videos_dir = make_book(tmp_path, FIXTURES / "broken" / "wrong_types.yml")
    with pytest.raises(VideoConfigError) as info:
        load_cohorts(videos_dir)
    message = str(info.value)
    assert message.startswith("6 problems in the meeting videos files:")
    for problem in info.value.problems:
        assert f"- {problem}" in message


def test_two_files_with_the_same_cohort_number_are_reported(tmp_path):
    videos_dir = make_book(tmp_path)
    write_cohort(videos_dir, [], number=1)
    (videos_dir / "cohort-one-again.yml").write_text("cohort: 1\nmeetings: []\n")
    (problem,) = problems_of(videos_dir)
    assert problem.startswith(f"{videos_dir / 'cohort-one-again.yml'}: field 'cohort': ")
    assert f"cohort 1 is also defined in {videos_dir / 'cohort-01.yml'}" in problem


def test_chat_log_file_that_is_not_utf8_is_reported(tmp_path):
    videos_dir = make_book(tmp_path)
    (videos_dir / "chat.txt").write_bytes("caf\xe9".encode("latin-1"))
    write_cohort(
        videos_dir,
        [
            {
                "chapter": "01-relu-piecewise",
                "date": "2025-01-14",
                "video": "AAAAAAAAAAA",
                "chat_log_file": "chat.txt",
            }
        ],
    )
    (problem,) = problems_of(videos_dir)
    assert "meeting 1 (01-relu-piecewise, 2025-01-14): field 'chat_log_file'" in problem
    assert "not UTF-8" in problem


def test_unknown_chapter_when_the_chapters_folder_is_empty_says_so(tmp_path):
    videos_dir = make_book(tmp_path, FIXTURES / "broken" / "unknown_chapter.yml")
    (problem,) = problems_of(videos_dir)
    assert "did you mean" in problem
    with pytest.raises(VideoConfigError) as info:
        load_cohorts(videos_dir, chapters_dir=tmp_path / "empty")
    assert "no chapters found in" in info.value.problems[0]


@pytest.mark.parametrize(
    ("old", "says"),
    [
        ("10-init-normalisation", "is now '11-init-normalisation' (the chapter was renumbered)"),
        ("11-optimisers", "is now '12-optimisers'"),
        (
            "09-minibatch-training",
            "was split into '09-softmax-cross-entropy' and '10-minibatch-training'",
        ),
    ],
)
def test_meeting_under_a_moved_chapter_says_where_it_went(tmp_path, old, says):
    videos_dir = make_book(tmp_path)
    for stems in videos.MOVED_CHAPTERS.values():
        for stem in stems:
            (tmp_path / "chapters" / f"{stem}.qmd").write_text('---\ntitle: "T"\n---\n')
    write_cohort(videos_dir, [{"chapter": old, "date": "2025-03-04", "video": "dQw4w9WgXcQ"}])
    (problem,) = problems_of(videos_dir)
    assert f"meeting 1 ({old}, 2025-03-04): field 'chapter': chapter {old!r} " in problem
    assert says in problem
    assert "did you mean" not in problem


def test_unknown_chapter_is_not_reported_as_moved(tmp_path):
    videos_dir = make_book(tmp_path)
    write_cohort(
        videos_dir, [{"chapter": "09-minibatch", "date": "2025-03-04", "video": "dQw4w9WgXcQ"}]
    )
    (problem,) = problems_of(videos_dir)
    assert "unknown chapter '09-minibatch'" in problem and "split" not in problem


def test_moved_chapters_name_the_books_chapters():
    stems = {p.stem for p in (ROOT / "chapters").glob("[!_]*.qmd")}
    for old, new in videos.MOVED_CHAPTERS.items():
        assert old not in stems, f"{old} is a chapter again: drop it from MOVED_CHAPTERS"
        assert set(new) <= stems, f"{old} -> {new}: not all are chapters ({sorted(stems)})"


def test_missing_videos_folder_is_a_config_error(tmp_path):
    with pytest.raises(VideoConfigError, match="no such folder"):
        load_cohorts(tmp_path / "nowhere")


def test_missing_pyyaml_gives_an_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)
    videos._strict_loader.cache_clear()
    try:
        with pytest.raises(
            ImportError, match=r"make videos-check .*apt install python3-yaml"
        ) as info:
            load_cohorts(make_book(tmp_path))
        assert "python3 book/videos.py check" in str(info.value)
    finally:
        videos._strict_loader.cache_clear()


# ---------------------------------------------------------------------------------------------
# Video ids, links and start times

URL_FORMS = [
    ("{id}", None),
    ("https://www.youtube.com/watch?v={id}", None),
    ("https://youtube.com/watch?v={id}&t=90", 90),
    ("https://www.youtube.com/watch?v={id}&t=1m30s", 90),
    ("https://www.youtube.com/watch?feature=share&v={id}&t=90s", 90),
    ("https://m.youtube.com/watch?v={id}&list=PL123", None),
    ("http://www.youtube.com/watch?v={id}#t=45", 45),
    ("www.youtube.com/watch?v={id}", None),
    ("https://youtu.be/{id}", None),
    ("https://youtu.be/{id}?t=90", 90),
    ("https://youtu.be/{id}?si=Xy12AbC&t=1h2m3s", 3723),
    ("youtu.be/{id}?t=2m", 120),
    ("https://www.youtube.com/embed/{id}", None),
    ("https://www.youtube.com/embed/{id}?start=90", 90),
    ("https://www.youtube-nocookie.com/embed/{id}?start=30&rel=0", 30),
    ("https://youtube-nocookie.com/embed/{id}", None),
    ("https://www.youtube.com/shorts/{id}", None),
    ("https://www.youtube.com/live/{id}?t=15s", 15),
    ("  https://youtu.be/{id}  ", None),
]

INVALID_VIDEOS = [
    "",
    "AAAAAAAAAA",
    "AAAAAAAAAAAA",
    "AAAAAAAAA.A",
    "https://vimeo.com/548291297",
    "https://www.youtube.com/watch?v=short",
    "https://www.youtube.com/playlist?list=PL12345",
    "https://www.youtube.com/watch",
    "https://youtu.be/",
    "https://evil.example/watch?v=AAAAAAAAAAA",
    "https://youtube.com.evil.example/watch?v=AAAAAAAAAAA",
    "ftp://youtu.be/AAAAAAAAAAA",
    "https://youtu.be/AAAAAAAAAAA?t=soon",
    "https://www.youtube.com/embed/AAAAAAAAAAA/extra",
    "not a url at all",
    12345678901,
    None,
    ["AAAAAAAAAAA"],
]


@pytest.mark.parametrize(("form", "start"), URL_FORMS)
def test_every_url_form_gives_the_id_and_start(form, start):
    assert parse_video(form.format(id="Ab3_-xYz9Q0")) == ("Ab3_-xYz9Q0", start)


@pytest.mark.parametrize("value", INVALID_VIDEOS)
def test_invalid_video_is_rejected(value):
    with pytest.raises(ValueError, match="is not a YouTube video"):
        parse_video(value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (0, 0),
        (90, 90),
        ("90", 90),
        ("90s", 90),
        ("1m30s", 90),
        ("1m30", 90),
        ("2m", 120),
        ("1h", 3600),
        ("1h2m3s", 3723),
        ("01:30", 90),
        ("1:02:03", 3723),
        ("75:00", 4500),
    ],
)
def test_start_time_forms(text, seconds):
    assert parse_start(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "ninety", "-5", -5, "1:60", "1:60:00", "1.5", 1.5, True, "1m 30s", None]
)
def test_invalid_start_is_rejected(text):
    with pytest.raises(ValueError, match="start time"):
        parse_start(text)


def _forms_with_time(video_id: str, seconds: int) -> list[str]:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return [
        f"https://www.youtube.com/watch?v={video_id}&t={seconds}",
        f"https://youtu.be/{video_id}?t={seconds}s",
        f"https://youtu.be/{video_id}?t={h}h{m}m{s}s",
        f"https://www.youtube.com/embed/{video_id}?start={seconds}",
        f"https://www.youtube-nocookie.com/embed/{video_id}?start={seconds}",
        f"https://www.youtube.com/watch?t={m + 60 * h}m{s}s&v={video_id}",
    ]


@given(video_id=video_ids, seconds=start_seconds)
def test_random_ids_and_start_times_round_trip_through_every_form(video_id, seconds):
    assert parse_video(video_id) == (video_id, None)
    for url in _forms_with_time(video_id, seconds):
        assert parse_video(url) == (video_id, seconds), url
    assert parse_start(f"{seconds // 60:02d}:{seconds % 60:02d}") == seconds


def _shortcodes(markdown: str) -> list[re.Match]:
    lines = [line for line in markdown.splitlines() if line.startswith("{{<")]
    matches = [SHORTCODE.match(line) for line in lines]
    assert all(matches), lines
    return matches


@pytest.mark.parametrize(("form", "start"), URL_FORMS)
def test_embed_src_and_start_are_right_for_every_url_form(tmp_path, form, start):
    videos_dir = make_book(tmp_path)
    write_cohort(
        videos_dir,
        [
            {
                "chapter": "03-chain-rule",
                "date": "2025-02-04",
                "video": form.format(id="Ab3_-xYz9Q0"),
            }
        ],
    )
    (embed,) = _shortcodes(meeting_videos("03-chain-rule", videos_dir))
    assert embed["src"] == "https://www.youtube.com/embed/Ab3_-xYz9Q0"
    assert embed["start"] == (str(start) if start else None)


@settings(max_examples=40)
@given(video_id=video_ids, seconds=start_seconds, in_link=st.booleans())
def test_embed_for_random_ids_and_start_times(tmp_path_factory, video_id, seconds, in_link):
    videos_dir = make_book(tmp_path_factory.mktemp("book"))
    meeting = {"chapter": "02-scalar-autodiff", "date": "2025-01-14"}
    if in_link:
        meeting["video"] = f"https://youtu.be/{video_id}?t={seconds}"
    else:
        meeting.update(video=video_id, start=seconds)
    write_cohort(videos_dir, [meeting])
    (embed,) = _shortcodes(meeting_videos("02-scalar-autodiff", videos_dir))
    assert embed["src"] == f"https://www.youtube.com/embed/{video_id}"
    assert embed["start"] == (str(seconds) if seconds else None)


def test_start_field_takes_the_place_of_the_time_in_the_link(tmp_path):
    videos_dir = make_book(tmp_path)
    write_cohort(
        videos_dir,
        [
            {
                "chapter": "01-relu-piecewise",
                "date": "2025-01-14",
                "video": "https://youtu.be/AAAAAAAAAAA?t=90",
                "start": "2m",
            }
        ],
    )
    (meeting,) = load_cohorts(videos_dir)[0].meetings
    assert meeting.start == 120


# ---------------------------------------------------------------------------------------------
# The chapter's Meeting videos section


def test_section_has_one_subsection_per_cohort_in_number_order(good):
    markdown = meeting_videos("02-scalar-autodiff", good)
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings == ["### Cohort 1 {.unnumbered}", "### Cohort 2 {.unnumbered}"]
    srcs = [m["src"].rsplit("/", 1)[1] for m in _shortcodes(markdown)]
    assert srcs == ["AAAAAAAAAAA", "CCCCCCCCCCC", "D-_DDDDDDD9"]  # cohort 1 by date, then 2


def test_section_shows_date_and_title_of_each_meeting(good):
    markdown = meeting_videos("02-scalar-autodiff", good)
    assert "Meeting of 21 January 2025: Value\\, by hand" in markdown
    assert "Meeting of 28 January 2025 ([watch on YouTube](https://youtu.be/CCCCCCCCCCC))" in (
        markdown
    )
    titles = [m["title"] for m in _shortcodes(markdown)]
    assert titles[0] == "Cohort 1, meeting of 21 January 2025: Value, by hand"


def test_chapter_without_recording_gets_one_line(good):
    assert meeting_videos("03-chain-rule", good) == NO_RECORDING + "\n"
    assert NO_RECORDING == (
        "No recording of this chapter yet. See [Videos](../videos.qmd) to add one."
    )


def test_unknown_chapter_argument_is_an_error(good):
    with pytest.raises(ValueError, match="did you mean '02-scalar-autodiff'"):
        meeting_videos("02-scalar-autodif", good)


def test_broken_folder_stops_the_chapter_with_every_problem(tmp_path):
    videos_dir = make_book(tmp_path, FIXTURES / "broken" / "wrong_types.yml")
    with pytest.raises(VideoConfigError, match="6 problems"):
        meeting_videos("01-relu-piecewise", videos_dir)


class _Events(HTMLParser):
    """Records the tags and text of an HTML fragment, unescaping character references."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        if self.events and self.events[-1][0] == "data":
            self.events[-1] = ("data", self.events[-1][1] + data)
        else:
            self.events.append(("data", data))

    def handle_comment(self, data):
        self.events.append(("comment", data))

    def handle_decl(self, decl):
        self.events.append(("decl", decl))

    def handle_pi(self, data):
        self.events.append(("pi", data))

    def unknown_decl(self, data):
        self.events.append(("decl", data))


def _raw_html_blocks(markdown: str) -> list[str]:
    """The bodies of ```{=html} blocks, found the way pandoc does: a closing fence is a line
    of at least as many backticks as the opening one and nothing else."""
    blocks, lines, i = [], markdown.split("\n"), 0
    while i < len(lines):
        opening = re.fullmatch(r"(`{3,})\{=html\}", lines[i])
        if not opening:
            i += 1
            continue
        fence = len(opening[1])
        end = next(
            j for j in range(i + 1, len(lines)) if re.fullmatch(rf"`{{{fence},}}\s*", lines[j])
        )
        blocks.append("\n".join(lines[i + 1 : end]))
        i = end + 1
    return blocks


def assert_log_shown_verbatim(markdown: str, log: str) -> None:
    (block,) = _raw_html_blocks(markdown)
    parser = _Events()
    parser.feed(block)
    parser.close()
    data = [e for e in parser.events if e[0] == "data" and e[1].strip()]
    tags = [e[:2] for e in parser.events if e[0] != "data"]
    assert tags == [
        ("start", "details"),
        ("start", "summary"),
        ("end", "summary"),
        ("start", "pre"),
        ("end", "pre"),
        ("end", "details"),
    ]
    assert data[0] == ("data", "Meeting chat log")
    raw_pre = re.fullmatch(r"(?s).*<pre [^>]*>(.*)</pre>\n</details>", block)
    assert html.unescape(raw_pre[1]) == log
    pre = [e for e in parser.events if e[:2] == ("start", "pre")][0]
    inside = parser.events[parser.events.index(pre) + 1]
    assert inside == ("data", log) or (log == "" and inside == ("end", "pre"))
    assert_no_shortcode_outside_embeds(markdown)


def assert_no_shortcode_outside_embeds(markdown: str) -> None:
    """Outside the video shortcodes, no double brace that Quarto could read as a shortcode."""
    rest = "\n".join(line for line in markdown.splitlines() if not SHORTCODE.match(line))
    assert "{{" not in rest and "}}" not in rest


HOSTILE_LOGS = [
    "<script>alert('x')</script>",
    "</details> then </pre> then </div>",
    "<details><summary>fake</summary>",
    "```\n``` {=html}\n<b>not bold</b>\n```",
    "a ```` fence ```````` and `inline`",
    "before\n```\nbetween\n````\nafter\n``````````",
    "{{< video https://www.youtube.com/embed/AAAAAAAAAAA >}}",
    "{{{< escaped >}}} and {{< include /etc/passwd >}}",
    "# not a heading\n* not a list\n[not a link](http://example.com)\n$x^2$",
    "::: {.callout-note}\nnot a callout\n:::",
    "&amp; &lt;b&gt; &#x27; &nbsp; stay as typed",
    "<!-- not a comment --> <?php no ?> <![CDATA[ x ]]>",
    "tabs\tand  spaces   kept\n\n\nblank lines kept",
]


@pytest.mark.parametrize("log", HOSTILE_LOGS)
def test_hostile_chat_log_is_escaped_and_round_trips(tmp_path, log):
    videos_dir = make_book(tmp_path)
    write_cohort(
        videos_dir,
        [
            {
                "chapter": "01-relu-piecewise",
                "date": "2025-01-14",
                "video": "AAAAAAAAAAA",
                "chat_log": log,
            }
        ],
    )
    assert_log_shown_verbatim(meeting_videos("01-relu-piecewise", videos_dir), log)


printable = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029")
chat_logs = st.text(alphabet=st.one_of(printable, st.sampled_from("\n\t<>&`{}\"'")), min_size=1)


@settings(max_examples=60)
@given(log=chat_logs)
def test_any_chat_log_file_round_trips(tmp_path_factory, log):
    videos_dir = make_book(tmp_path_factory.mktemp("book"))
    (videos_dir / "chat.txt").write_text(log, encoding="utf-8", newline="")
    write_cohort(
        videos_dir,
        [
            {
                "chapter": "01-relu-piecewise",
                "date": "2025-01-14",
                "video": "AAAAAAAAAAA",
                "chat_log_file": "chat.txt",
            }
        ],
    )
    markdown = meeting_videos("01-relu-piecewise", videos_dir)
    expected = log.strip("\n")
    if expected:
        assert_log_shown_verbatim(markdown, expected)
    else:
        assert "<details" not in markdown


@pytest.mark.parametrize(
    "title",
    [
        'He said "hi" >}} {{< video x >}}',
        "<b>bold</b> & *stars* `code`",
        "{src} {title}",
        "back\\slash",
        "line\nbreak",
    ],
)
def test_hostile_title_keeps_the_shortcode_well_formed(tmp_path, title):
    videos_dir = make_book(tmp_path)
    write_cohort(
        videos_dir,
        [
            {
                "chapter": "01-relu-piecewise",
                "date": "2025-01-14",
                "video": "AAAAAAAAAAA",
                "title": title,
            }
        ],
    )
    markdown = meeting_videos("01-relu-piecewise", videos_dir)
    (embed,) = _shortcodes(markdown)
    assert embed["src"] == "https://www.youtube.com/embed/AAAAAAAAAAA"
    heading = next(line for line in markdown.splitlines() if line.startswith("Meeting of"))
    # Every punctuation mark of the title is backslash-escaped, so markdown shows it as typed.
    shown = re.sub(r"\\(.)", r"\1", heading.split(": ", 1)[1].rsplit(" ([watch", 1)[0])
    assert shown == " ".join(title.split())
    assert_no_shortcode_outside_embeds(markdown)


# ---------------------------------------------------------------------------------------------
# The Videos page


def test_videos_page_lists_every_cohort_and_meeting_with_chapter_links(good):
    page = videos_page(good)
    for cohort in load_cohorts(good):
        assert f"## Cohort {cohort.number}" in page
        for m in cohort.meetings:
            link = f"[{CHAPTERS[m.chapter]}](chapters/{m.chapter}.qmd#meeting-videos)"
            assert any(link in line and m.watch_url in line for line in page.splitlines()), link
    assert "## Cohort 1: Spring cohort {.unnumbered}" in page
    assert "Facilitators: Ada, Grace \\<admin\\>." in page
    assert "## Cohort 3: Autumn cohort {.unnumbered}\n\nNo recordings yet." in page


def test_videos_page_with_no_cohort_files_says_so(tmp_path):
    assert videos_page(make_book(tmp_path)).startswith("No cohort files yet")


def test_videos_qmd_marks_the_reference_lectures_external():
    text = (ROOT / "videos.qmd").read_text(encoding="utf-8")
    section = text.split("## Reference lectures (external)", 1)[1]
    assert "{{< video https://www.youtube.com/embed/VMj-3S1tku0" in section
    assert "(https://course.fast.ai/Lessons/lesson13.html)" in section
    assert section.count("### External:") == 2


# ---------------------------------------------------------------------------------------------
# The real folder and the template


def test_real_videos_folder_validates():
    cohorts = load_cohorts(ROOT / "videos")
    assert 1 in [c.number for c in cohorts]


def test_template_example_validates_once_uncommented(tmp_path):
    text = (ROOT / "videos" / "_template.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["meetings"] is None  # as shipped: no meeting
    # The organiser's instructions: remove the "# " that starts each line of the example.
    head, example = text.split("meetings:\n", 1)
    uncommented = re.sub(r"^(\s*)# ", r"\1", example, flags=re.MULTILINE)
    videos_dir = make_book(tmp_path)
    (videos_dir / "cohort-02.yml").write_text(head + "meetings:\n" + uncommented)
    (videos_dir / "2025-01-14-cohort-02-chat.txt").write_text("18:02 Ann: hello\n")
    assert problems_of(videos_dir) == [
        f"{videos_dir / 'cohort-02.yml'}: meeting 1 (02-scalar-autodiff, 2025-01-14): "
        "field 'video': "
        "'https://youtu.be/XXXXXXXXXXX?t=90' is the example's placeholder, not a video: replace "
        "it with the meeting's real link (YouTube's Share button, or the address bar)"
    ]
    # The organiser pastes the recording's link in place of the example's.
    (videos_dir / "cohort-02.yml").write_text(
        head + "meetings:\n" + uncommented.replace("XXXXXXXXXXX", "abcDEF12345")
    )
    (cohort,) = load_cohorts(videos_dir)
    (meeting,) = cohort.meetings
    assert (meeting.chapter, meeting.start, meeting.chat_log) == (
        "02-scalar-autodiff",
        90,
        "18:02 Ann: hello",
    )


# ---------------------------------------------------------------------------------------------
# The command line


def run_check(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python3 book/videos.py check ARGS`, run as a script from `cwd` (the path as organisers
    type it from the repository's root, else the script's full path)."""
    script = "book/videos.py" if cwd == ROOT else str(ROOT / "book" / "videos.py")
    return subprocess.run(
        [sys.executable, script, "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_check_good_folder_exits_0_with_summary(good):
    result = run_check(str(good))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{good}: OK, 3 cohort files, 4 meetings.\n"


def test_cli_check_broken_folder_prints_every_problem_and_exits_1(tmp_path):
    videos_dir = broken_folder(tmp_path)
    result = run_check(str(videos_dir))
    assert result.returncode == 1
    assert result.stdout == ""
    with pytest.raises(VideoConfigError) as info:
        load_cohorts(videos_dir)
    for problem in info.value.problems:
        assert f"- {problem}\n" in result.stderr
    assert result.stderr.endswith("After fixing, check again with: python3 book/videos.py check\n")


def test_cli_check_defaults_to_the_real_videos_folder():
    result = run_check()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("videos: OK, ")


def test_cli_check_missing_folder_exits_1_naming_the_full_path_tried(tmp_path):
    result = run_check(str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "no such folder" in result.stderr
    assert f"looked for the cohort files in {tmp_path / 'nowhere'}" in result.stderr
    assert "Run the command from the book's root folder" in result.stderr
    assert "python3 book/videos.py check path/to/videos" in result.stderr


def test_cli_check_from_a_sub_folder_says_where_to_run_it(tmp_path):
    """Run from chapters/, the default ``videos`` is not there: name the root that holds it."""
    root = tmp_path / "book"
    (root / "videos").mkdir(parents=True)
    (root / "chapters").mkdir()
    result = run_check(cwd=root / "chapters")
    assert result.returncode == 1 and result.stdout == ""
    assert f"looked for the cohort files in {root / 'chapters' / 'videos'}" in result.stderr
    assert f"from the book's root folder, {root}:" in result.stderr
    assert f"cd {root} && python3 book/videos.py check\n" in result.stderr


def test_the_package_has_no_videos_module_and_loads_no_yaml():
    """The tool is the book's, beside the package: `import pybackprop` needs no PyYAML."""
    code = (
        "import importlib.util, sys, pybackprop\n"
        "print(importlib.util.find_spec('pybackprop.videos') is None, 'yaml' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["True", "False"]


def test_the_examples_in_the_tools_docstrings_run():
    """The docstrings' examples of book/videos.py, run as doctests (no reference page shows
    them, so nothing else would notice one drifting from the code)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(videos, "videos", globs={})
    assert len(tests) >= 8, [t.name for t in tests]
    for test in tests:
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0 and attempted > 0, f"{failed} of {attempted} examples failed (see above)"


# ---------------------------------------------------------------------------------------------
# Odd and hostile files: each one problem line, in bounded time and memory, the others checked

MEETING = "  - chapter: 02-scalar-autodiff\n    date: 2025-01-14\n    video: AAAAAAAAAAA\n"
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)

# The words of each diagnosis: a problem line holds its own and no other's.
DIAGNOSES = {
    "alias": "anchors (&name) and aliases (*name) are not allowed",
    "depth": "levels deep",
    "number": "a cohort file's numbers have at most 50",
    "value": "cannot read the value",
    "quotes": "in quotes, as in",
    "empty list": "(an empty list), yet entries follow it",
    "indentation": "check the indentation",
    "character": "is not allowed in a YAML file",
    "utf-8": "is not UTF-8 text",
    "size": "a cohort file may hold at most 256 KB",
    "folder": "is a folder, not a file",
    "link": "is a symbolic link",
    "not regular": "is not a regular file",
    "unread": "not read, so its meetings are not on the site: a cohort file is named cohort-NN.yml",
    "placeholder": "is the example's placeholder, not a video: replace it with the meeting's real",
}
BROKEN_COHORT = "cohort: 2\nmeetings:\n  - chapter: nonexistent\n    date: 2025-13-45\n"


def _special(kind: str):
    def make(path: Path) -> None:
        if kind == "folder":
            path.mkdir()
        elif kind == "broken link":
            path.symlink_to(path.parent / "nowhere.yml")
        elif kind == "link":
            (path.parent.parent / "elsewhere.yml").write_text("cohort: 50\n")
            path.symlink_to(path.parent.parent / "elsewhere.yml")
        else:
            os.mkfifo(path)

    return make


# file content (or a function making the file) -> (diagnosis, more words its problem holds)
ODD_FILES = {
    "billion_laughs.yml": (LAUGHS, "alias", ["line 1, column 4", "&a"]),
    "alias_only.yml": ("cohort: 1\nname: *n\n", "alias", ["*n"]),
    "deep_list.yml": ("cohort: 1\nmeetings: " + "[" * 100_000 + "]" * 100_000, "depth", []),
    "deep_block.yml": ("cohort: 1\nmeetings:\n" + "- " * 50 + "x\n", "depth", ["line 3"]),
    "huge_number.yml": ("cohort: " + "9" * 5000 + "\n", "number", ["5000 characters"]),
    "huge_hex.yml": ("cohort: 0x" + "f" * 5000 + "\n", "number", ["5002 characters"]),
    "empty_int.yml": ("cohort: !!int\n", "value", ["as tag:yaml.org,2002:int"]),
    "unquoted_title.yml": (
        "cohort: 1\nmeetings:\n" + MEETING + "    title: Chain rule: part 2\n",
        "quotes",
        ['put the title in quotes, as in title: "Chain rule: part 2"', "line 6"],
    ),
    "unquoted_name.yml": (
        "cohort: 1\nname: Spring: the first\n",
        "quotes",
        ["put the name in quotes"],
    ),
    "empty_meetings_above.yml": (
        "cohort: 1\nmeetings: []\n\n# the first one\n" + MEETING,
        "empty list",
        ["line 2 says 'meetings: []'", "write 'meetings:' alone on that line"],
    ),
    "empty_meetings_above_unindented.yml": (
        "cohort: 1\nmeetings: []\n" + MEETING.replace("\n  ", "\n").removeprefix("  "),
        "empty list",
        ["line 2 says 'meetings: []'"],
    ),
    "empty_facilitators_above.yml": (
        "cohort: 1\nfacilitators: []\n  - Ada\n",
        "empty list",
        ["'facilitators: []'", "write 'facilitators:' alone"],
    ),
    "bad_indentation.yml": (
        "cohort: 1\nmeetings:\n  - chapter: 02-scalar-autodiff\n   date: 2025-01-14\n",
        "indentation",
        ["line 4"],
    ),
    "control_character.yml": ("cohort: 1\nname: a\x01b\n", "character", ["line 2", "'\\x01'"]),
    "latin1.yml": ("cohort: 1\nname: café\n".encode("latin-1"), "utf-8", ["line 2", "\\xe9"]),
    "too_big.yml": ("cohort: 1\n" + "# padding\n" * 30_000, "size", ["over 256 KB (292 KB)"]),
    "folder.yml": (_special("folder"), "folder", []),
    "broken_link.yml": (_special("broken link"), "link", []),
    "link.yml": (_special("link"), "link", []),
    "fifo.yml": (_special("fifo"), "not regular", []),
    "cohort-02.YML": (BROKEN_COHORT, "unread", ["rename it"]),
    "cohort-02.yml.txt": (BROKEN_COHORT, "unread", []),
    "cohort-02.yaml.TXT": (BROKEN_COHORT, "unread", []),
    "cohort-02": (BROKEN_COHORT, "unread", []),
    "Cohort_3": ("", "unread", []),
    "placeholder.yml": (
        "cohort: 41\nmeetings:\n" + MEETING.replace("AAAAAAAAAAA", '"youtu.be/XXXXXXXXXXX?t=9"'),
        "placeholder",
        ["meeting 1 (02-scalar-autodiff, 2025-01-14): field 'video'"],
    ),
    "placeholder_id.yml": (
        "cohort: 42\nmeetings:\n" + MEETING.replace("AAAAAAAAAAA", "xxxxxxxxxxx"),
        "placeholder",
        ["'xxxxxxxxxxx'"],
    ),
}


@pytest.mark.parametrize("name", ["cohort-02.txt", "2025-01-14-cohort-02-chat.txt", "notes.md"])
def test_other_files_in_the_folder_are_not_taken_for_cohort_files(good, name):
    before = load_cohorts(good)
    (good / name).write_text("18:02 Ann: hello\n")
    assert load_cohorts(good) == before


@pytest.mark.parametrize(
    ("cohort", "start", "number", "seconds"),
    [("010", "0100", 10, 100), ("08", "09", 8, 9), ("01", "007", 1, 7), ("0x0A", "0o17", 10, 15)],
)
def test_numbers_with_a_leading_zero_are_decimal(tmp_path, cohort, start, number, seconds):
    videos_dir = make_book(tmp_path)
    (videos_dir / "cohort-01.yml").write_text(
        f"cohort: {cohort}\nmeetings:\n{MEETING}    start: {start}\n", encoding="utf-8"
    )
    ((loaded,),) = [load_cohorts(videos_dir)]
    assert (loaded.number, loaded.meetings[0].start) == (number, seconds)


def write_odd(videos_dir: Path, name: str) -> None:
    content = ODD_FILES[name][0]
    if callable(content):
        content(videos_dir / name)
    elif isinstance(content, bytes):
        (videos_dir / name).write_bytes(content)
    else:
        (videos_dir / name).write_text(content, encoding="utf-8")


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_odd_file_is_one_problem_naming_its_fix_and_no_other(tmp_path, name):
    videos_dir = make_book(tmp_path)
    write_odd(videos_dir, name)
    (problem,) = problems_of(videos_dir)
    _, diagnosis, words = ODD_FILES[name]
    assert problem.startswith(f"{videos_dir / name}: "), problem
    assert DIAGNOSES[diagnosis] in problem, problem
    for word in words:
        assert word in problem, problem
    for other, other_words in DIAGNOSES.items():
        if other != diagnosis:
            assert other_words not in problem, f"{other!r} fired too: {problem}"
    assert len(problem) < len(str(videos_dir / name)) + 300, problem


def test_every_odd_file_is_reported_and_the_other_files_are_still_checked(tmp_path):
    videos_dir = make_book(tmp_path, FIXTURES / "broken" / "unknown_chapter.yml")
    for name in ODD_FILES:
        write_odd(videos_dir, name)
    write_cohort(videos_dir, [], number=7)
    problems = problems_of(videos_dir)
    assert len(problems) == len(ODD_FILES) + 1, problems
    for name in [*ODD_FILES, "unknown_chapter.yml"]:
        assert sum(p.startswith(f"{videos_dir / name}: ") for p in problems) == 1, name


def test_billion_laughs_is_refused_with_small_memory_and_output(tmp_path):
    """448 bytes of nested aliases expand to a billion strings: refused at the first anchor,
    before anything is built (before: 2.1 GB of memory and 720 MB of error text)."""
    videos_dir = make_book(tmp_path)
    (videos_dir / "laughs.yml").write_text(LAUGHS + "j: &j [" + ", ".join(["*i"] * 9) + "]\n")
    assert (videos_dir / "laughs.yml").stat().st_size < 500
    tracemalloc.start()
    try:
        (problem,) = problems_of(videos_dir)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert DIAGNOSES["alias"] in problem
    assert peak < 5_000_000, f"{peak} bytes"
    result = run_check(str(videos_dir))
    assert result.returncode == 1 and len(result.stderr) < 1000, result.stderr[:1000]


def test_a_list_nested_100000_deep_is_refused_without_recursion(tmp_path):
    videos_dir = make_book(tmp_path)
    write_odd(videos_dir, "deep_list.yml")
    tracemalloc.start()
    try:
        (problem,) = problems_of(videos_dir)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "nested more than 10 levels deep" in problem
    assert peak < 5_000_000, f"{peak} bytes"


# Values a message quotes: an excerpt, never the whole value (before: repr of the structure).
LONG_VALUES = {
    "video": ("x" * 100_000, "is not a YouTube video"),
    "chapter": (list(range(10_000)), "expected a chapter file's name"),
    "date": ({str(i): [i] * 100 for i in range(100)}, "is not a date"),
    "chat_log_file": ("a" * 100_000 + ".txt", ""),
    "title": ([[["deep"] * 100 for _ in range(10)] for _ in range(10)], "expected text"),
}


@pytest.mark.parametrize("field", sorted(LONG_VALUES))
def test_a_long_value_is_quoted_as_a_short_excerpt(tmp_path, field):
    value, words = LONG_VALUES[field]
    meeting = {"chapter": "01-relu-piecewise", "date": "2025-01-14", "video": "AAAAAAAAAAA"}
    videos_dir = make_book(tmp_path)
    write_cohort(videos_dir, [{**meeting, field: value}])
    (problem,) = problems_of(videos_dir)
    assert f"field {field!r}: " in problem and words in problem, problem[:500]
    assert len(problem) < 500, problem[:1000]


def test_a_long_unknown_field_name_is_quoted_as_an_excerpt(tmp_path):
    videos_dir = make_book(tmp_path)
    (videos_dir / "cohort-01.yml").write_text(f"cohort: 1\n? {'k' * 100_000}\n: 1\n")
    (problem,) = problems_of(videos_dir)
    assert "unknown field" in problem and len(problem) < 500, problem[:1000]


def test_a_file_with_thousands_of_problems_lists_the_first_30_and_counts_the_others(tmp_path):
    videos_dir = make_book(tmp_path)
    (videos_dir / "cohort-01.yml").write_text("cohort: 1\nmeetings:\n" + "- 1\n" * 5000)
    problems = problems_of(videos_dir)
    assert len(problems) == 31
    assert problems[-1] == (
        f"{videos_dir / 'cohort-01.yml'}: 4970 more problems not listed; fix the ones above first"
    )


def test_random_bytes_give_problem_lines_never_a_traceback(tmp_path_factory):
    """Mutations of a good cohort file: every one loads or is refused with one-line problems."""
    good_text = (FIXTURES / "good" / "cohort-02.yaml").read_bytes()
    videos_dir = make_book(tmp_path_factory.mktemp("book"))

    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.integers(0, len(good_text)),
                st.integers(0, 5),
                st.binary(max_size=3) | st.sampled_from([b":", b"- ", b"&a", b"*a", b"!!int"]),
            ),
            max_size=4,
        )
    )
    def check(edits):
        data = good_text
        for at, cut, insert in edits:
            data = data[:at] + insert + data[at + cut :]
        (videos_dir / "cohort-02.yaml").write_bytes(data)
        try:
            load_cohorts(videos_dir)
        except VideoConfigError as err:
            assert all("\n" not in p and len(p) < 700 for p in err.problems), err.problems

    check()


# ---------------------------------------------------------------------------------------------
# A chat log file: a regular file directly in the videos folder, nothing else


def _chat_log_targets(root: Path) -> None:
    """Files a chat_log_file must never reach: outside the folder, or through a link."""
    (root / "notes.txt").write_text("SECRET outside the videos folder\n")
    videos_dir = root / "videos"
    (videos_dir / "link.txt").symlink_to(root / "notes.txt")
    (videos_dir / "broken.txt").symlink_to(root / "gone.txt")
    (videos_dir / "folder.txt").mkdir()
    (videos_dir / "sub").mkdir()
    (videos_dir / "sub" / "chat.txt").write_text("SECRET in a sub-folder\n")
    (videos_dir / "big.txt").write_text("x" * 300_000)


# chat_log_file -> words of its problem (after "field 'chat_log_file': ")
CHAT_LOG_NAMES = {
    "../notes.txt": "'../notes.txt' goes up out of the videos folder with '..'",
    "sub/../../notes.txt": "goes up out of the videos folder with '..'",
    "..\\notes.txt": "goes up out of the videos folder with '..'",
    "ABSOLUTE": "is an absolute path",
    "C:\\notes.txt": "is an absolute path",
    "sub/chat.txt": "'sub/chat.txt' has a folder part ('sub/')",
    "link.txt": "file 'link.txt' is a symbolic link",
    "broken.txt": "file 'broken.txt' is a symbolic link",
    "folder.txt": "file 'folder.txt' is a folder, not a file",
    "big.txt": "file 'big.txt' is over 256 KB (292 KB): a chat log may hold at most 256 KB",
    "chat.md": "'chat.md' is not a .txt file name",
    "missing.txt": "file 'missing.txt' not found",
}
CHAT_LOG_WORDS = [
    "goes up out of",
    "is an absolute path",
    "has a folder part",
    "is a symbolic link",
    "is a folder",
    "over 256 KB",
    "is not a .txt file name",
    "not found",
]


@pytest.mark.parametrize("name", sorted(CHAT_LOG_NAMES))
def test_chat_log_file_outside_the_folder_or_not_a_regular_file_is_refused(tmp_path, name):
    videos_dir = make_book(tmp_path)
    _chat_log_targets(tmp_path)
    value = str(tmp_path / "notes.txt") if name == "ABSOLUTE" else name
    meeting = {"chapter": "01-relu-piecewise", "date": "2025-01-14", "video": "AAAAAAAAAAA"}
    write_cohort(videos_dir, [{**meeting, "chat_log_file": value}])
    (problem,) = problems_of(videos_dir)
    field = "meeting 1 (01-relu-piecewise, 2025-01-14): field 'chat_log_file': "
    assert problem.startswith(f"{videos_dir / 'cohort-01.yml'}: {field}"), problem
    expected = CHAT_LOG_NAMES[name]
    assert expected in problem, problem
    assert "SECRET" not in problem
    fired = [words for words in CHAT_LOG_WORDS if words in problem]
    assert len(fired) == 1 and fired[0] in expected, problem
    if name in ("../notes.txt", "ABSOLUTE", "sub/chat.txt", "C:\\notes.txt"):
        assert "no absolute path, no '..', no folder, no symbolic link" in problem


def test_chat_log_file_in_the_folder_is_read(tmp_path):
    videos_dir = make_book(tmp_path)
    (videos_dir / "2025-01-14-chat.txt").write_text("18:02 Ann: hello\n")
    meeting = {"chapter": "01-relu-piecewise", "date": "2025-01-14", "video": "AAAAAAAAAAA"}
    write_cohort(videos_dir, [{**meeting, "chat_log_file": "2025-01-14-chat.txt"}])
    assert load_cohorts(videos_dir)[0].meetings[0].chat_log == "18:02 Ann: hello"


# ---------------------------------------------------------------------------------------------
# check FILE: that one file


def test_cli_check_file_checks_that_file_alone(good, capsys):
    assert videos.main(["check", str(good / "cohort-01.yml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{good / 'cohort-01.yml'}: OK, 1 cohort file, 3 meetings.")
    assert "Checked alone: python3 book/videos.py check checks the whole folder" in out


def test_cli_check_file_reports_only_that_files_problems(tmp_path, capsys):
    videos_dir = broken_folder(tmp_path)
    assert videos.main(["check", str(videos_dir / "bad_date.yml")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("1 problem in the meeting videos files:\n")
    assert f"- {videos_dir / 'bad_date.yml'}: meeting 1" in captured.err
    assert "no such folder" not in captured.err


def test_cli_check_file_finds_the_chapters_beside_its_folder(tmp_path, monkeypatch, capsys):
    """Run from inside videos/ as `check cohort-01.yml`: the chapters are in ../chapters."""
    videos_dir = make_book(tmp_path, FIXTURES / "broken" / "unknown_chapter.yml")
    monkeypatch.chdir(videos_dir)
    assert videos.main(["check", "unknown_chapter.yml"]) == 1
    assert "did you mean '02-scalar-autodiff'?" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("nope.yml", "nope.yml: not found (looked for"),
        ("chat.txt", "is not a cohort file (.yml or .yaml): give one cohort file or the folder"),
    ],
)
def test_cli_check_a_missing_or_non_yaml_file_says_so(tmp_path, capsys, name, words):
    videos_dir = make_book(tmp_path)
    (videos_dir / "chat.txt").write_text("hello\n")
    assert videos.main(["check", str(videos_dir / name)]) == 1
    err = capsys.readouterr().err
    assert words in err and "no such folder" not in err, err


def test_load_cohorts_given_a_file_says_to_give_the_folder(good):
    with pytest.raises(VideoConfigError, match="a file, not a folder: give the folder"):
        load_cohorts(good / "cohort-01.yml")
