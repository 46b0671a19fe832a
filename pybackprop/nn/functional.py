"""Stateless array maths: activations, a safe log-sum-exp, losses (``torch.nn.functional``).

Imported as ``import pybackprop.nn.functional as F``. Every function keeps its input's float
dtype (float16 computed in float32 and rounded once, as torch), and refuses other input with a
TypeError naming the function and the argument; losses average over the batch (PyTorch's
``reduction="mean"``, NaN for no rows) and return a numpy float scalar.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import _checks as _c

__all__ = [
    "accuracy",
    "cross_entropy",
    "log_softmax",
    "logsumexp",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "softmax",
]


def _batch(x, target, fn: str, what: str = "logits") -> tuple[np.ndarray, np.dtype]:
    """(x as floats of shape (batch, n_classes), its dtype), or an error saying what was wrong."""
    try:
        a, dtype = _c.floats(x, fn)
        if a.ndim != 2 or not a.shape[1]:
            raise ValueError(
                f"{fn} expects {what} in input, of shape (batch, n_classes) with at least one "
                f"class; got shape {a.shape}. For a single example use x[None, :]."
            )
    except (TypeError, ValueError) as err:
        hint = _c.swapped(x, target, fn, what)
        if hint is None:
            raise
        raise type(err)(hint) from None
    return a, dtype


def _max(x: np.ndarray, dim: int) -> np.ndarray:
    """x.max(axis=dim, keepdims=True), the same numbers, quicker over a few classes."""
    # numpy reduces a short last axis row by row: 7 µs for a 64 x 10 float32 batch, 0.7 ms for
    # 10,000 rows. In a Fortran-order copy it is one vectorised max down the columns (3 µs,
    # 0.06 ms). A maximum is exact in any order, so the result is the same.
    if x.ndim == 2 and dim in (1, -1) and len(x) > 16 and x.shape[1] <= 32:
        x = np.asfortranarray(x)
    return np.maximum.reduce(x, axis=dim, keepdims=True)  # .max without its Python wrapper


def relu(input: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` elementwise: any shape -> the same shape.

    Parameters
    ----------
    input : np.ndarray, any shape
        Floating-point input.

    Returns
    -------
    np.ndarray, shape and dtype of ``input``

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> F.relu(np.array([-1.0, 0.0, 2.5]))
    array([0. , 0. , 2.5])
    """
    x, dtype = _c.floats(input, "relu")
    return _c.narrow(np.maximum(x, 0), dtype)


def logsumexp(input: np.ndarray, dim: int = -1, keepdim: bool = False) -> np.ndarray:
    """``log(sum(exp(x)))`` along ``dim``, without overflow: (..., n) -> (...).

    Parameters
    ----------
    input : np.ndarray of shape (..., n)
        Floating-point input.
    dim : int, default -1
        The axis to reduce.
    keepdim : bool, default False
        Keep the reduced axis with length 1.

    Returns
    -------
    np.ndarray of shape (...)
        In ``input``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> F.logsumexp(np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])).round(4)
    array([1000.6931,    1.3863])
    """
    x, dtype = _c.floats(input, "logsumexp")
    dim = _c.axis(dim, x, "logsumexp")
    if x.ndim and not x.shape[dim]:  # the log of an empty sum, as torch: -inf
        return np.full(np.sum(x, axis=dim, keepdims=keepdim).shape, -np.inf, dtype)
    # m + log(sum(exp(x - m))) with m the maximum: every exponent <= 0. An infinite m is
    # replaced by 0, as PyTorch does, so -inf rows give -inf and rows holding +inf give +inf.
    m = _max(x, dim)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the exact answer for a -inf row
        out = np.log(np.exp(x - m).sum(axis=dim, keepdims=True))
    out += m
    return _c.narrow(out if keepdim or not x.ndim else np.squeeze(out, axis=dim), dtype)


