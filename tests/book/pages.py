"""The book's pages as the tests read them, and each page executed once per test session.

What the book lists (`_quarto.yml`), its chapters and sections, and `run(path)`: the one
execution of a page that every book test reading outputs shares (tests/book/test_chapters.py,
test_chapter_rerun.py, test_notebooks.py, test_offline_outputs.py, ...).

One kernel per page, offline, with one BLAS thread, runs in this order:

1. the download notebook's install cell (chapters only);
2. the page's cells before `## Exercises`, each code cell immediately followed by a copy of
   itself: the first runs are the page as Quarto executes it, the pairs are the rerun check;
3. the download notebook's own cells from its `## Exercises` on: starter code, no solutions,
   as "Run all" runs a downloaded notebook (the notebook's cells before that point are the
   page's, which tests/book/test_notebooks.py checks, so step 2 ran them);
4. the page's cells from `## Exercises` on (solutions included), each twice, as in step 2.

Step 4 follows step 3 in the same kernel. The exercises never redefine a chapter name
(test_chapter_rerun.py checks that statically) and the page's exercise cells run its starters
again before its solutions, so what step 3 leaves behind is overwritten before it is read.

Cells run with `allow_errors`: a failing cell does not stop the run, and each test reports the
first error of the part it checks, naming the file, line and cell.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import qmd_notebook
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[2]
QUARTO_YML = ROOT / "_quarto.yml"
CHAPTERS = ROOT / "chapters"
EXERCISES = "Exercises"

# Only so that a hung cell cannot hang the test run. Chapter times are printed by
# `make chapter-times` (benchmarks/chapter_times.py), never asserted: a busy machine is not a bug.
CELL_TIMEOUT = 120


# Run before a page's cells, in the same kernel: any connection to another host fails with a
# clear message, so a chapter that downloads something fails here rather than on a laptop
# without network. The kernel's own sockets are zmq's, which this does not touch.
OFFLINE_PRELUDE = """\
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

