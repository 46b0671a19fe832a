"""Repository tooling: the GitHub workflow, the pre-commit hooks, the Makefile, formatting.

The workflow cannot run here, so what can be checked without GitHub is checked: it parses, it
runs only commands a contributor also runs (Makefile targets, README commands), it publishes
the folder Quarto writes, with the permissions GitHub Pages needs, it publishes the notebooks to
the branch the "Open in Colab" links read, from main only and after the tests, and the Quarto
version it installs is the one pinned in the Makefile, and only there.
"""

from __future__ import annotations

import ast
import re
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
MAKEFILE = ROOT / "Makefile"
README = ROOT / "README.md"

# The hook ids that astral-sh/ruff-pre-commit declares in its .pre-commit-hooks.yaml
# ("ruff" is the older name of "ruff-check", kept as an alias).
RUFF_PRE_COMMIT_HOOKS = {"ruff", "ruff-check", "ruff-format"}
# A line that stores a step's output: `echo "key=value" >> "$GITHUB_OUTPUT"`.
_STEP_OUTPUT = re.compile(r'^echo\s.*>>\s*"?\$GITHUB_OUTPUT"?$')
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs the make program")


# --- helpers ----------------------------------------------------------------------------------


def load_workflow() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean true; GitHub reads it as "on".
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def load_pre_commit() -> dict:
    return yaml.safe_load(PRE_COMMIT.read_text(encoding="utf-8"))


def pyproject() -> dict:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if tomllib is None:
        pytest.skip("reading pyproject.toml needs tomllib (Python 3.11+)")
    return tomllib.loads(text)


