"""Progress on stderr (src/nervegraph/progress.py): on a terminal only.

A real terminal is a pty (``os.openpty``) given to a subprocess as its stderr; stdout
stays a pipe, so the tests also check that progress never mixes into the output.
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from nervegraph import progress
from terminology_backends import BACKENDS, require

NERVEGRAPH = [sys.executable, "-m", "nervegraph.cli"]

TRACK_SCRIPT = """
import time
from nervegraph import progress
for item in progress.track(["a", "b", "c"], "checking things", unit="row", note=str.upper):
    time.sleep(0.15)
with progress.status("validating 12 triples"):
    time.sleep(0.15)
print("done")
"""


def run_with_tty_stderr(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, str, str]:
    """Run ``args`` with stderr on a pty (100 columns); return (code, stdout, terminal)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:  # a full pty buffer would block the child
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed its end
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    assert process.stdout is not None
    out = process.stdout.read().decode()
    code = process.wait(timeout=300)
    reader.join(timeout=10)
    os.close(master)
    return code, out, b"".join(chunks).decode(errors="replace")


def test_track_draws_a_bar_on_a_terminal() -> None:
    code, out, terminal = run_with_tty_stderr([sys.executable, "-c", TRACK_SCRIPT])
    assert code == 0, terminal
    assert out == "done\n"
    assert "checking things" in terminal and "3/3" in terminal and " row" in terminal
    assert "C" in terminal  # the note of the current item
    assert "validating 12 triples…" in terminal


def test_track_is_silent_when_stderr_is_not_a_terminal() -> None:
    done = subprocess.run(
        [sys.executable, "-c", TRACK_SCRIPT], capture_output=True, text=True, check=True
    )
    assert (done.stdout, done.stderr) == ("done\n", "")


def test_progress_can_be_switched_off_on_a_terminal() -> None:
    code, out, terminal = run_with_tty_stderr(
        [sys.executable, "-c", TRACK_SCRIPT], env={progress.ENV_PROGRESS: "0"}
    )
    assert (code, out, terminal) == (0, "done\n", "")


def test_track_passes_items_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "enabled", lambda: False)
    assert list(progress.track(iter([1, 2]), "x")) == [1, 2]


@pytest.mark.slow
def test_mappings_check_shows_progress_only_on_a_terminal() -> None:
    require(*BACKENDS)
    args = [*NERVEGRAPH, "mappings", "--check"]
    code, out, terminal = run_with_tty_stderr(args)
    assert code == 0, terminal
    assert "checking mappings" in terminal and re.search(r"\b\d+/126 \[", terminal)
    assert any(prefix in terminal for prefix in ("HP", "mesh", "icd10cm"))
    # os.environ, not the C environment (in which something under pytest sets COLUMNS=80)
    piped = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ))
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    assert piped.stdout == out  # the same output either way


@pytest.mark.slow
def test_docs_shows_progress_only_on_a_terminal(tmp_path: Path) -> None:
    code, out, terminal = run_with_tty_stderr([*NERVEGRAPH, "docs", "-o", str(tmp_path / "a")])
    assert code == 0, terminal
    for step in ("running the stored queries", "writing entity pages"):
        assert step in terminal
    assert re.match(r"wrote \d+ files \(\d+ entity pages", out)  # the output, unchanged
    piped = subprocess.run(
        [*NERVEGRAPH, "docs", "-o", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    assert piped.returncode == 0
    # no progress when stderr is not a terminal; only warnings (an article's text not
    # beside this checkout, for one), each said once
    lines = piped.stderr.splitlines()
    assert all(line.startswith("warning: ") for line in lines), piped.stderr
    assert len(lines) == len(set(lines))


@pytest.mark.slow
def test_load_shows_progress_per_named_graph(oxigraph_server) -> None:  # type: ignore[no-untyped-def]
    """``load`` of the bundled graph (the same triples again) into the session's server."""
    args = [*NERVEGRAPH, "load", "--endpoint", oxigraph_server.base_url]
    args += ["--token", oxigraph_server.token]  # the server takes writes with its token
    code, out, terminal = run_with_tty_stderr(args)
    assert code == 0, terminal
    assert re.search(r"loading: .*\d+/\d+ \[.*pinched-nerve-muscle-spasms", terminal), terminal
    assert "distinct triples" in out
    piped = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ))
    assert (piped.returncode, piped.stderr, piped.stdout) == (0, "", out)


@pytest.mark.slow
def test_validate_shows_a_status_line_only_on_a_terminal() -> None:
    """``validating N triples…`` while SHACL runs (in its forked child: no deadlock)."""
    data = str(Path(__file__).parent / "data" / "valid" / "minimal-article.ttl")
    args = [*NERVEGRAPH, "validate", data]
    code, out, terminal = run_with_tty_stderr(args)
    assert code == 0, terminal
    assert re.search(r"validating [\d,]+ triples…", terminal), terminal
    assert out.startswith("conforms: ")
    piped = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ))
    assert (piped.returncode, piped.stderr, piped.stdout) == (0, "", out)
