"""Nothing the learner's code does escapes a check (issue 24): sys.exit(), an exception whose
__str__ raises, a loop that never ends; only Ctrl-C does. And the starter code's report is
neutral: "not solved yet", without the mistake it is there to teach (issue 25, 2.8).

Every public check is run on each misbehaving function, so a check added later is covered.
"""

import _thread
import itertools
import linecache
import re
import sys
import threading
import warnings

import numpy as np
import pytest

import pybackprop.exercises as ex
from pybackprop import Value, nn
from pybackprop.exercises import CheckResult, set_time_limit

CHECK_NAMES = sorted(n for n in ex.__all__ if n.startswith("check_"))


def run(name, fn):
    """Run the check ``name`` on ``fn`` (check_value_backward on its "mul" op)."""
    check = getattr(ex, name)
    return check("mul", fn) if name == "check_value_backward" else check(fn)


@pytest.fixture
def short_limit():
    previous = set_time_limit(0.2)
    yield
    set_time_limit(previous)


def check_threads():
    return [t for t in threading.enumerate() if t.name == "pybackprop-check" and t.is_alive()]


class BrokenText(Exception):
    def __str__(self):
        raise RuntimeError("__str__ is broken too")

    def __repr__(self):
        raise RuntimeError("__repr__ is broken too")


def exits(*args, **kwargs):
    sys.exit("bye")


def raises_broken_text(*args, **kwargs):
    raise BrokenText()


def raises_generator_exit(*args, **kwargs):
    raise GeneratorExit


def loops_forever(*args, **kwargs):
    while True:
        pass


@pytest.mark.parametrize("name", CHECK_NAMES)
@pytest.mark.parametrize(
    "learner, words",
    [
        (exits, "SystemExit: bye"),
        (raises_broken_text, "BrokenText (its message could not be shown"),
        (raises_generator_exit, "GeneratorExit"),
    ],
    ids=["sys.exit", "broken __str__", "GeneratorExit"],
)
def test_an_exception_of_any_kind_is_a_report(name, learner, words):
    result = run(name, learner)
    assert isinstance(result, CheckResult) and not result.passed
    assert result.diagnosis == "exception" and words in result.message, str(result)
    assert learner.__name__ in result.learner_line
    assert str(result) and result._repr_markdown_()


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_a_loop_that_never_ends_is_stopped_and_reported(name, short_limit):
    result = run(name, loops_forever)
    assert not result.passed and result.diagnosis == "timeout", str(result)
    assert "did not return within 0.2 s: a loop that never ends?" in result.message
    assert "The check stopped it" in result.message and "set_time_limit(60)" in result.message
    assert not check_threads()


def test_a_loop_that_cannot_be_stopped_is_reported_as_still_running(short_limit):
    done = threading.Event()

    def swallows_everything(x, grad_out):
        while not done.is_set():
            try:
                done.wait(0.01)
            except BaseException:  # the learner's bare except: catches the check's stop too
                pass

    filters = list(warnings.filters)
    try:
        result = ex.check_relu_backward(swallows_everything)
        assert result.diagnosis == "timeout"
        assert "could not be stopped and is still running" in result.message
        assert "restart the kernel" in result.message
        assert warnings.filters == filters  # the check's silencing ends with it
    finally:
        done.set()
        for thread in check_threads():
            thread.join()


def test_a_string_that_never_ends_is_cut_to_a_readable_length():
    def raises_long(x, grad_out):
        raise ValueError("x" * 100_000)

    result = ex.check_relu_backward(raises_long)
    assert result.diagnosis == "exception" and len(result.message) < 2100


def test_an_exception_from_a_returned_object_is_a_report():
    class NotAFloat:
        def __float__(self):
            raise SystemExit("from __float__")

    result = ex.check_backward_walk(lambda root: {"x": NotAFloat(), "y": 1.0, "w": 1.0})
    assert not result.passed and result.diagnosis == "exception"
    assert "SystemExit: from __float__" in result.message and "__float__" in result.learner_line


def test_a_module_that_exits_in_its_forward_or_backward_is_a_report():
    class ExitsInBackward(nn.Module):
        def forward(self, x):
            return 2 * x

        def bwd(self, grad_out, x):
            sys.exit()

    class ExitsInForwardLater(nn.Module):
        calls = 0

        def forward(self, x):
            type(self).calls += 1
            if type(self).calls > 3:  # in the finite differences, after the first runs
                sys.exit()
            return 2 * x

        def bwd(self, grad_out, x):
            return 2 * grad_out

    for module in (ExitsInBackward, ExitsInForwardLater):
        result = ex.check_module(module)
        assert isinstance(result, CheckResult) and not result.passed, str(result)


