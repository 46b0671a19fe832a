"""Chapter 4's figures: gradient descent on one number, and the moons MLP in training."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import nn
from ..nn import functional as F
from ..scalar import MLP, Value
from ._figure import Axes, Explorable, Series, Slider, int_ticks

__all__ = ["learning_rate_1d", "moons_training"]

DRAW_1D = """function (fig, d, v) {
  var r = d.runs[v.lr], steps = d.steps.slice(0, r.c.length), last = r.c.length - 1;
  fig.line("path", r.c, r.loss);
  fig.dots("points", r.c, r.loss);
  fig.line("dist", steps, r.logdist);
  fig.dots("distdots", steps, r.logdist);
  fig.dots("stop", r.diverged ? [last] : [], r.diverged ? [Math.min(r.logdist[last], 3.6)] : []);
  return r.text;
}"""

DRAW_MOONS = """function (fig, d, v) {
  var k = v.step, bits = d.signs[k], g = d.grid, pos = "", neg = "";
  for (var row = 0; row < g.n; row++) {
    var y0 = g.y0 + (row - 0.5) * g.dy;
    for (var col = 0; col < g.n; col++) {
      var i = row * g.n + col;
      var on = (parseInt(bits[i >> 2], 16) >> (3 - (i & 3))) & 1;
      var cell = "M" + (g.x0 + (col - 0.5) * g.dx) + " " + y0 + "h" + g.dx + "v" + g.dy +
        "h" + (-g.dx) + "z";
      if (on) pos += cell; else neg += cell;
    }
  }
  fig.part("pos").setAttribute("d", pos);
  fig.part("neg").setAttribute("d", neg);
  fig.dots("class0", d.points[0][0], d.points[0][1]);
  fig.dots("class1", d.points[1][0], d.points[1][1]);
  fig.line("losses", d.steps, d.loss);
  fig.line("sofar", d.steps.slice(0, k + 1), d.loss.slice(0, k + 1));
  fig.dots("now", [k], [d.loss[k]]);
  return d.texts[k];
}"""


# How far from the mean, in starting distances (at least 1), a diverging run may go.
_FAR = 1e6


def _sig(values, digits: int = 5) -> list[float]:
    """Each value rounded to `digits` significant digits, as floats for JSON."""
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def learning_rate_1d(
    targets: Sequence[float],
    lrs: Sequence[float] = tuple(np.round(np.arange(1, 26) * 0.05, 2)),
    steps: int = 12,
    start: float = 0.0,
) -> Explorable:
    """Chapter 4's explorable figure: a learning-rate slider redraws descent on a 1-D loss.

    The loss is the MSE of one constant c against the targets; each run takes ``steps``
    gradient-descent steps from ``start``, its gradient from ``Value.backward()``. A diverging
    run stops, marked, once c would go 1e6 starting distances from the mean.

    Parameters
    ----------
    targets : sequence of float of length n
        The numbers c is compared with; the minimum is at their mean.
    lrs : sequence of float of length m
        The learning rates the slider offers, positive.
    steps : int, default 12
        The steps of each run, at least 2.
    start : float, default 0.0
        Where c starts.

    Returns
    -------
    Explorable
        The figure; ``data["runs"][i]`` holds the path of ``lrs[i]`` ("c", "loss").

    Raises
    ------
    ValueError
        If there are no targets or learning rates, one is not positive or finite, ``steps``
        < 2, or the loss at ``start`` overflows a float.

    Examples
    --------
    >>> from pybackprop import explore
    >>> fig = explore.learning_rate_1d([3.0, -0.5, 2.0, 7.0], lrs=[0.25, 1.1])
    >>> fig.data["runs"][0]["c"][:3]
    [0.0, 1.4375, 2.1562]
    """
    targets = [float(t) for t in targets]
    lrs = [float(lr) for lr in lrs]
    if not targets or not lrs or min(lrs) <= 0 or not (isinstance(steps, int) and steps >= 2):
        raise ValueError(
            f"need targets, positive learning rates and steps >= 2; got {len(targets)} targets, "
            f"lrs {lrs}, steps {steps!r}"
        )
    if not all(math.isfinite(v) for v in [*targets, *lrs, start]):
        raise ValueError(
            f"targets, lrs and start must be finite; got targets {targets}, lrs {lrs}, "
            f"start {start}"
        )
    mean = sum(targets) / len(targets)
    # A diverging run stops once c is this far from the mean (far off both panels), before
    # its loss overflows a float; the figure marks where it stopped.
    bound = _FAR * max(1.0, abs(start - mean))
    runs = []
    for lr in lrs:
        c, cs, losses, ratio = Value(start), [], [], None
        for _ in range(steps + 1):
            if not abs(c.data - mean) <= bound:  # also stops at inf and nan
                break
            try:
                loss = sum((c - t) ** 2 for t in targets) / len(targets)
            except OverflowError:  # targets so large that even this loss overflows
                break
            cs.append(c.data)
            losses.append(loss.data)
            c.grad = 0.0
            loss.backward()
            c = Value(c.data - lr * c.grad)
            if ratio is None:  # the factor of every step: 1 - 2 lr
                ratio = (c.data - mean) / (cs[0] - mean) + 0.0 if cs[0] != mean else 0.0
        if not cs:
            raise ValueError(f"the loss at start = {start:g} overflows a float; got {targets}")
        dist = np.abs(np.array(cs) - mean)
        diverged = len(cs) <= steps
        if abs(ratio) < 1e-9:
            how = "c lands on the mean in one step and stays"
        elif abs(abs(ratio) - 1) < 1e-9:
            how = "c bounces between two points for ever"
        elif abs(ratio) > 1:
            how = "c diverges: every jump is larger than the last"
        elif ratio < 0:
            how = "c overshoots, jumping from side to side, but converges"
        else:
            how = "c creeps up on the mean from one side"
        done = f"After {len(cs) - 1} steps c = {cs[-1]:.4g} and the loss is {losses[-1]:.4g}"
        if diverged:
            done = (
                f"Diverged: the run stops after {len(cs) - 1} of {steps} steps, as the next "
                f"would take c over {bound:.3g} from the mean; c = {cs[-1]:.4g} and the loss "
                f"is {losses[-1]:.4g}"
            )
        runs.append(
            {
                "c": _sig(cs),
                "loss": _sig(losses),
                "logdist": _sig(np.log10(np.maximum(dist, 1e-12)), 4),
                "diverged": diverged,
                "text": (
                    f"lr {lr:g}: each step multiplies c's distance to the mean {mean:g} by "
                    f"{ratio:.2f}, so {how}. {done} (its minimum: "
                    f"{losses[0] - (start - mean) ** 2:.4g})."
                ),
            }
        )
    cs = np.linspace(mean - 6, mean + 6, 121)
    curve = [float(F.mse_loss(np.full(len(targets), ci), np.array(targets))) for ci in cs]
    top = 10 * np.ceil(max(curve) / 10)
    parabola = " ".join(f"{ci:.4g},{li:.4g}" for ci, li in zip(cs, curve, strict=True))
    loss_axes = Axes(
        title="The loss of c and the steps",
        x=(mean - 6, mean + 6),
        y=(0.0, top),
        xticks=int_ticks(mean - 6, mean + 6, 2),
        yticks=[(v, f"{v:g}") for v in np.arange(0, top + 1, 10)],
        xlabel="c",
        ylabel="MSE",
        under=f'<polyline class="pbx-c4" points="{parabola}"/>',
        series=[Series("path", style="pbx-c1 pbx-thin"), Series("points", "dots", "pbx-c1")],
    )
    dist_axes = Axes(
        title="Distance |c - mean| by step",
        x=(0.0, float(steps)),
        y=(-8.0, 4.0),
        xticks=[(k, str(k)) for k in range(0, steps + 1, max(1, steps // 6))],
        yticks=[(e, f"1e{e}") for e in range(-8, 5, 2)],
        xlabel="step",
        ylabel="distance (log scale)",
        series=[
            Series("dist", style="pbx-c0 pbx-thin"),
            Series("distdots", "dots", "pbx-c0"),
            Series("stop", "dots", "pbx-c3"),
        ],
    )
    stopped = [("pbx-c3 pbx-dots", "where a diverging run stops")]
    return Explorable(
        title="Gradient descent and the learning rate",
        panels=[loss_axes, dist_axes],
        legend=[("pbx-c4", "the loss, MSE of c"), ("pbx-c1", "c after each step")]
        + (stopped if any(r["diverged"] for r in runs) else []),
        controls=[Slider("lr", "learning rate", [f"{lr:g}" for lr in lrs], min(5, len(lrs) - 1))],
        data={"steps": list(range(steps + 1)), "runs": runs},
        draw=DRAW_1D,
    )


def _array_model(mlp: MLP) -> nn.Sequential:
    """The scalar MLP's weights in array layers (float64): same maths, a whole grid at once."""
    modules: list[nn.Module] = []
    for i, layer in enumerate(mlp.layers):
        w = np.array([[wi.data for wi in n.w] for n in layer.neurons]).T  # (n_in, n_out)
        linear = nn.Linear(*w.shape, dtype=np.float64)
        linear.weight.data[...] = w
        linear.bias.data[...] = [n.b.data for n in layer.neurons]
        modules += [linear] if i == len(mlp.layers) - 1 else [linear, nn.ReLU()]
    return nn.Sequential(*modules)


