"""pybackprop: backpropagation from scratch, for the Backprop bookclub.

The scalar engine (`Value`, `MLP`, graph drawing) follows micrograd; the array half
(`functional`, `nn`, `init`, `optim`, `train`) follows fast.ai's lesson 13 with PyTorch's
names. numpy is the only dependency: nothing here imports torch or matplotlib at import time.
"""

__version__ = "0.1.0"

from . import data, functional, init, nn, optim, train
from .gradcheck import GradcheckError, gradcheck
from .scalar import MLP, Value, draw_graph, to_dot

__all__ = [
    "MLP",
    "GradcheckError",
    "Value",
    "data",
    "draw_graph",
    "functional",
    "gradcheck",
    "init",
    "nn",
    "optim",
    "to_dot",
    "train",
]
