"""Checks for the backward passes of chapters 5 and 6 beyond the layers.

They cover the sigmoid's vector-Jacobian product, the mean absolute error's gradient, and a
whole 3-layer network.

The references are written out in numpy below; the tests compare them with PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .isolate import guarded
from .result import CheckResult
from .runner import DTYPES, Case, Mistake, close, normal, run_check

__all__ = ["check_mae_backward", "check_mlp_backward", "check_sigmoid_backward"]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of a large positive number overflows to inf, and 1 / inf is the right 0, but numpy
    # warns; the two-branch form never computes exp of a positive number.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


# ---- sigmoid ----------------------------------------------------------------------------------


def _sigmoid_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for shape, scale in (
        ((4, 6), 1.0),
        ((1, 7), 1.0),
        ((5, 3), 3.0),
        ((2, 3, 4), 1.0),
        ((9,), 10.0),
    ):
        for dtype in DTYPES:
            x = (scale * rng.standard_normal(shape)).astype(dtype)
            g = normal(rng, shape, dtype)
            cases.append(
                Case(
                    f"shape {shape}, inputs of size ~{scale:g}, {np.dtype(dtype)}",
                    (x, g),
                    ("x", "grad_out"),
                    np.dtype(dtype),
                )
            )
    return cases


def _sigmoid_reference(x: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    s = _sigmoid(x)
    return grad_out * s * (1 - s)


_SIGMOID_RULE = "sigmoid'(x) = s * (1 - s) with s = sigmoid(x), times grad_out."
_SIGMOID_MISTAKES = [
    Mistake(
        "sigmoid_derivative_of_input",
        "this is grad_out * x * (1 - x): the formula s * (1 - s) applied to the input x "
        f"instead of to the output s = sigmoid(x). {_SIGMOID_RULE}",
        produce=lambda x, g: g * x * (1 - x),
    ),
    Mistake(
        "missing_grad_out",
        "this is the sigmoid's local derivative s * (1 - s) alone: multiply it by "
        "grad_out (the chain rule).",
        produce=lambda x, g: _sigmoid(x) * (1 - _sigmoid(x)),
    ),
    Mistake(
        "returned_forward",
        f"this is sigmoid(x) * grad_out: the (1 - s) factor is missing. {_SIGMOID_RULE}",
        produce=lambda x, g: g * _sigmoid(x),
    ),
    Mistake(
        "returned_forward",
        f"this is sigmoid(x), the forward value, not its derivative. {_SIGMOID_RULE}",
        produce=lambda x, g: _sigmoid(x),
    ),
    Mistake(
        "wrong_sign",
        f"the sign is flipped (s * (s - 1) instead of s * (1 - s)). {_SIGMOID_RULE}",
        produce=lambda x, g: -_sigmoid_reference(x, g),
    ),
]


@guarded
def check_sigmoid_backward(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your sigmoid backward pass: ``grad_x = grad_out * s * (1 - s)``, s = sigmoid(x).

    Compared with a numpy reference (tested against PyTorch) on 10 cases: five shapes in
    float64 and float32, some with inputs of size ~10, where s is close to 0 or 1.

    Parameters
    ----------
    fn : Callable
        Your ``sigmoid_backward(x, grad_out) -> grad_x``: np.ndarray of one shape, ``x`` the
        sigmoid's input and ``grad_out`` = dL/d sigmoid(x).
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case:
        ``"sigmoid_derivative_of_input"``, ``"missing_grad_out"``, ``"returned_forward"``,
        ``"wrong_sign"`` or a general one.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_sigmoid_backward
    >>> def sigmoid_backward(x, grad_out):
    ...     s = 1 / (1 + np.exp(-x))
    ...     return grad_out * s * (1 - s)
    >>> print(check_sigmoid_backward(sigmoid_backward).passed)
    True
    """
    return run_check(
        "check_sigmoid_backward",
        fn,
        _sigmoid_cases(seed),
        _sigmoid_reference,
        ("grad_x",),
        _SIGMOID_MISTAKES,
    )


