"""Shared pytest set-up: hypothesis profiles, and no silent skips in CI.

Timing on a shared 2-core machine is noisy, so no example has a deadline. Set
HYPOTHESIS_PROFILE=thorough for a longer local run.

Tests that need a system program (Chromium, pandoc, Graphviz) skip with the reason on a laptop
without it. `.ci/run` installs them all and sets PYBACKPROP_REQUIRE_SYSTEM_TOOLS=1, and then a
skipped test fails the run: in CI a skip would hide a failure.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

REQUIRE_ALL = os.environ.get("PYBACKPROP_REQUIRE_SYSTEM_TOOLS") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped, but PYBACKPROP_REQUIRE_SYSTEM_TOOLS=1 (CI) requires every test to run: {reason}"


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
