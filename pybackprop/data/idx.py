"""Reading IDX files, the format MNIST is distributed in.

An IDX file is a big-endian header, then the values row by row: a 4-byte magic number (two
zero bytes, a type code such as ``0x08`` = uint8, the number of dimensions; MNIST's images are
2051 and its labels 2049), one 4-byte count per dimension, then ``prod(counts)`` values.
``parse_idx`` checks all three parts and says which one is wrong, so a truncated download or a
file of the wrong kind fails loudly instead of becoming a wrong-shaped array.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["IDXError", "parse_idx", "read_idx"]

# The type codes of the IDX format, as big-endian numpy dtypes.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IMAGES_MAGIC = 2051  # uint8, 3 dimensions: (n, rows, cols)
LABELS_MAGIC = 2049  # uint8, 1 dimension: (n,)
GZIP_MAGIC = b"\x1f\x8b"  # the first two bytes of every gzip file
EXTRA = 1 << 16  # bytes read past a file's expected end to say how many are left over
CHUNK = 1 << 20


class IDXError(ValueError):
    """An IDX file whose header or length is wrong (a ``ValueError``); the message says which."""


def _header(
    head: bytes,
    *,
    source: str,
    magic: int | None,
    shape: tuple[int, ...] | None,
) -> tuple[int, tuple[int, ...], np.dtype, int]:
    """(header bytes, dims, dtype, total bytes) of the IDX header at the start of ``head``."""
    if len(head) < 4:
        raise IDXError(f"{source}: truncated header: need at least 4 bytes, got {len(head)}")
    found_magic = int.from_bytes(head[:4], "big")
    if magic is not None and found_magic != magic:
        raise IDXError(f"{source}: magic number is {found_magic}, expected {magic}")
    zeros, type_code, ndim = found_magic >> 16, (found_magic >> 8) & 0xFF, found_magic & 0xFF
    if zeros != 0 or type_code not in IDX_DTYPES or ndim == 0:
        raise IDXError(
            f"{source}: magic number {found_magic} (0x{found_magic:08x}) is not an IDX header: "
            f"expected 0x0000TTDD with type TT in "
            f"{{{', '.join(f'0x{t:02x}' for t in IDX_DTYPES)}}} and DD >= 1 dimensions"
        )
    header_bytes = 4 + 4 * ndim
    if len(head) < header_bytes:
        raise IDXError(
            f"{source}: truncated header: {ndim} dimensions need {header_bytes} bytes, "
            f"got {len(head)}"
        )
    dims = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    # numpy sizes an array's axes even when one of them is 0: (0, 2**32 - 1, 2**32 - 1) would
    # end in its bare "array is too big".
    if math.prod(d for d in dims if d) > np.iinfo(np.intp).max:
        raise IDXError(f"{source}: dimensions {dims} are too large for any array")
    if shape is not None and dims != tuple(shape):
        raise IDXError(f"{source}: dimensions are {dims}, expected {tuple(shape)}")
    dtype = IDX_DTYPES[type_code]
    total = header_bytes + math.prod(dims) * dtype.itemsize
    return header_bytes, dims, dtype, total


def _length_error(source: str, got: int, total: int, header_bytes: int, dims, dtype) -> IDXError:
    """The error for a file of ``got`` bytes (or more: ``got`` > total + EXTRA) that needs total."""
    if got < total:
        return IDXError(
            f"{source}: truncated: expected {total} bytes "
            f"({header_bytes}-byte header + {dims} values of {dtype.itemsize} byte(s)), "
            f"got {got}"
        )
    if got > total + EXTRA:  # reading stopped there: the rest may be a gzip bomb's gigabytes
        return IDXError(
            f"{source}: more than {total + EXTRA} bytes (reading stopped there): "
            f"expected {total} bytes for dimensions {dims}"
        )
    return IDXError(
        f"{source}: {got - total} unexpected bytes after the data: "
        f"expected {total} bytes for dimensions {dims}, got {got}"
    )


def parse_idx(
    buf: bytes,
    *,
    source: str = "IDX data",
    magic: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Decode an uncompressed IDX file's bytes, checking its magic, dimensions and length."""
    header_bytes, dims, dtype, total = _header(buf, source=source, magic=magic, shape=shape)
    if len(buf) != total:
        raise _length_error(source, len(buf), total, header_bytes, dims, dtype)
    values = np.frombuffer(buf, dtype=dtype, offset=header_bytes).reshape(dims)
    return values.astype(dtype.newbyteorder("="), copy=False)


