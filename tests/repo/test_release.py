"""The release: the sdist and wheel, the version, the changelog, and the release workflow.

The distributions are built once per session (`dists` in conftest.py, `python -m build` as the
workflow runs it) or, in the release workflow, taken from $PYBACKPROP_DIST, the files it is
about to publish. The workflow cannot run here, so what can be checked without GitHub is: it
runs on version tags only; it builds and checks the distributions; it tests the installed
wheel, not the checkout; it publishes through PyPI's trusted publishing, with no token; and
it makes a GitHub release from the changelog's section, written by book/release_notes.py.
"""

from __future__ import annotations

import ast
import email.parser
import os
import re
import shlex
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import release_notes
import yaml
from conftest import DIST_ENV

import pybackprop

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
PACKAGE = "pybackprop"
# What the wheel must carry besides code: the MNIST sample the chapters load offline, and the
# licence it is shared under.
DATA_FILES = ["pybackprop/data/mnist_sample.npz", "pybackprop/data/LICENSE-MNIST.md"]
# The sdist's files besides the package: what builds it, what describes it, and what setuptools
# writes (PKG-INFO, and setup.cfg with its egg_info settings).
SDIST_TOP_LEVEL = [
    "pyproject.toml",
    "MANIFEST.in",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "PKG-INFO",
    "setup.cfg",
]
# Folders of the repository that are not the package.
NOT_PACKAGE = ["tests/", "chapters/", "benchmarks/", "book/", "videos/", "reference/"]


# --- helpers ----------------------------------------------------------------------------------


def load_workflow() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean true; GitHub reads it as "on".
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def commands(step: dict) -> list[list[str]]:
    """The words of each command a step runs (a folded `>-` script is one command)."""
    found = []
    for line in step.get("run", "").splitlines():
        for part in re.split(r"&&|;", line.split(" #")[0]):
            if part.strip():
                found.append(shlex.split(part))
    return found


def runs(step: dict, *words: str) -> bool:
    """Whether one of the step's commands starts with `words` (options skipped)."""
    for command in commands(step):
        plain = [w for w in command if not w.startswith("-") and w != "sudo"]
        if plain[: len(words)] == list(words):
            return True
    return False


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job.get("steps", []) if s.get("uses", "").split("@")[0] == action]


def jobs_with(jobs: dict, predicate) -> list[str]:
    return [name for name, job in jobs.items() if any(predicate(s) for s in job["steps"])]


def one_job(jobs: dict, predicate, what: str) -> str:
    found = jobs_with(jobs, predicate)
    assert len(found) == 1, f"jobs that {what}: {found}; expected exactly one"
    return found[0]


def upstream(jobs: dict, name: str) -> set[str]:
    """Every job that `name` waits for, directly or through other jobs."""
    needs = jobs[name].get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    found = set(needs)
    for need in needs:
        found |= upstream(jobs, need)
    return found


def step_index(job: dict, predicate) -> int:
    indices = [i for i, step in enumerate(job["steps"]) if predicate(step)]
    assert indices, f"no step matches in {job['steps']}"
    return indices[0]


def build_job(jobs: dict) -> str:
    return one_job(jobs, lambda s: runs(s, "python", "build"), "run `python -m build`")


def job_running_tests(jobs: dict) -> str:
    return one_job(jobs, lambda s: runs(s, "python", "pytest"), "run `python -m pytest`")


def publish_job(jobs: dict) -> str:
    return one_job(
        jobs, lambda s: s.get("uses", "").startswith("pypa/gh-action-pypi-publish"), "publish"
    )


def release_job(jobs: dict) -> str:
    return one_job(jobs, lambda s: runs(s, "gh", "release", "create"), "create the release")


def downloads(job: dict) -> dict[str, str]:
    """Artifact name -> folder it is downloaded to (the workspace when no path is given)."""
    return {
        s["with"]["name"]: s["with"].get("path", ".")
        for s in steps_using(job, "actions/download-artifact")
    }


