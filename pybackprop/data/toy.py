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
    """Two interleaving half circles: x: (n, 2) float64, y: (n,) int64 in {0, 1}.

    Class 0, the upper moon, has ``n // 2`` points (cos t, sin t): a unit half circle centred
    on (0, 0). Class 1, the lower moon, has the other ``n - n // 2`` points
    (1 - cos t, 0.5 - sin t): the same half circle turned upside down and centred on
    (1, 0.5). In each class t runs evenly over [0, pi], ends included. (This is
    scikit-learn's ``make_moons`` geometry.) Gaussian noise with standard deviation ``noise``
    is then added to both coordinates, and the rows are shuffled.
    For the +/-1 labels of a hinge loss (as in micrograd's demo) use ``2 * y - 1``.

    Parameters
    ----------
    n : int
        The number of points, >= 0.
    noise : float
        The standard deviation of the Gaussian noise added to each coordinate, >= 0.
    rng : int | np.random.Generator | None
        A seed or a generator for the noise and the shuffle; the same seed gives the same
        set (None: a fresh, unpredictable seed).

    Returns
    -------
    x : np.ndarray of shape (n, 2)
        The points, float64.
    y : np.ndarray of shape (n,)
        Their classes, int64 0 (upper moon) or 1 (lower moon).

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
    >>> print(x.shape, x.dtype, y.shape, y.dtype, np.bincount(y))
    (100, 2) float64 (100,) int64 [50 50]

    Without noise the points lie exactly on the two half circles:

    >>> x, y = make_moons(10, rng=0)
    >>> upper, lower = x[y == 0], x[y == 1] - [1.0, 0.5]
    >>> print(np.round(np.hypot(*upper.T), 6), np.round(np.hypot(*lower.T), 6))
    [1. 1. 1. 1. 1.] [1. 1. 1. 1. 1.]
    >>> print(np.unique(2 * y - 1))  # labels for a hinge loss
    [-1  1]
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
    """The ReLU chapter's target, ``-(x - 1)**2 + 2``: a float, an array, or a ``Value`` alike.

    Written with ``-``, ``**`` and ``+`` only, so it works on anything that supports them
    and, on a ``Value``, builds a graph to backpropagate through.

    Parameters
    ----------
    x : float | np.ndarray | Value
        Where to evaluate the curve; an array of any shape, elementwise.

    Returns
    -------
    float | np.ndarray | Value
        The curve at ``x``, of ``x``'s kind (an array of ``x``'s shape).

    See Also
    --------
    make_curve : samples of this curve on [-1, 3], with or without noise.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import Value
    >>> from pybackprop.data import target_curve
    >>> target_curve(1.0)
    2.0
    >>> print(target_curve(np.array([-1.0, 1.0, 3.0])))
    [-2.  2. -2.]
    >>> x = Value(3.0)
    >>> y = target_curve(x)
    >>> y.backward()
    >>> print(y.data, x.grad)  # the slope -2 * (x - 1)
    -2.0 -4.0
    """
    return -((x - 1) ** 2) + 2


def make_curve(
    n: int = 100, *, noise: float = 0.0, rng: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of ``target_curve`` on [-1, 3]: x: (n,) float64 sorted, y: (n,) float64.

    With ``noise=0``, x is evenly spaced over [-1, 3] (ends included) and
    ``y = target_curve(x)`` exactly, for drawing the curve. With ``noise > 0``, a data set to
    fit: x is drawn uniformly from [-1, 3] and sorted, and ``y = target_curve(x)`` plus
    Gaussian noise of standard deviation ``noise``.

    Parameters
    ----------
    n : int
        The number of points, >= 0.
    noise : float
        The standard deviation of the noise added to y, >= 0.
    rng : int | np.random.Generator | None
        A seed or a generator, used only when ``noise > 0`` (None: a fresh, unpredictable
        seed).

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
    >>> import numpy as np
    >>> from pybackprop.data import make_curve
    >>> x, y = make_curve(5)
    >>> print(x, y)
    [-1.  0.  1.  2.  3.] [-2.  1.  2.  1. -2.]
    >>> x, y = make_curve(200, noise=0.1, rng=0)
    >>> print(x.shape, y.shape, bool(np.all(np.diff(x) >= 0)), bool(-1 <= x[0] and x[-1] <= 3))
    (200,) (200,) True True
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