def moons_training(
    x: np.ndarray,
    y: np.ndarray,
    steps: int = 40,
    hidden: Sequence[int] = (16, 16),
    alpha: float = 1e-4,
    lr: tuple[float, float] = (1.0, 0.1),
    rng: int = 1,
    grid: int = 40,
) -> Explorable:
    """Chapter 4's explorable figure: a step slider scrubs through training on the moons.

    Trains ``MLP(2, [*hidden, 1], rng=rng)``'s weights (``pybackprop.scalar``), held in float64
    array layers (``pybackprop.nn``), by full-batch gradient descent on the mean hinge loss plus
    ``alpha`` times the squared weights, the learning rate falling linearly from ``lr[0]``
    towards ``lr[1]``, as chapter 4 does. At every step it records the loss, the accuracy, and
    the sign of the score on a ``grid`` x ``grid`` grid over the data.

    Parameters
    ----------
    x : np.ndarray of shape (n, 2)
        The points.
    y : np.ndarray of shape (n,)
        Their classes, 0 or 1.
    steps : int, default 40
        The training steps, at least 1.
    hidden : sequence of int, default (16, 16)
        The hidden layers' widths.
    alpha : float, default 1e-4
        The weight of the L2 penalty.
    lr : tuple of two floats, default (1.0, 0.1)
        The learning rate at step 0 and the one it falls towards.
    rng : int, default 1
        The seed of the MLP's weights.
    grid : int, default 40
        Grid points along each axis.

    Returns
    -------
    Explorable
        The figure; ``data["loss"]``, ``data["accuracy"]``: one per step (steps + 1).

    Raises
    ------
    ValueError
        If x is not (n, 2), y not n labels 0 or 1, or steps < 1.

    Examples
    --------
    >>> from pybackprop import explore
    >>> from pybackprop.data import make_moons
    >>> x, y = make_moons(20, noise=0.1, rng=1)
    >>> fig = explore.moons_training(x, y, steps=2, hidden=(4,), grid=8)
    >>> len(fig.data["loss"]), len(fig.data["signs"][0])
    (3, 16)
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2 or y.shape != x.shape[:1] or not np.isin(y, (0, 1)).all():
        raise ValueError(
            f"moons_training needs points x (n, 2) and labels y (n,) of 0 and 1; "
            f"got x {x.shape} and y {y.shape} with values {np.unique(y)[:5]}"
        )
    if not (isinstance(steps, int) and steps >= 1):
        raise ValueError(f"steps must be an integer of at least 1; got {steps!r}")
    signs_y = 2.0 * y - 1
    # The scalar engine's maths in array layers: the same numbers to rounding, and a whole
    # training run in milliseconds instead of seconds (chapter 4 trains the scalar MLP itself).
    net = _array_model(MLP(2, [*hidden, 1], rng=rng))
    lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    gx, gy = np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid)
    points = np.column_stack([np.tile(gx, grid), np.repeat(gy, grid)])  # row by row, y outer
    losses, accuracies, signs, texts = [], [], [], []
    for k in range(steps + 1):
        on = (net(points)[:, 0] > 0).astype(np.uint8)
        signs.append(np.packbits(on).tobytes().hex()[: (grid * grid + 3) // 4])
        scores = net(x)[:, 0]
        margins = 1 - signs_y * scores
        penalty = sum(float(np.sum(p.data * p.data)) for p in net.parameters())
        loss = float(np.maximum(margins, 0).mean()) + alpha * penalty
        acc = float(np.mean((scores > 0) == (signs_y > 0)))
        losses.append(loss)
        accuracies.append(acc)
        text = f"Step {k} of {steps}: loss {loss:.4f}, training accuracy {acc:.0%}."
        if k < steps:
            rate = lr[0] + (lr[1] - lr[0]) * k / steps
            net.zero_grad()
            net.backward((-signs_y * (margins > 0) / len(x))[:, None], input_grad=False)
            for p in net.parameters():
                p.data -= rate * (p.grad + 2 * alpha * p.data)  # the hinge's grad, the L2's
            text += f" This step's learning rate: {rate:.3f}."
        texts.append(text + " Shaded: the sign of the network's score on the plane.")
    top = float(np.ceil(max(losses) * 2) / 2)
    board = Axes(
        title="Decision boundary",
        x=(float(lo[0]), float(hi[0])),
        y=(float(lo[1]), float(hi[1])),
        xticks=int_ticks(lo[0], hi[0]),
        yticks=int_ticks(lo[1], hi[1]),
        xlabel="x[:, 0]",
        ylabel="x[:, 1]",
        series=[
            Series("neg", "fill", "pbx-c0"),
            Series("pos", "fill", "pbx-c1"),
            Series("class0", "dots", "pbx-c0 pbx-small"),
            Series("class1", "dots", "pbx-c1 pbx-small"),
        ],
    )
    curve = Axes(
        title="Loss by step",
        x=(0.0, float(steps)),
        y=(0.0, top),
        xticks=[(k, str(k)) for k in range(0, steps + 1, max(1, steps // 4))],
        yticks=[(v, f"{v:g}") for v in np.linspace(0, top, 5)],
        xlabel="step",
        ylabel="hinge loss + L2",
        series=[
            Series("losses", style="pbx-c4 pbx-thin"),
            Series("sofar", style="pbx-c0"),
            Series("now", "dots", "pbx-c0"),
        ],
    )
    data = {
        "steps": list(range(steps + 1)),
        "loss": _sig(losses),
        "accuracy": accuracies,
        "texts": texts,
        "signs": signs,
        "grid": {
            "n": grid,
            **{k: float(v) for k, v in [("x0", gx[0]), ("dx", gx[1] - gx[0])]},
            **{k: float(v) for k, v in [("y0", gy[0]), ("dy", gy[1] - gy[0])]},
        },
        "points": [[_sig(x[y == c, 0], 4), _sig(x[y == c, 1], 4)] for c in (0, 1)],
    }
    return Explorable(
        title="Training the MLP on two moons",
        panels=[board, curve],
        legend=[
            ("pbx-c0 pbx-dots", "class 0 (score < 0)"),
            ("pbx-c1 pbx-dots", "class 1 (score > 0)"),
            ("pbx-c0", "loss so far"),
        ],
        controls=[Slider("step", "training step", [str(k) for k in range(steps + 1)], 0)],
        data=data,
        draw=DRAW_MOONS,
    )
