"""The losses: ``Loss``, the base class, then ``MSELoss`` and ``CrossEntropyLoss``.

A loss module is where the backward pass starts: ``loss_fn.backward()`` returns dL/dpred with
dL/dL = 1. The number the call returns is not a node of a graph, so PyTorch's
``loss.backward()`` raises an error that shows the book's way,
``model.backward(loss_fn.backward())``.
"""

from __future__ import annotations

import numpy as np

from . import _checks as _c
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
    """Raise the AttributeError that shows the book's way."""
    raise AttributeError(_BOOKS_WAY)


class _LossFloat64(np.float64):
    """A float64 loss whose .backward says what to do (numpy's own error is bare)."""

    __slots__ = ()
    backward = property(_no_backward)


class _LossFloat32(np.float32):
    """A float32 loss whose .backward says what to do (numpy's own error is bare)."""

    __slots__ = ()
    backward = property(_no_backward)


class _LossFloat16(np.float16):
    """A float16 loss whose .backward says what to do (numpy's own error is bare)."""

    __slots__ = ()
    backward = property(_no_backward)


_LOSS_TYPES = {
    np.dtype(np.float64): _LossFloat64,
    np.dtype(np.float32): _LossFloat32,
    np.dtype(np.float16): _LossFloat16,
}


class Loss(Module):
    """Base for losses: ``loss_fn(pred, target)`` -> scalar; ``loss_fn.backward()`` -> dL/dpred.

    A subclass implements ``forward(pred, target)`` and ``bwd(grad_out, pred, target)``.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> class L1Loss(nn.Loss):
    ...     def forward(self, pred, target):
    ...         return np.abs(pred - target).mean()
    ...     def bwd(self, grad_out, pred, target):
    ...         return grad_out * np.sign(pred - target) / pred.size
    >>> l1 = L1Loss()
    >>> float(l1(np.array([1.0, -1.0]), np.zeros(2))), l1.backward()
    (1.0, array([ 0.5, -0.5]))
    """

    def __call__(self, *inputs: np.ndarray) -> np.floating:
        out = super().__call__(*inputs)
        # The same number, as a type whose .backward says what to do instead (PyTorch's habit).
        wrap = _LOSS_TYPES.get(out.dtype) if isinstance(out, np.generic) else None
        return out if wrap is None else wrap(out)

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        """dL/dpred for the last call, with dL/dloss = grad_out (1 by default)."""
        return super().backward(grad_out)


class MSELoss(Loss):
    """Mean squared error (``F.mse_loss``): pred and target of the same shape -> scalar.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> loss_fn = nn.MSELoss()
    >>> float(loss_fn(np.array([1.0, 2.0]), np.array([0.0, 2.0]))), loss_fn.backward()
    (0.5, array([1., 0.]))
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> np.floating:
        """MSE forward: L = mean((pred - target) ** 2)."""
        return F.mse_loss(pred, target)

    def bwd(self, grad_out: float, pred: np.ndarray, target: np.ndarray) -> np.ndarray:
        """MSE backward: grad_pred = grad_out * 2 * (pred - target) / pred.size."""
        grad_out = _c.scalar(grad_out, "MSELoss.backward", "grad_out")
        pred, dtype = _c.floats(pred, "MSELoss")
        grad = pred - _c.reals(target, "MSELoss", pred.dtype, "target")
        grad *= 2 * grad_out / max(grad.size, 1)  # in place keeps the dtype; empty: empty
        return _c.narrow(grad, dtype)

    def backward_formulas(
        self, grad_out: float, pred: np.ndarray, target: np.ndarray
    ) -> list[tuple[str, str]]:
        """The formula of bwd, with the operands' shapes."""
        return [
            (
                "grad_in = grad_out * 2 * (pred - target) / pred.size",
                f"{float(grad_out):.4g} * 2 * {np.shape(pred)} / {np.size(pred)}",
            )
        ]


class CrossEntropyLoss(Loss):
    """Cross-entropy of logits (n, c) and integer labels (n,) -> scalar (``F.cross_entropy``).

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import nn
    >>> loss_fn = nn.CrossEntropyLoss()
    >>> logits, target = np.array([[2.0, 0.5, -1.0], [0.1, 1.0, 0.3]]), np.array([0, 1])
    >>> round(float(loss_fn(logits, target)), 4), loss_fn.backward().shape
    (0.4424, (2, 3))
    """

    def forward(self, logits: np.ndarray, target: np.ndarray) -> np.floating:
        """Cross-entropy forward: L = mean(-log_softmax(logits)[i, target[i]])."""
        # checked, and float16 widened
        x, dtype = F._batch(logits, target, "CrossEntropyLoss")
        log_probs = F._log_softmax(x, 1)
        loss = F._nll(log_probs, target, "CrossEntropyLoss")
        # the backward pass needs softmax = exp(log_probs); into __dict__ directly, as
        # Module.__call__ does, since __setattr__'s Parameter check costs ~0.3 µs a step
        self.__dict__["_saved_log_probs"] = (logits, log_probs)
        return _c.narrow(loss, dtype)

    def bwd(self, grad_out: float, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Cross-entropy backward: grad = grad_out * (softmax(logits) - one_hot(target)) / n."""
        grad_out = _c.scalar(grad_out, "CrossEntropyLoss.backward", "grad_out")
        kept, log_probs = self.__dict__.pop("_saved_log_probs", (None, None))
        if kept is not logits:  # an earlier call of the same pass (the last goes back first)
            log_probs = F._log_softmax(F._batch(logits, target, "CrossEntropyLoss")[0], 1)
        # softmax in the forward's buffer, and one_hot subtracted where it is 1, unbuilt.
        grad = np.exp(log_probs, out=log_probs)
        n = len(grad)
        grad[np.arange(n), target] -= 1
        grad *= grad_out / max(n, 1)  # no rows: an empty gradient, as torch
        return _c.narrow(grad, np.asarray(logits).dtype)

    def backward_formulas(
        self, grad_out: float, logits: np.ndarray, target: np.ndarray
    ) -> list[tuple[str, str]]:
        """The formula of bwd, with the operands' shapes."""
        return [
            (
                "grad_in = grad_out * (softmax(logits) - one_hot(target)) / n",
                f"{float(grad_out):.4g} * {np.shape(logits)} / {len(logits)}",
            )
        ]
