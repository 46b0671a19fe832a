"""Downloading MNIST files: verified, atomic, and falling back across mirrors.

A local HTTP server on 127.0.0.1 plays the mirrors; nothing here uses the network. Most tests
serve a small made-up labels file, registered as a fifth MNIST file with its own sha256, so
they run in any clone; one serves the real test labels from ../shared/data when present.
"""

import gzip
import hashlib
import http.server
import re
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pybackprop.data import DataNotFoundError, load_mnist
from pybackprop.data import download as download_module
from pybackprop.data import mnist as mnist_module
from pybackprop.data.idx import LABELS_MAGIC
from pybackprop.data.mnist import MNISTFile, download, find_file, find_or_download

SHARED = Path(__file__).parents[2].parent / "shared" / "data"
NAME = "fake-labels-idx1-ubyte"
LABELS = np.random.default_rng(0).integers(0, 10, size=3000, dtype=np.uint8)
CONTENT = LABELS_MAGIC.to_bytes(4, "big") + len(LABELS).to_bytes(4, "big") + LABELS.tobytes()
PACKED = gzip.compress(CONTENT)


# Mirrors that never end: fast (endless, huge: announces a terabyte) or a byte at a time.
ENDLESS = {"endless": bytes(1 << 16), "huge": bytes(1 << 16), "trickle": b"\x1f"}


class Mirror(http.server.BaseHTTPRequestHandler):
    """Serves /<behaviour>/<file>.gz; `files` maps file name to the gzip bytes to serve."""

    files: dict[str, bytes] = {}
    requests: list[str] = []

    def do_GET(self):  # the name http.server calls
        self.requests.append(self.path)
        behaviour, _, file = self.path.strip("/").partition("/")
        body = self.files.get(file.removesuffix(".gz"))
        if body is None or behaviour == "missing":
            self.send_error(404)
            return
        if behaviour in ENDLESS:
            self.send_response(200)
            if behaviour == "huge":
                self.send_header("Content-Length", str(10**12))
            self.end_headers()
            try:  # until the client hangs up
                while True:
                    self.wfile.write(ENDLESS[behaviour])
                    self.wfile.flush()
                    if behaviour == "trickle":  # a byte at a time, never the size cap's worth
                        time.sleep(0.005)
            except OSError:
                return
        if behaviour == "corrupt":  # valid gzip of content with one bit flipped
            content = bytearray(gzip.decompress(body))
            content[-1] ^= 0x01
            body = gzip.compress(bytes(content))
        if behaviour == "html":  # a page saying the file moved, served as the file
            body = b"<html>moved</html>"
        self.send_response(200)
        if behaviour == "badlen":
            self.send_header("Content-Length", "abc")
        elif behaviour != "nolength":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # "short": promise the whole body, send half, and close the connection.
        self.wfile.write(body[: len(body) // 2] if behaviour == "short" else body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Mirror)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def setup(monkeypatch, tmp_path):
    """The made-up file as a known MNIST file; an empty cache; no mirrors unless a test says."""
    monkeypatch.setitem(
        mnist_module.FILES,
        NAME,
        MNISTFile(NAME, LABELS_MAGIC, LABELS.shape, hashlib.sha256(CONTENT).hexdigest()),
    )
    monkeypatch.setitem(Mirror.files, NAME, PACKED)
    monkeypatch.setattr(Mirror, "requests", [])
    monkeypatch.setattr(download_module, "MIRRORS", ())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PYBACKPROP_DATA", raising=False)


def mirror(server: str, behaviour: str) -> str:
    return f"{server}/{behaviour}/"


def test_download_writes_the_verified_file(server, tmp_path):
    path = download(NAME, tmp_path, mirrors=(mirror(server, "ok"),), progress=False)
    assert path == tmp_path / f"{NAME}.gz"
    assert path.read_bytes() == PACKED
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{NAME}.gz"]  # no temporary left
    np.testing.assert_array_equal(mnist_module.read_mnist_file(path), LABELS)


def test_download_without_content_length(server, tmp_path):
    path = download(NAME, tmp_path, mirrors=(mirror(server, "nolength"),), progress=False)
    assert path.read_bytes() == PACKED


def test_interrupted_transfer_leaves_nothing(server, tmp_path):
    folder = tmp_path / "cache"
    message = rf"interrupted: got {len(PACKED) // 2} of {len(PACKED)} bytes"
    with pytest.raises(DataNotFoundError, match=message):
        download(NAME, folder, mirrors=(mirror(server, "short"),), progress=False)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_corrupt_download_is_rejected_and_leaves_nothing(server, tmp_path):
    folder = tmp_path / "cache"
    expected = mnist_module.FILES[NAME].sha256
    with pytest.raises(DataNotFoundError, match=rf"sha256 .* expected {expected}"):
        download(NAME, folder, mirrors=(mirror(server, "corrupt"),), progress=False)
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        ("html", r"not a valid gzip file \(.*\); the mirror sent something other than this file"),
        ("corrupt", "not the original MNIST file; the mirror sent something other than this file"),
        ("badlen", "the mirror sent a bad Content-Length header: 'abc', not a number"),
    ],
)
def test_a_bad_mirror_is_named_once_with_the_cause_and_no_advice_to_delete(
    server, tmp_path, behaviour, reason
):
    url = f"{mirror(server, behaviour)}{NAME}.gz"
    with pytest.raises(DataNotFoundError) as info:
        download(NAME, tmp_path / "cache", mirrors=(mirror(server, behaviour),), progress=False)
    (line,) = [line for line in str(info.value).splitlines() if url in line]
    assert re.fullmatch(rf"  - {re.escape(url)}: .*{reason}.*", line)
    assert line.count(url) == 1 and "delete" not in line
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []


