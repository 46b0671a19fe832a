"""Every check names the usual mistakes, whichever way a learner spells them.

One table of (check, wrong answer as a learner writes it, expected diagnosis): for every check
at least three typical mistakes, each in more than one spelling; every diagnosis a check's
docstring lists is reached by at least one answer; and a message that names a case property
(logits "near 1e3", a first step) names the case that actually failed.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from functools import cache, partial

import numpy as np
import pytest

import pybackprop.nn.functional as F
from pybackprop import nn
from pybackprop.exercises import (
    check_adam_step,
    check_backward_walk,
    check_central_difference,
    check_compare_runs,
    check_cross_entropy,
    check_descent_step,
    check_evaluate,
    check_kaiming_init,
    check_linear_backward,
    check_log_softmax,
    check_logsumexp,
    check_mae_backward,
    check_mlp_backward,
    check_module,
    check_mse_backward,
    check_normalize,
    check_numerical_gradient,
    check_per_class_accuracy,
    check_relu_backward,
    check_relu_features,
    check_relu_interpolation,
    check_sgd_step,
    check_sigmoid_backward,
    check_sign_accuracy,
    check_softmax,
    check_value_backward,
)
from pybackprop.scalar import Value

ROWS: list[tuple[object, str, object, str]] = []  # (check, spelling, answer, diagnosis)


def row(check, diagnosis: str, spelling: str, answer) -> None:
    ROWS.append((check, spelling, answer, diagnosis))


def check_name(check) -> str:
    return check.func.__name__ if isinstance(check, partial) else check.__name__


# ---- finite differences -----------------------------------------------------------------------

C = check_central_difference
row(C, "forward_difference", "(f(x + h) - f(x)) / h", lambda f, x, h: (f(x + h) - f(x)) / h)
row(
    C, "forward_difference", "fx = f(x); ... * (1 / h)", lambda f, x, h: (f(x + h) - f(x)) * (1 / h)
)
row(C, "backward_difference", "(f(x) - f(x - h)) / h", lambda f, x, h: (f(x) - f(x - h)) / h)
row(C, "backward_difference", "(-f(x - h) + f(x)) / h", lambda f, x, h: (-f(x - h) + f(x)) / h)
row(C, "missing_factor_2", "/ h", lambda f, x, h: (f(x + h) - f(x - h)) / h)
row(
    C,
    "missing_factor_2",
    "2 * (...) / (2 * h)",
    lambda f, x, h: 2 * (f(x + h) - f(x - h)) / (2 * h),
)
row(C, "operator_precedence", "/ 2 * h", lambda f, x, h: (f(x + h) - f(x - h)) / 2 * h)
row(
    C,
    "operator_precedence",
    "f(x + h) - f(x - h) / (2 * h)",
    lambda f, x, h: f(x + h) - f(x - h) / (2 * h),
)
row(
    C,
    "wrong_sign",
    "(f(x - h) - f(x + h)) / (2 * h)",
    lambda f, x, h: (f(x - h) - f(x + h)) / (2 * h),
)
row(C, "wrong_sign", "-(...) / (2 * h)", lambda f, x, h: -(f(x + h) - f(x - h)) / (2 * h))
row(C, "returned_none", "starter code", lambda f, x, h: None)
row(C, "exception", "f(x + h, x - h)", lambda f, x, h: f(x + h, x - h))
row(C, "not_callable", "called, not passed", 0.5)


def nudged_gradient(f, x, h, *, forward=False, denominator=2.0):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= 0 if forward else h
        grad[i] = (f(xp) - f(xm)) / (denominator * h)
    return grad


def eye_gradient(f, x, h, *, forward=False, denominator=2.0):
    steps = h * np.eye(len(x))
    low = [x if forward else x - e for e in steps]
    return np.array(
        [(f(x + e) - f(lo)) / (denominator * h) for e, lo in zip(steps, low, strict=True)]
    )


def in_place_gradient(f, x, h):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        x[i] += h
        plus = f(x)
        x[i] -= 2 * h
        grad[i] = (plus - f(x)) / (2 * h)  # x[i] is left at x[i] - h
    return grad


def aliased_gradient(f, x, h):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        xp = x  # not a copy: xp[i] += h changes x
        xp[i] = xp[i] + h
        grad[i] = (f(xp) - f(x - h * np.eye(len(x))[i])) / (2 * h)
    return grad


G = check_numerical_gradient
row(
    G,
    "forward_difference",
    "loop over copies",
    partial(nudged_gradient, forward=True, denominator=1.0),
)
row(G, "forward_difference", "np.eye", partial(eye_gradient, forward=True, denominator=1.0))
row(
    G,
    "nudged_all_at_once",
    "np.full_like",
    lambda f, x, h: np.full_like(x, (f(x + h) - f(x - h)) / (2 * h)),
)
row(
    G,
    "nudged_all_at_once",
    "* np.ones",
    lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h) * np.ones(len(x)),
)
row(G, "missing_factor_2", "loop, / h", partial(nudged_gradient, denominator=1.0))
row(G, "missing_factor_2", "np.eye, / h", partial(eye_gradient, denominator=1.0))
row(G, "modified_input_in_place", "x[i] += h", in_place_gradient)
row(G, "modified_input_in_place", "xp = x (no copy)", aliased_gradient)
row(G, "returned_list", "a list", lambda f, x, h: list(nudged_gradient(f, x, h)))


# ---- the scalar engine ------------------------------------------------------------------------


def value_check(op: str):
    return partial(check_value_backward, op)


def by_backward(op):
    """The local derivatives of ``op(a, b)`` on Values read off backward(), as chapter 2 does."""

    def derivatives(a, b):
        va, vb = Value(a), Value(b)
        op(va, vb).backward()
        return va.grad, vb.grad

    return derivatives


row(value_check("mul"), "swapped_partials", "(a, b)", lambda a, b: (a, b))
row(
    value_check("sub"),
    "graph_cut",
    "Value(a.data - b.data)",
    by_backward(lambda a, b: Value(a.data - b.data)),
)
row(
    value_check("sub"),
    "graph_cut",
    "a + Value(-b.data)",
    by_backward(lambda a, b: a + Value(-b.data)),
)
row(
    value_check("mul"),
    "graph_cut",
    "Value(a.data * b.data)",
    by_backward(lambda a, b: Value(a.data * b.data)),
)
row(
    value_check("div"),
    "graph_cut",
    "a * Value(1 / b.data)",
    by_backward(lambda a, b: a * Value(1 / b.data)),
)
row(value_check("div"), "swapped_partials", "(-a / b**2, 1 / b)", lambda a, b: (-a / b**2, 1 / b))
row(value_check("sub"), "wrong_sign", "(1, 1)", lambda a, b: (1.0, 1.0))
row(value_check("div"), "wrong_sign", "(1 / b, a / b**2)", lambda a, b: (1 / b, a / b**2))
row(value_check("neg"), "wrong_sign", "1", lambda x: 1.0)
row(value_check("log"), "wrong_sign", "-1 / x", lambda x: -1 / x)
row(value_check("tanh"), "returned_forward", "math.tanh", math.tanh)
row(value_check("log"), "returned_forward", "math.log(x)", lambda x: math.log(x))
row(value_check("relu"), "returned_forward", "max(x, 0)", lambda x: max(x, 0.0))
row(value_check("tanh"), "derivative_at_input", "1 - x**2", lambda x: 1 - x**2)
row(value_check("sigmoid"), "derivative_at_input", "x * (1 - x)", lambda x: x * (1 - x))
row(value_check("tanh"), "missing_square", "1 - tanh(x)", lambda x: 1 - math.tanh(x))
row(value_check("div"), "missing_square", "(1 / b, -a / b)", lambda a, b: (1 / b, -a / b))
row(value_check("div"), "missing_square", "(b**-1, -a * b**-1)", lambda a, b: (b**-1, -a * b**-1))
row(value_check("pow"), "missing_factor_n", "x**(n - 1)", lambda x, n: x ** (n - 1))
row(value_check("pow"), "missing_factor_n", "pow(x, n - 1)", lambda x, n: pow(x, n - 1))
row(value_check("pow"), "exponent_not_decreased", "n * x**n", lambda x, n: n * x**n)
row(value_check("pow"), "exponent_not_decreased", "x**n * n", lambda x, n: x**n * n)
row(value_check("exp"), "power_rule_on_exp", "x * exp(x - 1)", lambda x: x * math.exp(x - 1))
row(value_check("exp"), "power_rule_on_exp", "x * e**(x - 1)", lambda x: x * math.e ** (x - 1))
row(value_check("relu"), "wrong_mask", "float(x < 0)", lambda x: float(x < 0))
row(value_check("relu"), "wrong_mask", "1 if x <= 0 else 0", lambda x: 1.0 if x <= 0 else 0.0)
row(
    value_check("tanh"),
    "returned_value_object",
    "1 - Value(x).tanh()**2",
    lambda x: 1 - Value(x).tanh() ** 2,
)
row(value_check("exp"), "returned_value_object", "Value(x).exp()", lambda x: Value(x).exp())


def order(root):
    out, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            for p in v._prev:
                visit(p)
            out.append(v)

    visit(root)
    return out


def walk_with(share, *, skip_shared_leaves=False):
    def walk(root):
        pending, grads = {root: 1.0}, {}
        for node in reversed(order(root)):
            d = pending.get(node, 0.0)
            if not node.parents:
                grads[node.label] = d
            for parent, local in zip(node.parents, node._local_grads, strict=True):
                pending[parent] = share(pending.get(parent, 0.0), d, local)
        if skip_shared_leaves:
            grads.pop("x")
        return grads

    return walk


def walk_updating(root):
    pending, grads = {root: 1.0}, {}
    for node in reversed(order(root)):
        d = pending.get(node, 0.0)
        if not node.parents:
            grads[node.label] = d
        pending.update({p: d * g for p, g in zip(node.parents, node._local_grads, strict=True)})
    return grads


def walk_plus_local(root):
    pending, grads = defaultdict(float), {}
    pending[root] = 1.0
    for node in reversed(order(root)):
        if not node.parents:
            grads[node.label] = pending[node]
        for parent, local in zip(node.parents, node._local_grads, strict=True):
            pending[parent] += local
    return grads


W = check_backward_walk
row(W, "overwrote_shares", "pending[parent] = d * local", walk_with(lambda so_far, d, loc: d * loc))
row(W, "overwrote_shares", "pending.update({...})", walk_updating)
row(
    W,
    "missing_chain_rule",
    "pending.get(parent, 0) + local",
    walk_with(lambda so_far, d, loc: so_far + loc),
)
row(W, "missing_chain_rule", "defaultdict, += local", walk_plus_local)
row(
    W,
    "missing_leaf",
    "x left out",
    walk_with(lambda so_far, d, loc: so_far + d * loc, skip_shared_leaves=True),
)
row(W, "missing_leaf", "an empty dict", lambda root: {})
row(W, "wrong_type", "a list", lambda root: [1.0, 2.0])
row(
    W,
    "wrong_type",
    "Values as values",
    lambda root: {v.label: v for v in order(root) if not v.parents},
)
row(
    W,
    "wrong_values",
    "every grad 1",
    lambda root: {v.label: 1.0 for v in order(root) if not v.parents},
)
row(
    W,
    "wrong_values",
    "the leaves' data",
    lambda root: {v.label: v.data for v in order(root) if not v.parents},
)
row(W, "exception", "root.grads", lambda root: root.grads)


# ---- gradient descent -------------------------------------------------------------------------

D = check_descent_step
row(D, "gradient_ascent", "c + lr * grad", lambda c, lr, t: c + lr * 2 * np.mean(c - t))
row(D, "gradient_ascent", "error as t - c", lambda c, lr, t: c - lr * 2 * np.mean(t - c))
row(D, "missing_factor_2", "mean(c - t)", lambda c, lr, t: c - lr * np.mean(c - t))
row(D, "missing_factor_2", "c - t.mean()", lambda c, lr, t: c - lr * (c - t.mean()))
row(D, "sum_not_mean", "np.sum", lambda c, lr, t: c - lr * 2 * np.sum(c - t))
row(D, "sum_not_mean", ".sum()", lambda c, lr, t: c - lr * (2 * (c - t)).sum())
row(D, "returned_gradient", "2 * mean(c - t)", lambda c, lr, t: 2 * np.mean(c - t))
row(D, "returned_gradient", "2 * (c - t.mean())", lambda c, lr, t: 2 * (c - t.mean()))
row(D, "returned_update", "lr * grad", lambda c, lr, t: lr * 2 * np.mean(c - t))
row(D, "returned_update", "step = ...; return step", lambda c, lr, t: 2 * lr * (c - t).mean())
row(D, "not_updated", "starter: return c", lambda c, lr, t: c)
row(D, "not_updated", "c - lr * 0.0", lambda c, lr, t: c - lr * 0.0)

S = check_sign_accuracy
row(S, "sign_against_0_1_labels", "np.sign(s) == y", lambda s, y: np.mean(np.sign(s) == y))
row(S, "sign_against_0_1_labels", "(np.sign(s) == y).mean()", lambda s, y: (np.sign(s) == y).mean())
row(S, "count_not_fraction", "np.sum", lambda s, y: np.sum((s > 0) == (y == 1)))
row(S, "count_not_fraction", "(...).sum()", lambda s, y: ((s > 0) == y).sum())
row(S, "percent_not_fraction", "100 * mean", lambda s, y: 100 * np.mean((s > 0) == (y == 1)))
row(S, "percent_not_fraction", "mean * 100", lambda s, y: ((s > 0) == y).mean() * 100)
row(S, "returned_error_rate", "!=", lambda s, y: np.mean((s > 0) != (y == 1)))
row(S, "returned_error_rate", "s < 0", lambda s, y: np.mean((s < 0) == (y == 1)))


# ---- backward passes by hand ------------------------------------------------------------------

R = check_relu_backward
row(R, "relu_mask_from_grad_out", "g * (g > 0)", lambda x, g: g * (g > 0))
row(R, "relu_mask_from_grad_out", "np.maximum(g, 0)", lambda x, g: np.maximum(g, 0))
row(
    R,
    "relu_mask_from_grad_out",
    "np.where(g > 0, g, 0)",
    lambda x, g: np.where(g > 0, g, 0).astype(g.dtype),
)
row(R, "missing_relu_mask", "g", lambda x, g: g)
row(R, "missing_relu_mask", "g.copy()", lambda x, g: g.copy())
row(R, "missing_grad_out", "(x > 0).astype", lambda x, g: (x > 0).astype(x.dtype))
row(R, "missing_grad_out", "np.where(x > 0, 1, 0)", lambda x, g: np.where(x > 0, 1.0, 0.0))
row(R, "returned_forward", "relu(x) * g", lambda x, g: np.maximum(x, 0) * g)
row(R, "returned_forward", "relu(x)", lambda x, g: np.maximum(x, 0))
row(R, "wrong_shape", ".sum(0)", lambda x, g: (g * (x > 0)).sum(0))
row(R, "modified_input_in_place", "g[x <= 0] = 0", lambda x, g: (g.__setitem__(x <= 0, 0), g)[1])
row(R, "modified_input_in_place", "g *= x > 0", lambda x, g: np.multiply(g, x > 0, out=g))

L = check_linear_backward


def linear(dx=None, dw=None, db=None):
    def backward(x, w, b, g):
        return (
            dx(x, w, g) if dx else g @ w.T,
            dw(x, g) if dw else x.T @ g,
            db(g) if db else g.sum(0),
        )

    return backward


row(L, "missing_transpose", "g @ w", linear(dx=lambda x, w, g: g @ w))
row(L, "missing_transpose", "g.T @ x", linear(dw=lambda x, g: g.T @ x))
row(L, "missing_transpose", "x @ g", linear(dw=lambda x, g: x @ g))
row(
    L,
    "missing_transpose",
    'einsum("bj,ji->bi")',
    linear(dx=lambda x, w, g: np.einsum("bj,ji->bi", g, w)),
)
row(
    L,
    "missing_transpose",
    'einsum("bo,oi->bi")',
    linear(dx=lambda x, w, g: np.einsum("bo,oi->bi", g, w)),
)
row(L, "bias_not_summed", "g", linear(db=lambda g: g))
row(L, "bias_not_summed", "g.mean(0)", linear(db=lambda g: g.mean(0)))
row(L, "bias_summed_over_wrong_axis", "g.sum(1)", linear(db=lambda g: g.sum(1)))
row(L, "bias_summed_over_wrong_axis", "g.sum(axis=-1)", linear(db=lambda g: g.sum(axis=-1)))
row(L, "weight_gradient_averaged", "/ len(x)", linear(dw=lambda x, g: x.T @ g / len(x)))
row(L, "weight_gradient_averaged", "/ x.shape[0]", linear(dw=lambda x, g: (x.T @ g) / x.shape[0]))
row(L, "wrong_tuple_length", "two values", lambda x, w, b, g: (g @ w.T, x.T @ g))
row(L, "wrong_tuple_length", "a list of two", lambda x, w, b, g: [g @ w.T, x.T @ g])

M = check_mse_backward
row(M, "mse_missing_2_over_n", "p - t", lambda p, t: p - t)
row(M, "mse_missing_2_over_n", "np.subtract(p, t)", lambda p, t: np.subtract(p, t))
row(M, "mse_missing_2", "(p - t) / len(p)", lambda p, t: (p - t) / len(p))
row(M, "mse_missing_2", "(p - t) / p.size", lambda p, t: (p - t) / p.size)
row(M, "mse_missing_1_over_n", "2 * (p - t)", lambda p, t: 2 * (p - t))
row(M, "mse_missing_1_over_n", "2 * p - 2 * t", lambda p, t: 2 * p - 2 * t)
row(M, "wrong_sign", "2 * (t - p) / n", lambda p, t: 2 * (t - p) / len(p))
row(M, "wrong_sign", "-2 * (p - t) / n", lambda p, t: -2 * (p - t) / p.shape[0])
row(M, "returned_mae_gradient", "np.sign(p - t) / n", lambda p, t: np.sign(p - t) / len(p))
row(M, "returned_mae_gradient", "np.sign(p - t) / p.size", lambda p, t: np.sign(p - t) / p.size)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


SG = check_sigmoid_backward
row(SG, "sigmoid_derivative_of_input", "g * x * (1 - x)", lambda x, g: g * x * (1 - x))
row(SG, "sigmoid_derivative_of_input", "x * (1 - x) * g", lambda x, g: x * (1 - x) * g)
row(SG, "missing_grad_out", "s * (1 - s)", lambda x, g: sigmoid(x) * (1 - sigmoid(x)))
row(SG, "missing_grad_out", "s - s**2", lambda x, g: sigmoid(x) - sigmoid(x) ** 2)
row(SG, "returned_forward", "g * s", lambda x, g: g * sigmoid(x))
row(SG, "returned_forward", "s", lambda x, g: sigmoid(x))
row(SG, "wrong_sign", "g * s * (s - 1)", lambda x, g: g * sigmoid(x) * (sigmoid(x) - 1))
row(SG, "wrong_sign", "-g * s * (1 - s)", lambda x, g: -g * sigmoid(x) * (1 - sigmoid(x)))

MA = check_mae_backward
row(MA, "mae_missing_1_over_n", "np.sign(p - t)", lambda p, t: np.sign(p - t))
row(MA, "mae_missing_1_over_n", "np.where(p > t, 1, -1)", lambda p, t: np.where(p > t, 1.0, -1.0))
row(
    MA,
    "mae_sign_at_zero",
    "np.where(p > t, 1, -1) / n",
    lambda p, t: np.where(p > t, 1.0, -1.0) / len(p),
)
row(
    MA,
    "mae_sign_at_zero",
    "np.where(p >= t, 1, -1) / n",
    lambda p, t: np.where(p >= t, 1.0, -1.0) / p.size,
)
row(MA, "wrong_sign", "np.sign(t - p) / n", lambda p, t: np.sign(t - p) / len(p))
row(MA, "wrong_sign", "-np.sign(p - t) / n", lambda p, t: -np.sign(p - t) / p.size)
row(MA, "returned_mse_gradient", "2 * (p - t) / n", lambda p, t: 2 * (p - t) / len(p))
row(MA, "returned_mse_gradient", "(p - t) / n", lambda p, t: (p - t) / len(p))


def mlp(*, loss="2 * d / n", mask="l > 0", relu_last=False, spelling=0, bad_matmul=False):
    """A learner's mlp_backward: lin, relu, lin, relu, lin and the MSE, with one slip."""

    def relu_grad(g, pre):
        if mask == "none":
            return g
        if mask == "g > 0":
            return g * (g > 0) if spelling == 0 else np.maximum(g, 0)
        return g * (pre > 0)

    def backward(x, target, w1, b1, w2, b2, w3, b3):
        n = len(target)
        l1 = x @ w1 + b1
        h1 = np.maximum(l1, 0)
        l2 = h1 @ w2 + b2
        h2 = np.maximum(l2, 0)
        out = h2 @ w3 + b3
        if relu_last:
            pre, out = out, (np.maximum(out, 0) if spelling == 0 else out * (out > 0))
        d = out - target[:, None] if spelling == 0 else (out.squeeze(-1) - target)[:, None]
        g = {"2 * d / n": 2 * d / n, "d": d, "d / n": d / n, "2 * d": 2 * d}[loss]
        if relu_last:
            g = g * (pre > 0)
        gw3 = h2 @ g if bad_matmul and spelling == 0 else h2.T @ g
        gb3 = g.sum(0)
        g = relu_grad(g @ w3 if bad_matmul and spelling == 1 else g @ w3.T, l2)
        gw2, gb2 = h1.T @ g, g.sum(0)
        g = relu_grad(g @ w2.T, l1)
        return x.T @ g, g.sum(0), gw2, gb2, gw3, gb3

    return backward