def test_a_module_whose_backward_never_returns_is_stopped(short_limit):
    class LoopsInBackward(nn.Module):
        def forward(self, x):
            return 2 * x

        def bwd(self, grad_out, x):
            while True:
                pass

    result = ex.check_module(LoopsInBackward)
    assert result.diagnosis == "timeout" and "The check stopped it" in result.message
    assert not check_threads()


def test_ctrl_c_in_the_learners_code_is_not_swallowed():
    def interrupted(x, grad_out):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ex.check_relu_backward(interrupted)


def test_ctrl_c_while_the_check_waits_stops_the_learners_loop():
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        ex.check_relu_backward(loops_forever)
    timer.join()
    assert not check_threads()


def test_the_check_s_own_errors_are_not_swallowed():
    with pytest.raises(ValueError, match="unknown op"):
        ex.check_value_backward("nope", lambda x: x)


@pytest.mark.parametrize("seconds", [0, -1, float("inf"), float("nan"), "10", True])
def test_set_time_limit_refuses_what_is_not_a_duration(seconds):
    with pytest.raises(ValueError, match="positive finite number or None"):
        set_time_limit(seconds)


def test_no_time_limit_waits_as_long_as_it_takes():
    previous = set_time_limit(None)
    try:
        assert ex.check_relu_backward(lambda x, g: g * (x > 0)).passed
    finally:
        set_time_limit(previous)


# ---- the starter's report ---------------------------------------------------------------------


def starter(x, grad_out):  # chapter 5's ReLU exercise, as given
    return np.zeros_like(x)


def buggy_starter(x, grad_out):  # a "find the bug" starter: its mistake is the exercise
    return grad_out


def test_a_fingerprint_follows_what_the_function_returns():
    first, again = ex.check_relu_backward(starter), ex.check_relu_backward(starter)
    assert first.fingerprint == again.fingerprint
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{8}", first.fingerprint)
    same_numbers = ex.check_relu_backward(lambda x, g: np.zeros(x.shape, x.dtype))
    values, code = same_numbers.fingerprint.split("-")
    assert (
        first.fingerprint == f"{values}-{first.fingerprint[9:]}" and first.fingerprint[9:] != code
    )
    assert ex.check_relu_backward(buggy_starter).fingerprint != first.fingerprint
    other_seed = ex.check_relu_backward(buggy_starter, seed=1).fingerprint
    assert other_seed != ex.check_relu_backward(buggy_starter).fingerprint


def test_a_fingerprint_ignores_the_last_bits_of_a_float():
    exact = ex.check_relu_backward(buggy_starter)
    noisy = ex.check_relu_backward(lambda x, g: np.nextafter(g, np.inf))
    assert noisy.diagnosis == exact.diagnosis and noisy.fingerprint[:8] == exact.fingerprint[:8]


def test_the_starter_gets_a_neutral_report_and_an_answer_of_ones_own_the_diagnosis():
    fingerprint = ex.check_relu_backward(buggy_starter).fingerprint
    neutral = ex.check_relu_backward(buggy_starter).unless_starter(fingerprint)
    assert not neutral.passed and neutral.diagnosis == "not_solved_yet"
    assert neutral.case is None and neutral.fingerprint == fingerprint
    text, markdown = str(neutral), neutral._repr_markdown_()
    assert text.splitlines()[0] == "check_relu_backward: not solved yet"
    assert "Write your answer" in text and "run the cell again" in text
    for shown in (text, markdown):  # no failure mark, and nothing of the mistake
        assert "FAILED" not in shown and "✘" not in shown and "```" not in shown
        assert "mask" not in shown and "grad_out" not in shown
    assert markdown.startswith("**check\\_relu\\_backward: not solved yet**\n\n")

    own = ex.check_relu_backward(lambda x, g: g * (g > 0)).unless_starter(fingerprint)
    assert own.diagnosis == "relu_mask_from_grad_out" and "FAILED" in str(own)
    right = ex.check_relu_backward(lambda x, g: g * (x > 0))
    assert right.unless_starter(right.fingerprint) is right


