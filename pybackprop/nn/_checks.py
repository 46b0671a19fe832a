"""Input checks shared by the array functions, layers and losses.

Each runs on every training step, so each is a few attribute reads on the fast path; each error
names the function, the argument, what it got and what it expects.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np


def _got(x, a: np.ndarray) -> str:
    """How to name what was received: its dtype, and its type when it was not an array."""
    if isinstance(x, np.ndarray):
        return f"dtype {a.dtype}"
    return f"a {type(x).__name__} (dtype {a.dtype} as an array)"


def floats(x, fn: str, arg: str = "input") -> tuple[np.ndarray, np.dtype]:
    """(x as an array to compute with, its dtype); float16 is widened to float32, as torch does."""
    a = np.asarray(x)
    dtype = a.dtype
    if dtype.kind != "f":
        raise TypeError(
            f"{fn}: {arg} must be a floating-point array (float16, float32 or float64); got "
            f"{_got(x, a)}. Convert it first, e.g. {arg}.astype(np.float32)."
        )
    # numpy rounds float16 after every operation; torch computes in float32 and rounds once.
    # (itemsize 2 is float16: cheaper than comparing with np.float16, on every call)
    return (a.astype(np.float32) if dtype.itemsize == 2 else a), dtype


def narrow(out, dtype: np.dtype):
    """`out` in `dtype`: float16 input's float32 result rounded back (inf past 65504, as torch)."""
    if out.dtype == dtype:
        return out
    with np.errstate(over="ignore"):
        return out.astype(dtype)