def makefile_targets() -> set[str]:
    """Names of the Makefile's rules (`name: prerequisites`), not its variables (`NAME := x`)."""
    targets = set()
    for line in MAKEFILE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([^\s#:=][^:=]*):(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return targets


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(\S+)\s*$", MAKEFILE.read_text(encoding="utf-8"), re.M)
    assert match, f"Makefile sets no {name}"
    return match.group(1)


def normalise(command: str) -> tuple[str, ...]:
    """The words of a command that say what it does: without `sudo` and without options
    (CI adds `sudo`, `-y`, `-s` where a person at a terminal does not need them)."""
    words = shlex.split(command)
    return tuple(w for w in words if w != "sudo" and not w.startswith("-"))


def split_commands(line: str) -> list[str]:
    return [part.strip() for part in re.split(r"&&|;", line) if part.strip()]


def readme_commands() -> set[tuple[str, ...]]:
    """Every command the README shows, in code blocks or inline code."""
    text = README.read_text(encoding="utf-8")
    snippets = []
    for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", text, re.S):
        snippets += [line.split("#")[0] for line in block.splitlines()]
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    snippets += re.findall(r"`([^`\n]+)`", prose)
    commands = set()
    for snippet in snippets:
        for command in split_commands(snippet):
            try:
                commands.add(normalise(command))
            except ValueError:
                continue  # inline code that is not a command (an unbalanced quote)
    return commands


def run_lines(workflow: dict):
    """(job name, line) for every line of every step's `run:` script."""
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            for line in step.get("run", "").splitlines():
                if line.strip() and not line.strip().startswith("#"):
                    yield job_name, line.strip()


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job.get("steps", []) if s.get("uses", "").split("@")[0] == action]


def step_runs(step: dict) -> list[tuple[str, ...]]:
    return [normalise(c) for c in split_commands(step.get("run", ""))]


def runs(job: dict) -> list[tuple[str, ...]]:
    return [words for step in job.get("steps", []) for words in step_runs(step)]


def only_if(job: dict, step: dict) -> str:
    """The condition a step runs under: its own `if` and its job's, with `env.X` spelt out."""
    condition = " && ".join(c for c in (job.get("if"), step.get("if")) if c)
    env = job.get("env", {})
    return re.sub(r"env\.(\w+)", lambda m: str(env.get(m.group(1), m.group(0))), condition)


def job_needs(jobs: dict, name: str) -> list[str]:
    needs = jobs[name].get("needs", [])
    return [needs] if isinstance(needs, str) else needs


def make_chapter(name: str) -> subprocess.CompletedProcess:
    # -o: never (re)install .venv here; PY=echo: print the pytest command instead of running it.
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed-test", "chapter", f"NAME={name}", "PY=echo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- the workflow -----------------------------------------------------------------------------


def test_workflow_parses_and_runs_on_push_and_pull_request():
    workflow = load_workflow()
    triggers = workflow["on"]
    assert "push" in triggers and "pull_request" in triggers, f"on: {triggers}"
    assert workflow["jobs"], "the workflow has no jobs"
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"job {name} has no runs-on"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"job {name}: step {step} needs uses or run"


@needs_make
def test_workflow_runs_only_makefile_targets_and_readme_commands():
    targets = makefile_targets()
    readme = readme_commands()
    unknown = []
    for job, line in run_lines(load_workflow()):
        # A line that only stores a step output is checked for the commands it substitutes.
        commands = _SUBSTITUTION.findall(line)
        if not _STEP_OUTPUT.match(line):
            commands += split_commands(line)
        for command in commands:
            words = normalise(command)
            if words[:1] == ("make",):
                missing = [t for t in words[1:] if "=" not in t and t not in targets]
                if missing:
                    unknown.append(f"{job}: `{command}`: no Makefile target {missing}")
            elif words not in readme:
                unknown.append(f"{job}: `{command}` is neither a make target nor in README.md")
    assert not unknown, "the workflow runs commands contributors do not:\n" + "\n".join(unknown)


def test_workflow_tests_every_push_with_the_readme_test_command():
    assert ("make", "test") in readme_commands(), "README.md no longer shows `make test`"
    jobs = load_workflow()["jobs"]
    testing = [
        (name, step)
        for name, job in jobs.items()
        for step in job["steps"]
        if ("make", "test") in step_runs(step)
    ]
    assert testing, "no job runs `make test`"
    for name, step in testing:
        assert "if" not in jobs[name] and "if" not in step, f"{name}: `make test` is conditional"


def test_workflow_caches_pip_keyed_on_pyproject():
    jobs = load_workflow()["jobs"]
    setups = [s for job in jobs.values() for s in steps_using(job, "actions/setup-python")]
    assert setups, "no actions/setup-python step"
    for step in setups:
        inputs = step.get("with", {})
        assert inputs.get("cache") == "pip", f"setup-python without `cache: pip`: {step}"
        key = inputs.get("cache-dependency-path")
        assert key and (ROOT / key).is_file(), f"cache-dependency-path {key!r} is not a file"


def test_workflow_publishes_what_quarto_renders_from_main_only():
    jobs = load_workflow()["jobs"]
    uploading = [n for n, job in jobs.items() if steps_using(job, "actions/upload-pages-artifact")]
    assert len(uploading) == 1, f"jobs uploading the site: {uploading}"
    job = jobs[uploading[0]]
    steps = job["steps"]
    (upload,) = steps_using(job, "actions/upload-pages-artifact")
    render = [s for s in steps if ("make", "render") in step_runs(s)]
    assert render, "the job that uploads the site must run `make render`"
    assert not any(("make", "site") in step_runs(s) for s in steps), "`make site` serves forever"
    publishing = render + [upload] + steps_using(job, "quarto-dev/quarto-actions/setup")
    for step in publishing:
        condition = only_if(job, step)
        assert "refs/heads/main" in condition and "push" in condition, f"{step}: {condition!r}"
    # After `make test` in the same job: steps stop at the first failure, so a push whose tests
    # fail publishes nothing, and the book renders in the .venv that has torch, so the
    # chapters' comparisons with PyTorch run on the published pages.
    tests = [s for s in steps if ("make", "test") in step_runs(s)]
    assert tests and steps.index(tests[0]) < steps.index(render[0]), "render before `make test`"
    output_dir = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["project"][
        "output-dir"
    ]
    assert upload["with"]["path"] == output_dir, (
        f"uploads {upload['with']['path']}, not {output_dir}"
    )


def test_workflow_sets_up_quarto_at_the_makefile_version():
    jobs = load_workflow()["jobs"]
    for job in jobs.values():
        for setup in steps_using(job, "quarto-dev/quarto-actions/setup"):
            assert setup["uses"].endswith("@v2"), setup["uses"]
            match = re.fullmatch(
                r"\$\{\{\s*steps\.(\S+)\.outputs\.(\S+)\s*\}\}", setup["with"]["version"]
            )
            assert match, f"Quarto's version must come from a step's output: {setup['with']}"
            step_id, output = match.groups()
            (source,) = [s for s in job["steps"] if s.get("id") == step_id]
            assert _STEP_OUTPUT.match(source["run"].strip()), source["run"]
            assert f"{output}=$(make -s quarto-version)" in source["run"], source["run"]
            steps = job["steps"]
            assert steps.index(source) < steps.index(setup), "the version is read after the setup"
            render = [s for s in steps if ("make", "render") in step_runs(s)]
            assert render and steps.index(setup) < steps.index(render[0]), "render before Quarto"
            return
    pytest.fail("no step uses quarto-dev/quarto-actions/setup")


def test_deploy_job_has_the_pages_permissions():
    jobs = load_workflow()["jobs"]
    deploying = [n for n, job in jobs.items() if steps_using(job, "actions/deploy-pages")]
    assert len(deploying) == 1, f"jobs deploying: {deploying}"
    job = jobs[deploying[0]]
    assert job["permissions"].get("pages") == "write"
    assert job["permissions"].get("id-token") == "write"
    assert job["environment"]["name"] == "github-pages"
    assert job.get("concurrency"), "concurrent deployments must queue (concurrency:)"
    condition = job.get("if", "")
    assert "refs/heads/main" in condition and "push" in condition, f"deploys on: {condition!r}"
    uploading = [n for n, j in jobs.items() if steps_using(j, "actions/upload-pages-artifact")]
    needs = job_needs(jobs, deploying[0])
    assert set(uploading) <= set(needs), f"deploy needs {needs}, the site is built by {uploading}"


# The branch that the chapters' "Open in Colab" links read (tests/book/test_notebooks.py
# checks them).
NOTEBOOKS_BRANCH = "notebooks"


def notebooks_publisher() -> tuple[str, dict, dict]:
    """(job name, job, step) of the one step that pushes the notebooks to their branch."""
    jobs = load_workflow()["jobs"]
    found = [
        (name, job, step)
        for name, job in jobs.items()
        for step in steps_using(job, "peaceiris/actions-gh-pages")
    ]
    assert len(found) == 1, f"steps publishing a branch: {found}"
    return found[0]


def test_workflow_publishes_the_notebooks_branch_from_main_only():
    name, job, step = notebooks_publisher()
    assert step["uses"].endswith("@v4"), step["uses"]
    inputs = step["with"]
    assert inputs["publish_branch"] == NOTEBOOKS_BRANCH, inputs
    # One commit with the current notebooks: a chapter removed from the book leaves no notebook.
    assert inputs.get("force_orphan") is True, "the branch must be replaced, not appended to"
    assert inputs["github_token"] == "${{ secrets.GITHUB_TOKEN }}", "no other credential"
    condition = only_if(job, step)
    assert "refs/heads/main" in condition and "github.event_name == 'push'" in condition, condition
    assert job["permissions"] == {"contents": "write"}, job["permissions"]
    assert job.get("concurrency"), "two pushes must not publish at once (concurrency:)"


def test_workflow_publishes_the_notebooks_that_the_tested_render_wrote():
    jobs = load_workflow()["jobs"]
    name, job, step = notebooks_publisher()
    # `needs` waits for the whole job, and a job stops at its first failing step: the branch
    # changes only after `make test` and `make render` passed.
    needs = job_needs(jobs, name)
    testing = [
        n for n, j in jobs.items() if any(("make", "test") in step_runs(s) for s in j["steps"])
    ]
    assert testing and set(testing) <= set(needs), f"{name} needs {needs}; tests run in {testing}"
    (download,) = steps_using(job, "actions/download-artifact")
    steps = job["steps"]
    assert steps.index(download) < steps.index(step)
    assert download["with"]["path"] == step["with"]["publish_dir"], (download, step)
    uploads = [
        (n, s)
        for n in needs
        for s in steps_using(jobs[n], "actions/upload-artifact")
        if s["with"]["name"] == download["with"]["name"]
    ]
    assert len(uploads) == 1, f"no job in {needs} uploads {download['with']['name']!r}"
    source_name, upload = uploads[0]
    source = jobs[source_name]["steps"]
    render = [s for s in source if ("make", "render") in step_runs(s)]
    tests = [s for s in source if ("make", "test") in step_runs(s)]
    assert tests and render, f"{source_name} must test and render before uploading notebooks"
    assert source.index(tests[0]) < source.index(render[0]) < source.index(upload)
    project = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))["project"]
    # The folder the pre-render step writes (book/qmd_notebook.py) and Quarto copies.
    assert upload["with"]["path"].rstrip("/") + "/" in project["resources"], upload["with"]
    assert upload["with"].get("if-no-files-found") == "error", "an empty branch must not publish"
    condition = only_if(jobs[source_name], upload)
    assert "refs/heads/main" in condition and "push" in condition, condition


