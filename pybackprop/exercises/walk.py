"""A check for a hand-written backward walk over a graph of ``Value``s (chapter 3).

The learner's function takes the output node of a graph and returns a dict mapping each leaf's
label to d(output)/d(leaf). The graphs use only +, *, log and exp, and every one reuses a node
(a shared product, a leaf used twice), which is where a walk that does not add up the shares
goes wrong. The reference is ``Value.backward()`` on a fresh copy of the same graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..scalar import Value
from .isolate import call_learner, guarded
from .result import CheckResult, FailingCase
from .runner import close, describe, largest_error, not_callable

__all__ = ["check_backward_walk"]


@dataclass(frozen=True)
class _Graph:
    formula: str
    labels: tuple[str, ...]
    build: Callable[..., Value]


def _log_exp(x: Value, y: Value) -> Value:
    z = x * y
    return z.log() + z.exp()


def _square_of_sum(x: Value, y: Value) -> Value:
    s = x + y
    return s * s + x


def _chain(x: Value, y: Value, w: Value) -> Value:
    a = x * y
    b = a + w
    return b * a + y.exp()


_GRAPHS = (
    _Graph("log(z) + exp(z) with z = x*y", ("x", "y"), _log_exp),
    _Graph("x*x + x", ("x",), lambda x: x * x + x),
    _Graph("s*s + x with s = x + y", ("x", "y"), _square_of_sum),
    _Graph("b*a + exp(y) with a = x*y, b = a + w", ("x", "y", "w"), _chain),
)


def _graph(spec: _Graph, values: tuple[float, ...]) -> tuple[Value, list[Value]]:
    leaves = [Value(v, label=name) for name, v in zip(spec.labels, values, strict=True)]
    return spec.build(*leaves), leaves


def _order(root: Value, left_first: bool) -> list[Value]:
    """A topological order by depth-first search, visiting parents left or right first."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            parents = reversed(node.parents) if left_first else node.parents
            stack.extend((p, False) for p in parents)
    return order


def _slip_walk(
    root: Value, share: Callable[[float, float, float], float], left_first: bool
) -> dict[str, float]:
    """A walk in which each parent's entry becomes share(entry so far, d, local)."""
    pending, grads = {root: 1.0}, {}
    for node in reversed(_order(root, left_first)):
        d = pending.pop(node)
        if not node.parents:
            grads[node.label] = d
        for parent, local in zip(node.parents, node._local_grads, strict=True):
            pending[parent] = share(pending.get(parent, 0.0), d, local)
    return grads


_SLIPS = (
    (
        "overwrote_shares",
        "a node used in two places gets only one of its two shares: the second share "
        "overwrites the first in `pending`. A parent's derivative must collect every path "
        "that reaches it (look at how the walk stores d * local).",
        lambda so_far, d, local: d * local,
    ),
    (
        "missing_chain_rule",
        "the walk passes on the local derivatives alone. By the chain rule each parent gets the "
        "node's own derivative times the local one: d * local.",
        lambda so_far, d, local: so_far + local,
    ),
)


@guarded
def check_backward_walk(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your backward walk over a graph of ``Value`` nodes: ``{leaf label: d root/d leaf}``.

    Compared with ``Value.backward()`` on a copy of the same graph, for four graphs of ``+``,
    ``*``, ``log`` and ``exp`` at two random points each; every graph reuses a node, where a
    walk that does not add up the shares goes wrong.

    Parameters
    ----------
    fn : Callable
        Your ``walk(root) -> grads``: the output ``Value`` to a dict from each leaf's label
        (``"x"``, ``"y"``, ``"w"``) to a float.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"overwrote_shares"``,
        ``"missing_chain_rule"``, ``"missing_leaf"``, ``"wrong_type"``, ``"wrong_values"`` or
        a general one.

    See Also
    --------
    pybackprop.scalar.Value.backward

    Examples
    --------
    >>> from pybackprop.exercises import check_backward_walk
    >>> def walk(root):  # the starter code
    ...     return {}
    >>> print(check_backward_walk(walk).diagnosis)
    missing_leaf
    """
    check = "check_backward_walk"
    if not callable(fn):
        return not_callable(check, fn)
    rng = np.random.default_rng(seed)
    cases = [
        (spec, tuple(float(v) for v in rng.uniform(0.3, 2.0, len(spec.labels))))
        for spec in _GRAPHS * 2
    ]
    for i, (spec, values) in enumerate(cases, start=1):
        where = ", ".join(f"{n} = {v:.6g}" for n, v in zip(spec.labels, values, strict=True))
        inputs = (("root", f"{spec.formula}, at {where}"),)

        def fail(
            diagnosis,
            message,
            exp=None,
            rec=None,
            err=None,
            line=None,
            i=i,
            inputs=inputs,
            spec=spec,
        ):
            failing = FailingCase(f"graph {spec.formula}", inputs, "gradients", exp, rec, err)
            return CheckResult(check, False, message, diagnosis, i, failing, line)

        ref_root, ref_leaves = _graph(spec, values)
        ref_root.backward()
        expected = np.array([leaf.grad for leaf in ref_leaves])
        shown = ", ".join(f"{n}: {g:.8g}" for n, g in zip(spec.labels, expected, strict=True))

        root, _ = _graph(spec, values)
        called = call_learner(fn, (root,))
        if called.error is not None:
            return fail(called.diagnosis, called.error, exp=shown, line=called.line)
        got = called.value
        if not isinstance(got, dict):
            return fail(
                "wrong_type",
                f"your function returned {describe(got)}; return a dict "
                "mapping each leaf's label to its gradient, e.g. {'x': 1.5, 'y': -2.0}.",
                exp=shown,
                rec=describe(got),
            )
        missing = [n for n in spec.labels if n not in got]
        if missing:
            return fail(
                "missing_leaf",
                f"no gradient for the leaf {missing[0]!r}: the walk "
                "should store d(root)/d(leaf) for every leaf it reaches (a node "
                "without parents).",
                exp=shown,
                rec=f"keys {sorted(map(str, got))}",
            )
        try:
            received = np.array([float(got[n]) for n in spec.labels])
        except (TypeError, ValueError):
            return fail(
                "wrong_type",
                "the dict's values should be plain numbers (floats), one gradient per leaf.",
                exp=shown,
                rec=", ".join(f"{n}: {describe(got[n])}" for n in spec.labels),
            )
        if close(received, expected, None):
            continue
        rec = ", ".join(f"{n}: {g:.8g}" for n, g in zip(spec.labels, received, strict=True))
        err = largest_error(received, expected)
        for diagnosis, message, share in _SLIPS:
            for left_first in (True, False):  # which share a slip keeps depends on the order
                slip = _slip_walk(_graph(spec, values)[0], share, left_first)
                if close(received, np.array([slip[n] for n in spec.labels]), None):
                    return fail(diagnosis, message, shown, rec, err)
        return fail(
            "wrong_values",
            "the gradients are wrong. Follow the walk on this graph "
            "by hand: print each node's label (or op) and its derivative as it leaves "
            "pending.",
            shown,
            rec,
            err,
        )
    return CheckResult(
        check, True, f"all {len(cases)} cases match the reference.", None, len(cases)
    )
