"""The training loop: ``fit`` runs epochs of minibatch steps and returns a ``History``.

Each training step is the four lines the chapters write by hand:

```python
loss = loss_fn(model(xb), yb)
model.backward(loss_fn.backward())
opt.step()
opt.zero_grad()
```

(for an ``nn.Module``, ``fit`` passes ``input_grad=False`` to ``backward``: the parameters get
the same gradients, and the unused gradient with respect to the batch is not computed.)

The progress bar is the module's own, with no dependency: in Jupyter and on a rendered Quarto
page it is one Markdown output, a ``<progress>`` bar above a table that gains one row per epoch
(the bar is gone when training ends); in a terminal it is a text bar that each epoch's row
replaces. matplotlib is imported inside the function that uses it (and IPython's display only
in a notebook), so ``import pybackprop`` stays numpy-only.
"""

import math
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from . import nn
from .nn import functional as F
from .optim import OneCycleLR, Optimizer

__all__ = ["History", "NonFiniteLossError", "fit"]


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite: training diverged.

    Raised by ``fit`` before the step with the bad loss changes the weights. Knows its
    ``epoch`` and ``step`` (both counted from 1), the ``loss``, and the ``history`` of the
    steps before it (plot it to see the run blow up). A ``FloatingPointError``, so
    ``except FloatingPointError`` catches it too.

    Parameters
    ----------
    loss : float
        The non-finite loss (NaN, ``inf`` or ``-inf``).
    epoch : int
        The epoch it happened in, counted from 1.
    step : int
        The step within that epoch, counted from 1.
    steps_per_epoch : int
        The number of steps in an epoch, for the message.
    lr : float or None, default None
        The learning rate at that step, suggested as the thing to lower.
    history : History or None, default None
        What ``fit`` recorded before the failing step.

    Attributes
    ----------
    loss : float
        The non-finite loss.
    epoch : int
        The epoch it happened in, counted from 1.
    step : int
        The step within that epoch, counted from 1.
    history : History or None
        What ``fit`` recorded before the failing step.
    """

    def __init__(
        self,
        loss: float,
        epoch: int,
        step: int,
        steps_per_epoch: int,
        lr: float | None = None,
        history: "History | None" = None,
    ) -> None:
        self.loss, self.epoch, self.step, self.history = loss, epoch, step, history
        lr_note = f" (lr was {lr:g})" if isinstance(lr, float) else ""
        super().__init__(
            f"the training loss became {loss} at epoch {epoch}, step {step} of "
            f"{steps_per_epoch}: training diverged. Try a smaller learning rate{lr_note}."
        )


@dataclass(repr=False)
class History:
    """What ``fit`` recorded: per-step losses and learning rates, per-epoch metrics.

    ``fit`` builds and returns it; each argument is also the attribute of that name, a list
    that grows as training runs. Its repr is the table of epochs that ``fit`` prints.

    Parameters
    ----------
    step_loss : list of float, length n_steps
        Per step (one entry per optimiser step, all epochs in a row): the training loss of
        the minibatch.
    lr : list of float, length n_steps
        Per step: the learning rate the step used.
    train_loss : list of float, length epochs
        Per epoch: the training loss averaged over the epoch's rows (the weights change as
        it runs).
    valid_loss : list of float, length epochs
        Per epoch: the loss on ``valid_dl`` after the epoch (NaN without ``valid_dl``).
    accuracy : list of float, length epochs
        Per epoch: the fraction of ``valid_dl`` classified right, via
        ``nn.functional.accuracy``; NaN without ``valid_dl`` or when the targets are not integer
        class labels (a regression loss such as ``MSELoss`` has no accuracy).
    epoch_time : list of float, length epochs
        Per epoch: the seconds the epoch took, validation included.

    See Also
    --------
    fit

    Examples
    --------
    ``fit`` returns one; here one is filled in by hand:

    >>> from pybackprop.train import History
    >>> hist = History(
    ...     step_loss=[2.3, 1.9, 1.2, 0.9],
    ...     lr=[0.1, 0.1, 0.1, 0.1],
    ...     train_loss=[2.1, 1.05],
    ...     valid_loss=[1.5, 1.0],
    ...     accuracy=[0.6, 0.75],
    ...     epoch_time=[0.02, 0.02],
    ... )
    >>> hist.epochs
    2
    >>> hist
    History: 2 epochs, 4 steps
    epoch  train_loss  valid_loss  accuracy   time
        1    2.100000    1.500000    0.6000  0.02s
        2    1.050000    1.000000    0.7500  0.02s
    """

    step_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """The number of epochs recorded.

        Returns
        -------
        int
            ``len(train_loss)``.
        """
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

    def plot(self) -> np.ndarray:
        """Loss curves (per step and per epoch) and, for classification, the accuracy.

        The x-axis counts epochs: step losses sit at fractions of an epoch, per-epoch values
        at the end of their epoch. The validation loss is drawn when there is one, and a
        second panel shows the accuracy when it was measured. Needs matplotlib, imported
        here rather than with ``pybackprop``.

        Returns
        -------
        np.ndarray of matplotlib Axes of shape (n_panels,)
            One Axes per panel (1, or 2 with accuracy); ``axes[0].figure`` is the Figure. In
            a notebook, end the line with ``;`` to show only the figure.

        Raises
        ------
        ImportError
            If matplotlib is not installed.
        ValueError
            If the History has no epochs.

        Examples
        --------
        In a notebook, after training:

        >>> hist = fit(model, loss_fn, opt, train_dl, valid_dl, epochs=3)  # doctest: +SKIP
        >>> axes = hist.plot()  # doctest: +SKIP
        >>> axes[0].figure.savefig("curves.png")  # doctest: +SKIP
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
            figsize=(7.5 if has_acc else 5.5, 3.2),
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
    """Stands in for the progress bars when progress=False: no output at all."""

    def __init__(self, epochs: int):
        self.epochs = range(epochs)

    def __iter__(self):
        return iter(self.epochs)

    def batches(self, train_dl):
        return train_dl

    def write(self, row: list[str]) -> None:
        pass