ML = check_mlp_backward
for k in (0, 1):
    row(ML, "mse_missing_2_over_n", f"g = out - target ({k})", mlp(loss="d", spelling=k))
    row(ML, "mse_missing_2", f"g = (out - target) / n ({k})", mlp(loss="d / n", spelling=k))
    row(ML, "mse_missing_1_over_n", f"g = 2 * (out - target) ({k})", mlp(loss="2 * d", spelling=k))
    row(ML, "missing_relu_backward", f"no mask ({k})", mlp(mask="none", spelling=k))
    row(ML, "relu_mask_from_grad_out", f"mask g > 0 ({k})", mlp(mask="g > 0", spelling=k))
    row(ML, "relu_after_last_layer", f"relu on the output ({k})", mlp(relu_last=True, spelling=k))
    row(
        ML,
        "shape_mismatch",
        f"a matmul of the wrong shapes ({k})",
        mlp(bad_matmul=True, spelling=k),
    )


# ---- modules ----------------------------------------------------------------------------------


class Sigmoid:
    def __call__(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, grad_out):
        return grad_out * self.out * (1 - self.out)


class Relu:
    def __call__(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, grad_out):
        return grad_out * (self.x > 0)


class Lin:
    def __init__(self, n_in, n_out, seed):
        rng = np.random.default_rng(seed)
        self.w, self.b = rng.standard_normal((n_in, n_out)), rng.standard_normal(n_out)

    def __call__(self, x):
        self.x = x
        return x @ self.w + self.b

    def backward(self, grad_out):
        return grad_out @ self.w.T


