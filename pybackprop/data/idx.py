"""Reading IDX files, the format MNIST is distributed in.

An IDX file is a big-endian header followed by the values, row by row:

- a 4-byte magic number: two zero bytes, a type code (0x08 = unsigned byte, ...) and the
  number of dimensions. MNIST's images are 0x00000803 = 2051 (uint8, 3 dimensions) and its
  labels 0x00000801 = 2049 (uint8, 1 dimension);
- one 4-byte unsigned count per dimension (60000, 28, 28 for the training images);
- the values: prod(counts) of them, each of the type's size.

`parse_idx` checks all three parts and says which one is wrong, so a truncated download or a
file of the wrong kind fails loudly instead of becoming a wrong-shaped array.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

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
    """An IDX file whose header or length is not what it should be."""


def parse_idx(
    buf: bytes,
    *,
    source: str = "IDX data",
    magic: int | None = None,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into a numpy array.

    buf: the whole file. source: a name for error messages (usually the path).
    magic, shape: if given, the magic number and shape the file must have.
    Returns an array of the stored shape in native byte order (uint8 for MNIST); for
    one-byte types it is a read-only view of `buf`.
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
    """Read an IDX file, gzip-compressed if its name ends in `.gz`. See `parse_idx`."""
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gunzip(raw, source=str(path))
    return parse_idx(raw, source=str(path), magic=magic, shape=shape)


def gunzip(raw: bytes, *, source: str) -> bytes:
    """Decompress gzip bytes, turning gzip's own errors into an `IDXError` naming the file."""
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:  # bad header or CRC, truncated stream
        raise IDXError(
            f"{source}: not a valid gzip file ({err}); delete it and fetch it again"
        ) from err
