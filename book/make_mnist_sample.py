"""Rebuild pybackprop/data/mnist_sample.npz from the MNIST training files.

    python book/make_mnist_sample.py [DATA_DIR] [--out PATH] [--check]

DATA_DIR holds train-images-idx3-ubyte(.gz) and train-labels-idx1-ubyte(.gz) (default:
../shared/data beside the repository). Each file's content is checked against its sha256.

The sample keeps to fast.ai's split (first 50,000 training images train, last 10,000
validate): numpy's default_rng(2024) chooses, for each digit 0 to 9 in turn, 1,000 training
images without repeats among that digit's images in the first 50,000; then, digit by digit
again, 200 validation images from the last 10,000. Each array keeps MNIST's order.

--check compares the arrays with the existing file at --out instead of writing it (the zip
bytes of two savez_compressed runs differ by time stamps, the arrays must not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pybackprop.data.mnist import N_TRAIN, read_mnist_file

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "pybackprop" / "data" / "mnist_sample.npz"
SEED = 2024
PER_DIGIT = {"train": 1000, "valid": 200}


def build_sample(images: np.ndarray, labels: np.ndarray, seed: int = SEED) -> dict[str, np.ndarray]:
    """The sample's six arrays from the 60,000 training images (n, 28, 28) and labels (n,)."""
    rng = np.random.default_rng(seed)
    ranges = {"train": (0, N_TRAIN), "valid": (N_TRAIN, len(labels))}
    out = {}
    for part, (lo, hi) in ranges.items():
        chosen = [
            rng.choice(lo + np.flatnonzero(labels[lo:hi] == digit), PER_DIGIT[part], replace=False)
            for digit in range(10)
        ]
        index = np.sort(np.concatenate(chosen)).astype(np.int32)
        out[f"x_{part}"], out[f"y_{part}"] = images[index], labels[index]
        out[f"{part}_index"] = index
    return out


def differences(path: Path, sample: dict[str, np.ndarray]) -> list[str]:
    """Names of the arrays whose values or dtype differ between `path` and `sample`."""
    with np.load(path) as existing:
        names = sorted(set(existing.files) | set(sample))
        return [
            k
            for k in names
            if k not in existing.files
            or k not in sample
            or existing[k].dtype != sample[k].dtype
            or not np.array_equal(existing[k], sample[k])
        ]


def find(data_dir: Path, name: str) -> Path:
    for candidate in (data_dir / f"{name}.gz", data_dir / name):
        if candidate.is_file():
            return candidate
    sys.exit(f"{name}(.gz) not found in {data_dir}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out, do not write")
    args = parser.parse_args(argv)
    images = read_mnist_file(find(args.data_dir, "train-images-idx3-ubyte"))
    labels = read_mnist_file(find(args.data_dir, "train-labels-idx1-ubyte"))
    sample = build_sample(images, labels)
    if args.check:
        differ = differences(args.out, sample)
        if differ:
            sys.exit(f"{args.out} differs from the rebuilt sample in: {', '.join(differ)}")
        print(f"{args.out}: the same arrays as rebuilt from {args.data_dir}")
        return
    np.savez_compressed(args.out, **sample)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
