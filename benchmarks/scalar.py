"""pybackprop's scalar engine against micrograd (the PyPI package), printed as one table.

Run on demand, from the repository root:  python benchmarks/scalar.py
Needs the `bench` extra (micrograd). The garbage collector stays on, as users have it. Times
are CPU time of this process (time.process_time), so other programs on a busy machine skew
them less than wall-clock time would; each is the minimum over repeated runs (the least
disturbed one), and the ratio column is pybackprop's time over micrograd's (lower is better).

Rows:
- micrograd's demo training step: MLP(2, [16, 16, 1]) on 100 two-moons points, SVM max-margin
  loss plus 1e-4 L2 regularisation, SGD (about 66,000 nodes); forward, backward, whole step.
- building a 100,000-node graph (v = v * y + x, repeated), per node.
- the deepest chain (v = v.relu(), repeated) each engine back-propagates.
"""

from __future__ import annotations

import datetime
import gc
import os
import platform
import random
import sys
import time

import micrograd.engine
import micrograd.nn
import numpy as np

import pybackprop.scalar as pb

ENGINES = {"micrograd": micrograd.engine.Value, "pybackprop": pb.Value}
BLOCKS, BLOCK_STEPS = 5, 4  # per engine: 5 blocks of 4 training steps, 5 graph builds
# The targets, as pybackprop's time over micrograd's and as time per node.
STEP_TARGET, BUILD_TARGET_US = 0.07, 0.6


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points on two interleaving half circles (x: (n, 2)), labels -1 / +1 (y: (n,))."""
    n_top = n // 2
    t_top = np.linspace(0, np.pi, n_top)
    t_bottom = np.linspace(0, np.pi, n - n_top)
    x = np.concatenate(
        [
            np.stack([np.cos(t_top), np.sin(t_top)], axis=1),
            np.stack([1 - np.cos(t_bottom), 0.5 - np.sin(t_bottom)], axis=1),
        ]
    )
    y = np.concatenate([-np.ones(n_top), np.ones(n - n_top)])
    return x + rng.normal(scale=noise, size=x.shape), y


def make_model(lib: str):
    if lib == "micrograd":
        random.seed(0)
        return micrograd.nn.MLP(2, [16, 16, 1])
    return pb.MLP(2, [16, 16, 1], rng=0)


def forward(Value, model, x: list[list[float]], y: list[float]):
    """micrograd's demo loss: mean SVM max-margin loss + 1e-4 * sum of squared parameters."""
    inputs = [[Value(xi) for xi in row] for row in x]
    scores = [model(row) for row in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(y, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def count_nodes(v) -> int:
    seen, stack = {id(v)}, [v]
    while stack:
        node = stack.pop()
        for p in getattr(node, "parents", None) or getattr(node, "_prev", ()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def training_step(Value, model, x, y, k: int) -> dict[str, float]:
    """One step of micrograd's demo; seconds spent in forward, backward and the whole step."""
    t0 = time.process_time()
    loss = forward(Value, model, x, y)
    t1 = time.process_time()
    model.zero_grad()
    loss.backward()
    t2 = time.process_time()
    lr = 1.0 - 0.9 * k / 100
    for p in model.parameters():
        p.data -= lr * p.grad
    del loss  # freeing the graph is part of the step: micrograd's cycles wait for the GC
    t3 = time.process_time()
    return {"forward": t1 - t0, "backward": t2 - t1, "step": t3 - t0}


def build_chain(Value, n_nodes: int) -> float:
    """Seconds per node to build a graph of n_nodes."""
    x, y = Value(0.5), Value(0.9)
    t0 = time.process_time()
    v = x
    for _ in range(n_nodes // 2):
        v = v * y + x
    seconds = time.process_time() - t0
    del v
    return seconds / n_nodes


def deepest_chain(lib: str) -> tuple[int, str]:
    """The deepest relu chain that back-propagates, and what stopped the next depth."""
    Value = ENGINES[lib]
    deepest, failure = 0, "none"
    for depth in (250, 500, 750, 1_000, 2_000, 10_000, 100_000, 1_000_000):
        x = Value(1.5)
        v = x
        for _ in range(depth):
            v = v.relu()
        try:
            v.backward()
        except RecursionError:
            failure = f"RecursionError at {depth:,}"
            break
        assert x.grad == 1.0
        deepest = depth
        del v, x
    return deepest, failure


def main() -> None:
    x, y = two_moons(100, noise=0.1, rng=np.random.default_rng(1))
    x, y = x.tolist(), y.tolist()
    n_nodes = {lib: count_nodes(forward(ENGINES[lib], make_model(lib), x, y)) for lib in ENGINES}

    # The engines take turns in blocks of steps, so a busy machine slows both alike. Each
    # block starts with no garbage left by the other engine; its first step is not counted,
    # as it finds no garbage from earlier steps either (micrograd's graphs are reference
    # cycles, which the GC frees during the following steps, as it does for users).
    models = {lib: make_model(lib) for lib in ENGINES}
    train = {lib: {"forward": [], "backward": [], "step": []} for lib in ENGINES}
    build = {lib: [] for lib in ENGINES}
    for block in range(BLOCKS):
        for lib in ENGINES:
            gc.collect()
            for k in range(block * BLOCK_STEPS, (block + 1) * BLOCK_STEPS):
                times = training_step(ENGINES[lib], models[lib], x, y, k)
                if k % BLOCK_STEPS:
                    for name, seconds in times.items():
                        train[lib][name].append(seconds)
            gc.collect()
            build[lib].append(build_chain(ENGINES[lib], 100_000))
    train = {lib: {name: min(ts) for name, ts in rows.items()} for lib, rows in train.items()}
    build = {lib: min(ts) for lib, ts in build.items()}
    chain = {lib: deepest_chain(lib) for lib in ENGINES}

    print(
        f"# pybackprop.scalar vs micrograd, {datetime.date.today()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"GC on (thresholds {gc.get_threshold()}), CPU time"
    )
    print(
        f"# training step graph: {n_nodes['micrograd']:,} nodes (micrograd), "
        f"{n_nodes['pybackprop']:,} (pybackprop); min of {BLOCKS * (BLOCK_STEPS - 1)} steps, "
        f"of {BLOCKS} builds\n"
    )
    header = (
        f"| {'measure':<34} | {'micrograd':>12} | {'pybackprop':>12} | {'ratio':>6} | "
        f"{'target':>14} |"
    )
    print(header)
    print("|" + "|".join("-" * len(col) for col in header.split("|")[1:-1]) + "|")

    def row(label: str, m: str, p: str, ratio: float, target: str) -> None:
        print(f"| {label:<34} | {m:>12} | {p:>12} | {ratio:>5.3f}x | {target:>14} |")

    for name in ("forward", "backward", "step"):
        m, p = train["micrograd"][name], train["pybackprop"][name]
        label = "whole training step" if name == "step" else f"training step: {name}"
        verdict = (f"<={STEP_TARGET}x " + ("ok" if p / m <= STEP_TARGET else "MISSED")) * (
            name == "step"
        )
        row(label, f"{m * 1e3:.1f} ms", f"{p * 1e3:.1f} ms", p / m, verdict)
    m, p = build["micrograd"], build["pybackprop"]
    verdict = f"<={BUILD_TARGET_US} us " + ("ok" if p * 1e6 <= BUILD_TARGET_US else "MISSED")
    row("graph building, per node (100k)", f"{m * 1e6:.2f} us", f"{p * 1e6:.2f} us", p / m, verdict)
    (dm, fm), (dp, fp) = chain["micrograd"], chain["pybackprop"]
    print(f"| {'deepest chain back-propagated':<34} | {dm:>12,} | {dp:>12,} | {'':>6} | {'':>14} |")
    print(
        f"\nchain failures: micrograd: {fm}; pybackprop: {fp} "
        f"(recursion limit {sys.getrecursionlimit()}; depths tried up to 1,000,000)"
    )


if __name__ == "__main__":
    main()
