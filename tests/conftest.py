"""Shared pytest set-up: hypothesis profiles, the built package (sdist and wheel), and no
silent skips in CI.

Timing on a shared 2-core machine is noisy, so no example has a deadline. Set
HYPOTHESIS_PROFILE=thorough for a longer local run.

Tests that need a system program (Chromium, pandoc, Graphviz) skip with the reason on a laptop
without it. `.ci/run` installs them all and sets PYBACKPROP_REQUIRE_SYSTEM_TOOLS=1, and then a
skipped test fails the run: in CI a skip would hide a failure.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, settings

REQUIRE_ALL = os.environ.get("PYBACKPROP_REQUIRE_SYSTEM_TOOLS") == "1"

# The book's own tools (book/videos.py, book/qmd_notebook.py, ...) are scripts beside the
# package, not part of it: the tests import them as top-level modules (`import videos`) from
# that folder, as each script imports its neighbours when Quarto or an organiser runs it.
BOOK_TOOLS = Path(__file__).resolve().parent.parent / "book"
sys.path.insert(0, str(BOOK_TOOLS))


def _shared_run(item) -> str | None:
    """The one expensive thing the test shares with others, if any: a page's execution
    (tests/book/pages.py) or the built wheel and its environment (tests/repo/)."""
    if {"dists", "member_env"} & set(getattr(item, "fixturenames", ())):
        return "dists"
    for value in getattr(getattr(item, "callspec", None), "params", {}).values():
        name = value.name if isinstance(value, Path) else value
        if isinstance(name, str) and name.endswith(".qmd"):
            return Path(name).stem
        if isinstance(name, str) and name[:2].isdigit() and name[2:3] == "-":
            return name  # a chapter's stem, e.g. "02-scalar-autodiff"
    return None


def pytest_collection_modifyitems(items):
    # With pytest-xdist (`make test` runs `pytest -n auto --dist loadgroup`) each worker has its
    # own session: tests that share a page's one execution, or the built wheel, go to the same
    # worker, so each is still made once per run.
    for item in items:
        if (group := _shared_run(item)) is not None:
            item.add_marker(pytest.mark.xdist_group(group))


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
        root = Path(__file__).resolve().parent.parent
        built = subprocess.run(
            [sys.executable, "-m", "build", "--outdir", str(folder), str(root)],
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
