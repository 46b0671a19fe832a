"""Chapter 9's figure: softmax at a temperature, and the naive log-sum-exp against the safe one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..nn import functional as F
from ._figure import Axes, Explorable, Series, Slider

__all__ = ["softmax_temperature"]

# Bars are drawn twice from the same numbers: a pale fill and a solid outline (a polyline along
# the bar tops, which the tests read back). Null marks what the naive form lost to inf or NaN.
DRAW = """function (fig, d, v) {
  var r = d.runs[v.scale], xs = [], ys = [], fill = "", nx = [], ny = [];
  for (var i = 0; i < r.p.length; i++) {
    var a = i - 0.35, b = i + 0.35;
    xs.push(a, a, b, b);
    ys.push(0, r.p[i], r.p[i], 0);
    fill += "M" + a + " 0V" + r.p[i] + "H" + b + "V0Z";
    if (r.naive[i] !== null) { nx.push(i); ny.push(r.naive[i]); }
  }
  fig.line("bars", xs, ys);
  fig.part("barfill").setAttribute("d", fill);
  fig.dots("naive", nx, ny);
  var lx = [], ly = [], sx = [], sy = [];
  d.runs.forEach(function (q, k) {
    sx.push(d.logscales[k]); sy.push(q.lse);
    if (q.naive_lse !== null) { lx.push(d.logscales[k]); ly.push(q.naive_lse); }
  });
  fig.line("lse", sx, sy);
  fig.line("naivelse", lx, ly);
  fig.dots("now", [d.logscales[v.scale]], [r.lse]);
  fig.dots("naivenow", r.naive_lse === null ? [] : [d.logscales[v.scale]],
    r.naive_lse === null ? [] : [r.naive_lse]);
  return r.text;
}"""

SCALES = (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 80, 85, 88, 89, 90)
SCALES += (100, 150)


def _naive(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """exp(z), log(sum(exp(z))) and exp(z) / sum(exp(z)) in z's dtype, unshifted, as numpy gives."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        e = np.exp(z)
        total = e.sum()
        return e, np.log(total), e / total


def _sig(values: np.ndarray, digits: int = 6) -> list[float | None]:
    """Each value to `digits` significant digits for JSON, None for inf and NaN."""
    return [float(f"{v:.{digits}g}") if np.isfinite(v) else None for v in np.ravel(values)]


def _probs(p: np.ndarray) -> str:
    """Probabilities in words: three decimals, or two significant digits when smaller."""
    return ", ".join("NaN" if np.isnan(v) else f"{v:.3f}" if v >= 0.001 else f"{v:.2g}" for v in p)


def _text(s: float, z: np.ndarray, e: np.ndarray, naive_lse, naive_p, lse, p) -> str:
    """The live line at scale s: what the naive form does, then what the safe form gives."""
    name, top, m = z.dtype.name, float(np.finfo(z.dtype).max), float(z.max())
    if np.isfinite(naive_lse):
        naive = f"exp({m:.6g}) = {float(e.max()):.3g} fits in {name} (max {top:.2g}), and "
        naive += f"log-sum-exp is {float(naive_lse):.6g}."
    elif np.isinf(e).any():
        naive = f"exp({m:.6g}) overflows {name} (max {top:.2g}) to inf: log-sum-exp inf, "
        naive += f"softmax {_probs(naive_p)} (inf / inf is NaN)."
    elif naive_lse > 0:
        naive = f"each exp fits in {name} (max {top:.2g}) but their sum overflows to inf: "
        naive += f"log-sum-exp inf, softmax {_probs(naive_p)}."
    else:
        naive = f"every exp underflows to 0 in {name}, so the sum is 0: log-sum-exp -inf, "
        naive += f"softmax {_probs(naive_p)} (0 / 0 is NaN)."
    safe = f"Safe (subtract the max {m:.6g}, so every exp is at most 1): "
    safe += f"log-sum-exp {float(lse):.6g}, softmax {_probs(p)}."
    return f"Scale {s:g} (temperature {1 / s:.3g}). Naive: {naive} {safe}"


