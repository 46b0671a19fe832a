"""Shared pytest set-up: hypothesis profiles, the built package (sdist and wheel), and no
silent skips in CI.

Timing on a shared 2-core machine is noisy, so no example has a deadline. Set
HYPOTHESIS_PROFILE=thorough for a longer local run.

Tests that need a system program (Chromium, pandoc, Graphviz) skip with the reason on a laptop
without it. `.ci/run` installs them all and sets PYBACKPROP_REQUIRE_SYSTEM_TOOLS=1, and then a
skipped test fails the run: in CI a skip would hide a failure.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, settings

REQUIRE_ALL = os.environ.get("PYBACKPROP_REQUIRE_SYSTEM_TOOLS") == "1"

# One BLAS/OpenMP thread per test process (set before numpy and torch are first imported, and
# inherited by the xdist workers, the chapters' kernels and the tests' subprocesses): the tests'
# arrays are small, and `make test` runs a worker per core. With torch's default of a thread per
# core, every worker's OpenMP threads compete for the same cores and spin-wait: on a busy 2-core
# machine a (5, 7) torch.log_softmax took 0.9 ms instead of 3 us. Set a variable to override it.
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

# The book's own tools (book/videos.py, book/qmd_notebook.py, ...) are scripts beside the
# package, not part of it: the tests import them as top-level modules (`import videos`) from
# that folder, as each script imports its neighbours when Quarto or an organiser runs it.
ROOT = Path(__file__).resolve().parent.parent
BOOK_TOOLS = ROOT / "book"
sys.path.insert(0, str(BOOK_TOOLS))


# A page's one execution (tests/book/pages.py) and the built wheel (tests/repo) are made once
# per session, and with pytest-xdist each worker has its own session: the tests that share one
# must run on one worker. A chapter's tests name it in their parameters ("[chapters/02-x.qmd]",
# "[02-x]"); the wheel's are two files.
_PAGE_PARAM = re.compile(r"\[(?:[\w-]+/)*(?P<page>[\w-]+)\.qmd\]$|\[(?P<stem>\d\d-[\w-]+)\]$")
_DISTS_FILES = ("tests/repo/test_release.py::", "tests/repo/test_installed_wheel.py::")


def shared_run(nodeid: str) -> str:
    """The name of what the test `nodeid` shares with others (a page, the wheel), or nodeid."""
    if nodeid.startswith(_DISTS_FILES):
        return "dists"
    if match := _PAGE_PARAM.search(nodeid):
        return match["page"] or match["stem"]
    return nodeid


def pytest_xdist_make_scheduler(config, log):
    """`pytest -n auto --dist loadgroup` (make test): tests sharing a run go to one worker.

    xdist's own loadgroup reads `xdist_group` marks through node ids, which pytest 9.2 no longer
    lets a plugin rewrite; this scheduler groups by the node id itself (`shared_run`).
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedRunScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return shared_run(nodeid)

    return SharedRunScheduling(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = (
            "skipped, but PYBACKPROP_REQUIRE_SYSTEM_TOOLS=1 (CI) requires every test to run: "
            f"{reason}"
        )


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright (tests/browser.py says which executable)."""
    from tests.browser import ARGS, CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if CHROMIUM is None:
        pytest.skip("needs Chromium: apt-get install chromium")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def _session_tab(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def tab(_session_tab):
    """A browser tab on a blank page, with Playwright's defaults (1280x720, light, no routes).

    One tab per session, loaded with one test's page after another: opening a tab starts a
    renderer process (0.2-0.5 s on a 2-core machine, longer than most of these tests take),
    and loading a document into an open tab does not.
    """
    page = _session_tab
    page.unroute_all()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.emulate_media(media="screen", color_scheme="light")
    page.goto("about:blank")
    return page


settings.register_profile(
    "default",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# --- the built package (tests/repo/test_release.py, tests/repo/test_installed_wheel.py) ---

# A folder holding the sdist and the wheel to test instead of building them: the release
# workflow sets it, so that the files it publishes are the files these tests checked.
DIST_ENV = "PYBACKPROP_DIST"


class Dists(NamedTuple):
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def dists(tmp_path_factory) -> Dists:
    """The sdist and wheel under test: $PYBACKPROP_DIST's, or built once per session here as
    the release workflow builds them (`python -m build`: the sdist, then the wheel from it)."""
    if os.environ.get(DIST_ENV):
        folder = Path(os.environ[DIST_ENV]).resolve()
    else:
        folder = tmp_path_factory.mktemp("dist")
        built = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(folder), str(ROOT)],
            capture_output=True,
            text=True,
            timeout=900,
        )
        if built.returncode != 0:
            pytest.fail(f"python -m build failed:\n{built.stdout[-3000:]}{built.stderr[-3000:]}")
    sdists, wheels = sorted(folder.glob("*.tar.gz")), sorted(folder.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, (
        f"{folder} must hold one sdist and one wheel, not {[p.name for p in sdists + wheels]}"
    )
    return Dists(sdist=sdists[0], wheel=wheels[0])


# --- the generated Reference (tests/book/test_reference.py, tests/book/test_site_pages.py) ---

# Session scope, not module scope: `make test` keeps a page's tests on one worker, so the tests
# of test_reference.py run between other modules' and a module-scoped build was redone each time
# (about 15 builds of 2 s a session).
QUARTODOC = Path(sys.executable).with_name("quartodoc")
_ANCHOR = re.compile(r"\{\s*#(?P<id>[\w.\-]+)\s*\}")


@pytest.fixture(scope="session")
def reference_dir(tmp_path_factory) -> Path:
    """The folder of pages that `quartodoc build` generates from a copy of `_quarto.yml`."""
    from tests.book.pages import load_config

    site = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "_quarto.yml", site / "_quarto.yml")
    renderer = load_config()["quartodoc"]["renderer"]["style"]
    if renderer.endswith(".py"):
        # quartodoc imports the module named "book.reference_renderer" from where it runs.
        path = Path(*renderer.removesuffix(".py").split(".")).with_suffix(".py")
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, site / path)
    assert QUARTODOC.exists(), f"quartodoc is not installed next to {sys.executable}"
    result = subprocess.run(
        [str(QUARTODOC), "build", "--config", "_quarto.yml"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"quartodoc build failed:\n{result.stdout}\n{result.stderr}"
    return site / load_config()["quartodoc"]["dir"]


@pytest.fixture(scope="session")
def reference(reference_dir) -> dict[str, set[str]]:
    """Generated page name (e.g. "nn") -> the entry ids it defines."""
    return {
        page.stem: {m["id"] for m in _ANCHOR.finditer(page.read_text(encoding="utf-8"))}
        for page in reference_dir.glob("*.qmd")
    }
