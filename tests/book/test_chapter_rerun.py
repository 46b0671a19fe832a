"""Chapter cells as learners use them: re-run one by one, and with the exercises done.

Three properties, for every page with Python cells:

- **Exercises do not overwrite the chapter.** No code cell of the `## Exercises` section defines
  at top level (`def`, `class`, or an assignment) a name that a cell before the section defined.
  Otherwise a learner's half-written starter replaces the chapter's working function, and
  re-running an earlier cell silently uses the learner's version (a static check, no kernel).
- **Each name a cell reads from another cell is bound by one cell only.** Otherwise re-running
  it after the other binding cell, earlier or later in the page, computes with another
  section's value (a static check).
- **Every cell gives the same result when run twice in a row.** The page's one execution
  (tests/book/pages.py) runs each code cell immediately followed by a copy of itself; the two
  runs' text outputs (results as
  text or markdown, stdout and stderr, errors) must agree after a narrow normalisation: memory
  addresses, the time column of fit's epoch table, and numbers (and the spacing around them) in
  cells that call a clock. Images and HTML (figures, progress bars) are not compared.

A cell is named as tests/book/test_chapters.py names it (file, line, notebook cell number).
"""

from __future__ import annotations

import ast
import re
import symtable
from itertools import zip_longest
from pathlib import Path

import pytest

from tests.book.pages import (
    ANSI,
    EXERCISES,
    PAGES,
    cell_error,
    cell_label,
    page_cells,
    rel,
    run,
    top_level_headings,
)

# --- exercises do not redefine the chapter's names ------------------------------------------


