"""Checks for the book's exercises: pass your function, get a report that names the mistake.

Each ``check_*`` runs your function on several random cases (batch size 1, odd widths, float32
and float64, large logits where overflow matters) against pybackprop's own implementation and
returns a ``CheckResult``: ``passed``, ``diagnosis`` (a short name of the mistake recognised,
such as ``"missing_transpose"``) and ``message`` (what to look at), shown in a notebook as a
report with the first failing case. A check never raises because of your code: an exception in
your function (even ``sys.exit()``) is reported with your line, and a function that does not
return within 10 s (``set_time_limit``) is reported as such. ``seed`` (default 0) chooses the
cases; a result is truthy when the check passed. ``import pybackprop`` does not import this
package.
"""

from .backprop import check_mae_backward, check_mlp_backward, check_sigmoid_backward
from .descent import check_descent_step, check_sign_accuracy
from .evaluation import check_compare_runs, check_evaluate, check_per_class_accuracy
from .init import check_kaiming_init
from .isolate import set_time_limit
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
    "check_evaluate",
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
    "set_time_limit",
]
