"""Docstrings: every public name has its own, in numpy style, with examples that run.

The book's Reference part is generated from these docstrings by quartodoc (numpy parser), so
what is checked here is what a learner reads there: a summary, a `Parameters` section naming
every argument, `Returns` when something is returned, `Raises` for what the function raises
itself, and an `Examples` doctest for every public function and class, executed below so that
no example drifts from the code. Sections are parsed with griffe, the parser quartodoc uses.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import logging
import pkgutil
import textwrap
from types import ModuleType

import pytest
from griffe import Docstring

import pybackprop

# The modules whose `__all__` is the public API (one reference page each, plus the top level).
# The top level comes last, so that a re-exported name is reported under its own module
# (pybackprop.scalar.Value, not pybackprop.Value).
PUBLIC_MODULES = [
    "pybackprop.scalar",
    "pybackprop.nn.functional",
    "pybackprop.nn",
    "pybackprop.nn.init",
    "pybackprop.optim",
    "pybackprop.train",
    "pybackprop.data",
    "pybackprop.gradcheck",
    "pybackprop.exercises",
    "pybackprop",
]

# griffe logs a warning for every parameter without a type in the docstring; the checks below
# report what matters, so keep its messages out of the test output.
logging.getLogger("griffe").setLevel(logging.ERROR)


def _module(name: str) -> ModuleType:
    # `pybackprop.gradcheck` the attribute is the function; the module is in sys.modules.
    return importlib.import_module(name)


def _public_objects() -> dict[str, object]:
    """Qualified name -> object, for every class and function in a public `__all__`.

    A name re-exported by several modules (pybackprop.Value is pybackprop.scalar.Value) is
    listed once, under the first module that exports it.
    """
    found: dict[str, object] = {}
    seen: set[int] = set()
    for mod_name in PUBLIC_MODULES:
        mod = _module(mod_name)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name, None)
            if isinstance(obj, ModuleType) or id(obj) in seen:
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                seen.add(id(obj))
                found[f"{mod_name}.{name}"] = obj
    return found


def _members(cls: type) -> dict[str, object]:
    """Public methods and properties defined in the class itself, unwrapped to functions."""
    members = {}
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, property):
            members[name] = attr
        elif isinstance(attr, staticmethod | classmethod):
            members[name] = attr.__func__
        elif inspect.isfunction(attr):
            members[name] = attr
    return members


PUBLIC = _public_objects()
MEMBERS = {
    f"{qualname}.{name}": member
    for qualname, obj in PUBLIC.items()
    if inspect.isclass(obj)
    for name, member in _members(obj).items()
}
DOCUMENTED = {**PUBLIC, **MEMBERS}
CALLABLES = {q: o for q, o in DOCUMENTED.items() if not isinstance(o, property)}
TOP_LEVEL_EXAMPLES = {
    q: o for q, o in PUBLIC.items() if not (inspect.isclass(o) and issubclass(o, BaseException))
}


def _own_doc(obj) -> str | None:
    """The object's own docstring (a class does not inherit its parent's here)."""
    if isinstance(obj, property):
        return obj.fget.__doc__
    return obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__


def _sections(obj) -> dict[str, list]:
    """Section kind ('parameters', 'returns', 'raises', 'examples', ...) -> its parsed value."""
    doc = inspect.cleandoc(_own_doc(obj) or "")
    parsed = Docstring(doc, parser="numpy").parse()
    return {section.kind.value: section.value for section in parsed}


def _signature_parameters(obj) -> list[inspect.Parameter]:
    """The parameters a caller passes: a class's come from its own `__init__`."""
    if inspect.isclass(obj):
        if "__init__" not in vars(obj):
            return []
        params = list(inspect.signature(obj.__init__).parameters.values())[1:]
    else:
        params = list(inspect.signature(obj).parameters.values())
        if params and params[0].name in ("self", "cls"):
            params = params[1:]
    return params


def _star(param: inspect.Parameter) -> str:
    return {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "") + param.name


def _function_node(obj) -> ast.FunctionDef | None:
    """The function's own syntax tree (a class: its `__init__`), or None without source."""
    target = vars(obj).get("__init__") if inspect.isclass(obj) else obj
    if target is None:
        return None
    try:
        source = textwrap.dedent(inspect.getsource(target))
    except (OSError, TypeError):
        return None
    node = ast.parse(source).body[0]
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None


def _raised_names(node: ast.FunctionDef) -> set[str]:
    """Exception classes the function raises itself (`raise Name(...)`), not in nested defs."""
    names: set[str] = set()

    def visit(n):
        for child in ast.iter_child_nodes(n):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Raise) and isinstance(child.exc, ast.Call):
                func = child.exc.func
                if isinstance(func, ast.Name):
                    names.add(func.id)
                elif isinstance(func, ast.Attribute):
                    names.add(func.attr)
            visit(child)

    visit(node)
    return names


