"""Layers with hand-written backward passes, laid out as ``torch.nn``.

``module`` (``Parameter``, ``Module``), ``layers`` (``Linear``, ``ReLU``, ``Sequential``),
``loss`` (``MSELoss``, ``CrossEntropyLoss``), ``functional`` (stateless maths, imported as
``import pybackprop.nn.functional as F``), ``init`` (``from pybackprop.nn import init``) and
``player`` (``step_backward_modules``).

A module is called like a function (``y = layer(x)``); the call runs ``forward`` and keeps the
inputs, so that ``layer.backward(grad_out)`` can return dL/dinput and add dL/dparameter into
each parameter's ``.grad``. Gradients accumulate, as in PyTorch, until ``zero_grad()``.

To write a module, subclass ``Module`` and implement two methods:

```python
forward(*inputs) -> output
bwd(grad_out, *inputs) -> grad of the loss with respect to the first input
```

``bwd`` receives the inputs that ``forward`` saw, so most modules need to store nothing else.
A module with parameters may also override ``bwd_params(grad_out, *inputs)``, which fills the
parameters' gradients without computing dL/dinput: ``backward(grad_out, input_grad=False)``
uses it to skip the first layer's most expensive and unused product, as PyTorch does.

``step_backward_modules(model, loss_fn, x, target)`` shows that backward pass one module at a
time, with the formulas each module states (``Module.backward_formulas``) and the shapes of
the gradients, as data and as a player.
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
