"""Weight initialisation and input normalisation.

Weights here have shape (n_in, n_out), so that a layer computes ``x @ weight``: fan_in is
``shape[0]`` and fan_out is ``shape[1]``. (PyTorch stores weights as (n_out, n_in), so its
fan_in is ``shape[1]``; the numbers come out the same.) Functions ending in ``_`` fill their
argument in place and return it, as PyTorch's do. Each initialiser takes a float numpy array
or a ``pybackprop.nn.Parameter`` (whose ``.data`` it fills).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .module import Parameter

__all__ = ["kaiming_normal_", "normalize", "xavier_normal_", "xavier_uniform_"]

# Gains from PyTorch's `calculate_gain`: the factor that keeps activations' variance steady
# through the nonlinearity (ReLU zeroes half of its inputs, hence sqrt(2)).
_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def _array_and_fans(weight: np.ndarray | Parameter, fn: str) -> tuple[np.ndarray, int, int]:
    w = weight if isinstance(weight, np.ndarray) else getattr(weight, "data", None)
    if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
        raise TypeError(f"{fn} needs a float numpy array or a Parameter; got {type(weight)}.")
    if w.ndim != 2:
        raise ValueError(f"{fn} expects a weight of shape (n_in, n_out); got shape {w.shape}.")
    return w, w.shape[0], w.shape[1]


def _standard_normal(rng, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """N(0, 1) draws in `dtype`; numpy draws only float32/float64, so others go via float64."""
    direct = dtype in (np.float32, np.float64)
    return np.random.default_rng(rng).standard_normal(shape, dtype=dtype if direct else np.float64)


def kaiming_normal_(
    weight: np.ndarray | Parameter,
    *,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
    rng: int | np.random.Generator | None = None,
) -> np.ndarray | Parameter:
    """Fill ``weight`` (n_in, n_out) in place from N(0, std**2), std = gain / sqrt(fan).

    With the defaults (ReLU, fan_in = n_in) std = sqrt(2 / n_in): the variance of each
    layer's output then stays about the same from layer to layer (He et al., 2015).
    ``mode="fan_out"`` uses n_out, which keeps the gradients' variance steady instead. The
    gain is PyTorch's ``calculate_gain``: sqrt(2) for ReLU (it zeroes half of its inputs),
    5/3 for tanh, 1 for linear and sigmoid.

    Parameters
    ----------
    weight : np.ndarray or Parameter, shape ``(n_in, n_out)``
        A float32 or float64 array, or a ``Parameter`` holding one; filled in place.
    mode : str, default "fan_in"
        ``"fan_in"`` (std from n_in: steady activations) or ``"fan_out"`` (from n_out:
        steady gradients).
    nonlinearity : str, default "relu"
        The activation that follows the layer: ``"relu"``, ``"linear"``, ``"tanh"`` or
        ``"sigmoid"``.
    rng : int | np.random.Generator | None, default None
        Seed or generator for the draw; ``None`` is a fresh seed.

    Returns
    -------
    np.ndarray or Parameter, shape ``(n_in, n_out)``
        ``weight`` itself, filled, in its own dtype.

    Raises
    ------
    TypeError
        If ``weight`` is neither a floating-point numpy array nor a Parameter holding one.
    ValueError
        If ``weight`` is not 2-D, or ``mode`` or ``nonlinearity`` is not one of the names
        above.

    See Also
    --------
    xavier_normal_, xavier_uniform_

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.nn import init
    >>> w = init.kaiming_normal_(np.empty((256, 128), dtype=np.float32), rng=0)
    >>> print(w.shape, w.dtype)
    (256, 128) float32
    >>> print(round(float(w.std()), 3), round((2 / 256) ** 0.5, 3))  # std = sqrt(2 / n_in)
    0.088 0.088
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
    w[...] = _standard_normal(rng, w.shape, w.dtype) * std
    return weight


