"""Writing output: the one owner of every file nervegraph writes.

Rules (``tests/test_output_files.py``):

* A regular file, existing or new, is written atomically: the bytes go to a temporary
  file in the same directory (``os.replace`` is atomic only within one file system),
  which is fsynced and renamed over the target. Readers see the old or the new file,
  never half of one. A symbolic link is followed: its target is replaced, the link kept.
* A new file gets mode ``0o666 & ~umask``, as ``open()`` would give it (``mkstemp``
  alone makes every file 0600); an existing file keeps its mode.
* An existing character or block device, FIFO or socket is opened and written directly,
  never replaced: ``-o /dev/null`` stays the device, a FIFO stays a FIFO.
* ``-`` is standard output (:func:`write_output`).
* Every failure (missing parent directory, a directory as target, no permission, an
  empty path, a full disk) is an :class:`~nervegraph.errors.OutputError` naming the
  path, and no temporary file is left behind.

The umask is read from ``/proc/self/status`` (``Umask:``, Linux ≥ 4.7), which leaves it
untouched; elsewhere it is read with ``os.umask`` (set and restored at once under a lock:
``os.umask`` is process-global, so this is the fallback only).
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path

from nervegraph.errors import OutputError

_umask_lock = threading.Lock()


def current_umask() -> int:
    """Return the process's umask without changing it (where the OS lets us)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # pragma: no cover - not Linux
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _describe(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` by the rules of this module.

    Raises:
        OutputError: the path cannot be written; nothing was changed.
    """
    if str(path) == "":
        raise OutputError("''", "the output path is empty")
    path = Path(path)
    try:
        if path.is_symlink():
            path = Path(os.path.realpath(path))
        try:
            info: os.stat_result | None = path.stat()
        except FileNotFoundError:
            info = None
    except OSError as exc:
        raise OutputError(path, f"cannot write here: {_describe(exc)}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(path, "is a directory; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_special(path, data)
        return
    parent = path.parent
    if not parent.is_dir():
        what = "does not exist" if not parent.exists() else "is not a directory"
        raise OutputError(path, f"cannot write: the directory {str(parent)!r} {what}")
    mode = (info.st_mode & 0o7777) if info is not None else (0o666 & ~current_umask())
    try:
        import tempfile  # here: writing a file is the one path that needs it

        fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(
            path, f"cannot create a file in {str(parent)!r}: {_describe(exc)}"
        ) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise OutputError(path, f"cannot write: {_describe(exc)}") from None
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(parent)


def _write_special(path: Path, data: bytes) -> None:
    """Write to a device, FIFO or socket in place (no O_CREAT: never makes a regular file)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise OutputError(path, f"cannot open for writing: {_describe(exc)}") from None
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as exc:
        raise OutputError(path, f"cannot write: {_describe(exc)}") from None
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` by the rules of this module (see :func:`atomic_write_bytes`).

    Raises:
        OutputError: the path cannot be written, or ``text`` cannot be encoded.
    """
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise OutputError(path, f"cannot encode the output as {encoding}: {exc.reason}") from None
    atomic_write_bytes(path, data)


def write_output(path: str | Path | None, text: str) -> None:
    """Write ``text`` to ``path``, or to standard output when ``path`` is ``None`` or ``-``."""
    if path is None or str(path) == "-":
        data = text.encode("utf-8", errors="surrogateescape")
        try:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        except BrokenPipeError:
            raise OutputError("-", "standard output was closed") from None
        return
    atomic_write_text(path, text)
