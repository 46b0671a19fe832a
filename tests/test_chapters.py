"""The book: its structure, and every chapter executed the way Quarto's Jupyter engine runs it.

Each page with Python cells is turned into a notebook by `book/qmd_notebook.py`'s
`qmd_to_notebook`, which keeps every cell as Quarto runs it, solutions included (the download
notebooks show solutions without running them; tests/test_notebooks.py runs those), and
executed top to bottom with nbclient in a fresh `python3` kernel, with the page's own folder as
working directory, offline. A failure names the file, the cell (its number and line in the
.qmd, its first lines) and the error. Each chapter's run time is printed in the terminal
summary (and kept in pytest's cache under `pybackprop/chapter_seconds`); a chapter slower than
MAX_SECONDS fails.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import qmd_notebook
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
QUARTO_YML = ROOT / "_quarto.yml"
CHAPTERS = ROOT / "chapters"

# Budget per chapter on a 2-core machine (kernel start included). Over it is a bug in the
# chapter (use smaller data or fewer steps), reported as a failure, not a timeout.
MAX_SECONDS = 20.0
# Only so that a hung cell cannot hang the test run; MAX_SECONDS is the real limit.
CELL_TIMEOUT = 120

# Run before a page's cells, in the same kernel: any connection to another host fails with a
# clear message, so a chapter that downloads something fails here rather than on a laptop
# without network. The kernel's own sockets are zmq's, which this does not touch.
_OFFLINE_PRELUDE = """\
def _pybackprop_offline():
    import socket
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    local = {"localhost", "127.0.0.1", "::1"}

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in local:
            raise OSError(f"chapters must run offline, but this cell connects to {address!r}")

    def guarded_connect(sock, address):
        check(sock, address)
        return connect(sock, address)

    def guarded_connect_ex(sock, address):
        check(sock, address)
        return connect_ex(sock, address)

    socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex

_pybackprop_offline()
del _pybackprop_offline
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The title without Quarto's attributes: "## Exercises {#sec-05-exercises}" is "Exercises".
_HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*(?:\{[^{}]*\})?\s*#*\s*$")
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_DIV = re.compile(r"^(:{3,})\s*(?P<rest>.*)$")


# --- what the book lists --------------------------------------------------------------------


def load_config() -> dict:
    return yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))


def listed_files(config: dict) -> list[str]:
    """Every file of `book: chapters` (inside parts too) and `book: appendices`, in order."""

    def walk(entries):
        for entry in entries or []:
            if isinstance(entry, str):
                yield entry
            elif isinstance(entry, dict):
                # A part is either `part: "Title"` or `part: file.qmd`; the latter is a page.
                if str(entry.get("part", "")).endswith((".qmd", ".ipynb", ".md")):
                    yield entry["part"]
                yield from walk(entry.get("chapters"))

    book = config.get("book") or {}
    return list(walk(book.get("chapters"))) + list(walk(book.get("appendices")))


def chapter_files() -> list[Path]:
    return qmd_notebook.chapter_files(ROOT)


