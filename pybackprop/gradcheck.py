"""Check a hand-written backward pass against central differences, in float64.

``gradcheck`` turns the output into the scalar ``L = sum(output * u)`` for a fixed random ``u``,
whose gradient with respect to the output is exactly ``u``. The analytical gradient is what the
backward pass returns for ``grad_out = u``; the numerical one nudges each input entry by
``+-eps``: ``dL/dx[i] ~ (L(x[i] + eps) - L(x[i] - eps)) / (2 * eps)`` (each output entry
differenced before ``u`` weighs them, as torch's Jacobian, so no entry drowns). It checks a Module
(``gradcheck(model, x)``: its input and parameter gradients) or a function with its backward
(``gradcheck(fn, x, w, backward=fn_backward)``, the same contract as ``Module.bwd``). Your
arrays are left as they were. Each entry costs two forward passes: use small shapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .nn import Module
from .nn import _checks as _c

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(AssertionError):
    """A gradient disagrees with the numerical one: an AssertionError, as a failed test reads."""


def gradcheck(
    fn_or_module: Module | Callable,
    *inputs: np.ndarray,
    backward: Callable | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    rng: int | np.random.Generator | None = 0,
) -> bool:
    """Return True if the backward pass matches central differences, else raise GradcheckError.

    Parameters
    ----------
    fn_or_module : Module or Callable
        A ``pybackprop.nn.Module``, or a function ``fn(*inputs) -> np.ndarray``.
    *inputs : np.ndarray
        The inputs (or one tuple of them, as torch takes them). Floating-point ones are checked
        (a Module's first input only), integer ones such as labels passed through.
    backward : Callable or None, default None
        For a function (required then): ``backward(grad_out, *inputs)`` returning dL/dinput
        for each input, in order (one array for one input; None for an input it does not
        differentiate). None for a Module, which brings its own.
    eps : float, default 1e-6
        The step of the central differences.
    atol : float, default 1e-5
        Absolute tolerance of the comparison.
    rtol : float, default 1e-3
        Relative tolerance: passes if ``|analytical - numerical| <= atol + rtol * |numerical|``.
    rng : int | np.random.Generator | None, default 0
        Seed or generator for ``u`` (fixed by default, so a failure repeats).

    Returns
    -------
    bool
        True: every checked gradient matches (a mismatch raises instead).

    Raises
    ------
    GradcheckError
        If a gradient disagrees, or ``backward`` returns the wrong number or shape of them, or
        None for every floating-point input (nothing would be checked).
    TypeError
        If a function comes without ``backward=``, a Module with one, no input is float, or an
        input is not real (complex, object, str).
    ValueError
        If no input is given, or ``eps`` is not > 0 or ``atol``, ``rtol`` not >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop import gradcheck, nn
    >>> x, w = np.ones((2, 3)), np.arange(12.0).reshape(3, 4)
    >>> gradcheck(lambda x, w: x @ w, x, w, backward=lambda g, x, w: (g @ w.T, x.T @ g))
    True
    >>> gradcheck(nn.Linear(3, 2, rng=0), x)
    True
    """
    if len(inputs) == 1 and isinstance(inputs[0], tuple):
        inputs = inputs[0]  # torch.autograd.gradcheck(fn, (x, w)) takes the inputs as one tuple
    if not inputs:
        raise ValueError("gradcheck needs the inputs to check: gradcheck(fn, x, ..., backward=...)")
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        v = _c.real(value, "gradcheck", name)
        if not (math.isfinite(v) and (v > 0 if name == "eps" else v >= 0)):
            bound = "> 0" if name == "eps" else ">= 0"
            raise ValueError(f"gradcheck: {name} must be a finite number {bound}; got {value!r}.")
    rng = _c.generator(rng, "gradcheck")
    xs = [np.asarray(x) for x in inputs]
    for i, x in enumerate(xs):
        if x.dtype.kind not in "biuf":
            raise TypeError(
                f"gradcheck: input {i} has dtype {x.dtype}; gradcheck checks real floating-point "
                "inputs (computed in float64) and passes integer or bool ones (labels) through."
            )
    xs = [np.array(x, dtype=np.float64) if x.dtype.kind == "f" else x for x in xs]
    if isinstance(fn_or_module, Module):
        if backward is not None:
            raise TypeError("gradcheck: a Module brings its own backward; drop backward=.")
        return _check_module(fn_or_module, xs, rng, eps, atol, rtol)
    if backward is None:
        raise TypeError(
            "gradcheck(fn, *inputs) needs backward=: a function backward(grad_out, *inputs) "
            "that returns dL/dinput for each input (see help(gradcheck))."
        )
    out = fn_or_module(*xs)
    u = _upstream(out, rng)
    grads = backward(u.copy(), *xs)  # a copy: a backward may update grad_out in place
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(xs):
        raise GradcheckError(
            f"backward returned {len(grads)} gradient(s) for {len(xs)} input(s); return one "
            "per input, in order (None for an input you do not differentiate)."
        )
    checks = [
        (f"input {i}", x, g)
        for i, (x, g) in enumerate(zip(xs, grads, strict=True))
        if x.dtype.kind == "f" and g is not None
    ]
    if not checks:  # True here would say a backward pass is right that was never compared
        if not any(x.dtype.kind == "f" for x in xs):
            raise TypeError(_NO_FLOATS.format(dtypes=", ".join(str(x.dtype) for x in xs)))
        raise GradcheckError(
            "gradcheck compared nothing: backward returned None for every floating-point "
            "input; return dL/dinput for the inputs fn is differentiated by."
        )
    _compare(checks, lambda: fn_or_module(*xs), u, eps, atol, rtol)
    return True


# Integer inputs (labels) are passed through, not differentiated: with nothing else, no check.
_NO_FLOATS = (
    "gradcheck checks floating-point inputs and passes integer ones (labels) through; got "
    "only {dtypes}, so nothing would be compared. Pass floats, e.g. x.astype(np.float64)."
)


def _upstream(out, rng: np.random.Generator) -> np.ndarray:
    """A random upstream gradient ``u`` of ``out``'s shape."""
    shape = np.shape(out)
    return rng.standard_normal(shape) if shape else np.float64(rng.standard_normal())


def _check_module(module: Module, xs: list, rng, eps: float, atol: float, rtol: float) -> bool:
    """gradcheck for a Module, its parameters in float64 for the check and restored after."""
    named = list(module.named_parameters())
    saved = [(p.data, p.grad) for _, p in named]
    try:
        for _, p in named:
            p.data, p.grad = p.data.astype(np.float64), np.zeros(p.shape)
        out = module(*xs)
        u = _upstream(out, rng)
        grad_in = module.backward(u.copy())  # a copy: bwd may update grad_out in place
        checks = [(f"parameter '{name}'", p.data, p.grad.copy()) for name, p in named]
        if xs[0].dtype.kind == "f":
            checks.insert(0, ("input 0", xs[0], grad_in))
        _compare(checks, lambda: module(*xs), u, eps, atol, rtol)
    finally:
        for (_, p), (data, grad) in zip(named, saved, strict=True):
            p.data, p.grad = data, grad
    return True


def _compare(checks: list, output: Callable, u, eps: float, atol: float, rtol: float) -> None:
    """Raise GradcheckError at the worst entry where analytical and numerical disagree."""
    for name, x, analytical in checks:
        if analytical is None or np.shape(analytical) != x.shape:
            raise GradcheckError(
                f"gradcheck: the gradient for {name} should have shape {x.shape}; "
                f"backward gave {None if analytical is None else np.shape(analytical)}."
            )
        numerical = np.empty(x.shape)
        for idx in np.ndindex(x.shape):
            orig = x[idx]
            x[idx] = orig + eps
            plus = np.array(output(), dtype=np.float64)  # a copy: fn may return x itself
            x[idx] = orig - eps
            minus = np.array(output(), dtype=np.float64)
            x[idx] = orig
            # Differenced per output entry before u sums them, as torch builds the Jacobian:
            # summing first would cancel a small entry's change against a large entry.
            numerical[idx] = np.sum((plus - minus) * u) / (2 * eps)
        analytical = np.asarray(analytical, dtype=np.float64)
        tol = atol + rtol * np.abs(numerical)
        excess = np.abs(analytical - numerical) - tol
        # a NaN on either side is a failure (np.where: a 0-d input's excess stays an array)
        excess = np.where(np.isnan(excess), np.inf, excess)
        if np.any(excess > 0):
            idx = np.unravel_index(np.argmax(excess), x.shape)
            idx = tuple(int(i) for i in idx)
            n_bad = int(np.sum(excess > 0))
            raise GradcheckError(
                f"gradcheck failed for {name} at index {idx}: analytical {analytical[idx]:.6g}, "
                f"numerical {numerical[idx]:.6g} (allowed difference {tol[idx]:.3g}); "
                f"{n_bad} of {x.size} entries disagree."
            )
