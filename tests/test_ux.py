"""The first hour of a new user (issue 16): what each command says, exactly.

Messages, exit codes and output shapes as a newcomer meets them: ``serve`` says where
it listens and that it stopped, ``query --help`` says what ``--timeout`` bounds, a
missing ``.`` is reported on the line that lacks it, commands that write files say
what they wrote, and every command's ``--help`` has examples.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nervegraph import cli
from nervegraph.interchange.server import free_port

NERVEGRAPH = [sys.executable, "-m", "nervegraph.cli"]


def run(*args: str | Path, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli.main, [str(a) for a in args])
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------ serve


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_says_where_it_listens_and_that_it_stopped(tmp_path: Path, sig: int) -> None:
    port = free_port("127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [*NERVEGRAPH, "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "to stop" in line:
                break
        assert lines[0].startswith(f"SPARQL endpoint: {base}/query (read-only, store ")
        assert lines[1] == f"Graph Store:     {base}/store\n"
        assert lines[-1] == "Press Ctrl-C (or send SIGTERM) to stop the server.\n"
        process.send_signal(sig)
        assert process.wait(timeout=30) == 0
        assert process.stderr.read() == f"stopped the server at {base}\n"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# ------------------------------------------------------------------ query --timeout, --endpoint


def _option_help(command: str, option: str) -> str:
    """The help text of ``option`` in ``nervegraph COMMAND --help``, on one line."""
    code, out, _ = run(command, "--help")
    assert code == 0
    words = " ".join(out.split())
    start = words.index(option + " ")
    rest = words[start + len(option) :]
    following = re.search(r" (?:-[a-zA-Z], )?--[a-z-]+ ", rest)
    return rest[: following.start()] if following else rest


def test_query_timeout_help_says_it_bounds_the_whole_command() -> None:
    text = _option_help("query", "--timeout")
    assert "whole command" in text and "reading the data" in text
    assert "locally or with --endpoint" in text
    assert "request to the server" not in text


def test_query_endpoint_help_says_a_base_url_works() -> None:
    text = _option_help("query", "--endpoint")
    assert "http://127.0.0.1:7878 means http://127.0.0.1:7878/query" in text


def test_query_timeout_bounds_a_local_query(tmp_path: Path) -> None:
    """The help's promise, kept: a local query past --timeout is stopped, exit 2."""
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    done = subprocess.run(
        [*NERVEGRAPH, "query", "--timeout", "0.5", "-"],
        input=slow,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 2
    assert done.stderr == "error: the query did not finish within 0.5 s (--timeout)\n"