def _read_checked(
    f: BinaryIO,
    *,
    source: str,
    magic: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> bytes:
    """An IDX file's bytes from ``f``: the header checked first, then at most its size read."""
    # A file longer than its header says is read only EXTRA bytes further: a gzip bomb (2 GiB
    # of zeros in 2 MB) or /dev/zero costs a few kB, not all the memory there is.
    head = f.read(4)
    head += f.read(4 * head[3]) if len(head) == 4 else b""  # the counts: 1020 bytes at most
    header_bytes, dims, dtype, total = _header(head, source=source, magic=magic, shape=shape)
    # In chunks, so that memory follows the bytes there are, not the size the header claims.
    chunks, got = [head], len(head)
    while got <= total + EXTRA and (chunk := f.read(min(CHUNK, total + EXTRA + 1 - got))):
        chunks.append(chunk)
        got += len(chunk)
    if got != total:
        raise _length_error(source, got, total, header_bytes, dims, dtype)
    return b"".join(chunks)


def _open_checked(path: Path) -> BinaryIO:
    """``path`` opened for ``_read_checked``: decompressed as read if named .gz or gzip's bytes."""
    f = open(path, "rb")  # noqa: SIM115 (closed by the caller's `with`)
    gzipped = path.suffix == ".gz" or f.peek(2)[:2] == GZIP_MAGIC
    return _GzipReader(f, str(path), "delete it and fetch it again") if gzipped else f


class _GzipReader:
    """gzip data, decompressed only as far as read; gzip's errors become an ``IDXError``."""

    def __init__(self, compressed: BinaryIO, source: str, fix: str) -> None:
        self.compressed, self.source, self.fix = compressed, source, fix
        self.file = gzip.GzipFile(fileobj=compressed, mode="rb")

    def read(self, n: int) -> bytes:
        try:
            return self.file.read(n)
        except (OSError, EOFError, zlib.error) as err:  # bad header or CRC, truncated stream
            raise IDXError(f"{self.source}: not a valid gzip file ({err}); {self.fix}") from err

    def __enter__(self) -> _GzipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()
        self.compressed.close()


def read_idx(
    path: str | Path,
    *,
    magic: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Read an IDX file, decompressed if its name ends in ``.gz`` or it starts as gzip does.

    Parameters
    ----------
    path : str | Path
        The file.
    magic : int | None
        If given, the magic number the file must have (2051 for MNIST's images, 2049 for its
        labels).
    shape : tuple[int, ...] | None
        If given, the dimensions the file must have, such as ``(60000, 28, 28)``.

    Returns
    -------
    np.ndarray of the stored shape
        The values in native byte order (uint8 for MNIST).

    Raises
    ------
    TypeError
        If ``path`` is not a str or a Path.
    FileNotFoundError
        If ``path`` does not exist.
    IDXError
        If ``path`` is a folder, a ``.gz`` file is not valid gzip, or the content is not an IDX
        file with the given ``magic`` and ``shape`` and the length its header gives (checked
        while reading).

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> from pybackprop.data import read_idx
    >>> path = pathlib.Path(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
    >>> _ = path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4])))
    >>> print(read_idx(path, magic=2049))  # magic 2049: uint8, 1 dimension; 3 values
    [5 0 4]
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_idx: path must be a str or a Path; got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IDXError(f"{path}: is a folder, not an IDX file")
    with _open_checked(path) as f:
        raw = _read_checked(f, source=str(path), magic=magic, shape=shape)
    return parse_idx(raw, source=str(path))
