"""A check for a module written by the learner (chapter 8).

Its backward pass must agree with central differences of its own forward pass.

Any object called as ``module(x)`` whose ``module.backward(grad_out)`` returns dL/dx works: a
``pybackprop.nn.Module`` subclass, or the chapter's own ``Module`` class. For a
``pybackprop.nn.Module`` the parameters' gradients are checked too, and that they accumulate
as in PyTorch: ``.grad`` starts as None, the first backward pass assigns it and later ones add.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .isolate import call_learner, guarded
from .result import CheckResult, FailingCase
from .runner import Case, Mistake, describe, run_check

__all__ = ["check_module"]

# Step of the finite differences, and the 4-point stencil used with it: its error is of
# order eps**4 (nothing) plus rounding of order 1e-16 / eps relative to the loss, well inside
# the float64 tolerance of the comparison.
_EPS = 1e-5


class _Prototype:
    """A module built once per case, copied afresh (float64) for every run."""

    def __init__(self, module: Any):
        self.module = module

    def fresh(self) -> Any:
        module = copy.deepcopy(self.module)
        for p in _parameters(module):
            # float64 for the finite differences, as gradcheck does; no gradient yet, as torch
            p.data = np.array(p.data, dtype=np.float64)
            p.grad = None
        return module

    # The runner copies a case's arguments; a prototype is never modified, so it is its own copy.
    def __deepcopy__(self, memo) -> _Prototype:
        return self

    def __repr__(self) -> str:
        return f"a new {type(self.module).__name__}"


def _named_parameters(module: Any) -> list[tuple[str, Any]]:
    named = getattr(module, "named_parameters", None)
    return list(named()) if callable(named) else []


def _parameters(module: Any) -> list[Any]:
    return [p for _, p in _named_parameters(module)]


def _loss(module: Any, x: np.ndarray, u: np.ndarray) -> float:
    return float(np.sum(np.asarray(module(x), dtype=np.float64) * u))


def _slope(f: Callable[[], float], array: np.ndarray, i: tuple) -> float:
    """d f / d array[i] by the 4-point central difference, nudging array[i] in place."""
    old = array[i]
    values = []
    for step in (2 * _EPS, _EPS, -_EPS, -2 * _EPS):
        array[i] = old + step
        values.append(f())
    array[i] = old
    return (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * _EPS)


def _finite_differences(proto: _Prototype, x: np.ndarray, u: np.ndarray) -> list[np.ndarray]:
    module = proto.fresh()
    grads = []
    for array in (x, *(p.data for p in _parameters(module))):
        g = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            g[i] = _slope(lambda: _loss(module, x, u), array, i)
        grads.append(g)
    return grads


def _numerical_grads(proto: _Prototype, x: np.ndarray, u: np.ndarray) -> list[np.ndarray]:
    """[dL/dx, dL/dparameter, ...] for L = sum(module(x) * u), by finite differences."""
    called = call_learner(_finite_differences, (proto, x, u))  # runs the learner's forward
    if called.error is not None:  # the learner's forward fails: their own run reports it
        arrays = (x, *(p.data for p in _parameters(proto.module)))
        return [np.full(np.shape(a), np.nan) for a in arrays]
    return called.value


def _numerical(proto: _Prototype, x: np.ndarray, u: np.ndarray):
    """The reference: dL/dx alone, or a tuple with the parameters' gradients after it."""
    grads = _numerical_grads(proto, x, u)
    return tuple(grads) if len(grads) > 1 else grads[0]


def _analytical(proto: _Prototype, x: np.ndarray, u: np.ndarray) -> tuple:
    """What the learner's module gives: backward's dL/dx, then every parameter's .grad."""
    module = proto.fresh()
    module(x)
    grad_x = module.backward(u)  # the run's own copy: writing into it shows as a change
    params = _parameters(module)
    return (grad_x, *(_grad(p) for p in params)) if params else grad_x


