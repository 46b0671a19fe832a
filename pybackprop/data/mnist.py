"""MNIST: the bundled sample, and the full files found on disk or downloaded and verified.

MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, under CC BY-SA 3.0
(see LICENSE-MNIST.md next to this file).

``load_mnist("sample")`` needs nothing but the package. Where the full files come from, in
order:

1. the folder named by the environment variable ``PYBACKPROP_DATA``;
2. the per-user cache, ``$XDG_CACHE_HOME/pybackprop`` (default ``~/.cache/pybackprop``);
3. a download from one of ``download.MIRRORS`` into that cache.

A folder may hold each file gzip-compressed (``train-images-idx3-ubyte.gz``, as distributed)
or uncompressed (``train-images-idx3-ubyte``). Every file is checked against the sha256 of its
*decompressed* content: the same bytes whichever mirror, or whichever gzip, produced it.
A download is held in memory until it has passed that check and only then written, through a
temporary file and a rename, so an interrupted or corrupt transfer never leaves a file behind.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import download as _download
from .idx import IMAGES_MAGIC, LABELS_MAGIC, gunzip, parse_idx

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
    """One of the four MNIST files: its name without ``.gz``, IDX header, and content sha256.

    The four are in the module's ``FILES``, keyed by name.

    Parameters
    ----------
    name : str
        The file name without ``.gz``, such as ``"train-images-idx3-ubyte"``.
    magic : int
        The IDX magic number: 2051 for images, 2049 for labels.
    shape : tuple[int, ...]
        The array's shape: ``(n, 28, 28)`` for images, ``(n,)`` for labels.
    sha256 : str
        The hex sha256 of the *uncompressed* IDX bytes.

    Examples
    --------
    >>> from pybackprop.data.mnist import FILES
    >>> spec = FILES["t10k-images-idx3-ubyte"]
    >>> print(spec.magic, spec.shape)
    2051 (10000, 28, 28)
    """

    name: str
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


class ChecksumError(ValueError):
    """A file whose content is not the original MNIST file (wrong sha256).

    A ``ValueError``. Raised after the IDX header and length have passed, so the file has
    the right form but not the right bytes: delete it and fetch it again.
    """


class DataNotFoundError(FileNotFoundError):
    """An MNIST file that is on disk nowhere we looked and could not be downloaded.

    A ``FileNotFoundError``. The message lists the folders looked in, each mirror's failure,
    and how to fetch the file by hand.
    """


# ---------------------------------------------------------------------------------------------
# The public loader


def load_mnist(
    split: str = "sample", *, flatten: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load MNIST as ``(x_train, y_train, x_valid, y_valid)``: x (n, 784) float32, y (n,) int64.

    ``"full"`` and ``"test"`` read the four MNIST files from ``$PYBACKPROP_DATA`` or the
    per-user cache ``~/.cache/pybackprop``, downloading them there (about 11 MB, once) if
    they are in neither; each file is checked against its sha256 first.

    x is float32 pixel / 255, in [0, 1]. (fast.ai's ``mnist.pkl.gz`` divided by 256, so its
    values are slightly smaller: 255 there is 0.99609375, here 1.0.) y holds the digits 0-9
    as int64. Every call returns new arrays: changing them does not change what the next call
    returns.

    Parameters
    ----------
    split : str
        ``"sample"`` (default): the bundled class-balanced sample, 10,000 train (1,000 per
        digit) and 2,000 valid (200 per digit), drawn from the ``"full"`` split; offline,
        instant. ``"full"``: fast.ai's split of the 60,000 training images, the first 50,000
        to train and the last 10,000 to validate (the split of ``mnist.pkl.gz``).
        ``"test"``: all 60,000 training images, and the 10,000 test images as the second
        pair.
    flatten : bool
        True gives x as ``(n, 784)``, False as ``(n, 28, 28)``.

    Returns
    -------
    x_train : np.ndarray of shape (n_train, 784) or (n_train, 28, 28)
        Training images, float32 in [0, 1].
    y_train : np.ndarray of shape (n_train,)
        Training labels, int64 digits 0-9.
    x_valid : np.ndarray of shape (n_valid, 784) or (n_valid, 28, 28)
        Validation images (the test images for ``split="test"``), float32 in [0, 1].
    y_valid : np.ndarray of shape (n_valid,)
        Their labels, int64 digits 0-9.

    Raises
    ------
    ValueError
        If ``split`` is not ``"sample"``, ``"full"`` or ``"test"``.
    DataNotFoundError
        If a full MNIST file is on disk nowhere looked and no mirror delivers a verified copy.
    ChecksumError
        If a full MNIST file on disk has the wrong content (sha256).
    IDXError
        If a full MNIST file on disk is not valid gzip or not an IDX file of the right shape.

    See Also
    --------
    mean_std, DataLoader

    Examples
    --------
    >>> from pybackprop.data import load_mnist
    >>> x_train, y_train, x_valid, y_valid = load_mnist("sample")
    >>> print(x_train.shape, x_train.dtype, y_train.shape, y_train.dtype)
    (10000, 784) float32 (10000,) int64
    >>> print(x_valid.shape, y_valid.shape)
    (2000, 784) (2000,)
    >>> print(float(x_train.min()), float(x_train.max()), y_train.min(), y_train.max())
    0.0 1.0 0 9
    >>> print(load_mnist("sample", flatten=False)[0].shape)
    (10000, 28, 28)
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
    """The per-user cache folder: ``$XDG_CACHE_HOME/pybackprop``, default ``~/.cache/pybackprop``.

    Downloads go here. The folder is not created until a download is written to it.

    Returns
    -------
    Path
        The folder, read from the environment at each call.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> from pybackprop.data.mnist import cache_dir
    >>> with mock.patch.dict(os.environ, {"XDG_CACHE_HOME": "/tmp/cache"}):
    ...     print(cache_dir().as_posix())
    /tmp/cache/pybackprop
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pybackprop"


