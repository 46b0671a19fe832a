"""Downloading MNIST: the mirrors, fetching a URL with a progress bar, writing atomically.

``pybackprop.data.mnist.download`` tries ``MIRRORS`` in order with ``fetch``, and writes the
first copy that passes its check with ``write_atomically``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from time import monotonic

__all__ = [
    "DOWNLOAD_DEADLINE",
    "DOWNLOAD_TIMEOUT",
    "HAND_DOWNLOAD",
    "MIRRORS",
    "check_writable",
    "fetch",
    "write_atomically",
]

# Public copies of the original `.gz` files (yann.lecun.com itself often refuses downloads).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# Named in the "fetch it by hand" hint even when MIRRORS is changed (as the tests do).
HAND_DOWNLOAD = MIRRORS[0]
DOWNLOAD_TIMEOUT = 30.0  # seconds without data before a mirror is given up
# Seconds for a whole file from one mirror (the largest, 9.9 MB, at 40 kB/s): a mirror that
# trickles a byte at a time never trips DOWNLOAD_TIMEOUT, so each fetch has a deadline too.
DOWNLOAD_DEADLINE = 250.0


def fetch(url: str, *, progress: bool, max_bytes: int) -> bytes:
    """The body of `url`, at most max_bytes; OSError if short, too long or past the deadline."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response:
        length = response.headers.get("Content-Length")
        if length is not None and not length.strip().isdecimal():
            raise OSError(f"the mirror sent a bad Content-Length header: {length!r}, not a number")
        total = int(length) if length else None
        if total is not None and total > max_bytes:
            raise OSError(f"the mirror announces {total} bytes, at most {max_bytes} expected")
        bar = _TextProgress(url.rsplit("/", 1)[-1], total) if progress else None
        chunks, got, deadline = [], 0, monotonic() + DOWNLOAD_DEADLINE
        try:
            # read1: what has arrived, so that the deadline is checked however slow the mirror.
            while chunk := response.read1(1 << 16):
                chunks.append(chunk)
                got += len(chunk)
                if bar:
                    bar.update(got)
                if got > max_bytes:
                    raise OSError(f"more than {max_bytes} bytes sent, the most expected; stopped")
                if monotonic() > deadline:
                    of = f" of {total}" if total is not None else ""
                    raise OSError(
                        f"not finished within {DOWNLOAD_DEADLINE:g} s "
                        f"(DOWNLOAD_DEADLINE): {got}{of} bytes received; stopped"
                    )
        finally:
            if bar:
                bar.close()
    if total is not None and got != total:
        raise OSError(f"transfer interrupted: got {got} of {total} bytes")
    return b"".join(chunks)


def check_writable(folder: Path) -> None:
    """Make `folder` if needed and write a file in it: OSError now rather than after a download."""
    import tempfile

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


def write_atomically(path: Path, data: bytes) -> Path:
    """Write `data` to `path` so that readers see either no file or the whole file."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class _TextProgress:
    """A one-line progress bar on stderr (no dependency; redrawn only when it changes)."""

    WIDTH = 30

    def __init__(self, label: str, total: int | None):
        self.label, self.total, self.shown = label, total, None

    def update(self, got: int) -> None:
        # In kB below a megabyte: MNIST's label files are 5 and 29 kB, "0.0/0.0 MB" in MB.
        scale, unit = (1e3, "kB") if (self.total or got) < 1e6 else (1e6, "MB")
        if self.total:
            filled = self.WIDTH * got // self.total
            line = (
                f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                f"{got / scale:.1f}/{self.total / scale:.1f} {unit}"
            )
        else:
            line = f"{self.label} {got / scale:.1f} {unit}"
        if line != self.shown:
            sys.stderr.write(f"\r{line}")
            sys.stderr.flush()
            self.shown = line

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