def _grad(p: Any) -> np.ndarray:
    """A copy of ``p.grad``; zeros if backward left it None, as "parameter_grad_not_filled" says."""
    return np.zeros_like(p.data) if p.grad is None else np.copy(p.grad)


# A module's backward that writes into grad_out changes an array the caller (the next layer's
# backward, or a hook) still holds, as PyTorch's ReLU never does.
_IN_PLACE_FIX = (
    "A module's forward and backward must compute new arrays: grad_out * (x > 0) rather than "
    "grad_out[x <= 0] = 0, and x - shift rather than x -= shift."
)


def _grad_none_exception(exc: BaseException, text: str) -> tuple[str, str] | None:
    """Name the mistake of adding into (or writing into) a ``.grad`` that is still None."""
    if not (isinstance(exc, TypeError) and "NoneType" in text):
        return None
    return (
        "grad_is_none",
        "a parameter's .grad is None until a backward pass fills it (as in PyTorch, where "
        "zero_grad() sets it to None), so `.grad += g` and `.grad[...] = g` fail on the first "
        "pass. Use self.weight.accumulate_grad(g): it assigns the first gradient and adds the "
        "later ones.",
    )


def _is_grad_out(got, want, case) -> bool:
    u = case.args[2]
    return np.shape(got) == u.shape and np.array_equal(np.asarray(got), u)


def _is_masked_by_itself(got, want, case) -> bool:
    u = case.args[2]
    masked = u * (u > 0)
    return np.shape(got) == u.shape and not np.array_equal(masked, u) and np.allclose(got, masked)


def _mistakes(n_params: int) -> list[Mistake]:
    mistakes = [
        Mistake(
            "backward_returns_grad_out",
            "backward returned grad_out unchanged. It should return dL/dx: grad_out "
            "multiplied by this module's local derivative (for a container: grad_out sent "
            "back through every layer, last to first).",
            detect=_is_grad_out,
        ),
        Mistake(
            "relu_mask_from_grad_out",
            "backward returned grad_out * (grad_out > 0): the ReLU mask is taken from the "
            "incoming gradient instead of the input. ReLU lets the gradient through where its "
            "*input* was positive: grad_out * (x > 0), with x saved by the forward pass.",
            detect=_is_masked_by_itself,
        ),
        Mistake(
            "missing_grad_out",
            "this is the local derivative alone (what backward gives for grad_out = 1): "
            "multiply it by grad_out (the chain rule).",
            produce=lambda proto, x, u: _numerical_grads(proto, x, np.ones_like(u))[0],
        ),
        Mistake(
            "wrong_sign",
            "the sign of the input gradient is flipped.",
            produce=lambda proto, x, u: -_numerical_grads(proto, x, u)[0],
        ),
    ]
    for k in range(1, n_params + 1):
        mistakes.append(
            Mistake(
                "parameter_grad_not_filled",
                "the parameter's .grad is still None (or zero) after backward: bwd must add "
                "dL/dparameter into it (self.weight.accumulate_grad(...)), as well as return "
                "the input's gradient.",
                output=k,
                detect=lambda got, want, case: not np.any(got) and np.any(want),
            )
        )
    return mistakes


def _layers(module: Any) -> list[Any]:
    """A container's sub-modules (``module.layers``), or [] for a single layer."""
    layers = getattr(module, "layers", None)
    if not isinstance(layers, (list, tuple)) or len(layers) < 2:
        return []
    return list(layers) if all(hasattr(m, "backward") for m in layers) else []