def search_dirs() -> list[Path]:
    """The folders looked in, in order: ``$PYBACKPROP_DATA`` (if set), then ``cache_dir()``.

    Returns
    -------
    list[Path]
        One or two folders, read from the environment at each call; ``~`` is expanded in
        ``$PYBACKPROP_DATA``.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> from pybackprop.data.mnist import search_dirs
    >>> env = {"PYBACKPROP_DATA": "/data/mnist", "XDG_CACHE_HOME": "/tmp/cache"}
    >>> with mock.patch.dict(os.environ, env):
    ...     print([folder.as_posix() for folder in search_dirs()])
    ['/data/mnist', '/tmp/cache/pybackprop']
    """
    env = os.environ.get("PYBACKPROP_DATA")
    return ([Path(env).expanduser()] if env else []) + [cache_dir()]


def find_file(name: str) -> Path | None:
    """The first ``name.gz`` or ``name`` in ``search_dirs()``, or None: nothing is downloaded.

    Only the file's existence is checked here; ``read_mnist_file`` checks its content.

    Parameters
    ----------
    name : str
        One of the four MNIST file names without ``.gz``, such as
        ``"train-labels-idx1-ubyte"``.

    Returns
    -------
    Path | None
        The file found first (``.gz`` before uncompressed, folder by folder), or None.

    Raises
    ------
    ValueError
        If ``name`` is not one of the four MNIST files.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> from unittest import mock
    >>> from pybackprop.data.mnist import find_file
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     env = {"PYBACKPROP_DATA": folder, "XDG_CACHE_HOME": folder}
    ...     _ = (Path(folder) / "t10k-labels-idx1-ubyte").write_bytes(b"")
    ...     with mock.patch.dict(os.environ, env):
    ...         print(find_file("t10k-labels-idx1-ubyte").name)
    ...         print(find_file("t10k-images-idx3-ubyte"))
    t10k-labels-idx1-ubyte
    None
    """
    _spec(name)
    for folder in search_dirs():
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                return candidate
    return None