def code_without_options(source: str) -> str:
    """A cell's Python source; `#|` option lines are comments, IPython magics are dropped."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []  # attribute or subscript assignment: changes an object, binds no name


def top_level_definitions(source: str) -> dict[str, int]:
    """Names a cell binds at top level with def, class or assignment: name -> line in the cell."""
    found: dict[str, int] = {}
    for node in ast.parse(code_without_options(source)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [name for target in node.targets for name in _target_names(target)]
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            names = _target_names(node.target)
        else:
            continue
        for name in names:
            found.setdefault(name, node.lineno)
    return found


def _qmd_line(text: str, source: str, line_in_cell: int = 1) -> int | None:
    """The line of `text` (a .qmd) holding line `line_in_cell` of the cell `source`."""
    at = text.find(source) if source else -1
    return None if at < 0 else text.count("\n", 0, at) + line_in_cell


def exercise_redefinitions(path: Path) -> list[str]:
    """One line per exercise cell definition of a name the chapter defined before its exercises."""
    text = path.read_text(encoding="utf-8")
    cells = page_cells(path)
    headings = top_level_headings(cells)
    starts = [index for title, index in headings if title == EXERCISES]
    if not starts:
        return []  # test_chapters.test_chapter_has_required_sections asks for the section
    start = starts[0]
    later = [index for _, index in headings if index > start]
    end = later[0] if later else len(cells)
    before: dict[str, int | None] = {}
    for cell in cells[:start]:
        if cell["cell_type"] == "code":
            for name, line in top_level_definitions(cell["source"]).items():
                before.setdefault(name, _qmd_line(text, cell["source"], line))
    problems = []
    for cell in cells[start:end]:
        if cell["cell_type"] != "code":
            continue
        for name, line in top_level_definitions(cell["source"]).items():
            if name in before:
                problems.append(
                    f"{rel(path)}, line {_qmd_line(text, cell['source'], line)} (exercises): "
                    f"defines {name!r}, which the chapter defined at line {before[name]}"
                )
    return problems


def test_top_level_definitions_are_the_names_a_cell_binds():
    source = (
        "#| echo: false\n%matplotlib inline\nimport numpy as np\n"
        "def f(x):\n    inner = x\n    return inner\n"
        "class C:\n    attr = 1\n"
        "a, (b, *c) = 1, (2, 3, 4)\nd: int = 5\ne += 1\n"
        "obj.attr = 6\narr[0] = 7\nfor g in []:\n    pass\n"
    )
    assert top_level_definitions(source) == {
        "f": 4,
        "C": 7,
        "a": 9,
        "b": 9,
        "c": 9,
        "d": 10,
        "e": 11,
    }


def test_a_redefinition_in_the_exercises_is_reported_with_both_lines(tmp_path):
    page = tmp_path / "page.qmd"
    page.write_text(
        "---\ntitle: t\n---\n\n## Learning objectives\n\n"
        "```{python}\ndef f(x):\n    return x\n```\n\n"
        "## Exercises\n\n### Exercise 1\n\n"
        "```{python}\ndef my_f(x):\n    return x\n\n\ndef f(x):\n    return 0\n```\n\n"
        "## Meeting videos\n\n```{python}\nf = 1\n```\n",
        encoding="utf-8",
    )
    problems = exercise_redefinitions(page)
    assert len(problems) == 1, problems
    assert "line 21 (exercises): defines 'f', which the chapter defined at line 8" in problems[0]


@pytest.mark.parametrize("path", PAGES, ids=rel)
def test_exercises_do_not_redefine_chapter_names(path):
    problems = exercise_redefinitions(path)
    assert not problems, (
        "an exercise cell redefines a name of the chapter; re-running the chapter's cell after it "
        "would use the learner's version. Give the exercise's names their own (e.g. my_...):\n"
        + "\n".join(problems)
    )


# --- a solution replaces its exercise's cells whole ---------------------------------------------

_DIV_OPEN = re.compile(r"^(:{3,})\s*\{")
_DIV_CLOSE = re.compile(r"^:{3,}\s*$")


def exercise_cells(text: str) -> list[tuple[str, list[str], list[str]]]:
    """(exercise heading, starter cells' sources, solution cells' sources) of a page's exercises.

    A solution cell is a `{python}` cell inside a callout whose heading is "## Solution"; the
    other `{python}` cells of the exercise, outside any callout, are its starter cells.
    """
    found: list[tuple[str, list[str], list[str]]] = []
    divs: list[bool] = []  # one entry per open div: is it a Solution callout?
    in_exercises, cell = False, None
    for line in text.splitlines():
        if cell is not None:
            if line.startswith("```"):
                (found[-1][2] if any(divs) else found[-1][1]).append("\n".join(cell))
                cell = None
            else:
                cell.append(line)
        elif _DIV_OPEN.match(line):
            divs.append(False)
        elif _DIV_CLOSE.match(line) and divs:
            divs.pop()
        elif divs and line.strip() == "## Solution":
            divs[-1] = True  # a callout's title, not a section of the page
        elif not divs and line.startswith("## "):
            in_exercises = line[3:].strip().startswith(EXERCISES)
        elif in_exercises and not divs and line.startswith("### "):
            found.append((line[4:].strip(), [], []))
        elif in_exercises and found and line.startswith("```{python}"):
            cell = []
    return found


def partial_solutions(path: Path) -> list[str]:
    """One line per name an exercise's starter defines and its solution does not."""
    problems = []
    for heading, starters, solutions in exercise_cells(path.read_text(encoding="utf-8")):
        if not solutions:
            continue
        starter_names = set().union(*(top_level_definitions(s) for s in starters))
        solution_names = set().union(*(top_level_definitions(s) for s in solutions))
        for name in sorted(starter_names - solution_names):
            problems.append(f"{rel(path)}, {heading!r}: the solution does not define {name!r}")
    return problems


def test_exercise_cells_are_read_as_starters_and_solutions():
    text = (
        "## Exercises\n\n### Exercise 1: one\n\n```{python}\ndef f():\n    return 0\n"
        'g = 1\n```\n\n::: {.callout-tip collapse="true"}\n## Hint\n\nno code\n:::\n\n'
        '::: {.callout-tip collapse="true"}\n## Solution\n\n```{python}\ndef f():\n'
        "    return 1\n```\n:::\n\n## Meeting videos\n"
    )
    assert exercise_cells(text) == [
        ("Exercise 1: one", ["def f():\n    return 0\ng = 1"], ["def f():\n    return 1"])
    ]


