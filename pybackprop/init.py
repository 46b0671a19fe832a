"""Weight initialisation and input normalisation.

Weights here have shape (n_in, n_out), so that a layer computes x @ weight: fan_in is
`shape[0]` and fan_out is `shape[1]`. (PyTorch stores weights as (n_out, n_in), so its fan_in
is `shape[1]`; the numbers come out the same.) Functions ending in `_` fill their argument in
place and return it, as PyTorch's do.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .nn import Parameter

    Weight = np.ndarray | Parameter

# Gains from PyTorch's `calculate_gain`: the factor that keeps activations' variance steady
# through the nonlinearity (ReLU zeroes half of its inputs, hence sqrt(2)).
_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def _array_and_fans(weight: Weight, fn: str) -> tuple[np.ndarray, int, int]:
    w = weight if isinstance(weight, np.ndarray) else getattr(weight, "data", None)
    if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
        raise TypeError(f"{fn} needs a float numpy array or a Parameter; got {type(weight)}.")
    if w.ndim != 2:
        raise ValueError(f"{fn} expects a weight of shape (n_in, n_out); got shape {w.shape}.")
    return w, w.shape[0], w.shape[1]


def kaiming_normal_(
    weight: Weight,
    *,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
    rng: int | np.random.Generator | None = None,
) -> Weight:
    """Fill `weight` (n_in, n_out) in place from N(0, std**2), std = gain / sqrt(fan).

    With the defaults (ReLU, fan_in = n_in) std = sqrt(2 / n_in): the variance of each
    layer's output then stays about the same from layer to layer (He et al., 2015).
    `mode="fan_out"` uses n_out, which keeps the gradients' variance steady instead.
    `nonlinearity` is one of "relu", "linear", "tanh", "sigmoid". `rng`: a seed or a
    `np.random.Generator`. Returns `weight`.
    """
    w, fan_in, fan_out = _array_and_fans(weight, "kaiming_normal_")
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming_normal_: mode must be 'fan_in' or 'fan_out'; got {mode!r}.")
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"kaiming_normal_: nonlinearity must be one of {sorted(_GAINS)}; got {nonlinearity!r}."
        )
    fan = fan_in if mode == "fan_in" else fan_out
    std = _GAINS[nonlinearity] / math.sqrt(fan)
    w[...] = np.random.default_rng(rng).standard_normal(w.shape, dtype=w.dtype) * std
    return weight


def xavier_normal_(
    weight: Weight, *, gain: float = 1.0, rng: int | np.random.Generator | None = None
) -> Weight:
    """Fill `weight` (n_in, n_out) in place from N(0, std**2), std = gain*sqrt(2/(n_in + n_out)).

    Glorot and Bengio (2010): a compromise that keeps both the activations' and the
    gradients' variance steady for a linear or tanh-like layer. Returns `weight`.
    """
    w, fan_in, fan_out = _array_and_fans(weight, "xavier_normal_")
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    w[...] = np.random.default_rng(rng).standard_normal(w.shape, dtype=w.dtype) * std
    return weight


def xavier_uniform_(
    weight: Weight, *, gain: float = 1.0, rng: int | np.random.Generator | None = None
) -> Weight:
    """Fill `weight` (n_in, n_out) in place from U(-a, a), a = gain * sqrt(6 / (n_in + n_out)).

    The same variance as `xavier_normal_` (a uniform on [-a, a] has variance a**2 / 3).
    Returns `weight`.
    """
    w, fan_in, fan_out = _array_and_fans(weight, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    w[...] = np.random.default_rng(rng).uniform(-a, a, size=w.shape)
    return weight


def normalize(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """(x - mean) / std, keeping x's float dtype: any shape -> the same shape.

    Use the *training* set's mean and std for the validation set too, so both see the same
    transformation.
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(
            f"normalize needs floating-point input; got dtype {x.dtype}. "
            "Convert it first, e.g. x.astype(np.float32) / 255."
        )
    if not std > 0:
        raise ValueError(f"normalize: std must be positive; got {std}.")
    # numpy scalars (np.float64) would promote float32 data to float64; cast them first.
    out = x - np.asarray(mean, dtype=x.dtype)
    out /= np.asarray(std, dtype=x.dtype)
    return out
