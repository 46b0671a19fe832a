"""Check a hand-written backward pass against central differences, in float64.

A backward pass maps the upstream gradient ``grad_out`` (dL/doutput) to dL/dinput. To test it
with finite differences, gradcheck turns the output into the scalar

```
L = sum(output * u)        for a fixed random u of the output's shape,
```

whose gradient with respect to the output is exactly u. The analytical gradient is what the
backward pass returns for grad_out = u; the numerical one nudges each input entry by +-eps:

```
dL/dx[i] ~ (L(x[i] + eps) - L(x[i] - eps)) / (2 * eps).
```

Two ways to call it:

```python
gradcheck(model, x)                                    # a Module: input and parameter gradients
gradcheck(linear, x, w, b, backward=linear_backward)   # a function and its backward
```

For a plain function, ``backward(grad_out, *inputs)`` returns dL/dinput for each input, in
order (a tuple, or a single array for a one-input function; None for an input it does not
differentiate, such as integer labels). That is the same contract as ``Module.bwd``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .nn import Module

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(AssertionError):
    """An analytical gradient disagrees with the numerical one (names the place and values).

    Raised by ``gradcheck`` with a message naming the input or parameter, the index of the
    worst entry, both values and the allowed difference, and how many entries disagree; also
    when ``backward`` returns the wrong number of gradients or one of the wrong shape. A
    subclass of ``AssertionError``, so a failing check inside a test reads as a failed assert.
    """


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

    Every floating-point input (and, for a Module, every parameter) is checked in float64;
    integer inputs such as labels are passed through unchanged. A Module's backward returns
    the gradient of its first input only, so only that input is checked, plus all
    parameters. The module's parameters are converted to float64 for the check and restored
    (values, dtype and gradients) afterwards; your arrays are never modified. An entry
    passes when ``|analytical - numerical| <= atol + rtol * |numerical|``.

    Each entry costs two forward passes: use small shapes (a batch of a few rows).

    Parameters
    ----------
    fn_or_module : Module or Callable
        A ``pybackprop.nn.Module`` (its ``backward`` is checked, for its first input and
        every parameter), or a function ``fn(*inputs) -> np.ndarray`` of any output shape.
    *inputs : np.ndarray
        The inputs to call it with, any shapes; floating-point ones are checked, in float64.
        PyTorch's habit of passing them as one tuple, ``gradcheck(model, (x,))``, works too:
        a single tuple is unpacked into the inputs it holds.
    backward : Callable or None, default None
        For a function (required then): ``backward(grad_out, *inputs)`` returning dL/dinput
        for each input, in order, each of that input's shape (a tuple, or one array for a
        one-input function; None for an input it does not differentiate). Must be None for
        a Module, which brings its own.
    eps : float, default 1e-6
        The step of the central differences.
    atol : float, default 1e-5
        Absolute tolerance of the comparison.
    rtol : float, default 1e-3
        Relative tolerance, times ``|numerical|``.
    rng : int | np.random.Generator | None, default 0
        Seed or generator for the upstream gradient u (fixed by default, so a failure
        repeats).

    Returns
    -------
    bool
        True: every checked gradient matches (a mismatch raises instead).

    Raises
    ------
    GradcheckError
        If an analytical gradient disagrees with the numerical one (the message names the
        input or parameter, the index and both values), or ``backward`` returns the wrong
        number of gradients or one of the wrong shape.
    TypeError
        If a function comes without ``backward=``, or a Module with one.

    See Also
    --------
    GradcheckError, pybackprop.nn.Module

    Examples
    --------
    A function and its hand-written backward:

    >>> import numpy as np
    >>> from pybackprop import gradcheck, nn
    >>> rng = np.random.default_rng(0)
    >>> x, w = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    >>> def matmul_backward(grad_out, x, w):  # (2, 4) -> (2, 3), (3, 4)
    ...     return grad_out @ w.T, x.T @ grad_out
    >>> gradcheck(lambda x, w: x @ w, x, w, backward=matmul_backward)
    True

    A Module: its input gradient and every parameter's:

    >>> gradcheck(nn.Linear(3, 2, rng=0), x)
    True

    The inputs may also come as one tuple, as ``torch.autograd.gradcheck`` takes them:

    >>> gradcheck(nn.Linear(3, 2, rng=0), (x,))
    True

    A wrong derivative (tanh's is ``1 - tanh(x)**2``) is caught:

    >>> gradcheck(np.tanh, x, backward=lambda g, x: g * (1 - np.tanh(x)))
    Traceback (most recent call last):
    ...
    pybackprop.gradcheck.GradcheckError: gradcheck failed for input 0 at index ...
    """
    if len(inputs) == 1 and isinstance(inputs[0], tuple):
        inputs = inputs[0]  # torch.autograd.gradcheck(fn, (x, w)) takes the inputs as one tuple
    rng = np.random.default_rng(rng)
    xs = [
        np.array(x, dtype=np.float64) if np.asarray(x).dtype.kind == "f" else np.asarray(x)
        for x in inputs
    ]
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
    grads = backward(u, *xs)
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
    _compare(checks, lambda: np.sum(fn_or_module(*xs) * u), eps, atol, rtol)
    return True


def _upstream(out, rng: np.random.Generator) -> np.ndarray:
    shape = np.shape(out)
    return rng.standard_normal(shape) if shape else np.float64(rng.standard_normal())


def _check_module(module: Module, xs: list, rng, eps: float, atol: float, rtol: float) -> bool:
    named = list(module.named_parameters())
    saved = [(p.data, p.grad) for _, p in named]
    try:
        for _, p in named:
            p.data, p.grad = p.data.astype(np.float64), np.zeros(p.shape)
        out = module(*xs)
        u = _upstream(out, rng)
        grad_in = module.backward(u)
        checks = [(f"parameter '{name}'", p.data, p.grad.copy()) for name, p in named]
        if xs and xs[0].dtype.kind == "f":
            checks.insert(0, ("input 0", xs[0], grad_in))
        _compare(checks, lambda: np.sum(module(*xs) * u), eps, atol, rtol)
    finally:
        for (_, p), (data, grad) in zip(named, saved, strict=True):
            p.data, p.grad = data, grad
    return True


def _compare(checks: list, loss: Callable[[], float], eps: float, atol: float, rtol: float) -> None:
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
            plus = loss()
            x[idx] = orig - eps
            minus = loss()
            x[idx] = orig
            numerical[idx] = (plus - minus) / (2 * eps)
        analytical = np.asarray(analytical, dtype=np.float64)
        tol = atol + rtol * np.abs(numerical)
        excess = np.abs(analytical - numerical) - tol
        excess[np.isnan(excess)] = np.inf  # a NaN on either side is a failure
        if np.any(excess > 0):
            idx = np.unravel_index(np.argmax(excess), x.shape)
            idx = tuple(int(i) for i in idx)
            n_bad = int(np.sum(excess > 0))
            raise GradcheckError(
                f"gradcheck failed for {name} at index {idx}: analytical {analytical[idx]:.6g}, "
                f"numerical {numerical[idx]:.6g} (allowed difference {tol[idx]:.3g}); "
                f"{n_bad} of {x.size} entries disagree."
            )