@pytest.mark.parametrize("path", PAGES, ids=rel)
def test_each_solution_replaces_its_starter_whole(path):
    problems = partial_solutions(path)
    assert not problems, (
        "a learner who pastes a solution over the exercise's cells loses names that the starter "
        "defined and later cells read; give the solution every name its starter defines:\n"
        + "\n".join(problems)
    )


# --- a cell run again later reads the names it read the first time ----------------------------


def names_read(source: str) -> set[str]:
    """Global names a cell reads that it does not bind at top level itself.

    Both the cell's top level and the functions it defines count (a function reads its
    globals when it is called); a name the cell binds at top level (assignment, def, import,
    loop variable) is the cell's own: it sets it before it is used.
    """
    table = symtable.symtable(code_without_options(source), "<cell>", "exec")
    own = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    read = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    scopes = list(table.get_children())
    while scopes:
        scope = scopes.pop()
        scopes.extend(scope.get_children())
        read |= {
            s.get_name()
            for s in scope.get_symbols()
            if s.is_referenced() and s.is_global() and not s.is_declared_global()
        }
    return read - own


class _Bindings(ast.NodeVisitor):
    """Names a cell binds in its global scope, at any depth of its blocks: name -> line."""

    def __init__(self) -> None:
        self.found: dict[str, int] = {}

    def _bind(self, name: str, line: int) -> None:
        self.found.setdefault(name, line)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._bind(node.id, node.lineno)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._bind(node.name, node.lineno)  # its body is another scope

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_alias(self, node: ast.alias) -> None:
        self._bind((node.asname or node.name).split(".")[0], node.lineno)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        pass  # parameters and comprehension variables are local to their own scope

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_Lambda


def global_bindings(source: str) -> dict[str, int]:
    """Names a cell binds in its global scope, in loops and `with` blocks too: name -> line."""
    visitor = _Bindings()
    visitor.visit(ast.parse(code_without_options(source)))
    return visitor.found


def rebindings(path: Path) -> list[str]:
    """One line per name a chapter cell reads from an earlier cell when another cell binds it too.

    Re-running the reading cell after any other binding cell, earlier or later (as members do,
    scrolling back during a meeting), would compute with that section's value, or fail on its
    shape: each name a cell reads from elsewhere must be bound by one cell only.
    """
    text = path.read_text(encoding="utf-8")
    cells = page_cells(path)
    starts = [index for title, index in top_level_headings(cells) if title == EXERCISES]
    body = [c for c in cells[: starts[0] if starts else len(cells)] if c["cell_type"] == "code"]
    defined = [global_bindings(cell["source"]) for cell in body]
    problems = []
    for i, cell in enumerate(body):
        earlier = set().union(*defined[:i]) if i else set()
        for name in sorted(names_read(cell["source"]) & earlier):
            binders = [j for j, names in enumerate(defined) if name in names]
            if len(binders) > 1:
                lines = [str(_qmd_line(text, body[j]["source"], defined[j][name])) for j in binders]
                problems.append(
                    f"{rel(path)}, line {_qmd_line(text, cell['source'])} reads {name!r}, which "
                    f"lines {', '.join(lines)} all bind"
                )
    return problems


def test_names_read_are_those_the_cell_does_not_bind():
    source = (
        "import numpy as np\nfrom a import b as c\ny = f(x) + np.ones(1)\n"
        "def g(v, *args, k=1):\n    w = v + W\n    return [u for u in args] + w\n"
        "for i in range(n):\n    total = i\ntry:\n    pass\nexcept E as err:\n    print(err)\n"
    )
    assert names_read(source) == {"f", "x", "W", "range", "n", "E", "print"}
    # a parameter of a function is not the global of the same name that top level reads
    assert names_read("def loss(model):\n    return model\nprint(loss(model))") == {
        "model",
        "print",
    }


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # a later section binds again the name an earlier cell reads
        (
            ["W = 1", "print(W + 1)", "W = 2\nV = 3", "print(V)"],
            "line 12 reads 'W', which lines 8, 16",
        ),
        # an earlier section binds it first: running that cell again changes the reader's input
        (["W = 1", "W = 2", "print(W + 1)"], "line 16 reads 'W', which lines 8, 12"),
    ],
)
def test_a_name_bound_by_two_cells_is_reported_with_every_line(tmp_path, cells, expected):
    page = tmp_path / "page.qmd"
    body = "\n\n".join(f"```{{python}}\n{cell}\n```" for cell in cells)
    page.write_text(f"---\ntitle: t\n---\n\n## One\n\n{body}\n", encoding="utf-8")
    assert rebindings(page) == [f"{rel(page)}, {expected} all bind"]