# Chapter 2's exercise 1 as a learner runs it: each cell's source in linecache, as IPython
# (Jupyter, VS Code, Colab) keeps it, under a new name each run.
SUB_STARTER = """\
def sub(a, b):
    # TODO: return a - b using only + and unary -
    return Value(0.0)


def sub_local_derivatives(a, b):
    \"""d(a - b)/da and d(a - b)/db at the numbers a, b, by backward() through `sub`.\"""
    va, vb = Value(a), Value(b)
    sub(va, vb).backward()
    return va.grad, vb.grad
"""
ANSWERS = [
    "def sub(a, b):\n    return Value(a.data - b.data)\n",  # the graph cut: grads (0, 0)
    "def sub(a, b):\n    return Value(0.0) * (a - b)\n",  # 0 times the answer: grads (0, 0)
    "def sub(a, b):\n    return a + -b + Value(0.0) - a - -b\n",  # grads (0, 0) too
]
_cells = itertools.count()


def run_cell(namespace: dict, source: str, *, readable: bool = True) -> None:
    name = f"/tmp/ipykernel_0/{next(_cells)}.py" if readable else "<string>"
    if readable:
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    exec(compile(source, name, "exec"), namespace)


def sub_check(namespace: dict):
    return ex.check_value_backward("sub", namespace["sub_local_derivatives"])


def notebook(readable: bool = True) -> dict:
    namespace = {"__name__": "__main__", "Value": Value}
    run_cell(namespace, SUB_STARTER, readable=readable)
    return namespace


def test_the_starter_is_told_apart_from_an_answer_returning_the_same_numbers():
    ns = notebook()
    fingerprint = sub_check(ns).fingerprint
    run_cell(ns, SUB_STARTER)  # the cell run again
    neutral = sub_check(ns).unless_starter(fingerprint)
    assert neutral.diagnosis == "not_solved_yet" and "This is the starter code" in str(neutral)
    run_cell(ns, SUB_STARTER.replace("    # TODO: return a - b using only + and unary -\n", ""))
    assert sub_check(ns).unless_starter(fingerprint).diagnosis == "not_solved_yet"
    for answer in ANSWERS:
        run_cell(ns, answer)  # only `sub` changes: the checked function reaches it
        own = sub_check(ns)
        assert own.fingerprint[:8] == fingerprint[:8]  # the starter's numbers
        report = own.unless_starter(fingerprint)
        assert report is own and "FAILED" in str(report) and "starter" not in str(report)
    assert own.diagnosis == "graph_cut" and "never reached a" in own.message


def test_without_source_to_read_the_report_says_only_what_is_true():
    fingerprint = sub_check(notebook()).fingerprint
    for ns in (notebook(readable=False), notebook()):
        run_cell(ns, ANSWERS[0], readable=False)
        for fp in (fingerprint, fingerprint[:8]):  # a values-only fingerprint: the same
            report = sub_check(ns).unless_starter(fp)
            assert report.diagnosis == "not_solved_yet", str(report)
            assert "This returns what the starter code returns" in str(report)
            assert "This is the starter code" not in str(report) and "data" not in str(report)
    assert len(sub_check(notebook(readable=False)).fingerprint) == 8


def test_the_code_fingerprint_follows_the_functions_the_check_reaches():
    source = """\
import numpy as np
SCALE = 1.0


def helper(x):
    return np.zeros_like(x) * SCALE


def unrelated():
    return 1


def relu_backward(x, grad_out):
    return helper(x)


class Model:
    def grad(self, x, grad_out):
        return helper(x)


def make():
    inner = helper

    def closure(x, grad_out):
        return inner(x)

    return closure
"""

    def codes(edit=("", "")):
        ns = {"__name__": "__main__"}
        run_cell(ns, source.replace(*edit))
        fns = (ns["relu_backward"], ns["Model"]().grad, ns["make"]())
        return [ex.check_relu_backward(fn).fingerprint for fn in fns]

    base = codes()
    assert codes() == base and len(set(base)) == 3
    assert codes(("SCALE = 1.0", "SCALE = 1.0  # the scale")) == base
    assert codes(("return 1", "return 2")) == base  # unrelated() is not reached
    changed = codes(("* SCALE", "* SCALE * 1"))  # the same numbers, other code
    assert all(c[:8] == b[:8] and c != b for c, b in zip(changed, base, strict=True))


