"""The IDX reader: exact round trips, and a clear error for each way a file can be wrong."""

import gzip
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pybackprop.data.idx import IDX_DTYPES, IDXError, parse_idx, read_idx

SHARED = Path(__file__).parents[2].parent / "shared" / "data"

# The format's type codes, written out here independently of the reader's table.
TYPE_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6)


def encode(values: np.ndarray, type_code: int) -> bytes:
    """An IDX file, written by hand: magic, one big-endian count per dimension, the values."""
    header = struct.pack(">BBBB", 0, 0, type_code, values.ndim)
    header += struct.pack(f">{values.ndim}I", *values.shape)
    return header + values.astype(TYPE_CODES[type_code]).tobytes()


@st.composite
def idx_arrays(draw):
    type_code = draw(st.sampled_from(sorted(TYPE_CODES)))
    dtype = np.dtype(TYPE_CODES[type_code]).newbyteorder("=")
    elements = st.floats(-1e6, 1e6, width=dtype.itemsize * 8) if dtype.kind == "f" else None
    return type_code, draw(hnp.arrays(dtype, draw(shapes), elements=elements))


def test_type_table_matches_format():
    assert {code: dt.str for code, dt in IDX_DTYPES.items()} == {
        code: np.dtype(s).str for code, s in TYPE_CODES.items()
    }


@given(idx_arrays())
def test_parse_round_trips_every_type_and_shape(case):
    type_code, values = case
    got = parse_idx(encode(values, type_code))
    assert got.shape == values.shape
    assert got.dtype == values.dtype
    np.testing.assert_array_equal(got, values)


@given(st.integers(0, 255), st.integers(1, 50), st.integers(1, 20))
def test_magic_is_mnist_convention(n_rows, rows, cols):
    images = np.full((n_rows, rows, cols), 7, dtype=np.uint8)
    labels = np.zeros(n_rows, dtype=np.uint8)
    assert int.from_bytes(encode(images, 0x08)[:4], "big") == 2051
    assert int.from_bytes(encode(labels, 0x08)[:4], "big") == 2049
    assert parse_idx(encode(images, 0x08), magic=2051, shape=images.shape).shape == images.shape


def test_read_gz_and_plain_files_alike(tmp_path):
    values = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = encode(values, 0x08)
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "a.gz").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "a"), values)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), values)


@given(idx_arrays(), st.data())
def test_truncated_data_names_expected_and_actual_length(case, data):
    type_code, values = case
    raw = encode(values, type_code)
    header = 4 + 4 * values.ndim
    assume(len(raw) > header)  # an empty array has no data to cut
    cut = data.draw(st.integers(header, len(raw) - 1))
    message = rf"some\.file: truncated: expected {len(raw)} bytes.*got {cut}$"
    with pytest.raises(IDXError, match=message):
        parse_idx(raw[:cut], source="some.file")


@given(idx_arrays(), st.data())
def test_truncated_header_is_reported(case, data):
    type_code, values = case
    raw = encode(values, type_code)
    cut = data.draw(st.integers(0, 4 + 4 * values.ndim - 1))
    with pytest.raises(IDXError, match=rf"^f: truncated header: .*got {cut}$"):
        parse_idx(raw[:cut], source="f")


def test_truncated_file_on_disk_names_the_file(tmp_path):
    raw = encode(np.ones((10, 28, 28), np.uint8), 0x08)
    path = tmp_path / "train-images-idx3-ubyte"
    cut = len(raw) - 100
    path.write_bytes(raw[:cut])
    message = rf"{re.escape(str(path))}: truncated: expected {len(raw)} bytes.*got {cut}$"
    with pytest.raises(IDXError, match=message):
        read_idx(path)


def test_trailing_bytes_are_reported():
    raw = encode(np.zeros(5, np.uint8), 0x08)
    message = r"3 unexpected bytes after the data: expected 13 bytes.*got 16"
    with pytest.raises(IDXError, match=message):
        parse_idx(raw + b"abc")


def test_wrong_magic_is_reported():
    raw = encode(np.zeros(5, np.uint8), 0x08)
    with pytest.raises(IDXError, match="magic number is 2049, expected 2051"):
        parse_idx(raw, magic=2051)


@pytest.mark.parametrize(
    "first", [b"\x01\x00\x08\x01", b"\x00\x00\x07\x01", b"\x00\x00\x08\x00", b"PK\x03\x04"]
)
def test_non_idx_header_is_reported(first):
    with pytest.raises(IDXError, match="is not an IDX header"):
        parse_idx(first + b"\x00" * 8)


def test_wrong_dimensions_are_reported():
    raw = encode(np.zeros((3, 28, 27), np.uint8), 0x08)
    with pytest.raises(IDXError, match=r"dimensions are \(3, 28, 27\), expected \(3, 28, 28\)"):
        parse_idx(raw, shape=(3, 28, 28))


def test_a_gzip_file_is_read_by_its_first_bytes_whatever_its_name(tmp_path):
    values = np.arange(12, dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte"  # gzip-compressed, named without .gz
    path.write_bytes(gzip.compress(encode(values, 0x08)))
    np.testing.assert_array_equal(read_idx(path), values)
    path.write_bytes(b"\x1f\x8b" + bytes(10))  # gzip's bytes, then no valid gzip
    with pytest.raises(IDXError, match=rf"{re.escape(str(path))}: not a valid gzip file"):
        read_idx(path)


def test_corrupt_gzip_is_reported(tmp_path):
    packed = bytearray(gzip.compress(encode(np.arange(200, dtype=np.uint8), 0x08)))
    packed[len(packed) // 2] ^= 0xFF
    path = tmp_path / "x.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(IDXError, match=rf"{re.escape(str(path))}: not a valid gzip file"):
        read_idx(path)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"MNIST files not present at {SHARED}")
def test_reads_real_mnist_labels():
    labels = read_idx(SHARED / "t10k-labels-idx1-ubyte.gz", magic=2049, shape=(10000,))
    assert labels.dtype == np.uint8
    # First test labels as published in ../shared/data/README.md.
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
