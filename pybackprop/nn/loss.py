"""The losses: ``Loss``, the base class, then ``MSELoss`` and ``CrossEntropyLoss``."""

from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "Loss", "MSELoss"]


_BOOKS_WAY = (
    "a loss module returns a plain number, not a node of a graph, so it has no "
    ".backward() (PyTorch's loss.backward()). In pybackprop the backward pass starts from "
    "the loss module: grad = loss_fn.backward() gives dL/dpred, and "
    "model.backward(grad) sends it through the model, filling every parameter's .grad. "
    "In one line: model.backward(loss_fn.backward())."
)


def _no_backward(self) -> None:
    raise AttributeError(_BOOKS_WAY)


class _LossFloat64(np.float64):
    """A float64 loss; ``.backward`` raises with the book's way (numpy's own error is bare)."""

    __slots__ = ()
    backward = property(_no_backward)


class _LossFloat32(np.float32):
    """A float32 loss; ``.backward`` raises with the book's way (numpy's own error is bare)."""

    __slots__ = ()
    backward = property(_no_backward)


_LOSS_TYPES = {np.dtype(np.float64): _LossFloat64, np.dtype(np.float32): _LossFloat32}


class Loss(Module):
    """Base for losses: ``loss_fn(pred, target)`` -> scalar; ``loss_fn.backward()`` -> dL/dpred.

    ``backward(grad_out=1.0)``: a loss is usually where the backward pass starts, so the
    upstream gradient defaults to dL/dL = 1. Subclasses implement ``forward(pred, target)``
    and ``bwd(grad_out, pred, target)`` like any module.

    What the call returns is a number (a numpy float scalar, which prints and computes like
    one), not a node of a graph: PyTorch's ``loss.backward()`` does not work on it, and
    raises an ``AttributeError`` that shows the book's way instead,
    ``model.backward(loss_fn.backward())``.

    Examples
    --------
    A mean absolute error, written as a loss module:

    >>> import numpy as np
    >>> from pybackprop import nn
    >>> class L1Loss(nn.Loss):
    ...     def forward(self, pred, target):
    ...         return np.abs(pred - target).mean()
    ...     def bwd(self, grad_out, pred, target):
    ...         return grad_out * np.sign(pred - target) / pred.size
    >>> l1 = L1Loss()
    >>> print(float(l1(np.array([1.0, -1.0]), np.zeros(2))))
    1.0
    >>> print(l1.backward())
    [ 0.5 -0.5]

    The backward pass starts from the loss module, not from the number it returned:

    >>> model = nn.Linear(3, 1, rng=0)
    >>> loss = l1(model(np.ones((2, 3), dtype=np.float32)), np.zeros((2, 1)))
    >>> loss.backward()
    Traceback (most recent call last):
    ...
    AttributeError: a loss module returns a plain number, ... model.backward(loss_fn.backward()).
    >>> _ = model.backward(l1.backward())
    >>> model.weight.grad.shape
    (3, 1)
    """

    def __call__(self, *inputs: np.ndarray) -> np.floating:
        out = super().__call__(*inputs)
        # The same number, as a type whose .backward says what to do instead (PyTorch's habit).
        wrap = _LOSS_TYPES.get(out.dtype) if isinstance(out, np.generic) else None
        return out if wrap is None else wrap(out)

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        """dL/dpred for the last call, scaled by ``grad_out``.

        Parameters
        ----------
        grad_out : float, default 1.0
            The upstream gradient dL/dloss; 1 when this loss is what is minimised.

        Returns
        -------
        np.ndarray, shape of ``pred``
            The gradient with respect to the predictions.

        Raises
        ------
        RuntimeError
            If the loss has not been called since its last ``backward``.
        ValueError
            If ``grad_out`` is an array whose shape is not the loss's (a scalar's, ``()``).
        """
        return super().backward(grad_out)


