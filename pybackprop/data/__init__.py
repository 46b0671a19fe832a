"""Data for the book: MNIST (bundled sample, full set on demand), toy sets, and a DataLoader.

- ``load_mnist(split="sample")``: MNIST as float32 pixel/255 and int64 labels; the sample is
  bundled and offline, the full set is found on disk or downloaded and verified once.
- ``mean_std(x)``: a training set's mean and standard deviation, for normalising.
- ``DataLoader(x, y, batch_size=64, shuffle=False)``: minibatches, epoch after epoch.
- ``make_moons(n)``, ``make_curve(n)``, ``target_curve(x)``: the scalar chapters' toy sets.
- ``read_idx(path)``: MNIST's file format, checked.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, under CC BY-SA 3.0;
see ``LICENSE-MNIST.md`` in the package's ``data`` folder.
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
