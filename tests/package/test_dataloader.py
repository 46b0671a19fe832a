"""DataLoader: every row once per epoch, batch sizes, reproducible shuffling, clear errors."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from strategies import batch_sizes, seeds

from pybackprop.data import DataLoader
from tests.refusals import assert_refused_alone

sizes = st.integers(min_value=0, max_value=300)


def dataset(n: int):
    """x: (n, 3) rows whose first column is the row number; y: (n,) the row number."""
    x = np.column_stack([np.arange(n), np.arange(n) * 10, np.arange(n) % 7]).astype(np.float64)
    return x, np.arange(n)


def epoch_rows(dl: DataLoader) -> np.ndarray:
    """The row numbers of one epoch, in order; checks x and y stay paired in every batch."""
    rows = []
    for xb, yb in dl:
        np.testing.assert_array_equal(xb[:, 0], yb)
        rows.append(yb)
    return np.concatenate(rows) if rows else np.array([], dtype=np.int64)


@given(sizes, batch_sizes, st.booleans(), st.booleans(), seeds())
def test_every_row_once_per_epoch(n, bs, shuffle, drop_last, seed):
    x, y = dataset(n)
    dl = DataLoader(x, y, batch_size=bs, shuffle=shuffle, drop_last=drop_last, rng=seed)
    kept = n - n % bs if drop_last else n
    for _ in range(2):  # iterable again: the second epoch is complete too
        rows = epoch_rows(dl)
        assert len(rows) == kept and len(np.unique(rows)) == kept
        if not drop_last:
            np.testing.assert_array_equal(np.sort(rows), np.arange(n))


@given(sizes, batch_sizes, st.booleans())
def test_len_and_batch_sizes(n, bs, drop_last):
    x, y = dataset(n)
    dl = DataLoader(x, y, batch_size=bs, drop_last=drop_last)
    got = [len(yb) for _, yb in dl]
    assert len(dl) == len(got)
    full, rest = divmod(n, bs)
    assert got == [bs] * full + ([rest] if rest and not drop_last else [])


@given(sizes, batch_sizes, st.booleans())
def test_unshuffled_batches_match_torch(n, bs, drop_last):
    x, y = dataset(n)
    ours = list(DataLoader(x, y, batch_size=bs, drop_last=drop_last))
    ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    theirs = list(torch.utils.data.DataLoader(ds, batch_size=bs, drop_last=drop_last))
    assert len(ours) == len(theirs)
    for (xb, yb), (tx, ty) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(xb, tx.numpy())
        np.testing.assert_array_equal(yb, ty.numpy())


@given(st.integers(2, 300), batch_sizes, seeds())
def test_same_seed_same_epochs(n, bs, seed):
    x, y = dataset(n)
    a = DataLoader(x, y, batch_size=bs, shuffle=True, rng=seed)
    b = DataLoader(x, y, batch_size=bs, shuffle=True, rng=seed)
    for _ in range(3):
        np.testing.assert_array_equal(epoch_rows(a), epoch_rows(b))


def test_each_epoch_is_a_fresh_permutation():
    x, y = dataset(100)
    dl = DataLoader(x, y, batch_size=16, shuffle=True, rng=0)
    first, second = epoch_rows(dl), epoch_rows(dl)
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, np.arange(100))


def test_generator_is_used_not_copied():
    x, y = dataset(50)
    gen = np.random.default_rng(3)
    dl = DataLoader(x, y, batch_size=8, shuffle=True, rng=gen)
    rows = epoch_rows(dl)
    np.testing.assert_array_equal(rows, np.random.default_rng(3).permutation(50))
    assert dl.rng is gen


def test_shuffle_gives_copies_in_order_gives_views():
    x, y = dataset(20)
    xb, _ = next(iter(DataLoader(x, y, batch_size=5)))
    assert np.shares_memory(xb, x)
    xb, _ = next(iter(DataLoader(x, y, batch_size=5, shuffle=True, rng=0)))
    assert not np.shares_memory(xb, x)


def test_keeps_trailing_dimensions():
    x, y = np.zeros((10, 28, 28), np.float32), np.zeros(10, np.int64)
    shapes = [(xb.shape, xb.dtype, yb.shape) for xb, yb in DataLoader(x, y, batch_size=4)]
    assert shapes == [((4, 28, 28), np.float32, (4,))] * 2 + [((2, 28, 28), np.float32, (2,))]


def test_mismatched_lengths_are_reported():
    with pytest.raises(ValueError, match=r"same number of rows; got len\(x\)=5, len\(y\)=4"):
        DataLoader(np.zeros((5, 2)), np.zeros(4))


@pytest.mark.parametrize(
    "bs, error",
    [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError), ("8", TypeError)],
)
def test_bad_batch_size_is_reported(bs, error):
    with pytest.raises(error, match=f"batch_size must be a positive integer; got {bs!r}"):
        DataLoader(np.zeros((5, 2)), np.zeros(5), batch_size=bs)


@given(
    rows=st.lists(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=2), max_size=40),
    bs=batch_sizes,
    shuffle=st.booleans(),
    seed=seeds(),
)
def test_lists_give_the_arrays_batches_shuffled_or_not(rows, bs, shuffle, seed):
    """Lists are made arrays once, as torch's collate gives tensors: never a list batch."""
    labels = [i % 3 for i in range(len(rows))]
    ours = DataLoader(rows, labels, batch_size=bs, shuffle=shuffle, rng=seed)
    arrays = DataLoader(np.array(rows), np.array(labels), batch_size=bs, shuffle=shuffle, rng=seed)
    assert len(ours) == len(arrays)
    for (xb, yb), (ax, ay) in zip(ours, arrays, strict=True):
        assert type(xb) is np.ndarray and type(yb) is np.ndarray
        np.testing.assert_array_equal(xb, ax)
        np.testing.assert_array_equal(yb, ay)
        assert xb.dtype == np.float64 and yb.dtype == np.int64


# input -> (exception type, words its message must hold); each row's words only in its error
REFUSALS = {
    "a number": (lambda: DataLoader(3, np.zeros(3)), TypeError, "first axis; x is int"),
    "a 0-d array": (
        lambda: DataLoader(np.zeros(3), np.array(1)),
        TypeError,
        "first axis; y is ndarray of shape ()",
    ),
    "a dict": (lambda: DataLoader({0: 1.0, 1: 2.0}, [0, 1]), TypeError, "first axis; x is dict"),
    "a str": (lambda: DataLoader("abc", [0, 1, 2]), TypeError, "first axis; x is str"),
    "a ragged list": (
        lambda: DataLoader([[0.0, 1.0], [2.0]], [0, 1]),
        ValueError,
        "x is a list that numpy cannot make one array of (rows of different lengths?)",
    ),
    "lengths differ": (
        lambda: DataLoader([[0.0], [1.0]], [0, 1, 2]),
        ValueError,
        "same number of rows; got len(x)=2, len(y)=3",
    ),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_each_bad_x_or_y_is_refused_with_its_own_message(name):
    assert_refused_alone(REFUSALS, name, lambda call: call())
