"""Statistics of a training set, for normalising inputs."""

from __future__ import annotations

import numpy as np

_CHUNK = 1 << 20  # values per pass of the variance loop: bounds the float64 temporary to 8 MB


def mean_std(x: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of all values of `x` (any shape), as Python floats.

    Computed in float64 whatever x's dtype, so a float32 MNIST gives the same digits as an
    exact computation. The standard deviation is the population one (divide by n, ddof=0),
    like `torch.std(unbiased=False)`; with 47 million MNIST pixels the difference is nil.
    Normalise with `(x - mean) / std` using the *training* set's values for every split.
    """
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
        raise TypeError(f"mean_std needs an array of real numbers; got dtype {x.dtype}")
    if x.size == 0:
        raise ValueError(f"mean_std needs at least one value; got an empty array, shape {x.shape}")
    flat = x.reshape(-1)
    mean = float(np.sum(flat, dtype=np.float64) / flat.size)
    # Two passes (mean, then squared deviations) rather than E[x^2] - mean^2, which cancels.
    squares = 0.0
    for i in range(0, flat.size, _CHUNK):
        deviation = flat[i : i + _CHUNK].astype(np.float64)
        deviation -= mean
        squares += float(deviation @ deviation)
    return mean, float(np.sqrt(squares / flat.size))
