"""Running the learner's code so that nothing it does escapes a check.

``call_learner`` runs the learner's function in a daemon thread and waits for it at most the
time limit (10 s unless ``set_time_limit`` says otherwise). A thread rather than a signal
(``signal.setitimer``): signals exist only on Unix and only for the main thread, while a thread
works the same in a terminal, in Jupyter and on Windows. A function past its limit is stopped
by raising an exception inside its thread (CPython's ``PyThreadState_SetAsyncExc``), which
ends a Python loop; a function inside numpy's C code or one that catches every exception
cannot be stopped that way, and keeps running in the background: the report says so.

Every exception it raises, except ``KeyboardInterrupt``, becomes a report; its text is made
in that thread too, under the same limit, so a ``__str__`` that raises or never returns
cannot take the check with it. ``guarded`` wraps each public check: it records a fingerprint
of what the learner's code returned and of its source (``CheckResult.unless_starter``
compares it with the starter code's), and turns an exception from the learner's code that
reached the check (a returned object whose ``__float__`` raises) into a report.
"""

from __future__ import annotations

import ast
import ctypes
import dataclasses
import dis
import functools
import hashlib
import inspect
import io
import linecache
import math
import os
import re
import sysconfig
import textwrap
import threading
import time
import tokenize
import traceback
import types
import warnings
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from .result import CheckResult

__all__ = [
    "Called",
    "call_learner",
    "exception_text",
    "guarded",
    "learner_line",
    "set_time_limit",
]

_time_limit: float | None = 10.0

# How long a stopped function gets to unwind (its `finally` blocks) before the check gives up.
_GRACE = 1.0
# A learner's thread gets the stack a main thread has: macOS gives other threads 512 KiB,
# where a recursive function ends in a crash rather than a RecursionError.
_STACK_SIZE = 16 * 2**20
# An exception's text is cut to this length: the report is read, not scrolled.
_MAX_TEXT = 2000


def set_time_limit(seconds: float | None) -> float | None:
    """Set how long a check waits for your function on each case (10 s at first).

    Parameters
    ----------
    seconds : float | None
        A positive number of seconds, or None to wait as long as your function takes.

    Returns
    -------
    float | None
        The limit before this call, to put back later.

    Raises
    ------
    ValueError
        If ``seconds`` is not a positive finite number or None.

    Examples
    --------
    >>> from pybackprop.exercises import set_time_limit
    >>> previous = set_time_limit(60)
    >>> print(previous, set_time_limit(previous))
    10.0 60.0
    """
    global _time_limit
    if seconds is not None and (
        isinstance(seconds, bool)
        or not isinstance(seconds, Real)
        or not (0 < float(seconds) < math.inf)
    ):
        raise ValueError(
            f"set_time_limit: seconds must be a positive finite number or None; got {seconds!r}."
        )
    previous, _time_limit = _time_limit, None if seconds is None else float(seconds)
    return previous


# ---- where an exception was raised ------------------------------------------------------------

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY_DIRS = {
    os.path.abspath(p)
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (p := sysconfig.get_paths().get(key))
}


def _is_learner_file(filename: str) -> bool:
    """True for code the learner wrote: a notebook cell, a script, a test; not numpy or us."""
    if filename.startswith("<"):  # "<stdin>", "<string>": typed or exec'd by the learner
        return True
    path = os.path.abspath(filename)
    return not any(path.startswith(d + os.sep) for d in (_PACKAGE_DIR, *_LIBRARY_DIRS))


def learner_line(exc: BaseException) -> str | None:
    """Where ``exc`` was raised in the learner's code: "line 3 of relu_backward: <source>".

    The innermost frame outside pybackprop, numpy and the standard library, so an error
    inside ``np.dot`` points at the learner's call of ``np.dot``. The source comes from
    linecache, which Jupyter fills with each cell's text.
    """
    frame = _learner_frame(exc)
    if frame is None:
        return None
    where = f"line {frame.lineno} of {frame.name}"
    return f"{where}: {frame.line.strip()}" if frame.line else where


def _learner_frame(exc: BaseException) -> traceback.FrameSummary | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_learner_file(f.filename)]
    return frames[-1] if frames else None