def test_only_the_notebooks_job_may_write_to_the_repository():
    workflow = load_workflow()
    assert workflow["permissions"] == {"contents": "read"}, workflow["permissions"]
    name, _, _ = notebooks_publisher()
    writers = [
        n
        for n, job in workflow["jobs"].items()
        if job.get("permissions", {}).get("contents") == "write"
    ]
    assert writers == [name], writers


@needs_make
def test_quarto_version_is_pinned_in_one_place():
    version = makefile_variable("QUARTO_VERSION")
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"QUARTO_VERSION = {version!r}"
    printed = subprocess.run(
        ["make", "-s", "quarto-version"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert printed.stdout.strip() == version, printed
    assert '"quarto-cli==$(QUARTO_VERSION)"' in MAKEFILE.read_text(encoding="utf-8")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0:
        pytest.skip("needs a git checkout to list the repository's files")
    elsewhere = []
    for name in listed.stdout.splitlines():
        path = ROOT / name
        if name == "Makefile" or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary data
        if re.search(rf"(?<![\d.]){re.escape(version)}(?![\d])", text):
            elsewhere.append(name)
    assert not elsewhere, f"Quarto {version} is also written in {elsewhere}; use the Makefile's"
    assert MAKEFILE.read_text(encoding="utf-8").count(version) == 1


# --- pre-commit -------------------------------------------------------------------------------


def test_pre_commit_hooks_exist_in_their_repositories():
    config = load_pre_commit()
    repos = {repo["repo"]: repo for repo in config["repos"]}
    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    ids = [hook["id"] for hook in ruff["hooks"]]
    assert set(ids) <= RUFF_PRE_COMMIT_HOOKS, f"ruff-pre-commit has no hook {ids}"
    assert {"ruff-check", "ruff"} & set(ids) and "ruff-format" in ids, f"lint and format: {ids}"
    local = repos["local"]["hooks"]
    assert [h["id"] for h in local] == ["videos-check"], local


def test_pre_commit_ruff_rev_is_in_the_test_extras_range():
    (ruff,) = [
        Requirement(r)
        for r in pyproject()["project"]["optional-dependencies"]["test"]
        if Requirement(r).name == "ruff"
    ]
    (repo,) = [r for r in load_pre_commit()["repos"] if r["repo"].endswith("/ruff-pre-commit")]
    rev = Version(repo["rev"].removeprefix("v"))
    assert ruff.specifier.contains(rev), f"pre-commit runs ruff {rev}, `make test` {ruff}"


def test_pre_commit_validate_config_accepts_it():
    pytest.importorskip("pre_commit", reason="pre-commit is in the test extra")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-config", str(PRE_COMMIT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _videos_hook() -> dict:
    (local,) = [r for r in load_pre_commit()["repos"] if r["repo"] == "local"]
    (hook,) = [h for h in local["hooks"] if h["id"] == "videos-check"]
    return hook


def test_videos_hook_passes_on_the_repository_as_pre_commit_calls_it():
    hook = _videos_hook()
    files = re.compile(hook.get("files", ""))
    tracked = sorted(
        p.relative_to(ROOT).as_posix()
        for folder in ("videos", "chapters")
        for p in (ROOT / folder).rglob("*")
        if p.is_file()
    )
    matched = [name for name in tracked if files.search(name)]
    assert any(n.startswith("videos/") for n in matched), f"files: {hook.get('files')!r}"
    assert not files.search("pybackprop/nn.py"), "the videos hook runs on unrelated files"
    # pre-commit appends the changed files unless pass_filenames is false.
    command = shlex.split(hook["entry"]) + hook.get("args", [])
    if hook.get("pass_filenames", True):
        command += matched
    assert command[0] == "python", command
    result = subprocess.run(
        [sys.executable, *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout, result.stdout


def test_videos_hook_environment_has_what_the_tool_imports():
    """The hook's own environment holds the distributions of book/videos.py's imports that are
    not in the standard library (PyYAML), wherever in the file it imports them."""
    hook = _videos_hook()
    assert hook["language"] == "python", hook
    have = {canonicalize_name(Requirement(r).name) for r in hook["additional_dependencies"]}
    tree = ast.parse((ROOT / "book" / "videos.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import)
        for alias in n.names
    }
    imported |= {
        n.module.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and n.level == 0
    }
    third_party = imported - set(sys.stdlib_module_names)
    assert third_party, "book/videos.py reads YAML: it imports yaml"
    distributions = packages_distributions()
    needed = {canonicalize_name(d) for name in third_party for d in distributions[name]}
    assert needed <= have, f"the hook's environment lacks {needed - have}"


# --- the Makefile and the tree ------------------------------------------------------------------


@needs_make
def test_chapter_target_runs_only_the_named_chapter():
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("[!_]*.qmd"))
    assert chapters
    first = chapters[0]
    number, words = first.split("-", 1)
    for name in (number, str(int(number)), words.upper()):
        result = make_chapter(name)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1].split() == [
            "-m",
            "pytest",
            "tests/book/test_chapters.py",
            "-k",
            first,
        ], result.stdout
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/book/test_chapters.py", "-k", first, "--co", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert any("test_page_runs_top_to_bottom" in i for i in ids), collected.stdout
    assert all(f"chapters/{first}.qmd" in i for i in ids), ids


@needs_make
@pytest.mark.parametrize(
    ("name", "message"),
    [("no-such-chapter", "matches no chapter"), ("a", "matches several chapters"), ("", "usage")],
)
def test_chapter_target_refuses_a_name_that_is_not_one_chapter(name, message):
    result = make_chapter(name)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_tree_is_ruff_formatted():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        "files not formatted (run `make format`):\n" + result.stdout + result.stderr
    )


def test_tests_that_share_a_run_are_scheduled_on_one_worker():
    """`make test`'s workers each make their own page runs and wheel: tests sharing one go
    together (tests/conftest.py), every other test is scheduled on its own."""
    from conftest import shared_run

    page = (
        "tests/book/test_chapters.py::test_page_runs_top_to_bottom[chapters/02-scalar-autodiff.qmd]"
    )
    assert shared_run(page) == "02-scalar-autodiff"
    graphs = (
        "tests/book/test_chapter_graphs.py::test_chapter_graphs_are_legible[02-scalar-autodiff]"
    )
    assert shared_run(graphs) == "02-scalar-autodiff"
    assert shared_run("tests/book/test_chapters.py::test_page_runs_top_to_bottom[index.qmd]") == (
        "index"
    )
    wheel = "tests/repo/test_installed_wheel.py::test_chapter_runs[10-minibatch-training]"
    assert shared_run(wheel) == shared_run("tests/repo/test_release.py::test_wheel") == "dists"
    for alone in ("tests/package/test_nn.py::test_linear[3-float32]", "tests/book/test_math.py::t"):
        assert shared_run(alone) == alone