def uploads(job: dict) -> dict[str, str]:
    return {
        s["with"]["name"]: s["with"]["path"] for s in steps_using(job, "actions/upload-artifact")
    }


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        return [m.name for m in archive.getmembers() if m.isfile()]


def package_sources() -> list[str]:
    """The package's files in the repository, tracked or new (git's list, not the folder's: the
    release workflow deletes the checkout's .py files before the tests run)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", PACKAGE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if listed.returncode == 0 and listed.stdout.strip():
        return sorted(listed.stdout.splitlines())
    return sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / PACKAGE).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


def metadata(text: str) -> email.message.Message:
    return email.parser.Parser().parsestr(text)


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return metadata(archive.read(name).decode("utf-8"))


def sdist_metadata(sdist: Path) -> email.message.Message:
    with tarfile.open(sdist) as archive:
        (member,) = [
            m
            for m in archive.getmembers()
            if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
        ]
        return metadata(archive.extractfile(member).read().decode("utf-8"))


def pyproject() -> dict:
    if tomllib is None:
        pytest.skip("reading pyproject.toml needs tomllib (Python 3.11+)")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# --- the version ------------------------------------------------------------------------------


def test_version_is_written_once_in_the_package():
    project = pyproject()
    assert "version" not in project["project"], "pyproject.toml writes the version itself"
    assert "version" in project["project"].get("dynamic", []), "version is not dynamic"
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "pybackprop.__version__", f"the version is read from {attr}"


def test_the_tests_import_the_package_under_test():
    imported = Path(pybackprop.__file__).resolve().parent
    if os.environ.get(DIST_ENV):
        assert not imported.is_relative_to(ROOT), (
            f"${DIST_ENV} is set, so the tests must import the installed wheel, not {imported}"
        )
    else:
        assert imported == ROOT / PACKAGE, (
            f"the tests import pybackprop from {imported}, not from this checkout: "
            "install it with `pip install -e '.[test]'` (make test does)"
        )


@pytest.mark.slow
def test_distributions_carry_the_package_version(dists):
    version = pybackprop.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"__version__ = {version!r}"
    assert wheel_metadata(dists.wheel)["Version"] == version
    assert sdist_metadata(dists.sdist)["Version"] == version
    assert dists.wheel.name.startswith(f"pybackprop-{version}-"), dists.wheel.name
    assert dists.sdist.name == f"pybackprop-{version}.tar.gz", dists.sdist.name


def test_changelog_has_a_section_for_the_package_version_dated_once_released():
    """Before a tag publishes the version, its heading says `- unreleased` and its text "Not
    yet released" (release_notes.py, the release workflow's first step, refuses to publish it
    so); once released, the heading has the date."""
    # The imported package's version: the release workflow runs this against the installed
    # wheel, with the checkout's sources removed.
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = pybackprop.__version__
    heading = f"## [{version}] - unreleased\n"
    if heading in changelog:
        with pytest.raises(release_notes.ReleaseNotesError, match="has no release date"):
            release_notes.changelog_section(changelog, version)
        notes = changelog.split(heading, 1)[1].split("\n## ", 1)[0]
        assert "Not yet released" in notes, f"the section does not say it:\n{notes}"
    else:
        notes = release_notes.changelog_section(changelog, version)
    assert "### " in notes, f"the section has no Keep a Changelog subsections:\n{notes}"


# --- the wheel and the sdist ------------------------------------------------------------------


@pytest.mark.slow
def test_wheel_holds_the_package_with_its_data_and_nothing_else(dists):
    names = wheel_names(dists.wheel)
    version = pybackprop.__version__
    outside = [
        n for n in names if not n.startswith((f"{PACKAGE}/", f"{PACKAGE}-{version}.dist-info/"))
    ]
    assert not outside, f"the wheel holds files outside the package: {outside}"
    for folder in NOT_PACKAGE:
        assert not [n for n in names if folder in n], f"the wheel holds {folder} files"
    missing = sorted(set(package_sources()) - set(names))
    assert not missing, f"the wheel lacks these files of the package: {missing}"
    extra = sorted({n for n in names if n.startswith(f"{PACKAGE}/")} - set(package_sources()))
    assert not extra, f"the wheel holds package files that are not in the repository: {extra}"
    for name in DATA_FILES:
        assert name in names, f"the wheel lacks {name}"


def package_imports(module: str, is_package: bool, source: str, known: set[str]) -> set[str]:
    """The modules in `known` that `module`'s source imports, anywhere in its code (inside
    functions too), by absolute or relative name."""
    here = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = here.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            # `from a import b` imports a, and a.b when b is a module.
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            # `import a.b.c` imports a, a.b and a.b.c.
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & known
    return found


def reference_modules() -> list[str]:
    """The modules the book's Reference part documents (`quartodoc: sections:`), by full name."""
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["quartodoc"]
    return [
        f"{PACKAGE}.{entry if isinstance(entry, str) else entry['name']}"
        for section in config["sections"]
        for entry in section["contents"]
    ]


