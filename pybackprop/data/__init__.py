"""Data for the book: MNIST (a bundled sample, the full set on demand), toy sets, a DataLoader.

``load_mnist`` gives MNIST as float32 pixel/255 and int64 labels, ``mean_std`` a training set's
statistics, ``DataLoader`` minibatches, ``make_moons``/``make_curve``/``target_curve`` the scalar
chapters' toy sets, and ``read_idx`` MNIST's file format. MNIST is by Yann LeCun, Corinna Cortes
and Christopher J.C. Burges, under CC BY-SA 3.0 (``LICENSE-MNIST.md`` in this folder).
"""

from .idx import IDXError, read_idx
from .loader import DataLoader
from .mnist import ChecksumError, DataNotFoundError, load_mnist
from .stats import mean_std
from .toy import make_curve, make_moons, target_curve

__all__ = [
    "ChecksumError",
    "DataLoader",
    "DataNotFoundError",
    "IDXError",
    "load_mnist",
    "make_curve",
    "make_moons",
    "mean_std",
    "read_idx",
    "target_curve",
]
