"""Checks for the book's exercises: pass your function, get a report that names the mistake.

Each ``check_*`` runs your function on several random cases (batch size 1, odd widths,
float32 and float64, large logits where overflow matters) against pybackprop's own
implementation, and returns a ``CheckResult``: ``passed``, ``diagnosis`` (a short identifier
of the mistake it recognised, such as ``"missing_transpose"``, or None) and ``message``
(what to look at). In a notebook it shows as a coloured report with the first failing case.
A check never raises because of your code: an exception inside your function is reported
with your line. ``seed`` (default 0) chooses the random cases; the same seed gives the same
report. A result is truthy when the check passed, so ``assert check_...(fn)`` works in a test.

The checks follow the book's chapters: finite differences (``check_central_difference``,
``check_numerical_gradient``), the scalar engine (``check_value_backward``,
``check_backward_walk``), gradient descent (``check_descent_step``, ``check_sign_accuracy``),
backward passes by hand (``check_relu_backward``, ``check_linear_backward``,
``check_mse_backward``, ``check_sigmoid_backward``, ``check_mae_backward``,
``check_mlp_backward``, ``check_module``), ReLU pieces (``check_relu_features``,
``check_relu_interpolation``), softmax and its losses (``check_softmax``,
``check_log_softmax``, ``check_logsumexp``, ``check_cross_entropy``), training
(``check_kaiming_init``, ``check_normalize``, ``check_sgd_step``, ``check_adam_step``) and
evaluation (``check_per_class_accuracy``, ``check_compare_runs``).

This package is not imported by ``import pybackprop``.

Examples
--------
>>> from pybackprop.exercises import check_relu_backward
>>> def relu_backward(x, grad_out):
...     return grad_out * (x > 0)
>>> check_relu_backward(relu_backward)
check_relu_backward: passed (10 cases)
  all 10 cases match the reference.

A wrong answer is named, with the first case it got wrong:

>>> result = check_relu_backward(lambda x, grad_out: grad_out)
>>> print(result.passed, result.diagnosis)
False missing_relu_mask
"""

from .backprop import check_mae_backward, check_mlp_backward, check_sigmoid_backward
from .descent import check_descent_step, check_sign_accuracy
from .evaluation import check_compare_runs, check_per_class_accuracy
from .init import check_kaiming_init
from .layers import check_linear_backward, check_mse_backward, check_relu_backward
from .modules import check_module
from .normalize import check_normalize
from .numeric import check_central_difference, check_numerical_gradient
from .optim import check_adam_step, check_sgd_step
from .piecewise import check_relu_features, check_relu_interpolation
from .result import CheckResult, FailingCase
from .scalar import check_value_backward
from .softmax import check_cross_entropy, check_log_softmax, check_logsumexp, check_softmax
from .walk import check_backward_walk

__all__ = [
    "CheckResult",
    "FailingCase",
    "check_adam_step",
    "check_backward_walk",
    "check_central_difference",
    "check_compare_runs",
    "check_cross_entropy",
    "check_descent_step",
    "check_kaiming_init",
    "check_linear_backward",
    "check_log_softmax",
    "check_logsumexp",
    "check_mae_backward",
    "check_mlp_backward",
    "check_module",
    "check_mse_backward",
    "check_normalize",
    "check_numerical_gradient",
    "check_per_class_accuracy",
    "check_relu_backward",
    "check_relu_features",
    "check_relu_interpolation",
    "check_sgd_step",
    "check_sigmoid_backward",
    "check_sign_accuracy",
    "check_softmax",
    "check_value_backward",
]
