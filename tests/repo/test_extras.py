"""The install extras members use: light for the chapters, and a notebook front end on request.

`pip install "pybackprop[book]"` is what running a chapter needs; it used to pull in about 70
packages because fastprogress 1.1 requires python-fasthtml (a web framework with uvicorn,
starlette, httpx, oauthlib, ...), none of which a chapter uses. `train.fit` now draws its own
progress bar. The README's "In a meeting" says how to open a chapter's notebook: with the
`notebook` extra (Jupyter Notebook 7), or in a Jupyter one already has.

The dependency closure is read from the installed packages' metadata (the test environment has
the book extra installed), so no network is needed.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib")  # Python 3.11+ reads pyproject.toml

ROOT = Path(__file__).resolve().parents[2]
# A web server and its kin: nothing a chapter runs needs them.
WEB_STACK = {"python-fasthtml", "uvicorn", "starlette", "httpx", "oauthlib", "fastprogress"}


def extras() -> dict[str, list[str]]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def closure(requirements: list[str]) -> set[str]:
    """Every distribution that installing `requirements` brings, read from installed metadata."""
    seen: set[str] = set()
    todo = [(Requirement(r), set()) for r in requirements]
    while todo:
        req, _ = todo.pop()
        name = canonicalize_name(req.name)
        if name == "pybackprop":
            for extra in req.extras:
                todo.extend((Requirement(r), set()) for r in extras()[extra])
            continue
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is not installed: install the test extra first")
        for spec in dist.requires or []:
            child = Requirement(spec)
            if child.marker is None or child.marker.evaluate({"extra": ""}):
                todo.append((child, set()))
    return seen


def test_book_extra_has_no_progress_bar_package():
    assert not names(extras()["book"]) & {"fastprogress", "tqdm"}, extras()["book"]


def test_book_extra_brings_no_web_server():
    brought = closure(extras()["book"])
    assert not brought & WEB_STACK, f"the book extra brings {sorted(brought & WEB_STACK)}"
    # `pip install --dry-run --report` into an empty venv counted 70 packages with
    # fastprogress 1.1 and 48 without (pybackprop included; 2026-12): the kernel, matplotlib,
    # graphviz, PyYAML (since moved to the site extra) and their own dependencies. The margin
    # is for platform-only packages.
    assert len(brought) < 55, f"the book extra brings {len(brought)} packages: {sorted(brought)}"


def test_notebook_extra_brings_a_front_end_and_the_book():
    notebook = extras()["notebook"]
    assert "pybackprop[book]" in notebook
    assert names(notebook) & {"notebook", "jupyterlab"}, notebook


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\n(?P<body>.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match["body"]


def test_readme_says_how_to_open_a_notebook():
    section = readme_section("In a meeting")
    assert 'pip install "pybackprop[notebook]' in section
    assert re.search(r"^jupyter (notebook|lab) \S+\.ipynb", section, re.M), section
    # and for a Jupyter one already has: the book extra into the kernel's Python
    assert '%pip install "pybackprop[book]' in section


def test_readme_names_only_extras_that_exist():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"pybackprop\[(\w+)\]", text)) | set(re.findall(r'"\.\[(\w+)\]"', text))
    assert named and named <= set(extras()), f"README names {sorted(named - set(extras()))}"