class MSELoss(Loss):
    """Mean squared error (``F.mse_loss``): pred and target of the same shape -> scalar.

    Its gradient is dL/dpred = ``2 * (pred - target) / pred.size``.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> loss_fn = nn.MSELoss()
    >>> pred, target = np.array([[1.0], [2.0]]), np.array([[0.0], [2.0]])
    >>> print(round(float(loss_fn(pred, target)), 4))
    0.5
    >>> print(loss_fn.backward())
    [[1.]
     [0.]]
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> np.floating:
        """``mean((pred - target) ** 2)``: pred and target of the same shape -> scalar.

        Parameters
        ----------
        pred : np.ndarray, any shape
            Floating-point predictions.
        target : np.ndarray, shape of ``pred``
            The values to predict.

        Returns
        -------
        np.floating
            The loss, in ``pred``'s dtype.

        Raises
        ------
        TypeError
            If ``pred`` is not floating point.
        ValueError
            If ``pred`` and ``target`` have different shapes.
        """
        return F.mse_loss(pred, target)

    def bwd(self, grad_out: float, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """``grad_out * 2 * (pred - target) / pred.size``, in ``pred``'s dtype.

        Parameters
        ----------
        grad_out : float
            dL/dloss.
        pred : np.ndarray, any shape
            The predictions of the call being back-propagated.
        target : np.ndarray, shape of ``pred``
            Its targets.

        Returns
        -------
        np.ndarray, shape of ``pred``
            dL/dpred.
        """
        grad = pred - np.asarray(target, dtype=pred.dtype)
        grad *= 2 * grad_out / grad.size  # in place keeps pred's dtype
        return grad

    def backward_formulas(
        self, grad_out: float, pred: np.ndarray, target: np.ndarray
    ) -> list[tuple[str, str]]:
        """``bwd``'s formula, with the operands' shapes.

        Parameters
        ----------
        grad_out : float
            dL/dloss.
        pred : np.ndarray, any shape
            The predictions of the call being back-propagated.
        target : np.ndarray, shape of ``pred``
            Its targets.

        Returns
        -------
        list of (str, str)
            ``(formula, the same with the operands' shapes)``, as ``Module.backward_formulas``.
        """
        return [
            (
                "grad_in = grad_out * 2 * (pred - target) / pred.size",
                f"{float(grad_out):.4g} * 2 * {np.shape(pred)} / {np.size(pred)}",
            )
        ]


class CrossEntropyLoss(Loss):
    """Cross-entropy of raw logits (n, c) and integer labels (n,) -> scalar (``F.cross_entropy``).

    Its gradient is dL/dlogits = ``(softmax(logits) - one_hot(target)) / n``, computed without
    building the one-hot matrix: subtract 1 at ``[arange(n), target]``.

    Examples
    --------
    >>> import numpy as np
    >>> import pybackprop.nn.functional as F
    >>> from pybackprop import nn
    >>> loss_fn = nn.CrossEntropyLoss()
    >>> logits = np.array([[2.0, 0.5, -1.0], [0.1, 1.0, 0.3]])
    >>> target = np.array([0, 1])
    >>> print(round(float(loss_fn(logits, target)), 4))
    0.4424
    >>> grad = loss_fn.backward()
    >>> bool(np.allclose(grad, (F.softmax(logits) - F.one_hot(target, 3)) / 2))
    True
    """

    def forward(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        """The mean cross-entropy: logits (n, c) and labels (n,) -> scalar.

        Keeps the log-probabilities for the backward pass.

        Parameters
        ----------
        logits : np.ndarray of shape (n, c)
            Raw scores, float32 or float64, one row per example.
        target : np.ndarray of shape (n,)
            Integer class labels in ``[0, c)``.

        Returns
        -------
        np.floating
            The mean loss, in ``logits``' dtype.

        Raises
        ------
        TypeError
            If ``logits`` is not floating point or ``target`` is not integer.
        ValueError
            If ``logits`` is not 2-D, or a label is out of range, negative or fractional, or
            ``target`` has the wrong length.
        """
        log_probs = F.log_softmax(F._batch(logits, "CrossEntropyLoss"))
        loss = F._nll(log_probs, target, "CrossEntropyLoss")
        self._log_probs = log_probs  # the backward pass needs softmax = exp(log_probs)
        return loss

    def bwd(self, grad_out: float, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
        """``grad_out * (softmax(logits) - one_hot(target)) / n``, reusing the forward's buffer.

        Parameters
        ----------
        grad_out : float
            dL/dloss.
        logits : np.ndarray of shape (n, c)
            The logits of the call being back-propagated.
        target : np.ndarray of shape (n,)
            Its labels.

        Returns
        -------
        np.ndarray of shape (n, c)
            dL/dlogits, in ``logits``' dtype.
        """
        grad = np.exp(self._log_probs, out=self._log_probs)
        self._log_probs = None
        n = len(grad)
        grad[np.arange(n), target] -= 1
        grad *= grad_out / n
        return grad

    def backward_formulas(
        self, grad_out: float, logits: np.ndarray, target: np.ndarray
    ) -> list[tuple[str, str]]:
        """``bwd``'s formula, with the operands' shapes.

        Parameters
        ----------
        grad_out : float
            dL/dloss.
        logits : np.ndarray of shape (n, c)
            The logits of the call being back-propagated.
        target : np.ndarray of shape (n,)
            Its labels.

        Returns
        -------
        list of (str, str)
            ``(formula, the same with the operands' shapes)``, as ``Module.backward_formulas``.
        """
        return [
            (
                "grad_in = grad_out * (softmax(logits) - one_hot(target)) / n",
                f"{float(grad_out):.4g} * {np.shape(logits)} / {len(logits)}",
            )
        ]

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_log_probs", None)  # like the inputs, kept for one backward only
        return state
