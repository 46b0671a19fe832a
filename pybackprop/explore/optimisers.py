"""Chapter 12's figure: SGD, momentum and Adam on the valley, as pybackprop.optim steps them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import nn, optim
from ._figure import Axes, Explorable, Series, Slider

__all__ = ["valley_optimisers"]

SCALE = 1000  # paths are embedded as integers in thousandths: a thousandth is under a pixel

DRAW = """function (fig, d, v) {
  var runs = [
    ["sgd", d.sgd[v.lr]],
    ["momentum", d.momentum[v.lr][v.momentum]],
    ["adam", d.adam[v.adam_lr][v.beta1][v.beta2]]
  ], words = [];
  runs.forEach(function (r) {
    var xs = [], ys = [], run = r[1];
    for (var i = 0; i < run.w.length; i += 2) {
      xs.push(run.w[i] / d.scale);
      ys.push(run.w[i + 1] / d.scale);
    }
    fig.line(r[0], xs, ys);
    fig.dots(r[0] + "dots", xs, ys);
    fig.line(r[0] + "loss", d.steps, run.logloss);
    words.push(run.text);
  });
  return "After " + (d.steps.length - 1) + " steps: " + words.join("; ") + ".";
}"""


def _path(kind: str, lr: float, momentum: float, betas, curvature, start, steps) -> np.ndarray:
    """The path of w over steps of pybackprop.optim on the valley: (steps + 1, 2)."""
    p = nn.Parameter(np.array(start, dtype=np.float64))
    if kind == "adam":
        opt = optim.Adam([p], lr=lr, betas=betas)
    else:
        opt = optim.SGD([p], lr=lr, momentum=momentum)
    path = [p.data.copy()]
    for _ in range(steps):
        p.grad = np.asarray(curvature) * p.data  # the valley's gradient, as autograd would give
        opt.step()
        opt.zero_grad()
        path.append(p.data.copy())
    return np.array(path)


def valley_optimisers(
    curvature: Sequence[float] = (0.5, 20.0),
    start: Sequence[float] = (-4.5, 1.0),
    steps: int = 40,
) -> Explorable:
    """Chapter 12's explorable figure: sliders redraw SGD, momentum and Adam on the valley.

    The loss is ``0.5 * sum(curvature * w**2)``; each path is ``steps`` steps of
    ``optim.SGD`` (momentum 0 and the slider's), and ``optim.Adam``, from ``start``.

    Parameters
    ----------
    curvature : sequence of two floats
        The loss's curvature along w0 and w1, positive.
    start : sequence of two floats
        Where every path starts.
    steps : int, default 40
        The steps of each path, at least 1.

    Returns
    -------
    Explorable
        The figure; ``data["grids"]`` holds the slider values, ``data["sgd"]``,
        ``data["momentum"]``, ``data["adam"]`` the paths (integers, thousandths).

    Raises
    ------
    ValueError
        If ``curvature`` or ``start`` is not two numbers, ``curvature`` is not positive and
        finite, ``start`` not finite, or ``steps`` < 1.

    Examples
    --------
    >>> from pybackprop import explore
    >>> fig = explore.valley_optimisers(steps=2)
    >>> fig.data["sgd"][0]["w"][:4]  # lr 0.01: w0 -4.5 -> -4.4775
    [-4500, 1000, -4478, 800]
    """
    curvature = np.asarray(curvature, dtype=np.float64)
    start = np.asarray(start, dtype=np.float64)
    if curvature.shape != (2,) or start.shape != (2,) or not (isinstance(steps, int) and steps):
        raise ValueError(
            f"need curvature and start of shape (2,) and steps >= 1; got {curvature.shape}, "
            f"{start.shape}, {steps!r}"
        )
    if not (np.all(curvature > 0) and np.all(np.isfinite([*curvature, *start]))):
        raise ValueError(
            f"curvature must be positive and finite, and start finite; got curvature "
            f"{curvature.tolist()}, start {start.tolist()}"
        )
    grids = {
        "lr": [round(0.01 * i, 2) for i in range(1, 13)],
        "momentum": [0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95],
        "adam_lr": [0.05, 0.1, 0.2, 0.3, 0.4, 0.5],
        "beta1": [0.0, 0.5, 0.8, 0.9, 0.95],
        "beta2": [0.9, 0.99, 0.999],
    }

    def run(name: str, kind: str, lr: float, mom: float = 0.0, betas=(0.9, 0.999)) -> dict:
        path = _path(kind, lr, mom, betas, curvature, start, steps)
        loss = 0.5 * (curvature * path**2).sum(axis=1)
        ends = "diverges" if loss[-1] > loss[0] else f"loss {loss[-1]:.3g}"
        return {
            "w": np.clip(np.round(path * SCALE), -1e6, 1e6).astype(int).ravel().tolist(),
            "logloss": [round(float(v), 2) for v in np.log10(np.clip(loss, 1e-30, 1e30))],
            "text": f"{name} {ends}",
        }

    data = {
        "scale": SCALE,
        "steps": list(range(steps + 1)),
        "grids": grids,
        "sgd": [run(f"SGD at lr {lr:g}", "sgd", lr) for lr in grids["lr"]],
        "momentum": [
            [run(f"momentum {m:g} at lr {lr:g}", "sgd", lr, m) for m in grids["momentum"]]
            for lr in grids["lr"]
        ],
        "adam": [
            [
                [
                    run(f"Adam at lr {lr:g}, β1 {b1:g}, β2 {b2:g}", "adam", lr, betas=(b1, b2))
                    for b2 in grids["beta2"]
                ]
                for b1 in grids["beta1"]
            ]
            for lr in grids["adam_lr"]
        ],
    }
    # The loss's level sets are ellipses with semi-axes sqrt(2 level / curvature).
    contours = "".join(
        f'<ellipse class="pbx-c4 pbx-thin" cx="0" cy="0" rx="{np.sqrt(2 * lv / curvature[0]):.4g}" '
        f'ry="{np.sqrt(2 * lv / curvature[1]):.4g}"/>'
        for lv in np.geomspace(0.02, 20, 7)
    )
    names = [("sgd", "pbx-c0"), ("momentum", "pbx-c1"), ("adam", "pbx-c2")]
    paths = Axes(
        title="Paths on the valley",
        x=(-5.0, 1.0),
        y=(-1.3, 1.3),
        xticks=[(v, f"{v:g}") for v in range(-5, 2)],
        yticks=[(v, f"{v:g}") for v in (-1, 0, 1)],
        xlabel="w0 (shallow)",
        ylabel="w1 (steep)",
        under=contours,
        series=[
            s
            for name, style in names
            for s in (
                Series(name, style=f"{style} pbx-thin"),
                Series(name + "dots", "dots", f"{style} pbx-small"),
            )
        ],
    )
    losses = Axes(
        title="Loss by step",
        x=(0.0, float(steps)),
        y=(-6.0, 2.0),
        xticks=[(k, str(k)) for k in range(0, steps + 1, max(1, steps // 4))],
        yticks=[(e, f"1e{e}") for e in range(-6, 3, 2)],
        xlabel="step",
        ylabel="loss (log scale)",
        series=[Series(name + "loss", style=style) for name, style in names],
    )
    return Explorable(
        title="SGD, momentum and Adam on the valley",
        panels=[paths, losses],
        legend=[("pbx-c0", "SGD"), ("pbx-c1", "SGD with momentum"), ("pbx-c2", "Adam")],
        controls=[
            Slider("lr", "SGD learning rate", [f"{v:g}" for v in grids["lr"]], 3),
            Slider("momentum", "momentum", [f"{v:g}" for v in grids["momentum"]], 4),
            Slider("adam_lr", "Adam learning rate", [f"{v:g}" for v in grids["adam_lr"]], 3),
            Slider("beta1", "Adam β1", [f"{v:g}" for v in grids["beta1"]], 3),
            Slider("beta2", "Adam β2", [f"{v:g}" for v in grids["beta2"]], 2),
        ],
        data=data,
        draw=DRAW,
    )
