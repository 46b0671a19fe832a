"""Shared pytest set-up: hypothesis profiles.

Timing on a shared 2-core machine is noisy, so no example has a deadline. Set
HYPOTHESIS_PROFILE=thorough for a longer local run.
"""

import os

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
