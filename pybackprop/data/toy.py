"""Toy data sets for the scalar chapters: two moons, and the ReLU chapter's curve."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..scalar import Value

__all__ = ["make_curve", "make_moons", "target_curve"]

CURVE_RANGE = (-1.0, 3.0)


def make_moons(
    n: int, noise: float = 0.0, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), with noise, shuffled.

    Class 0 is ``(cos t, sin t)``, class 1 ``(1 - cos t, 0.5 - sin t)``, t evenly in [0, pi].

    Parameters
    ----------
    n : int
        The number of points, >= 0: ``n // 2`` in class 0, the rest in class 1.
    noise : float
        The standard deviation of the Gaussian noise on both coordinates, >= 0.
    rng : int | np.random.Generator | None
        A seed or a generator for the noise and the shuffle (None: unpredictable).

    Returns
    -------
    x : np.ndarray of shape (n, 2)
        The points, float64.
    y : np.ndarray of shape (n,)
        Their classes, int64 0 or 1.

    Raises
    ------
    TypeError
        If ``n`` is not an integer, or ``noise`` is not a number.
    ValueError
        If ``n`` is negative, or ``noise`` is negative or NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.data import make_moons
    >>> x, y = make_moons(100, noise=0.1, rng=0)
    >>> print(x.shape, y.shape, np.bincount(y))
    (100, 2) (100,) [50 50]
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
    """The ReLU chapter's target ``-(x - 1)**2 + 2`` of a float, an array or a ``Value``.

    Parameters
    ----------
    x : float | np.ndarray | Value
        Where to evaluate the curve (an array elementwise; a ``Value`` builds a graph).

    Returns
    -------
    float | np.ndarray | Value
        The curve at ``x``, of ``x``'s kind and shape.

    See Also
    --------
    make_curve : samples of this curve on [-1, 3].

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.data import target_curve
    >>> print(target_curve(np.array([-1.0, 1.0, 3.0])))
    [-2.  2. -2.]
    """
    return -((x - 1) ** 2) + 2


def make_curve(
    n: int = 100, *, noise: float = 0.0, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of ``target_curve`` on [-1, 3]: an exact even grid, or (noise > 0) a data set.

    With noise, x is drawn uniformly and sorted, and y gets Gaussian noise of std ``noise``.

    Parameters
    ----------
    n : int
        The number of points, >= 0.
    noise : float
        The standard deviation of the noise added to y, >= 0.
    rng : int | np.random.Generator | None
        A seed or a generator, used only when ``noise > 0`` (None: unpredictable).

    Returns
    -------
    x : np.ndarray of shape (n,)
        The inputs, float64, sorted.
    y : np.ndarray of shape (n,)
        The targets, float64.

    Raises
    ------
    TypeError
        If ``n`` is not an integer, or ``noise`` is not a number.
    ValueError
        If ``n`` is negative, or ``noise`` is negative or NaN.

    See Also
    --------
    target_curve : the curve itself.

    Examples
    --------
    >>> from pybackprop.data import make_curve
    >>> x, y = make_curve(5)
    >>> print(x, y)
    [-1.  0.  1.  2.  3.] [-2.  1.  2.  1. -2.]
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
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.integer | np.floating):
        raise TypeError(f"noise must be a number (a standard deviation >= 0); got {noise!r}")
    if not noise >= 0:  # also rejects NaN
        raise ValueError(f"noise must be a standard deviation >= 0; got {noise}")
    return noise
