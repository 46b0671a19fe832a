"""Reading IDX files, the format MNIST is distributed in.

An IDX file is a big-endian header followed by the values, row by row:

- a 4-byte magic number: two zero bytes, a type code (``0x08`` = unsigned byte, ...) and the
  number of dimensions. MNIST's images are ``0x00000803`` = 2051 (uint8, 3 dimensions) and
  its labels ``0x00000801`` = 2049 (uint8, 1 dimension);
- one 4-byte unsigned count per dimension (60000, 28, 28 for the training images);
- the values: ``prod(counts)`` of them, each of the type's size.

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
    """An IDX file whose header or length is not what it should be.

    A ``ValueError``, so ``except ValueError`` catches it too. The message names the file
    and the part that is wrong: the magic number, the dimensions, or the length.
    """


def parse_idx(
    buf: bytes,
    *,
    source: str = "IDX data",
    magic: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file: bytes -> array of the stored shape.

    Checks the header, then the dimensions, then the length, and says which one is wrong.

    Parameters
    ----------
    buf : bytes
        The whole file: header and values.
    source : str
        A name for error messages (usually the path).
    magic : int | None
        If given, the magic number the file must have (2051 for MNIST's images, 2049 for its
        labels).
    shape : tuple[int, ...] | None
        If given, the dimensions the file must have, such as ``(10000, 28, 28)``.

    Returns
    -------
    np.ndarray of the stored shape
        The values in native byte order (uint8 for MNIST). For one-byte types it is a
        read-only view of ``buf`` (no copy).

    Raises
    ------
    IDXError
        If the header is truncated or is not an IDX header, if the magic number or the
        dimensions differ from ``magic`` or ``shape``, or if ``buf`` is shorter or longer
        than the header says.

    See Also
    --------
    read_idx : the same, from a file (gzip-compressed or not).

    Examples
    --------
    >>> from pybackprop.data.idx import parse_idx
    >>> header = (2049).to_bytes(4, "big") + (3).to_bytes(4, "big")  # uint8, 1-D, 3 values
    >>> labels = parse_idx(header + bytes([7, 2, 1]), magic=2049, shape=(3,))
    >>> print(labels, labels.dtype, labels.shape)
    [7 2 1] uint8 (3,)
    >>> parse_idx(header + bytes([7, 2]), source="labels")
    Traceback (most recent call last):
        ...
    pybackprop.data.idx.IDXError: labels: truncated: expected 11 bytes ...
    """
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
    """Read an IDX file, gzip-compressed if its name ends in ``.gz``: path -> array.

    Parameters
    ----------
    path : str | Path
        The file; a name ending in ``.gz`` is decompressed first.
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
        If a ``.gz`` file is not valid gzip, or the content is not a valid IDX file with the
        given ``magic`` and ``shape`` (see ``parse_idx``).

    See Also
    --------
    parse_idx : the checks, on bytes already in memory.

    Examples
    --------
    >>> import gzip, tempfile
    >>> from pathlib import Path
    >>> from pybackprop.data import read_idx
    >>> header = (2049).to_bytes(4, "big") + (4).to_bytes(4, "big")  # uint8, 1-D, 4 values
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "labels-idx1-ubyte.gz"
    ...     _ = path.write_bytes(gzip.compress(header + bytes([5, 0, 4, 1])))
    ...     labels = read_idx(path, magic=2049)
    >>> print(labels, labels.dtype)
    [5 0 4 1] uint8
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gunzip(raw, source=str(path))
    return parse_idx(raw, source=str(path), magic=magic, shape=shape)


def gunzip(raw: bytes, *, source: str) -> bytes:
    """Decompress gzip bytes, turning gzip's own errors into an ``IDXError`` naming the file.

    Parameters
    ----------
    raw : bytes
        The compressed bytes.
    source : str
        A name for the error message (usually the path or URL).

    Returns
    -------
    bytes
        The decompressed bytes.

    Raises
    ------
    IDXError
        If ``raw`` is not a whole gzip stream (bad header or CRC, or truncated).

    Examples
    --------
    >>> import gzip
    >>> from pybackprop.data.idx import gunzip
    >>> gunzip(gzip.compress(b"IDX bytes"), source="demo.gz")
    b'IDX bytes'
    >>> gunzip(b"not gzip", source="demo.gz")
    Traceback (most recent call last):
        ...
    pybackprop.data.idx.IDXError: demo.gz: not a valid gzip file (...); delete it and fetch it again
    """
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:  # bad header or CRC, truncated stream
        raise IDXError(
            f"{source}: not a valid gzip file ({err}); delete it and fetch it again"
        ) from err
