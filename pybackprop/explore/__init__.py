"""Explorable figures: sliders redraw a figure from numbers pybackprop computed.

Each function returns an ``Explorable``: a self-contained HTML figure (SVG, native sliders and
buttons, a live line of text) shown in the book, Jupyter, VS Code and Colab, and written as a
page by ``.save(path)``. ``relu_pieces`` (chapter 1), ``learning_rate_1d`` and
``moons_training`` (chapter 4), ``softmax_temperature`` (chapter 9), ``activations_by_init``
(chapter 11), ``valley_optimisers`` (chapter 12).
"""

from ._figure import Explorable
from .activations import activations_by_init
from .descent import learning_rate_1d, moons_training
from .optimisers import valley_optimisers
from .piecewise import relu_pieces, relu_sum
from .softmax import softmax_temperature

__all__ = [
    "Explorable",
    "activations_by_init",
    "learning_rate_1d",
    "moons_training",
    "relu_pieces",
    "relu_sum",
    "softmax_temperature",
    "valley_optimisers",
]