def _rel(path: Path) -> str:
    """`path` relative to the repository, as the tests name pages."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def _pages_with_code() -> list[Path]:
    """Pages to execute: the chapters on disk, plus listed pages (index, videos) with cells."""
    pages = set(chapter_files())
    try:
        pages.update(ROOT / name for name in listed_files(load_config()))
    except (OSError, yaml.YAMLError, AttributeError):
        pass  # test_quarto_yml_parses reports it; still run the chapters found on disk
    with_code = []
    for page in pages:
        if page.suffix == ".qmd" and page.exists():
            try:
                cells = qmd_notebook.qmd_to_notebook(page.read_text(encoding="utf-8"))["cells"]
            except qmd_notebook.QmdError:
                with_code.append(page)  # test_page_runs_top_to_bottom reports where it breaks
                continue
            if any(cell["cell_type"] == "code" for cell in cells):
                with_code.append(page)
    return sorted(with_code)


PAGES = _pages_with_code()
CHAPTER_FILES = chapter_files()


# --- structure --------------------------------------------------------------------------------


def test_quarto_yml_parses():
    config = load_config()
    assert isinstance(config, dict), f"{QUARTO_YML} is not a YAML mapping"
    assert config.get("project", {}).get("type") == "book", "_quarto.yml must be a book project"
    assert listed_files(config), "_quarto.yml lists no chapters under book: chapters"


def test_every_listed_file_exists():
    # reference/*.qmd is generated by `quartodoc build`; tests/test_reference.py checks it.
    missing = [
        name
        for name in listed_files(load_config())
        if not name.startswith("reference/") and not (ROOT / name).exists()
    ]
    assert not missing, f"_quarto.yml lists files that do not exist: {missing}"


def test_every_chapter_is_listed():
    listed = set(listed_files(load_config()))
    unlisted = [_rel(path) for path in CHAPTER_FILES if _rel(path) not in listed]
    assert not unlisted, (
        f"chapters not listed in _quarto.yml (book: chapters): {unlisted}; "
        "list them, or start the file name with '_' if it is not a chapter"
    )


def test_listed_chapters_are_in_numbered_order():
    listed = [name for name in listed_files(load_config()) if name.startswith("chapters/")]
    assert listed == sorted(listed), f"chapters/ files are not listed in reading order: {listed}"


def test_render_targets_cover_every_listed_page():
    targets = load_config()["project"].get("render")
    if targets is None:
        return  # Quarto renders every page
    keep = [t for t in targets if not t.startswith("!")]
    drop = [t[1:] for t in targets if t.startswith("!")]
    skipped = [
        name
        for name in listed_files(load_config())
        if not any(fnmatch.fnmatch(name, t) for t in keep)
        or any(fnmatch.fnmatch(name, t) for t in drop)
    ]
    assert not skipped, f"project: render in _quarto.yml leaves out listed pages: {skipped}"


def test_pre_render_writes_a_valid_notebook_per_chapter(tmp_path):
    project = load_config()["project"]
    scripts = project["pre-render"]
    scripts = [scripts] if isinstance(scripts, str) else scripts
    assert any((ROOT / s.split()[-1]).exists() for s in scripts), f"pre-render: {scripts}?"
    assert "notebooks/" in project.get("resources", []), "notebooks/ must be a project resource"
    written = qmd_notebook.write_notebooks(ROOT, tmp_path)
    assert sorted(p.stem for p in written) == sorted(p.stem for p in CHAPTER_FILES)
    for path in written:
        nbformat.validate(nbformat.read(path, as_version=4))


# Quarto cross-references: `@fig-x` in prose, defined by a cell's `#| label: fig-x` or by a
# `{#fig-x}` attribute. In a book they resolve across chapters, so labels are book-wide.
_XREF = re.compile(r"(?<![\w@.])@(?P<label>(?:fig|tbl|sec|eq)-[\w-]*\w)")
_LABEL = re.compile(
    r"^#\|\s*label:\s*(?P<label>\S+)\s*$|\{#(?P<attr>(?:fig|tbl|sec|eq)-[\w-]+)", re.MULTILINE
)


def _labels(text: str) -> list[str]:
    return [m["label"] or m["attr"] for m in _LABEL.finditer(text)]


def test_cross_references_resolve_and_labels_are_unique():
    pages = {
        _rel(ROOT / name): (ROOT / name).read_text(encoding="utf-8")
        for name in listed_files(load_config())
        if not name.startswith("reference/")  # generated: entry ids, no cross-references
    }
    labels = [(label, page) for page, text in pages.items() for label in _labels(text)]
    seen: dict[str, str] = {}
    duplicates = []
    for label, page in labels:
        if label in seen:
            duplicates.append(f"{label} ({seen[label]} and {page})")
        seen.setdefault(label, page)
    assert not duplicates, f"labels defined twice (book-wide labels must be unique): {duplicates}"
    unresolved = [
        f"{page}: @{m['label']}"
        for page, text in pages.items()
        for m in _XREF.finditer(text)
        if m["label"] not in seen
    ]
    assert not unresolved, f"cross-references with no matching label: {unresolved}"


# --- required sections ------------------------------------------------------------------------


def top_level_headings(cells: list[dict]) -> list[tuple[str, int]]:
    """(title, cell index) of each `## ` heading outside code blocks and `:::` divs."""
    headings = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        fence, depth = None, 0
        for line in cell["source"].splitlines():
            fence_match = _FENCE.match(line)
            if fence is not None:
                if (
                    fence_match
                    and fence_match.group(1)[0] == fence[0]
                    and len(fence_match.group(1)) >= len(fence)
                    and not line.strip().strip(fence[0])
                ):
                    fence = None
                continue
            if fence_match:
                fence = fence_match.group(1)
                continue
            div = _DIV.match(line)
            if div:
                depth = depth + 1 if div["rest"] else max(depth - 1, 0)
                continue
            heading = _HEADING.match(line)
            if heading and depth == 0:
                headings.append((heading["title"], index))
    return headings


def meeting_videos_section(path: Path) -> str:
    """What follows a page's `## Meeting videos` heading: the placeholder the filter fills."""
    return path.read_text(encoding="utf-8").rpartition("\n## Meeting videos\n")[2].strip()


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=_rel)
def test_chapter_has_title_and_notebook_link(path):
    text = path.read_text(encoding="utf-8")
    meta, body = qmd_notebook.parse_front_matter(text)
    assert meta.get("title"), f"{_rel(path)}: front matter needs a title"
    before_first_heading = body.split("\n## ", 1)[0]
    link = f"../notebooks/{path.stem}.ipynb"
    assert link in before_first_heading, f"{_rel(path)}: link {link} missing above the first ##"


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=_rel)
def test_chapter_has_required_sections(path):
    cells = qmd_notebook.qmd_to_notebook(path.read_text(encoding="utf-8"))["cells"]
    titles = [title for title, _ in top_level_headings(cells)]
    name = _rel(path)
    assert titles, f"{name}: no ## sections"
    assert titles[0] == "Learning objectives", f"{name}: first section is {titles[0]!r}"
    assert "Exercises" in titles, f"{name}: no '## Exercises' section (sections: {titles})"
    assert titles[-1] == "Meeting videos", f"{name}: last section is {titles[-1]!r}"


