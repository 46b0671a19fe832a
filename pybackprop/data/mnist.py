"""MNIST: the bundled sample, and the full files found on disk or downloaded and verified.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, under CC BY-SA 3.0 (see
LICENSE-MNIST.md next to this file). The full files are looked for in ``$PYBACKPROP_DATA``,
then in the per-user cache ``$XDG_CACHE_HOME/pybackprop`` (``~/.cache/pybackprop``), then
downloaded into that cache from ``download.MIRRORS``. A file may be gzip-compressed (told by its
first bytes) or not; each is checked against the sha256 of its decompressed content, and a
download is written (atomically) only after it has passed that check. Every size is known in
advance, so nothing is read or downloaded much past it (a gzip bomb, /dev/zero, an endless mirror).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG

import numpy as np

from . import download as _download
from .idx import IMAGES_MAGIC, LABELS_MAGIC, _GzipReader, _open_checked, _read_checked, parse_idx

__all__ = [
    "ChecksumError",
    "DataNotFoundError",
    "MNISTFile",
    "cache_dir",
    "download",
    "find_file",
    "find_or_download",
    "load_mnist",
    "read_mnist_file",
    "search_dirs",
    "verify",
]


@dataclass(frozen=True)
class MNISTFile:
    """One of the four MNIST files (in ``FILES``): its IDX header and content's sha256."""

    name: str  # without .gz, such as "train-images-idx3-ubyte"
    magic: int
    shape: tuple[int, ...]
    sha256: str  # of the uncompressed IDX bytes


