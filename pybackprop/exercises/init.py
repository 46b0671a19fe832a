"""A statistical check of Kaiming initialisation written by hand (chapter 11).

Random weights cannot be compared number by number, so the check compares their spread:
the sample mean and standard deviation of n_in * n_out draws against 0 and sqrt(2 / n_in),
the spread ``pybackprop.nn.init.kaiming_normal_`` gives. Any distribution with that spread passes
(a uniform on [-a, a] with a = sqrt(6 / n_in) as well as a normal).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .isolate import call_learner, guarded
from .result import CheckResult, FailingCase
from .runner import as_array, describe, not_callable

__all__ = ["check_kaiming_init"]

# Shapes with n_in != n_out, so that using the wrong fan shows, and with at least 10,000
# weights, so that the sample std is within 1% of the true one (1 standard error; see below).
_SHAPES = ((200, 50), (51, 301), (784, 100))

# How many standard errors an estimate may be off before it counts as wrong. For N normal
# draws the sample std has a relative standard error of 1 / sqrt(2N) (0.7% for N = 10,000)
# and the mean a standard error of (sample std) / sqrt(N); seven of them are exceeded by chance
# with probability about 3e-12, yet the tolerance (4.9% on the first shape) stays below half the
# gap between the right std and the nearest mistake below (11% for Xavier's on that shape).
_STANDARD_ERRORS = 7.0


# The width of the n_in = 2 probe that tells integer division from weights left at zero.
_PROBE_WIDTH = 5000


def _has_std(w: object, std: float) -> bool:
    """True for a float array whose sample std is within 10% of ``std``."""
    return (
        isinstance(w, np.ndarray)
        and w.dtype.kind == "f"
        and w.size > 1
        and bool(np.all(np.isfinite(w)))
        and abs(float(np.std(w)) / std - 1) < 0.1
    )


def _candidates(n_in: int, n_out: int) -> list[tuple[str, float, str]]:
    """(diagnosis, std it gives, explanation) for the usual mistakes, most specific first."""
    right = math.sqrt(2.0 / n_in)
    return [
        (
            "fan_out_instead_of_fan_in",
            math.sqrt(2.0 / n_out),
            "the std is sqrt(2 / n_out): Kaiming's fan-in version divides by n_in, the number "
            "of inputs each output sums over.",
        ),
        (
            "missing_factor_2",
            math.sqrt(1.0 / n_in),
            "the std is sqrt(1 / n_in), the spread for a linear layer (LeCun). ReLU zeroes half "
            "of its inputs, halving the variance; Kaiming's factor 2 makes up for it: "
            "sqrt(2 / n_in).",
        ),
        (
            "xavier_instead_of_kaiming",
            math.sqrt(2.0 / (n_in + n_out)),
            "the std is sqrt(2 / (n_in + n_out)), Xavier/Glorot's spread. For ReLU layers use "
            "Kaiming's sqrt(2 / n_in).",
        ),
        (
            "uniform_bound_as_std",
            right / math.sqrt(3.0),
            "the weights are uniform on [-a, a] with a = sqrt(2 / n_in), but a uniform's std is "
            "a / sqrt(3): take a = sqrt(6 / n_in) to get std sqrt(2 / n_in).",
        ),
        (
            "variance_instead_of_std",
            2.0 / n_in,
            "the std is 2 / n_in, which is the *variance* Kaiming asks for: take its square "
            "root, std = sqrt(2 / n_in).",
        ),
        (
            "not_scaled",
            1.0,
            "the std is 1: the draws are not scaled. Multiply standard normal draws by "
            "sqrt(2 / n_in).",
        ),
    ]


@guarded
def check_kaiming_init(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your Kaiming (He) initialisation: weights of mean 0 and std ``sqrt(2 / n_in)``.

    Random weights are compared by their spread: the sample mean and std on 3 shapes with
    n_in != n_out and at least 10,000 weights, within 7 standard errors. Any distribution with
    that spread passes (a uniform on [-a, a] with ``a = sqrt(6 / n_in)`` too).

    Parameters
    ----------
    fn : Callable
        Your ``kaiming_init(n_in, n_out, rng) -> weight``: two ints and the
        ``np.random.Generator`` to draw from; returns shape (n_in, n_out), as ``x @ weight``
        expects.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"missing_transpose"``,
        ``"ignores_rng"``, ``"integer_division"``, ``"constant_weights"``, ``"nonzero_mean"``,
        ``"fan_out_instead_of_fan_in"``, ``"missing_factor_2"``,
        ``"xavier_instead_of_kaiming"``, ``"uniform_bound_as_std"``,
        ``"variance_instead_of_std"``, ``"not_scaled"``, ``"wrong_std"`` or a general one.

    See Also
    --------
    pybackprop.nn.init.kaiming_normal_

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_kaiming_init
    >>> def kaiming_init(n_in, n_out, rng):
    ...     return rng.standard_normal((n_in, n_out)) * np.sqrt(2 / n_in)
    >>> print(check_kaiming_init(kaiming_init).passed)
    True
    """
    check = "check_kaiming_init"
    if not callable(fn):
        return not_callable(check, fn)
    for i, (n_in, n_out) in enumerate(_SHAPES, start=1):
        case_seed = (seed, i)
        inputs = (
            ("n_in", str(n_in)),
            ("n_out", str(n_out)),
            ("rng", f"np.random.default_rng({case_seed})"),
        )
        std = math.sqrt(2.0 / n_in)
        expected = f"shape ({n_in}, {n_out}) float, mean 0, std {std:.4g} = sqrt(2 / n_in)"

        def fail(
            diagnosis,
            message,
            received=None,
            error=None,
            line=None,
            i=i,
            n_in=n_in,
            n_out=n_out,
            inputs=inputs,
            expected=expected,
        ):
            case = FailingCase(
                f"n_in {n_in}, n_out {n_out}", inputs, "weight", expected, received, error
            )
            return CheckResult(check, False, message, diagnosis, i, case, line)

        called = call_learner(fn, (n_in, n_out, np.random.default_rng(case_seed)))
        if called.error is not None:
            return fail(called.diagnosis, called.error, line=called.line)
        w = called.value
        if not isinstance(w, np.ndarray):
            _, diagnosis, message = as_array(w, "weight")
            return fail(diagnosis, message, describe(w))
        if w.shape != (n_in, n_out):
            if w.shape == (n_out, n_in):
                return fail(
                    "missing_transpose",
                    f"weight has shape {w.shape}, (n_out, n_in) as PyTorch stores it; "
                    f"here a layer computes x @ weight, so weight is (n_in, n_out) = "
                    f"({n_in}, {n_out}).",
                    describe(w),
                )
            return fail(
                "wrong_shape",
                f"weight has shape {w.shape}; expected (n_in, n_out) = ({n_in}, {n_out}).",
                describe(w),
            )
        if w.dtype.kind != "f":
            return fail(
                "wrong_type", f"weight has dtype {w.dtype}; weights must be floats.", describe(w)
            )
        if not np.all(np.isfinite(w)):
            return fail("nan_or_inf", "weight holds nan or inf.", describe(w))
        again = call_learner(fn, (n_in, n_out, np.random.default_rng(case_seed)))
        if again.error is not None:
            return fail(again.diagnosis, again.error, line=again.line)
        if not (isinstance(again.value, np.ndarray) and np.array_equal(again.value, w)):
            return fail(
                "ignores_rng",
                "two calls with the same seed gave different weights. Draw from the "
                "generator you are given (rng.standard_normal(...) or "
                "rng.uniform(...)), not np.random.randn, so that a seed reproduces "
                "a run.",
                describe(w),
            )

        if not np.any(w):
            # 2 // n_in is 0 for every shape here, and right for n_in = 2 (2 // 2 == 2 / 2)
            probe = call_learner(fn, (2, _PROBE_WIDTH, np.random.default_rng((*case_seed, 2))))
            if _has_std(probe.value, 1.0):
                return fail(
                    "integer_division",
                    f"every weight is 0, yet for n_in = 2 the std is right (1): the scale "
                    f"is computed with integer division, 2 // n_in, which is 0 for n_in = "
                    f"{n_in}. Use 2 / n_in.",
                    describe(w),
                )
        w64 = w.astype(np.float64)
        n = w64.size
        mean, sample_std = float(w64.mean()), float(w64.std())
        received = f"{describe(w)}; mean {mean:.4g}, std {sample_std:.4g}"
        if np.all(w == w.flat[0]):
            return fail(
                "constant_weights",
                "every weight is the same. Then every output of the layer computes "
                "the same thing and gets the same gradient, so they never become "
                "different: draw random weights.",
                received,
            )
        other = call_learner(fn, (n_in, n_out, np.random.default_rng((*case_seed, 1))))
        if other.error is not None:
            return fail(other.diagnosis, other.error, line=other.line)
        if isinstance(other.value, np.ndarray) and np.array_equal(other.value, w):
            return fail(
                "ignores_rng",
                "two generators with different seeds gave the same weights: your function "
                "draws from a generator of its own (np.random.default_rng(0)?), so every "
                "layer would start from the same weights. Draw from the rng it is given.",
                describe(w),
            )
        mean_tol = _STANDARD_ERRORS * sample_std / math.sqrt(n)  # the draws' own spread
        if abs(mean) > mean_tol:
            return fail(
                "nonzero_mean",
                f"the weights' mean is {mean:.4g}, not about 0 (allowed: +-"
                f"{mean_tol:.2g} for {n} draws). Draw from a distribution centred "
                "on 0, e.g. rng.standard_normal, not rng.random (which is on [0, 1)).",
                received,
                f"mean {mean:.4g} (tolerance {mean_tol:.2g})",
            )
        rel_tol = _STANDARD_ERRORS / math.sqrt(2.0 * n)
        error = (
            f"std off by {abs(sample_std / std - 1):.1%} (tolerance {rel_tol:.1%} for {n} draws)"
        )
        if abs(sample_std / std - 1) <= rel_tol:
            continue
        near = [
            (abs(sample_std / s - 1), d, text)
            for d, s, text in _candidates(n_in, n_out)
            if abs(sample_std / s - 1) <= rel_tol
        ]
        if near:
            _, diagnosis, text = min(near)
            return fail(diagnosis, f"weight: {text}", received, error)
        return fail(
            "wrong_std",
            f"the weights' std is {sample_std:.4g}; Kaiming's is sqrt(2 / n_in) = "
            f"{std:.4g} for n_in = {n_in}.",
            received,
            error,
        )
    return CheckResult(
        check,
        True,
        f"all {len(_SHAPES)} shapes have mean about 0 and std sqrt(2 / n_in).",
        None,
        len(_SHAPES),
    )