def test_a_name_bound_once_and_read_anywhere_is_not_reported(tmp_path):
    page = tmp_path / "page.qmd"
    page.write_text(
        "---\ntitle: t\n---\n\n## One\n\n```{python}\nW = 1\n```\n\n"
        "```{python}\nprint(W)\n```\n\n```{python}\nW2 = W + 1\nprint(W)\n```\n",
        encoding="utf-8",
    )
    assert rebindings(page) == []


@pytest.mark.parametrize("path", PAGES, ids=rel)
def test_a_name_read_from_another_cell_is_bound_by_one_cell(path):
    problems = rebindings(path)
    assert not problems, (
        "a cell reads a name that two cells bind; run again after the other one in a meeting, "
        "it would compute with that section's value. Give each section its own names:\n"
        + "\n".join(problems)
    )


# --- every cell run twice in a row ------------------------------------------------------------

_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# A cell that measures time prints different numbers on every run: in such a cell (and only
# there) numbers are masked, so the words and layout around them must still agree.
_TIMES_CODE = re.compile(
    r"\btimeit\.\w+\(|\b(?:perf_counter|process_time|monotonic)\(|\btime\.time\("
)
# fit's epoch table (Markdown while it trains, text in History's repr) ends each row with the
# epoch's wall-clock time, e.g. "| 0.9145 | 0.09s |" or "0.9145   0.09s".
_TIME_AT_END_OF_ROW = re.compile(r"\b\d+\.\d+s(?=[ \t]*\|?[ \t]*$)", re.MULTILINE)


def _normalise(text: str, timed: bool) -> str:
    text = _ADDRESS.sub("0x…", ANSI.sub("", text))
    text = _TIME_AT_END_OF_ROW.sub("(time)", text)
    if timed:  # numbers of another width shift the columns: spacing is masked too
        text = re.sub(r"[ \t]+", " ", _NUMBER.sub("#", text))
    return text


def comparable_outputs(cell: dict) -> list[str]:
    """The text a reader compares between two runs of `cell`: results, streams and errors."""
    timed = bool(_TIMES_CODE.search(cell["source"]))
    texts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            texts.append(f"[{out['name']}] {out['text']}")
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            # With a rich form (an image, HTML such as a progress bar) text/plain is only a
            # placeholder like "<Figure size ...>"; markdown is text a reader reads.
            if "text/markdown" in data:
                texts.append(f"[markdown] {data['text/markdown']}")
            elif "text/plain" in data and not ({"text/html", "image/png"} & data.keys()):
                texts.append(f"[result] {data['text/plain']}")
        elif kind == "error":
            texts.append(f"[error] {out['ename']}: {out['evalue']}")
    # Streams arrive in chunks whose boundaries depend on timing: join them before comparing.
    return [_normalise(text, timed) for text in _merge_streams(texts)]


def _merge_streams(texts: list[str]) -> list[str]:
    merged: list[str] = []
    for text in texts:
        prefix = text.split("] ", 1)[0] + "] "
        if merged and text.startswith("[std") and merged[-1].startswith(prefix):
            merged[-1] += text[len(prefix) :]
        else:
            merged.append(text)
    return merged


def _printed(source: str, *texts: str) -> dict:
    outputs = [{"output_type": "stream", "name": "stdout", "text": text} for text in texts]
    return {"cell_type": "code", "source": source, "outputs": outputs}