# ---- mean absolute error ----------------------------------------------------------------------


def _mae_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # The last cases have some predictions exactly on their target, where |u| has a kink:
    # like torch we take the derivative there to be 0 (np.sign(0) == 0).
    for n, ties in ((5, False), (1, False), (64, False), (7, False), (8, True), (33, True)):
        for dtype in DTYPES:
            pred, target = normal(rng, (n,), dtype), normal(rng, (n,), dtype)
            if ties:
                target[::3] = pred[::3]
            note = ", some pred == target" if ties else ""
            cases.append(
                Case(
                    f"n {n}{note}, {np.dtype(dtype)}",
                    (pred, target),
                    ("pred", "target"),
                    np.dtype(dtype),
                )
            )
    return cases


def _mae_reference(pred: np.ndarray, target: np.ndarray) -> np.ndarray:
    return (np.sign(pred - target) / len(pred)).astype(pred.dtype)


_MAE_RULE = (
    "The loss is mean(|pred - target|), so dL/dpred = sign(pred - target) / n: the "
    "slope of |u| is +1 or -1 (0 at u = 0), and the mean divides by n."
)
_MAE_MISTAKES = [
    Mistake(
        "mae_missing_1_over_n",
        f"this is sign(pred - target), without the 1/n. {_MAE_RULE}",
        produce=lambda p, t: np.sign(p - t),
    ),
    Mistake(
        "mae_sign_at_zero",
        "right everywhere except where pred == target: there the gradient should be 0 "
        "(np.sign(0) is 0, and torch uses 0 too), but yours is +-1/n. np.where(d > 0, 1, "
        "-1) has no case for d == 0; use np.sign(d).",
        detect=lambda got, want, case: _right_except_at_ties(got, want, case),
    ),
    Mistake(
        "wrong_sign",
        f"the sign is flipped (target - pred). {_MAE_RULE}",
        produce=lambda p, t: np.sign(t - p) / len(p),
    ),
    Mistake(
        "returned_mse_gradient",
        f"this is the MSE's gradient 2 * (pred - target) / n, not the MAE's. {_MAE_RULE}",
        produce=lambda p, t: 2 * (p - t) / len(p),
    ),
    Mistake(
        "returned_mse_gradient",
        f"this is (pred - target) / n, the slope of a square, not of |u|. {_MAE_RULE}",
        produce=lambda p, t: (p - t) / len(p),
    ),
]


def _right_except_at_ties(got, want, case) -> bool:
    pred, target = case.args
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    tie = pred == target
    if got.shape != want.shape or not tie.any():
        return False
    n = len(pred)
    off = np.abs(got - want) * n
    return bool(np.all(off[~tie] < 1e-3) and np.all(np.abs(off[tie] - 1) < 1e-3))


