"""Docstrings: the rule of issue 22, for the whole package.

1. A public name (a class or function in the `__all__` of a module in PUBLIC_MODULES) has a
   numpy docstring, as quartodoc's numpy parser reads it for the Reference: a one-line
   summary, Parameters naming every argument, Returns when something is returned, Raises for
   what it raises itself, and an Examples doctest; every doctest of the package runs here.
2. A public method of a public class that overrides nothing has a summary, and Parameters and
   Returns sections when it takes or returns something.
3. An override (a method whose name a base class other than `object` defines too), a property
   and a private function or method (`_name`, not a dunder) has no docstring or a docstring of
   one physical line, found with `ast` in every source file of the package.
4. Docstrings are at most 30% of the package's lines, and each class of nn/layers.py and
   nn/loss.py fits on one screen (80 lines).

Each check is a function returning what it found wrong; the tests at the end feed each one a
small bad example, so that a check that could never fail would show.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import logging
import pkgutil
import textwrap
from pathlib import Path
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
    "pybackprop.optim.lr_scheduler",
    "pybackprop.optim",
    "pybackprop.train",
    "pybackprop.data",
    "pybackprop.gradcheck",
    "pybackprop.exercises",
    "pybackprop.explore",
    "pybackprop",
]
PACKAGE_DIR = Path(pybackprop.__file__).parent
MAX_DOCSTRING_SHARE = 0.30
MAX_CLASS_LINES = 80
ONE_SCREEN_FILES = ["nn/layers.py", "nn/loss.py"]

# griffe logs a warning for every parameter without a type in the docstring; the checks below
# report what matters, so keep its messages out of the test output.
logging.getLogger("griffe").setLevel(logging.ERROR)


def _is_override(cls: type, name: str) -> bool:
    """Whether a base class of cls other than object defines name too."""
    return any(name in vars(base) for base in cls.__mro__[1:] if base is not object)


def _public_objects() -> dict[str, object]:
    """Qualified name -> each class and function in a public `__all__`, listed once."""
    found: dict[str, object] = {}
    seen: set[int] = set()
    for mod_name in PUBLIC_MODULES:
        mod = importlib.import_module(mod_name)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name, None)
            if isinstance(obj, ModuleType) or id(obj) in seen:
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                seen.add(id(obj))
                found[f"{mod_name}.{name}"] = obj
    return found


def _rule_2_methods(cls: type) -> dict[str, object]:
    """The class's own public methods that override nothing, unwrapped to functions."""
    methods = {}
    for name, attr in vars(cls).items():
        if name.startswith("_") or _is_override(cls, name):
            continue
        if isinstance(attr, staticmethod | classmethod):
            methods[name] = attr.__func__
        elif inspect.isfunction(attr):
            methods[name] = attr
    return methods


PUBLIC = _public_objects()
METHODS = {
    f"{qualname}.{name}": method
    for qualname, obj in PUBLIC.items()
    if inspect.isclass(obj)
    for name, method in _rule_2_methods(obj).items()
}
DOCUMENTED = {**PUBLIC, **METHODS}
WITH_EXAMPLES = {
    q: o for q, o in PUBLIC.items() if not (inspect.isclass(o) and issubclass(o, BaseException))
}
SOURCES = {path.relative_to(PACKAGE_DIR).as_posix(): path for path in PACKAGE_DIR.rglob("*.py")}


# --- rules 1 and 2: the sections, parsed as quartodoc parses them ------------------------------


def _own_doc(obj) -> str | None:
    """The object's own docstring (a class does not inherit its parent's here)."""
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
        return list(inspect.signature(obj.__init__).parameters.values())[1:]
    params = list(inspect.signature(obj).parameters.values())
    return params[1:] if params and params[0].name in ("self", "cls") else params


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


def summary_problems(name: str, doc: str | None) -> list[str]:
    """The first line is the summary the reference's tables show: one whole sentence."""
    if not (doc or "").strip():
        return [f"{name} has no docstring of its own"]
    summary = inspect.cleandoc(doc).splitlines()[0].rstrip()
    if not summary.endswith((".", ")", "?", "!")):
        return [
            f"{name}: the summary line {summary!r} does not end a sentence; the reference's "
            "index shows only this line, so end it there and continue after a blank line"
        ]
    return []