def _notebook_shell() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook, or a page Quarto is rendering).

    IPython is looked up, not imported: a script that never loaded it is not in a notebook.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


class _Bars:
    """A bar over each epoch's batches, and one table row per finished epoch.

    In Jupyter (and on a rendered Quarto page) it is one Markdown output, updated in place: a
    ``<progress>`` bar above the table while an epoch runs, the table alone at the end. In a
    terminal it is a text bar on one line, replaced by the epoch's row when the epoch ends.
    Markdown rather than HTML: Quarto loads require.js and jQuery from a CDN into any page with
    an HTML output, which breaks the page offline; Markdown becomes a plain table styled by the
    book's theme. No widget either, so no "IProgress not found" warning, and no dependency.
    """

    # Redraw at most this often: a display update per batch would cost more than the batch.
    INTERVAL = 0.1
    WIDTH = 30

    def __init__(self, epochs: int):
        self.epochs = epochs
        self.header: list[str] = []
        self.rows: list[list[str]] = []
        self.notebook = _notebook_shell()
        self.handle = None
        self.last = -math.inf

    def __iter__(self):
        return iter(range(self.epochs))

    def batches(self, train_dl):
        total = len(train_dl)
        epoch = len(self.rows) + 1
        for done, batch in enumerate(train_dl):
            self._draw(epoch, done, total)
            yield batch
        self._draw(epoch, total, total, force=True)

    def write(self, row: list[str]) -> None:
        if not self.header:
            self.header = list(row)
            if not self.notebook:
                print(self._text_row(self.header), flush=True)
            return
        self.rows.append(list(row))
        if self.notebook:
            self._show(self._table())
        else:
            print("\r" + self._text_row(row).ljust(self.WIDTH + 40), flush=True)

    # --- drawing -----------------------------------------------------------------------------

    def _draw(self, epoch: int, done: int, total: int, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last < self.INTERVAL:
            return
        self.last = now
        label = f"epoch {epoch}/{self.epochs}, batch {done}/{total}"
        if self.notebook:
            bar = f'<progress value="{done}" max="{total}"></progress> {label}'
            self._show(f"{bar}\n\n{self._table()}")
        else:
            filled = round(self.WIDTH * done / total) if total else self.WIDTH
            text = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {label}"
            print("\r" + text, end="", flush=True)

    def _show(self, markdown: str) -> None:
        from IPython.display import display

        text = "\n".join(self._text_row(r) for r in [self.header, *self.rows])
        bundle = {"text/markdown": markdown, "text/plain": text}
        if self.handle is None:
            self.handle = display(bundle, raw=True, display_id=True)
        else:
            self.handle.update(bundle, raw=True)

    def _table(self) -> str:
        def line(cells: list[str]) -> str:
            return "| " + " | ".join(cells) + " |"

        rule = "|" + "|".join("---:" for _ in self.header) + "|"
        return "\n".join([line(self.header), rule, *(line(r) for r in self.rows)])

    def _text_row(self, row: list[str]) -> str:
        widths = [max(len(h), 10) for h in self.header]
        return "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=False))


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


def _check_optimiser_params(model, opt) -> None:
    """Refuse an optimiser holding parameters the model does not use: it would train nothing.

    Skipped when either side does not list its parameters (a hand-written model or optimiser).
    An optimiser on only some of the model's parameters is allowed: that freezes the others.
    """
    params = getattr(model, "parameters", None)
    held = getattr(opt, "params", None)
    if not callable(params) or held is None:
        return
    mine = {id(p) for p in params()}
    foreign = [p for p in held if id(p) not in mine]
    if not foreign:
        return
    shapes = ", ".join(str(getattr(p, "shape", "?")) for p in foreign[:4])
    more = ", ..." if len(foreign) > 4 else ""
    which = (
        f"none of the optimiser's {len(held)} parameters is one of the model's"
        if len(foreign) == len(held)
        else f"{len(foreign)} of the optimiser's {len(held)} parameters are not the model's"
    )
    raise ValueError(
        f"fit: {which} (optimiser parameters of shapes {shapes}{more} are not in "
        "model.parameters()), so its steps would not train this model. Was the optimiser "
        "built on another model, or before the model was built again? Build it on this "
        f"one: {type(opt).__name__}(model.parameters(), ...)."
    )


def fit(
    model: nn.Module,
    loss_fn: nn.Loss,
    opt: Optimizer,
    train_dl: Iterable,
    valid_dl: Iterable | None = None,
    epochs: int = 1,
    progress: bool = True,
    sched: OneCycleLR | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_dl``; return the ``History``.

    Each step runs the model and the loss on a batch ``(xb, yb)``, back-propagates, takes an
    optimiser step and clears the gradients (``opt.zero_grad()``, which sets them to None, as
    torch's does); after each epoch ``valid_dl`` (if given) is evaluated. A NaN or infinite
    training loss stops the run at once, before that step changes the weights.

    Parameters
    ----------
    model : nn.Module
        The network: ``model(xb)`` -> predictions, ``model.backward(grad)``. Any object with
        those two also works (a hand-written model gets ``model.backward(grad)``; an
        ``nn.Module`` gets ``input_grad=False``, skipping the batch's unused gradient).
    loss_fn : nn.Loss
        A loss module such as ``nn.CrossEntropyLoss()`` or ``nn.MSELoss()``.
    opt : Optimizer
        An optimiser from ``pybackprop.optim`` built on ``model.parameters()``.
    train_dl : iterable of (np.ndarray, np.ndarray)
        Re-iterable ``(xb, yb)`` batches with a ``len()``, such as ``data.DataLoader``:
        ``xb`` of shape (batch, ...), ``yb`` of shape (batch,) or (batch, ...).
    valid_dl : iterable of (np.ndarray, np.ndarray) or None, default None
        Evaluated after each epoch for ``valid_loss`` and ``accuracy`` (accuracy when the
        targets are integer class labels, NaN for regression).
    epochs : int, default 1
        The number of passes over ``train_dl``.
    progress : bool, default True
        Show a progress bar and one table row per epoch; False prints nothing.
    sched : OneCycleLR or None, default None
        A schedule such as ``optim.OneCycleLR(opt, max_lr,
        total_steps=epochs * len(train_dl))``; its ``step()`` runs after every optimiser
        step.

    Returns
    -------
    History
        Per-step losses and learning rates, per-epoch losses, accuracy and times.

    Raises
    ------
    NonFiniteLossError
        As soon as a training loss is NaN or infinite (a ``FloatingPointError``).
    TypeError
        If ``train_dl`` has no ``len()``.
    ValueError
        If ``epochs`` is not a positive integer, or ``train_dl`` or ``valid_dl`` yields no
        batches, or ``opt`` holds a parameter that is not one of ``model.parameters()`` (an
        optimiser built on another model, which would train nothing); the message counts
        them and gives their shapes.

    See Also
    --------
    History, pybackprop.optim.OneCycleLR, pybackprop.data.DataLoader

    Examples
    --------
    Three epochs on 300 rows of the bundled MNIST sample, with a one-cycle schedule:

    >>> from pybackprop import nn, optim
    >>> from pybackprop.data import DataLoader, load_mnist
    >>> from pybackprop.train import fit
    >>> x_train, y_train, x_valid, y_valid = load_mnist()
    >>> train_dl = DataLoader(x_train[:300], y_train[:300], batch_size=50, shuffle=True, rng=0)
    >>> valid_dl = DataLoader(x_valid[:200], y_valid[:200], batch_size=100)
    >>> model = nn.Sequential(nn.Linear(784, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=1))
    >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> sched = optim.OneCycleLR(opt, max_lr=0.5, total_steps=3 * len(train_dl))
    >>> hist = fit(model, nn.CrossEntropyLoss(), opt, train_dl, valid_dl, epochs=3,
    ...            progress=False, sched=sched)
    >>> hist
    History: 3 epochs, 18 steps
    epoch  train_loss  valid_loss  accuracy   time
        1  ...
    >>> print(len(hist.step_loss), len(hist.lr), len(hist.accuracy))
    18 18 3
    >>> bool(hist.train_loss[-1] < hist.train_loss[0])
    True
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
    _check_optimiser_params(model, opt)
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