@guarded
def check_mae_backward(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your MAE gradient: ``sign(pred - target) / n``, for ``mean(|pred - target|)``.

    0 where ``pred == target`` (the kink of |u|, as PyTorch). Compared with a numpy reference
    (tested against PyTorch) on 12 cases, n from 1 to 64 in float64 and float32, the last ones
    with some predictions exactly on their target.

    Parameters
    ----------
    fn : Callable
        Your ``mae_backward(pred, target) -> grad_pred``: np.ndarray of shape (n,), all three.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"mae_missing_1_over_n"``,
        ``"mae_sign_at_zero"``, ``"wrong_sign"``, ``"returned_mse_gradient"`` or a general one.

    See Also
    --------
    check_mse_backward

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_mae_backward
    >>> def mae_backward(pred, target):
    ...     return np.sign(pred - target) / len(pred)
    >>> print(check_mae_backward(mae_backward).passed)
    True
    """
    return run_check(
        "check_mae_backward", fn, _mae_cases(seed), _mae_reference, ("grad_pred",), _MAE_MISTAKES
    )


# ---- a 3-layer network ------------------------------------------------------------------------

_MLP_OUTPUTS = ("grad_w1", "grad_b1", "grad_w2", "grad_b2", "grad_w3", "grad_b3")


def _mlp_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for batch, n_in, h1, h2 in ((8, 5, 4, 3), (1, 6, 3, 2), (7, 3, 5, 4), (16, 9, 6, 1)):
        for dtype in DTYPES:
            # A draw where two mistakes give the same numbers (all zeros when every output is
            # negative, say) is replaced, so that the first one to show names the right one.
            while True:
                x = normal(rng, (batch, n_in), dtype)
                target = normal(rng, (batch,), dtype)
                params = []
                for a, b in ((n_in, h1), (h1, h2), (h2, 1)):
                    params += [
                        (rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype),
                        (0.1 * rng.standard_normal(b)).astype(dtype),
                    ]
                if _mistakes_told_apart((x, target, *params), np.dtype(dtype)):
                    break
            cases.append(
                Case(
                    f"batch {batch}, sizes {n_in}-{h1}-{h2}-1, {np.dtype(dtype)}",
                    (x, target, *params),
                    ("x", "target", "w1", "b1", "w2", "b2", "w3", "b3"),
                    np.dtype(dtype),
                )
            )
    return cases


def _mistakes_told_apart(args: tuple, dtype: np.dtype) -> bool:
    """True when, at the first gradient each mistake gets wrong, no other mistake agrees."""
    right = _mlp_grads(*args)
    wrongs = [_mlp_grads(*args, **kw) for _, _, kw in _MLP_MISTAKES]
    for i, wrong in enumerate(wrongs):
        k = next((k for k in range(len(right)) if not close(wrong[k], right[k], dtype)), None)
        if k is not None and any(
            close(other[k], wrong[k], dtype) and not _same_answer(other, wrong, dtype)
            for j, other in enumerate(wrongs)
            if j != i
        ):
            return False
    return True


def _same_answer(a: tuple, b: tuple, dtype: np.dtype) -> bool:
    """True when two mistakes give the same six gradients (as at batch 1, no 1/n)."""
    return all(close(x, y, dtype) for x, y in zip(a, b, strict=True))


def _mlp_grads(
    x,
    target,
    w1,
    b1,
    w2,
    b2,
    w3,
    b3,
    *,
    relu_last=False,
    mask=True,
    two=True,
    over_n=True,
    mask_from_grad=False,
):
    """Gradients of mse(lin3(relu(lin2(relu(lin1(x))))), target), or of a named mistake."""
    l1 = x @ w1 + b1
    h1 = np.maximum(l1, 0)
    l2 = h1 @ w2 + b2
    h2 = np.maximum(l2, 0)
    out = h2 @ w3 + b3
    if relu_last:
        out_pre, out = out, np.maximum(out, 0)
    g = (2.0 if two else 1.0) * (out[:, 0] - target)[:, None] / (len(target) if over_n else 1)
    if relu_last:
        g = g * (out_pre > 0)

    def through_relu(grad, pre):
        if not mask:
            return grad
        return grad * ((grad > 0) if mask_from_grad else (pre > 0))

    gw3, gb3 = h2.T @ g, g.sum(0)
    g = through_relu(g @ w3.T, l2)
    gw2, gb2 = h1.T @ g, g.sum(0)
    g = through_relu(g @ w2.T, l1)
    gw1, gb1 = x.T @ g, g.sum(0)
    return gw1, gb1, gw2, gb2, gw3, gb3


_MLP_LOSS = "The MSE's gradient is dL/dout = 2 * (out - target) / n, with n the batch size."

# (diagnosis, message, the keywords of `_mlp_grads` that make the mistake)
_MLP_MISTAKES = [
    (
        "relu_after_last_layer",
        "the network's output went through a ReLU too. The last layer is linear: "
        "lin, relu, lin, relu, lin, then the loss.",
        {"relu_last": True},
    ),
    (
        "missing_relu_backward",
        "the gradient passes through the ReLUs unchanged. Multiply it by the mask of "
        "each ReLU's input (relu_grad(l, g) = g * (l > 0)).",
        {"mask": False},
    ),
    (
        "relu_mask_from_grad_out",
        "the ReLU mask is taken from the gradient (g > 0) instead of the ReLU's input (l > 0).",
        {"mask_from_grad": True},
    ),
    # At batch 1, where 1/n = 1, the first two are the same answer: the first one names it.
    (
        "mse_missing_2",
        "every gradient is half the right one: dL/dout lacks the 2 that comes from the "
        f"square. {_MLP_LOSS}",
        {"two": False},
    ),
    (
        "mse_missing_2_over_n",
        "every gradient is n/2 times the right one: dL/dout = out - target lacks both the "
        f"2 from the square and the 1/n from the mean. {_MLP_LOSS}",
        {"two": False, "over_n": False},
    ),
    (
        "mse_missing_1_over_n",
        "every gradient is n times the right one: dL/dout lacks the 1/n from the mean "
        f"(the loss is a mean over the batch, not a sum). {_MLP_LOSS}",
        {"over_n": False},
    ),
]


def _mlp_mistakes() -> list[Mistake]:
    return [
        Mistake(
            diagnosis,
            message,
            output=k,
            produce=lambda *args, k=k, kw=kw: _mlp_grads(*args, **kw)[k],
        )
        for diagnosis, message, kw in _MLP_MISTAKES
        for k in range(len(_MLP_OUTPUTS))
    ]


def _mlp_exception(exc: BaseException, text: str) -> tuple[str, str] | None:
    if "matmul" in text or "not aligned" in text:
        return (
            "shape_mismatch",
            "Print the shape of every intermediate: dL/dout must be (batch, 1) like the "
            "output (out.squeeze(-1) - target, then [:, None]), and each layer's backward "
            "needs that layer's own input and weight: lin_grad(l2, w3, b3, out_g).",
        )
    return None


@guarded
def check_mlp_backward(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your backward pass through lin, relu, lin, relu, lin and the MSE: six gradients.

    ``out = relu(relu(x @ w1 + b1) @ w2 + b2) @ w3 + b3``, ``L = mean((out[:, 0] - target)**2)``;
    compared with a numpy reference (tested against PyTorch) on 8 cases (batch 1 to 16, a
    hidden width of 1 among them, float64 and float32) where no two mistakes agree.

    Parameters
    ----------
    fn : Callable
        Your ``mlp_backward(x, target, w1, b1, w2, b2, w3, b3) -> (grad_w1, grad_b1, grad_w2,
        grad_b2, grad_w3, grad_b3)``: x (batch, n_in), target (batch,), w1 (n_in, h1), b1
        (h1,), w2 (h1, h2), b2 (h2,), w3 (h2, 1), b3 (1,); each gradient of its parameter's
        shape.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case:
        ``"relu_after_last_layer"``, ``"missing_relu_backward"``,
        ``"relu_mask_from_grad_out"``, ``"mse_missing_2"``, ``"mse_missing_1_over_n"``,
        ``"mse_missing_2_over_n"``, ``"shape_mismatch"`` or a general one.

    See Also
    --------
    check_linear_backward, check_relu_backward, check_mse_backward

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.exercises import check_mlp_backward
    >>> def mlp_backward(x, target, *params):  # the starter code: every gradient 0
    ...     return tuple(np.zeros_like(p) for p in params)
    >>> print(check_mlp_backward(mlp_backward).diagnosis)
    all_zeros
    """
    return run_check(
        "check_mlp_backward",
        fn,
        _mlp_cases(seed),
        _mlp_grads,
        _MLP_OUTPUTS,
        _mlp_mistakes(),
        explain_exception=_mlp_exception,
    )