def log_softmax(input: np.ndarray, dim: int = -1) -> np.ndarray:
    """``x - logsumexp(x)`` along ``dim``: (..., n) -> (..., n), from ``x - max(x)``.

    Parameters
    ----------
    input : np.ndarray of shape (..., n)
        Floating-point scores (logits).
    dim : int, default -1
        The axis along which the probabilities sum to 1.

    Returns
    -------
    np.ndarray of shape (..., n)
        Log-probabilities, in ``input``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> F.log_softmax(np.array([[1.0, 2.0, 3.0]])).round(4)
    array([[-2.4076, -1.4076, -0.4076]])
    """
    x, dtype = _c.floats(input, "log_softmax")
    dim = _c.axis(dim, x, "log_softmax")
    if not x.size:
        return x.astype(dtype)
    return _c.narrow(_log_softmax(x, dim), dtype)


def _log_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    """log_softmax of checked float32/float64 x: x - max - log(sum(exp(x - max)))."""
    shifted = x - _max(x, dim)
    # np.add.reduce: .sum without its Python wrapper (0.3 µs a call, on every training step)
    shifted -= np.log(np.add.reduce(np.exp(shifted), axis=dim, keepdims=True))
    return shifted


def softmax(input: np.ndarray, dim: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along ``dim``: (..., n) -> (..., n), from ``x - max(x)``.

    Parameters
    ----------
    input : np.ndarray of shape (..., n)
        Floating-point scores (logits).
    dim : int, default -1
        The axis along which the probabilities sum to 1.

    Returns
    -------
    np.ndarray of shape (..., n)
        Probabilities, in ``input``'s dtype.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> F.softmax(np.array([[1.0, 2.0, 3.0]])).round(4)
    array([[0.09  , 0.2447, 0.6652]])
    """
    x, dtype = _c.floats(input, "softmax")
    dim = _c.axis(dim, x, "softmax")
    if not x.size:
        return x.astype(dtype)
    e = np.exp(x - _max(x, dim))
    e /= e.sum(axis=dim, keepdims=True)
    return _c.narrow(e, dtype)


def one_hot(tensor: np.ndarray, num_classes: int, dtype: npt.DTypeLike = np.int64) -> np.ndarray:
    """Labels (n,) -> (n, num_classes), with a 1 in each label's column.

    Parameters
    ----------
    tensor : np.ndarray of shape (n,)
        Integer class labels in ``[0, num_classes)``.
    num_classes : int
        The width of the result.
    dtype : numpy dtype, default np.int64
        The result's dtype (PyTorch's); ``logits.dtype`` keeps a product with logits float32.

    Returns
    -------
    np.ndarray of shape (n, num_classes)
        Zeros, with a 1 at ``[i, tensor[i]]``.

    Raises
    ------
    TypeError
        If ``tensor`` is not integer.
    ValueError
        If ``tensor`` is not 1-D, or a label is negative, fractional or ``>= num_classes``.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> F.one_hot(np.array([2, 0]), 3)
    array([[0, 0, 1],
           [1, 0, 0]])
    """
    y = np.asarray(tensor)
    if y.ndim != 1:
        raise ValueError(f"one_hot expects labels of shape (n,) in tensor; got shape {y.shape}.")
    num_classes = _c.count(num_classes, "one_hot", "num_classes")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"one_hot: dtype must be a numpy dtype; got {dtype!r}.") from None
    y = _c.labels(y, len(y), num_classes, "one_hot", "tensor")
    out = np.zeros((len(y), num_classes), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def nll_loss(input: np.ndarray, target: np.ndarray) -> np.floating:
    """Mean negative log-likelihood: ``mean(-input[i, target[i]])``, (n, c) and (n,) -> scalar.

    Parameters
    ----------
    input : np.ndarray of shape (n, c)
        Floating-point log-probabilities (e.g. from ``log_softmax``).
    target : np.ndarray of shape (n,)
        Integer class labels in ``[0, c)``.

    Returns
    -------
    np.floating
        In ``input``'s dtype.

    Raises
    ------
    TypeError
        If ``input`` is not floating point or ``target`` is not integer.
    ValueError
        If ``input`` is not 2-D or ``target`` is not (n,) labels in ``[0, c)``.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> log_probs = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]))
    >>> round(float(F.nll_loss(log_probs, np.array([0, 1]))), 4)
    0.2899
    """
    log_probs, dtype = _batch(input, target, "nll_loss", "log-probabilities")
    return _c.narrow(_nll(log_probs, target, "nll_loss"), dtype)


def _nll(log_probs: np.ndarray, target, fn: str) -> np.floating:
    """Mean of -log_probs[i, target[i]], picked by integer-array indexing (no one-hot)."""
    n, c = log_probs.shape
    target = _c.labels(target, n, c, fn)
    if not n:  # the mean of no rows, as torch: NaN
        return log_probs.dtype.type(np.nan)
    # the mean as sum / n, the sum as np.add.reduce: np.mean's and .sum's Python wrappers cost
    # more than the sum of a batch
    return -np.add.reduce(log_probs[np.arange(n), target]) / n


def cross_entropy(input: np.ndarray, target: np.ndarray) -> np.floating:
    """Mean cross-entropy of logits: ``nll_loss(log_softmax(input), target)`` -> scalar.

    Parameters
    ----------
    input : np.ndarray of shape (n, c)
        Raw scores (logits), floating point.
    target : np.ndarray of shape (n,)
        Integer class labels in ``[0, c)``.

    Returns
    -------
    np.floating
        In ``input``'s dtype; finite unless the loss passes the dtype's largest value.

    Raises
    ------
    TypeError
        If ``input`` is not floating point or ``target`` is not integer.
    ValueError
        If ``input`` is not 2-D or ``target`` is not (n,) labels in ``[0, c)``.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 1.0, 0.3]])
    >>> round(float(F.cross_entropy(logits, np.array([0, 1]))), 4)
    0.4424
    """
    x, dtype = _batch(input, target, "cross_entropy")
    return _c.narrow(_nll(_log_softmax(x, 1), target, "cross_entropy"), dtype)


def mse_loss(input: np.ndarray, target: np.ndarray) -> np.floating:
    """Mean squared error ``mean((input - target) ** 2)``: the same shapes -> scalar.

    Parameters
    ----------
    input : np.ndarray, any shape
        Floating-point predictions.
    target : np.ndarray, shape of ``input``
        The values to predict, converted to ``input``'s dtype.

    Returns
    -------
    np.floating
        In ``input``'s dtype.

    Raises
    ------
    TypeError
        If ``input`` is not floating point.
    ValueError
        If ``input`` and ``target`` have different shapes (they would broadcast).

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> round(float(F.mse_loss(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0]))), 4)
    1.3333
    """
    pred, dtype = _c.floats(input, "mse_loss")
    target = _c.reals(target, "mse_loss", pred.dtype, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"mse_loss needs input and target of the same shape; got input {pred.shape} and target "
            f"{target.shape}. They would broadcast to the wrong loss; reshape one, e.g. "
            "input[:, 0] or target[:, None]."
        )
    if not pred.size:  # the mean of nothing, as torch: NaN
        return dtype.type(np.nan)
    diff = pred - target
    return _c.narrow(np.sum(diff * diff) / diff.size, dtype)


def accuracy(logits: np.ndarray, target: np.ndarray) -> float:
    """Fraction of rows whose largest logit is at the label: (n, c) and (n,) -> [0, 1].

    Parameters
    ----------
    logits : np.ndarray of shape (n, c)
        Floating-point scores (logits or probabilities).
    target : np.ndarray of shape (n,)
        Integer class labels in ``[0, c)``.

    Returns
    -------
    float
        The fraction of rows with ``argmax(logits[i]) == target[i]``; a row whose top score is
        NaN or infinite never counts (torch's argmax would pick a NaN).

    Raises
    ------
    TypeError
        If ``logits`` is not floating point or ``target`` is not integer.
    ValueError
        If ``logits`` is not 2-D or ``target`` is not (n,) labels in ``[0, c)``.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> F.accuracy(np.array([[2.0, 0.5, -1.0], [0.1, 1.0, 0.3]]), np.array([0, 2]))
    0.5
    """
    logits, _ = _batch(logits, target, "accuracy")
    n, c = logits.shape
    target = _c.labels(target, n, c, "accuracy")
    if not n:
        return float("nan")
    rows = np.arange(n)
    pred = np.argmax(logits, axis=1)  # NaN counts as the largest: its index is picked
    # a row whose top score is NaN, +inf or -inf (all -inf) named no class: never correct
    return float(np.mean((pred == target) & np.isfinite(logits[rows, pred])))
