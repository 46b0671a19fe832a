"""Checks for the backward passes written by hand in chapters 5 to 8: ReLU, Linear, MSE.

The references are the package's own modules (``nn.ReLU``, ``nn.Linear``, ``nn.MSELoss``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import nn
from .isolate import guarded
from .result import CheckResult
from .runner import DTYPES, Case, Mistake, close, normal, run_check

__all__ = ["check_linear_backward", "check_mse_backward", "check_relu_backward"]

# ---- ReLU -------------------------------------------------------------------------------------


def _relu_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for shape in ((4, 6), (1, 7), (5, 3), (2, 3, 4), (9,)):
        for dtype in DTYPES:
            # Continuous random inputs are never exactly 0, so the choice at the kink
            # (x > 0 or x >= 0) does not matter.
            x, g = normal(rng, shape, dtype), normal(rng, shape, dtype)
            cases.append(
                Case(
                    f"shape {shape}, {np.dtype(dtype)}", (x, g), ("x", "grad_out"), np.dtype(dtype)
                )
            )
    return cases


def _relu_reference(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    return nn.ReLU().bwd(grad_out, x)


_RELU_MISTAKES = [
    Mistake(
        "relu_mask_from_grad_out",
        "the mask is taken from the output gradient (grad_out > 0) instead of the input "
        "(x > 0). ReLU lets the gradient through where its *input* was positive.",
        produce=lambda x, g: g * (g > 0),
    ),
    Mistake(
        "missing_relu_mask",
        "this is grad_out unchanged: no mask at all. ReLU passes the gradient only where "
        "its input was positive and blocks it elsewhere: grad_out * (x > 0).",
        produce=lambda x, g: g,
    ),
    Mistake(
        "missing_grad_out",
        "this is ReLU's local derivative (x > 0) alone: multiply it by grad_out (the chain rule).",
        produce=lambda x, g: (x > 0).astype(x.dtype),
    ),
    Mistake(
        "returned_forward",
        "this is relu(x) * grad_out or relu(x): the forward value, not the derivative "
        "(1 where x > 0, else 0).",
        produce=lambda x, g: np.maximum(x, 0) * g,
    ),
    Mistake(
        "returned_forward",
        "this is relu(x), the forward value; the backward pass returns "
        "grad_out where x > 0 and 0 elsewhere.",
        produce=lambda x, g: np.maximum(x, 0),
    ),
]


@guarded
def check_relu_backward(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your ReLU backward pass: ``grad_x = grad_out * (x > 0)``, all of one shape.

    Compared with ``pybackprop.nn.ReLU().bwd`` on 10 cases: five shapes (batch 1 and 1-D
    among them), each in float64 and float32.

    Parameters
    ----------
    fn : Callable
        Your ``relu_backward(x, grad_out) -> grad_x``: np.ndarray of one shape, ``x`` the
        ReLU's input and ``grad_out`` = dL/d relu(x).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case:
        ``"relu_mask_from_grad_out"``, ``"missing_relu_mask"``, ``"missing_grad_out"``,
        ``"returned_forward"``, ``"modified_input_in_place"`` or a general one.

    See Also
    --------
    pybackprop.nn.ReLU

    Examples
    --------
    >>> from pybackprop.exercises import check_relu_backward
    >>> def relu_backward(x, grad_out):
    ...     return grad_out * (x > 0)
    >>> print(check_relu_backward(relu_backward).passed)
    True
    """
    return run_check(
        "check_relu_backward",
        fn,
        _relu_cases(seed),
        _relu_reference,
        ("grad_x",),
        _RELU_MISTAKES,
        in_place_fix=(
            "Compute a new array, grad_out * (x > 0), rather than masking grad_out in place "
            "(grad_out[x <= 0] = 0 or grad_out *= x > 0)."
        ),
    )


# ---- Linear -----------------------------------------------------------------------------------