# --- modules ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mod_name", PUBLIC_MODULES)
def test_module_has_a_docstring_and_all(mod_name):
    mod = _module(mod_name)
    assert (mod.__doc__ or "").strip(), f"{mod_name} has no module docstring"
    assert hasattr(mod, "__all__"), f"{mod_name} has no __all__ listing its public names"
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{mod_name}.__all__ lists names it does not define: {missing}"


SUBMODULES = [info.name for info in pkgutil.walk_packages(pybackprop.__path__, "pybackprop.")]


@pytest.mark.parametrize("mod_name", ["pybackprop", *SUBMODULES])
def test_every_module_has_a_docstring_with_a_summary(mod_name):
    doc = importlib.import_module(mod_name).__doc__ or ""
    assert doc.strip(), f"{mod_name} has no module docstring"
    _check_summary(mod_name, doc)


# --- every public name ------------------------------------------------------------------------


@pytest.mark.parametrize("qualname", sorted(DOCUMENTED))
def test_public_name_has_its_own_docstring(qualname):
    doc = _own_doc(DOCUMENTED[qualname])
    assert doc and doc.strip(), f"{qualname} has no docstring of its own"
    _check_summary(qualname, doc)


def _check_summary(name: str, doc: str) -> None:
    """The first line is the summary the reference's tables show: one whole sentence."""
    summary = inspect.cleandoc(doc).splitlines()[0].rstrip()
    assert summary, f"{name}: the docstring's first line (its summary) is empty"
    assert summary.endswith((".", ")", "?", "!")), (
        f"{name}: the summary line {summary!r} does not end a sentence; the reference's index "
        "shows only this line, so end it there and continue after a blank line"
    )


@pytest.mark.parametrize("qualname", sorted(CALLABLES))
def test_parameters_section_names_every_parameter(qualname):
    obj = CALLABLES[qualname]
    expected = [_star(p) for p in _signature_parameters(obj)]
    documented = [p.name for p in _sections(obj).get("parameters", [])]
    # griffe may keep or drop the stars of *args/**kwargs; compare without them.
    assert [n.lstrip("*") for n in documented] == [n.lstrip("*") for n in expected], (
        f"{qualname}: the Parameters section documents {documented}, "
        f"but the signature takes {expected} (same names, same order)"
    )


@pytest.mark.parametrize("qualname", sorted(CALLABLES))
def test_public_signature_has_type_hints(qualname):
    obj = CALLABLES[qualname]
    bare = [_star(p) for p in _signature_parameters(obj) if p.annotation is p.empty]
    assert not bare, f"{qualname}: parameters without a type hint: {bare}"
    if not inspect.isclass(obj):
        returns = inspect.signature(obj).return_annotation
        assert returns is not inspect.Signature.empty, f"{qualname} has no return type hint"


@pytest.mark.parametrize(
    "qualname", sorted(q for q, o in CALLABLES.items() if not inspect.isclass(o))
)
def test_returns_section_when_something_is_returned(qualname):
    obj = CALLABLES[qualname]
    returns = inspect.signature(obj).return_annotation
    if returns in (None, "None", inspect.Signature.empty):
        return
    sections = _sections(obj)
    # quartodoc's renderer cannot show a Yields section (the build stops), so a generator
    # documents what it returns: `Iterator[...]` in a Returns section.
    assert "yields" not in sections, f"{qualname}: write Returns (Iterator[...]), not Yields"
    assert "returns" in sections, (
        f"{qualname} returns {returns} but its docstring has no Returns section"
    )


@pytest.mark.parametrize("qualname", sorted(CALLABLES))
def test_raises_section_names_what_it_raises(qualname):
    obj = CALLABLES[qualname]
    node = _function_node(obj)
    raised = _raised_names(node) if node else set()
    documented = {
        getattr(e.annotation, "name", str(e.annotation)) for e in _sections(obj).get("raises", [])
    }
    missing = sorted(name for name in raised if name not in documented)
    assert not missing, (
        f"{qualname} raises {missing} but its Raises section lists {sorted(documented)}"
    )


@pytest.mark.parametrize("qualname", sorted(TOP_LEVEL_EXAMPLES))
def test_examples_section_with_a_doctest(qualname):
    examples = _sections(TOP_LEVEL_EXAMPLES[qualname]).get("examples", [])
    assert any(">>>" in text for _, text in examples), (
        f"{qualname} has no Examples section with a doctest (>>> lines)"
    )


# --- the examples run -------------------------------------------------------------------------


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for info in pkgutil.walk_packages(pybackprop.__path__, "pybackprop."):
        if info.name.endswith("__main__"):
            continue
        tests.extend(t for t in finder.find(importlib.import_module(info.name)) if t.examples)
    tests.extend(t for t in finder.find(pybackprop) if t.examples)
    return sorted(tests, key=lambda t: t.name)


DOCTESTS = _doctests()


@pytest.mark.parametrize("test", DOCTESTS, ids=[t.name for t in DOCTESTS])
def test_docstring_example_runs(test, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report: list[str] = []
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)
