"""Running a learner's function safely and comparing what it returns with the reference.

Every check is built from the same parts:

- ``Case``: one set of arguments for the learner's function (a shape, a dtype, large logits).
- ``Mistake``: a named mistake, recognised by computing what that mistake would return
  (``produce``) or by a test on the returned value (``detect``).
- ``run_check``: calls the learner's function on each case, never lets its exceptions out, and
  turns the first wrong answer into a ``CheckResult`` naming the mistake.

Each gets its own copy of the arrays, so a function that writes into its inputs is caught.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from .isolate import call_learner
from .result import CheckResult, FailingCase

# The parts the check modules are built from; learners use the checks, not these.
__all__ = [
    "DTYPES",
    "TOLERANCES",
    "Case",
    "Mistake",
    "as_array",
    "as_scalar",
    "close",
    "describe",
    "describe_input",
    "largest_error",
    "non_finite",
    "normal",
    "not_callable",
    "run_check",
    "tolerance",
]

# Relative and absolute tolerance per dtype. The absolute part is scaled by the largest entry
# of the expected answer: a learner may sum in another order, and an entry that cancels to
# near zero then carries an error the size of the terms. Float64 allows for a different but
# correct formula (x - logsumexp(x) against a shifted log-softmax); float32 for float32 rounding.
TOLERANCES = {np.dtype(np.float64): (1e-7, 1e-9), np.dtype(np.float32): (1e-4, 1e-5)}


def tolerance(dtype: np.dtype | None) -> tuple[float, float]:
    """(rtol, atol) for results of ``dtype`` (float64's when the case has no float dtype)."""
    float64 = TOLERANCES[np.dtype(np.float64)]
    return float64 if dtype is None else TOLERANCES.get(np.dtype(dtype), float64)


def not_callable(check: str, fn: Any) -> CheckResult:
    """The result for a check given something other than a function (often fn() not fn)."""
    return CheckResult(
        check,
        False,
        f"{check} needs your function itself; got {describe(fn)}. "
        "Pass the function's name without calling it.",
        "not_callable",
    )


# ---- describing values ----------------------------------------------------------------------


def describe(obj: Any) -> str:
    """A short, deterministic summary: an array's shape, dtype and first values, or a type."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "fiub":  # object arrays would print memory addresses
            return f"shape {obj.shape} {obj.dtype}"
        flat = obj.ravel()
        with np.printoptions(precision=6, suppress=False):
            values = np.array2string(flat[:6], separator=", ")
        more = ", ..." if flat.size > 6 else ""
        return f"shape {obj.shape} {obj.dtype}: {values[:-1]}{more}]"
    if isinstance(obj, (bool, np.bool_)):
        return f"{type(obj).__name__} {obj}"
    if isinstance(obj, Real):
        return f"{float(obj):.10g} ({type(obj).__name__})"
    if isinstance(obj, (list, tuple)):
        return f"a {type(obj).__name__} of length {len(obj)}"
    return f"an object of type {type(obj).__name__}"


def describe_input(obj: Any) -> str:
    """An argument as the report shows it: an array's shape and dtype, a number's value."""
    return f"shape {obj.shape} {obj.dtype}" if isinstance(obj, np.ndarray) else repr(obj)


def largest_error(received: np.ndarray, expected: np.ndarray) -> str:
    """The largest |received - expected|, where it is, and both values there."""
    with np.errstate(all="ignore"):
        err = np.abs(received.astype(np.float64) - expected.astype(np.float64))
    err = np.where(np.isnan(err), np.inf, err)
    if err.ndim == 0:
        return f"{float(err):.3g}"
    idx = np.unravel_index(int(np.argmax(err)), err.shape)
    at = tuple(int(i) for i in idx)
    return (
        f"{float(err[idx]):.3g} at index {at} "
        f"(expected {float(expected[idx]):.8g}, received {float(received[idx]):.8g})"
    )


# ---- cases, mistakes and the comparison -----------------------------------------------------

# Every array exercise runs in both precisions: float64 first, then float32, where users train.
DTYPES = (np.float64, np.float32)


def normal(rng: np.random.Generator, shape: tuple[int, ...], dtype) -> np.ndarray:
    """Standard normal draws of ``shape``, cast to ``dtype``: the usual random input of a case."""
    return rng.standard_normal(shape).astype(dtype)


# How to avoid changing an input, unless a check knows its exercise's usual way to do it.
_IN_PLACE_FIX = (
    "Compute a new array instead of writing into an argument: `out = a * b` or `d = a - b` "
    "rather than `a *= b`, `a -= b` or `a[...] = ...`."
)


@dataclass
class Case:
    """One call of the learner's function.

    ``args`` are passed positionally; ``names`` label them in the report; ``dtype`` chooses the
    tolerance (None for plain floats); ``large`` says how large the inputs are when a formula
    without the max-subtraction trick overflows on them ("near 1e3", "spread over +-3e3"),
    and is empty for ordinary inputs.
    """

    description: str
    args: tuple
    names: tuple[str, ...]
    dtype: np.dtype | None = None
    large: str = ""


@dataclass
class Mistake:
    """A named mistake in one of the outputs.

    ``produce(*args)`` returns what the mistake would return for that output; or
    ``detect(received, expected, case)`` says whether the received value shows it.
    ``message`` is the explanation, or a function of the failing case that returns it, for a
    mistake whose explanation names the case (the logits "near 1e3" or "spread over +-3e3").
    """

    diagnosis: str
    message: str | Callable[[Case], str]
    output: int = 0
    produce: Callable[..., Any] | None = None
    detect: Callable[[Any, Any, Case], bool] | None = None

    def explain(self, case: Case) -> str:
        """The message for ``case``, the case that failed."""
        return self.message(case) if callable(self.message) else self.message

    def matches(self, received: Any, expected: Any, case: Case) -> bool:
        """True when ``received`` (for ``case``) is what this mistake gives."""
        if self.detect is not None:
            return bool(self.detect(received, expected, case))
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                wrong = self.produce(*copy.deepcopy(case.args))
        except (IndexError, ValueError):  # this mistake cannot happen on this case's shapes
            return False
        return close(received, wrong, case.dtype, equal_nan=True)


def close(received: Any, expected: Any, dtype, *, equal_nan: bool = False) -> bool:
    """Same shape and equal within the dtype's tolerance (scaled by the expected answer)."""
    received, expected = np.asarray(received), np.asarray(expected)
    if received.shape != expected.shape or received.dtype.kind not in "fiub":
        return False
    rtol, atol = tolerance(dtype)
    with np.errstate(all="ignore"):
        finite = np.abs(expected[np.isfinite(expected)])
        scale = float(np.max(finite, initial=1.0))
        return bool(
            np.allclose(received, expected, rtol=rtol, atol=atol * scale, equal_nan=equal_nan)
        )


def non_finite(received: Any, expected: Any, case: Case) -> bool:
    """True when the result has inf or nan where the right answer is finite."""
    received = np.asarray(received)
    return (
        received.dtype.kind == "f"
        and not np.all(np.isfinite(received))
        and np.all(np.isfinite(expected))
    )


def as_array(out: Any, name: str) -> tuple[np.ndarray | None, str | None, str | None]:
    """(array, diagnosis, message): the output as an array, or why it cannot be one."""
    if isinstance(out, np.ndarray):
        if out.dtype.kind not in "fiub":
            return (
                None,
                "wrong_type",
                (
                    f"{name}: your function returned an array of dtype {out.dtype}; expected "
                    "real numbers (a float array)."
                ),
            )
        return out, None, None
    if out is None:
        return (
            None,
            "returned_none",
            (
                f"{name}: your function returned None. Is the starter code still in place, or is "
                "a `return` missing?"
            ),
        )
    if isinstance(out, list):
        return (
            None,
            "returned_list",
            (
                f"{name}: your function returned a Python list; return a numpy array "
                "(np.array(...)), or keep to numpy operations, which return arrays."
            ),
        )
    if isinstance(out, (Real, np.generic)) and not isinstance(out, bool):
        return (
            None,
            "wrong_type",
            (
                f"{name}: your function returned a single number ({describe(out)}); it should "
                "return an array with one entry per input entry."
            ),
        )
    return (
        None,
        "wrong_type",
        (f"{name}: your function returned {describe(out)}; expected a numpy array."),
    )


def as_scalar(out: Any, name: str) -> tuple[Any, str | None, str | None]:
    """(number, diagnosis, message) for an output that should be a single number."""
    if isinstance(out, (Real, np.integer, np.floating, np.bool_)):  # True is 1: `return x > 0`
        return out, None, None
    if isinstance(out, np.ndarray) and out.dtype.kind in "fiub":
        return out, None, None  # an array of another shape is compared, so a mistake can name it
    if out is None:
        return (
            None,
            "returned_none",
            (
                f"{name}: your function returned None. Is the starter code still in place, or is "
                "a `return` missing?"
            ),
        )
    if type(out).__name__ == "Value" and hasattr(out, "data"):
        return (
            None,
            "returned_value_object",
            (
                f"{name}: your function returned a Value; return a plain number (a local "
                "derivative is a float; use .data to get one out of a Value)."
            ),
        )
    if isinstance(out, list):
        return (
            None,
            "returned_list",
            (f"{name}: your function returned a Python list; expected a single number."),
        )
    return None, "wrong_type", f"{name}: your function returned {describe(out)}; expected a number."


def _unpack(value: Any, outputs: tuple[str, ...]) -> tuple[tuple | None, str | None]:
    """The learner's return value as one item per output, or a message saying why not."""
    if len(outputs) == 1:
        if isinstance(value, tuple):
            return None, (
                f"your function returned a tuple of {len(value)} values; it should "
                f"return only {outputs[0]}."
            )
        return (value,), None
    if not isinstance(value, (tuple, list)):
        return None, (
            f"your function returned {describe(value)}; it should return "
            f"{len(outputs)} values: ({', '.join(outputs)})."
        )
    if len(value) != len(outputs):
        return None, (
            f"your function returned {len(value)} values; it should return "
            f"{len(outputs)}: ({', '.join(outputs)})."
        )
    return tuple(value), None


def _same(a: Any, b: Any) -> bool:
    """True when two inputs hold the same data (arrays compared value by value, NaN = NaN)."""
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    return bool(a == b) or (a != a and b != b)  # NaN equals NaN here


def _list_is_right(out: list, expected: Any, dtype) -> bool:
    try:
        return close(np.asarray(out, dtype=np.float64), expected, dtype)
    except (TypeError, ValueError):  # ragged or non-numeric lists
        return False


def _wrong_shape_message(name: str, received: np.ndarray, expected: np.ndarray, dtype) -> str:
    if expected.ndim == 0:
        return (
            f"{name} should be a single number; your function returned an array of shape "
            f"{received.shape}. Is a mean or a sum over the entries missing?"
        )
    msg = f"{name} has shape {received.shape} but should have shape {expected.shape}."
    if received.size == expected.size and close(received.reshape(expected.shape), expected, dtype):
        msg += (
            " The numbers are right: only the shape is off. Look for keepdims=True, a "
            "missing [:, 0] or an extra reshape."
        )
    return msg


def run_check(
    check: str,
    fn: Any,
    cases: Sequence[Case],
    reference: Callable[..., Any],
    outputs: tuple[str, ...],
    mistakes: Sequence[Mistake] = (),
    *,
    scalar: bool = False,
    explain_exception: Callable[[BaseException, str], tuple[str, str] | None] | None = None,
    in_place_fix: str = _IN_PLACE_FIX,
) -> CheckResult:
    """Run ``fn`` on every case against ``reference``; stop at the first wrong answer.

    ``reference(*args)`` returns the right output (a tuple when there are several outputs);
    ``outputs`` names them; ``scalar`` says they are single numbers rather than arrays.
    ``explain_exception(exc, text)`` may name the mistake behind an exception (``text`` is
    "TypeName: message"), as (diagnosis, explanation), when one exception has one usual cause
    in this exercise.
    ``in_place_fix`` says how this exercise avoids changing its inputs, for the report of a
    function that changed one.
    """
    if not callable(fn):
        return not_callable(check, fn)
    dtype_note = None
    for i, case in enumerate(cases, start=1):
        failure, note = _run_case(
            _Failure(check, i, case),
            fn,
            reference,
            outputs,
            mistakes,
            scalar,
            explain_exception,
            in_place_fix,
        )
        if failure is not None:
            return failure
        dtype_note = dtype_note or note
    if dtype_note is not None:
        return CheckResult(check, True, dtype_note, "wrong_dtype", len(cases))
    return CheckResult(
        check, True, f"all {len(cases)} cases match the reference.", None, len(cases)
    )


@dataclass
class _Failure:
    """Builds the failing CheckResult of case number ``index``."""

    check: str
    index: int
    case: Case

    def __call__(
        self,
        diagnosis: str,
        message: str,
        output: str | None = None,
        expected: str | None = None,
        received: str | None = None,
        error: str | None = None,
        line: str | None = None,
    ) -> CheckResult:
        inputs = tuple(
            (n, describe_input(a)) for n, a in zip(self.case.names, self.case.args, strict=True)
        )
        failing = FailingCase(self.case.description, inputs, output, expected, received, error)
        return CheckResult(self.check, False, message, diagnosis, self.index, failing, line)


def _run_case(
    fail: _Failure,
    fn: Callable,
    reference: Callable[..., Any],
    outputs: tuple[str, ...],
    mistakes: Sequence[Mistake],
    scalar: bool,
    explain_exception: Callable[[BaseException, str], tuple[str, str] | None] | None,
    in_place_fix: str,
) -> tuple[CheckResult | None, str | None]:
    """(the failure, or None; a note when a right answer came back in the wrong dtype)."""
    case = fail.case
    expected = reference(*copy.deepcopy(case.args))
    expected = expected if len(outputs) > 1 else (expected,)
    args = copy.deepcopy(case.args)  # the learner's copy: the case's own stays as it was
    called = call_learner(fn, args)
    if called.error is not None:
        named = (
            explain_exception(called.exception, called.text)
            if explain_exception and called.exception is not None
            else None
        )
        if named is not None:
            # the exercise's own explanation replaces the generic hint
            message = f"your function raised {called.text}\n{named[1]}"
            return fail(named[0], message, line=called.line), None
        return fail(called.diagnosis, called.error, line=called.line), None
    changed = [n for n, a, b in zip(case.names, args, case.args, strict=True) if not _same(a, b)]
    if changed:
        return fail(
            "modified_input_in_place",
            f"your function changed its input {', '.join(changed)} in place, and the "
            f"caller still needs it as it was. {in_place_fix}",
        ), None
    values, problem = _unpack(called.value, outputs)
    if problem is not None:
        diagnosis = "wrong_tuple_length" if len(outputs) > 1 else "wrong_type"
        return fail(diagnosis, problem, received=describe(called.value)), None
    note = None
    for k, (name, value, want) in enumerate(zip(outputs, values, expected, strict=True)):
        got, diagnosis, message = (as_scalar if scalar else as_array)(value, name)
        if diagnosis is not None:
            if diagnosis == "returned_list" and _list_is_right(value, want, case.dtype):
                message += " Its numbers are right."
            return fail(diagnosis, message, name, describe(want), describe(value)), None
        want_arr, got_arr = np.asarray(want), np.asarray(got)
        if close(got_arr, want_arr, case.dtype):
            if not scalar and case.dtype is not None and got_arr.dtype != want_arr.dtype:
                note = note or (
                    f"{name}: {case.dtype} input gave a {got_arr.dtype} result. "
                    "The numbers are right, but keep the input's dtype (numpy "
                    "promotes float32 to float64 when you mix in a float64 "
                    "array, e.g. np.zeros(...) without dtype=)."
                )
            continue
        diagnosis, message = _diagnose(name, k, got, got_arr, want, want_arr, case, mistakes)
        error = (
            largest_error(got_arr, want_arr)
            if got_arr.shape == want_arr.shape and got_arr.dtype.kind in "fiub"
            else None
        )
        return fail(diagnosis, message, name, describe(want), describe(got), error), None
    return None, note


def _diagnose(
    name: str,
    k: int,
    got: Any,
    got_arr: np.ndarray,
    want: Any,
    want_arr: np.ndarray,
    case: Case,
    mistakes: Sequence[Mistake],
) -> tuple[str, str]:
    """(diagnosis, message) for a wrong output ``k``: the exercise's mistakes, then generic ones."""
    for mistake in mistakes:
        if mistake.output == k and mistake.matches(got, want, case):
            return mistake.diagnosis, f"{name}: {mistake.explain(case)}"
    if got_arr.shape != want_arr.shape:
        return "wrong_shape", _wrong_shape_message(name, got_arr, want_arr, case.dtype)
    number = want_arr.ndim == 0  # a single number: no shape, no entries to point at
    if non_finite(got_arr, want_arr, case):
        return "nan_or_inf", (
            f"{name} {'is' if number else 'holds'} nan or inf where the right answer is "
            "finite. Look for an overflow (exp of a large number) or a division by zero."
        )
    if not np.any(got_arr) and np.any(want_arr):
        zeros = "0" if number else "all zeros"
        return "all_zeros", f"{name} is {zeros}. Is the starter code still in place?"
    if number:
        return "wrong_values", (
            f"{name} is not the expected number. Work the formula out by hand on this case "
            "(its inputs are below) and compare it with your function, step by step."
        )
    return "wrong_values", (
        f"{name} has the right shape but wrong values. Compare with the expected numbers "
        "below, and check the formula on a tiny example by hand."
    )