@pytest.mark.slow
def test_wheel_holds_only_what_learners_import(dists):
    """Every file of the wheel is a module that `import pybackprop` or a documented module
    reaches through its imports, the bundled data and its licence, or the wheel's metadata:
    no book tool (book/videos.py and its neighbours), no scripts, tests or chapters."""
    names = wheel_names(dists.wheel)
    modules: dict[str, tuple[bool, str]] = {}
    unexpected = []
    with zipfile.ZipFile(dists.wheel) as archive:
        for name in names:
            if name.startswith(f"{PACKAGE}/") and name.endswith(".py"):
                dotted = name.removesuffix(".py").replace("/", ".")
                is_package = dotted.endswith(".__init__")
                module = dotted.removesuffix(".__init__")
                modules[module] = (is_package, archive.read(name).decode("utf-8"))
            elif name not in DATA_FILES and ".dist-info/" not in name:
                unexpected.append(name)
    assert not unexpected, (
        f"the wheel holds files that are neither a module, the bundled data nor its metadata: "
        f"{unexpected}"
    )
    tools = sorted(p.name for p in (ROOT / "book").glob("*.py"))
    assert tools, "book/ holds the book's tools"
    shipped_tools = [n for n in names if n.rpartition("/")[2] in tools]
    assert not shipped_tools, f"the wheel holds the book's tools: {shipped_tools}"
    roots = [PACKAGE, *(m for m in reference_modules() if m in modules)]
    reached, todo = set(roots), list(roots)
    while todo:
        module = todo.pop()
        is_package, source = modules[module]
        for found in package_imports(module, is_package, source, set(modules)) - reached:
            reached.add(found)
            todo.append(found)
    unreached = sorted(set(modules) - reached)
    assert not unreached, (
        f"the wheel holds modules that neither `import {PACKAGE}` nor a module of the Reference "
        f"imports, so no learner uses them: {unreached}"
    )


@pytest.mark.slow
def test_wheel_data_is_the_repositorys_and_licences_are_in_its_metadata(dists):
    with zipfile.ZipFile(dists.wheel) as archive:
        for name in DATA_FILES:
            assert archive.read(name) == (ROOT / name).read_bytes(), f"{name} differs"
        licences = [n for n in archive.namelist() if ".dist-info/licenses/" in n]
    assert sorted(Path(n).name for n in licences) == ["LICENSE", "LICENSE-MNIST.md"], licences
    meta = wheel_metadata(dists.wheel)
    assert meta["License-Expression"] == "MIT AND CC-BY-SA-3.0", meta["License-Expression"]