def xavier_normal_(
    weight: np.ndarray | Parameter,
    *,
    gain: float = 1.0,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray | Parameter:
    """Fill ``weight`` (n_in, n_out) in place from N(0, std**2), std = gain*sqrt(2/(n_in + n_out)).

    Glorot and Bengio (2010): a compromise that keeps both the activations' and the
    gradients' variance steady for a linear or tanh-like layer.

    Parameters
    ----------
    weight : np.ndarray or Parameter, shape ``(n_in, n_out)``
        A float32 or float64 array, or a ``Parameter`` holding one; filled in place.
    gain : float, default 1.0
        Scales the std: 1 for linear or sigmoid layers, 5/3 for tanh (PyTorch's
        ``calculate_gain``).
    rng : int | np.random.Generator | None, default None
        Seed or generator for the draw; ``None`` is a fresh seed.

    Returns
    -------
    np.ndarray or Parameter, shape ``(n_in, n_out)``
        ``weight`` itself, filled, in its own dtype.

    Raises
    ------
    TypeError
        If ``weight`` is neither a floating-point numpy array nor a Parameter holding one.
    ValueError
        If ``weight`` is not 2-D.

    See Also
    --------
    xavier_uniform_, kaiming_normal_

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.nn import init
    >>> w = init.xavier_normal_(np.empty((256, 128)), rng=0)
    >>> print(round(float(w.std()), 3), round((2 / (256 + 128)) ** 0.5, 3))
    0.072 0.072
    """
    w, fan_in, fan_out = _array_and_fans(weight, "xavier_normal_")
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    w[...] = _standard_normal(rng, w.shape, w.dtype) * std
    return weight


def xavier_uniform_(
    weight: np.ndarray | Parameter,
    *,
    gain: float = 1.0,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray | Parameter:
    """Fill ``weight`` (n_in, n_out) in place from U(-a, a), a = gain * sqrt(6 / (n_in + n_out)).

    The same variance as ``xavier_normal_`` (a uniform on [-a, a] has variance a**2 / 3).

    Parameters
    ----------
    weight : np.ndarray or Parameter, shape ``(n_in, n_out)``
        A float32 or float64 array, or a ``Parameter`` holding one; filled in place.
    gain : float, default 1.0
        Scales the bound: 1 for linear or sigmoid layers, 5/3 for tanh (PyTorch's
        ``calculate_gain``).
    rng : int | np.random.Generator | None, default None
        Seed or generator for the draw; ``None`` is a fresh seed.

    Returns
    -------
    np.ndarray or Parameter, shape ``(n_in, n_out)``
        ``weight`` itself, filled, in its own dtype.

    Raises
    ------
    TypeError
        If ``weight`` is neither a floating-point numpy array nor a Parameter holding one.
    ValueError
        If ``weight`` is not 2-D.

    See Also
    --------
    xavier_normal_, kaiming_normal_

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> from pybackprop.nn import init
    >>> layer = nn.Linear(256, 128, rng=0)
    >>> p = init.xavier_uniform_(layer.weight, rng=0)  # a Parameter: its .data is filled
    >>> p is layer.weight
    True
    >>> bound = (6 / (256 + 128)) ** 0.5
    >>> bool(np.all(np.abs(p.data) <= bound)), round(bound, 3)
    (True, 0.125)
    """
    w, fan_in, fan_out = _array_and_fans(weight, "xavier_uniform_")
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    w[...] = np.random.default_rng(rng).uniform(-a, a, size=w.shape)
    return weight


def normalize(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``(x - mean) / std``, keeping x's float dtype: any shape -> the same shape.

    Use the *training* set's mean and std for the validation set too, so both see the same
    transformation. A new array is returned; ``x`` is not changed.

    Parameters
    ----------
    x : np.ndarray, any shape
        Floating-point data (float32 stays float32, even with numpy-scalar ``mean``/``std``).
    mean : float
        Subtracted from every entry (usually the training set's mean).
    std : float
        Divides every entry; must be positive (usually the training set's std).

    Returns
    -------
    np.ndarray, the shape of ``x``
        The normalised data, in ``x``'s dtype.

    Raises
    ------
    TypeError
        If ``x`` is not floating point (convert integer pixels first, e.g.
        ``x.astype(np.float32) / 255``).
    ValueError
        If ``std`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.nn import init
    >>> x_train = np.random.default_rng(0).uniform(0, 1, (100, 784)).astype(np.float32)
    >>> mean, std = x_train.mean(), x_train.std()
    >>> x = init.normalize(x_train, mean, std)
    >>> print(x.shape, x.dtype, round(float(x.mean()), 3), round(float(x.std()), 3))
    (100, 784) float32 -0.0 1.0
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
