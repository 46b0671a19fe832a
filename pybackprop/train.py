"""The training loop: ``fit`` runs epochs of minibatch steps and returns a ``History``.

Each step is the four lines the chapters write by hand: ``loss = loss_fn(model(xb), yb)``,
``model.backward(loss_fn.backward())``, ``opt.step()``, ``opt.zero_grad()``. The progress bar
needs no dependency: in Jupyter and on a rendered Quarto page it is one Markdown output (a
``<progress>`` bar above a table of epochs), in a terminal a text bar. matplotlib (for
``History.plot``) and IPython are imported only when used, so ``import pybackprop`` stays
numpy-only.
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
from .optim import Optimizer
from .optim.lr_scheduler import OneCycleLR

__all__ = ["History", "NonFiniteLossError", "fit"]


class NonFiniteLossError(FloatingPointError):
    """The training or validation loss became NaN or infinite: training diverged.

    Raised by ``fit`` before the step with the bad loss changes the weights; a
    ``FloatingPointError``, so ``except FloatingPointError`` catches it too.

    Parameters
    ----------
    loss : float
        The non-finite loss (NaN, ``inf`` or ``-inf``); also the attribute ``loss``.
    epoch : int
        The epoch it happened in, counted from 1; also the attribute ``epoch``.
    step : int or None
        The step within that epoch, counted from 1, or None for the validation loss after the
        epoch; also the attribute ``step``.
    steps_per_epoch : int
        The number of steps in an epoch, for the message.
    lr : float or None, default None
        The learning rate at that step, suggested as the thing to lower.
    history : History or None, default None
        What ``fit`` recorded before the failing step (plot it); also the attribute ``history``.
    """

    def __init__(
        self,
        loss: float,
        epoch: int,
        step: int | None,
        steps_per_epoch: int,
        lr: float | None = None,
        history: "History | None" = None,
    ) -> None:
        self.loss, self.epoch, self.step, self.history = loss, epoch, step, history
        lr_note = f" (lr was {lr:g})" if isinstance(lr, float) else ""
        if step is None:
            what = (
                f"the validation loss became {loss} after epoch {epoch}: training diverged "
                "(or valid_dl holds NaN or inf)"
            )
        else:
            what = (
                f"the training loss became {loss} at epoch {epoch}, step {step} of "
                f"{steps_per_epoch}: training diverged"
            )
        super().__init__(f"{what}. Try a smaller learning rate{lr_note}.")


@dataclass(repr=False)
class History:
    """What ``fit`` recorded: per-step losses and learning rates, per-epoch metrics.

    Each argument is also the attribute of that name, a list that grows as training runs. The
    repr has the columns and cells of the table ``fit`` prints, a value not recorded as ``-``.

    Parameters
    ----------
    step_loss : list of float, length n_steps
        Per optimiser step, all epochs in a row: the training loss of the minibatch.
    lr : list of float, length n_steps
        Per step: the learning rate the step used.
    train_loss : list of float, length epochs
        Per epoch: the training loss averaged over the epoch's rows.
    valid_loss : list of float, length epochs
        Per epoch: the loss on ``valid_dl`` after the epoch (NaN without ``valid_dl``).
    accuracy : list of float, length epochs
        Per epoch: the fraction of ``valid_dl`` classified right (NaN without it, or in regression).
    epoch_time : list of float, length epochs
        Per epoch: the seconds the epoch took, validation included.
    validated : bool, default False
        Whether ``valid_dl`` was evaluated: the table then shows ``valid_loss`` and ``accuracy``.
    steps_per_epoch : int or None, default None
        Steps in an epoch, to place the steps of an unfinished one (None: ``n_steps / epochs``).

    Examples
    --------
    >>> from pybackprop.train import History
    >>> History(step_loss=[2.3, 1.9], lr=[0.1, 0.1], train_loss=[2.1])
    History: 1 epoch, 2 steps
    epoch  train_loss  time
        1    2.100000     -
    """

    step_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    valid_loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    validated: bool = False
    steps_per_epoch: int | None = None

    @property
    def epochs(self) -> int:
        """The number of epochs recorded, ``len(train_loss)``."""
        return len(self.train_loss)

    def _columns(self) -> list[str]:
        """The columns of fit's table: valid_loss and accuracy only with validation."""
        return ["epoch", "train_loss"] + ["valid_loss", "accuracy"] * self.validated + ["time"]

    def _row(self, i: int, cols: list[str]) -> list[str]:
        """Epoch ``i``'s cells for the columns ``cols``: a NaN loss as nan, a missing value as -."""

        def cell(values: list[float], fmt: str) -> str:
            return fmt.format(values[i]) if i < len(values) else "-"

        acc = cell(self.accuracy, "{:.4f}")  # NaN where fit did not classify: not applicable
        cells = {
            "epoch": str(i + 1),
            "train_loss": cell(self.train_loss, "{:.6f}"),
            "valid_loss": cell(self.valid_loss, "{:.6f}"),
            "accuracy": "-" if acc == "nan" else acc,
            "time": cell(self.epoch_time, "{:.2f}s"),
        }
        return [cells[c] for c in cols]

    def __repr__(self) -> str:
        steps, epochs, s = len(self.step_loss), self.epochs, "s" * (len(self.step_loss) != 1)
        n_rows = max(map(len, (self.train_loss, self.valid_loss, self.accuracy, self.epoch_time)))
        if not (steps or n_rows):
            return "History(no epochs yet)"
        head = f"History: {steps} step{s} of epoch 1, no finished epoch"
        if epochs:
            head = f"History: {epochs} epoch{'s' * (epochs != 1)}, {steps} step{s}"
        unfinished = steps - epochs * (self.steps_per_epoch or steps)  # a run that diverged
        if epochs and unfinished > 0:
            head += f" ({unfinished} of them in unfinished epoch {epochs + 1})"
        cols = self._columns()
        rows = [cols] + [self._row(i, cols) for i in range(n_rows)]
        widths = [max(len(r[j]) for r in rows) for j in range(len(cols))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        return "\n".join([head] + lines * bool(n_rows))

    def plot(self) -> np.ndarray:
        """Loss curves (per step and per epoch) and, for classification, the accuracy.

        Needs matplotlib, imported here rather than with ``pybackprop``.

        Returns
        -------
        np.ndarray of matplotlib Axes of shape (n_panels,)
            One Axes per panel (1, or 2 with accuracy); ``axes[0].figure`` is the Figure.

        Raises
        ------
        ImportError
            If matplotlib is not installed.
        ValueError
            If the History has no steps and no epochs.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:
            raise ImportError("History.plot() needs matplotlib: pip install matplotlib") from e
        if not self.epochs and not self.step_loss:
            raise ValueError("nothing to plot: the History has no steps and no epochs")
        has_acc = any(not math.isnan(a) for a in self.accuracy)
        _, axes = plt.subplots(
            1,
            2 if has_acc else 1,
            figsize=(7.5 if has_acc else 5.5, 3.2),
            squeeze=False,
            layout="constrained",
        )
        ax = axes[0, 0]
        # Step k at k / steps_per_epoch epochs; a hand-built History without any epoch, by step.
        per = self.steps_per_epoch or (len(self.step_loss) / self.epochs if self.epochs else 0)
        steps = np.arange(1, len(self.step_loss) + 1) / (per or 1)
        ax.plot(steps, self.step_loss, lw=0.8, alpha=0.5, label="train (per step)")
        # An epoch's mean averages weights from its whole span: drawn at its middle, not its end,
        # where the validation loss is measured.
        means = np.arange(len(self.train_loss)) + 0.5
        ax.plot(means, self.train_loss, "o-", label="train (epoch mean)")
        if any(not math.isnan(v) for v in self.valid_loss):
            ends = np.arange(1, len(self.valid_loss) + 1)
            ax.plot(ends, self.valid_loss, "s-", label="valid (epoch end)")
        ax.set(xlabel="epoch" if per else "step", ylabel="loss", title="Loss")
        ax.legend()
        if has_acc:
            ax = axes[0, 1]
            ends = np.arange(1, len(self.accuracy) + 1)
            ax.plot(ends, self.accuracy, "s-", color="C2")
            ax.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
            ax.set_xticks(ends)
            # At least 0.1 tall, so that a change of a few examples does not fill the panel.
            low, high = np.nanmin(self.accuracy), np.nanmax(self.accuracy)
            bottom = max(0.0, min(low - 0.01, (low + high) / 2 - 0.05))
            top = min(1.0, max(high + 0.01, bottom + 0.1))
            ax.set_ylim(min(bottom, top - 0.1), top)
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

    def stop(self, line: str) -> None:
        print(line, flush=True)


def _notebook_shell() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook, or a page Quarto is rendering)."""
    # IPython is looked up, not imported: a script that never loaded it is not in a notebook.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


class _Bars:
    """A bar over each epoch's batches, and one table row per finished epoch."""

    # In Jupyter, one Markdown output updated in place; in a terminal, a text bar replaced by
    # the epoch's row. Markdown rather than HTML: Quarto loads require.js and jQuery from a CDN
    # into any page with an HTML output, which breaks the page offline. No widget either, so
    # no "IProgress not found" warning, and no dependency.

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

    def stop(self, line: str) -> None:
        """End with ``line`` under the table (in a terminal, over the unfinished bar)."""
        print(line if self.notebook else "\r" + line.ljust(self.WIDTH + 40), flush=True)

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
    """(mean loss, accuracy) over `valid_dl`, by rows; accuracy NaN unless it classifies."""
    total_loss = total_correct = 0.0
    n = 0
    classification = True
    for i, (xb, yb) in enumerate(valid_dl, start=1):
        rows = len(xb)
        if rows == 0:
            raise ValueError(_empty_batch("valid_dl", f"batch {i}"))
        pred = model(xb)
        total_loss += float(loss_fn(pred, yb)) * rows
        # Classification is (n, c) scores and (n,) integer labels; integer regression targets,
        # (n, 1) or one-hot (n, c), have no accuracy.
        labels = np.asarray(yb)
        classification = (
            classification
            and np.ndim(pred) == 2
            and labels.shape == (len(pred),)
            and np.issubdtype(labels.dtype, np.integer)
        )
        if classification:
            total_correct += float(F.accuracy(pred, yb)) * rows
        n += rows
    if n == 0:
        raise ValueError("valid_dl yielded no batches")
    return total_loss / n, (total_correct / n if classification else math.nan)


def _empty_batch(name: str, where: str) -> str:
    """The message for a batch of 0 rows (its mean loss would be NaN, not a divergence)."""
    return (
        f"{name} yielded an empty batch (0 rows) at {where}: a batch needs at least one row. "
        "Does the loader slice past the end of the data?"
    )


def _check_arguments(model, loss_fn, opt, valid_dl, epochs, sched) -> None:
    """A TypeError for an argument of the wrong kind, a ValueError for epochs < 1."""
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer):
        raise TypeError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    needs = [
        ("model", model, ("__call__", "backward"), "an nn.Module"),
        ("loss_fn", loss_fn, ("__call__", "backward"), "a loss module such as nn.MSELoss()"),
        ("opt", opt, ("step", "zero_grad"), "an optimiser such as optim.SGD(...)"),
        ("sched", sched, ("step",), "a schedule such as OneCycleLR or None"),
        ("valid_dl", valid_dl, ("__iter__",), "an iterable of (xb, yb) batches or None"),
    ]
    for name, value, methods, like in needs:
        if isinstance(value, type):
            raise TypeError(f"fit: {name} is the class {value.__name__}; pass an instance of it")
        missing = [m for m in methods if not callable(getattr(value, m, None))]
        if missing and not (value is None and name in ("sched", "valid_dl")):
            raise TypeError(
                f"fit: {name} must be {like}, with {' and '.join(methods)}; got "
                f"{type(value).__name__} {_short(value)}, which has no {missing[0]}"
            )


