"""Chapter 11's figure: activation statistics through a deep ReLU MLP, by initialisation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import nn
from ..data import load_mnist, mean_std
from ..nn import init
from ._figure import Axes, Choice, Explorable, Series, Slider

__all__ = ["activations_by_init"]

DRAW = """function (fig, d, v) {
  var r = v.init === 1 ? d.kaiming[v.inputs] : d.naive[v.inputs][v.std];
  fig.line("std", d.layers, r.std);
  fig.dots("stddots", d.layers, r.std);
  fig.line("mean", d.layers, r.mean);
  fig.dots("meandots", d.layers, r.mean);
  return r.text;
}"""

INPUTS = ("pixels / 255", "normalised")
WEIGHTS = ("naive: std from the slider", "Kaiming: std √(2/n_in)")


def _stats(model: nn.Sequential, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of the activations after each ReLU of the model: two arrays (depth,)."""
    means, stds = [], []
    for module in model:
        x = module(x)
        if isinstance(module, nn.ReLU):
            means.append(x.mean())
            stds.append(x.std())
    return np.array(means), np.array(stds)


def activations_by_init(
    depth: int = 20,
    width: int = 64,
    rows: int = 128,
    stds: Sequence[float] = tuple(np.geomspace(0.01, 1.0, 21)),
    seed: int = 0,
) -> Explorable:
    """Chapter 11's explorable figure: weight scale and inputs against activation statistics.

    ``depth`` layers ``nn.Linear(n_in, width, bias=False)`` + ``nn.ReLU`` (float64) take ``rows``
    images of the bundled MNIST sample, as pixels / 255 or normalised with the training set's
    ``mean_std``; weights are standard normals (``init.kaiming_normal_``'s draws, seeded) times
    the slider's std (naive) or ``sqrt(2 / n_in)`` (Kaiming). Each run records the mean and
    std after every ReLU.

    Parameters
    ----------
    depth : int, default 20
        The number of layers, at least 2.
    width : int, default 64
        The width of every layer.
    rows : int, default 128
        How many training images go through.
    stds : sequence of float of length m
        The naive weight stds the slider offers, positive.
    seed : int, default 0
        The seed of the weights (the same draws for every setting).

    Returns
    -------
    Explorable
        The figure; ``data["naive"][inputs][i]`` and ``data["kaiming"][inputs]`` hold each
        run's log10 "std" and "mean" by layer.

    Raises
    ------
    ValueError
        If ``depth`` < 2 or a std is not positive.

    Examples
    --------
    >>> from pybackprop import explore
    >>> fig = explore.activations_by_init(depth=3, width=10, rows=8, stds=[0.1, 1.0])
    >>> len(fig.data["naive"][0]), len(fig.data["kaiming"][1]["std"])
    (2, 3)
    """
    stds = [float(s) for s in stds]
    if not (isinstance(depth, int) and depth >= 2) or not stds or min(stds) <= 0:
        raise ValueError(f"need depth >= 2 and positive stds; got depth {depth!r}, stds {stds}")
    x_train = load_mnist()[0]
    mean, std = mean_std(x_train)
    x = x_train[:rows].astype(np.float64)
    inputs = [x, init.normalize(x, mean, std)]
    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        *[
            m
            for i in range(depth)
            for m in (
                nn.Linear(
                    x.shape[1] if i == 0 else width, width, bias=False, rng=rng, dtype=np.float64
                ),
                nn.ReLU(),
            )
        ]
    )
    linears = [m for m in model if isinstance(m, nn.Linear)]
    kaiming = [m.weight.data.copy() for m in linears]
    normals = [w / np.sqrt(2 / w.shape[0]) for w in kaiming]  # the same draws, std 1

    def run(weights: list[np.ndarray], xi: np.ndarray, name: str) -> dict:
        for m, w in zip(linears, weights, strict=True):
            m.weight.data = w
        means, sds = _stats(model, xi)
        per_layer = (sds[-1] / sds[0]) ** (1 / (depth - 1))
        return {
            "std": [round(float(v), 3) for v in np.log10(sds)],
            "mean": [round(float(v), 3) for v in np.log10(means)],
            "text": (
                f"{name}: activation std {sds[0]:.3g} after layer 1 and {sds[-1]:.3g} after "
                f"layer {depth} (times {per_layer:.3g} per layer); mean {means[0]:.3g}, then "
                f"{means[-1]:.3g}."
            ),
        }

    naive = [
        [run([w * s for w in normals], xi, f"Naive std {s:.3g}, {label}") for s in stds]
        for xi, label in zip(inputs, INPUTS, strict=True)
    ]
    kaim = [
        run(kaiming, xi, f"Kaiming (the slider sets only naive weights), {label}")
        for xi, label in zip(inputs, INPUTS, strict=True)
    ]
    every = [v for runs in [*naive, kaim] for r in runs for v in r["std"] + r["mean"]]
    lo, hi = 5 * np.floor(min(every) / 5), 5 * np.ceil(max(every) / 5)
    ticks = [(e, f"1e{e:g}") for e in np.arange(lo, hi + 1, 10 if hi - lo > 30 else 5)]

    def axes(part: str, what: str, style: str) -> Axes:
        return Axes(
            title=f"{what} of the activations",
            x=(0.5, depth + 0.5),
            y=(float(lo), float(hi)),
            xticks=[(k, str(k)) for k in range(1, depth + 1, max(1, depth // 5))],
            yticks=ticks,
            xlabel="after layer",
            ylabel=f"{what} (log scale)",
            under=f'<line class="pbx-ref pbx-c4 pbx-thin pbx-dashed" x1="0" x2="{depth + 1}" '
            'y1="0" y2="0"/>',
            series=[Series(part, style=style), Series(part + "dots", "dots", style)],
        )

    start = min(range(len(stds)), key=lambda i: abs(stds[i] - 0.1))
    return Explorable(
        title="Activations through a deep ReLU network",
        panels=[axes("std", "std", "pbx-c0"), axes("mean", "mean", "pbx-c1")],
        legend=[("pbx-c4 pbx-dashed", "1: the scale that keeps a network trainable")],
        controls=[
            Slider("std", "naive weight std", [f"{s:.3g}" for s in stds], start),
            Choice("init", "weights", WEIGHTS),
            Choice("inputs", "inputs", INPUTS),
        ],
        data={"layers": list(range(1, depth + 1)), "naive": naive, "kaiming": kaim},
        draw=DRAW,
    )
