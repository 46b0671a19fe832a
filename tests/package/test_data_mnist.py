"""load_mnist and mean_std: the bundled sample, the full splits, and the checks on the files.

Tests that need the full MNIST files read them from ../shared/data (the folder `shared`
beside the repository) and skip where it is absent. No test uses the network: every test runs
with no download mirrors and an empty per-user cache.
"""

import gzip
import hashlib
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from strategies import F64_ATOL, F64_RTOL, arrays

from pybackprop.data import ChecksumError, DataNotFoundError, IDXError, load_mnist, mean_std
from pybackprop.data import download as download_module
from pybackprop.data import mnist as mnist_module
from pybackprop.data.idx import read_idx
from tests.refusals import assert_refused_alone

REPO = Path(__file__).parents[2]
SHARED = REPO.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not (SHARED / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"the full MNIST files are not at {SHARED} (only the bundled sample is tested)",
)

# Published label counts (../shared/data/README.md, "Label counts"), digits 0 to 9.
COUNTS_FIRST_50K = [4932, 5678, 4968, 5101, 4859, 4506, 4951, 5175, 4842, 4988]
COUNTS_LAST_10K = [991, 1064, 990, 1030, 983, 915, 967, 1090, 1009, 961]
COUNTS_TRAIN_60K = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
COUNTS_TEST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FIRST_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
FIRST_TEST_LABELS = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path_factory):
    """No mirrors, an empty cache, no PYBACKPROP_DATA: nothing reaches the network."""
    monkeypatch.setattr(download_module, "MIRRORS", ())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("PYBACKPROP_DATA", raising=False)


@pytest.fixture(scope="module")
def shared_env():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(download_module, "MIRRORS", ())
        mp.setenv("PYBACKPROP_DATA", str(SHARED))
        yield mp


@pytest.fixture(scope="module")
def full(shared_env):
    return load_mnist("full")


@pytest.fixture(scope="module")
def test_split(shared_env):
    return load_mnist("test")


@pytest.fixture(scope="module")
def raw_train():
    """The training file's uint8 images and labels, read by the plain IDX reader."""
    return (
        read_idx(SHARED / "train-images-idx3-ubyte.gz", magic=2051),
        read_idx(SHARED / "train-labels-idx1-ubyte.gz", magic=2049),
    )


@pytest.fixture(scope="module")
def sample_npz():
    with (resources.files("pybackprop.data") / "mnist_sample.npz").open("rb") as f:
        with np.load(f) as npz:
            return {k: npz[k] for k in npz.files}


# --- the bundled sample -----------------------------------------------------------------------


def test_sample_shapes_and_dtypes():
    x_train, y_train, x_valid, y_valid = load_mnist()
    assert x_train.shape == (10000, 784) and x_valid.shape == (2000, 784)
    assert y_train.shape == (10000,) and y_valid.shape == (2000,)
    assert x_train.dtype == x_valid.dtype == np.float32
    assert y_train.dtype == y_valid.dtype == np.int64


def test_sample_unflattened_is_28_by_28_of_the_same_values():
    flat = load_mnist("sample")
    square = load_mnist("sample", flatten=False)
    assert square[0].shape == (10000, 28, 28) and square[2].shape == (2000, 28, 28)
    np.testing.assert_array_equal(square[0].reshape(10000, 784), flat[0])
    np.testing.assert_array_equal(square[1], flat[1])


def test_sample_pixels_are_bytes_over_255(sample_npz):
    x_train, _, x_valid, _ = load_mnist(flatten=False)
    for x, raw in ((x_train, sample_npz["x_train"]), (x_valid, sample_npz["x_valid"])):
        assert x.min() == 0.0 and x.max() == 1.0
        np.testing.assert_array_equal(x, raw.astype(np.float32) / np.float32(255))


def test_sample_is_class_balanced():
    _, y_train, _, y_valid = load_mnist()
    assert np.bincount(y_train, minlength=10).tolist() == [1000] * 10
    assert np.bincount(y_valid, minlength=10).tolist() == [200] * 10