def _fit_table(time: str, loss: str) -> dict:
    table = f"| epoch | train_loss | time |\n|---|---|---|\n| 1 | {loss} | {time} |\n"
    data = {"text/plain": "<IPython.core.display.Markdown object>", "text/markdown": table}
    return {"source": "train.fit(...)", "outputs": [{"output_type": "display_data", "data": data}]}


def test_outputs_are_compared_after_a_narrow_normalisation():
    same, differ = [], []
    # memory addresses never compare
    same.append(("print(obj)", "<Obj at 0x7f3a2b1c9d00>\n", "<Obj at 0x7f3a2b1c0000>\n"))
    # numbers compare, unless the cell calls a clock; importing timeit is not calling it
    differ.append(("print(x)", "loss 1.5\n", "loss 1.6\n"))
    differ.append(("import timeit\nprint(x)", "loss 1.5\n", "loss 1.6\n"))
    same.append(("t = timeit.repeat(f)\nprint(t)", "   1.5 ms  x 3\n", "  12.25 ms  x 30\n"))
    differ.append(("t = timeit.repeat(f)\nprint(t)", "1.5 ms\n", "1.5 s\n"))
    for source, first, second in same:
        assert comparable_outputs(_printed(source, first)) == comparable_outputs(
            _printed(source, second)
        ), (source, first, second)
    for source, first, second in differ:
        assert comparable_outputs(_printed(source, first)) != comparable_outputs(
            _printed(source, second)
        ), (source, first, second)
    # a stream split into chunks at other places is the same text
    assert comparable_outputs(_printed("", "ab", "c\n")) == comparable_outputs(
        _printed("", "abc\n")
    )
    # fit's epoch table: its time column is masked, its losses are not
    assert comparable_outputs(_fit_table("0.81s", "0.5994")) == comparable_outputs(
        _fit_table("0.43s", "0.5994")
    )
    assert comparable_outputs(_fit_table("0.81s", "0.5994")) != comparable_outputs(
        _fit_table("0.81s", "0.6001")
    )
    # and so is History's text table, whose rows end in the time without a bar
    row = "    1      0.5994    0.2951    0.9145   {}\n"
    assert comparable_outputs(_printed("print(hist)", row.format("0.09s"))) == comparable_outputs(
        _printed("print(hist)", row.format("0.12s"))
    )
    assert comparable_outputs(_printed("print(x)", "took 0.09s here\n")) != comparable_outputs(
        _printed("print(x)", "took 0.12s here\n")
    )


def _first_difference(first: list[str], second: list[str]) -> str:
    """The first line at which the two runs' outputs differ."""
    lines_a, lines_b = "\n".join(first).splitlines(), "\n".join(second).splitlines()
    for number, (a, b) in enumerate(zip_longest(lines_a, lines_b, fillvalue="(nothing)"), 1):
        if a != b:
            return (
                f"  output line {number}, first run:  {a[:300]}\n"
                f"  output line {number}, second run: {b[:300]}"
            )
    return "  (outputs differ only in how they are split)"


@pytest.mark.parametrize("path", PAGES, ids=rel)
def test_every_cell_gives_the_same_output_when_run_twice(path):
    result = run(path)
    problems = []
    for index, first, second in result.pairs:
        if "skip-execution" in first.get("metadata", {}).get("tags", []):
            continue
        label = cell_label(path, result.cells, index)
        if (error := cell_error(first)) is not None:
            problems.append(f"{label}\n  fails on its first run (see test_chapters): {error}")
        elif (error := cell_error(second)) is not None:
            problems.append(f"{label}\n  runs once, but its second run raises {error}")
        elif (a := comparable_outputs(first)) != (b := comparable_outputs(second)):
            problems.append(
                f"{label}\n  its second run prints something else:\n{_first_difference(a, b)}"
            )
    if result.stopped is not None:
        problems.append(result.stopped)
    assert not problems, "cells that do not give the same result when run twice in a row:\n\n" + (
        "\n\n".join(problems)
    )
