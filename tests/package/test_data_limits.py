"""MNIST files on disk that are not what they claim: each refused before much is read.

Every expected size is known (`mnist.FILES`), so a file is refused by its name, its kind, its
header, then by being longer than its header says, after reading at most a few kB past the
expected end: a gzip bomb (2 MB holding 2 GiB of zeros), /dev/zero, a sparse 2 GiB file. The
memory a refusal takes is measured with tracemalloc: no wall clock.
"""

import gzip
import re
import tracemalloc
import zlib
from pathlib import Path

import pytest

from pybackprop.data import IDXError, read_idx
from pybackprop.data import mnist as mnist_module
from pybackprop.data.idx import CHUNK, EXTRA

NAME = "t10k-labels-idx1-ubyte"  # 10,000 labels: 10,008 bytes
HEADER = (2049).to_bytes(4, "big") + (10000).to_bytes(4, "big")
EXPECTED = len(HEADER) + 10000
GIB = 1 << 30
# Memory a refusal may take: the chunk read past the end and gzip's buffers, not the gigabytes.
MAX_PEAK = 4 * CHUNK


def gzip_bomb(head: bytes, zeros: int) -> bytes:
    """gzip of `head` and then `zeros` zero bytes, as many members (gzip allows that): ~1/1000."""
    block = 1 << 24
    member = gzip.compress(bytes(block), compresslevel=9)
    assert zeros % block == 0
    return gzip.compress(head) + member * (zeros // block)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = gzip_bomb(HEADER + bytes(10000), 2 * GIB)
    assert len(data) < 3_000_000  # the bomb: about 2 MB holding 2 GiB
    return data


def sparse(path: Path, head: bytes, size: int) -> Path:
    """A file of `size` bytes starting with `head`, the rest a hole (no disk used)."""
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def peak_while(call) -> tuple[BaseException, int]:
    """The exception `call()` raises and the peak of memory allocated meanwhile."""
    tracemalloc.start()
    try:
        call()
    except Exception as err:  # noqa: BLE001 (returned for the test to check)
        raised = err
    else:
        raised = None
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return raised, peak


# (case, the file's name, how to make it, expected error, words of the message)
CASES = [
    (
        "gzip bomb",
        f"{NAME}.gz",
        lambda path, bomb: path.write_bytes(bomb),
        IDXError,
        rf"more than {EXPECTED + EXTRA} bytes \(reading stopped there\): expected {EXPECTED} "
        r"bytes for dimensions \(10000,\)",
    ),
    (
        "gzip bomb with no header",
        f"{NAME}.gz",
        lambda path, bomb: path.write_bytes(gzip_bomb(b"", GIB)),
        IDXError,
        r"magic number is 0, expected 2049",
    ),
    (
        "2 GiB file, right header",
        NAME,
        lambda path, bomb: sparse(path, HEADER, 2 * GIB),
        IDXError,
        rf"more than {EXPECTED + EXTRA} bytes \(reading stopped there\): expected {EXPECTED}",
    ),
    (
        "2 GiB of zeros",
        NAME,
        lambda path, bomb: sparse(path, b"", 2 * GIB),
        IDXError,
        r"magic number is 0, expected 2049",
    ),
    (
        "a few bytes too many",
        NAME,
        lambda path, bomb: path.write_bytes(HEADER + bytes(10003)),
        IDXError,
        rf"3 unexpected bytes after the data: expected {EXPECTED} bytes .* got {EXPECTED + 3}$",
    ),
    (
        "images' header on the labels' name",
        NAME,
        lambda path, bomb: path.write_bytes((2051).to_bytes(4, "big") + bytes(1 << 20)),
        IDXError,
        r"magic number is 2051, expected 2049",
    ),
    (
        "labels of the training set's length",
        f"{NAME}.gz",
        lambda path, bomb: path.write_bytes(gzip.compress(HEADER[:4] + (60000).to_bytes(4, "big"))),
        IDXError,
        r"dimensions are \(60000,\), expected \(10000,\)",
    ),
    (
        "not gzip at all",
        f"{NAME}.gz",
        lambda path, bomb: sparse(path, b"PK\x03\x04", 2 * GIB),
        IDXError,
        r"not a valid gzip file .*delete it and fetch it again",
    ),
    (
        "a folder",
        NAME,
        lambda path, bomb: path.mkdir(),
        ValueError,
        r"not a regular file",
    ),
    (
        "not an MNIST name",
        "t10k-labels.gz",
        lambda path, bomb: path.write_bytes(bomb),
        ValueError,
        rf"t10k-labels\.gz: not the name of an MNIST file: expected one of \[.*'{NAME}'.*\], "
        r"optionally ending in \.gz; got 't10k-labels\.gz'",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "error", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_file_is_refused_without_reading_it_all(tmp_path, bomb, name, make, error, words):
    path = tmp_path / name
    make(path, bomb)
    raised, peak = peak_while(lambda: mnist_module.read_mnist_file(path))
    assert type(raised) is error, raised
    assert re.search(words, str(raised)), str(raised)
    assert str(path) in str(raised)
    assert peak < MAX_PEAK, f"{peak} bytes allocated"


def test_dev_zero_is_refused_by_its_name():
    raised, peak = peak_while(lambda: mnist_module.read_mnist_file("/dev/zero"))
    assert type(raised) is ValueError
    assert "/dev/zero: not the name of an MNIST file" in str(raised)
    assert peak < MAX_PEAK


def test_a_link_to_dev_zero_is_refused_as_not_a_regular_file(tmp_path):
    link = tmp_path / NAME
    link.symlink_to("/dev/zero")
    raised, peak = peak_while(lambda: mnist_module.read_mnist_file(link))
    assert type(raised) is ValueError and f"{link}: not a regular file" in str(raised)
    assert peak < MAX_PEAK


def test_read_idx_reads_only_what_the_header_promises(tmp_path, bomb):
    # The generic reader has no expected shape: the header's own counts bound it.
    path = tmp_path / "any.gz"
    path.write_bytes(bomb)
    raised, peak = peak_while(lambda: read_idx(path))
    assert isinstance(raised, IDXError) and f"more than {EXPECTED + EXTRA} bytes" in str(raised)
    assert peak < MAX_PEAK


def test_a_header_claiming_terabytes_costs_only_the_bytes_there_are(tmp_path):
    path = tmp_path / "claims.idx"
    # a petabyte, still a size numpy could give an array (larger is refused as such at once)
    dims = b"".join(n.to_bytes(4, "big") for n in (1 << 20, 1 << 20, 1 << 10))
    path.write_bytes(bytes([0, 0, 8, 3]) + dims + bytes(100))
    raised, peak = peak_while(lambda: read_idx(path))
    assert isinstance(raised, IDXError) and re.search(r"truncated: expected \d+ bytes", str(raised))
    assert "got 116" in str(raised) and peak < MAX_PEAK


def test_the_right_file_still_reads(tmp_path):
    # The same path as the refusals, with a file of the right length and header.
    path = tmp_path / f"{NAME}.gz"
    path.write_bytes(gzip.compress(HEADER + bytes(10000)))
    with pytest.raises(mnist_module.ChecksumError, match="sha256"):  # all zeros: not MNIST's
        mnist_module.read_mnist_file(path)
    assert zlib.crc32(read_idx(path).tobytes()) == zlib.crc32(bytes(10000))
