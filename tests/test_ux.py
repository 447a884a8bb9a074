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
    assert done.stderr == "error: the query timed out: did not finish within 0.5 s (--timeout)\n"


# ------------------------------------------------------------------ a missing '.'

PREFIX = "@prefix ex: <http://example.org/> .\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (PREFIX + "ex:a ex:b ex:c\nex:d ex:e ex:f .\n", 2),
        # blank and comment lines between the statement and the next one are passed over
        (PREFIX + 'ex:a ex:b "x" ;\n   ex:p ex:c   # no dot\n\n# next\nex:d ex:e ex:f .\n', 3),
        (PREFIX.replace(" .", "") + "ex:a ex:b ex:c .\n", 1),  # @prefix without its .
        (PREFIX + 'ex:a ex:b """long\n# still the literal"""\nex:d ex:e ex:f .\n', 3),
        (PREFIX.replace("\n", "\r\n") + "ex:a ex:b ex:c\r\nex:d ex:e ex:f .\r\n", 2),
    ],
)
def test_missing_dot_is_reported_on_the_line_that_lacks_it(
    tmp_path: Path, text: str, line: int
) -> None:
    (tmp_path / "bad.ttl").write_bytes(text.encode())
    code, out, err = run("validate", "bad.ttl", cwd=tmp_path)
    assert (code, out) == (cli.EXIT_ERROR, "")
    assert err == f"error: bad.ttl:{line}: expected '.' at the end of the statement\n"


# ------------------------------------------------------------------ the newcomer pass

COMMANDS = sorted(cli.main.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_ends_with_examples_that_use_the_command(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0
    examples = out.split("\n  Examples:\n", 1)[1].splitlines()
    assert examples and all(line.startswith("    ") for line in examples if line)
    assert any(line.strip().startswith(f"nervegraph {command}") for line in examples)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_speaks_of_the_project_not_the_bundled_graph(command: str) -> None:
    """Defaults are the project's files (the bundled ones only outside a project)."""
    _, out, _ = run(command, "--help")
    text = " ".join(out.split())
    assert "default: the bundled" not in text and "with the bundled ontology" not in text


def test_usage_names_path_as_the_help_does() -> None:
    _, out, _ = run("validate", "--help")
    assert out.splitlines()[0].endswith(" validate [OPTIONS] [PATH]...")
    assert "PATH: data files or directories" in out
    assert "--timeout SECONDS" in out and "FLOAT RANGE" not in out


def test_docs_and_check_sources_name_the_text_directory_alike() -> None:
    for command in ("docs", "check-sources"):
        _, out, _ = run(command, "--help")
        assert re.search(r"--source-dir(, --sources)? DIRECTORY", out), command


def test_lint_fix_says_which_files_it_rewrote(tmp_path: Path) -> None:
    messy = tmp_path / "messy.ttl"
    messy.write_text(PREFIX + "ex:b ex:p ex:c .\nex:a ex:p ex:c .\n", encoding="utf-8")
    code, out, err = run("lint", "--fix", messy)
    assert (code, err) == (0, "")
    assert out == f"rewrote {messy} in canonical form\nrewrote 1 of 1 Turtle file(s)\n"
    code, out, _ = run("lint", "--fix", messy)
    assert (code, out) == (0, "all 1 Turtle file(s) are canonical; nothing rewritten\n")
    assert run("lint", messy)[1] == "all 1 Turtle file(s) are canonical\n"


def test_export_to_a_file_says_what_it_wrote(tmp_path: Path) -> None:
    import rdflib

    target = tmp_path / "graph.nt"
    code, out, err = run("export", "-f", "nt", "-o", target)
    assert (code, out) == (0, "")
    triples = len(rdflib.Graph().parse(target, format="nt"))
    assert err == f"wrote {target} (nt): {triples} triples\n"
    code, out, err = run("export", "-f", "kgx", "-o", tmp_path / "kgx")
    nodes = len((tmp_path / "kgx" / "nodes.tsv").read_text().splitlines()) - 1
    edges = len((tmp_path / "kgx" / "edges.tsv").read_text().splitlines()) - 1
    assert err == (
        f"wrote {tmp_path / 'kgx' / 'nodes.tsv'} ({nodes} nodes) and "
        f"{tmp_path / 'kgx' / 'edges.tsv'} ({edges} edges)\n"
    )
