"""Stateless array maths: activations, a safe log-sum-exp, losses (``torch.nn.functional``).

Imported as ``import pybackprop.nn.functional as F``. Every function keeps its input's float
dtype, and refuses integer input with a TypeError naming the function; losses average over the
batch (PyTorch's ``reduction="mean"``) and return a numpy float scalar.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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


def _floats(x, fn: str) -> np.ndarray:
    """`x` as a floating-point array, or a TypeError naming the function and the dtype."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(
            f"{fn} needs floating-point input; got dtype {x.dtype}. "
            "Convert it first, e.g. x.astype(np.float32)."
        )
    return x


def _batch(x, fn: str, what: str = "logits") -> np.ndarray:
    """`x` as a float array of shape (batch, n_classes), or an error saying what was wrong."""
    x = _floats(x, fn)
    if x.ndim != 2:
        raise ValueError(
            f"{fn} expects {what} of shape (batch, n_classes); got shape {x.shape}. "
            "For a single example use x[None, :]."
        )
    return x


def _labels(target, n: int, n_classes: int, fn: str) -> np.ndarray:
    """`target` as integer class indices of shape (n,) in [0, n_classes), or a clear error."""
    target = np.asarray(target)
    if target.shape != (n,):
        raise ValueError(
            f"{fn} expects one label per row: target of shape ({n},); got shape {target.shape}."
        )
    if target.dtype.kind not in "iu":
        if target.dtype.kind == "f" and n and not np.all(target == np.round(target)):
            bad = int(np.flatnonzero(target != np.round(target))[0])
            raise ValueError(
                f"{fn} expects integer class labels; got the fractional label "
                f"{target[bad]} at index {bad}."
            )
        raise TypeError(
            f"{fn} expects integer class labels (e.g. int64); got dtype {target.dtype}. "
            "Convert with target.astype(np.int64)."
        )
    # One reduction checks both bounds (this runs on every training step): viewed as
    # unsigned integers of the same size, negative labels wrap round to huge values.
    if n and target.view(target.dtype.str.replace("i", "u")).max() >= n_classes:
        bad = int(np.flatnonzero((target < 0) | (target >= n_classes))[0])
        raise ValueError(
            f"{fn}: labels must lie in [0, {n_classes - 1}] for {n_classes} classes; "
            f"got {target[bad]} at index {bad}."
        )
    return target


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
    return np.maximum(_floats(input, "relu"), 0)


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
    x = _floats(input, "logsumexp")
    # m + log(sum(exp(x - m))) with m the maximum: every exponent <= 0. An infinite m is
    # replaced by 0, as PyTorch does, so -inf rows give -inf and rows holding +inf give +inf.
    m = x.max(axis=dim, keepdims=True)
    m[~np.isfinite(m)] = 0
    with np.errstate(divide="ignore"):  # log(0) = -inf is the exact answer for a -inf row
        out = np.log(np.exp(x - m).sum(axis=dim, keepdims=True))
    out += m
    return out if keepdim else np.squeeze(out, axis=dim)


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
    x = _floats(input, "log_softmax")
    shifted = x - x.max(axis=dim, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
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
    x = _floats(input, "softmax")
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


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
        raise ValueError(f"one_hot expects labels of shape (n,); got shape {y.shape}.")
    y = _labels(y, len(y), num_classes, "one_hot")
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
    return _nll(_batch(input, "nll_loss", "log-probabilities"), target, "nll_loss")


def _nll(log_probs: np.ndarray, target, fn: str) -> np.floating:
    """Mean of -log_probs[i, target[i]], picked by integer-array indexing (no one-hot)."""
    n, c = log_probs.shape
    target = _labels(target, n, c, fn)
    # the mean as sum / n: np.mean's Python wrapper costs more than the sum of a batch
    return -log_probs[np.arange(n), target].sum() / n


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
        In ``input``'s dtype; finite for any finite logits.

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
    return _nll(log_softmax(_batch(input, "cross_entropy")), target, "cross_entropy")


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
    pred = _floats(input, "mse_loss")
    target = np.asarray(target, dtype=pred.dtype)
    if pred.shape != target.shape:
        raise ValueError(
            f"mse_loss needs input and target of the same shape; got input {pred.shape} and target "
            f"{target.shape}. They would broadcast to the wrong loss; reshape one, e.g. "
            "input[:, 0] or target[:, None]."
        )
    diff = pred - target
    return np.mean(diff * diff)


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
        The fraction of rows with ``argmax(logits[i]) == target[i]``.

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
    logits = _batch(logits, "accuracy")
    n, c = logits.shape
    target = _labels(target, n, c, "accuracy")
    return float(np.mean(np.argmax(logits, axis=1) == target))