class Seq:
    """A container of layers, as chapter 8's Sequential: 4 -> 3 -> ReLU -> 2."""

    def __init__(self):
        self.layers = [Lin(4, 3, 1), Relu(), Lin(3, 2, 2)]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out


def in_forward_order(self, g):
    for layer in self.layers:
        g = layer.backward(g)
    return g


def by_index(self, g):
    for i in range(len(self.layers)):
        g = self.layers[i].backward(g)
    return g


def not_chained(self, g):
    for layer in reversed(self.layers):
        layer.backward(g)
    return g


def last_result(self, g):
    for layer in self.layers[::-1]:
        out = layer.backward(g)
    return out


def module(base, backward):
    """``base`` with its backward replaced by ``backward(self, grad_out)``."""
    return type(f"Wrong{base.__name__}", (base,), {"backward": backward})


class LinearSum(nn.Module):
    """x @ w, with a hand-written bwd whose parameter gradient is one of the slips."""

    slip = ""

    def __init__(self):
        self.weight = nn.Parameter(np.random.default_rng(0).standard_normal((4, 3)))

    def forward(self, x):
        return x @ self.weight.data

    def bwd(self, grad_out, x):
        if self.slip == "=":
            self.weight.grad = x.T @ grad_out
        elif self.slip == "[...] =":
            self.weight.grad[...] = x.T @ grad_out
        elif self.slip == "+=":
            self.weight.grad += x.T @ grad_out
        elif self.slip == "if None":  # torch's rule written out: right
            g = x.T @ grad_out
            self.weight.grad = g if self.weight.grad is None else self.weight.grad + g
        elif self.slip != "forgotten":
            self.weight.accumulate_grad(x.T @ grad_out)
        return grad_out @ self.weight.data.T


def linear_with(slip):
    return type(f"Linear{slip}", (LinearSum,), {"slip": slip})


MO = check_module
MO4 = partial(check_module, in_features=4)
row(MO, "backward_returns_grad_out", "return grad_out", module(Sigmoid, lambda self, g: g))
row(
    MO,
    "backward_returns_grad_out",
    "return grad_out.copy()",
    module(Relu, lambda self, g: g.copy()),
)
row(MO, "relu_mask_from_grad_out", "g * (g > 0)", module(Relu, lambda self, g: g * (g > 0)))
row(
    MO,
    "relu_mask_from_grad_out",
    "np.maximum(g, 0)",
    module(Relu, lambda self, g: np.maximum(g, 0)),
)
row(
    MO,
    "missing_grad_out",
    "s * (1 - s)",
    module(Sigmoid, lambda self, g: self.out * (1 - self.out)),
)
row(MO, "missing_grad_out", "(x > 0) * 1.0", module(Relu, lambda self, g: (self.x > 0) * 1.0))
row(
    MO,
    "wrong_sign",
    "g * s * (s - 1)",
    module(Sigmoid, lambda self, g: g * self.out * (self.out - 1)),
)
row(MO, "wrong_sign", "-g * (x > 0)", module(Relu, lambda self, g: -g * (self.x > 0)))
row(MO4, "parameter_grad_not_filled", "no weight.grad", linear_with("forgotten"))
row(
    MO4,
    "parameter_grad_not_filled",
    "a Sequential of it",
    lambda: nn.Sequential(linear_with("forgotten")()),
)
row(MO4, "grad_not_accumulated", "weight.grad = ...", linear_with("="))
row(MO4, "grad_is_none", "weight.grad[...] = ...", linear_with("[...] ="))
row(MO4, "grad_is_none", "weight.grad += ...", linear_with("+="))
row(
    MO,
    "modified_input_in_place",
    "grad_out[x <= 0] = 0",
    module(Relu, lambda self, g: (g.__setitem__(self.x <= 0, 0), g)[1]),
)
row(
    MO,
    "modified_input_in_place",
    "grad_out *= x > 0",
    module(Relu, lambda self, g: np.multiply(g, self.x > 0, out=g)),
)
row(MO4, "layers_not_reversed", "for layer in self.layers", module(Seq, in_forward_order))
row(MO4, "layers_not_reversed", "range(len(self.layers))", module(Seq, by_index))
row(MO4, "gradient_not_passed_on", "layer.backward(g) dropped", module(Seq, not_chained))
row(MO4, "gradient_not_passed_on", "out = layer.backward(g)", module(Seq, last_result))
row(MO, "passed_instance", "Sigmoid()", Sigmoid())
row(MO, "passed_instance", "nn.ReLU()", nn.ReLU())
row(MO, "not_callable", "None", None)
row(
    MO,
    "exception",
    "a forward that fails",
    lambda: module(Relu, lambda self, g: g)().no_such_method,
)


