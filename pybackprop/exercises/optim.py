"""Checks for one optimiser step written as a function (chapter 12): SGD with momentum, Adam.

The references are ``pybackprop.optim.SGD`` and ``pybackprop.optim.Adam``, which follow PyTorch.
The learner's step returns new arrays rather than updating in place, so that the check can
give it any state (velocity, moments, step number) and compare.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import nn
from ..optim import SGD, Adam
from .isolate import guarded
from .result import CheckResult
from .runner import DTYPES, Case, Mistake, normal, run_check

__all__ = ["check_adam_step", "check_sgd_step"]


def _param(param: np.ndarray, grad: np.ndarray) -> nn.Parameter:
    p = nn.Parameter(param.copy())
    p.grad = grad.copy()
    return p


# ---- SGD with momentum ------------------------------------------------------------------------


def _sgd_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    # (shape, lr, momentum, first step?): a running velocity first, where most mistakes show;
    # then the first step (velocity zeros), no momentum, a single parameter. The first lr is
    # neither 1 - momentum nor 1, so that the conventions for the velocity all differ there.
    for shape, lr, momentum, first in (
        ((5,), 0.03, 0.9, False),
        ((3, 4), 0.05, 0.9, True),
        ((2, 3), 0.5, 0.0, False),
        ((1,), 0.01, 0.5, False),
        ((4, 1), 0.2, 0.99, False),
    ):
        for dtype in DTYPES:
            param = normal(rng, shape, dtype)
            grad = normal(rng, shape, dtype)
            velocity = np.zeros(shape, dtype) if first else normal(rng, shape, dtype)
            step = "first step, velocity zeros" if first else "velocity from earlier steps"
            cases.append(
                Case(
                    f"shape {shape}, lr {lr}, momentum {momentum}, {step}, {np.dtype(dtype)}",
                    (param, grad, velocity, lr, momentum),
                    ("param", "grad", "velocity", "lr", "momentum"),
                    np.dtype(dtype),
                )
            )
    return cases


def _sgd_reference(param, grad, velocity, lr, momentum):
    p = _param(param, grad)
    opt = SGD([p], lr=lr, momentum=momentum)
    if not momentum:
        opt.step()
        return p.data, grad.copy()  # v = 0 * v + grad
    # torch starts the buffer at the first gradient, which is what v = momentum * 0 + grad
    # gives too: so starting a learner's velocity at zeros is the same convention.
    opt.bufs = [velocity.copy()]
    opt.step()
    return p.data, opt.bufs[0]


def _unchanged(name: str) -> Mistake:
    return Mistake(
        "not_updated",
        f"this is {name} unchanged: the step did not move it. Is the starter code still in place?",
        produce=lambda p, *rest: p,
    )


def _both(diagnosis: str, message: str, new_param: Callable, new_velocity: Callable):
    return [
        Mistake(diagnosis, message, output=0, produce=new_param),
        Mistake(diagnosis, message, output=1, produce=new_velocity),
    ]


_LR_INSIDE = (
    "That is another valid convention (the velocity is then a step, not a sum of gradients), "
    "but this exercise follows PyTorch: v = momentum * v + grad; param = param - lr * v."
)
_IN_PLACE = (
    "Return new arrays (new_param = param - ...) rather than updating with -= or +=: "
    "this function returns the step, and the check calls it again with the same state."
)
_SGD_MISTAKES = [
    _unchanged("param"),
    *_both(
        "dampened_momentum",
        "this uses velocity = momentum * velocity + (1 - momentum) * grad, an average of the "
        "gradients. PyTorch's SGD (and this exercise) adds the whole gradient: "
        "velocity = momentum * velocity + grad.",
        lambda p, g, v, lr, m: p - lr * (m * v + (1 - m) * g),
        lambda p, g, v, lr, m: m * v + (1 - m) * g,
    ),
    *_both(
        "lr_inside_velocity",
        f"this folds the learning rate into the velocity (v = momentum * v - lr * grad; "
        f"param + v). {_LR_INSIDE}",
        lambda p, g, v, lr, m: p + (m * v - lr * g),
        lambda p, g, v, lr, m: m * v - lr * g,
    ),
    *_both(
        "lr_inside_velocity",
        f"this folds the learning rate into the velocity (v = momentum * v + lr * grad; "
        f"param - v). {_LR_INSIDE}",
        lambda p, g, v, lr, m: p - (m * v + lr * g),
        lambda p, g, v, lr, m: m * v + lr * g,
    ),
    Mistake(
        "wrong_sign",
        "the step goes up the gradient: param - lr * velocity, not +.",
        produce=lambda p, g, v, lr, m: p + lr * (m * v + g),
    ),
    Mistake(
        "momentum_ignored",
        "this is plain SGD, param - lr * grad: the step should use the new velocity, "
        "param - lr * (momentum * velocity + grad).",
        produce=lambda p, g, v, lr, m: p - lr * g,
    ),
    Mistake(
        "velocity_updated_after_step",
        "the step uses the old velocity; update the velocity first, then step with it.",
        produce=lambda p, g, v, lr, m: p - lr * v,
    ),
    Mistake(
        "velocity_not_updated",
        "this is the velocity you were given: return the updated one, momentum * velocity + grad.",
        output=1,
        produce=lambda p, g, v, lr, m: v,
    ),
]


@guarded
def check_sgd_step(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your SGD-with-momentum step, in PyTorch's convention, returning new arrays.

    ``new_velocity = momentum * velocity + grad`` and ``new_param = param - lr *
    new_velocity`` (velocity zeros at first); compared with ``pybackprop.optim.SGD`` on 10
    cases (a running velocity, a first step, no momentum; float64 and float32).

    Parameters
    ----------
    fn : Callable
        Your ``sgd_step(param, grad, velocity, lr, momentum) -> (new_param, new_velocity)``:
        arrays of one shape and two floats; returns two arrays of ``param``'s shape and dtype.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case: ``"dampened_momentum"``,
        ``"lr_inside_velocity"``, ``"wrong_sign"``, ``"momentum_ignored"``,
        ``"velocity_updated_after_step"``, ``"velocity_not_updated"``, ``"not_updated"``,
        ``"modified_input_in_place"`` or a general one.

    See Also
    --------
    pybackprop.optim.SGD

    Examples
    --------
    >>> from pybackprop.exercises import check_sgd_step
    >>> def sgd_step(param, grad, velocity, lr, momentum):
    ...     velocity = momentum * velocity + grad
    ...     return param - lr * velocity, velocity
    >>> print(check_sgd_step(sgd_step).passed)
    True
    """
    return run_check(
        "check_sgd_step",
        fn,
        _sgd_cases(seed),
        _sgd_reference,
        ("new_param", "new_velocity"),
        _SGD_MISTAKES,
        in_place_fix=_IN_PLACE,
    )


