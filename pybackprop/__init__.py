"""pybackprop: backpropagation from scratch, for the Backprop bookclub.

In the book's order: ``Value``, ``MLP``, ``to_dot``, ``draw_graph``, ``step_backward`` (scalar
autodiff after micrograd, ``pybackprop.scalar``); ``nn`` (modules with hand-written backward
passes, laid out as ``torch.nn``); ``optim``; ``train`` (``fit``); ``data`` (MNIST, toy sets,
``DataLoader``); ``gradcheck``; ``pybackprop.exercises`` (checks for the book's exercises).
numpy is the only dependency: nothing imports torch or matplotlib at import time.
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
