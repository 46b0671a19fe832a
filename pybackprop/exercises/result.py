"""``CheckResult``: what a check found, as plain text in a terminal and Markdown in a notebook.

Everything the learner's code controls (exception text, source lines, returned values) is
escaped before it goes into Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["CheckResult", "FailingCase"]

# The diagnosis of a starter's report (``CheckResult.unless_starter``).
_NOT_SOLVED = "not_solved_yet"


@dataclass(frozen=True)
class FailingCase:
    """The first case a learner's function got wrong, as short strings for the report.

    Parameters
    ----------
    description : str
        What the case is, e.g. ``"batch 1, n_in 7, n_out 3, float32"``.
    inputs : tuple[tuple[str, str], ...]
        One ``(name, summary)`` pair per argument, e.g. ``("x", "shape (1, 7) float32")``.
    output : str | None
        Which returned value was wrong (``"grad_weight"``), or None.
    expected : str | None
        A summary of the right answer (shape, dtype, first values), or None.
    received : str | None
        A summary of what the function returned, or None.
    largest_error : str | None
        The largest difference and where it is, or None.

    Examples
    --------
    >>> from pybackprop.exercises import check_relu_backward
    >>> case = check_relu_backward(lambda x, grad_out: grad_out).case
    >>> print(case.description, "|", case.output)
    shape (4, 6), float64 | grad_x
    """

    description: str
    inputs: tuple[tuple[str, str], ...] = ()
    output: str | None = None
    expected: str | None = None
    received: str | None = None
    largest_error: str | None = None

    def lines(self) -> list[tuple[str, str]]:
        """The report's ``(label, text)`` rows for this case, without the empty fields.

        Returns
        -------
        list[tuple[str, str]]
            The case, one row per input, then expected, received and largest error if known.
        """
        rows = [("case", self.description)]
        rows += [(f"input {name}", text) for name, text in self.inputs]
        what = f" ({self.output})" if self.output else ""
        for label, text in (
            (f"expected{what}", self.expected),
            (f"received{what}", self.received),
            ("largest error", self.largest_error),
        ):
            if text is not None:
                rows.append((label, text))
        return rows


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one ``check_*`` call: a report when printed, truthy when it passed.

    Parameters
    ----------
    check : str
        The check's name, e.g. ``"check_linear_backward"``.
    passed : bool
        True when every case matched the reference.
    message : str
        The explanation for a person: what is wrong and what to look at.
    diagnosis : str | None
        The mistake recognised (``"missing_transpose"``, ``"exception"``, ...), or None; a
        passed result may carry the note ``"wrong_dtype"`` (float32 in, float64 out).
    n_cases : int
        How many cases were run (up to and including the first failing one).
    case : FailingCase | None
        The first failing case, or None when the check passed.
    learner_line : str | None
        Where an exception was raised in the learner's code, e.g.
        ``"line 3 of relu_backward: return grad_out[mask]"``, else None.
    fingerprint : str | None
        8 hex digits that change with anything the function returned in this check, then
        ``-`` and 8 for the source of your functions it ran, if readable.

    Examples
    --------
    >>> from pybackprop.exercises import check_relu_backward
    >>> result = check_relu_backward(lambda x, grad_out: grad_out * (x > 0))
    >>> print(bool(result), result.n_cases, result.diagnosis)
    True 10 None
    """

    check: str
    passed: bool
    message: str
    diagnosis: str | None = None
    n_cases: int = 0
    case: FailingCase | None = field(default=None)
    learner_line: str | None = None
    fingerprint: str | None = None

    def __bool__(self) -> bool:
        return self.passed

    def unless_starter(self, fingerprint: str) -> CheckResult:
        """This report, or a neutral one if the code is still the starter code.

        An exercise's check call ends with the starter code's ``fingerprint``, so that the
        starter gets "not solved yet" (its mistake is the exercise, and naming it would give
        the answer away) and any other answer gets the full report, even one returning the
        starter's numbers. Where the source cannot be read, the neutral report says only that.

        Parameters
        ----------
        fingerprint : str
            The ``fingerprint`` of the starter code's report.

        Returns
        -------
        CheckResult
            ``self``, or a failed result with the diagnosis ``"not_solved_yet"``.
        """
        values, _, code = fingerprint.partition("-")
        mine, _, my_code = (self.fingerprint or "").partition("-")
        if self.passed or mine != values or (code and my_code and code != my_code):
            return self
        if code and my_code:  # the same values from the same source: the starter itself
            message = (
                "This is the starter code, incomplete on purpose. Write your answer in its "
                "place and run the cell again: the check then says what is still wrong, if "
                "anything."
            )
        else:  # no source to compare: true of the starter and of an answer returning the same
            message = (
                "This returns what the starter code returns, and the starter is incomplete on "
                "purpose. Change the code and run the cell again: the check then says what is "
                "still wrong, if anything."
            )
        return CheckResult(
            self.check, False, message, _NOT_SOLVED, self.n_cases, None, None, self.fingerprint
        )

    def _headline(self) -> str:
        if self.diagnosis == _NOT_SOLVED:
            return f"{self.check}: not solved yet"
        if self.passed:
            note = f", with a note: {self.diagnosis}" if self.diagnosis else ""
            return f"{self.check}: passed ({self.n_cases} cases{note})"
        tag = f" [{self.diagnosis}]" if self.diagnosis else ""
        return f"{self.check}: FAILED{tag}"

    def __str__(self) -> str:
        lines = [self._headline(), *("  " + line for line in self.message.splitlines())]
        if self.learner_line:
            lines.append(f"  raised at {self.learner_line}")
        if self.case is not None:
            rows = self.case.lines()
            width = max(len(label) for label, _ in rows)
            lines += [f"  {label:<{width}} : {text}" for label, text in rows]
        return "\n".join(lines)

    __repr__ = __str__

    # No _repr_html_: Jupyter shows the Markdown below, and Quarto loads require.js and jQuery
    # from a CDN into any page with an HTML output, which then fails offline.
    def _repr_markdown_(self) -> str:
        if self.diagnosis == _NOT_SOLVED:  # no mark of failure, and no code block
            return f"**{_md_inline(self._headline())}**\n\n{_md_inline(self.message)}\n"
        mark = "✔" if self.passed else "✘"
        head = f"**{mark} {_md_inline(self._headline())}**"
        if self.passed and not self.diagnosis:
            return head
        body = str(self).split("\n", 1)[1] if "\n" in str(self) else ""
        # A fence longer than any run of backticks in the text keeps it literal.
        longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{head}\n\n{fence}text\n{body}\n{fence}\n"


def _md_inline(text: str) -> str:
    """``text`` safe inside Markdown emphasis: Markdown's punctuation and HTML escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>&])", r"\\\1", text)