@pytest.mark.parametrize("path", CHAPTER_FILES, ids=_rel)
def test_meeting_videos_section_is_only_the_placeholder(path):
    expected = meeting_videos_section(CHAPTERS / "_template.qmd")
    assert expected and "```" not in expected, f"chapters/_template.qmd: {expected!r}"
    assert meeting_videos_section(path) == expected, (
        f"{_rel(path)}: '## Meeting videos' must hold only the template's placeholder, which "
        f"book/meeting-videos.lua replaces with the videos at every render:\n{expected}"
    )


# --- execution --------------------------------------------------------------------------------


@dataclass
class Run:
    """A page executed once; the tests below share it."""

    path: Path
    cells: list  # the page's cells after execution (without the prelude)
    seconds: float
    error: str | None  # what failed, naming the cell, or None


_runs: dict[Path, Run] = {}


def _cell_label(path: Path, cells: list, index: int) -> str:
    source = cells[index]["source"]
    text = path.read_text(encoding="utf-8")
    at = text.find(source) if source else -1
    line = f"line {text.count(chr(10), 0, at) + 1} " if at >= 0 else ""
    head = "\n".join("    " + s for s in source.splitlines()[:3])
    return f"{_rel(path)}, {line}(notebook cell {index}):\n{head}"


def _describe_failure(path: Path, cells: list, err: Exception) -> str:
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors and "raises-exception" not in tags:
            out = errors[0]
            trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
            trace = "\n".join(trace.strip().splitlines()[-12:])
            return (
                f"{_cell_label(path, cells, index)}\nraised {out['ename']}: {out['evalue']}"
                f"\n--- traceback (end) ---\n{trace}"
            )
    return f"{_rel(path)}: execution failed: {type(err).__name__}: {_ANSI.sub('', str(err))}"


def _warm_matplotlib():
    """Build matplotlib's font cache here, not in a chapter: on a fresh install the first import
    logs "Matplotlib is building the font cache" to stderr, which is not the chapter's fault."""
    try:
        import matplotlib.font_manager  # noqa: F401
    except ImportError:
        pass  # the chapter that needs it fails with a clear ImportError