def parameters_problems(name: str, obj) -> list[str]:
    """The Parameters section names the signature's parameters, in order."""
    expected = [_star(p) for p in _signature_parameters(obj)]
    documented = [p.name for p in _sections(obj).get("parameters", [])]
    # griffe may keep or drop the stars of *args/**kwargs; compare without them.
    if [n.lstrip("*") for n in documented] != [n.lstrip("*") for n in expected]:
        return [
            f"{name}: the Parameters section documents {documented}, "
            f"but the signature takes {expected} (same names, same order)"
        ]
    return []


def type_hint_problems(name: str, obj) -> list[str]:
    """Every parameter has a type hint, and a function its return type."""
    problems = []
    bare = [_star(p) for p in _signature_parameters(obj) if p.annotation is p.empty]
    if bare:
        problems.append(f"{name}: parameters without a type hint: {bare}")
    if (
        not inspect.isclass(obj)
        and inspect.signature(obj).return_annotation is inspect.Signature.empty
    ):
        problems.append(f"{name} has no return type hint")
    return problems


def returns_problems(name: str, obj) -> list[str]:
    """A function that returns something has a Returns section (never Yields)."""
    if inspect.isclass(obj):
        return []
    returns = inspect.signature(obj).return_annotation
    if returns in (None, "None", inspect.Signature.empty):
        return []
    sections = _sections(obj)
    # quartodoc's renderer cannot show a Yields section (the build stops), so a generator
    # documents what it returns: `Iterator[...]` in a Returns section.
    if "yields" in sections:
        return [f"{name}: write Returns (Iterator[...]), not Yields"]
    if "returns" not in sections:
        return [f"{name} returns {returns} but its docstring has no Returns section"]
    return []


def raises_problems(name: str, obj) -> list[str]:
    """The Raises section names each exception the function (or `__init__`) raises itself."""
    node = _function_node(obj)
    raised = _raised_names(node) if node else set()
    documented = {
        getattr(e.annotation, "name", str(e.annotation)) for e in _sections(obj).get("raises", [])
    }
    missing = sorted(name for name in raised if name not in documented)
    if missing:
        return [f"{name} raises {missing} but its Raises section lists {sorted(documented)}"]
    return []


def examples_problems(name: str, obj) -> list[str]:
    """An Examples section with a doctest."""
    examples = _sections(obj).get("examples", [])
    if not any(">>>" in text for _, text in examples):
        return [f"{name} has no Examples section with a doctest (>>> lines)"]
    return []


def rule_1_problems(name: str, obj) -> list[str]:
    """What a public name's docstring lacks (rule 1)."""
    problems = summary_problems(name, _own_doc(obj))
    if problems:
        return problems
    problems += parameters_problems(name, obj) + type_hint_problems(name, obj)
    problems += returns_problems(name, obj) + raises_problems(name, obj)
    if not (inspect.isclass(obj) and issubclass(obj, BaseException)):
        problems += examples_problems(name, obj)
    return problems


def rule_2_problems(name: str, method) -> list[str]:
    """What a public method's docstring lacks (rule 2): no Raises or Examples needed."""
    problems = summary_problems(name, _own_doc(method))
    if problems:
        return problems
    problems += parameters_problems(name, method) + type_hint_problems(name, method)
    return problems + returns_problems(name, method)


# --- rule 3: one line at most, found in the source --------------------------------------------


def _docstring_node(node: ast.AST) -> ast.Expr | None:
    """The docstring expression of a module, class or function, if it has one."""
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[0] if isinstance(body[0].value.value, str) else None
    return None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_property(node: ast.FunctionDef) -> bool:
    """Decorated with @property, @cached_property, or a property's @x.setter/getter/deleter."""
    for decorator in node.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else None
        name = decorator.id if isinstance(decorator, ast.Name) else name
        if name in ("property", "cached_property", "setter", "getter", "deleter"):
            return True
    return False