@pytest.mark.slow
def test_sdist_holds_what_builds_the_wheel_and_not_the_book(dists):
    top = f"pybackprop-{pybackprop.__version__}/"
    names = [n.removeprefix(top) for n in sdist_names(dists.sdist)]
    assert all(n != top for n in names)
    for name in ["pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"]:
        assert name in names, f"the sdist lacks {name}"
    missing = sorted(set(package_sources()) - set(names))
    assert not missing, f"the sdist lacks these files of the package: {missing}"
    for folder in NOT_PACKAGE:
        assert not [n for n in names if n.startswith(folder)], f"the sdist holds {folder}"
    other = sorted(
        n
        for n in names
        if n not in SDIST_TOP_LEVEL and not n.startswith((f"{PACKAGE}/", f"{PACKAGE}.egg-info/"))
    )
    assert not other, f"the sdist holds files that neither build nor describe the wheel: {other}"


@pytest.mark.slow
def test_twine_check_passes(dists):
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.sdist), str(dists.wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.slow
def test_wheel_requires_only_numpy_and_offers_the_book_extra(dists):
    meta = wheel_metadata(dists.wheel)
    plain = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert [re.split(r"[<>=!~ ;\[]", r)[0] for r in plain] == ["numpy"], plain
    assert "book" in meta.get_all("Provides-Extra"), meta.get_all("Provides-Extra")
    readme = meta.get_payload()
    assert readme.strip().startswith("# Backprop bookclub"), "the long description is not README"
    assert 'pip install "pybackprop[book]"' in readme, "PyPI's page lacks the install line"


# --- the release notes script -----------------------------------------------------------------

CHANGELOG = """\
# Changelog

## [Unreleased]

- Something not released yet.

## [0.2.0] - 2027-01-15

### Fixed

- A bug.

## [0.1.0] - 2026-12-02

### Added

- Everything.

[Unreleased]: https://example.org/compare/v0.2.0...HEAD
[0.2.0]: https://example.org/releases/tag/v0.2.0
[0.1.0]: https://example.org/releases/tag/v0.1.0
"""


def fake_project(tmp_path: Path, version: str, changelog: str = CHANGELOG) -> Path:
    (tmp_path / "pybackprop").mkdir()
    (tmp_path / "pybackprop" / "__init__.py").write_text(
        f'"""Docs."""\n\nimport os\n\n__version__ = "{version}"\n', encoding="utf-8"
    )
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    return tmp_path


def test_release_notes_are_the_section_between_two_headings(tmp_path):
    root = fake_project(tmp_path, "0.2.0")
    assert release_notes.release_notes("v0.2.0", root) == "### Fixed\n\n- A bug.\n"


def test_release_notes_of_the_last_section_leave_out_the_link_definitions(tmp_path):
    root = fake_project(tmp_path, "0.1.0")
    assert release_notes.release_notes("v0.1.0", root) == "### Added\n\n- Everything.\n"


@pytest.mark.parametrize(
    ("tag", "version", "changelog", "message"),
    [
        ("v0.3.0", "0.2.0", CHANGELOG, r'__version__ = "0\.2\.0".*set it to "0\.3\.0"'),
        ("0.2.0", "0.2.0", CHANGELOG, r"'v' and a version, e\.g\. v0\.2\.0; got '0\.2\.0'"),
        ("v0.3.0", "0.3.0", CHANGELOG, r"no section '## \[0\.3\.0\].*Unreleased, 0\.2\.0"),
        (
            "v0.3.0",
            "0.3.0",
            CHANGELOG.replace("## [Unreleased]", "## [0.3.0]"),
            r"\[0\.3\.0\] has no release date",
        ),
        (
            "v0.2.0",
            "0.2.0",
            CHANGELOG.replace("### Fixed\n\n- A bug.\n", ""),
            r"\[0\.2\.0\] is empty",
        ),
    ],
    ids=["tag-is-not-version", "tag-without-v", "no-section", "undated-section", "empty"],
)
def test_release_notes_refuse_what_cannot_be_released(tmp_path, tag, version, changelog, message):
    root = fake_project(tmp_path, version, changelog)
    with pytest.raises(release_notes.ReleaseNotesError, match=message):
        release_notes.release_notes(tag, root)


def test_release_notes_command_prints_the_section_or_fails_naming_why(tmp_path):
    root = fake_project(tmp_path, "0.2.0")
    (root / "book").mkdir()
    script = root / "book" / "release_notes.py"
    script.write_bytes((ROOT / "book" / "release_notes.py").read_bytes())

    def command(*args):
        return subprocess.run(
            [sys.executable, str(script), *args], capture_output=True, text=True, timeout=60
        )

    good = command("v0.2.0")
    assert good.returncode == 0, good.stderr
    assert good.stdout == "### Fixed\n\n- A bug.\n" and not good.stderr, good
    bad = command("v0.1.0")
    assert bad.returncode == 1 and not bad.stdout, bad
    assert "v0.1.0" in bad.stderr and '"0.2.0"' in bad.stderr, bad.stderr
    usage = command()
    assert usage.returncode == 2 and "usage" in usage.stderr, usage


# --- the changelog and the install instructions -----------------------------------------------


def test_changelog_follows_keep_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n"), "CHANGELOG.md starts with '# Changelog'"
    assert "keepachangelog.com" in text, "it names the format it follows"
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.MULTILINE)
    assert headings[0] == "Unreleased", f"the first section is {headings[0]}, not Unreleased"
    defined = re.findall(r"^\[([^\]]+)\]: https://", text, re.MULTILINE)
    assert defined == headings, f"link definitions {defined} do not match sections {headings}"
    kinds = set(re.findall(r"^### (.+)$", text, re.MULTILINE))
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert kinds <= allowed, f"subsections other than Keep a Changelog's: {kinds - allowed}"


