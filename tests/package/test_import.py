"""`import pybackprop` is light: numpy only, and it works where torch and matplotlib are not
installed. Each check runs in a fresh interpreter, since this one has imported them already."""

import subprocess
import sys
import textwrap

import pytest

HEAVY = ["torch", "matplotlib", "graphviz", "yaml", "fastprogress"]
# Standard-library modules that only a download needs (about 25 ms of import time).
NETWORK = ["http.client", "ssl", "urllib.request"]

# Makes the listed top-level packages unimportable, as if they were not installed.
BLOCKER = """
import importlib.abc, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, Block())
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_import_pybackprop_loads_no_heavy_package():
    result = run_python(f"""
        import sys
        import pybackprop
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_import_pybackprop_loads_no_networking_module():
    result = run_python(f"""
        import sys
        import pybackprop
        print(sorted(m for m in {NETWORK!r} if m in sys.modules))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("blocked", [["torch", "matplotlib"], HEAVY])
def test_pybackprop_works_without_torch_or_matplotlib(blocked):
    result = run_python(
        f"BLOCKED = {blocked!r}\n"
        + BLOCKER
        + textwrap.dedent("""
        try:
            import torch
        except ModuleNotFoundError:
            pass
        else:
            raise SystemExit("the blocker let torch through")
        import pybackprop
        from pybackprop import MLP, Value, to_dot
        x = Value(2.0)
        y = (x * x).tanh()
        y.backward()
        out = MLP(2, [3, 1], rng=0)([1.0, 2.0])
        out.backward()
        assert "digraph" in to_dot(y)
        print(x.grad)
    """)
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) > 0.0
