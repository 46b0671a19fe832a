"""Toy data sets for the scalar chapters: two moons, and the ReLU chapter's curve."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..scalar import Value

CURVE_RANGE = (-1.0, 3.0)


def make_moons(
    n: int, noise: float = 0.0, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: x: (n, 2) float64, y: (n,) int64 in {0, 1}.

    Class 0, the upper moon, has n // 2 points (cos t, sin t): a unit half circle centred on
    (0, 0). Class 1, the lower moon, has the other n - n // 2 points (1 - cos t, 0.5 - sin t):
    the same half circle turned upside down and centred on (1, 0.5). In each class t runs
    evenly over [0, pi], ends included. (This is scikit-learn's `make_moons` geometry.)
    Gaussian noise with standard deviation `noise` is then added to both coordinates, and the
    rows are shuffled. rng: a seed or `np.random.Generator`; the same seed gives the same set.
    For the +/-1 labels of a hinge loss (as in micrograd's demo) use `2 * y - 1`.
    """
    n, noise = _count(n, "n"), _noise(noise)
    gen = np.random.default_rng(rng)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    x = np.concatenate(
        [
            np.column_stack([np.cos(t0), np.sin(t0)]),
            np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
        ]
    )
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n - n0, dtype=np.int64)])
    if noise > 0:
        x += gen.normal(scale=noise, size=x.shape)
    order = gen.permutation(n)
    return x[order], y[order]


def target_curve(x: float | np.ndarray | Value) -> float | np.ndarray | Value:
    """The ReLU chapter's target, -(x - 1)**2 + 2: a float, an array, or a `Value` alike."""
    return -((x - 1) ** 2) + 2


def make_curve(
    n: int = 100, *, noise: float = 0.0, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of `target_curve` on [-1, 3]: x: (n,) float64 sorted, y: (n,) float64.

    noise=0: x is evenly spaced over [-1, 3] (ends included) and y = target_curve(x) exactly,
    for drawing the curve. noise>0: a data set to fit: x is drawn uniformly from [-1, 3] and
    sorted, and y = target_curve(x) + Gaussian noise of standard deviation `noise`.
    rng: a seed or `np.random.Generator` (used only when noise > 0).
    """
    n, noise = _count(n, "n"), _noise(noise)
    lo, hi = CURVE_RANGE
    if noise == 0:
        x = np.linspace(lo, hi, n)
        return x, target_curve(x)
    gen = np.random.default_rng(rng)
    x = np.sort(gen.uniform(lo, hi, size=n))
    return x, target_curve(x) + gen.normal(scale=noise, size=n)


def _count(n, what: str) -> int:
    """`n` as a non-negative int, or a clear error."""
    try:
        if isinstance(n, bool):
            raise TypeError
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{what} must be a non-negative integer; got {n!r}") from None
    if n < 0:
        raise ValueError(f"{what} must be a non-negative integer; got {n}")
    return n


def _noise(noise: float) -> float:
    """`noise` if it is a standard deviation (>= 0, not NaN), else a clear error."""
    if not noise >= 0:  # also rejects NaN
        raise ValueError(f"noise must be a standard deviation >= 0; got {noise}")
    return noise