def exception_text(exc: BaseException) -> str:
    """``"TypeName: message"``, even when the exception's ``__str__`` (and ``__repr__``) raise."""
    name = type(exc).__name__
    for show in (str, repr):
        try:
            text = show(exc)
        except Exception:  # the learner's __str__ is broken: try __repr__, then the name alone
            continue
        if isinstance(text, str):
            cut = text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + " ..."
            return f"{name}: {cut}".strip().removesuffix(":")
    return f"{name} (its message could not be shown: str() and repr() of it raise)"


def _exception_hint(exc: BaseException, text: str) -> str:
    """A pointer for exceptions whose cause is usually the same."""
    # Only what the error shows: several mistakes (a missing .T, arrays passed in the wrong
    # order, a keepdims missing) raise the same one, and naming one cause misleads on the others.
    if ("matmul" in text and "mismatch" in text) or "not aligned" in text:
        return (
            "\nA matrix product got operands whose inner sizes differ. Print the shapes of "
            "both operands at the line below, and of the arrays they came from."
        )
    if "remapped shapes" in text:
        return (
            "\nnp.einsum got arrays whose axes do not fit its subscripts: check each "
            "operand's letters, in order, against that array's shape."
        )
    if "could not be broadcast" in text:
        return (
            "\nTwo arrays with the shapes above could not be combined entry by entry. Print "
            "both shapes at the line below, and of the arrays they came from."
        )
    if isinstance(exc, IndexError) and "out of bounds" in text:
        return (
            "\nAn index is out of range: check which axis each index array selects "
            "(rows with np.arange(n), columns with the labels)."
        )
    return ""


# ---- calling the learner's function -----------------------------------------------------------


class _Stop(BaseException):
    """Raised inside a learner's thread that ran past the time limit."""


@dataclass
class Called:
    """What calling the learner's function gave: a value, or a failure to report."""

    value: Any = None
    error: str | None = None
    line: str | None = None
    exception: BaseException | None = None
    text: str = ""  # the exception as "TypeName: message", made safely
    diagnosis: str = "exception"  # or "timeout"


