"""A check for the local derivatives of the scalar engine's operations (chapters 2 and 3).

The learner writes the local derivative of one ``Value`` operation as a plain function of
floats; the check compares it, at random points of the operation's domain, with the local
derivatives the engine stores on each node (``Value._local_grads``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from ..scalar import Value
from .isolate import guarded
from .result import CheckResult
from .runner import Case, Mistake, run_check

__all__ = ["check_value_backward"]

_N_POINTS = 8


@dataclass(frozen=True)
class _Op:
    """One operation: how the engine computes it, where to test it, and the usual mistakes."""

    signature: str
    build: Callable[..., Value]
    points: Callable[[np.random.Generator, int], tuple[float, ...]]  # (rng, case index)
    mistakes: list[Mistake] = field(default_factory=list)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The derivatives named in the signature: ("d(a*b)/da", "d(a*b)/db") for mul."""
        returned = self.signature.split("-> ")[1].strip("()").split(", ")
        return tuple(name for name in returned if name.startswith("d("))

    @property
    def names(self) -> tuple[str, ...]:
        return (
            ("x", "n")
            if self.signature.startswith("fn(x, n)")
            else ("a", "b")
            if self.signature.startswith("fn(a, b)")
            else ("x",)
        )


def _u(lo: float, hi: float) -> Callable[[np.random.Generator, int], tuple[float]]:
    return lambda rng, i: (float(rng.uniform(lo, hi)),)


def _away_from_0(rng: np.random.Generator, i: int) -> tuple[float]:
    """A point in [-3, -0.1] or [0.1, 3], one side each in the first two cases."""
    sign = (1.0, -1.0)[i] if i < 2 else rng.choice([-1.0, 1.0])
    return (float(sign * rng.uniform(0.1, 3.0)),)


def _pair(rng: np.random.Generator, i: int) -> tuple[float, float]:
    return float(rng.uniform(-3, 3)), float(rng.uniform(-3, 3))


def _divisor_pair(rng: np.random.Generator, i: int) -> tuple[float, float]:
    return float(rng.uniform(-3, 3)), float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 3.0))


def _power(rng: np.random.Generator, i: int) -> tuple[float, float]:
    """A positive base with any exponent, or a negative base with an integer exponent."""
    if rng.random() < 0.3:
        return -float(rng.uniform(0.2, 3.0)), float(rng.choice([2, 3, 4, -1, -2]))
    n = float(rng.choice([2.0, 3.0, -1.0, 0.5, 1.5, -2.5, round(rng.uniform(-3, 3), 2)]))
    return float(rng.uniform(0.2, 3.0)), n


def _unary(method: str) -> Callable[[float], Value]:
    return lambda x: getattr(Value(x), method)()


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _forward(fn: Callable[[float], float]) -> Mistake:
    return Mistake(
        "returned_forward", "this is the operation's value, not its derivative.", produce=fn
    )


def _mistake(diagnosis: str, message: str, fn: Callable, output: int = 0) -> Mistake:
    return Mistake(diagnosis, message, output=output, produce=fn)


def _graph_cut(output: int, name: str) -> Mistake:
    """A binary op's derivative read off backward() as 0: the result is not built from ``name``."""
    return Mistake(
        "graph_cut",
        f"it is 0, as if backward() never reached {name}: a Value made from numbers "
        f"({name}.data) starts a new graph, with no link back to {name}. Build the result "
        "from the Values a and b themselves.",
        output=output,
        detect=lambda got, want, case: isinstance(got, Real) and got == 0 and want != 0,
    )