def _through(order: Callable, chain: bool) -> Callable:
    """What a container's backward gives when it visits ``order(layers)``, chaining or not."""

    def run(proto: _Prototype, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        module = proto.fresh()
        module(x)
        g = u
        for layer in order(_layers(module)):
            out = layer.backward(g)
            g = out if chain else g
        return g if chain else out

    return run


def _container_mistake(diagnosis: str, message: str, run: Callable) -> Mistake:
    # call_learner: the simulation runs the learner's layers, which may raise anything
    return Mistake(diagnosis, message, produce=lambda *args: call_learner(run, args).value)


_FORWARD_ORDER = _through(lambda layers: layers, chain=True)
_NOT_CHAINED = _through(reversed, chain=False)
_CONTAINER_MISTAKES = [
    _container_mistake(
        "layers_not_reversed",
        "backward visits the layers in forward order: the gradient of the output has the "
        "output's shape and goes to the last layer first. Loop over reversed(self.layers).",
        _FORWARD_ORDER,
    ),
    _container_mistake(
        "gradient_not_passed_on",
        "each layer's backward gets the container's grad_out, not the gradient the layer "
        "after it returned: out_g = layer.backward(out_g), so that each result goes on to "
        "the layer before.",
        _NOT_CHAINED,
    ),
]


def _container_exception(result: CheckResult, cases: list[Case]) -> CheckResult:
    """An exception named by the container mistake whose simulation raises the same one."""
    case = cases[result.n_cases - 1]
    for mistake, run in zip(_CONTAINER_MISTAKES, (_FORWARD_ORDER, _NOT_CHAINED), strict=True):
        called = call_learner(run, case.args)
        if called.exception is not None and f"raised {called.text}\n" in result.message + "\n":
            message = f"your function raised {called.text}\n{mistake.explain(case)}"
            return dataclasses.replace(result, diagnosis=mistake.diagnosis, message=message)
    return result


def _cases(
    proto_of: Callable[[], Any], in_features: int | None, seed: int
) -> list[Case] | CheckResult:
    rng = np.random.default_rng(seed)
    shapes = (
        [(3, in_features), (1, in_features), (5, in_features)]
        if in_features
        else [(4, 3), (1, 7), (2, 3, 4)]
    )
    cases = []
    for shape in shapes:
        built = call_learner(proto_of, ())
        if built.error is not None:
            return _failed("building your module", built, shape)
        proto = _Prototype(built.value)
        x = rng.standard_normal(shape)
        ran = call_learner(lambda p=proto, x=x: p.fresh()(x.copy()), ())
        if ran.error is not None:
            return _failed("its forward pass", ran, shape)
        out = ran.value
        if not isinstance(out, np.ndarray) or out.dtype.kind != "f":
            return CheckResult(
                "check_module",
                False,
                f"the forward pass returned {describe(out)}; expected a float numpy array.",
                "wrong_type",
                len(cases) + 1,
                FailingCase(
                    f"x of shape {shape}", (("x", f"shape {shape}"),), "output", None, describe(out)
                ),
            )
        u = rng.standard_normal(out.shape)
        cases.append(
            Case(
                f"x of shape {shape}, output of shape {out.shape}, float64",
                (proto, x, u),
                ("module", "x", "grad_out"),
                np.dtype(np.float64),
            )
        )
    return cases


def _failed(where: str, called, shape) -> CheckResult:
    return CheckResult(
        "check_module",
        False,
        f"{where}: {called.error}",
        called.diagnosis,
        1,
        FailingCase(f"x of shape {shape}", (("x", f"shape {shape}"),)),
        called.line,
    )


def _check_accumulates(case: Case, names: list[str], n_cases: int) -> CheckResult | None:
    """A second forward and backward must add to the parameters' gradients (as in torch)."""
    proto, x, u = case.args

    def twice_and_once():
        module = proto.fresh()
        for _ in range(2):
            module(x.copy())
            module.backward(u.copy())
        return [_grad(p) for p in _parameters(module)], _analytical(proto, x, u)[1:]

    called = call_learner(twice_and_once, ())
    if called.error is not None:
        return CheckResult(
            "check_module",
            False,
            f"a second backward pass: {called.error}",
            called.diagnosis,
            n_cases,
            None,
            called.line,
        )
    twice, once = called.value
    for name, a, b in zip(names, once, twice, strict=True):
        if not np.allclose(b, 2 * a, rtol=1e-7, atol=1e-12):
            replaced = np.allclose(b, a, rtol=1e-7, atol=1e-12)
            message = f"{name}.grad after two forward and backward passes is " + (
                "the same as after one: bwd replaces the gradient "
                f"(self.{name.split('.')[-1]}.grad = ...) instead of adding to it. Gradients "
                "accumulate until zero_grad(): the first pass assigns, later ones add, which "
                f"self.{name.split('.')[-1]}.accumulate_grad(...) does."
                if replaced
                else "not twice the gradient of one pass."
            )
            return CheckResult(
                "check_module",
                False,
                message,
                "grad_not_accumulated",
                n_cases,
                FailingCase(
                    case.description + ", two backward passes",
                    (("x", f"shape {x.shape} float64"),),
                    f"{name}.grad",
                    describe(2 * a),
                    describe(b),
                ),
            )
    return None


@guarded
def check_module(
    make: Callable[[], Any], in_features: int | None = None, seed: int = 0
) -> CheckResult:
    """Check your module's backward pass against finite differences of its own forward pass.

    ``module.backward(grad_out)`` must return dL/dx for ``L = sum(module(x) * grad_out)``; for a
    ``pybackprop.nn.Module`` every parameter's ``.grad`` must also hold dL/dparameter, and
    accumulate over two passes. 3 random inputs, in float64, on a fresh module each run.

    Parameters
    ----------
    make : Callable[[], Any]
        Your module's class, or a function of no arguments that builds one (not a module).
    in_features : int | None
        The input width n_in, for modules that need one (x is then (batch, n_in)); None for
        element-wise modules, which get inputs of several shapes.
    seed : int, default 0
        Chooses the random cases.

    Returns
    -------
    CheckResult
        ``passed``, or the ``diagnosis`` of the first failing case:
        ``"backward_returns_grad_out"``, ``"relu_mask_from_grad_out"``,
        ``"missing_grad_out"``, ``"wrong_sign"``, ``"parameter_grad_not_filled"``,
        ``"grad_not_accumulated"``, ``"grad_is_none"``, ``"passed_instance"``,
        ``"layers_not_reversed"``, ``"gradient_not_passed_on"`` (a container with
        ``.layers``) or a general one.

    See Also
    --------
    pybackprop.nn.Module, pybackprop.gradcheck.gradcheck

    Examples
    --------
    >>> from pybackprop import nn
    >>> from pybackprop.exercises import check_module
    >>> print(check_module(lambda: nn.Linear(4, 3, rng=0), in_features=4).passed)
    True
    """
    if not callable(make):
        return CheckResult(
            "check_module",
            False,
            "check_module needs your class (or a "
            f"function that builds your module); got {describe(make)}. Pass "
            "the class itself, e.g. check_module(Sigmoid).",
            "not_callable",
        )
    if not isinstance(make, type) and hasattr(make, "backward"):
        return CheckResult(
            "check_module",
            False,
            "check_module needs your class (or a "
            "function that builds your module), not a module already built: "
            f"check_module({type(make).__name__}) rather than "
            f"check_module({type(make).__name__}()).",
            "passed_instance",
        )
    cases = _cases(make, in_features, seed)
    if isinstance(cases, CheckResult):
        return cases
    named = _named_parameters(cases[0].args[0].module)
    outputs = ("grad_x", *(f"{name}.grad" for name, _ in named))
    container = _CONTAINER_MISTAKES if _layers(cases[0].args[0].module) else []
    result = run_check(
        "check_module",
        _analytical,
        cases,
        _numerical,
        outputs,
        _mistakes(len(named)) + container,
        explain_exception=_grad_none_exception if named else None,
        in_place_fix=_IN_PLACE_FIX,
    )
    if result.diagnosis == "exception" and container:
        return _container_exception(result, cases)
    if result.passed and named:
        failed = _check_accumulates(cases[0], [name for name, _ in named], len(cases))
        return result if failed is None else failed
    return result
