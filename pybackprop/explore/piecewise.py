"""Chapter 1's figure: a line plus ReLU pieces, moved by hand, against the target curve."""

from __future__ import annotations

import numpy as np

from ..data import make_curve
from ..nn import functional as F
from ._figure import Axes, Explorable, Series, Slider, Toggle

__all__ = ["relu_pieces"]

# The sum is a one-line formula, so the page computes it (and its MSE) itself; the tests check
# it equals relu_sum at the slider's grid points.
DRAW = """function (fig, d, v) {
  var b = d.grid.b[v.b], w = d.grid.w[v.w], c = [], a = [];
  for (var j = 0; j < d.pieces; j++) {
    c.push(d.grid.c[v["c" + j]]);
    a.push(d.grid.a[v["a" + j]]);
  }
  function f(x) {
    var s = b + w * x;
    for (var j = 0; j < c.length; j++) s = s + a[j] * Math.max(x - c[j], 0);
    return s;
  }
  var sum = d.x.map(f), sq = 0;
  for (var i = 0; i < sum.length; i++) sq += (sum[i] - d.y[i]) * (sum[i] - d.y[i]);
  var mse = sq / sum.length;
  fig.part("sum").setAttribute("data-mse", mse);
  fig.line("sum", d.x, sum);
  fig.line("line", d.x, d.x.map(function (x) { return b + w * x; }));
  for (var j = 0; j < c.length; j++) {
    fig.line("piece" + j, d.x, d.x.map(function (x) { return a[j] * Math.max(x - c[j], 0); }));
  }
  fig.dots("kinks", c, c.map(f));
  fig.show("fit", v.fit);
  var text = "The line " + b.toFixed(1) + " + " + w.toFixed(1) + " x plus " + c.length +
    " pieces with kinks at " + c.map(function (x) { return x.toFixed(1); }).join(", ") +
    " and slope changes " + a.map(function (x) { return x.toFixed(1); }).join(", ") +
    ": MSE against the curve " + mse.toPrecision(3) + ".";
  if (v.fit) text += " " + d.fit.text;
  return text;
}"""


def relu_sum(
    x: np.ndarray, b: float, w: float, kinks: np.ndarray, slopes: np.ndarray
) -> np.ndarray:
    """A line plus ReLU pieces: ``b + w x + sum_j slopes[j] relu(x - kinks[j])``.

    Parameters
    ----------
    x : np.ndarray of shape (n,)
        Where to evaluate it.
    b, w : float
        The line's intercept and slope.
    kinks, slopes : np.ndarray of shape (k,)
        Each piece's kink and change of slope.

    Returns
    -------
    np.ndarray of shape (n,)
        The sum at each x, added up in the order the figure's page adds it.

    Examples
    --------
    >>> import numpy as np
    >>> from pybackprop.explore import relu_sum
    >>> x, kinks, slopes = np.array([-1.0, 1.0, 3.0]), np.array([0.0, 1.0]), np.array([-0.5, -0.5])
    >>> relu_sum(x, -2.0, 1.0, kinks, slopes)
    array([-3. , -1.5, -1.5])
    """
    total = b + w * np.asarray(x, dtype=np.float64)
    for c, a in zip(kinks, slopes, strict=True):
        total = total + a * F.relu(x - c)
    return total


def _grid(lo: float, hi: float) -> list[float]:
    """lo, lo + 0.1, ..., hi, each rounded to one decimal."""
    return [round(v, 1) for v in np.linspace(lo, hi, round((hi - lo) * 10) + 1)]