_SWAPPED = "the two partial derivatives are swapped: d(a*b)/da = b and d(a*b)/db = a."
_OPS: dict[str, _Op] = {
    "add": _Op("fn(a, b) -> (d(a+b)/da, d(a+b)/db)", lambda a, b: Value(a) + Value(b), _pair),
    "sub": _Op(
        "fn(a, b) -> (d(a-b)/da, d(a-b)/db)",
        lambda a, b: Value(a) - Value(b),
        _pair,
        [
            _mistake(
                "wrong_sign",
                "d(a - b)/db is -1: b enters with a minus sign.",
                lambda a, b: 1.0,
                output=1,
            )
        ],
    ),
    "mul": _Op(
        "fn(a, b) -> (d(a*b)/da, d(a*b)/db)",
        lambda a, b: Value(a) * Value(b),
        _pair,
        [
            _mistake("swapped_partials", _SWAPPED, lambda a, b: a, output=0),
            _mistake("swapped_partials", _SWAPPED, lambda a, b: b, output=1),
        ],
    ),
    "div": _Op(
        "fn(a, b) -> (d(a/b)/da, d(a/b)/db)",
        lambda a, b: Value(a) / Value(b),
        _divisor_pair,
        [
            _mistake(
                "wrong_sign",
                "d(a/b)/db = -a / b**2: the minus sign is missing.",
                lambda a, b: a / b**2,
                output=1,
            ),
            _mistake(
                "swapped_partials",
                "the partials are swapped: d(a/b)/da = 1/b and d(a/b)/db = -a/b**2.",
                lambda a, b: -a / b**2,
                output=0,
            ),
            _mistake(
                "missing_square",
                "this is -a / b: the square on b is missing. a/b = a * b**-1, and the power "
                "rule gives d(b**-1)/db = -b**-2, so d(a/b)/db = -a / b**2.",
                lambda a, b: -a / b,
                output=1,
            ),
        ],
    ),
    "pow": _Op(
        "fn(x, n) -> d(x**n)/dx, for a constant number n",
        lambda x, n: Value(x) ** n,
        _power,
        [
            _mistake(
                "exponent_not_decreased",
                "this is n * x**n; the power rule lowers the exponent by one: n * x**(n - 1).",
                lambda x, n: n * x**n,
            ),
            _mistake(
                "missing_factor_n",
                "this is x**(n - 1); the power rule brings the "
                "exponent down as a factor: n * x**(n - 1).",
                lambda x, n: x ** (n - 1),
            ),
        ],
    ),
    "neg": _Op(
        "fn(x) -> d(-x)/dx",
        lambda x: -Value(x),
        _u(-3, 3),
        [_mistake("wrong_sign", "d(-x)/dx is -1.", lambda x: 1.0)],
    ),
    "exp": _Op(
        "fn(x) -> d(exp(x))/dx",
        _unary("exp"),
        _u(-3, 3),
        [
            _mistake(
                "power_rule_on_exp",
                "this is x * exp(x - 1), the power rule; exp is its own derivative: exp(x).",
                lambda x: x * math.exp(x - 1),
            )
        ],
    ),
    "log": _Op(
        "fn(x) -> d(log(x))/dx",
        _unary("log"),
        _u(0.1, 5),
        [
            _forward(math.log),
            _mistake("wrong_sign", "d(log x)/dx = 1/x, positive.", lambda x: -1.0 / x),
        ],
    ),
    "tanh": _Op(
        "fn(x) -> d(tanh(x))/dx",
        _unary("tanh"),
        _u(-3, 3),
        [
            _forward(math.tanh),
            _mistake(
                "derivative_at_input",
                "this is 1 - x**2, with x in place of tanh(x): d(tanh x)/dx = 1 - tanh(x)**2.",
                lambda x: 1 - x**2,
            ),
            _mistake(
                "missing_square",
                "this is 1 - tanh(x); the derivative squares it: 1 - tanh(x)**2.",
                lambda x: 1 - math.tanh(x),
            ),
        ],
    ),
    "sigmoid": _Op(
        "fn(x) -> d(sigmoid(x))/dx",
        _unary("sigmoid"),
        _u(-4, 4),
        [
            _forward(_sigmoid),
            _mistake(
                "derivative_at_input",
                "this is x * (1 - x), with x in place of s = "
                "sigmoid(x): the derivative is s * (1 - s).",
                lambda x: x * (1 - x),
            ),
        ],
    ),
    "relu": _Op(
        "fn(x) -> d(relu(x))/dx",
        _unary("relu"),
        _away_from_0,
        [
            _forward(lambda x: max(x, 0.0)),
            _mistake(
                "wrong_mask",
                "this is 1 for x < 0; relu passes the gradient where x > 0.",
                lambda x: float(x < 0),
            ),
        ],
    ),
}


@guarded
def check_value_backward(op: str, fn: Callable, seed: int = 0) -> CheckResult:
    """Check your local derivative of the ``Value`` operation ``op``, written on plain floats.

    Unary ops (``"neg"``, ``"exp"``, ``"log"``, ``"tanh"``, ``"sigmoid"``, ``"relu"``) take
    ``fn(x) -> d out/dx``; binary ops (``"add"``, ``"sub"``, ``"mul"``, ``"div"``)
    ``fn(a, b) -> (d out/da, d out/db)``; ``"pow"`` ``fn(x, n) -> d(x**n)/dx`` for a constant
    n. Compared with the engine's local derivatives at 8 random points of the op's domain.

    Parameters
    ----------
    op : str
        The operation's name, one of those above.
    fn : Callable
        Your local derivative, of the signature above for ``op``.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"swapped_partials"``,
        ``"wrong_sign"``, ``"returned_forward"``, ``"derivative_at_input"``,
        ``"missing_square"``, ``"missing_factor_n"``, ``"exponent_not_decreased"``,
        ``"power_rule_on_exp"``, ``"wrong_mask"``, ``"graph_cut"`` (a binary op's derivative 0),
        ``"returned_value_object"`` or a general one.

    Raises
    ------
    ValueError
        If ``op`` is not one of the operations above (a mistake in the call, not in ``fn``).

    See Also
    --------
    pybackprop.scalar.Value

    Examples
    --------
    >>> from pybackprop.exercises import check_value_backward
    >>> print(check_value_backward("mul", lambda a, b: (b, a)).passed)
    True
    """
    if op not in _OPS:
        raise ValueError(
            f"check_value_backward: unknown op {op!r}; supported ops: {', '.join(sorted(_OPS))}."
        )
    spec = _OPS[op]
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(_N_POINTS):
        args = spec.points(rng, i)
        where = ", ".join(f"{n} = {a:.6g}" for n, a in zip(spec.names, args, strict=True))
        cases.append(Case(where, args, spec.names))
    binary = spec.names == ("a", "b")

    def reference(*args):
        local = spec.build(*args)._local_grads
        return local if binary else local[0]

    return run_check(
        f"check_value_backward({op!r})",
        fn,
        cases,
        reference,
        spec.outputs,
        [*spec.mistakes, _graph_cut(0, "a"), _graph_cut(1, "b")] if binary else spec.mistakes,
        scalar=True,
    )