# ---- Adam -------------------------------------------------------------------------------------


def _adam_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for shape, t, lr, betas in (
        ((5,), 1, 1e-3, (0.9, 0.999)),
        ((3, 4), 3, 1e-2, (0.9, 0.999)),
        ((1,), 10, 1e-3, (0.8, 0.99)),
        ((2, 5), 1, 0.1, (0.9, 0.999)),
        ((7,), 100, 1e-2, (0.9, 0.999)),
    ):
        for dtype in DTYPES:
            param = normal(rng, shape, dtype)
            grad = normal(rng, shape, dtype)
            if t == 1:
                m, v = np.zeros(shape, dtype), np.zeros(shape, dtype)
                # A positive gradient somewhere: with every one negative, v without the square
                # gives nan everywhere, as t - 1 in the bias correction does.
                if np.all(grad < 0):
                    grad[0] = -grad[0]
            else:  # moments as earlier steps would leave them: v >= 0
                m = (0.3 * rng.standard_normal(shape)).astype(dtype)
                v = (0.5 * rng.random(shape)).astype(dtype)
            cases.append(
                Case(
                    f"shape {shape}, step t = {t}{' (the first step)' if t == 1 else ''}, "
                    f"lr {lr}, betas {betas}, {np.dtype(dtype)}",
                    (param, grad, m, v, t, lr, betas, 1e-8),
                    ("param", "grad", "m", "v", "t", "lr", "betas", "eps"),
                    np.dtype(dtype),
                )
            )
    return cases


def _adam_reference(param, grad, m, v, t, lr, betas, eps):
    p = _param(param, grad)
    opt = Adam([p], lr=lr, betas=betas, eps=eps)
    opt.steps, opt.ms, opt.vs = [t - 1], [m.copy()], [v.copy()]
    opt.step()
    return p.data, opt.ms[0], opt.vs[0]


def _adam(
    param,
    grad,
    m,
    v,
    t,
    lr,
    betas,
    eps,
    *,
    correct=True,
    t_used=None,
    second=np.square,
    swap=False,
    sign=1.0,
    times="",
):
    """One Adam step with a chosen mistake: what a learner's variant would return."""
    b1, b2 = betas[::-1] if swap else betas
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * second(grad)
    t = t if t_used is None else t_used
    # `times` names the moments whose correction is written 1 - beta * t
    c1, c2 = (1 - b * t if name in times else 1 - b**t for b, name in ((b1, "m"), (b2, "v")))
    m_hat, v_hat = (m / c1, v / c2) if correct else (m, v)
    return param - sign * lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _adam_mistake(diagnosis: str, message: str, **variant) -> list[Mistake]:
    return [
        Mistake(diagnosis, message, output=k, produce=lambda *a, k=k: _adam(*a, **variant)[k])
        for k in range(3)
    ]