def call_learner(fn: Callable, args: Sequence) -> Called:
    """fn(*args) in a thread, within the time limit, with every exception but Ctrl-C caught.

    Warnings are silenced because an overflow is reported by the check itself (as the
    mistake that causes it), and a notebook's output should hold the report, not noise.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            with np.errstate(all="ignore"):  # numpy's error state is per thread
                outcome["value"] = fn(*args)
        except BaseException as exc:  # the learner's bug, whatever it is, becomes a report
            outcome["exception"] = exc
            outcome["text"] = exception_text(exc)  # under the time limit too

    worker = threading.Thread(target=run, name="pybackprop-check", daemon=True)
    with warnings.catch_warnings():  # in this thread: a runaway one must not keep it on
        warnings.simplefilter("ignore")
        _start(worker)
        finished = _wait(worker, _time_limit)
    if not finished:
        _record(b"timeout")
        return Called(error=_too_slow(worker), diagnosis="timeout")
    exc = outcome.get("exception")
    if exc is None:
        _record(_summary(outcome.get("value")))
        return Called(outcome.get("value"))
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    text = outcome.get("text") or type(exc).__name__
    # the function's name, not the line: a notebook and a script number and show lines apart
    frame = _learner_frame(exc)
    _record(f"{text}|{frame.name if frame else ''}".encode())
    return Called(
        error=f"your function raised {text}" + _exception_hint(exc, text),
        line=learner_line(exc),
        exception=exc,
        text=text,
    )


def _start(worker: threading.Thread) -> None:
    try:
        previous = threading.stack_size(_STACK_SIZE)
    except (RuntimeError, ValueError):  # a platform that does not let us choose
        worker.start()
        return
    try:
        worker.start()
    finally:
        threading.stack_size(previous)


def _wait(worker: threading.Thread, limit: float | None) -> bool:
    """Join ``worker`` within ``limit`` seconds, in short waits so that Ctrl-C gets through."""
    deadline = None if limit is None else time.monotonic() + limit
    try:
        while worker.is_alive():
            left = 0.1 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                _stop(worker)
                return False
            worker.join(min(left, 0.1))
    except KeyboardInterrupt:
        _stop(worker)
        raise
    return True


def _stop(worker: threading.Thread) -> None:
    """Raise _Stop inside ``worker`` (ends a Python loop), then give it a moment to unwind."""
    set_async = getattr(getattr(ctypes, "pythonapi", None), "PyThreadState_SetAsyncExc", None)
    if set_async is not None and worker.ident is not None:
        set_async(ctypes.c_ulong(worker.ident), ctypes.py_object(_Stop))
    worker.join(_GRACE)


def _too_slow(worker: threading.Thread) -> str:
    limit = f"{_time_limit:g} s"
    message = f"your function did not return within {limit}: a loop that never ends?"
    if worker.is_alive():
        return (
            f"{message} It could not be stopped and is still running in the background (a "
            "long numpy call, or a loop that catches every exception): interrupt or restart "
            "the kernel to stop it."
        )
    return (
        f"{message} The check stopped it. If it is only slow, give it more time: "
        "pybackprop.exercises.set_time_limit(60)."
    )


# ---- what the learner's code returned: a fingerprint ------------------------------------------

_DIGEST: ContextVar[Any] = ContextVar("pybackprop_check_digest", default=None)


def _record(data: bytes) -> None:
    digest = _DIGEST.get()
    if digest is not None:
        digest.update(len(data).to_bytes(8, "little") + data)


def _summary(value: Any, depth: int = 0) -> bytes:
    """Bytes that differ for different results and agree across machines."""
    # Floats are rounded to 20 bits of mantissa (6 digits): a last-bit difference between two
    # BLAS libraries or two CPUs' exp must not change a fingerprint.
    try:
        if isinstance(value, (Real, np.generic)) and not isinstance(value, np.ndarray):
            value = np.asarray(value)
        if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
            mantissa, exponent = np.frexp(value.astype(np.float64))
            mantissa = np.nan_to_num(np.round(mantissa * 2**20), nan=3e6, posinf=4e6, neginf=-4e6)
            return f"{value.dtype}{value.shape}".encode() + mantissa.tobytes() + exponent.tobytes()
        if isinstance(value, (tuple, list)) and depth < 3:
            return b"(" + b",".join(_summary(v, depth + 1) for v in value[:100]) + b")"
        if isinstance(value, dict) and depth < 3:
            items = list(value.items())[:100]
            parts = (repr(k).encode() + _summary(v, depth + 1) for k, v in items)
            return b"{" + b",".join(parts) + b"}"
    except Exception:  # an odd object of the learner's: its type is enough
        pass
    return type(value).__qualname__.encode()


# ---- the learner's code: a fingerprint of its source ---------------------------------------------

# Bounds the walk through the learner's namespace (a notebook can define thousands of functions).
_MAX_FUNCTIONS = 200
_SKIPPED_TOKENS = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}
_GLOBAL_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS"}


def _code_fingerprint(roots: Sequence[Any]) -> str | None:
    """8 hex digits over the source of the learner's functions the check runs, else None."""
    # None if one of them has no source to read (typed at a ">>>" prompt, or exec'd).
    # The source, not the bytecode: it reads the same on every Python version. Comments and
    # blank lines do not count, so the starter's "# TODO" removed is still the starter. A
    # notebook cell's source is in linecache (IPython puts it there: Jupyter, VS Code, Colab).
    # Which functions: those given to the check, and the functions and classes they read as
    # globals that their own cell defines (a notebook cell, or a script), with the methods of
    # those classes and the functions in closures. Not those of other cells: another
    # exercise's answer, or the chapter's code, must not change this exercise's starter.
    try:
        roots = [r if isinstance(r, (type, types.FunctionType)) else _unwrap(r) for r in roots]
        functions = [
            f
            for r in roots
            for f in ([r] if isinstance(r, types.FunctionType) else _members(r))
            if isinstance(f, types.FunctionType)
        ]
        namespaces = {id(f.__globals__) for f in functions}
        own: set[str] = set()
        for filename in {f.__code__.co_filename for f in functions}:
            names = _defined_names(filename)
            if names is None:
                return None
            own |= names
        stack, seen, parts = list(roots), set(), set()
        while stack and len(seen) < _MAX_FUNCTIONS:
            obj = _unwrap(stack.pop())
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, type):
                stack += _members(obj)
            elif isinstance(obj, types.FunctionType) and id(obj.__globals__) in namespaces:
                part = _function_text(obj)
                if part is None:
                    return None
                parts.add(part)
                stack += _referenced(obj, own)
        return hashlib.sha256(b"\0".join(sorted(parts))).hexdigest()[:8]
    except Exception:  # an odd object of the learner's: no code fingerprint, not a crash
        return None


