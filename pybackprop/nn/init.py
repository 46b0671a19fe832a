"""Weight initialisation (``torch.nn.init``) and input normalisation.

Weights have shape (n_in, n_out), the transpose of PyTorch's, so fan_in is ``shape[0]``; the
numbers come out the same. A function ending in ``_`` fills a float array or a ``Parameter``'s
``.data`` in place and returns its argument, as PyTorch's do. With the same generator, the
normal fills are ``rng.standard_normal(shape) * std`` rounded to the weight's dtype, except in
float32, which numpy draws by its own method: other numbers (``xavier_uniform_`` has no exception).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from . import _checks as _c

if TYPE_CHECKING:
    from .module import Parameter

__all__ = ["kaiming_normal_", "normalize", "xavier_normal_", "xavier_uniform_"]

# Gains from PyTorch's `calculate_gain`: the factor that keeps activations' variance steady
# through the nonlinearity (ReLU zeroes half of its inputs, hence sqrt(2)).
_GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def _array_and_fans(weight: np.ndarray | Parameter, fn: str) -> tuple[np.ndarray, int, int]:
    """The array to fill, its fan_in and fan_out, or the error naming fn."""
    w = weight if isinstance(weight, np.ndarray) else getattr(weight, "data", None)
    if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
        got = f"dtype {w.dtype}" if isinstance(w, np.ndarray) else f"a {type(weight).__name__}"
        raise TypeError(f"{fn}: weight must be a float numpy array or a Parameter; got {got}.")
    if not w.flags.writeable:
        raise ValueError(f"{fn}: weight is read-only; fill a copy (weight.copy()) instead.")
    if w.ndim != 2:
        raise ValueError(f"{fn}: weight must have shape (n_in, n_out); got shape {w.shape}.")
    if 0 in w.shape:
        raise ValueError(
            f"{fn}: weight has shape {w.shape}, an empty matrix: a layer's weight needs "
            "n_in >= 1 rows and n_out >= 1 columns."
        )
    return w, w.shape[0], w.shape[1]


def _check_gain(gain: float, fn: str) -> float:
    """`gain` as a float if a finite number >= 0 (torch refuses a negative std), else an error."""
    value = _c.real(gain, fn, "gain")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{fn}: gain must be a finite number >= 0; got {gain!r}.")
    return value


def _standard_normal(rng, shape: tuple[int, ...], dtype: np.dtype, fn: str) -> np.ndarray:
    """N(0, 1) draws in `dtype`; numpy draws only float32/float64, so others go via float64."""
    direct = dtype in (np.float32, np.float64)
    gen = _c.generator(rng, fn)
    return gen.standard_normal(shape, dtype=dtype if direct else np.float64)


def kaiming_normal_(
    weight: np.ndarray | Parameter,
    *,
    mode: str = "fan_in",
    nonlinearity: str = "relu",
    rng: int | np.random.Generator | None = None,
) -> np.ndarray | Parameter:
    """Fill ``weight`` in place from N(0, std**2), std = gain / sqrt(fan) (He et al., 2015).

    Parameters
    ----------
    weight : np.ndarray or Parameter of shape (n_in, n_out)
        A float array, or a ``Parameter`` holding one; filled in place.
    mode : str, default "fan_in"
        ``"fan_in"`` (n_in: steady activations) or ``"fan_out"`` (n_out: steady gradients).
    nonlinearity : str, default "relu"
        The activation after the layer, for the gain: ``"relu"`` (sqrt(2)), ``"tanh"`` (5/3),
        ``"linear"`` or ``"sigmoid"`` (1).
    rng : int | np.random.Generator | None, default None
        Seed or generator for the draw (None: fresh entropy).

    Returns
    -------
    np.ndarray or Parameter
        ``weight`` itself.

    Raises
    ------
    TypeError
        If ``weight`` is neither a float numpy array nor a Parameter holding one, or ``rng``
        not a seed or Generator.
    ValueError
        If ``weight`` is read-only, not 2-D or has a size 0, or ``mode`` or ``nonlinearity``
        is not one of the names above.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.nn import init
    >>> w = init.kaiming_normal_(np.empty((256, 128), dtype=np.float32), rng=0)
    >>> round(float(w.std()), 3), round((2 / 256) ** 0.5, 3)
    (0.088, 0.088)
    """
    w, fan_in, fan_out = _array_and_fans(weight, "kaiming_normal_")
    if not (isinstance(mode, str) and mode in ("fan_in", "fan_out")):
        raise ValueError(f"kaiming_normal_: mode must be 'fan_in' or 'fan_out'; got {mode!r}.")
    if not (isinstance(nonlinearity, str) and nonlinearity in _GAINS):
        raise ValueError(
            f"kaiming_normal_: nonlinearity must be one of {sorted(_GAINS)}; got {nonlinearity!r}."
        )
    fan = fan_in if mode == "fan_in" else fan_out
    std = _GAINS[nonlinearity] / math.sqrt(fan)
    w[...] = _standard_normal(rng, w.shape, w.dtype, "kaiming_normal_") * std
    return weight


def xavier_normal_(
    weight: np.ndarray | Parameter,
    *,
    gain: float = 1.0,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray | Parameter:
    """Fill ``weight`` in place from N(0, std**2), std = gain * sqrt(2 / (n_in + n_out)).

    Parameters
    ----------
    weight : np.ndarray or Parameter of shape (n_in, n_out)
        A float array, or a ``Parameter`` holding one; filled in place.
    gain : float, default 1.0
        Scales the std: 1 for linear or sigmoid layers, 5/3 for tanh.
    rng : int | np.random.Generator | None, default None
        Seed or generator for the draw (None: fresh entropy).

    Returns
    -------
    np.ndarray or Parameter
        ``weight`` itself.

    Raises
    ------
    TypeError
        If ``weight`` is neither a float numpy array nor a Parameter holding one, ``gain`` not
        a real number, or ``rng`` not a seed or Generator.
    ValueError
        If ``weight`` is read-only, not 2-D or has a size 0, or ``gain`` is negative or not
        finite.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.nn import init
    >>> w = init.xavier_normal_(np.empty((256, 128)), rng=0)
    >>> round(float(w.std()), 3), round((2 / (256 + 128)) ** 0.5, 3)
    (0.072, 0.072)
    """
    w, fan_in, fan_out = _array_and_fans(weight, "xavier_normal_")
    std = _check_gain(gain, "xavier_normal_") * math.sqrt(2.0 / (fan_in + fan_out))
    w[...] = _standard_normal(rng, w.shape, w.dtype, "xavier_normal_") * std
    return weight


def xavier_uniform_(
    weight: np.ndarray | Parameter,
    *,
    gain: float = 1.0,
    rng: int | np.random.Generator | None = None,
) -> np.ndarray | Parameter:
    """Fill ``weight`` in place from U(-a, a), a = gain * sqrt(6 / (n_in + n_out)).

    The variance of ``xavier_normal_`` (U(-a, a) has variance a**2 / 3).

    Parameters
    ----------
    weight : np.ndarray or Parameter of shape (n_in, n_out)
        A float array, or a ``Parameter`` holding one; filled in place.
    gain : float, default 1.0
        Scales the bound: 1 for linear or sigmoid layers, 5/3 for tanh.
    rng : int | np.random.Generator | None, default None
        Seed or generator for the draw (None: fresh entropy).

    Returns
    -------
    np.ndarray or Parameter
        ``weight`` itself.

    Raises
    ------
    TypeError
        If ``weight`` is neither a float numpy array nor a Parameter holding one, ``gain`` not
        a real number, or ``rng`` not a seed or Generator.
    ValueError
        If ``weight`` is read-only, not 2-D or has a size 0, or ``gain`` is negative or not
        finite.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.nn import init
    >>> w = init.xavier_uniform_(np.empty((256, 128)), rng=0)
    >>> bool(np.abs(w).max() <= (6 / (256 + 128)) ** 0.5)
    True
    """
    w, fan_in, fan_out = _array_and_fans(weight, "xavier_uniform_")
    a = _check_gain(gain, "xavier_uniform_") * math.sqrt(6.0 / (fan_in + fan_out))
    w[...] = _c.generator(rng, "xavier_uniform_").uniform(-a, a, size=w.shape)
    return weight


def normalize(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``(x - mean) / std`` in x's float dtype, as a new array: any shape -> the same shape.

    Parameters
    ----------
    x : np.ndarray, any shape
        Floating-point data.
    mean : float
        Subtracted from every entry.
    std : float
        Divides every entry; positive.

    Returns
    -------
    np.ndarray, shape and dtype of ``x``

    Raises
    ------
    TypeError
        If ``x`` is not floating point, or ``mean`` or ``std`` not a real number.
    ValueError
        If ``mean`` is not finite, or ``std`` not positive and finite, in ``x``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.nn import init
    >>> x = np.array([[0.0, 0.5], [1.0, 0.5]], dtype=np.float32)
    >>> init.normalize(x, x.mean(), x.std())
    array([[-1.4142135,  0.       ],
           [ 1.4142135,  0.       ]], dtype=float32)
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(
            f"normalize needs floating-point input; got dtype {x.dtype}. "
            "Convert it first, e.g. x.astype(np.float32) / 255."
        )
    # In x's dtype (a np.float64 would promote float32 data), where they must stay usable:
    # std=1e-8 is 0 in float16, as torchvision's Normalize says.
    with np.errstate(over="ignore", under="ignore"):
        m = np.asarray(_c.real(mean, "normalize", "mean"), dtype=x.dtype)
        s = np.asarray(_c.real(std, "normalize", "std"), dtype=x.dtype)
    if not np.isfinite(m):
        raise ValueError(f"normalize: mean must be a finite number in {x.dtype}; got {mean!r}.")
    if not (np.isfinite(s) and s > 0):
        raise ValueError(
            f"normalize: std must be a positive finite number in {x.dtype}; got {std!r}."
        )
    # Into an array of x's shape: on a 0-d x, `x - m` would give a numpy scalar.
    out = np.subtract(x, m, out=np.empty_like(x))
    out /= s
    return out