_ADAM_MISTAKES = [
    _unchanged("param"),
    *_adam_mistake(
        "missing_bias_correction",
        "this is Adam without bias correction. m and v start at 0, so early on "
        "they are too small; divide them by (1 - beta1**t) and (1 - beta2**t) "
        "before the step (t counts from 1).",
        correct=False,
    ),
    Mistake(
        "bias_correction_off_by_one",
        "the bias correction uses t - 1 instead of t (the first step is t = 1, and "
        "1 - beta**0 = 0 divides by zero).",
        produce=lambda p, g, m, v, t, lr, b, e: _adam(p, g, m, v, t, lr, b, e, t_used=t - 1)[0],
    ),
    Mistake(
        "bias_correction_off_by_one",
        "the bias correction uses t + 1 instead of t: t is already the number of this "
        "step, starting at 1.",
        produce=lambda p, g, m, v, t, lr, b, e: _adam(p, g, m, v, t, lr, b, e, t_used=t + 1)[0],
    ),
    *(
        Mistake(
            "bias_correction_times_t",
            "the bias correction is written 1 - beta * t; it is 1 - beta**t, beta to the "
            "power t. From t = 2 on, 1 - beta2 * t is negative, so v_hat is negative and "
            "its square root is nan.",
            produce=lambda *a, times=times: _adam(*a, times=times)[0],
        )
        for times in ("mv", "v", "m")
    ),
    *_adam_mistake(
        "betas_swapped",
        "beta1 and beta2 are swapped: m uses beta1 (0.9), v uses beta2 (0.999).",
        swap=True,
    ),
    *_adam_mistake(
        "grad_not_squared",
        "this is v = beta2 * v + (1 - beta2) * |grad|: v should average the *squared* "
        "gradient, v = beta2 * v + (1 - beta2) * grad**2 (its square root then has the "
        "gradient's scale).",
        second=np.abs,
    ),
    *_adam_mistake(
        "grad_not_squared",
        "this is v = beta2 * v + (1 - beta2) * grad: v should average the *squared* "
        "gradient, v = beta2 * v + (1 - beta2) * grad**2.",
        second=lambda g: g,
    ),
    Mistake(
        "wrong_sign",
        "the step goes up the gradient: param - lr * m_hat / ..., not +.",
        produce=lambda *a: _adam(*a, sign=-1.0)[0],
    ),
    Mistake(
        "returned_corrected_moments",
        "this is m / (1 - beta1**t), the bias-corrected moment. Return the plain running "
        "average m: the correction is recomputed from it at every step.",
        output=1,
        produce=lambda p, g, m, v, t, lr, b, e: _adam(p, g, m, v, t, lr, b, e)[1] / (1 - b[0] ** t),
    ),
    Mistake(
        "returned_corrected_moments",
        "this is v / (1 - beta2**t), the bias-corrected moment. Return the plain running "
        "average v: the correction is recomputed from it at every step.",
        output=2,
        produce=lambda p, g, m, v, t, lr, b, e: _adam(p, g, m, v, t, lr, b, e)[2] / (1 - b[1] ** t),
    ),
]


@guarded
def check_adam_step(fn: Callable, seed: int = 0) -> CheckResult:
    """Check your Adam step, as PyTorch's, returning new arrays.

    ``m = beta1 * m + (1 - beta1) * grad``, ``v = beta2 * v + (1 - beta2) * grad**2``, then
    ``param - lr * m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1**t)`` and
    ``v_hat = v / (1 - beta2**t)``; compared with ``pybackprop.optim.Adam`` on 10 cases (steps
    from t = 1 to 100, float64 and float32).

    Parameters
    ----------
    fn : Callable
        Your ``adam_step(param, grad, m, v, t, lr, betas, eps) -> (new_param, new_m, new_v)``:
        arrays of one shape (m and v start at zeros), the step number t from 1, floats lr and
        eps, ``betas = (beta1, beta2)``; returns three arrays of ``param``'s shape.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case:
        ``"missing_bias_correction"``, ``"bias_correction_off_by_one"``,
        ``"bias_correction_times_t"``, ``"betas_swapped"``,
        ``"grad_not_squared"``, ``"wrong_sign"``, ``"returned_corrected_moments"``,
        ``"not_updated"``, ``"modified_input_in_place"`` or a general one.

    See Also
    --------
    pybackprop.optim.Adam

    Examples
    --------
    >>> from pybackprop.exercises import check_adam_step
    >>> def adam_step(param, grad, m, v, t, lr, betas, eps):
    ...     b1, b2 = betas
    ...     m, v = b1 * m + (1 - b1) * grad, b2 * v + (1 - b2) * grad**2
    ...     return param - lr * m / (1 - b1**t) / ((v / (1 - b2**t)) ** 0.5 + eps), m, v
    >>> print(check_adam_step(adam_step).passed)
    True
    """
    return run_check(
        "check_adam_step",
        fn,
        _adam_cases(seed),
        _adam_reference,
        ("new_param", "new_m", "new_v"),
        _ADAM_MISTAKES,
        in_place_fix=_IN_PLACE,
    )