def test_only_the_checked_cells_own_definitions_count():
    """Chapter 9: the log-softmax starter calls exercise 1's answer, written in another cell."""
    ns = {"__name__": "__main__", "np": np}
    run_cell(ns, "def helper(x):\n    return np.zeros_like(x)\n")  # another exercise's cell
    cell = "def relu_backward(x, grad_out):\n    return helper(x)\n"
    run_cell(ns, cell)
    first = ex.check_relu_backward(ns["relu_backward"]).fingerprint
    run_cell(ns, "def helper(x):\n    return np.zeros(x.shape, x.dtype)  # solved\n")
    assert ex.check_relu_backward(ns["relu_backward"]).fingerprint == first
    # A name the checked function's cell defines, answered in a new cell: that code counts.
    ns = notebook()
    fingerprint = sub_check(ns).fingerprint
    run_cell(ns, ANSWERS[0])
    own = sub_check(ns)
    assert own.fingerprint[:8] == fingerprint[:8] and own.unless_starter(fingerprint) is own


def test_a_neutral_report_is_not_truthy():
    neutral = ex.check_descent_step(lambda c, lr, t: c).unless_starter(
        ex.check_descent_step(lambda c, lr, t: c).fingerprint
    )
    assert not neutral and "not solved yet" in repr(neutral)


NOTEBOOK_CELLS = [
    """\
import sys
import numpy as np
from pybackprop.exercises import check_relu_backward, set_time_limit
set_time_limit(0.5)

def loops(x, grad_out):
    while True:
        pass

def exits(x, grad_out):
    print("the learner's print")
    sys.exit()
""",
    "check_relu_backward(loops)",
    "check_relu_backward(exits)",
    "check_relu_backward(lambda x, g: g * (x > 0))",
]


def test_in_a_jupyter_kernel_a_loop_is_stopped_and_sys_exit_reported():
    """Jupyter runs cells in its main thread: the checks work there, prints included."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    shown = [
        "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in c.outputs)
        for c in nb.cells
    ]
    assert "FAILED [timeout]" in shown[1] and "did not return within 0.5 s" in shown[1]
    assert "The check stopped it" in shown[1]
    assert "the learner's print" in shown[2] and "FAILED [exception]" in shown[2]
    assert "SystemExit" in shown[2]
    assert "passed" in shown[3]


def test_in_a_jupyter_kernel_the_starter_and_an_answer_of_ones_own_are_told_apart():
    """IPython keeps each cell's source (for tracebacks), which the code fingerprint reads."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    check = "check_value_backward('sub', sub_local_derivatives)"
    cells = [
        "from pybackprop import Value\nfrom pybackprop.exercises import check_value_backward",
        f"{SUB_STARTER}\nfp = {check}.fingerprint",
        f"{SUB_STARTER}\n{check}.unless_starter(fp)",  # the same cell again: the starter
        f"{ANSWERS[0]}\n{check}.unless_starter(fp)",
        f"{SUB_STARTER}\n{check}.unless_starter(fp)",  # the answer undone
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    shown = [
        "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in c.outputs)
        for c in nb.cells
    ]
    for text in (shown[2], shown[4]):
        assert "not solved yet" in text and "This is the starter code" in text, text
    assert "FAILED [graph_cut]" in shown[3] and "starter" not in shown[3], shown[3]


def test_an_f_string_counts_the_same_however_it_is_tokenised():
    """Python 3.12 splits an f-string into tokens (PEP 701): spaces and braces do not count."""
    from pybackprop.exercises.isolate import _function_text

    texts = []
    for body in ('f"a {x + 1:.2f}"', 'f"a {x+1:.2f}"'):
        ns = {"__name__": "__main__"}
        run_cell(ns, f"def g(x):\n    return {body}  # a comment\n")
        texts.append(_function_text(ns["g"]))
    assert texts[0] == texts[1] == b'def g ( x ) : return f"ax+1:.2f"'


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (lambda x, g: x @ g, "matrix product got operands whose inner sizes differ"),
        (lambda x, g: g * (x.sum(1) > 0), "could not be combined entry by entry"),
        (lambda x, g: np.einsum("ij,ji->ij", x, g), "np.einsum got arrays whose axes"),
    ],
)
def test_generic_pointers_say_what_the_error_shows_not_a_guessed_cause(answer, words):
    from pybackprop.exercises import check_relu_backward

    result = check_relu_backward(answer)
    assert result.diagnosis == "exception" and words in result.message, str(result)
    for guess in ("transpose", "keepdims", "probably"):
        assert guess not in result.message, str(result)