# ---- ReLU pieces ------------------------------------------------------------------------------


def features(pieces, *, first="1, x", stack="column_stack"):
    def relu_features(x, knots):
        columns = {"1, x": [np.ones_like(x), x], "1": [np.ones_like(x)], "x": [x]}[first]
        relus = pieces(x, knots)
        if stack == "column_stack":
            return np.column_stack([*columns, relus])
        if stack == "hstack":
            return np.hstack([np.stack(columns, 1), relus.reshape(len(x), -1)])
        return np.vstack([*columns, relus.T])  # rows: the transpose

    return relu_features


def grid(x, c):
    return x[:, None] - c[None, :]


RF = check_relu_features
RF0 = partial(check_relu_features, line=False)
for stack in ("column_stack", "hstack"):
    row(RF, "knot_sign", stack, features(lambda x, c: np.maximum(x[:, None] + c, 0), stack=stack))
    row(RF, "relu_reversed", stack, features(lambda x, c: np.maximum(-grid(x, c), 0), stack=stack))
    row(RF, "missing_relu", stack, features(grid, stack=stack))
    row(
        RF,
        "missing_intercept",
        stack,
        features(lambda x, c: np.maximum(grid(x, c), 0), first="x", stack=stack),
    )
    row(
        RF,
        "missing_line_column",
        stack,
        features(lambda x, c: np.maximum(grid(x, c), 0), first="1", stack=stack),
    )
    row(
        RF0,
        "extra_line_column",
        stack,
        features(lambda x, c: np.maximum(grid(x, c), 0), stack=stack),
    )
row(
    RF,
    "knots_not_broadcast",
    "np.maximum(x - knots, 0)",
    features(lambda x, c: np.maximum(x - c, 0)),
)
row(
    RF, "knots_not_broadcast", "(x - knots) * (x > knots)", features(lambda x, c: (x - c) * (x > c))
)
row(RF, "transposed", "np.vstack", features(lambda x, c: np.maximum(grid(x, c), 0), stack="vstack"))
row(
    RF,
    "transposed",
    ".T of the right one",
    lambda x, c: features(lambda x, c: np.maximum(grid(x, c), 0))(x, c).T,
)


def interpolation(*, rise_only=False, slip=""):
    def fit(xs, ys):
        slopes = np.diff(ys) if rise_only else np.diff(ys) / np.diff(xs)
        w = slopes[0]
        b = ys[0] if slip == "b = ys[0]" else ys[0] - w * xs[0]
        a = {
            "": np.diff(slopes),
            "slopes": slopes[1:],
            "reversed": slopes[:-1] - slopes[1:],
            "all knots": np.diff(np.concatenate([[0.0], slopes])),
            "one short": np.diff(slopes)[:-1],
        }.get(slip, np.diff(slopes))
        return np.concatenate([[b, w], a])

    return fit


def interpolation_loop(*, slip=""):
    def fit(xs, ys):
        slopes = [(ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) for i in range(len(xs) - 1)]
        params = [ys[0] if slip == "b = ys[0]" else ys[0] - slopes[0] * xs[0], slopes[0]]
        for j in range(1, len(slopes)):
            change = {"slopes": slopes[j], "reversed": slopes[j - 1] - slopes[j]}
            params.append(change.get(slip, slopes[j] - slopes[j - 1]))
        return np.array(params, dtype=xs.dtype)

    return fit


RI = check_relu_interpolation
row(RI, "slopes_not_changes", "slopes[1:]", interpolation(slip="slopes"))
row(RI, "slopes_not_changes", "loop", interpolation_loop(slip="slopes"))
row(RI, "changes_reversed", "slopes[:-1] - slopes[1:]", interpolation(slip="reversed"))
row(RI, "changes_reversed", "loop", interpolation_loop(slip="reversed"))
row(RI, "rise_not_slope", "np.diff(ys)", interpolation(rise_only=True))
row(
    RI,
    "rise_not_slope",
    "np.diff(ys) with its b",
    lambda xs, ys: interpolation(rise_only=True)(xs, ys),
)
row(RI, "intercept_at_first_point", "b = ys[0]", interpolation(slip="b = ys[0]"))
row(RI, "intercept_at_first_point", "loop", interpolation_loop(slip="b = ys[0]"))
row(RI, "wrong_knots", "a knot at the first point", interpolation(slip="all knots"))
row(RI, "wrong_knots", "one knot short", interpolation(slip="one short"))


# ---- softmax and its losses -------------------------------------------------------------------


def stable_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def naive_softmax(x):
    return np.exp(x) / np.exp(x).sum(-1, keepdims=True)


def lse2d(x, *, axis):
    """A logsumexp written for (batch, n) only: over axis 1, kept."""
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def lse(x, *, m=None, keepdims=True):
    m = x.max(-1, keepdims=True) if m is None else m
    out = m + np.log(np.exp(x - m).sum(-1, keepdims=True))
    return out if keepdims else out[..., 0]


SM = check_softmax
row(SM, "no_max_subtracted", "np.exp(x) / sum", naive_softmax)
row(
    SM,
    "no_max_subtracted",
    "np.sum(..., axis=1)",
    lambda x: np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True),
)
row(SM, "global_max_subtracted", "x - x.max()", lambda x: naive_softmax(x - x.max()))
row(
    SM,
    "global_max_subtracted",
    "x - np.max(x)",
    lambda x: np.exp(x - np.max(x)) / np.exp(x - np.max(x)).sum(1, keepdims=True),
)
row(SM, "missing_keepdims", "e / e.sum(-1)", lambda x: np.exp(x) / np.exp(x).sum(-1))
row(
    SM,
    "missing_keepdims",
    "e / e.sum(axis=1), stable",
    lambda x: np.exp(x - x.max()) / np.exp(x - x.max()).sum(axis=1),
)
row(SM, "wrong_axis", "sum over axis 0", lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True))
row(SM, "wrong_axis", "sum over everything", lambda x: np.exp(x) / np.exp(x).sum())
row(
    SM, "two_d_only", "exp(x - lse[:, None])", lambda x: np.exp(x - lse(x, keepdims=False)[:, None])
)
row(SM, "two_d_only", "exp(x - lse over axis=1)", lambda x: np.exp(x - lse2d(x, axis=1)))

LS = check_log_softmax
row(LS, "log_of_softmax", "np.log(stable softmax)", lambda x: np.log(stable_softmax(x)))
row(LS, "log_of_softmax", "np.log(F.softmax(x))", lambda x: np.log(F.softmax(x)))
row(
    LS,
    "no_max_subtracted",
    "x - log(sum(exp(x)))",
    lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
)
row(LS, "no_max_subtracted", "np.log(naive softmax)", lambda x: np.log(naive_softmax(x)))
row(LS, "global_max_subtracted", "lse with x.max()", lambda x: x - lse(x, m=x.max()))
row(
    LS,
    "global_max_subtracted",
    "lse with np.max(x)",
    lambda x: x - (np.max(x) + np.log(np.sum(np.exp(x - np.max(x)), axis=1, keepdims=True))),
)
row(LS, "returned_softmax", "stable softmax", stable_softmax)
row(LS, "returned_softmax", "F.softmax", F.softmax)
row(LS, "missing_keepdims", "x - lse(x)[:, 0]", lambda x: x - lse(x, keepdims=False))
row(LS, "missing_keepdims", "x - F.logsumexp(x)", lambda x: x - F.logsumexp(x))
row(LS, "wrong_axis", "over axis 0", lambda x: x - np.log(np.exp(x).sum(0, keepdims=True)))
row(LS, "wrong_axis", "F.log_softmax(x, dim=0)", lambda x: F.log_softmax(x, dim=0))
row(LS, "two_d_only", "x - lse(x)[:, None]", lambda x: x - lse(x, keepdims=False)[:, None])
row(LS, "two_d_only", "x - m - log(sum(axis=1))", lambda x: x - lse2d(x, axis=1))