def test_sample_indices_keep_the_50k_10k_split(sample_npz):
    train_index, valid_index = sample_npz["train_index"], sample_npz["valid_index"]
    assert train_index.max() < 50000 and valid_index.min() >= 50000 and valid_index.max() < 60000
    assert np.all(np.diff(train_index) > 0) and np.all(np.diff(valid_index) > 0)


def test_returned_arrays_are_fresh_copies():
    x_train, y_train, _, _ = load_mnist()
    expected_x, expected_y = x_train[0].copy(), y_train[0]
    x_train[0] = -1.0
    y_train[0] = 99
    again = load_mnist()
    np.testing.assert_array_equal(again[0][0], expected_x)
    assert again[1][0] == expected_y


def test_unknown_split_lists_the_three():
    with pytest.raises(ValueError, match=r"'sample', 'full', 'test'; got 'valid'"):
        load_mnist("valid")


@needs_shared
def test_sample_equals_full_images_at_stored_indices(sample_npz, raw_train):
    images, labels = raw_train
    for part in ("train", "valid"):
        index = sample_npz[f"{part}_index"]
        np.testing.assert_array_equal(sample_npz[f"x_{part}"], images[index])
        np.testing.assert_array_equal(sample_npz[f"y_{part}"], labels[index])


@needs_shared
def test_script_rebuilds_the_bundled_sample(sample_npz, raw_train):
    import make_mnist_sample

    rebuilt = make_mnist_sample.build_sample(*raw_train)
    assert set(rebuilt) == set(sample_npz)
    for key, value in rebuilt.items():
        assert value.dtype == sample_npz[key].dtype, key
        np.testing.assert_array_equal(value, sample_npz[key], err_msg=key)


# --- the full splits (files from ../shared/data via PYBACKPROP_DATA) ---------------------------


@needs_shared
def test_full_split_sizes_and_label_counts(full):
    x_train, y_train, x_valid, y_valid = full
    assert x_train.shape == (50000, 784) and x_valid.shape == (10000, 784)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert np.bincount(y_train, minlength=10).tolist() == COUNTS_FIRST_50K
    assert np.bincount(y_valid, minlength=10).tolist() == COUNTS_LAST_10K
    assert y_train[:10].tolist() == FIRST_TRAIN_LABELS


@needs_shared
def test_full_split_is_first_50k_and_last_10k_over_255(full, raw_train):
    images, labels = raw_train
    x_train, y_train, x_valid, y_valid = full
    assert np.array_equal(x_train, images[:50000].reshape(50000, 784) / np.float32(255))
    assert np.array_equal(x_valid, images[50000:].reshape(10000, 784) / np.float32(255))
    assert np.array_equal(y_train, labels[:50000]) and np.array_equal(y_valid, labels[50000:])


@needs_shared
def test_pixels_match_the_published_example(full):
    # README: pixels 200-209 of the first training image are 0, 0, 0, 49, 238, 253, ...
    np.testing.assert_array_equal(full[0][0, 200:206] * 255, [0, 0, 0, 49, 238, 253])


@needs_shared
def test_test_split_sizes_and_label_counts(test_split):
    x_train, y_train, x_test, y_test = test_split
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert np.bincount(y_train, minlength=10).tolist() == COUNTS_TRAIN_60K
    assert np.bincount(y_test, minlength=10).tolist() == COUNTS_TEST
    assert y_test[:10].tolist() == FIRST_TEST_LABELS


# --- what goes wrong with the files ------------------------------------------------------------


def test_missing_files_say_where_we_looked_and_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("PYBACKPROP_DATA", str(tmp_path / "mine"))
    with pytest.raises(DataNotFoundError) as info:
        load_mnist("full")
    message = str(info.value)
    assert "train-labels-idx1-ubyte.gz is missing" in message
    assert str(tmp_path / "mine" / "train-labels-idx1-ubyte") in message
    assert str(mnist_module.cache_dir() / "train-labels-idx1-ubyte") in message
    assert "download https://" in message and "PYBACKPROP_DATA" in message