def softmax_temperature(
    logits: Sequence[float] = (1.0, 0.8, 0.1, -0.5, -1.2),
    scales: Sequence[float] = SCALES,
    dtype: type = np.float32,
) -> Explorable:
    """Chapter 9's explorable figure: a logit-scale slider, softmax's bars, naive and safe LSE.

    At each scale s (1 / temperature) the logits times s, in ``dtype``, go through the safe
    ``F.softmax`` and ``F.logsumexp``, which subtract the maximum, and through the naive
    ``exp(z) / sum(exp(z))`` and ``log(sum(exp(z)))``, whose exp overflows above
    ``log(finfo(dtype).max)`` (88.7 in float32) to inf, making softmax NaN.

    Parameters
    ----------
    logits : sequence of float of length c
        The fixed logits, 2 to 10 of them, finite.
    scales : sequence of float of length m
        The scales the slider offers, positive and increasing.
    dtype : type, default np.float32
        ``np.float32`` or ``np.float64``: where the scaled logits are computed.

    Returns
    -------
    Explorable
        The figure; ``data["runs"][i]`` holds scale i's safe "p" and "lse", and its naive
        "naive" and "naive_lse" (None where inf or NaN).

    Raises
    ------
    ValueError
        If there are not 2 to 10 finite logits, the scales are not positive and increasing, or
        ``dtype`` is neither float32 nor float64.

    Examples
    --------
    >>> from pybackprop import explore
    >>> fig = explore.softmax_temperature(scales=[1.0, 90.0])
    >>> fig.data["runs"][0]["lse"], fig.data["runs"][1]["naive_lse"]
    (1.93971, None)
    """
    x = np.asarray(logits, dtype=np.float64)
    s = np.asarray(scales, dtype=np.float64)
    if x.ndim != 1 or not 2 <= len(x) <= 10 or not np.isfinite(x).all():
        raise ValueError(f"logits must be 2 to 10 finite numbers; got {list(logits)}")
    if s.ndim != 1 or not len(s) or not (s > 0).all() or (np.diff(s) <= 0).any():
        raise ValueError(f"scales must be positive and increasing; got {list(scales)}")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be np.float32 or np.float64; got {dtype!r}")
    runs = []
    for si in s:
        z = (si * x).astype(dtype)
        e, naive_lse, naive_p = _naive(z)
        lse, p = F.logsumexp(z), F.softmax(z)
        runs.append(
            {
                "p": _sig(p),
                "lse": _sig(lse)[0],
                "naive": _sig(naive_p),
                "naive_lse": _sig(naive_lse)[0],
                "text": _text(float(si), z, e, naive_lse, naive_p, lse, p),
            }
        )
    name, c = np.dtype(dtype).name, len(x)
    ceiling = float(np.log(np.finfo(dtype).max))
    lses = [r["lse"] for r in runs]
    lo, hi = min(0.0, min(lses)), max(lses)
    step = 10.0 ** np.floor(np.log10(max(hi - lo, 1e-9))) / 2
    lo, hi = step * np.floor(lo / step), step * np.ceil(hi / step)
    while (hi - lo) / step > 5:
        step *= 2
    logs = np.log10(s)
    decades = range(int(np.ceil(logs[0] - 1e-9)), int(np.floor(logs[-1] + 1e-9)) + 1)
    pad = max(0.05 * (logs[-1] - logs[0]), 0.05)
    under = (
        f'<line class="pbx-ref pbx-c3 pbx-dashed" x1="{logs[0] - pad:.4g}" '
        f'x2="{logs[-1] + pad:.4g}" y1="{ceiling:.4g}" y2="{ceiling:.4g}"/>'
        if lo <= ceiling <= hi
        else ""
    )
    bars = Axes(
        title="Softmax of the scaled logits",
        x=(-0.6, c - 0.4),
        y=(0.0, 1.0),
        xticks=[(i, f"{v:g}") for i, v in enumerate(x)],
        yticks=[(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1)],
        xlabel="logit (before scaling)",
        ylabel="probability",
        under=f'<line class="pbx-ref pbx-c4 pbx-thin pbx-dashed" x1="-1" x2="{c}" '
        f'y1="{1 / c:.4g}" y2="{1 / c:.4g}"/>',
        series=[
            Series("barfill", "fill", "pbx-c0"),
            Series("bars", style="pbx-c0"),
            Series("naive", "dots", "pbx-c1"),
        ],
    )
    curve = Axes(
        title="Log-sum-exp by scale",
        x=(float(logs[0] - pad), float(logs[-1] + pad)),
        y=(float(lo), float(hi)),
        xticks=[(k, f"{10.0**k:g}") for k in decades],
        yticks=[(v, f"{v:g}") for v in np.arange(lo, hi + step / 2, step)],
        xlabel="scale s (log axis)",
        ylabel="log-sum-exp",
        under=under,
        series=[
            Series("lse", style="pbx-c0"),
            Series("naivelse", style="pbx-c1 pbx-dashed"),
            Series("now", "dots", "pbx-c0"),
            Series("naivenow", "dots", "pbx-c1 pbx-small"),
        ],
    )
    legend = [
        ("pbx-c0", "safe: F.softmax (bars), F.logsumexp"),
        ("pbx-c1 pbx-dots", f"naive softmax in {name} (none where NaN)"),
        ("pbx-c1 pbx-dashed", "naive log-sum-exp (none where inf)"),
        ("pbx-c4 pbx-dashed", f"1/{c}: uniform"),
    ]
    if under:
        legend.append(
            ("pbx-c3 pbx-dashed", f"ln of {name}'s max, {ceiling:.1f}: exp overflows above")
        )
    start = int(np.argmin(np.abs(s - 1)))
    return Explorable(
        title=f"Softmax temperature and log-sum-exp in {name}",
        panels=[bars, curve],
        legend=legend,
        controls=[
            Slider(
                "scale", "logit scale s", [f"{v:g} (T\u00a0=\u00a0{1 / v:.2g})" for v in s], start
            )
        ],
        data={"logscales": _sig(logs), "runs": runs},
        draw=DRAW,
    )
