"""The training loop: `fit` runs epochs of minibatch steps and returns a `History`.

Each training step is the four lines the chapters write by hand:

    loss = loss_fn(model(xb), yb)
    model.backward(loss_fn.backward())
    opt.step()
    opt.zero_grad()

(for an `nn.Module`, `fit` passes `input_grad=False` to `backward`: the parameters get the
same gradients, and the unused gradient with respect to the batch is not computed.)

The progress bar comes from fastprogress (part of the `book` extra): in Jupyter and on a
rendered Quarto page it is an HTML `<progress>` bar that leaves behind one table row per
epoch; in a terminal it is a text bar above the same rows. matplotlib and fastprogress are
imported inside the functions that use them, so `import pybackprop` stays numpy-only.
"""

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from . import functional as F
from . import nn

__all__ = ["History", "NonFiniteLossError", "fit"]


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite: training diverged.

    Knows its `epoch` and `step` (both counted from 1), the `loss`, and the `history` of the
    steps before it (plot it to see the run blow up).
    """

    def __init__(
        self,
        loss: float,
        epoch: int,
        step: int,
        steps_per_epoch: int,
        lr=None,
        history: "History | None" = None,
    ):
        self.loss, self.epoch, self.step, self.history = loss, epoch, step, history
        lr_note = f" (lr was {lr:g})" if isinstance(lr, float) else ""
        super().__init__(
            f"the training loss became {loss} at epoch {epoch}, step {step} of "
            f"{steps_per_epoch}: training diverged. Try a smaller learning rate{lr_note}."
        )


@dataclass(repr=False)
class History:
    """What `fit` recorded.

    Per step (one entry per optimiser step, all epochs in a row):
        step_loss   training loss of the minibatch
        lr          learning rate the step used
    Per epoch:
        train_loss  training loss averaged over the epoch's rows (weights change as it runs)
        valid_loss  loss on `valid_dl` after the epoch (NaN without `valid_dl`)
        accuracy    fraction of `valid_dl` classified right, via `functional.accuracy`;
                    NaN without `valid_dl` or when the targets are not integer class
                    labels (a regression loss such as MSELoss has no accuracy)
        epoch_time  seconds the epoch took, validation included
    """

    step_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def _columns(self) -> list[str]:
        """The table's columns: no valid_loss without validation, no accuracy in regression."""
        cols = ["epoch", "train_loss"]
        if any(not math.isnan(v) for v in self.valid_loss):
            cols.append("valid_loss")
        if any(not math.isnan(a) for a in self.accuracy):
            cols.append("accuracy")
        return cols + ["time"]

    def _row(self, i: int, cols: list[str]) -> list[str]:
        def fmt(v: float, spec: str) -> str:
            return "-" if math.isnan(v) else format(v, spec)

        cells = {
            "epoch": str(i + 1),
            "train_loss": fmt(self.train_loss[i], ".6f"),
            "valid_loss": fmt(self.valid_loss[i], ".6f"),
            "accuracy": fmt(self.accuracy[i], ".4f"),
            "time": f"{self.epoch_time[i]:.2f}s",
        }
        return [cells[c] for c in cols]

    def __repr__(self) -> str:
        if not self.epochs:
            return "History(no epochs yet)"
        cols = self._columns()
        rows = [cols] + [self._row(i, cols) for i in range(self.epochs)]
        widths = [max(len(r[j]) for r in rows) for j in range(len(cols))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        return f"History: {self.epochs} epochs, {len(self.step_loss)} steps\n" + "\n".join(lines)

    def plot(self):
        """Loss curves (per step and per epoch) and, for classification, the accuracy.

        Returns the matplotlib Axes, one per panel, as a 1-D numpy array (`axes[0].figure`
        is the Figure); in a notebook, end the line with `;` to show only the figure. The
        x-axis counts epochs: step losses sit at fractions of an epoch, per-epoch values at
        the end of their epoch.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:
            raise ImportError("History.plot() needs matplotlib: pip install matplotlib") from e
        if not self.epochs:
            raise ValueError("nothing to plot: the History has no epochs")
        has_acc = any(not math.isnan(a) for a in self.accuracy)
        _, axes = plt.subplots(
            1,
            2 if has_acc else 1,
            figsize=(10 if has_acc else 5.5, 3.5),
            squeeze=False,
            layout="constrained",
        )
        ax = axes[0, 0]
        steps = np.arange(1, len(self.step_loss) + 1) * self.epochs / len(self.step_loss)
        ends = np.arange(1, self.epochs + 1)
        ax.plot(steps, self.step_loss, lw=0.8, alpha=0.5, label="train (per step)")
        ax.plot(ends, self.train_loss, "o-", label="train (epoch mean)")
        if any(not math.isnan(v) for v in self.valid_loss):
            ax.plot(ends, self.valid_loss, "s-", label="valid")
        ax.set(xlabel="epoch", ylabel="loss", title="Loss")
        ax.legend()
        if has_acc:
            ax = axes[0, 1]
            ax.plot(ends, self.accuracy, "s-", color="C2")
            ax.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
            ax.set_xticks(ends)
        return axes[0]


class _Silent:
    """Stands in for fastprogress's bars when progress=False: no output at all."""

    def __init__(self, epochs: int):
        self.epochs = range(epochs)

    def __iter__(self):
        return iter(self.epochs)

    def batches(self, train_dl):
        return train_dl

    def write(self, row: list[str]) -> None:
        pass


class _Bars:
    """fastprogress's master bar over the epochs, a child bar over each epoch's batches."""

    def __init__(self, epochs: int):
        try:
            from fastprogress.fastprogress import master_bar, progress_bar
        except ImportError as e:
            raise ImportError(
                "fit(progress=True) draws its progress bar with fastprogress, which is not "
                "installed: pip install fastprogress (or pip install 'pybackprop[book]'), "
                "or pass progress=False"
            ) from e
        self.mb = master_bar(range(epochs))
        self.progress_bar = progress_bar

    def __iter__(self):
        return iter(self.mb)

    def batches(self, train_dl):
        return self.progress_bar(train_dl, parent=self.mb)

    def write(self, row: list[str]) -> None:
        self.mb.write(row, table=True)


def _evaluate(model, loss_fn, valid_dl: Iterable) -> tuple[float, float]:
    """(mean loss, accuracy) over `valid_dl`, weighting each batch by its rows.

    Accuracy only for integer class labels; NaN otherwise (regression targets).
    """
    total_loss = total_correct = 0.0
    n = 0
    classification = True
    for xb, yb in valid_dl:
        pred = model(xb)
        rows = len(xb)
        total_loss += float(loss_fn(pred, yb)) * rows
        classification = classification and np.issubdtype(np.asarray(yb).dtype, np.integer)
        if classification:
            total_correct += float(F.accuracy(pred, yb)) * rows
        n += rows
    if n == 0:
        raise ValueError("valid_dl yielded no batches")
    return total_loss / n, (total_correct / n if classification else math.nan)


def fit(
    model,
    loss_fn,
    opt,
    train_dl: Iterable,
    valid_dl: Iterable | None = None,
    epochs: int = 1,
    progress: bool = True,
    sched=None,
) -> History:
    """Train `model` for `epochs` passes over `train_dl`; return the `History`.

    model:    an `nn.Module` (`model(xb)` -> predictions, `model.backward(grad)`)
    loss_fn:  a loss module such as `nn.CrossEntropyLoss()` or `nn.MSELoss()`
    opt:      an optimiser from `pybackprop.optim` built on `model.parameters()`
    train_dl: re-iterable of `(xb, yb)` batches with `len()`, such as `data.DataLoader`
    valid_dl: optional; evaluated after each epoch for `valid_loss` and `accuracy`
              (accuracy when the targets are integer class labels, NaN for regression)
    progress: show a fastprogress bar and one table row per epoch; False prints nothing
    sched:    optional schedule such as `optim.OneCycleLR(opt, max_lr,
              total_steps=epochs * len(train_dl))`; its `step()` runs after every
              optimiser step

    Raises `NonFiniteLossError` (a FloatingPointError) as soon as a training loss is NaN or
    infinite, before that step changes the weights.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    try:
        steps_per_epoch = len(train_dl)
    except TypeError:
        raise TypeError(
            f"train_dl must be re-iterable with a len(), like data.DataLoader, got "
            f"{type(train_dl).__name__}"
        ) from None
    if steps_per_epoch == 0:
        raise ValueError(
            "train_dl has no batches: is the batch size larger than the data with drop_last=True?"
        )
    # The batch itself needs no gradient: an nn.Module can skip computing dL/dx for it, as
    # torch does for inputs; a hand-written model just gets model.backward(grad).
    backward = (
        partial(model.backward, input_grad=False)
        if isinstance(model, nn.Module)
        else model.backward
    )
    bars = _Bars(epochs) if progress else _Silent(epochs)
    hist = History()
    validating = valid_dl is not None
    cols = ["epoch", "train_loss"] + (["valid_loss", "accuracy"] if validating else []) + ["time"]
    bars.write(cols)
    for epoch in bars:
        start = time.perf_counter()
        total, n = 0.0, 0
        # A diverging run is reported once, by NonFiniteLossError, not by numpy warnings.
        # (Entered once per epoch: on every step it would cost about a microsecond.)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for step, (xb, yb) in enumerate(bars.batches(train_dl), start=1):
                loss = float(loss_fn(model(xb), yb))
                if not math.isfinite(loss):
                    raise NonFiniteLossError(
                        loss, epoch + 1, step, steps_per_epoch, getattr(opt, "lr", None), hist
                    )
                backward(loss_fn.backward())
                opt.step()
                opt.zero_grad()
                hist.step_loss.append(loss)
                hist.lr.append(getattr(opt, "lr", math.nan))
                if sched is not None:
                    sched.step()
                total += loss * len(xb)
                n += len(xb)
        hist.train_loss.append(total / n)
        if validating:
            valid_loss, acc = _evaluate(model, loss_fn, valid_dl)
        else:
            valid_loss = acc = math.nan
        hist.valid_loss.append(valid_loss)
        hist.accuracy.append(acc)
        hist.epoch_time.append(time.perf_counter() - start)
        bars.write(hist._row(epoch, cols))
    return hist
