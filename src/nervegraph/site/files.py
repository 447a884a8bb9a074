"""Writing an output directory: one atomic write per file, and a marker we own.

A directory is written only when it is new, empty, or carries the marker file a
previous build left (``MARKER``); the marker lists the files written, so that a
rebuild removes the pages of entities that no longer exist.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nervegraph.errors import NervegraphError
from nervegraph.rdf.files import atomic_write_bytes


class SiteError(NervegraphError):
    """The site or release cannot be written (a foreign non-empty directory, an I/O error)."""


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write one file of the site: its directory made, then the one atomic writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class OutputDir:
    """An output directory we may write into, with the marker that proves it is ours.

    Args:
        root: the directory (created when missing).
        marker: the marker file's name inside ``root``.
        kind: what is written there, for messages (``"site"``, ``"release"``).

    Raises:
        SiteError: ``root`` is a file, or a non-empty directory without ``marker``.
    """

    def __init__(self, root: Path, marker: str, kind: str) -> None:
        self.root = root
        self.marker = root / marker
        self.kind = kind
        self.written: dict[str, None] = {}
        if root.exists() and not root.is_dir():
            raise SiteError(f"{root}: exists and is not a directory")
        if root.is_dir() and any(root.iterdir()) and not self.marker.is_file():
            raise SiteError(
                f"{root}: directory is not empty and was not written by nervegraph "
                f"(no {marker} in it); choose another directory with -o"
            )
        try:
            self.previous = self.marker.read_text(encoding="utf-8").splitlines()[1:]
        except (OSError, UnicodeDecodeError):
            self.previous = []
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SiteError(f"{root}: cannot create directory: {exc.strerror}") from None

    def write(self, relpath: str, data: str | bytes) -> Path:
        """Write one file (atomically) at ``relpath`` below the root; return its path."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        path = self.root / relpath
        try:
            write_bytes_atomic(path, data)
        except OSError as exc:
            raise SiteError(f"{path}: cannot write: {exc.strerror}") from None
        self.written[relpath] = None
        return path

    def finish(self) -> list[str]:
        """Remove files of the previous build not written now; write the marker.

        Returns:
            The written files' relative paths, sorted.
        """
        names = sorted(self.written)
        for old in self.previous:
            if old and old not in self.written and ".." not in Path(old).parts:
                stale = self.root / old
                if stale.is_file():
                    stale.unlink()
        header = f"# written by nervegraph ({self.kind}); files of the last build:"
        write_bytes_atomic(self.marker, ("\n".join([header, *names]) + "\n").encode("utf-8"))
        return names