def test_falls_back_to_the_next_mirror(server, tmp_path):
    mirrors = tuple(mirror(server, b) for b in ("missing", "short", "corrupt", "ok"))
    path = download(NAME, tmp_path, mirrors=mirrors, progress=False)
    assert path.read_bytes() == PACKED


def test_failed_mirrors_are_each_reported(server, tmp_path):
    mirrors = tuple(mirror(server, b) for b in ("missing", "short"))
    with pytest.raises(DataNotFoundError) as info:
        download(NAME, tmp_path, mirrors=mirrors, progress=False)
    message = str(info.value)
    assert f"{mirrors[0]}{NAME}.gz: HTTP Error 404" in message
    assert f"{mirrors[1]}{NAME}.gz: transfer interrupted" in message


def test_write_failure_leaves_no_temporary(server, tmp_path, monkeypatch):
    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(download_module.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        download(NAME, tmp_path, mirrors=(mirror(server, "ok"),), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_find_or_download_fills_the_cache_then_uses_it(server, monkeypatch):
    monkeypatch.setattr(download_module, "MIRRORS", (mirror(server, "ok"),))
    path = find_or_download(NAME, progress=False)
    assert path == mnist_module.cache_dir() / f"{NAME}.gz"
    monkeypatch.setattr(download_module, "MIRRORS", ())  # from now on offline
    assert find_or_download(NAME, progress=False) == path


def test_pybackprop_data_comes_before_the_cache(tmp_path, monkeypatch):
    mine, cache = tmp_path / "mine", mnist_module.cache_dir()
    for folder in (mine, cache):
        folder.mkdir(parents=True)
        (folder / f"{NAME}.gz").write_bytes(PACKED)
    assert find_file(NAME) == cache / f"{NAME}.gz"
    monkeypatch.setenv("PYBACKPROP_DATA", str(mine))
    assert find_file(NAME) == mine / f"{NAME}.gz"


def test_offline_with_no_files_explains_what_to_do(server, tmp_path, monkeypatch):
    monkeypatch.setenv("PYBACKPROP_DATA", str(tmp_path / "mine"))
    monkeypatch.setattr(download_module, "MIRRORS", (mirror(server, "missing"),))
    with pytest.raises(DataNotFoundError) as info:
        find_or_download(NAME, progress=False)
    message = str(info.value)
    assert f"MNIST file {NAME}.gz is missing" in message
    assert f"{tmp_path / 'mine' / NAME}.gz (or {NAME})  [no such folder]" in message
    assert f"{mnist_module.cache_dir() / NAME}.gz" in message
    assert f"{mirror(server, 'missing')}{NAME}.gz: HTTP Error 404" in message
    url = f"{download_module.HAND_DOWNLOAD}{NAME}.gz"
    assert f"download {url} into {mnist_module.cache_dir()}" in message
    assert "set PYBACKPROP_DATA" in message


def test_missing_file_in_an_existing_folder_is_not_called_a_missing_folder(tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    monkeypatch.setenv("PYBACKPROP_DATA", str(tmp_path / "mine"))
    with pytest.raises(DataNotFoundError) as info:
        find_or_download(NAME, progress=False)
    line = next(x for x in str(info.value).splitlines() if str(tmp_path / "mine") in x)
    assert "no such folder" not in line


def test_unreachable_mirror_is_reported(tmp_path):
    # A port nothing listens on: bind one, then close it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataNotFoundError, match=rf"127\.0\.0\.1:{port}/{NAME}\.gz: .*refused"):
        download(NAME, tmp_path, mirrors=(f"http://127.0.0.1:{port}/",), progress=False)


def test_progress_bar_goes_to_stderr(server, tmp_path, capsys):
    download(NAME, tmp_path, mirrors=(mirror(server, "ok"),), progress=True)
    err = capsys.readouterr().err
    size = f"{len(PACKED) / 1e3:.1f}"  # a small file in kB, not "0.0/0.0 MB"
    assert f"{NAME}.gz [" in err and f"] {size}/{size} kB" in err and err.endswith("\n")
    download(NAME, tmp_path / "quiet", mirrors=(mirror(server, "ok"),), progress=False)
    assert capsys.readouterr().err == ""


MAX_BYTES = len(CONTENT) + len(CONTENT) // 1000 + 1024  # gzip's worst case, and some


class FakeClock:
    """time.monotonic for the download: each reading is `step` seconds after the last."""

    def __init__(self, step: float):
        self.now, self.step, self.readings = 0.0, step, 0

    def __call__(self) -> float:
        self.now += self.step
        self.readings += 1
        return self.now


# (mirror's behaviour, seconds per clock reading, words of the refusal)
NEVER_ENDING = [
    ("endless", 0.0, rf"more than {MAX_BYTES} bytes sent, the most expected; stopped"),
    ("huge", 0.0, rf"the mirror announces {10**12} bytes, at most {MAX_BYTES} expected"),
    (
        "trickle",
        60.0,
        r"not finished within 250 s \(DOWNLOAD_DEADLINE\): \d+ bytes received; stopped",
    ),
]


@pytest.mark.parametrize(("behaviour", "step", "words"), NEVER_ENDING)
def test_a_mirror_that_never_ends_is_given_up_with_the_reason(
    server, tmp_path, monkeypatch, behaviour, step, words
):
    monkeypatch.setattr(download_module, "monotonic", FakeClock(step))
    mirrors = (mirror(server, behaviour), mirror(server, "ok"))
    path = download(NAME, tmp_path, mirrors=mirrors, progress=False)  # the next mirror is used
    assert path.read_bytes() == PACKED
    clock = FakeClock(step)
    monkeypatch.setattr(download_module, "monotonic", clock)
    with pytest.raises(DataNotFoundError) as info:
        download(NAME, tmp_path / "cache", mirrors=mirrors[:1], progress=False)
    assert re.search(rf"{mirrors[0]}{NAME}\.gz: {words}", str(info.value)), str(info.value)
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []
    if behaviour == "trickle":  # stopped at the first reading past the deadline: 250 s / 60 s
        assert clock.now == pytest.approx(360.0)


def test_the_deadline_is_read_once_per_chunk(server, tmp_path, monkeypatch):
    # With a clock that stands still, a slow mirror that does end is waited for.
    clock = FakeClock(0.0)
    monkeypatch.setattr(download_module, "monotonic", clock)
    download(NAME, tmp_path, mirrors=(mirror(server, "ok"),), progress=False)
    assert clock.readings >= 2


def test_an_unwritable_folder_is_reported_before_downloading(server, tmp_path):
    (tmp_path / "file").write_text("a file, not a folder")
    folder = tmp_path / "file" / "cache"
    with pytest.raises(NotADirectoryError) as info:
        download(NAME, folder, mirrors=(mirror(server, "ok"),), progress=False)
    message = str(info.value)
    assert f"cannot write MNIST file {NAME}.gz into {folder}" in message
    assert "set PYBACKPROP_DATA to it" in message and "XDG_CACHE_HOME" in message
    assert Mirror.requests == []  # nothing downloaded for nothing


def test_an_unwritable_cache_names_pybackprop_data(server, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(download_module, "MIRRORS", (mirror(server, "ok"),))
    with pytest.raises(OSError, match=r"into .*file/pybackprop: .*set PYBACKPROP_DATA"):
        find_or_download(NAME, progress=False)


def test_no_mirrors_is_reported_and_writes_nothing(tmp_path):
    message = rf"^Downloading {NAME}\.gz failed:\n  \(no mirrors configured\)$"
    with pytest.raises(DataNotFoundError, match=message):
        download(NAME, tmp_path / "cache", mirrors=())
    assert not (tmp_path / "cache").exists()


def test_unknown_file_name_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown MNIST file 'train-images'"):
        download("train-images", tmp_path, mirrors=())


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"MNIST files not present at {SHARED}")
@pytest.mark.parametrize("level", [1, 9])
def test_any_gzip_of_the_real_content_passes(server, tmp_path, monkeypatch, level):
    # Mirrors compress differently; the check is on the content, so each must pass.
    name = "t10k-labels-idx1-ubyte"
    content = gzip.decompress((SHARED / f"{name}.gz").read_bytes())
    monkeypatch.setitem(Mirror.files, name, gzip.compress(content, compresslevel=level))
    path = download(name, tmp_path, mirrors=(mirror(server, "ok"),), progress=False)
    assert mnist_module.read_mnist_file(path)[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"MNIST files not present at {SHARED}")
def test_load_mnist_downloads_into_the_cache(server, monkeypatch):
    files = {p.name.removesuffix(".gz"): p.read_bytes() for p in SHARED.glob("*-ubyte.gz")}
    monkeypatch.setattr(Mirror, "files", files)
    monkeypatch.setattr(
        download_module, "MIRRORS", (mirror(server, "missing"), mirror(server, "ok"))
    )
    x_train, y_train, x_test, y_test = load_mnist("test")
    assert x_train.shape == (60000, 784) and y_test.shape == (10000,)
    cached = sorted(p.name for p in mnist_module.cache_dir().iterdir())
    assert cached == sorted(f"{name}.gz" for name in files)
    assert not any(re.search(r"\.part$", name) for name in cached)
