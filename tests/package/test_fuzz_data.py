"""Fuzzing the data helpers that take arrays or bytes: DataLoader over any x, y (dtype, shape, 0
rows, lengths that differ) and batch_size, shuffle, drop_last, rng; mean_std over any array;
the IDX and MNIST readers over random bytes. Each call gives torch's batches (the index
batches of torch's DataLoader) and torch's statistics, or a TypeError/ValueError naming the
function and the argument; the readers refuse bytes that are no IDX file with a ValueError
(IDXError, ChecksumError) naming the file, never a bare struct, zlib or numpy error."""

import gzip
import math

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FUZZ_EXAMPLES, NUMPY_WORDS, any_arrays, fuzz_shapes
from test_fuzz_functional import call, refused_clearly

from pybackprop.data import DataLoader, mean_std, read_idx
from pybackprop.data.idx import IDX_DTYPES, parse_idx
from pybackprop.data.mnist import FILES, read_mnist_file

BATCH_SIZES = [1, 2, 3, 64, np.int64(2), 0, -1, 2.5, True, "8", None]
SEEDS = [None, 0, 5, np.random.default_rng(1)]
BAD_SEEDS = [-1, 1.5, "seed"]


def good_batch_size(bs) -> bool:
    return isinstance(bs, int | np.integer) and not isinstance(bs, bool) and bs >= 1


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    x=any_arrays(),
    data=st.data(),
    batch_size=st.sampled_from(BATCH_SIZES),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    rng=st.sampled_from(SEEDS + BAD_SEEDS),
)
def test_dataloader_gives_torchs_batches_or_refuses_by_name(
    x, data, batch_size, shuffle, drop_last, rng
):
    rows = len(x) if np.ndim(x) else None
    same = data.draw(st.booleans())
    y_shape = (rows,) + data.draw(fuzz_shapes)[1:] if same and rows is not None else fuzz_shapes
    y = data.draw(any_arrays(shape=y_shape))
    loader, error = call(DataLoader, x, y, batch_size, shuffle, drop_last, rng)
    if error is not None:
        refused_clearly(error, "DataLoader", "x", "y", "batch_size", "rng")
        has_rows = np.ndim(x) > 0 and np.ndim(y) > 0
        assert not (
            has_rows and len(x) == len(y) and good_batch_size(batch_size) and rng not in BAD_SEEDS
        )
        return
    assert np.ndim(x) and np.ndim(y) and len(x) == len(y) and good_batch_size(batch_size)
    # the rows of each batch: torch's, in order, or a permutation drawn with the same seed
    n = len(x)
    order = np.arange(n)
    if shuffle:
        seed = rng if not isinstance(rng, np.random.Generator) else None
        if seed is None:
            assert all(len(xb) <= batch_size for xb, _ in loader)
            return
        order = np.random.default_rng(seed).permutation(n)  # the first epoch's order
    index_batches = torch.utils.data.DataLoader(
        range(n), batch_size=int(batch_size), drop_last=drop_last
    )
    batches = list(loader)
    assert len(batches) == len(loader) == len(index_batches)
    for (xb, yb), idx in zip(batches, index_batches, strict=True):
        rows_of = order[idx.numpy()]
        np.testing.assert_array_equal(xb, x[rows_of])
        np.testing.assert_array_equal(yb, y[rows_of])
        assert xb.dtype == x.dtype and yb.dtype == y.dtype


@settings(max_examples=FUZZ_EXAMPLES)
@given(x=any_arrays())
def test_mean_std_is_torchs_in_float64_or_refuses_by_name(x):
    out, error = call(mean_std, x)
    if error is not None:
        refused_clearly(error, "mean_std", "real numbers", "value", "x ")
        assert x.dtype.kind not in "iuf" or not x.size or not np.isfinite(x.astype(float)).all()
        return
    assert x.dtype.kind in "iuf" and x.size
    t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    scale = float(t.abs().max())
    mean, std = out
    assert isinstance(mean, float) and isinstance(std, float)
    assert math.isclose(mean, float(t.mean()), rel_tol=1e-12, abs_tol=1e-12 * scale)
    expected_std = float(t.std(unbiased=False)) if t.numel() > 0 else 0.0
    assert math.isclose(std, expected_std, rel_tol=1e-9, abs_tol=1e-12 * scale)


def refused_as_no_idx(error: Exception, source: str) -> None:
    """A ValueError naming the file, in our words, not numpy's, struct's or zlib's."""
    message = str(error)
    assert isinstance(error, ValueError), f"{type(error).__name__}: {message}"
    assert source in message, message
    assert not any(words in message for words in NUMPY_WORDS), message
    assert "unpack requires" not in message and "Error -3" not in message.split("(")[0]


@st.composite
def idx_like(draw):
    """Bytes that often look like IDX: a header of a drawn type and dimensions, then a drawn
    number of data bytes (sometimes the right one); or random bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=64))
    type_code = draw(st.sampled_from(sorted(IDX_DTYPES) + [0x07, 0xFF]))
    ndim = draw(st.integers(0, 4))
    dims = draw(
        st.lists(st.integers(0, 5) | st.integers(0, 2**32 - 1), min_size=ndim, max_size=ndim)
    )
    header = bytes([0, 0, type_code, ndim]) + b"".join(d.to_bytes(4, "big") for d in dims)
    size = math.prod(dims) * IDX_DTYPES.get(type_code, np.dtype("u1")).itemsize
    n_data = size if size < 1000 and draw(st.booleans()) else draw(st.integers(0, 200))
    return (
        header[: draw(st.integers(0, len(header)))]
        if draw(st.booleans())
        else (header + draw(st.binary(min_size=n_data, max_size=n_data)))
    )


@settings(max_examples=4 * FUZZ_EXAMPLES)
@given(raw=idx_like())
def test_parse_idx_reads_its_header_or_refuses_naming_the_source(raw):
    out, error = call(parse_idx, raw, source="fuzz.idx")
    if error is not None:
        refused_as_no_idx(error, "fuzz.idx")
        return
    ndim, dtype = raw[3], IDX_DTYPES[raw[2]]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    assert raw[:2] == b"\0\0" and out.shape == dims and out.dtype == dtype.newbyteorder("=")
    assert len(raw) == 4 + 4 * ndim + out.size * dtype.itemsize


@settings(max_examples=FUZZ_EXAMPLES)
@given(raw=idx_like(), compress=st.sampled_from(["no", "gzip", "broken gzip"]))
def test_read_idx_of_any_bytes_gives_parse_idxs_answer_or_names_the_file(
    tmp_path_factory, raw, compress
):
    folder = tmp_path_factory.mktemp("idx")
    path = folder / ("f.idx" if compress == "no" else "f.idx.gz")
    packed = raw if compress == "no" else gzip.compress(raw)
    path.write_bytes(packed[: len(packed) // 2] if compress == "broken gzip" else packed)
    out, error = call(read_idx, path)
    if error is not None:
        refused_as_no_idx(error, str(path))
        return
    assert compress != "broken gzip" or not raw
    np.testing.assert_array_equal(out, parse_idx(raw))


@settings(max_examples=FUZZ_EXAMPLES)
@given(raw=idx_like(), name=st.sampled_from(sorted(FILES)), gz=st.booleans())
def test_read_mnist_file_refuses_any_other_bytes_naming_the_file(tmp_path_factory, raw, name, gz):
    path = tmp_path_factory.mktemp("mnist") / (name + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(raw) if gz else raw)
    _, error = call(read_mnist_file, path)
    assert error is not None  # only the real file passes its sha256
    refused_as_no_idx(error, str(path))