# One BLAS/OpenMP thread per kernel: the chapters' matrices are small, and on a shared 2-core
# machine (CI, or tests running beside other work) multithreaded BLAS oversubscribes the cores
# and can make a 5 s chapter take minutes. Single-threaded it is as fast or faster here.
KERNEL_ENV = {
    **os.environ,
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# The title without Quarto's attributes: "## Exercises {#sec-05-exercises}" is "Exercises", and
# so is the download notebook's "## Exercises <a id="sec-05-exercises"></a>".
_HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*(?:\{[^{}]*\}|<a id=\"[^\"]*\"></a>)?\s*#*\s*$")
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


def rel(path: Path) -> str:
    """`path` relative to the repository, as the tests name pages."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def page_cells(path: Path) -> list[dict]:
    """The page's cells as Quarto's Jupyter engine runs them, solutions included."""
    return qmd_notebook.qmd_to_notebook(path.read_text(encoding="utf-8"))["cells"]


def _pages_with_code() -> list[Path]:
    """Pages to execute: the chapters on disk, plus listed pages (index, videos) with cells."""
    pages = set(qmd_notebook.chapter_files(ROOT))
    try:
        pages.update(ROOT / name for name in listed_files(load_config()))
    except (OSError, yaml.YAMLError, AttributeError):
        pass  # test_quarto_yml_parses reports it; still run the chapters found on disk
    with_code = []
    for page in pages:
        if page.suffix == ".qmd" and page.exists():
            try:
                cells = page_cells(page)
            except qmd_notebook.QmdError:
                with_code.append(page)  # test_page_runs_top_to_bottom reports where it breaks
                continue
            if any(cell["cell_type"] == "code" for cell in cells):
                with_code.append(page)
    return sorted(with_code)


PAGES = _pages_with_code()
CHAPTER_FILES = qmd_notebook.chapter_files(ROOT)


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


def exercises_start(cells: list[dict]) -> int:
    """The index of the cell holding `## Exercises`, or len(cells) if there is none."""
    return next((i for title, i in top_level_headings(cells) if title == EXERCISES), len(cells))


# Quarto cross-reference labels: a cell's `#| label: fig-x` or a `{#fig-x}` attribute.
_LABEL = re.compile(
    r"^#\|\s*label:\s*(?P<label>\S+)\s*$|\{#(?P<attr>(?:fig|tbl|sec|eq)-[\w-]+)", re.MULTILINE
)


def labels(text: str) -> list[str]:
    return [m["label"] or m["attr"] for m in _LABEL.finditer(text)]


def cell_label(path: Path, cells: list, index: int) -> str:
    """Where a cell is: file, line in the .qmd, notebook cell number, and its first lines."""
    source = cells[index]["source"]
    text = path.read_text(encoding="utf-8")
    at = text.find(source) if source else -1
    line = f"line {text.count(chr(10), 0, at) + 1} " if at >= 0 else ""
    head = "\n".join("    " + s for s in source.splitlines()[:3])
    return f"{rel(path)}, {line}(notebook cell {index}):\n{head}"


def cell_error(cell: dict) -> str | None:
    """The cell's error as `Name: message` and the end of its traceback, unless it may raise."""
    if "raises-exception" in cell.get("metadata", {}).get("tags", []):
        return None
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            trace = ANSI.sub("", "\n".join(out.get("traceback", []))).strip().splitlines()
            tail = "\n".join("    " + line for line in trace[-12:])
            return f"{out['ename']}: {out['evalue']}\n--- traceback (end) ---\n{tail}"
    return None


def first_error(path: Path, cells: list) -> str | None:
    """The first cell of `cells` that failed, named, with its error; None if none failed."""
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and (error := cell_error(cell)) is not None:
            return f"{cell_label(path, cells, index)}\nraised {error}"
    return None


def warm_matplotlib():
    """Build matplotlib's font cache here, not in a chapter: on a fresh install the first import
    logs "Matplotlib is building the font cache" to stderr, which is not the chapter's fault."""
    try:
        import matplotlib.font_manager  # noqa: F401
    except ImportError:
        pass  # the chapter that needs it fails with a clear ImportError


# --- one execution per page -----------------------------------------------------------------


@dataclass
class Run:
    """A page executed once (see the module docstring); the book's tests share it."""

    path: Path
    cells: list  # the page's cells, each code cell with the outputs of its first run
    pairs: list[tuple[int, dict, dict]]  # (index in `cells`, first run, second run) per code cell
    notebook: dict | None  # the download notebook; its install and exercise cells executed
    notebook_executed: list[int] = field(default_factory=list)  # their indices in `notebook`
    stopped: str | None = None  # why the kernel stopped early (timeout, crash), or None

    @property
    def error(self) -> str | None:
        """What failed in the page's own cells (first runs), naming the cell; None if nothing."""
        return self.stopped or first_error(self.path, self.cells)

    def notebook_error(self) -> str | None:
        """What failed among the download notebook's executed cells; None if nothing."""
        if self.stopped:
            return self.stopped
        cells = self.notebook["cells"]
        for index in self.notebook_executed:
            if (error := cell_error(cells[index])) is not None:
                head = "\n".join("    " + s for s in cells[index]["source"].splitlines()[:3])
                return f"notebooks/{self.path.stem}.ipynb, cell {index}:\n{head}\nraised {error}"
        return None


_runs: dict[Path, Run] = {}


def download_notebook(path: Path) -> dict:
    """The notebook a reader downloads for chapter `path`, as the pre-render step writes it."""
    book = qmd_notebook.Book.from_root(ROOT)
    text = path.read_text(encoding="utf-8")
    return qmd_notebook.downloadable_notebook(text, path.stem, book)


def run(path: Path) -> Run:
    """Execute page `path` once per test session, as the module docstring says; reuse it after."""
    if path in _runs:
        return _runs[path]
    from conftest import shared_run

    # `make test` gives each xdist worker its own session: only the tests that name the page in
    # their id are kept on one worker, so a test that runs a page without naming it would make
    # a second execution of the page on another worker.
    test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    assert not test or shared_run(test) == path.stem, (
        f"{test} runs {rel(path)} without naming it in its id: parametrise it by the page "
        "(tests/conftest.py keeps the tests that name a page on one worker)"
    )
    warm_matplotlib()
    cells = [nbformat.from_dict(cell) for cell in page_cells(path)]
    is_chapter = path in CHAPTER_FILES
    notebook = download_notebook(path) if is_chapter else None
    plan: list[tuple[str, int]] = []  # ("page" | "again" | "notebook", index) per executed cell
    if notebook is not None:
        nb_cells = notebook["cells"]
        install = next(i for i, c in enumerate(nb_cells) if c["cell_type"] == "code")
        plan.append(("notebook", install))
    split = exercises_start(cells)
    for index in range(split):
        if cells[index]["cell_type"] == "code":
            plan += [("page", index), ("again", index)]
    if notebook is not None:
        nb_cells = notebook["cells"]
        start = exercises_start(nb_cells)
        plan += [
            ("notebook", i)
            for i in range(start, len(nb_cells))
            if nb_cells[i]["cell_type"] == "code"
        ]
    for index in range(split, len(cells)):
        if cells[index]["cell_type"] == "code":
            plan += [("page", index), ("again", index)]

    executed = [nbformat.v4.new_code_cell(OFFLINE_PRELUDE)]
    for kind, index in plan:
        source = notebook["cells"][index] if kind == "notebook" else cells[index]
        cell = nbformat.from_dict(copy.deepcopy(source))
        cell["id"] = f"{kind}-{index}"  # ids must be unique in the executed notebook
        executed.append(cell)
    nb = nbformat.v4.new_notebook(cells=executed)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
        # The outputs are in once the last cell has run: stopping the kernel gracefully would
        # only wait about half a second a page for it to exit.
        shutdown_kernel="immediate",
    )
    stopped = None
    try:
        client.execute(env=KERNEL_ENV)
    except (CellTimeoutError, DeadKernelError) as err:
        stopped = f"{rel(path)}: execution stopped: {type(err).__name__}: {ANSI.sub('', str(err))}"

    result_cells = [copy.deepcopy(cell) for cell in cells]
    firsts: dict[int, dict] = {}
    pairs = []
    notebook_executed = []
    for (kind, index), done in zip(plan, nb.cells[1:], strict=True):
        if kind == "page":
            firsts[index] = done
            result_cells[index] = done
        elif kind == "again":
            pairs.append((index, firsts[index], done))
        else:
            notebook["cells"][index] = dict(done)
            notebook_executed.append(index)
    _runs[path] = Run(
        path=path,
        cells=result_cells,
        pairs=pairs,
        notebook=notebook,
        notebook_executed=notebook_executed,
        stopped=stopped,
    )
    return _runs[path]
