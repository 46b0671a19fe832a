"""Shared pytest set-up: hypothesis profiles, and the built package (sdist and wheel).

Timing on a shared 2-core machine is noisy, so no example has a deadline. Set
HYPOTHESIS_PROFILE=thorough for a longer local run.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import HealthCheck, settings

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


# --- the built package (tests/test_release.py, tests/test_installed_wheel.py) -----------------

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