FILES = {
    f.name: f
    for f in (
        MNISTFile(
            "train-images-idx3-ubyte",
            IMAGES_MAGIC,
            (60000, 28, 28),
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        MNISTFile(
            "train-labels-idx1-ubyte",
            LABELS_MAGIC,
            (60000,),
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        MNISTFile(
            "t10k-images-idx3-ubyte",
            IMAGES_MAGIC,
            (10000, 28, 28),
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        MNISTFile(
            "t10k-labels-idx1-ubyte",
            LABELS_MAGIC,
            (10000,),
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    )
}

SPLITS = ("sample", "full", "test")
N_TRAIN = 50_000  # fast.ai's mnist.pkl.gz: first 50,000 training images train, last 10,000 valid


# What to do about a bad file: one on disk, or one a mirror sent (never written to disk).
_ON_DISK = "delete it and fetch it again"
_FROM_MIRROR = "the mirror sent something other than this file (nothing was saved)"


class ChecksumError(ValueError):
    """An MNIST file of the right form but not the original bytes (a ``ValueError``)."""


class DataNotFoundError(FileNotFoundError):
    """An MNIST file found nowhere and not downloaded; the message says what to do."""


# ---------------------------------------------------------------------------------------------
# The public loader


def load_mnist(
    split: str = "sample", *, flatten: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST as ``(x_train, y_train, x_valid, y_valid)``: float32 pixel/255, int64 digits.

    ``"full"`` and ``"test"`` read the four MNIST files, downloading them (about 11 MB, once)
    if they are not on disk. Every call returns new arrays.

    Parameters
    ----------
    split : str
        ``"sample"``: the bundled class-balanced sample of ``"full"``, 10,000 train and 2,000
        valid, offline. ``"full"``: fast.ai's split of the 60,000 training images, the first
        50,000 to train and the last 10,000 to validate. ``"test"``: the 60,000 training
        images, and the 10,000 test images as the second pair.
    flatten : bool
        True gives x as ``(n, 784)``, False as ``(n, 28, 28)``.

    Returns
    -------
    x_train : np.ndarray of shape (n_train, 784) or (n_train, 28, 28)
        Training images, float32 in [0, 1].
    y_train : np.ndarray of shape (n_train,)
        Training labels, int64 digits 0-9.
    x_valid : np.ndarray of shape (n_valid, 784) or (n_valid, 28, 28)
        Validation (or test) images, float32 in [0, 1].
    y_valid : np.ndarray of shape (n_valid,)
        Their labels, int64 digits 0-9.

    Raises
    ------
    ValueError
        If ``split`` is not ``"sample"``, ``"full"`` or ``"test"``.
    DataNotFoundError
        If a full MNIST file is nowhere on disk and no mirror delivers a verified copy.
    ChecksumError
        If a full MNIST file on disk has the wrong content (sha256).
    IDXError
        If a full MNIST file on disk is not valid gzip or not an IDX file of the right shape
        and length (refused after reading a few kB past its expected end).
    OSError
        If the download cannot be written to the cache folder; the message says what to set.

    See Also
    --------
    mean_std, DataLoader

    Examples
    --------
    >>> from pybackprop.data import load_mnist
    >>> x_train, y_train, x_valid, y_valid = load_mnist("sample")
    >>> print(x_train.shape, x_train.dtype, y_train.shape, y_train.dtype)
    (10000, 784) float32 (10000,) int64
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}; got {split!r}")
    if split == "sample":
        sample = _sample_arrays()
        parts = sample["x_train"], sample["y_train"], sample["x_valid"], sample["y_valid"]
    else:
        images, labels = _full_arrays("train")
        if split == "full":
            parts = images[:N_TRAIN], labels[:N_TRAIN], images[N_TRAIN:], labels[N_TRAIN:]
        else:
            parts = (images, labels, *_full_arrays("t10k"))
    x_train, y_train, x_valid, y_valid = parts
    return (
        _to_float(x_train, flatten),
        y_train.astype(np.int64),
        _to_float(x_valid, flatten),
        y_valid.astype(np.int64),
    )


def _to_float(images: np.ndarray, flatten: bool) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 pixel/255, (n, 784) if flatten; always a new array."""
    x = images.astype(np.float32)
    x /= 255
    return x.reshape(len(x), -1) if flatten else x


@lru_cache(maxsize=1)
def _sample_arrays() -> dict[str, np.ndarray]:
    """The bundled sample's uint8 arrays (read-only), from package data."""
    from importlib import resources  # imported on first use: it costs `import pybackprop` ~5 ms

    with (resources.files(__package__) / "mnist_sample.npz").open("rb") as f, np.load(f) as npz:
        arrays = {key: npz[key] for key in npz.files}
    for a in arrays.values():
        a.flags.writeable = False
    return arrays


def _full_arrays(prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) as read-only uint8 arrays for prefix "train" or "t10k"."""
    # Labels first: a missing or bad file then fails before the 47 MB of images are read.
    labels = read_mnist_file(find_or_download(f"{prefix}-labels-idx1-ubyte"))
    images = read_mnist_file(find_or_download(f"{prefix}-images-idx3-ubyte"))
    return images, labels


# ---------------------------------------------------------------------------------------------
# Finding, reading and verifying files


def cache_dir() -> Path:
    """The per-user cache, ``$XDG_CACHE_HOME/pybackprop`` (default ``~/.cache/pybackprop``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pybackprop"


def search_dirs() -> list[Path]:
    """The folders looked in, in order: ``$PYBACKPROP_DATA`` if set, then ``cache_dir()``."""
    env = os.environ.get("PYBACKPROP_DATA")
    return ([Path(env).expanduser()] if env else []) + [cache_dir()]


def find_file(name: str) -> Path | None:
    """The first ``name.gz`` or ``name`` in ``search_dirs()``, or None; content unchecked."""
    _spec(name)
    for folder in search_dirs():
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def find_or_download(name: str, *, progress: bool = True) -> Path:
    """The path of MNIST file ``name``: found on disk, else downloaded into ``cache_dir()``."""
    found = find_file(name)
    if found is not None:
        return found
    try:
        return download(name, cache_dir(), progress=progress)
    except DataNotFoundError as err:
        # A mistyped PYBACKPROP_DATA is the usual reason a file "is missing": say so.
        looked = "\n".join(
            f"  - {d / name}.gz (or {name})" + ("" if d.is_dir() else "  [no such folder]")
            for d in search_dirs()
        )
        raise DataNotFoundError(
            f"MNIST file {name}.gz is missing. Looked in:\n{looked}\n{err}\n"
            f"To fetch it by hand, download {_download.HAND_DOWNLOAD}{name}.gz into {cache_dir()}, "
            "or set PYBACKPROP_DATA to a folder holding the four MNIST files. "
            'load_mnist("sample") works offline.'
        ) from None


def read_mnist_file(path: str | Path) -> np.ndarray:
    """A checked MNIST file as read-only uint8; cached per path, size and mtime."""
    # The name, then the kind of file, then the header, each before anything more is read.
    path = Path(path)
    if path.name.removesuffix(".gz") not in FILES:
        raise ValueError(
            f"{path}: not the name of an MNIST file: expected one of {list(FILES)}, "
            f"optionally ending in .gz; got {path.name!r}"
        )
    stat = path.stat()
    if not S_ISREG(stat.st_mode):
        raise ValueError(f"{path}: not a regular file (a folder, a device or a pipe)")
    return _read_verified(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _read_verified(path: str, size: int, mtime_ns: int) -> np.ndarray:
    """`read_mnist_file`, keyed so that a replaced file is read again."""
    name = Path(path).name.removesuffix(".gz")
    spec = FILES[name]
    with _open_checked(Path(path)) as f:
        raw = _read_checked(f, source=path, magic=spec.magic, shape=spec.shape)
    array = verify(raw, name, source=path)
    array.flags.writeable = False
    return array


def verify(raw: bytes, name: str, *, source: str, fix: str = _ON_DISK) -> np.ndarray:
    """The IDX array of ``raw`` if it is MNIST file ``name``; a ChecksumError ends with ``fix``."""
    spec = _spec(name)
    array = parse_idx(raw, source=source, magic=spec.magic, shape=spec.shape)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != spec.sha256:
        raise ChecksumError(
            f"{source}: sha256 of the content of {name} is {actual}, expected {spec.sha256}. "
            f"The file is corrupt or not the original MNIST file; {fix}."
        )
    return array


def _spec(name: str) -> MNISTFile:
    """The MNISTFile of ``name``, or a ValueError listing the four."""
    try:
        return FILES[name]
    except KeyError:
        raise ValueError(f"unknown MNIST file {name!r}; expected one of {list(FILES)}") from None


# ---------------------------------------------------------------------------------------------
# Downloading


def download(
    name: str,
    folder: str | Path,
    *,
    mirrors: tuple[str, ...] | None = None,
    progress: bool = True,
) -> Path:
    """Download ``name.gz`` into ``folder`` from the first mirror giving a verified copy."""
    import http.client  # imported on first use: networking costs `import pybackprop` ~25 ms
    import io

    spec = _spec(name)
    folder = Path(folder)
    mirrors = _download.MIRRORS if mirrors is None else mirrors
    size = 4 + 4 * len(spec.shape) + math.prod(spec.shape)
    # gzip of bytes that do not compress is a little longer than they are (stored blocks).
    max_bytes = size + size // 1000 + 1024
    if mirrors:  # known before the download, not after it
        _writable(folder, name)
    failures = []
    for base in mirrors:
        url = f"{base}{name}.gz"
        try:
            raw = _download.fetch(url, progress=progress, max_bytes=max_bytes)
            with _GzipReader(io.BytesIO(raw), url, _FROM_MIRROR) as f:
                content = _read_checked(f, source=url, magic=spec.magic, shape=spec.shape)
            verify(content, name, source=url, fix=_FROM_MIRROR)
        except (OSError, http.client.HTTPException, ValueError) as err:
            # A file's errors start with their source, here the URL: named once.
            failures.append(f"  - {err}" if str(err).startswith(url) else f"  - {url}: {err}")
            continue
        return _writable(folder, name, raw)
    tried = "\n".join(failures) if failures else "  (no mirrors configured)"
    raise DataNotFoundError(f"Downloading {name}.gz failed:\n{tried}")


def _writable(folder: Path, name: str, raw: bytes | None = None) -> Path:
    """Check that folder takes a file (raw None) or write raw there; an OSError says what to do."""
    try:
        if raw is None:
            _download.check_writable(folder)
            return folder
        return _download.write_atomically(folder / f"{name}.gz", raw)
    except OSError as err:
        raise type(err)(
            f"cannot write MNIST file {name}.gz into {folder}: {err.strerror or err}. Make that "
            "folder writable, or set XDG_CACHE_HOME to a folder you can write to, or download "
            f"the files by hand ({_download.HAND_DOWNLOAD}{name}.gz) into a folder of your own "
            "and set PYBACKPROP_DATA to it."
        ) from err
