"""The package's layout: no import cycle between its modules, and no module over 600 lines.

The import graph is read from the source with `ast`, so it holds every import a module makes:
at module level, inside functions and under `if TYPE_CHECKING:`. An edge goes to the module
an import names (`from . import functional` names the submodule, `from .module import
Parameter` names `module`), not to the packages Python initialises on the way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pybackprop

PACKAGE_DIR = Path(pybackprop.__file__).parent
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package is its __init__.py)."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _known(dotted: str) -> str | None:
    """The longest prefix of `dotted` that is a module of the package, or None."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        if name in MODULES:
            return name
    return None


def imports_of(name: str) -> set[str]:
    """The package's modules that module `name` imports anywhere in its source."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module
            # `from x import y`: y is a submodule of x, or a name defined in x.
            targets = [
                f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem
                for alias in node.names
            ]
        else:
            continue
        found |= {t for t in map(_known, targets) if t is not None and t != name}
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path whose first and last names are the same, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once explored
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_graph_holds_imports_in_functions_and_under_type_checking():
    graph = {name: imports_of(name) for name in MODULES}
    assert "pybackprop.nn.module" in graph["pybackprop.nn.layers"]  # from .module import ...
    assert "pybackprop.nn.functional" in graph["pybackprop.nn"]  # from . import functional
    assert "pybackprop.nn.module" in graph["pybackprop.nn.init"]  # under TYPE_CHECKING
    assert "pybackprop.data.download" in graph["pybackprop.data.mnist"]


def test_find_cycle_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_import_cycle():
    graph = {name: imports_of(name) for name in MODULES}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("name", MODULES)
def test_module_is_at_most_600_lines(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, (
        f"{MODULES[name].relative_to(PACKAGE_DIR.parent)} has {lines} lines, over {MAX_LINES}: "
        "split it so that each module holds one idea."
    )
