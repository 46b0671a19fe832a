"""The real browser that tests of HTML, CSS and JavaScript use: the system's Chromium.

Playwright cannot download its own browser here, so it drives the one the system has (Debian's
`chromium`, which `.ci/run` installs; Ubuntu's name for it; or the Chrome that GitHub's runners
have). The `browser` fixture in conftest.py launches it once per session.
"""

from __future__ import annotations

import shutil

CHROMIUM = next(
    filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome"])), None
)
# Headless as root, with no background connections: this machine's network is closed and
# Chromium would otherwise keep trying (and failing) to reach Google's services.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