LE = check_logsumexp
row(LE, "no_max_subtracted", "np.log(np.exp(x).sum(-1))", lambda x: np.log(np.exp(x).sum(-1)))
row(
    LE,
    "no_max_subtracted",
    "np.log(np.sum(np.exp(x), axis=1))",
    lambda x: np.log(np.sum(np.exp(x), axis=1)),
)
row(
    LE,
    "max_not_added_back",
    "log(sum(exp(x - m)))",
    lambda x: np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1)),
)
row(
    LE,
    "max_not_added_back",
    "m[:, None]",
    lambda x: np.log(np.sum(np.exp(x - x.max(1)[:, None]), axis=1)),
)
row(LE, "global_max_subtracted", "m = x.max()", lambda x: lse(x, m=x.max(), keepdims=False))
row(
    LE,
    "global_max_subtracted",
    "m = np.max(x)",
    lambda x: np.max(x) + np.log(np.exp(x - np.max(x)).sum(1)),
)
row(
    LE,
    "missing_keepdims",
    "m = x.max(-1)",
    lambda x: x.max(-1) + np.log(np.exp(x - x.max(-1)).sum(-1)),
)
row(
    LE,
    "missing_keepdims",
    "m = np.max(x, axis=1)",
    lambda x: np.max(x, axis=1) + np.log(np.sum(np.exp(x - np.max(x, axis=1)), axis=1)),
)
row(LE, "wrong_axis", "over axis 0", lambda x: x.max(0) + np.log(np.exp(x - x.max(0)).sum(0)))
row(LE, "wrong_axis", "F.logsumexp(x, dim=0)", lambda x: F.logsumexp(x, dim=0))
row(
    LE,
    "two_d_only",
    "m[:, None] (the review's answer)",
    lambda x: x.max(-1) + np.log(np.exp(x - x.max(-1)[:, None]).sum(-1)),
)
row(LE, "two_d_only", "axis=1", lambda x: lse2d(x, axis=1)[:, 0])


def log_probs(x):
    return x - lse(x)


def rows_of(x, t):
    return log_probs(x)[np.arange(len(t)), t]


CE = check_cross_entropy
row(
    CE,
    "log_of_softmax",
    "-np.log(softmax)[range(n), t].mean()",
    lambda x, t: -np.log(stable_softmax(x))[range(len(t)), t].mean(),
)
row(
    CE,
    "log_of_softmax",
    "probs[...]; -np.mean(np.log(p))",
    lambda x, t: -np.mean(np.log(stable_softmax(x)[np.arange(len(t)), t])),
)
row(
    CE,
    "no_max_subtracted",
    "naive log-sum-exp",
    lambda x, t: -(x - np.log(np.exp(x).sum(-1, keepdims=True)))[np.arange(len(t)), t].mean(),
)
row(
    CE,
    "no_max_subtracted",
    "-log(naive softmax)",
    lambda x, t: -np.log(naive_softmax(x)[np.arange(len(t)), t]).mean(),
)
row(
    CE,
    "global_max_subtracted",
    "lse with x.max()",
    lambda x, t: -(x - lse(x, m=x.max()))[np.arange(len(t)), t].mean(),
)
row(
    CE,
    "global_max_subtracted",
    "lse with np.max(x)",
    lambda x, t: np.mean(lse(x, m=np.max(x))[:, 0] - x[np.arange(len(t)), t]),
)
row(CE, "index_mixup", "log_probs[t]", lambda x, t: -log_probs(x)[t].mean())
row(CE, "index_mixup", "log_probs[:, t]", lambda x, t: -log_probs(x)[:, t].mean())
row(
    CE,
    "index_mixup",
    "log_probs[t, range(n)]",
    lambda x, t: -log_probs(x)[t, np.arange(len(t))].mean(),
)
row(CE, "sum_instead_of_mean", ".sum()", lambda x, t: -rows_of(x, t).sum())
row(CE, "sum_instead_of_mean", "np.sum", lambda x, t: -np.sum(rows_of(x, t)))
row(
    CE,
    "mean_over_all_entries",
    "(lp * one_hot).mean()",
    lambda x, t: -(log_probs(x) * F.one_hot(t, x.shape[1])).mean(),
)
row(
    CE,
    "mean_over_all_entries",
    "np.eye one-hot",
    lambda x, t: -np.mean(log_probs(x) * np.eye(x.shape[1])[t]),
)
row(CE, "not_averaged", "one loss per row", lambda x, t: -rows_of(x, t))
row(
    CE,
    "not_averaged",
    "a list comprehension",
    lambda x, t: -np.array([log_probs(x)[i, t[i]] for i in range(len(t))]),
)
row(CE, "missing_log_softmax", "logits as log-probs", lambda x, t: -x[np.arange(len(t)), t].mean())
row(CE, "missing_log_softmax", "np.mean(-x[...])", lambda x, t: np.mean(-x[range(len(t)), t]))
row(CE, "wrong_sign", "+ mean", lambda x, t: rows_of(x, t).mean())
row(CE, "wrong_sign", "np.mean without -", lambda x, t: np.mean(rows_of(x, t)))


# ---- training ---------------------------------------------------------------------------------


def kaiming(std, *, shape="in, out", draw="normal"):
    def init(n_in, n_out, rng):
        size = (n_in, n_out) if shape == "in, out" else (n_out, n_in)
        s = std(n_in, n_out)
        if draw == "uniform":
            return rng.uniform(-s * math.sqrt(3), s * math.sqrt(3), size)
        return rng.standard_normal(size) * s

    return init


def right_std(n_in, n_out):
    return math.sqrt(2 / n_in)


