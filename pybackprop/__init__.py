"""pybackprop: backpropagation from scratch, for the Backprop bookclub.

The scalar engine (``Value``, ``MLP``, graph drawing) follows micrograd; the array half
(``nn``, ``optim``, ``train``) follows fast.ai's lesson 13 with
PyTorch's names. numpy is the only dependency: nothing here imports torch or matplotlib at
import time.

The package follows the book's order:

- ``Value``, ``MLP``, ``to_dot``, ``draw_graph``, ``step_backward``: scalar autodiff, one
  number at a time, and its graph drawn and stepped through (``pybackprop.scalar``).
- ``nn``: modules with hand-written backward passes, x: (batch, n_in) -> (batch, n_out),
  laid out as ``torch.nn``: ``nn.functional`` (stateless maths, e.g. ``relu``, ``softmax``,
  ``cross_entropy``, ``mse_loss``) and ``nn.init`` (Kaiming, Xavier, input normalisation).
- ``optim``: ``SGD``, ``Adam`` and the ``OneCycleLR`` schedule.
- ``train``: ``fit``, the training loop, and the ``History`` it returns.
- ``data``: MNIST (``load_mnist``, ``read_idx``), toy sets, a ``DataLoader``.
- ``gradcheck``, ``GradcheckError``: check a backward pass against central differences.
- ``pybackprop.exercises``: checks for the book's exercises, one module per chapter.

Examples
--------
>>> import pybackprop as pb
>>> x = pb.Value(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> y.data, x.grad  # dy/dx = 2x + 2
(15.0, 8.0)
"""

# The one place the version is written: pyproject.toml reads it, and a release tag must
# be v + this (CHANGELOG.md says how to release).
__version__ = "0.1.0"

from . import data, nn, optim, train
from .gradcheck import GradcheckError, gradcheck
from .scalar import MLP, Value, draw_graph, step_backward, to_dot

__all__ = [
    "MLP",
    "GradcheckError",
    "Value",
    "data",
    "draw_graph",
    "gradcheck",
    "nn",
    "optim",
    "step_backward",
    "to_dot",
    "train",
]