def rule_3_problems(source: str, namespace: dict, where: str) -> list[str]:
    """Overrides, properties and private functions whose docstring spans several lines.

    `namespace` holds the module's objects, so that a class defined at module level (or
    nested in one) is found to tell its overrides; a class inside a function is not.
    """
    problems = []

    def visit(body: list[ast.stmt], prefix: str, owner, in_class: bool) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                cls = getattr(owner, node.name, None) if in_class else namespace.get(node.name)
                if prefix and not in_class:  # a class defined inside a function
                    cls = None
                cls = cls if inspect.isclass(cls) else None
                visit(node.body, f"{prefix}{node.name}.", cls, True)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                kinds = [
                    kind
                    for kind, applies in (
                        ("private", _is_private(node.name)),
                        ("property", in_class and _is_property(node)),
                        ("override", owner is not None and _is_override(owner, node.name)),
                    )
                    if applies
                ]
                doc = _docstring_node(node)
                if kinds and doc is not None and doc.end_lineno > doc.lineno:
                    problems.append(
                        f"{where}:{node.lineno} {prefix}{node.name} ({', '.join(kinds)}) has a "
                        f"docstring of {doc.end_lineno - doc.lineno + 1} lines; write one line "
                        "stating its maths or purpose, or none"
                    )
                visit(node.body, f"{prefix}{node.name}.", None, False)

    visit(ast.parse(source).body, "", None, False)
    return problems


def _module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    return ".".join(["pybackprop", *[p for p in parts if p != "__init__"]])


# --- rule 4: the share of docstrings, and classes on one screen ------------------------------


def docstring_lines(source: str) -> int:
    """Physical lines of every module, class and function docstring in source."""
    return sum(
        doc.end_lineno - doc.lineno + 1
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and (doc := _docstring_node(node)) is not None
    )


def share_problem(sources: dict[str, str], limit: float) -> str | None:
    """A message naming the worst modules if docstrings exceed `limit` of all the lines."""
    counts = {
        name: (docstring_lines(text), len(text.splitlines())) for name, text in sources.items()
    }
    docs = sum(d for d, _ in counts.values())
    lines = sum(n for _, n in counts.values())
    if docs <= limit * lines:
        return None
    worst = sorted(counts.items(), key=lambda item: -item[1][0] / max(item[1][1], 1))[:8]
    table = "\n".join(
        f"  {d / max(n, 1):4.0%}  {d:5} of {n:5} lines  {name}" for name, (d, n) in worst
    )
    return (
        f"docstrings are {docs / lines:.1%} of the package's lines ({docs} of {lines}); "
        f"at most {limit:.0%}. The modules with the largest share:\n{table}"
    )


def long_classes(source: str, limit: int) -> list[str]:
    """Classes of source spanning more than `limit` lines, from `class` to their end."""
    return [
        f"{node.name} spans {node.end_lineno - node.lineno + 1} lines (at most {limit})"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > limit
    ]


# --- the package ------------------------------------------------------------------------------


@pytest.mark.parametrize("mod_name", PUBLIC_MODULES)
def test_module_has_a_docstring_and_all(mod_name):
    mod = importlib.import_module(mod_name)
    assert (mod.__doc__ or "").strip(), f"{mod_name} has no module docstring"
    assert hasattr(mod, "__all__"), f"{mod_name} has no __all__ listing its public names"
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{mod_name}.__all__ lists names it does not define: {missing}"


SUBMODULES = [info.name for info in pkgutil.walk_packages(pybackprop.__path__, "pybackprop.")]


@pytest.mark.parametrize("mod_name", ["pybackprop", *SUBMODULES])
def test_every_module_has_a_docstring_with_a_summary(mod_name):
    doc = importlib.import_module(mod_name).__doc__
    assert not summary_problems(mod_name, doc), summary_problems(mod_name, doc)


@pytest.mark.parametrize("qualname", sorted(PUBLIC))
def test_public_name_has_the_numpy_sections(qualname):
    problems = rule_1_problems(qualname, PUBLIC[qualname])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("qualname", sorted(METHODS))
def test_public_method_has_a_summary_and_its_sections(qualname):
    problems = rule_2_problems(qualname, METHODS[qualname])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("relative", sorted(SOURCES))
def test_overrides_properties_and_private_functions_have_one_line_at_most(relative):
    name = _module_name(relative)
    namespace = {} if name.endswith("__main__") else vars(importlib.import_module(name))
    problems = rule_3_problems(SOURCES[relative].read_text(encoding="utf-8"), namespace, relative)
    assert not problems, "\n".join(problems)


