"""pybackprop's array layers against PyTorch on the CPU, at the same thread count.

    .venv/bin/python benchmarks/layers.py            # 1 and 2 threads
    .venv/bin/python benchmarks/layers.py --threads 2

Two workloads, each run by both libraries in float32 on the same data and weights, and two
more rows for the first:

- epoch: one epoch of batch-64 SGD (lr 0.1) over 50,000 rows with the 784-50-10 ReLU MLP and
  cross-entropy; pybackprop runs `train.fit(..., progress=False)` over a shuffling
  `DataLoader`, torch a hand-written loop over a second `DataLoader` with the same seed: the
  same batches, gathered by the same numpy code and handed over with `torch.from_numpy`
  (no copy), so the data pipeline costs both sides the same and only the training step
  differs. (torch's own DataLoader collates sample by sample and would be a handicap;
  indexing the tensor with a `randperm` slice costs torch more than numpy's gather does.)
- loop: the epoch again through a plain loop over the batches with pybackprop's modules,
  loss and optimiser (model, loss, loss_fn.backward, model.backward, step, zero_grad): what
  `fit` adds on top of it is its loss history and NaN check.
- floor: the epoch again, its step written as one hand-fused numpy function of the same maths
  (no modules, no checks, no history, each gradient assigned rather than accumulated, the
  softmax's exp computed once): the least numpy needs here, printed in the pybackprop column.
  The `vs floor` column gives epoch / floor and loop / floor, the cost of pybackprop's
  structure (target: at most 1.10x).
- ops: the epoch again, each step making exactly the numpy calls pybackprop's modules, loss
  and optimiser make, in their order, with none of their Python (no modules, checks or
  bookkeeping). ops / floor is the numpy work pybackprop does beyond the floor's; loop / ops
  is the cost of its Python.
- mse pass: lesson 13's 784-50-1 model, one full-batch forward and backward of the MSE loss
  on 50,000 rows (the digit as a float target), parameter gradients only on both sides.

Data: MNIST's first 50,000 training images via `load_mnist("full")` when the files are found
(in $PYBACKPROP_DATA, else ../shared/data next to the repository, else the cache; never
downloaded here), otherwise random data of the same shape; the table says which.

Threads: each thread count runs in a fresh interpreter whose BLAS is pinned by
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS (numpy's OpenBLAS reads them only at
start-up) and `torch.set_num_threads`. GFLOP/s counts the matmul work torch does: forward,
weight gradients, and the input gradient of every layer but the first.
Times are the best of repeated runs, the two libraries alternating (the machine may be shared:
the minimum is the least disturbed estimate).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

N_ROWS, BATCH, LR = 50_000, 64, 0.1
EPOCH_REPEATS, MSE_REPEATS = 7, 9
FLOOR_TARGET = 1.10  # the bound on pybackprop's epoch over the floor's
MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def matmul_flops(rows: int, widths: list[int]) -> float:
    """Forward + weight gradients of every layer + input gradients of all but the first."""
    pairs = list(zip(widths[:-1], widths[1:], strict=True))
    fwd = sum(2 * rows * a * b for a, b in pairs)
    return 2 * fwd + sum(2 * rows * a * b for a, b in pairs[1:])


def load_data():
    """(x (50000, 784) float32, y (50000,) int64, description)."""
    import numpy as np

    from pybackprop.data import load_mnist, mnist

    if not os.environ.get("PYBACKPROP_DATA") and SHARED_DATA.is_dir():
        os.environ["PYBACKPROP_DATA"] = str(SHARED_DATA)
    if all(mnist.find_file(name) for name in MNIST_FILES):
        x, y, _, _ = load_mnist("full")
        return x[:N_ROWS], y[:N_ROWS], "MNIST (load_mnist('full'), first 50,000 rows)"
    rng = np.random.default_rng(0)
    x = rng.random((N_ROWS, 784), dtype=np.float32)
    return x, rng.integers(0, 10, N_ROWS), "random data of MNIST's shape (MNIST files not found)"


def measure(threads: int) -> dict:
    """Run both workloads in this process (BLAS already pinned by the parent); return times."""
    import numpy as np
    import torch

    from pybackprop import nn, optim, train
    from pybackprop.data import DataLoader

    torch.set_num_threads(threads)
    x, y, data = load_data()
    xt = torch.from_numpy(x)

    def models(widths):
        rng = np.random.default_rng(0)
        ours = nn.Sequential(
            nn.Linear(widths[0], widths[1], rng=rng),
            nn.ReLU(),
            nn.Linear(widths[1], widths[2], rng=rng),
        )
        theirs = torch.nn.Sequential(
            torch.nn.Linear(widths[0], widths[1]),
            torch.nn.ReLU(),
            torch.nn.Linear(widths[1], widths[2]),
        )
        with torch.no_grad():
            for i in (0, 2):
                theirs[i].weight.copy_(torch.from_numpy(ours[i].weight.data.T.copy()))
                theirs[i].bias.copy_(torch.from_numpy(ours[i].bias.data))
        return ours, theirs

    # epoch: batch-64 SGD with cross-entropy
    ours, theirs = models([784, 50, 10])
    opt = optim.SGD(ours.parameters(), LR)
    topt = torch.optim.SGD(theirs.parameters(), LR)
    # Loaders with one seed: epoch k gives every side the same batches, gathered alike.
    dl, ldl, tdl, fdl, odl = (DataLoader(x, y, BATCH, shuffle=True, rng=0) for _ in range(5))
    loss_fn, tloss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def our_epoch():
        train.fit(ours, loss_fn, opt, dl, progress=False)

    # the same model trained by a plain loop, to show what fit adds (separate weights and
    # optimiser, from the same start)
    loop_model, _ = models([784, 50, 10])
    loop_opt, loop_loss_fn = optim.SGD(loop_model.parameters(), LR), nn.CrossEntropyLoss()

    def loop_epoch():
        for xb, yb in ldl:
            float(loop_loss_fn(loop_model(xb), yb))
            loop_model.backward(loop_loss_fn.backward(), input_grad=False)
            loop_opt.step()
            loop_opt.zero_grad()

    def torch_epoch():
        for xb, yb in tdl:
            loss = tloss_fn(theirs(torch.from_numpy(xb)), torch.from_numpy(yb))
            loss.backward()
            topt.step()
            topt.zero_grad()

    # The floor: the same step written as one numpy function, with nothing pybackprop adds
    # (no modules, no input checks, no loss history). pybackprop's epoch cannot beat it, so
    # it shows how much of the gap to torch is numpy itself on this machine.
    w1, b1, w2, b2 = (p.data.copy() for p in ours.parameters())

    def floor_epoch():
        for xb, yb in fdl:
            n = len(yb)
            rows = np.arange(n)
            h = xb @ w1
            h += b1
            np.maximum(h, 0, out=h)
            z = h @ w2
            z += b2
            z -= z.max(axis=1, keepdims=True)
            e = np.exp(z)
            total = e.sum(axis=1, keepdims=True)
            float((np.log(total).sum() - z[rows, yb].sum()) / n)  # the loss, as fit reads it
            e /= total  # softmax, from the forward's exp
            e[rows, yb] -= 1
            e *= 1 / n
            gw2, gb2 = h.T @ e, e.sum(axis=0)
            gh = e @ w2.T
            gh *= h > 0
            gw1, gb1 = xb.T @ gh, gh.sum(axis=0)
            for p, g in ((w1, gw1), (b1, gb1), (w2, gw2), (b2, gb2)):
                g *= LR
                p -= g

    # ops: pybackprop's numpy calls for the step (nn/layers.py, nn/loss.py, nn/functional.py,
    # optim/optimizer.py), written out; kept in step with them by hand
    ow1, ob1, ow2, ob2 = (p.data.copy() for p in ours.parameters())

    def ops_epoch():
        for xb, yb in odl:
            n = len(yb)
            h0 = xb @ ow1
            h0 += ob1
            h = np.maximum(h0, 0)
            z = h @ ow2
            z += ob2
            s = z - np.maximum.reduce(np.asfortranarray(z), axis=1, keepdims=True)
            s -= np.log(np.add.reduce(np.exp(s), axis=1, keepdims=True))
            np.maximum.reduce(yb.view(np.uint64))  # the labels' range check
            float(-np.add.reduce(s[np.arange(n), yb]) / n)
            g = np.exp(s, out=s)
            g[np.arange(n), yb] -= 1
            g *= 1.0 / n
            gw2, gb2 = h.T @ g, np.add.reduce(g, axis=0)
            gh = (g @ ow2.T) * ~(h0 <= 0)
            gw1, gb1 = xb.T @ gh, np.add.reduce(gh, axis=0)
            for p, gp in ((ow1, gw1), (ob1, gb1), (ow2, gw2), (ob2, gb2)):
                p -= LR * gp

    # mse pass: 784-50-1, full batch, forward and backward
    mse_ours, mse_theirs = models([784, 50, 1])
    target = y.astype(np.float32)[:, None]
    ttarget = torch.from_numpy(target)
    mse_fn = nn.MSELoss()

    def our_mse():
        mse_fn(mse_ours(x), target)
        mse_ours.backward(mse_fn.backward(), input_grad=False)  # x needs no gradient
        mse_ours.zero_grad()

    def torch_mse():
        torch.nn.functional.mse_loss(mse_theirs(xt), ttarget).backward()
        mse_theirs.zero_grad()

    results = {"data": data}
    for names, funcs, repeats in [
        (
            ("epoch", "torch", "floor", "loop", "ops"),
            (our_epoch, torch_epoch, floor_epoch, loop_epoch, ops_epoch),
            EPOCH_REPEATS,
        ),
        (("mse", "torch"), (our_mse, torch_mse), MSE_REPEATS),
    ]:
        for f in funcs:  # warm-up: first-call allocations, thread pools
            f()
        times = [[] for _ in funcs]
        for _ in range(repeats):
            for f, ts in zip(funcs, times, strict=True):
                start = time.perf_counter()
                f()
                ts.append(time.perf_counter() - start)
        best = dict(zip(names, map(min, times), strict=True))
        results[names[0]] = [best[names[0]], best["torch"]]
        for extra in ("floor", "loop", "ops"):
            if extra in best:
                results[extra] = [best[extra], best["torch"]]
    return results


def machine(openblas_core: str) -> str:
    import numpy as np
    import torch

    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return (
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__} ({blas['name']} {blas['version']}, {openblas_core} "
        f"kernels), torch {torch.__version__} (MKL)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return

    steps = -(-N_ROWS // BATCH)
    flops = {
        "epoch": matmul_flops(BATCH, [784, 50, 10]) * steps,
        "mse": matmul_flops(N_ROWS, [784, 50, 1]),
    }
    flops["floor"] = flops["loop"] = flops["ops"] = flops["epoch"]
    per = {"epoch": steps, "loop": steps, "ops": steps, "floor": steps, "mse": 1}
    targets = {"epoch": 0.5, "loop": None, "ops": None, "mse": 0.9, "floor": None}
    rows, data, core = [], None, "unknown"
    for threads in args.threads:
        # OPENBLAS_VERBOSE=2 makes OpenBLAS name the kernels it picked for this CPU on stderr
        env = dict(
            os.environ,
            OPENBLAS_NUM_THREADS=str(threads),
            OMP_NUM_THREADS=str(threads),
            MKL_NUM_THREADS=str(threads),
            OPENBLAS_VERBOSE="2",
        )
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(threads)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        core = next(
            (
                line.split(":", 1)[1].strip()
                for line in child.stderr.splitlines()
                if line.startswith("Core:")
            ),
            core,
        )
        res = json.loads(child.stdout.splitlines()[-1])
        data = res["data"]
        for name in ("epoch", "loop", "ops", "floor", "mse"):
            ours, theirs = res[name]
            floor = res["floor"][0] if name in ("epoch", "loop", "ops") else None
            rows.append((threads, name, ours, theirs, floor, per[name], flops[name], targets[name]))

    print(f"pybackprop vs torch, CPU, float32 -- {datetime.date.today()}")
    print(machine(core))
    print(f"data: {data}")
    print(
        "epoch: one epoch of batch-64 SGD, 784-50-10, cross-entropy, "
        f"{steps} steps | mse: full-batch fwd+bwd, 784-50-1, {N_ROWS:,} rows"
    )
    header = (
        f"{'threads':>7}  {'workload':<8}  {'pybackprop':>10}  {'torch':>10}  "
        f"{'per step (ours/torch)':>22}  {'GFLOP/s (ours/torch)':>21}  "
        f"{'ratio':>6}  {'target':<12}  {'vs floor':>8}  {'target':<12}"
    )
    print(header)
    print("-" * len(header))
    for threads, name, ours, theirs, floor, n, fl, target in rows:
        ratio = ours / theirs
        per_step = f"{1e3 * ours / n:.3f} / {1e3 * theirs / n:.3f} ms"
        gflops = f"{fl / ours / 1e9:.1f} / {fl / theirs / 1e9:.1f}"
        verdict = (
            "" if target is None else f"<={target}x " + ("ok" if ratio <= target else "MISSED")
        )
        vs_floor = floor_verdict = ""
        if floor is not None:
            vs_floor = f"{ours / floor:.3f}x"
            if name != "ops":  # a yardstick, not pybackprop
                ok = ours / floor <= FLOOR_TARGET
                floor_verdict = f"<={FLOOR_TARGET}x " + ("ok" if ok else "MISSED")
        print(
            f"{threads:>7}  {name:<8}  {ours:>9.3f}s  {theirs:>9.3f}s  {per_step:>22}  "
            f"{gflops:>21}  {ratio:>5.3f}x  {verdict:<12}  {vs_floor:>8}  {floor_verdict}"
        )
    print("ratio = pybackprop time / torch time; vs floor = pybackprop time / floor time")
    print("epoch = train.fit; loop = a plain loop with pybackprop's modules, loss and optimiser")
    print("ops = the loop's numpy calls, written out without pybackprop's Python")
    print(
        "floor = the epoch's step as one hand-fused numpy function (no modules, checks or "
        "history),\n        in the pybackprop column: the least numpy needs on this machine"
    )


if __name__ == "__main__":
    main()