def find_or_download(name: str, *, progress: bool = True) -> Path:
    """The path of MNIST file ``name`` (e.g. ``"train-images-idx3-ubyte"``), downloading if needed.

    A file found by ``find_file`` is returned as it is (``read_mnist_file`` checks it);
    otherwise it is downloaded into ``cache_dir()`` from the first of ``download.MIRRORS``
    that gives a verified copy.

    Parameters
    ----------
    name : str
        One of the four MNIST file names without ``.gz``.
    progress : bool
        Show a progress bar on stderr while downloading.

    Returns
    -------
    Path
        The file found or downloaded.

    Raises
    ------
    ValueError
        If ``name`` is not one of the four MNIST files.
    DataNotFoundError
        If the file is nowhere on disk and no mirror delivers a verified copy; the message
        says where it looked and how to fetch the file by hand.

    Examples
    --------
    With no mirrors to try, a missing file fails with a message saying what to do:

    >>> import os, tempfile
    >>> from unittest import mock
    >>> from pybackprop.data import download, mnist
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     env = {"PYBACKPROP_DATA": folder, "XDG_CACHE_HOME": folder}
    ...     with mock.patch.dict(os.environ, env), mock.patch.object(download, "MIRRORS", ()):
    ...         mnist.find_or_download("t10k-labels-idx1-ubyte")
    Traceback (most recent call last):
        ...
    pybackprop.data.mnist.DataNotFoundError: MNIST file t10k-labels-idx1-ubyte.gz is missing.
    Looked in: ...
    To fetch it by hand, download
    https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz into ...,
    or set PYBACKPROP_DATA to a folder holding the four MNIST files.
    load_mnist("sample") works offline.
    """
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
    """Read an MNIST file (``.gz`` or not), check its IDX header and sha256: read-only uint8.

    Which of the four files it is comes from its name. The result is cached per path, size
    and modification time, so a replaced file is read again.

    Parameters
    ----------
    path : str | Path
        The file, named as distributed: ``train-images-idx3-ubyte.gz`` or without ``.gz``.

    Returns
    -------
    np.ndarray of shape (n, 28, 28) or (n,)
        The images or labels as read-only uint8 (n is 60,000 or 10,000).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the name is not one of the four MNIST files.
    IDXError
        If the file is not a valid (gzip of an) IDX file of the right shape.
    ChecksumError
        If the content is not the original MNIST file.

    Examples
    --------
    A file of the right form but not MNIST's bytes (all labels 0):

    >>> import tempfile
    >>> from pathlib import Path
    >>> from pybackprop.data.mnist import read_mnist_file
    >>> header = (2049).to_bytes(4, "big") + (10000).to_bytes(4, "big")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "t10k-labels-idx1-ubyte"
    ...     _ = path.write_bytes(header + bytes(10000))
    ...     read_mnist_file(path)
    Traceback (most recent call last):
        ...
    pybackprop.data.mnist.ChecksumError: ...t10k-labels-idx1-ubyte: sha256 of the content of
    t10k-labels-idx1-ubyte is ..., expected ff7bcf.... The file is corrupt or not the original
    MNIST file; delete it and fetch it again.
    """
    path = Path(path)
    stat = path.stat()
    return _read_verified(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _read_verified(path: str, size: int, mtime_ns: int) -> np.ndarray:
    """`read_mnist_file`, keyed so that a replaced file is read again."""
    name = Path(path).name.removesuffix(".gz")
    raw = Path(path).read_bytes()
    if path.endswith(".gz"):
        raw = gunzip(raw, source=path)
    array = verify(raw, name, source=path)
    array.flags.writeable = False
    return array


def verify(raw: bytes, name: str, *, source: str) -> np.ndarray:
    """Check uncompressed bytes against MNIST file ``name``; return the decoded array.

    The IDX header and length are checked first, since "truncated: expected N bytes, got M"
    says more than a checksum; then the sha256 of the whole content.

    Parameters
    ----------
    raw : bytes
        The uncompressed IDX bytes.
    name : str
        One of the four MNIST file names without ``.gz``.
    source : str
        Where the bytes came from (path or URL), for error messages.

    Returns
    -------
    np.ndarray of shape (n, 28, 28) or (n,)
        The decoded uint8 array, a read-only view of ``raw``.

    Raises
    ------
    ValueError
        If ``name`` is not one of the four MNIST files.
    IDXError
        If ``raw`` is not an IDX file with ``name``'s magic number and shape.
    ChecksumError
        If the sha256 of ``raw`` is not that of the original file.

    Examples
    --------
    >>> from pybackprop.data.mnist import verify
    >>> header = (2049).to_bytes(4, "big") + (10000).to_bytes(4, "big")
    >>> verify(header + bytes(9999), "t10k-labels-idx1-ubyte", source="short")
    Traceback (most recent call last):
        ...
    pybackprop.data.idx.IDXError: short: truncated: expected 10008 bytes
    (8-byte header + (10000,) values of 1 byte(s)), got 10007
    >>> verify(header + bytes(10000), "t10k-labels-idx1-ubyte", source="zeros")
    Traceback (most recent call last):
        ...
    pybackprop.data.mnist.ChecksumError: zeros: sha256 of the content of
    t10k-labels-idx1-ubyte is ..., expected ff7bcf...
    """
    spec = _spec(name)
    array = parse_idx(raw, source=source, magic=spec.magic, shape=spec.shape)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != spec.sha256:
        raise ChecksumError(
            f"{source}: sha256 of the content of {name} is {actual}, expected {spec.sha256}. "
            "The file is corrupt or not the original MNIST file; delete it and fetch it again."
        )
    return array


def _spec(name: str) -> MNISTFile:
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
    """Download ``name.gz`` from the first mirror that gives a verified copy; return its path.

    Nothing is written unless the whole file arrived and its content passed ``verify``; then
    it is written to a temporary file in ``folder`` and renamed into place, so an interrupted
    or corrupt transfer never leaves a file behind.

    Parameters
    ----------
    name : str
        One of the four MNIST file names without ``.gz``.
    folder : str | Path
        Where to write ``name.gz`` (created if missing).
    mirrors : tuple[str, ...] | None
        Base URLs ending in ``"/"``, tried in order (default: ``download.MIRRORS``, read
        at call time).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    Path
        ``folder / (name + ".gz")``, verified.

    Raises
    ------
    ValueError
        If ``name`` is not one of the four MNIST files.
    DataNotFoundError
        If no mirror delivers a verified copy; the message lists each mirror's failure.

    Examples
    --------
    >>> import tempfile
    >>> from pybackprop.data.mnist import download
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     download("t10k-labels-idx1-ubyte", folder, mirrors=())
    Traceback (most recent call last):
        ...
    pybackprop.data.mnist.DataNotFoundError: Downloading t10k-labels-idx1-ubyte.gz failed:
      (no mirrors configured)
    """
    import http.client  # imported on first use: networking costs `import pybackprop` ~25 ms

    _spec(name)
    mirrors = _download.MIRRORS if mirrors is None else mirrors
    failures = []
    for base in mirrors:
        url = f"{base}{name}.gz"
        try:
            raw = _download.fetch(url, progress=progress)
            verify(gunzip(raw, source=url), name, source=url)
        except (OSError, http.client.HTTPException, ValueError) as err:
            failures.append(f"  - {url}: {err}")
            continue
        return _download.write_atomically(Path(folder) / f"{name}.gz", raw)
    tried = "\n".join(failures) if failures else "  (no mirrors configured)"
    raise DataNotFoundError(f"Downloading {name}.gz failed:\n{tried}")
