"""Optimisers and learning-rate schedules, laid out as ``torch.optim``.

``step()`` changes each parameter's ``.data`` in place from its ``.grad``, skipping a None grad
as PyTorch does, and ``zero_grad()`` sets every ``.grad`` to None. Buffers keep the parameter's
dtype. Schedules are in ``lr_scheduler``, as torch's: ``optim.lr_scheduler.OneCycleLR``.
"""

from . import lr_scheduler
from .optimizer import SGD, Adam, Optimizer

__all__ = ["Adam", "Optimizer", "SGD", "lr_scheduler"]