@needs_shared
def test_flipped_byte_fails_the_checksum_with_both_hashes(monkeypatch, tmp_path):
    content = bytearray(read_bytes_gunzipped(SHARED / "train-labels-idx1-ubyte.gz"))
    content[1000] ^= 0x01
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(bytes(content))
    monkeypatch.setenv("PYBACKPROP_DATA", str(tmp_path))
    expected = mnist_module.FILES["train-labels-idx1-ubyte"].sha256
    actual = hashlib.sha256(content).hexdigest()
    message = rf"{re.escape(str(path))}: .* is {actual}, expected {expected}"
    with pytest.raises(ChecksumError, match=message):
        load_mnist("full")


@needs_shared
def test_flipped_byte_in_gzip_is_reported(monkeypatch, tmp_path):
    packed = bytearray((SHARED / "t10k-labels-idx1-ubyte.gz").read_bytes())
    packed[len(packed) // 2] ^= 0x01
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(IDXError, match=rf"{re.escape(str(path))}: not a valid gzip file"):
        mnist_module.read_mnist_file(path)


@needs_shared
def test_truncated_file_fails_with_its_length(monkeypatch, tmp_path):
    content = read_bytes_gunzipped(SHARED / "train-labels-idx1-ubyte.gz")
    path = tmp_path / "train-labels-idx1-ubyte"
    cut = len(content) - 10
    path.write_bytes(content[:cut])
    monkeypatch.setenv("PYBACKPROP_DATA", str(tmp_path))
    with pytest.raises(IDXError, match=rf"truncated: expected {len(content)} bytes.*got {cut}$"):
        load_mnist("full")


@needs_shared
def test_uncompressed_copy_is_accepted(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(read_bytes_gunzipped(SHARED / "t10k-labels-idx1-ubyte.gz"))
    labels = mnist_module.read_mnist_file(path)
    assert labels[:10].tolist() == FIRST_TEST_LABELS
    assert not labels.flags.writeable


@needs_shared
def test_a_gzip_copy_named_without_gz_is_read(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes((SHARED / "t10k-labels-idx1-ubyte.gz").read_bytes())
    assert mnist_module.read_mnist_file(path)[:10].tolist() == FIRST_TEST_LABELS


def test_the_four_files_have_mnists_headers():
    shapes = {name: (spec.magic, spec.shape) for name, spec in mnist_module.FILES.items()}
    assert shapes == {
        "train-images-idx3-ubyte": (2051, (60000, 28, 28)),
        "train-labels-idx1-ubyte": (2049, (60000,)),
        "t10k-images-idx3-ubyte": (2051, (10000, 28, 28)),
        "t10k-labels-idx1-ubyte": (2049, (10000,)),
    }


def test_cache_dir_follows_xdg_cache_home_else_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert mnist_module.cache_dir() == tmp_path / "pybackprop"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist_module.cache_dir() == tmp_path / "home" / ".cache" / "pybackprop"


def test_search_dirs_put_pybackprop_data_first_with_home_expanded(monkeypatch, tmp_path):
    assert mnist_module.search_dirs() == [mnist_module.cache_dir()]
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PYBACKPROP_DATA", "~/mnist")
    assert mnist_module.search_dirs() == [tmp_path / "mnist", mnist_module.cache_dir()]


def test_find_file_prefers_gz_finds_uncompressed_and_else_none(monkeypatch, tmp_path):
    monkeypatch.setenv("PYBACKPROP_DATA", str(tmp_path))
    name = "t10k-labels-idx1-ubyte"
    assert mnist_module.find_file(name) is None
    (tmp_path / name).write_bytes(b"")
    assert mnist_module.find_file(name) == tmp_path / name
    (tmp_path / f"{name}.gz").write_bytes(b"")
    assert mnist_module.find_file(name) == tmp_path / f"{name}.gz"
    with pytest.raises(ValueError, match="unknown MNIST file 't10k-labels'"):
        mnist_module.find_file("t10k-labels")


LABELS_HEADER = (2049).to_bytes(4, "big") + (10000).to_bytes(4, "big")
T10K_LABELS_SHA256 = mnist_module.FILES["t10k-labels-idx1-ubyte"].sha256


def test_verify_checks_the_length_before_the_checksum():
    with pytest.raises(IDXError, match=r"^short: truncated: expected 10008 bytes .* got 10007$"):
        mnist_module.verify(LABELS_HEADER + bytes(9999), "t10k-labels-idx1-ubyte", source="short")
    zeros = LABELS_HEADER + bytes(10000)
    message = rf"^zeros: .* is {hashlib.sha256(zeros).hexdigest()}, expected {T10K_LABELS_SHA256}"
    with pytest.raises(ChecksumError, match=message):
        mnist_module.verify(zeros, "t10k-labels-idx1-ubyte", source="zeros")


def test_read_mnist_file_rejects_a_well_formed_file_of_other_bytes(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(LABELS_HEADER + bytes(10000))  # all labels 0
    with pytest.raises(ChecksumError, match=rf"^{re.escape(str(path))}: .*fetch it again\.$"):
        mnist_module.read_mnist_file(path)


def read_bytes_gunzipped(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


# --- mean_std ----------------------------------------------------------------------------------


@needs_shared
def test_mean_std_of_mnist_training_set_is_the_usual_constants(test_split, raw_train):
    mean, std = mean_std(test_split[0])
    assert isinstance(mean, float) and isinstance(std, float)
    # Exactly, from the histogram of the 256 byte values and their float32 values k / 255.
    images = raw_train[0]
    counts = sum(  # by blocks of rows: bincount of all 47 million bytes at once is slow
        np.bincount(images[i : i + 5000].reshape(-1), minlength=256).astype(np.float64)
        for i in range(0, len(images), 5000)
    )
    values = (np.arange(256, dtype=np.float32) / np.float32(255)).astype(np.float64)
    n = counts.sum()
    exact_mean = (counts * values).sum() / n
    exact_std = np.sqrt((counts * (values - exact_mean) ** 2).sum() / n)
    assert mean == pytest.approx(exact_mean, rel=1e-12)
    assert std == pytest.approx(exact_std, rel=1e-12)
    # The published constants, to their four digits.
    assert round(mean, 4) == 0.1307 and round(std, 4) == 0.3081


@given(arrays((7, 13), lo=-1e3, hi=1e3))
def test_mean_std_matches_torch_float64(x):
    mean, std = mean_std(x)
    t = torch.from_numpy(x)
    assert mean == pytest.approx(t.mean().item(), rel=F64_RTOL, abs=F64_ATOL)
    assert std == pytest.approx(t.std(unbiased=False).item(), rel=F64_RTOL, abs=1e-9)


def test_mean_std_of_float32_is_computed_in_float64():
    x = np.full(3_000_001, 0.1, dtype=np.float32)  # float32 accumulation would drift
    mean, std = mean_std(x)
    assert mean == float(np.float32(0.1)) and std == 0.0


def test_mean_std_rejects_empty_and_non_numbers():
    with pytest.raises(ValueError, match="at least one value"):
        mean_std(np.zeros((0, 784)))
    with pytest.raises(TypeError, match="real numbers; got dtype <U1"):
        mean_std(np.array(["a"]))


# input -> (exception type, words its message must hold); each row's words only in its error
MEAN_STD_REFUSALS = {
    "empty": (np.zeros((0, 784)), ValueError, "mean_std needs at least one value"),
    "strings": (np.array(["a"]), TypeError, "mean_std needs an array of real numbers"),
    "a NaN": (np.array([1.0, np.nan, 2.0]), ValueError, "x holds 1 NaN or infinite values"),
    "infs": (np.array([np.inf, -np.inf, 2.0]), ValueError, "x holds 2 NaN or infinite values"),
    "an overflowing sum": (np.full(4, 1e308), ValueError, "the sum of x overflows float64"),
}


@pytest.mark.parametrize("name", MEAN_STD_REFUSALS)
def test_mean_std_refuses_each_mistake_with_its_own_message(name):
    assert_refused_alone(MEAN_STD_REFUSALS, name, mean_std)
