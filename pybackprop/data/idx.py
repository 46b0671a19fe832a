"""Reading IDX files, the format MNIST is distributed in.

An IDX file is a big-endian header, then the values row by row: a 4-byte magic number (two
zero bytes, a type code such as ``0x08`` = uint8, the number of dimensions; MNIST's images are
2051 and its labels 2049), one 4-byte count per dimension, then ``prod(counts)`` values.
``parse_idx`` checks all three parts and says which one is wrong, so a truncated download or a
file of the wrong kind fails loudly instead of becoming a wrong-shaped array.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IDXError", "gunzip", "parse_idx", "read_idx"]

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


class IDXError(ValueError):
    """An IDX file whose header or length is wrong (a ``ValueError``); the message says which."""


def parse_idx(
    buf: bytes,
    *,
    source: str = "IDX data",
    magic: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Decode an uncompressed IDX file's bytes, checking its magic, dimensions and length."""
    if len(buf) < 4:
        raise IDXError(f"{source}: truncated header: need at least 4 bytes, got {len(buf)}")
    found_magic = int.from_bytes(buf[:4], "big")
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
    if len(buf) < header_bytes:
        raise IDXError(
            f"{source}: truncated header: {ndim} dimensions need {header_bytes} bytes, "
            f"got {len(buf)}"
        )
    dims = tuple(int.from_bytes(buf[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if shape is not None and dims != tuple(shape):
        raise IDXError(f"{source}: dimensions are {dims}, expected {tuple(shape)}")
    dtype = IDX_DTYPES[type_code]
    expected = header_bytes + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(buf) < expected:
        raise IDXError(
            f"{source}: truncated: expected {expected} bytes "
            f"({header_bytes}-byte header + {dims} values of {dtype.itemsize} byte(s)), "
            f"got {len(buf)}"
        )
    if len(buf) > expected:
        raise IDXError(
            f"{source}: {len(buf) - expected} unexpected bytes after the data: "
            f"expected {expected} bytes for dimensions {dims}, got {len(buf)}"
        )
    values = np.frombuffer(buf, dtype=dtype, offset=header_bytes).reshape(dims)
    return values.astype(dtype.newbyteorder("="), copy=False)


def read_idx(
    path: str | Path,
    *,
    magic: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Read an IDX file, gzip-compressed if its name ends in ``.gz``.

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
    FileNotFoundError
        If ``path`` does not exist.
    IDXError
        If a ``.gz`` file is not valid gzip, or the content is not an IDX file with the given
        ``magic`` and ``shape``.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> from pybackprop.data import read_idx
    >>> path = pathlib.Path(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
    >>> _ = path.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4])))
    >>> print(read_idx(path, magic=2049))  # magic 2049: uint8, 1 dimension; 3 values
    [5 0 4]
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gunzip(raw, source=str(path))
    return parse_idx(raw, source=str(path), magic=magic, shape=shape)


def gunzip(raw: bytes, *, source: str) -> bytes:
    """Decompress gzip bytes; gzip's own errors become an ``IDXError`` naming ``source``."""
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:  # bad header or CRC, truncated stream
        raise IDXError(
            f"{source}: not a valid gzip file ({err}); delete it and fetch it again"
        ) from err