def relu_pieces(pieces: int = 3, n: int = 81) -> Explorable:
    """Chapter 1's explorable figure: sliders move a line and ReLU pieces; a button shows the fit.

    The sum ``b + w x + sum_j a_j relu(x - c_j)`` is drawn against ``target_curve`` on ``n``
    points of [-1, 3] with its MSE; "Show the least-squares fit" adds the best sum with ``pieces``
    evenly spaced kinks (``np.linalg.lstsq`` on the features 1, x, ``F.relu(x - c_j)``).

    Parameters
    ----------
    pieces : int, default 3
        The number of ReLU pieces, 1 to 5 (each gets a kink and a slope slider).
    n : int, default 81
        The number of points of the curve the MSE is measured on, at least 2.

    Returns
    -------
    Explorable
        The figure: shown when it is a cell's value, ``.save(path)`` writes it as a page.

    Raises
    ------
    ValueError
        If ``pieces`` is not 1 to 5 or ``n`` is below 2.

    Examples
    --------
    >>> from pybackprop import explore
    >>> fig = explore.relu_pieces()
    >>> fig.data["fit"]["kinks"], round(fig.data["fit"]["mse"], 4)
    ([0.0, 1.0, 2.0], 0.0059)
    """
    if not (isinstance(pieces, int) and 1 <= pieces <= 5):
        raise ValueError(f"pieces must be an integer from 1 to 5; got {pieces!r}")
    if not (isinstance(n, int) and n >= 2):
        raise ValueError(f"n must be an integer of at least 2; got {n!r}")
    x, y = make_curve(n)
    kinks = np.linspace(-1, 3, pieces + 2)[1:-1]
    features = np.column_stack([np.ones_like(x), x, F.relu(x[:, None] - kinks[None, :])])
    params, *_ = np.linalg.lstsq(features, y, rcond=None)
    fitted = relu_sum(x, params[0], params[1], kinks, params[2:])
    fit_mse = float(F.mse_loss(fitted, y))
    fit_text = (
        f"The least-squares fit with kinks at {', '.join(f'{c:g}' for c in kinks)}: "
        f"b = {params[0]:.2f}, w = {params[1]:.2f}, slope changes "
        f"{', '.join(f'{a:.2f}' for a in params[2:])}; MSE {fit_mse:.3g}."
    )
    grid = {"b": _grid(-4, 4), "w": _grid(-2, 6), "c": _grid(-1, 3), "a": _grid(-4, 4)}
    start_a = [-0.5, -0.5] + [0.0] * pieces
    controls: list = [
        Slider("b", "intercept b", [f"{v:.1f}" for v in grid["b"]], grid["b"].index(-2.0)),
        Slider("w", "slope w", [f"{v:.1f}" for v in grid["w"]], grid["w"].index(1.0)),
    ]
    for j, c in enumerate(kinks):
        controls += [
            Slider(f"c{j}", f"kink {j + 1}", [f"{v:.1f}" for v in grid["c"]], round(c * 10) + 10),
            Slider(
                f"a{j}",
                f"slope change {j + 1}",
                [f"{v:.1f}" for v in grid["a"]],
                grid["a"].index(start_a[j]),
            ),
        ]
    controls.append(Toggle("fit", "Show the least-squares fit"))

    def polyline(ys: np.ndarray, style: str) -> str:
        points = " ".join(f"{xi:.4g},{yi:.4g}" for xi, yi in zip(x, ys, strict=True))
        return f'<polyline class="{style}" points="{points}"/>'

    # The target and the fit are fixed: drawn once, the fit in a group the button shows.
    fitted_pieces = [a * F.relu(x - c) for c, a in zip(kinks, params[2:], strict=True)]
    at_kinks = relu_sum(kinks, params[0], params[1], kinks, params[2:])
    under = (
        '<line class="pbx-ref pbx-c4 pbx-thin" x1="-1" x2="3" y1="0" y2="0"/>'
        + polyline(y, "pbx-c4 pbx-dashed")
        + '<g data-part="fit">'
        + polyline(fitted, "pbx-c1 pbx-dashed")
        + "".join(polyline(piece, "pbx-c1 pbx-thin pbx-dashed") for piece in fitted_pieces)
        + '<path class="pbx-dots pbx-c1" d="'
        + "".join(f"M{c:g} {f:.4g}h0" for c, f in zip(kinks, at_kinks, strict=True))
        + '"/></g>'
    )
    axes = Axes(
        title="A line plus ReLU pieces",
        x=(-1.0, 3.0),
        y=(-4.0, 4.0),
        xticks=[(v, f"{v:g}") for v in range(-1, 4)],
        yticks=[(v, f"{v:g}") for v in range(-4, 5, 2)],
        xlabel="x",
        ylabel="y",
        under=under,
        series=[
            Series("line", style="pbx-c2 pbx-thin"),
            *[Series(f"piece{j}", style="pbx-c3 pbx-thin") for j in range(pieces)],
            Series("sum", style="pbx-c0"),
            Series("kinks", "dots", "pbx-c0"),
        ],
    )
    data = {
        "pieces": pieces,
        "x": x.tolist(),
        "y": y.tolist(),
        "grid": grid,
        "fit": {
            "kinks": kinks.tolist(),
            "params": params.tolist(),
            "mse": fit_mse,
            "text": fit_text,
        },
    }
    return Explorable(
        title="ReLU pieces against the curve",
        panels=[axes],
        legend=[
            ("pbx-c4 pbx-dashed", "target -(x-1)² + 2"),
            ("pbx-c0", "your sum"),
            ("pbx-c2", "its line b + w x"),
            ("pbx-c3", "its pieces a relu(x - c)"),
            ("pbx-c1 pbx-dashed", "least-squares fit (button)"),
        ],
        controls=controls,
        data=data,
        draw=DRAW,
    )
