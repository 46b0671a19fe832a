"""Layers with hand-written backward passes, laid out as ``torch.nn``.

``module`` (``Parameter``, ``Module``), ``layers`` (``Linear``, ``ReLU``, ``Sequential``),
``loss`` (``MSELoss``, ``CrossEntropyLoss``), ``functional`` (``import pybackprop.nn.functional
as F``), ``init`` (``from pybackprop.nn import init``) and ``player``
(``step_backward_modules``, the backward pass one module at a time).

``y = layer(x)`` runs ``forward`` and keeps x, so that ``layer.backward(grad_out)`` returns
dL/dx and accumulates dL/dparameter in each parameter's ``.grad`` (None after
``zero_grad()``). A module of one's own subclasses ``Module`` with ``forward(*inputs)`` and
``bwd(grad_out, *inputs)``.
"""

from . import functional, init
from .layers import Linear, ReLU, Sequential
from .loss import CrossEntropyLoss, Loss, MSELoss
from .module import Module, Parameter
from .player import ModuleBackwardPlayer, ModuleStep, step_backward_modules

__all__ = [
    "CrossEntropyLoss",
    "Linear",
    "Loss",
    "MSELoss",
    "Module",
    "ModuleBackwardPlayer",
    "ModuleStep",
    "Parameter",
    "ReLU",
    "Sequential",
    "functional",
    "init",
    "step_backward_modules",
]