def axis(dim, x: np.ndarray, fn: str) -> int:
    """`dim` as an axis of x in [-ndim, ndim) (0-d counts as 1-d, as torch's), or an error."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}: dim must be an integer; got {dim!r}.")
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise ValueError(
            f"{fn}: dim must lie in [{-n}, {n - 1}] for input of shape {x.shape}; got dim={dim}."
        )
    return int(dim)


def count(n, fn: str, arg: str) -> int:
    """`n` as a non-negative int (a size such as num_classes), or an error naming arg."""
    if isinstance(n, bool):
        raise TypeError(f"{fn}: {arg} must be a non-negative integer; got {n!r}.")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{fn}: {arg} must be a non-negative integer; got {n!r}.") from None
    if n < 0:
        raise ValueError(f"{fn}: {arg} must be a non-negative integer; got {n}.")
    return n


def reals(x, fn: str, dtype: np.dtype, arg: str = "grad_out") -> np.ndarray:
    """x (bool, integer or float numbers) in `dtype`, as torch casts a target or gradient."""
    if type(x) is np.ndarray and x.dtype == dtype:  # the usual case, on every backward pass
        return x
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(
            f"{fn}: {arg} must hold real numbers (bool, integer or float); got {_got(x, a)}."
        )
    return a.astype(dtype, copy=False)


def scalar(x, fn: str, arg: str) -> float:
    """x as a float, from a real number or a 0-d array of one, or a TypeError naming arg."""
    if type(x) is float:  # the usual case (a loss's grad_out = 1.0), on every backward pass
        return x
    a = np.asarray(x)
    if a.dtype.kind not in "iuf" or a.ndim:
        shape = f" of shape {a.shape}" if a.ndim else ""
        raise TypeError(f"{fn}: {arg} must be a real number; got {_got(x, a)}{shape}.")
    return float(a)


# each integer dtype's unsigned twin, of the same size and byte order (for `labels`)
_UNSIGNED: dict[np.dtype, np.dtype] = {}


def labels(target, n: int, n_classes: int, fn: str, arg: str = "target") -> np.ndarray:
    """`target` as integer class indices of shape (n,) in [0, n_classes), or a clear error."""
    target = np.asarray(target)
    if target.shape != (n,):
        raise ValueError(_label_shape_message(target.shape, n, n_classes, fn, arg))
    if target.dtype.kind not in "iu":
        if target.dtype.kind == "f" and n:
            whole = target == np.round(target)  # False for NaN and inf too
            if not whole.all():
                bad = int(np.flatnonzero(~whole)[0])
                kind = "fractional" if np.isfinite(target[bad]) else "non-finite"
                raise ValueError(
                    f"{fn} expects integer class labels in {arg}; got the {kind} label "
                    f"{target[bad]} at index {bad}."
                )
        raise TypeError(
            f"{fn} expects integer class labels in {arg} (e.g. int64); got dtype "
            f"{target.dtype}. Convert with {arg}.astype(np.int64)."
        )
    # One reduction checks both bounds (this runs on every training step): viewed as
    # unsigned integers of the same size, negative labels wrap round to huge values.
    unsigned = _UNSIGNED.get(target.dtype)
    if unsigned is None:  # built once per dtype: building it costs a third of the check
        unsigned = _UNSIGNED[target.dtype] = np.dtype(target.dtype.str.replace("i", "u"))
    if n and np.maximum.reduce(target.view(unsigned)) >= n_classes:  # .max(), no wrapper
        bad = int(np.flatnonzero((target < 0) | (target >= n_classes))[0])
        raise ValueError(
            f"{fn}: the labels in {arg} must lie in [0, {n_classes}) for {n_classes} classes; "
            f"got {target[bad]} at index {bad}."
        )
    return target


def _label_shape_message(shape: tuple, n: int, c: int, fn: str, arg: str) -> str:
    """Why labels of `shape` do not fit (n, c) logits: transposed logits, one-hot, or plainly."""
    if shape == (c,) and c != n:
        return (
            f"{fn}: the logits look transposed: input has shape ({n}, {c}) and {arg} holds {c} "
            f"labels, one per column. Logits must be (batch, n_classes), here ({c}, {n}): "
            "pass input.T."
        )
    if shape == (n, c) and c > 1:
        return (
            f"{fn} takes class indices in {arg}, of shape ({n},); got shape {shape}, one-hot "
            f"or class probabilities. Convert with {arg}.argmax(1) (PyTorch also accepts "
            "probabilities; pybackprop does not)."
        )
    return f"{fn} expects one label per row: {arg} of shape ({n},); got shape {shape}."


def swapped(x, target, fn: str, what: str) -> str | None:
    """The message when x (integer or 1-D) and target (float, 2-D) look passed in swapped."""
    try:
        a, t = np.asarray(x), np.asarray(target)
    except ValueError:  # a ragged list: numpy's own error says so
        return None
    if t.dtype.kind != "f" or t.ndim != 2 or (a.dtype.kind not in "biu" and a.ndim != 1):
        return None
    call = "loss_fn" if fn[0].isupper() else f"F.{fn}"
    first = "log_probs" if what == "log-probabilities" else "logits"
    return (
        f"{fn}: the arguments look swapped: input has dtype {a.dtype} and shape {a.shape}, "
        f"target is float of shape {t.shape}. Pass the {what} first: {call}({first}, target)."
    )


def real(x, fn: str, arg: str) -> float:
    """x as a float if it is one real number (a 0-d array of one too; not a bool), or an error."""
    zero_d = isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf"
    if not (zero_d or isinstance(x, numbers.Real)) or isinstance(x, bool):
        raise TypeError(f"{fn}: {arg} must be a real number; got {x!r}.")
    return float(x)


def generator(rng, fn: str) -> np.random.Generator:
    """``np.random.default_rng(rng)``, or numpy's refusal re-said naming fn's ``rng``."""
    try:
        if isinstance(rng, (bool, np.bool_)):
            raise TypeError
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as err:
        raise type(err)(
            f"{fn}: rng must be a seed (an integer >= 0), a np.random.Generator or None; "
            f"got {rng!r}."
        ) from None


def grad_out_error(grad_out, shape: tuple[int, ...], fn: str) -> Exception:
    """Why grad_out does not fit an output of `shape`: a loss, its type, dtype, else shape."""
    loss = _loss_given(grad_out)
    if loss:
        return TypeError(
            f"{fn}: grad_out must be dL/doutput, an array of the output's shape {shape}; got "
            f"{loss}. Pass loss_fn.backward() (dL/dpred), not the loss: "
            "model.backward(loss_fn.backward())."
        )
    if not isinstance(grad_out, np.ndarray):
        hint = " (np.asarray(grad_out) converts it)" if isinstance(grad_out, list | tuple) else ""
        return TypeError(
            f"{fn}: grad_out must be a numpy array of the output's shape {shape}; got a "
            f"{type(grad_out).__name__}{hint}."
        )
    if grad_out.dtype.kind not in "biuf":
        return TypeError(
            f"{fn}: grad_out must hold real numbers (bool, integer or float); got dtype "
            f"{grad_out.dtype}."
        )
    return ValueError(
        f"{fn}: grad_out must have the output's shape {shape}; got shape {grad_out.shape}."
    )


def _loss_given(grad_out) -> str | None:
    """How to name grad_out if it is a loss (a module, or one real number), else None."""
    if hasattr(grad_out, "bwd") and hasattr(grad_out, "forward"):  # a Module, unimported here
        return f"the module {type(grad_out).__name__} itself"
    if isinstance(grad_out, bool | np.bool_) or not isinstance(grad_out, numbers.Real | np.ndarray):
        return None
    a = np.asarray(grad_out)
    if a.ndim or a.dtype.kind not in "iuf":
        return None
    return f"one number, {float(a):.6g} ({a.dtype}), a loss"