def _short(value: object) -> str:
    """repr(value), cut to 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_schedule(sched, opt, epochs: int, steps_per_epoch: int) -> None:
    """Refuse a schedule built on another optimiser, or a OneCycleLR with too few steps left."""
    # Skipped, as in _check_optimiser_params, for a hand-written schedule that names no optimiser.
    held = getattr(sched, "optimizer", None)
    if held is not None and held is not opt:
        lr = getattr(opt, "lr", None)
        at = f" lr={lr:g}" if isinstance(lr, float) else " lr"
        raise ValueError(
            f"fit: sched was built on another optimiser ({type(held).__name__}), not on opt, "
            f"so it would set that one's learning rate and opt would train at its constant{at}. "
            "Was opt built again after the schedule (a cell run again)? Build the schedule on "
            f"the optimiser passed to fit: {type(sched).__name__}(opt, ...)."
        )
    if not isinstance(sched, OneCycleLR):
        return
    needed, left = epochs * steps_per_epoch, sched.total_steps - sched.step_num
    if needed > left:
        taken = f", {sched.step_num} already taken" if sched.step_num else ""
        raise ValueError(
            f"fit: the schedule has {left} steps left (total_steps={sched.total_steps}{taken}) "
            f"but fit takes epochs * len(train_dl) = {epochs} * {steps_per_epoch} = {needed} "
            f"steps. Build it with total_steps={needed + sched.step_num}."
        )


def _check_optimiser_params(model, opt) -> None:
    """Refuse an optimiser holding parameters the model does not use: it would train nothing."""
    # Skipped for a hand-written model or optimiser that does not list its parameters. An
    # optimiser on only some of the model's parameters is allowed: that freezes the others.
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

    Each step ends with ``opt.zero_grad()``, which clears the gradients to None as torch's does
    (fit also clears them before its first step and however it ends). After each epoch
    ``valid_dl`` (if given) is evaluated. A NaN or infinite loss stops the run at once, before
    that step changes the weights. Ctrl-C (KeyboardInterrupt) stops it with one line saying
    where, and fit returns the History of the finished epochs.

    Parameters
    ----------
    model : nn.Module
        The network, or any object with ``model(xb)`` and ``model.backward(grad)``.
    loss_fn : nn.Loss
        A loss module such as ``nn.CrossEntropyLoss()`` or ``nn.MSELoss()``.
    opt : Optimizer
        An optimiser from ``pybackprop.optim`` built on ``model.parameters()``.
    train_dl : iterable of (np.ndarray, np.ndarray)
        Re-iterable ``(xb, yb)`` batches with a ``len()``, such as ``data.DataLoader``: ``xb``
        of shape (batch, ...), ``yb`` of shape (batch,) or (batch, ...).
    valid_dl : iterable of (np.ndarray, np.ndarray) or None, default None
        Evaluated after each epoch for ``valid_loss`` and ``accuracy`` (NaN unless the
        model gives (batch, n_classes) scores and ``yb`` is (batch,) integer labels).
    epochs : int, default 1
        The number of passes over ``train_dl``.
    progress : bool, default True
        Show a progress bar and one table row per epoch; False prints nothing.
    sched : OneCycleLR or None, default None
        A schedule built on ``opt``, over ``epochs * len(train_dl)`` steps; its ``step()``
        runs after each step.

    Returns
    -------
    History
        Per-step losses and learning rates, per-epoch losses, accuracy and times.

    Raises
    ------
    NonFiniteLossError
        As soon as a training or validation loss is NaN or infinite.
    TypeError
        If ``epochs`` is not an integer, ``train_dl`` has no ``len()``, or another argument
        lacks the methods fit calls (``model.backward``, ``opt.step``, ...).
    ValueError
        If ``epochs`` < 1, ``train_dl`` yields no batches or a batch of 0 rows, ``opt`` holds
        a parameter that is not one of ``model.parameters()``, or ``sched`` was built on an
        optimiser other than ``opt`` or has fewer steps left than ``epochs * len(train_dl)``.

    Examples
    --------
    >>> from pybackprop import data, nn, optim, train
    >>> x, y, _, _ = data.load_mnist()
    >>> model = nn.Sequential(nn.Linear(784, 32, rng=0), nn.ReLU(), nn.Linear(32, 10, rng=1))
    >>> opt, dl = optim.SGD(model.parameters(), lr=0.1), data.DataLoader(x[:300], y[:300], 50)
    >>> hist = train.fit(model, nn.CrossEntropyLoss(), opt, dl, epochs=2, progress=False)
    >>> hist.epochs, len(hist.step_loss)
    (2, 12)
    """
    _check_arguments(model, loss_fn, opt, valid_dl, epochs, sched)
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
    _check_schedule(sched, opt, epochs, steps_per_epoch)
    # The batch itself needs no gradient: an nn.Module can skip computing dL/dx for it, as
    # torch does for inputs; a hand-written model just gets model.backward(grad).
    backward = (
        partial(model.backward, input_grad=False)
        if isinstance(model, nn.Module)
        else model.backward
    )
    bars = _Bars(epochs) if progress else _Silent(epochs)
    hist = History(validated=valid_dl is not None, steps_per_epoch=steps_per_epoch)
    cols = hist._columns()
    bars.write(cols)
    epoch, step, validating = 0, 0, False
    # Gradients left by earlier code (an interrupted run, a hand-written step) would be added
    # into the first step's: start from none, and leave none however fit ends.
    opt.zero_grad()
    try:
        for epoch in bars:
            start = time.perf_counter()
            total, n, step, validating = 0.0, 0, 0, False
            # A diverging run is reported once, by NonFiniteLossError, not by numpy warnings.
            # (Entered once per epoch: on every step it would cost about a microsecond.)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for step, (xb, yb) in enumerate(bars.batches(train_dl), start=1):
                    rows = len(xb)
                    if rows == 0:
                        where = f"epoch {epoch + 1}, step {step} of {steps_per_epoch}"
                        raise ValueError(_empty_batch("train_dl", where))
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
                    total += loss * rows
                    n += rows
                validating = hist.validated
                valid_loss, acc = (
                    _evaluate(model, loss_fn, valid_dl) if validating else (math.nan, math.nan)
                )
            # The epoch is recorded whole, after validation: an interrupt leaves no half row.
            hist.train_loss.append(total / n)
            hist.valid_loss.append(valid_loss)
            hist.accuracy.append(acc)
            hist.epoch_time.append(time.perf_counter() - start)
            bars.write(hist._row(epoch, cols))
            if validating and not math.isfinite(valid_loss):
                raise NonFiniteLossError(
                    valid_loss, epoch + 1, None, steps_per_epoch, getattr(opt, "lr", None), hist
                )
    except KeyboardInterrupt:
        # Stop as fast.ai's Learner does: one line saying where, the finished epochs kept.
        done = hist.epochs * steps_per_epoch
        del hist.step_loss[done:], hist.lr[done:]
        at = "validation" if validating else f"step {step} of {steps_per_epoch}"
        bars.stop(
            f"fit interrupted at epoch {epoch + 1} of {epochs}, {at}; returning the History "
            f"of the {hist.epochs} finished epoch{'s' * (hist.epochs != 1)}."
        )
    finally:
        opt.zero_grad()
    return hist