def _linear_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # Rectangular shapes first, so a swapped shape shows; then batch 1, a width of 1, odd
    # widths, and square weights, where a missing transpose keeps the shape.
    for batch, n_in, n_out in ((4, 5, 3), (1, 7, 2), (6, 1, 4), (3, 9, 1), (5, 4, 4), (2, 3, 3)):
        for dtype in DTYPES:
            x = normal(rng, (batch, n_in), dtype)
            w = normal(rng, (n_in, n_out), dtype)
            b = normal(rng, (n_out,), dtype)
            g = normal(rng, (batch, n_out), dtype)
            cases.append(
                Case(
                    f"batch {batch}, n_in {n_in}, n_out {n_out}, {np.dtype(dtype)}",
                    (x, w, b, g),
                    ("x", "weight", "bias", "grad_out"),
                    np.dtype(dtype),
                )
            )
    return cases


def _linear_reference(x, weight, bias, grad_out):
    n_in, n_out = weight.shape
    layer = nn.Linear(n_in, n_out, dtype=weight.dtype)
    layer.weight.data[...] = weight
    layer.bias.data[...] = bias
    layer(x)
    grad_x = layer.backward(grad_out)
    return grad_x, layer.weight.grad, layer.bias.grad


def _is_transpose(received, expected, case) -> bool:
    received, expected = np.asarray(received), np.asarray(expected)
    return expected.ndim == 2 and close(received, expected.T, case.dtype)


_LINEAR_MISTAKES = [
    Mistake(
        "missing_transpose",
        "this is grad_out @ weight: the weight needs a transpose, grad_x = grad_out @ "
        "weight.T, so that (batch, n_out) @ (n_out, n_in) gives (batch, n_in).",
        output=0,
        produce=lambda x, w, b, g: g @ w,
    ),
    Mistake(
        "missing_transpose",
        "this is the transpose of the right answer, shape (n_out, n_in) as in grad_out.T "
        "@ x. The gradient of a weight has the weight's shape (n_in, n_out): x.T @ grad_out.",
        output=1,
        detect=_is_transpose,
    ),
    Mistake(
        "bias_not_summed",
        "the bias gradient is not summed over the batch: it equals grad_out itself. The "
        "bias is added to every row, so its gradient adds up every row: grad_out.sum(0).",
        output=2,
        produce=lambda x, w, b, g: g,
    ),
    Mistake(
        "bias_not_summed",
        "the bias gradient is averaged over the batch (grad_out.mean(0)). The loss already "
        "includes the 1/batch, so the bias gradient is the plain sum: grad_out.sum(0).",
        output=2,
        produce=lambda x, w, b, g: g.mean(0),
    ),
    Mistake(
        "bias_not_summed",
        "the bias gradient has one row per example, shape (batch, n_out). The bias is "
        "shared by all rows, so sum over the batch: grad_out.sum(0), shape (n_out,).",
        output=2,
        detect=lambda got, want, case: np.shape(got) == np.shape(case.args[3]),
    ),
    Mistake(
        "bias_summed_over_wrong_axis",
        "the bias gradient is summed over the outputs (grad_out.sum(1)); sum over the "
        "batch instead: grad_out.sum(0).",
        output=2,
        produce=lambda x, w, b, g: g.sum(1),
    ),
    Mistake(
        "weight_gradient_averaged",
        "grad_weight is divided by the batch size. The loss already includes the 1/batch, "
        "so grad_weight = x.T @ grad_out with no further division.",
        output=1,
        produce=lambda x, w, b, g: x.T @ g / len(x),
    ),
]


def _linear_exception(exc: BaseException, text: str) -> tuple[str, str] | None:
    if "matmul" in text or "not aligned" in text:
        return (
            "missing_transpose",
            "In this backward pass that is a missing (or extra) transpose: "
            "grad_x = grad_out @ weight.T and grad_weight = x.T @ grad_out.",
        )
    if "remapped shapes" in text:  # np.einsum's form of the same mistake
        return (
            "missing_transpose",
            "In this backward pass that is the einsum form of a missing transpose: a "
            "subscript pair in the wrong order. weight is (n_in, n_out) and x is (batch, n_in): "
            'grad_x = einsum("bo,io->bi", grad_out, weight), grad_weight = '
            'einsum("bi,bo->io", x, grad_out).',
        )
    return None


