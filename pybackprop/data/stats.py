"""Statistics of a training set, for normalising inputs."""

from __future__ import annotations

import numpy as np

__all__ = ["mean_std"]

_CHUNK = 1 << 20  # values per pass of the variance loop: bounds the float64 temporary to 8 MB


def mean_std(x: np.ndarray) -> tuple[float, float]:
    """Mean and population standard deviation (ddof=0) of all values of ``x``, in float64.

    Parameters
    ----------
    x : np.ndarray of any shape
        Real numbers, at least one.

    Returns
    -------
    mean : float
        The mean of all values.
    std : float
        Their population standard deviation, as ``torch.std(unbiased=False)``.

    Raises
    ------
    TypeError
        If ``x`` is not an array of real numbers.
    ValueError
        If ``x`` is empty, holds a NaN or infinite value, or its sum overflows.

    Examples
    --------
    >>> from pybackprop.data import load_mnist, mean_std
    >>> mean, std = mean_std(load_mnist("sample")[0])  # normalise every split with these
    >>> print(round(mean, 4), round(std, 4))
    0.1318 0.3093
    """
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise TypeError(f"mean_std needs an array of real numbers; got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError(f"mean_std needs at least one value; got an empty array, shape {x.shape}")
    flat = x.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, by a ValueError
        mean = float(np.sum(flat, dtype=np.float64) / flat.size)
    # A NaN or inf anywhere makes the sum non-finite: found without another pass.
    if not np.isfinite(mean):
        bad = int(np.count_nonzero(~np.isfinite(flat)))
        raise ValueError(
            f"mean_std needs finite values; x holds {bad} NaN or infinite values (find them "
            "with np.argwhere(~np.isfinite(x)))"
            if bad
            else f"mean_std: the sum of x overflows float64 (its mean is {mean})"
        )
    # Two passes (mean, then squared deviations) rather than E[x^2] - mean^2, which cancels.
    squares = 0.0
    for i in range(0, flat.size, _CHUNK):
        deviation = flat[i : i + _CHUNK].astype(np.float64)
        deviation -= mean
        squares += float(deviation @ deviation)
    return mean, float(np.sqrt(squares / flat.size))
