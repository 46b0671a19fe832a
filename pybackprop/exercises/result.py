"""``CheckResult``: what a check found, shown as plain text in a terminal and rich in a notebook.

A result is truthy when the check passed, so ``assert check_relu_backward(fn)`` works in a
test. Everything the learner's code controls (exception text, source lines, returned values)
is escaped before it goes into Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["CheckResult", "FailingCase"]


@dataclass(frozen=True)
class FailingCase:
    """The first case a learner's function got wrong, described for the report.

    Found as ``CheckResult.case``; every field is a short string, ready to print.

    Parameters
    ----------
    description : str
        What the case is, e.g. ``"batch 1, n_in 7, n_out 3, float32"``.
    inputs : tuple of (str, str), default ()
        One ``(name, summary)`` pair per argument, e.g. ``("x", "shape (1, 7) float32")``.
    output : str or None, default None
        Which returned value was wrong (``"grad_weight"``), or None.
    expected : str or None, default None
        A summary of the right answer (shape, dtype, first values), or None.
    received : str or None, default None
        A summary of what the function returned, or None.
    largest_error : str or None, default None
        The largest difference and where it is, or None.

    See Also
    --------
    CheckResult

    Examples
    --------
    >>> from pybackprop.exercises import check_relu_backward
    >>> case = check_relu_backward(lambda x, grad_out: grad_out).case
    >>> print(case.description, "|", case.output)
    shape (4, 6), float64 | grad_x
    >>> print(case.inputs)
    (('x', 'shape (4, 6) float64'), ('grad_out', 'shape (4, 6) float64'))
    """

    description: str
    inputs: tuple[tuple[str, str], ...] = ()
    output: str | None = None
    expected: str | None = None
    received: str | None = None
    largest_error: str | None = None

    def lines(self) -> list[tuple[str, str]]:
        """The report's rows for this case, skipping the fields that are empty.

        Returns
        -------
        list of (str, str)
            ``(label, text)`` pairs: the case, one row per input, then the expected value,
            the received value and the largest error when they are known.

        Examples
        --------
        >>> from pybackprop.exercises import FailingCase
        >>> FailingCase("n 1, float64", (("x", "shape (1,) float64"),)).lines()
        [('case', 'n 1, float64'), ('input x', 'shape (1,) float64')]
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
    """The outcome of one ``check_*`` call: passed or not, and which mistake was recognised.

    Printed, it is a plain-text report; in a notebook, a Markdown one (a bold headline, then
    the report). It is truthy when the check passed, so
    ``assert check_relu_backward(fn)`` works in a test.

    Parameters
    ----------
    check : str
        The check's name, e.g. ``"check_linear_backward"``.
    passed : bool
        True when every case matched the reference.
    message : str
        The explanation for a person: what is wrong and what to look at.
    diagnosis : str or None, default None
        A short, stable identifier of the mistake recognised, e.g. ``"missing_transpose"``,
        ``"bias_not_summed"``, ``"no_max_subtracted"``, ``"exception"``,
        ``"returned_none"``, ``"wrong_shape"``, ``"wrong_values"``; None when nothing was
        wrong. A passed result may still carry a soft note, ``"wrong_dtype"`` (float32 in
        gave float64 out): the numbers are right but the dtype is not kept.
    n_cases : int, default 0
        How many cases were run (up to and including the first failing one).
    case : FailingCase or None, default None
        The first failing case, or None when the check passed.
    learner_line : str or None, default None
        For an exception, where it was raised in the learner's own code
        (``"line 3 of relu_backward: return grad_out[mask]"``), else None.

    See Also
    --------
    FailingCase

    Examples
    --------
    >>> from pybackprop.exercises import check_relu_backward
    >>> result = check_relu_backward(lambda x, grad_out: grad_out * (x > 0))
    >>> print(bool(result), result.n_cases, result.diagnosis)
    True 10 None
    >>> result = check_relu_backward(lambda x, grad_out: grad_out)
    >>> print(result)  # doctest: +ELLIPSIS
    check_relu_backward: FAILED [missing_relu_mask]
      grad_x: this is grad_out unchanged: no mask at all. ...
      case              : shape (4, 6), float64
    ...
    """

    check: str
    passed: bool
    message: str
    diagnosis: str | None = None
    n_cases: int = 0
    case: FailingCase | None = field(default=None)
    learner_line: str | None = None

    def __bool__(self) -> bool:
        return self.passed

    def _headline(self) -> str:
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
    """``text`` safe inside Markdown emphasis: escape Markdown's punctuation and HTML."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>&])", r"\\\1", text)