K = check_kaiming_init
row(K, "missing_transpose", "(n_out, n_in)", kaiming(right_std, shape="out, in"))
row(
    K,
    "missing_transpose",
    "(n_out, n_in), uniform",
    kaiming(right_std, shape="out, in", draw="uniform"),
)
row(
    K,
    "ignores_rng",
    "np.random.randn",
    lambda n_in, n_out, rng: np.random.randn(n_in, n_out) * math.sqrt(2 / n_in),  # noqa: NPY002
)
row(
    K,
    "ignores_rng",
    "a new default_rng()",
    lambda n_in, n_out, rng: np.random.default_rng().normal(0, math.sqrt(2 / n_in), (n_in, n_out)),
)
row(
    K,
    "ignores_rng",
    "its own default_rng(0)",
    lambda n_in, n_out, rng: np.random.default_rng(0).normal(0, math.sqrt(2 / n_in), (n_in, n_out)),
)
row(
    K,
    "ignores_rng",
    "default_rng(seed=42).standard_normal",
    lambda n_in, n_out, rng: (
        np.random.default_rng(seed=42).standard_normal((n_in, n_out)) * math.sqrt(2 / n_in)
    ),
)
row(K, "integer_division", "sqrt(2 // n_in)", kaiming(lambda i, o: math.sqrt(2 // i)))
row(
    K,
    "integer_division",
    "uniform, np.sqrt(6 // n_in)",
    lambda n_in, n_out, rng: rng.uniform(-1, 1, (n_in, n_out)) * np.sqrt(6 // n_in),
)
row(
    K,
    "integer_division",
    "normal(0, (2 // n_in) ** 0.5)",
    lambda n_in, n_out, rng: rng.normal(0, (2 // n_in) ** 0.5, (n_in, n_out)),
)
row(K, "constant_weights", "np.zeros", lambda n_in, n_out, rng: np.zeros((n_in, n_out)))
row(K, "constant_weights", "np.full", lambda n_in, n_out, rng: np.full((n_in, n_out), 0.1))
row(
    K,
    "constant_weights",
    "np.ones * std",
    lambda n_in, n_out, rng: np.ones((n_in, n_out)) * math.sqrt(2 / n_in),
)
row(
    K,
    "nonzero_mean",
    "rng.random",
    lambda n_in, n_out, rng: rng.random((n_in, n_out)) * math.sqrt(2 / n_in),
)
row(
    K,
    "nonzero_mean",
    "rng.uniform(0, 1)",
    lambda n_in, n_out, rng: rng.uniform(0, 1, (n_in, n_out)),
)
row(K, "fan_out_instead_of_fan_in", "sqrt(2 / n_out)", kaiming(lambda i, o: math.sqrt(2 / o)))
row(
    K,
    "fan_out_instead_of_fan_in",
    "uniform, sqrt(6 / n_out)",
    kaiming(lambda i, o: math.sqrt(2 / o), draw="uniform"),
)
row(K, "missing_factor_2", "sqrt(1 / n_in)", kaiming(lambda i, o: math.sqrt(1 / i)))
row(
    K,
    "missing_factor_2",
    "/ np.sqrt(n_in)",
    lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out)) / np.sqrt(n_in),
)
row(
    K,
    "xavier_instead_of_kaiming",
    "sqrt(2 / (n_in + n_out))",
    kaiming(lambda i, o: math.sqrt(2 / (i + o))),
)
row(
    K,
    "xavier_instead_of_kaiming",
    "uniform Glorot",
    kaiming(lambda i, o: math.sqrt(2 / (i + o)), draw="uniform"),
)
row(
    K,
    "uniform_bound_as_std",
    "uniform(-a, a), a = sqrt(2 / n_in)",
    lambda n_in, n_out, rng: rng.uniform(-math.sqrt(2 / n_in), math.sqrt(2 / n_in), (n_in, n_out)),
)
row(
    K,
    "uniform_bound_as_std",
    "(2 * rng.random - 1) * a",
    lambda n_in, n_out, rng: (2 * rng.random((n_in, n_out)) - 1) * math.sqrt(2 / n_in),
)
row(K, "variance_instead_of_std", "* 2 / n_in", kaiming(lambda i, o: 2 / i))
row(
    K,
    "variance_instead_of_std",
    "normal(0, 2 / n_in)",
    lambda n_in, n_out, rng: rng.normal(0, 2 / n_in, (n_in, n_out)),
)
row(
    K,
    "not_scaled",
    "rng.standard_normal",
    lambda n_in, n_out, rng: rng.standard_normal((n_in, n_out)),
)
row(K, "not_scaled", "rng.normal(0, 1)", lambda n_in, n_out, rng: rng.normal(0, 1, (n_in, n_out)))
row(K, "wrong_std", "* 0.03", kaiming(lambda i, o: 0.03))
row(K, "wrong_shape", "(n_in,)", lambda n_in, n_out, rng: rng.standard_normal(n_in))


def normalize(*, stats=lambda xt, xv: (xt.mean(), xt.std()), valid="", order="(x - m) / s"):
    def fn(x_train, x_valid):
        m, s = stats(x_train, x_valid)
        if order == "x / s - m":
            return x_train / s - m, x_valid / s - m
        train = (x_train - m) / s
        if valid == "own":
            return train, (x_valid - x_valid.mean()) / x_valid.std()
        if valid == "unchanged":
            return train, x_valid
        if valid == "train unchanged":
            return x_train, (x_valid - m) / s
        return train, (x_valid - m) / s

    return fn


def normalize_in_place(x_train, x_valid):
    m, s = x_train.mean(), x_train.std()
    x_train -= m
    x_train /= s
    return x_train, (x_valid - m) / s


NZ = check_normalize
both = lambda xt, xv: np.concatenate([xt, xv])  # noqa: E731
row(NZ, "valid_own_statistics", "x_valid.mean()", normalize(valid="own"))
row(
    NZ,
    "valid_own_statistics",
    "a helper called twice",
    lambda xt, xv: tuple((x - x.mean()) / x.std() for x in (xt, xv)),
)
row(NZ, "valid_not_normalised", "x_valid", normalize(valid="unchanged"))
row(
    NZ,
    "valid_not_normalised",
    "x_valid.copy()",
    lambda xt, xv: ((xt - xt.mean()) / xt.std(), xv.copy()),
)
row(NZ, "train_not_normalised", "x_train", normalize(valid="train unchanged"))
row(
    NZ,
    "train_not_normalised",
    "x_train.copy()",
    lambda xt, xv: (xt.copy(), (xv - xt.mean()) / xt.std()),
)
row(
    NZ,
    "statistics_include_valid",
    "np.concatenate",
    normalize(stats=lambda xt, xv: (both(xt, xv).mean(), both(xt, xv).std())),
)
row(
    NZ,
    "statistics_include_valid",
    "np.vstack",
    normalize(stats=lambda xt, xv: (np.vstack([xt, xv]).mean(), np.vstack([xt, xv]).std())),
)
row(NZ, "per_feature_statistics", "axis=0", normalize(stats=lambda xt, xv: (xt.mean(0), xt.std(0))))
row(
    NZ,
    "per_feature_statistics",
    "keepdims",
    normalize(stats=lambda xt, xv: (xt.mean(0, keepdims=True), xt.std(0, keepdims=True))),
)
row(NZ, "sample_std", "ddof=1", normalize(stats=lambda xt, xv: (xt.mean(), xt.std(ddof=1))))
row(
    NZ,
    "sample_std",
    "np.std(ddof=1)",
    normalize(stats=lambda xt, xv: (np.mean(xt), np.std(xt, ddof=1))),
)
row(NZ, "not_divided_by_std", "x - m", normalize(stats=lambda xt, xv: (xt.mean(), 1.0)))
row(
    NZ,
    "not_divided_by_std",
    "np.subtract",
    lambda xt, xv: (np.subtract(xt, xt.mean()), np.subtract(xv, xt.mean())),
)
row(NZ, "mean_not_subtracted", "x / s", normalize(stats=lambda xt, xv: (0.0, xt.std())))
row(
    NZ,
    "mean_not_subtracted",
    "np.divide",
    lambda xt, xv: (np.divide(xt, xt.std()), np.divide(xv, xt.std())),
)
row(NZ, "divided_by_variance", "x.var()", normalize(stats=lambda xt, xv: (xt.mean(), xt.var())))
row(NZ, "divided_by_variance", "std**2", normalize(stats=lambda xt, xv: (xt.mean(), xt.std() ** 2)))
row(NZ, "mean_subtracted_after_dividing", "x / s - m", normalize(order="x / s - m"))
row(
    NZ,
    "mean_subtracted_after_dividing",
    "x / s - x.mean()",
    lambda xt, xv: tuple(x / xt.std() - xt.mean() for x in (xt, xv)),
)
row(NZ, "modified_input_in_place", "x_train -= m", normalize_in_place)


def sgd(*, velocity="m * v + g", step="p - lr * v_new", in_place=False):
    def sgd_step(param, grad, v, lr, m):
        v_new = {
            "m * v + g": m * v + grad,
            "m * v + (1 - m) * g": m * v + (1 - m) * grad,
            "m * v - lr * g": m * v - lr * grad,
            "m * v + lr * g": m * v + lr * grad,
        }[velocity]
        if in_place:
            param -= lr * v_new
            return param, v_new
        new_param = {
            "p - lr * v_new": param - lr * v_new,
            "p + v_new": param + v_new,
            "p - v_new": param - v_new,
            "p + lr * v_new": param + lr * v_new,
            "p - lr * g": param - lr * grad,
            "p - lr * v": param - lr * v,
            "p": param,
        }[step]
        return new_param, v_new

    return sgd_step


def sgd_returning_the_argument(param, grad, velocity, lr, momentum):
    new_velocity = momentum * velocity + grad
    return param - lr * new_velocity, velocity


def sgd_loop(param, grad, v, lr, m):
    v = v.copy()
    for i in np.ndindex(v.shape):
        v[i] = m * v[i] + (1 - m) * grad[i]
    return param - lr * v, v


SGD = check_sgd_step
row(SGD, "dampened_momentum", "(1 - m) * g", sgd(velocity="m * v + (1 - m) * g"))
row(SGD, "dampened_momentum", "a loop", sgd_loop)
row(
    SGD,
    "lr_inside_velocity",
    "v = m*v - lr*g; p + v",
    sgd(velocity="m * v - lr * g", step="p + v_new"),
)
row(
    SGD,
    "lr_inside_velocity",
    "v = m*v + lr*g; p - v",
    sgd(velocity="m * v + lr * g", step="p - v_new"),
)
row(SGD, "wrong_sign", "p + lr * v", sgd(step="p + lr * v_new"))
row(
    SGD,
    "wrong_sign",
    "p += lr * v, on a copy",
    lambda p, g, v, lr, m: (p + lr * (m * v + g), m * v + g),
)
row(SGD, "momentum_ignored", "p - lr * g", sgd(step="p - lr * g"))
row(
    SGD,
    "momentum_ignored",
    "p - lr * g, v unchanged",
    lambda p, g, v, lr, m: (p - lr * g, m * v + g),
)
row(SGD, "velocity_updated_after_step", "step with the old v", sgd(step="p - lr * v"))
row(
    SGD,
    "velocity_updated_after_step",
    "p_new first",
    lambda p, g, v, lr, m: (p - lr * v, m * v + g),
)
row(SGD, "velocity_not_updated", "return velocity, the argument", sgd_returning_the_argument)
row(
    SGD,
    "velocity_not_updated",
    "return the velocity given",
    lambda p, g, v, lr, m: (p - lr * (m * v + g), v),
)
row(SGD, "not_updated", "return param", sgd(step="p"))
row(SGD, "not_updated", "starter code", lambda p, g, v, lr, m: (p, v))
row(SGD, "modified_input_in_place", "param -= lr * v", sgd(in_place=True))
row(SGD, "wrong_tuple_length", "only the param", lambda p, g, v, lr, m: p - lr * (m * v + g))


def adam(
    *, second=np.square, correct=True, t_shift=0, swap=False, sign=1.0, corrected_out="", times=""
):
    def adam_step(param, grad, m, v, t, lr, betas, eps):
        b1, b2 = betas[::-1] if swap else betas
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * second(grad)
        tt = t + t_shift
        m_hat = (m / (1 - b1 * tt if "m" in times else 1 - b1**tt)) if correct else m
        v_hat = (v / (1 - b2 * tt if "v" in times else 1 - b2**tt)) if correct else v
        new = param - sign * lr * m_hat / (np.sqrt(v_hat) + eps)
        return new, (m_hat if corrected_out == "m" else m), (v_hat if corrected_out == "v" else v)

    return adam_step


AD = check_adam_step
row(AD, "missing_bias_correction", "m, v used as they are", adam(correct=False))
row(
    AD,
    "missing_bias_correction",
    "m / (np.sqrt(v) + eps)",
    lambda p, g, m, v, t, lr, b, e: adam(correct=False)(p, g, m, v, t, lr, b, e),
)
row(AD, "bias_correction_off_by_one", "t - 1", adam(t_shift=-1))
row(AD, "bias_correction_off_by_one", "t + 1", adam(t_shift=1))
row(AD, "bias_correction_times_t", "1 - b * t", adam(times="mv"))
row(AD, "bias_correction_times_t", "1 - b2 * t for v only", adam(times="v"))
row(AD, "bias_correction_times_t", "1 - b1 * t for m only", adam(times="m"))
row(AD, "betas_swapped", "b2, b1 = betas", adam(swap=True))
row(
    AD,
    "betas_swapped",
    "betas[1] for m",
    lambda p, g, m, v, t, lr, b, e: adam(swap=True)(p, g, m, v, t, lr, b, e),
)
row(AD, "grad_not_squared", "np.abs(g)", adam(second=np.abs))
row(AD, "grad_not_squared", "abs(g)", adam(second=abs))
row(AD, "grad_not_squared", "g", adam(second=lambda g: g))
row(AD, "wrong_sign", "param + ...", adam(sign=-1.0))
row(
    AD,
    "wrong_sign",
    "- lr * -m_hat",
    lambda p, g, m, v, t, lr, b, e: adam(sign=-1.0)(p, g, m, v, t, lr, b, e),
)
row(AD, "returned_corrected_moments", "return m_hat", adam(corrected_out="m"))
row(AD, "returned_corrected_moments", "return v_hat", adam(corrected_out="v"))
row(
    AD,
    "not_updated",
    "return param",
    lambda p, g, m, v, t, lr, b, e: (p, *adam()(p, g, m, v, t, lr, b, e)[1:]),
)


def adam_in_place(param, grad, m, v, t, lr, betas, eps):
    b1, b2 = betas
    m *= b1
    m += (1 - b1) * grad
    v *= b2
    v += (1 - b2) * grad**2
    param -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return param, m, v


row(AD, "modified_input_in_place", "m *= b1; param -= ...", adam_in_place)


# ---- evaluation -------------------------------------------------------------------------------


def per_class(logits, target, *, by="target", divide="class", flip=False):
    pred = logits.argmax(-1)
    right = pred == target
    c = logits.shape[1]
    group = target if by == "target" else pred
    out = []
    for k in range(c):
        mask = group == k
        count = right[mask].sum()
        out.append({"class": count / mask.sum(), "all": count / len(target), "none": count}[divide])
    out = np.array(out, dtype=np.float64)
    return 1 - out if flip else out


def evaluate(model, loader, *, divide="examples", mean_of_means=False):
    losses, accs, sizes = [], [], []
    for x, y in loader:
        logits = model(x)
        losses.append(float(F.cross_entropy(logits, y)))
        accs.append(float(F.accuracy(logits, y)))
        sizes.append(len(y))
    if mean_of_means:
        return float(np.mean(losses)), float(np.mean(accs))
    sums = np.dot(losses, sizes), np.dot(accs, sizes)
    by = {"examples": sum(sizes), "batches": len(sizes), "nothing": 1}[divide]
    return sums[0] / by, sums[1] / by


EV = check_evaluate
row(EV, "mean_of_batch_means", "np.mean of the batch means", partial(evaluate, mean_of_means=True))
row(
    EV,
    "mean_of_batch_means",
    "running mean over batches",
    lambda m, loader: tuple(
        np.array([(F.cross_entropy(m(x), y), F.accuracy(m(x), y)) for x, y in loader]).mean(0)
    ),
)
row(EV, "sum_not_mean", "sums", partial(evaluate, divide="nothing"))
row(
    EV,
    "sum_not_mean",
    "F.cross_entropy * len(y), summed",
    lambda m, loader: tuple(
        np.sum(
            [(F.cross_entropy(m(x), y) * len(y), F.accuracy(m(x), y) * len(y)) for x, y in loader],
            0,
        )
    ),
)
row(EV, "divided_by_batches", "/ len(loader)", partial(evaluate, divide="batches"))
row(
    EV,
    "divided_by_batches",
    "sums / number of batches counted",
    lambda m, loader: tuple(
        np.sum(
            [(F.cross_entropy(m(x), y) * len(y), F.accuracy(m(x), y) * len(y)) for x, y in loader],
            0,
        )
        / sum(1 for _ in loader)
    ),
)


PC = check_per_class_accuracy
row(PC, "per_predicted_class", "grouped by prediction", partial(per_class, by="pred"))
row(
    PC,
    "per_predicted_class",
    "np.bincount on pred",
    lambda x, t: (
        np.bincount(x.argmax(1), weights=x.argmax(1) == t, minlength=x.shape[1])
        / np.bincount(x.argmax(1), minlength=x.shape[1])
    ),
)
row(PC, "overall_accuracy", "np.full", lambda x, t: np.full(x.shape[1], np.mean(x.argmax(-1) == t)))
row(
    PC,
    "overall_accuracy",
    "a list",
    lambda x, t: np.array([(x.argmax(1) == t).mean()] * x.shape[1]),
)
row(PC, "divided_by_all_rows", "/ len(target)", partial(per_class, divide="all"))
row(
    PC,
    "divided_by_all_rows",
    "np.bincount / n",
    lambda x, t: np.bincount(t, weights=x.argmax(1) == t, minlength=x.shape[1]) / len(t),
)
row(PC, "count_not_fraction", "counts", partial(per_class, divide="none"))
row(
    PC,
    "count_not_fraction",
    "np.bincount",
    lambda x, t: np.bincount(t, weights=x.argmax(1) == t, minlength=x.shape[1]),
)
row(PC, "returned_error_rate", "1 - accuracy", partial(per_class, flip=True))
row(
    PC,
    "returned_error_rate",
    "!=",
    lambda x, t: np.array([(x.argmax(1) != t)[t == k].mean() for k in range(x.shape[1])]),
)
row(
    PC,
    "argmax_wrong_axis",
    "argmax(0)",
    lambda x, t: np.array([(x.argmax(0) == t)[t == k].mean() for k in range(x.shape[1])]),
)
row(
    PC,
    "argmax_wrong_axis",
    "np.argmax(x, axis=0)",
    lambda x, t: np.bincount(t, weights=np.argmax(x, axis=0) == t) / np.bincount(t),
)


def compare(*, diff="a - b", se="sqrt(se_a**2 + se_b**2)", ddof=1):
    def compare_runs(a, b):
        d = {
            "a - b": a.mean() - b.mean(),
            "b - a": b.mean() - a.mean(),
            "abs": abs(a.mean() - b.mean()),
        }[diff]
        sa, sb = np.std(a, ddof=ddof), np.std(b, ddof=ddof)
        se_a, se_b = sa / np.sqrt(len(a)), sb / np.sqrt(len(b))
        out = {
            "sqrt(se_a**2 + se_b**2)": np.sqrt(se_a**2 + se_b**2),
            "sqrt(sa**2 + sb**2)": np.sqrt(sa**2 + sb**2),
            "se_a + se_b": se_a + se_b,
            "se_a**2 + se_b**2": se_a**2 + se_b**2,
        }[se]
        return float(d), float(out)

    return compare_runs


CR = check_compare_runs
row(CR, "absolute_difference", "abs(...)", compare(diff="abs"))
row(
    CR,
    "absolute_difference",
    "np.abs",
    lambda a, b: (float(np.abs(np.mean(a) - np.mean(b))), compare()(a, b)[1]),
)
row(CR, "wrong_sign", "b - a", compare(diff="b - a"))
row(
    CR,
    "wrong_sign",
    "np.mean(b) - np.mean(a)",
    lambda a, b: (np.mean(b) - np.mean(a), compare()(a, b)[1]),
)
row(CR, "population_std", "np.std(a)", compare(ddof=0))
row(
    CR,
    "population_std",
    "a.std()",
    lambda a, b: (
        a.mean() - b.mean(),
        math.hypot(a.std() / len(a) ** 0.5, b.std() / len(b) ** 0.5),
    ),
)
row(CR, "std_not_standard_error", "sqrt(sa**2 + sb**2)", compare(se="sqrt(sa**2 + sb**2)"))
row(
    CR,
    "std_not_standard_error",
    "np.hypot of the stds",
    lambda a, b: (a.mean() - b.mean(), np.hypot(a.std(ddof=1), b.std(ddof=1))),
)
row(CR, "standard_errors_added", "se_a + se_b", compare(se="se_a + se_b"))
row(
    CR,
    "standard_errors_added",
    "sum of a list",
    lambda a, b: (a.mean() - b.mean(), sum(x.std(ddof=1) / math.sqrt(len(x)) for x in (a, b))),
)
row(CR, "missing_sqrt", "se_a**2 + se_b**2", compare(se="se_a**2 + se_b**2"))
row(
    CR,
    "missing_sqrt",
    "variances / k",
    lambda a, b: (a.mean() - b.mean(), a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)),
)
row(
    CR,
    "paired_difference",
    "std(a - b)",
    lambda a, b: (a.mean() - b.mean(), np.std(a - b, ddof=1) / np.sqrt(len(a))),
)
row(
    CR,
    "paired_difference",
    "(a - b).std",
    lambda a, b: ((a - b).mean(), (a - b).std(ddof=1) / len(a) ** 0.5),
)


# ---- the tests --------------------------------------------------------------------------------

CHECKS = sorted({check_name(check) for check, *_ in ROWS})
IDS = [f"{check_name(c)}-{d}-{s}" for c, s, _, d in ROWS]


@cache
def result_of(i: int):
    check, _, answer, _ = ROWS[i]
    return check(answer)


@pytest.mark.parametrize("i", range(len(ROWS)), ids=IDS)
def test_each_wrong_answer_gets_its_diagnosis(i):
    result = result_of(i)
    diagnosis = ROWS[i][3]
    assert not result.passed
    assert result.diagnosis == diagnosis, str(result)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_diagnoses_hold_for_other_seeds(seed):
    wrong = [
        (IDS[i], result.diagnosis)
        for i, (check, _, answer, diagnosis) in enumerate(ROWS)
        if (result := check(answer, seed=seed)).passed or result.diagnosis != diagnosis
    ]
    assert not wrong


def documented(check_fn) -> set[str]:
    doc = check_fn.__doc__
    returns = doc[doc.index("Returns\n") : doc.index("\n\n", doc.index("``passed``"))]
    return set(re.findall(r'``"(\w+)"``', returns))


@pytest.mark.parametrize("name", CHECKS)
def test_every_documented_diagnosis_is_reachable(name):
    import pybackprop.exercises as exercises

    reached = {d for c, _, _, d in ROWS if check_name(c) == name}
    assert documented(getattr(exercises, name)) <= reached


@pytest.mark.parametrize("name", CHECKS)
def test_every_check_names_three_mistakes_in_two_spellings(name):
    spellings = defaultdict(set)
    for check, spelling, _, diagnosis in ROWS:
        if check_name(check) == name:
            spellings[diagnosis].add(spelling)
    assert sum(len(s) >= 2 for s in spellings.values()) >= 3, dict(spellings)


def test_every_check_is_in_the_table():
    import pybackprop.exercises as exercises

    assert set(CHECKS) == {n for n in exercises.__all__ if n.startswith("check_")}


# A message that names a property of its case names the case that failed: the phrase is in
# the failing case's description too.
CASE_PHRASES = (
    "near 1e3",
    "spread over",
    "first step",
    "velocity from earlier steps",
    "pred == target",
)


@pytest.mark.parametrize("i", range(len(ROWS)), ids=IDS)
def test_each_message_describes_the_case_that_failed(i):
    result = result_of(i)
    for phrase in CASE_PHRASES:
        if phrase in result.message:
            assert result.case is not None and phrase in result.case.description, str(result)


def test_cross_entropy_of_a_log_of_softmax_names_the_spread_logits():
    """The issue's case: a softmax that subtracts the maximum, then a log."""
    result = check_cross_entropy(
        lambda logits, t: -np.log(stable_softmax(logits))[range(len(t)), t].mean()
    )
    assert result.diagnosis == "log_of_softmax"
    assert "spread over +-3e3" in result.message and "near 1e3" not in result.message
    assert "spread over +-3e3" in result.case.description


def test_softmax_overflow_message_has_nothing_to_add_back():
    message = check_softmax(naive_softmax).message
    assert "add it back" not in message and "m + log" not in message
    assert "x.max(axis=-1, keepdims=True)" in message
    assert "add it back" in check_logsumexp(lambda x: np.log(np.exp(x).sum(-1))).message


def test_in_place_messages_give_the_exercise_s_own_fix():
    gradient = str(
        result_of(IDS.index("check_numerical_gradient-modified_input_in_place-x[i] += h"))
    )
    assert "x.copy()" in gradient and "mask" not in gradient
    step = str(result_of(IDS.index("check_sgd_step-modified_input_in_place-param -= lr * v")))
    assert "new_param = param - ..." in step and "mask" not in step
    relu = str(result_of(IDS.index("check_relu_backward-modified_input_in_place-g *= x > 0")))
    assert "grad_out * (x > 0)" in relu
    mse = check_mse_backward(lambda p, t: np.multiply(np.subtract(p, t, out=p), 2 / len(p), out=p))
    assert mse.diagnosis == "modified_input_in_place" and "pred" in mse.message
    assert "a -= b" in mse.message and "mask" not in mse.message


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (check_sgd_step, sgd()),
        (check_sgd_step, lambda p, g, v, lr, m: (p - lr * (m * v + g), m * v + g)),
        (check_adam_step, adam()),
        (check_cross_entropy, lambda x, t: -rows_of(x, t).mean()),
        (check_cross_entropy, lambda x, t: np.mean(lse(x)[:, 0] - x[np.arange(len(t)), t])),
        (check_log_softmax, log_probs),
        (check_softmax, stable_softmax),
        (check_mse_backward, lambda p, t: 2 * (p - t) / len(p)),
        (check_mlp_backward, mlp()),
        (check_mlp_backward, mlp(spelling=1)),
        (check_module, Relu),
        (check_module, Sigmoid),
        (MO4, Seq),
        (MO4, linear_with("accumulate_grad")),
        (MO4, linear_with("if None")),
        (check_value_backward, None),
    ],
)
def test_right_answers_in_several_spellings_pass(check, answer):
    if answer is None:  # the quotient rule, spelled with negative powers
        assert check_value_backward("div", lambda a, b: (b**-1, -a * b**-2))
        return
    assert check(answer), str(check(answer))


# Messages that used to point elsewhere (issue 24): each wrong answer gets its diagnosis, its
# message names the cause, and the words of the misleading message are gone.
MESSAGES = [
    (
        check_adam_step,
        adam(times="mv"),
        "bias_correction_times_t",
        ("1 - beta**t", "v_hat is negative", "nan"),
        ("overflow", "division by zero"),
    ),
    (
        check_kaiming_init,
        kaiming(lambda i, o: math.sqrt(2 // i)),
        "integer_division",
        ("integer division", "2 // n_in", "2 / n_in"),
        ("every weight is the same",),
    ),
    (
        check_descent_step,
        lambda c, lr, t: c,
        "not_updated",
        ("Is the starter code still in place?",),
        ("right shape",),
    ),
    (
        check_cross_entropy,
        lambda x, t: float(np.mean(lse(x))),
        "wrong_values",
        ("not the expected number", "by hand"),
        ("shape", "entries"),
    ),
    (
        check_central_difference,
        lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h) + 0.1,
        "wrong_values",
        ("not the expected number",),
        ("shape",),
    ),
    (
        check_central_difference,
        lambda f, x, h: np.full(2, (f(x + h) - f(x - h)) / (2 * h)),
        "wrong_shape",
        ("should be a single number", "shape (2,)", "mean or a sum"),
        ("keepdims",),
    ),
    (
        check_kaiming_init,
        lambda n_in, n_out, rng: np.random.default_rng(0).normal(
            0, math.sqrt(2 / n_in), (n_in, n_out)
        ),
        "ignores_rng",
        ("different seeds gave the same weights", "the rng it is given"),
        ("two calls with the same seed",),
    ),
    (
        check_module,
        module(Relu, lambda self, g: np.multiply(g, self.x > 0, out=g)),
        "modified_input_in_place",
        ("grad_out", "grad_out * (x > 0)"),
        ("pybackprop",),
    ),
]


@pytest.mark.parametrize(
    ("check", "answer", "diagnosis", "words", "gone"),
    MESSAGES,
    ids=[f"{check_name(c)}-{d}" for c, _, d, *_ in MESSAGES],
)
def test_each_message_names_its_own_cause(check, answer, diagnosis, words, gone):
    result = check(answer)
    assert result.diagnosis == diagnosis, str(result)
    for word in words:
        assert word in result.message, str(result)
    for word in gone:
        assert word not in result.message, str(result)