@pytest.mark.parametrize("page", ["README.md", "index.qmd"])
def test_install_instructions_name_pypi_first_and_the_git_url_for_unreleased_changes(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    pypi = 'pip install "pybackprop[book]"'
    git = 'pip install "pybackprop[book] @ git+https://github.com/backprop-bookclub/pybackprop"'
    assert pypi in text, f"{page} does not show `{pypi}`"
    assert git in text, f"{page} no longer shows how to install unreleased changes"
    assert text.index(pypi) < text.index(git), f"{page} shows the git URL before PyPI"


# --- the release workflow ---------------------------------------------------------------------


def test_release_workflow_runs_on_version_tags_only():
    workflow = load_workflow()
    assert workflow["on"] == {"push": {"tags": ["v*"]}}, f"on: {workflow['on']}"
    assert workflow.get("permissions") == {"contents": "read"}, workflow.get("permissions")
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"job {name} has no runs-on"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"job {name}: step {step}"


def test_release_workflow_builds_and_checks_after_reading_the_release_notes():
    jobs = load_workflow()["jobs"]
    name = build_job(jobs)
    job = jobs[name]
    notes = step_index(job, lambda s: runs(s, "python", "book/release_notes.py"))
    (notes_command,) = commands(job["steps"][notes])
    assert "$GITHUB_REF_NAME" in notes_command, notes_command
    assert notes_command[-2:] == [">", "release-notes.md"], notes_command
    build = step_index(job, lambda s: runs(s, "python", "build"))
    check = step_index(job, lambda s: runs(s, "python", "twine", "check", "dist/*"))
    assert notes < build < check, "the notes (which check the tag) come first, twine check last"
    assert "--strict" in commands(job["steps"][check])[0], "warnings must fail the check too"
    assert uploads(job) == {"dist": "dist/", "release-notes": "release-notes.md"}, uploads(job)


def test_release_workflow_tests_the_installed_wheel_not_the_checkout():
    jobs = load_workflow()["jobs"]
    name = job_running_tests(jobs)
    job = jobs[name]
    assert build_job(jobs) in upstream(jobs, name), f"{name} does not wait for the build"
    assert downloads(job) == {"dist": "dist/"}, downloads(job)
    installs = [
        c for s in job["steps"] for c in commands(s) if c[:4] == ["python", "-m", "pip", "install"]
    ]
    packages = [w for c in installs for w in c[4:] if not w.startswith("-")]
    assert "$(ls dist/*.whl)[test]" in packages, f"the job installs {packages}, not the wheel"
    assert not any(
        w in (".", "-e", "--editable") or w.startswith(".[") for c in installs for w in c
    )
    # The same CPU build of torch as `make test` installs.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    pin = re.search(r'pip install ("torch==[^"]+" --index-url \S+)', makefile)
    assert pin, "the Makefile no longer installs a pinned torch"
    assert shlex.split(pin.group(1)) in [c[4:] for c in installs], (
        f"the job does not install torch as the Makefile does: {pin.group(1)}"
    )
    hide = step_index(job, lambda s: runs(s, "find", "pybackprop"))
    assert commands(job["steps"][hide]) == [["find", "pybackprop", "-name", "*.py", "-delete"]], (
        "the checkout's package sources must be removed before the tests"
    )
    test = step_index(job, lambda s: runs(s, "python", "pytest"))
    install = step_index(job, lambda s: any(c in installs for c in commands(s)))
    assert install < hide < test, "install the wheel, hide the sources, then test"
    assert job["steps"][test]["env"][DIST_ENV] == "dist", "the tests must check the built files"
    assert not any(s.get("if") for s in job["steps"]) and not job.get("if")


def test_release_workflow_publishes_with_trusted_publishing_after_the_tests():
    workflow = load_workflow()
    jobs = workflow["jobs"]
    name = publish_job(jobs)
    job = jobs[name]
    assert job_running_tests(jobs) in upstream(jobs, name), (
        f"{name} publishes before the tests pass"
    )
    (step,) = steps_using(job, "pypa/gh-action-pypi-publish")
    assert step["uses"] == "pypa/gh-action-pypi-publish@release/v1", step["uses"]
    assert not {"password", "user"} & set(step.get("with", {})), "trusted publishing needs no token"
    assert job["permissions"] == {"id-token": "write"}, job["permissions"]
    assert job["environment"]["name"] == "pypi", job["environment"]
    assert downloads(job) == {"dist": "dist/"}, "the job publishes the tested artifact"
    others = [n for n, j in jobs.items() if n != name and "id-token" in j.get("permissions", {})]
    assert not others, f"jobs that could publish too: {others}"
    assert "secrets." not in WORKFLOW.read_text(encoding="utf-8"), "no stored secret is needed"


def test_release_workflow_creates_the_release_from_the_changelog_after_publishing():
    jobs = load_workflow()["jobs"]
    name = release_job(jobs)
    job = jobs[name]
    assert publish_job(jobs) in upstream(jobs, name), "the release is made before publishing"
    assert job["permissions"] == {"contents": "write"}, job["permissions"]
    (command,) = [
        c for s in job["steps"] for c in commands(s) if c[:3] == ["gh", "release", "create"]
    ]
    assert command[3] == "$GITHUB_REF_NAME", command
    assert "--verify-tag" in command, "gh must not create a tag that was not pushed"
    notes = command[command.index("--notes-file") + 1]
    assert downloads(job).get("release-notes") == ".", downloads(job)
    assert uploads(jobs[build_job(jobs)])["release-notes"] == notes, "notes from another file"
    assert "dist/*" in command, "the release does not attach the distributions"
    assert downloads(job).get("dist") == "dist/", downloads(job)


def test_release_workflow_downloads_only_what_an_earlier_job_uploaded():
    jobs = load_workflow()["jobs"]
    for name, job in jobs.items():
        for artifact in downloads(job):
            makers = [n for n in upstream(jobs, name) if artifact in uploads(jobs[n])]
            assert makers, f"{name} downloads {artifact!r}, which no job before it uploads"