def _defined_names(filename: str) -> frozenset[str] | None:
    """The names a cell or file defines at its top level; None if its source is not known."""
    return _top_level_names("".join(linecache.getlines(filename)) or "?")


# Parsed once per source: a script with many checks (a test file) parsed itself again on every
# check, which took longer than the checks.
@functools.lru_cache(maxsize=32)
def _top_level_names(source: str) -> frozenset[str] | None:
    """The names ``source`` defines at its top level; None if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return frozenset(names)


def _unwrap(obj: Any) -> Any:
    """The function inside a method or partial, the class of a callable instance."""
    obj = getattr(obj, "__func__", obj)  # a bound method, staticmethod or classmethod
    if isinstance(obj, functools.partial):
        return obj.func
    if isinstance(obj, property):
        return obj.fget
    if callable(obj) and not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
        return type(obj)
    return obj


def _members(cls: Any) -> list[Any]:
    """The methods and properties of class ``cls`` (nothing for anything else)."""
    if not isinstance(cls, type):
        return []
    return [
        _unwrap(v)
        for v in vars(cls).values()
        if callable(v) or isinstance(v, property) or hasattr(v, "__func__")
    ]


def _function_text(fn: types.FunctionType) -> bytes | None:
    """``fn``'s source as tokens (no comments, no layout); a lambda's names; None if unreadable."""
    code = fn.__code__
    if code.co_name == "<lambda>":  # its source lines hold the rest of the statement too
        names: set[str] = set()
        for c in _codes(code):
            names.update(c.co_names + c.co_varnames + c.co_freevars + c.co_cellvars)
        return ("lambda " + " ".join(sorted(n for n in names if n.isidentifier()))).encode()
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None
    # An f-string is one STRING token before Python 3.12 and FSTRING_START ... FSTRING_END
    # after (PEP 701), spaced and braced differently: it counts without spaces and braces.
    tokens, fstring, depth = [], [], 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind = tokenize.tok_name[token.type]
            depth += kind == "FSTRING_START"
            if depth:
                fstring.append(token.string)
                depth -= kind == "FSTRING_END"
                if not depth:
                    tokens.append(_squeezed("".join(fstring)))
                    fstring = []
            elif kind == "STRING" and "f" in token.string.split(token.string[-1])[0].lower():
                tokens.append(_squeezed(token.string))
            elif token.type not in _SKIPPED_TOKENS:
                tokens.append(token.string)
    except (tokenize.TokenError, SyntaxError):
        pass  # an unfinished last line: the tokens read so far stand for it
    return " ".join(tokens).encode()


def _squeezed(text: str) -> str:
    """``text`` without whitespace and braces."""
    return re.sub(r"[\s{}]", "", text)


def _codes(code: types.CodeType) -> list[types.CodeType]:
    """``code`` and the code of the functions, lambdas and comprehensions inside it."""
    inner = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return [code, *(c for i in inner for c in _codes(i))]


def _referenced(fn: types.FunctionType, own: set[str]) -> list[Any]:
    """The functions and classes ``fn`` reads as globals named in ``own``, and its closure's."""
    names = {
        ins.argval
        for code in _codes(fn.__code__)
        for ins in dis.get_instructions(code)
        if ins.opname in _GLOBAL_LOADS and ins.argval in own
    }
    found = [fn.__globals__[n] for n in sorted(names) if n in fn.__globals__]
    for cell in fn.__closure__ or ():
        try:
            found.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return [obj for obj in found if callable(obj)]


# ---- the public checks ------------------------------------------------------------------------


def guarded(check: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """``check`` with a fingerprint on its result, and never an exception of the learner's."""

    @functools.wraps(check)
    def run(*args: Any, **kwargs: Any) -> CheckResult:
        digest = hashlib.sha256(check.__name__.encode())
        token = _DIGEST.set(digest)
        try:
            result = check(*args, **kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            line = learner_line(exc)
            if line is None:  # ours: a wrong call of the check, or a bug to report
                raise
            result = CheckResult(
                check.__name__,
                False,
                f"the check could not use what your function returned: {exception_text(exc)}",
                "exception",
                learner_line=line,
            )
        finally:
            _DIGEST.reset(token)
        fingerprint = digest.hexdigest()[:8]
        code = _code_fingerprint([*args, *kwargs.values()])
        if code is not None:
            fingerprint += f"-{code}"
        return dataclasses.replace(result, fingerprint=fingerprint)

    return run
