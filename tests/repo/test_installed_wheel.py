"""The package as a member installs it, running chapters as a member runs them.

The built wheel (`dists` in conftest.py) is installed with its `book` extra into a new virtual
environment, as `pip install "pybackprop[book]"` installs it from PyPI: its dependencies come
from PyPI (or pip's cache), torch is not installed, and the checkout is not on its path. Two
chapters' download notebooks (written by book/qmd_notebook.py, as the site offers them) are
then run top to bottom in a fresh kernel of that environment, from a temporary folder outside
the repository: chapter 2, which draws computation graphs with Graphviz, and chapter 10, which
trains on the MNIST sample shipped in the wheel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

import nbformat
import pytest
import qmd_notebook
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ["02-scalar-autodiff", "10-minibatch-training"]
KERNEL = "pybackprop-wheel"
CELL_TIMEOUT = 300  # only so that a hung cell cannot hang the run
# What the download notebook's first code cell prints when the package is importable (the cell
# that installs it otherwise; book/qmd_notebook.py tags it "install").
ALREADY_INSTALLED = "already installed"

pytestmark = pytest.mark.slow

# Appended to each notebook: where the kernel's Python and its pybackprop live.
PROBE = """\
import importlib.metadata, importlib.util, json, sys
import pybackprop
print(json.dumps({
    "executable": sys.executable,
    "pybackprop": pybackprop.__file__,
    "version": pybackprop.__version__,
    "metadata_version": importlib.metadata.version("pybackprop"),
    "torch": importlib.util.find_spec("torch") is not None,
    "path": sys.path,
}))"""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class MemberEnv(NamedTuple):
    python: Path  # the environment's interpreter
    kernels: Path  # a folder of kernel specs holding KERNEL, which runs `python`
    work: Path  # an empty folder outside the repository, the notebooks' working directory
    version: str  # the wheel's version


def environ() -> dict[str, str]:
    """The environment for the new Python: nothing that would add the checkout to its path,
    and one BLAS thread (as tests/book/test_chapters.py runs the chapters, on a shared machine)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    return {**env, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, env=environ(), **kwargs
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def member_env(dists, tmp_path_factory) -> MemberEnv:
    """A new virtual environment with `<wheel>[book]` installed, and a kernel spec for it."""
    base = tmp_path_factory.mktemp("member")
    assert not base.is_relative_to(ROOT), f"{base} is inside the repository"
    venv = base / "venv"
    # Without pip: the running pip installs into it (`--python`), which saves seeding a copy.
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # --no-compile: bytecode is written when a module is first imported, not for every file of
    # every dependency now (most of the install's time).
    run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-compile"]
        + ["--disable-pip-version-check", f"{dists.wheel}[book]"],
        timeout=900,
    )
    # matplotlib builds its font cache on first import and says so on stderr; that is the
    # environment's first run, not the chapter's output.
    run([python, "-c", "import matplotlib.font_manager"], cwd=base, timeout=300)
    spec = base / "kernels" / KERNEL
    spec.mkdir(parents=True)
    kernel = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "pybackprop from the wheel",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    work = base / "work"
    work.mkdir()
    with zipfile.ZipFile(dists.wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        version = re.search(r"^Version: (\S+)$", archive.read(name).decode(), re.M).group(1)
    return MemberEnv(python=python, kernels=base / "kernels", work=work, version=version)


def check_probe(found: dict, env: MemberEnv):
    """What PROBE printed: pybackprop is the wheel's, in the new environment, without torch."""
    where = Path(found["pybackprop"]).resolve()
    venv = env.python.parent.parent.resolve()
    assert where.is_relative_to(venv), f"pybackprop comes from {where}, not the new environment"
    assert not found["torch"], "torch is importable in the new environment"
    assert found["version"] == found["metadata_version"] == env.version, found
    on_path = [p for p in found["path"] if p and Path(p).resolve().is_relative_to(ROOT)]
    assert not on_path, f"the checkout is on the new environment's path: {on_path}"


def test_environment_has_the_wheel_without_torch_or_the_checkout(member_env):
    probe = run([member_env.python, "-c", PROBE], cwd=member_env.work, timeout=120)
    found = json.loads(probe.stdout)
    check_probe(found, member_env)
    assert found["executable"] == str(member_env.python), found["executable"]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, Path]:
    """The download notebooks, written as the site's pre-render step writes them."""
    folder = tmp_path_factory.mktemp("notebooks")
    return {p.stem: p for p in qmd_notebook.write_notebooks(ROOT, folder)}


def describe(cells: list, err: Exception) -> str:
    """The first unexpected error among executed cells, with the cell's first lines."""
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in tags:
                trace = _ANSI.sub("", "\n".join(out.get("traceback", [])))
                head = "\n".join("    " + s for s in cell["source"].splitlines()[:4])
                tail = "\n".join(trace.strip().splitlines()[-12:])
                return f"cell {index}:\n{head}\nraised {out['ename']}: {out['evalue']}\n{tail}"
    return f"{type(err).__name__}: {_ANSI.sub('', str(err))}"


def stream(cell, name: str) -> str:
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == name
    )


def install_cell(nb) -> int | None:
    """The index of the cell that installs pybackprop when it is missing, if the notebook has
    one: tagged "install", or the first code cell that runs pip on pybackprop[book]."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for index in code:
        if "install" in nb.cells[index].get("metadata", {}).get("tags", []):
            return index
    if code and re.search(r"pip.*pybackprop\[book\]", nb.cells[code[0]].source, re.S):
        return code[0]
    return None


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_notebook_runs_in_the_installed_wheels_kernel(member_env, notebooks, stem):
    nb = nbformat.read(notebooks[stem], as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    manager = KernelManager(
        kernel_name=KERNEL,
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(member_env.kernels)]),
    )
    client = NotebookClient(
        nb,
        km=manager,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(member_env.work)}},
    )
    try:
        client.execute(env=environ())
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        pytest.fail(
            f"{stem}.ipynb does not run in the installed wheel's kernel: " + describe(nb.cells, err)
        )

    found = json.loads(stream(nb.cells[-1], "stdout"))
    check_probe(found, member_env)
    # Not resolved: the environment's python is a symlink to the interpreter it was made from.
    assert os.path.abspath(found["executable"]) == str(member_env.python), found["executable"]

    at = install_cell(nb)
    if at is not None:
        said = stream(nb.cells[at], "stdout").strip().splitlines()
        assert len(said) == 1, f"the install cell should print one line, printed {said}"
        assert ALREADY_INSTALLED in said[0] and member_env.version in said[0], (
            f"the install cell does not report pybackprop {member_env.version} present: {said}"
        )

    stderr = [(i, stream(c, "stderr")) for i, c in enumerate(nb.cells) if stream(c, "stderr")]
    assert not stderr, f"{stem}.ipynb writes to stderr (a member sees it in red): {stderr}"