# One BLAS/OpenMP thread per kernel: the chapters' matrices are small, and on a shared 2-core
# machine (CI, or tests running beside other work) multithreaded BLAS oversubscribes the cores
# and can make a 5 s chapter take minutes. Single-threaded it is as fast or faster here.
_KERNEL_ENV = {
    **os.environ,
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def execute(path: Path) -> Run:
    """Execute `path` once per test session, as Quarto would; later calls reuse the run."""
    if path in _runs:
        return _runs[path]
    _warm_matplotlib()
    nb = nbformat.from_dict(qmd_notebook.qmd_to_notebook(path.read_text(encoding="utf-8")))
    nb.cells.insert(0, nbformat.v4.new_code_cell(_OFFLINE_PRELUDE))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    start = time.perf_counter()
    try:
        client.execute(env=_KERNEL_ENV)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        error = err
    seconds = time.perf_counter() - start
    cells = nb.cells[1:]
    description = None if error is None else _describe_failure(path, cells, error)
    _runs[path] = Run(path=path, cells=cells, seconds=seconds, error=description)
    return _runs[path]


class _ChapterTimes:
    """A plugin registered by the fixture below: prints run times in the terminal summary."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def pytest_terminal_summary(self, terminalreporter):
        if not self.seconds:
            return
        terminalreporter.write_sep("-", "chapter run times (fresh kernel, incl. start-up)")
        for name, seconds in sorted(self.seconds.items()):
            flag = f"  OVER {MAX_SECONDS:.0f} s" if seconds > MAX_SECONDS else ""
            terminalreporter.write_line(f"{seconds:6.1f} s  {name}{flag}")


@pytest.fixture(scope="session")
def chapter_times(pytestconfig):
    times = _ChapterTimes()
    pytestconfig.pluginmanager.register(times, "pybackprop-chapter-times")
    yield times.seconds
    if getattr(pytestconfig, "cache", None) is not None:
        pytestconfig.cache.set("pybackprop/chapter_seconds", times.seconds)


@pytest.fixture
def run(request, chapter_times) -> Run:
    path = request.param
    result = execute(path)
    chapter_times[_rel(path)] = round(result.seconds, 2)
    return result


def _skip_if_failed(result: Run):
    if result.error is not None:
        pytest.skip("the page does not run; see test_page_runs_top_to_bottom")


@pytest.mark.parametrize("run", PAGES, ids=_rel, indirect=True)
def test_page_runs_top_to_bottom(run):
    assert run.error is None, run.error


@pytest.mark.parametrize("run", PAGES, ids=_rel, indirect=True)
def test_page_writes_nothing_to_stderr(run):
    _skip_if_failed(run)
    found = []
    for index, cell in enumerate(run.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"{_cell_label(run.path, run.cells, index)}\n  stderr: {out['text']}")
    assert not found, "stderr output (warnings) would show on the page:\n" + "\n".join(found)


@pytest.mark.parametrize("run", PAGES, ids=_rel, indirect=True)
def test_page_runs_within_time_budget(run):
    _skip_if_failed(run)
    assert run.seconds <= MAX_SECONDS, (
        f"chapter too slow: {_rel(run.path)} took {run.seconds:.1f} s, over the "
        f"{MAX_SECONDS:.0f} s budget on 2 cores; use smaller data or fewer steps, or cache"
    )


def test_kernel_is_the_test_python():
    """Chapters must run in the environment that has this pybackprop (Quarto: QUARTO_PYTHON)."""
    cell = nbformat.v4.new_code_cell("import sys; print(sys.executable)")
    nb = nbformat.v4.new_notebook(cells=[cell])
    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3").execute()
    kernel_python = nb.cells[0].outputs[0]["text"].strip()
    # Not resolved: a venv's python is a symlink to the base interpreter, which lacks pybackprop.
    assert os.path.abspath(kernel_python) == os.path.abspath(sys.executable), (
        f"the python3 kernel runs {kernel_python}, the tests run {sys.executable}"
    )