@guarded
def check_linear_backward(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your Linear backward pass: the gradients of ``y = x @ weight + bias``.

    ``grad_x = grad_out @ weight.T``, ``grad_weight = x.T @ grad_out``, ``grad_bias =
    grad_out.sum(0)``; compared with ``pybackprop.nn.Linear`` on 12 cases: rectangular shapes
    first, then batch 1, a width of 1 and square weights, each in float64 and float32.

    Parameters
    ----------
    fn : Callable
        Your ``linear_backward(x, weight, bias, grad_out) -> (grad_x, grad_weight,
        grad_bias)``: x (batch, n_in), weight (n_in, n_out), bias (n_out,) and grad_out
        (batch, n_out); the gradients have their inputs' shapes.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"missing_transpose"``,
        ``"bias_not_summed"``, ``"bias_summed_over_wrong_axis"``,
        ``"weight_gradient_averaged"`` or a general one such as ``"wrong_tuple_length"``.

    See Also
    --------
    pybackprop.nn.Linear

    Examples
    --------
    >>> from pybackprop.exercises import check_linear_backward
    >>> def linear_backward(x, weight, bias, grad_out):
    ...     return grad_out @ weight.T, x.T @ grad_out, grad_out.sum(0)
    >>> print(check_linear_backward(linear_backward).passed)
    True
    """
    return run_check(
        "check_linear_backward",
        fn,
        _linear_cases(seed),
        _linear_reference,
        ("grad_x", "grad_weight", "grad_bias"),
        _LINEAR_MISTAKES,
        explain_exception=_linear_exception,
    )


# ---- MSE --------------------------------------------------------------------------------------


def _mse_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # n = 2 comes late: there 2/n = 1, so pred - target happens to be right.
    for n in (5, 1, 64, 7, 2):
        for dtype in DTYPES:
            pred, target = normal(rng, (n,), dtype), normal(rng, (n,), dtype)
            cases.append(
                Case(
                    f"n {n}, {np.dtype(dtype)}", (pred, target), ("pred", "target"), np.dtype(dtype)
                )
            )
    return cases


def _mse_reference(pred, target):
    loss = nn.MSELoss()
    loss(pred, target)
    return loss.backward()


_MSE_HINT = (
    "The loss is mean((pred - target)**2), so dL/dpred = 2 * (pred - target) / n: "
    "the 2 from the square, the 1/n from the mean."
)
_MSE_MISTAKES = [
    Mistake(
        "mse_missing_2_over_n",
        f"this is pred - target, without the 2/n. {_MSE_HINT}",
        produce=lambda p, t: p - t,
    ),
    Mistake(
        "mse_missing_1_over_n",
        f"this is 2 * (pred - target), without the 1/n. {_MSE_HINT}",
        produce=lambda p, t: 2 * (p - t),
    ),
    Mistake(
        "mse_missing_2",
        f"this is (pred - target) / n, without the 2. {_MSE_HINT}",
        produce=lambda p, t: (p - t) / len(p),
    ),
    Mistake(
        "wrong_sign",
        f"the sign is flipped (target - pred). {_MSE_HINT}",
        produce=lambda p, t: 2 * (t - p) / len(p),
    ),
    Mistake(
        "returned_mae_gradient",
        f"this is sign(pred - target) / n, the gradient of the mean *absolute* error. {_MSE_HINT}",
        produce=lambda p, t: np.sign(p - t) / len(p),
    ),
]


@guarded
def check_mse_backward(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your MSE gradient: ``2 * (pred - target) / n``, for ``mean((pred - target)**2)``.

    Compared with ``pybackprop.nn.MSELoss`` on 10 cases, n = 5, 1, 64, 7 and 2 (where 2/n = 1
    hides a missing factor), each in float64 and float32.

    Parameters
    ----------
    fn : Callable
        Your ``mse_backward(pred, target) -> grad_pred``: np.ndarray of shape (n,), all three.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"mse_missing_2_over_n"``,
        ``"mse_missing_2"``, ``"mse_missing_1_over_n"``, ``"wrong_sign"``,
        ``"returned_mae_gradient"`` or a general one.

    See Also
    --------
    pybackprop.nn.MSELoss

    Examples
    --------
    >>> from pybackprop.exercises import check_mse_backward
    >>> def mse_backward(pred, target):
    ...     return 2 * (pred - target) / len(pred)
    >>> print(check_mse_backward(mse_backward).passed)
    True
    """
    return run_check(
        "check_mse_backward", fn, _mse_cases(seed), _mse_reference, ("grad_pred",), _MSE_MISTAKES
    )