def test_docstrings_are_at_most_30_percent_of_the_package():
    sources = {name: path.read_text(encoding="utf-8") for name, path in SOURCES.items()}
    problem = share_problem(sources, MAX_DOCSTRING_SHARE)
    assert problem is None, problem


@pytest.mark.parametrize("relative", ONE_SCREEN_FILES)
def test_each_layer_and_loss_class_fits_on_one_screen(relative):
    problems = long_classes(SOURCES[relative].read_text(encoding="utf-8"), MAX_CLASS_LINES)
    assert not problems, f"{relative}: " + "; ".join(problems)


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


# --- each check can fail ----------------------------------------------------------------------

FAKE_SOURCE = '''
class Base:
    def forward(self, x):
        """The base's own: rule 2 allows sections."""

    def _helper(self):
        """One line is fine."""


class Child(Base):
    def forward(self, x):
        """Child forward.

        Parameters repeated from the base.
        """

    def _helper(self):
        pass

    @property
    def size(self):
        """Size.

        Three lines.
        """

    def public(self):
        """Its own method.

        Rule 2: several lines allowed.
        """


def _private(x):
    """A private helper

    that rambles.
    """
'''


def test_rule_3_reports_overrides_properties_and_private_functions():
    namespace: dict = {}
    exec(FAKE_SOURCE, namespace)
    problems = rule_3_problems(FAKE_SOURCE, namespace, "fake.py")
    assert [p.split(" has ")[0] for p in problems] == [
        "fake.py:11 Child.forward (override)",
        "fake.py:21 Child.size (property)",
        "fake.py:34 _private (private)",
    ]
    # Without the classes (e.g. defined inside a function), overrides cannot be told apart.
    assert len(rule_3_problems(FAKE_SOURCE, {}, "fake.py")) == 2


class _FakeBase:
    def step(self, x: int) -> int:
        """Step.

        Parameters
        ----------
        x : int
            The input.
        """
        return x


def _fake_function(x: int, y: float) -> float:
    """Add up.

    Parameters
    ----------
    x : int
        One.
    """
    if x < 0:
        raise ValueError("x must not be negative")
    return x + y


def test_rule_1_reports_each_missing_part():
    problems = "\n".join(rule_1_problems("fake", _fake_function))
    for expected in (
        "documents ['x'], but the signature takes ['x', 'y']",
        "no Returns section",
        "raises ['ValueError']",
        "no Examples section",
    ):
        assert expected in problems
    assert type_hint_problems("fake", lambda x: x) == [
        "fake: parameters without a type hint: ['x']",
        "fake has no return type hint",
    ]
    assert summary_problems("fake", None) == ["fake has no docstring of its own"]
    assert "does not end a sentence" in summary_problems("fake", "Add up\n\nthe numbers.")[0]


def test_rule_2_reports_a_missing_returns_but_asks_no_examples():
    assert rule_2_problems("fake", _FakeBase.step) == [
        "fake returns int but its docstring has no Returns section"
    ]
    assert _rule_2_methods(_FakeBase) == {"step": _FakeBase.step}
    assert _rule_2_methods(type("Child", (_FakeBase,), {"step": _FakeBase.step})) == {}


def test_share_reports_the_worst_modules():
    docs = '"""Doc.\n\nMore.\n"""\n'
    sources = {"wordy.py": docs + "x = 1\n", "plain.py": "y = 2\n" * 20}
    assert docstring_lines(docs + "def f():\n    '''One.'''\n") == 5
    assert share_problem(sources, 0.30) is None
    problem = share_problem({**sources, "plain.py": "y = 2\n"}, 0.30)
    assert problem and problem.index("wordy.py") < problem.index("plain.py")
    assert "docstrings are 66.7% of the package's lines (4 of 6)" in problem


def test_long_classes_reports_a_class_over_the_limit():
    source = "class Long:\n" + "    x = 1\n" * 80 + "\n\nclass Short:\n    y = 2\n"
    assert long_classes(source, 80) == ["Long spans 81 lines (at most 80)"]
    assert long_classes(source, 81) == []
