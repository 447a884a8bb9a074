"""``nervegraph load`` is all or nothing, and a timed-out upload is not sent again.

* SIGKILL of the ``nervegraph load`` process at random moments (bounded number of
  trials) leaves the 10 target graphs all old or all new (per-graph counts); whatever
  staging graphs are left are named by the journal, and the next load removes them.
* One SPARQL Update with several ``MOVE`` operations is one transaction in the real
  Oxigraph server: when the last one fails, the first is not applied either.
* A PUT that times out is sent once, and the error says why it was not retried.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import rdflib

from nervegraph.errors import RemoteError
from nervegraph.interchange.dataset import named_files
from nervegraph.interchange.gsp import (
    STAGING_BASE,
    count_triples,
    load_into_store,
    put_graph,
    run_update,
)
from nervegraph.interchange.server import Server, start_server
from nervegraph.queries.remote import run_remote

pytestmark = pytest.mark.slow

FILES = 10
KILLS = 4
TOKEN = "load-test-token-" + "y" * 16


def _write_version(directory: Path, triples_per_file: list[int], tag: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for n, size in enumerate(triples_per_file):
        lines = [
            f"<https://example.org/{tag}/f{n}/s{i}> <https://example.org/p{i % 7}> "
            f'"{tag} value {i}" .'
            for i in range(size)
        ]
        (directory / f"part{n:02d}.nt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[int], list[int]]:
    base = tmp_path_factory.mktemp("versions")
    old_sizes = [300 + 11 * n for n in range(FILES)]
    new_sizes = [1500 + 13 * n for n in range(FILES)]  # every graph changes size
    _write_version(base / "old", old_sizes, "old")
    _write_version(base / "new", new_sizes, "new")
    return base / "old", base / "new", old_sizes, new_sizes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    location = tmp_path_factory.mktemp("atomic-store")
    with start_server(port=0, location=location, writable=True, load=False, token=TOKEN) as s:
        yield s


def _counts(server: Server, directory: Path) -> list[int]:
    return [count_triples(server.query_url, item.graph) for item in named_files([directory])]


def _staging_graphs(server: Server) -> set[str]:
    result = run_remote(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f'FILTER(STRSTARTS(STR(?g), "{STAGING_BASE}")) }}',
        server.query_url,
    )
    return {str(row["g"]) for row in result.rows}


def _load_process(server: Server, directory: Path, journal: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NERVEGRAPH_TOKEN": TOKEN}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nervegraph.cli",
            "load",
            "--endpoint",
            server.base_url,
            "--data",
            str(directory),
            "--journal",
            str(journal),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_load_killed_at_random_is_all_old_or_all_new(
    server: Server, versions: tuple[Path, Path, list[int], list[int]], tmp_path: Path
) -> None:
    old_dir, new_dir, old_sizes, new_sizes = versions
    journal = tmp_path / "journal.json"
    # one uninterrupted load of each version: both states are reachable, and timing
    load_into_store(server.base_url, data=[new_dir], token=TOKEN, journal=journal)
    assert _counts(server, old_dir) == new_sizes
    started = time.monotonic()
    proc = _load_process(server, old_dir, journal)
    assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
    assert _counts(server, old_dir) == old_sizes
    start = time.monotonic()
    proc = _load_process(server, new_dir, journal)
    assert proc.wait(120) == 0
    duration = time.monotonic() - start
    print(f"one load of {FILES} files: {duration:.2f} s (old one {start - started:.2f} s)")
    rng = random.Random(14)
    outcomes = {"old": 0, "new": 0, "mixed": 0}
    interrupted = 0
    for _ in range(KILLS):
        load_into_store(server.base_url, data=[old_dir], token=TOKEN, journal=journal)
        assert _counts(server, old_dir) == old_sizes and not journal.exists()
        proc = _load_process(server, new_dir, journal)
        time.sleep(rng.uniform(0.35, 1.0) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        counts = _counts(server, old_dir)
        kind = "old" if counts == old_sizes else "new" if counts == new_sizes else "mixed"
        outcomes[kind] += 1
        assert kind != "mixed", f"half-loaded store after SIGKILL: {counts}"
        if journal.exists():
            interrupted += 1
            named = {g["staging"] for g in json.loads(journal.read_text())["graphs"]}
            assert _staging_graphs(server) <= named, "staging graphs the journal does not name"
        else:
            assert _staging_graphs(server) == set()
    print(f"load kills: {KILLS}, {outcomes}; killed with a journal left: {interrupted}")
    assert interrupted >= 2, "too few kills landed during the load to prove anything"
    # the next load cleans up whatever the interrupted one left, and says so
    report = load_into_store(server.base_url, data=[new_dir], token=TOKEN, journal=journal)
    assert report.complete and not journal.exists()
    assert _staging_graphs(server) == set()
    assert _counts(server, old_dir) == new_sizes


def test_switch_update_is_one_transaction(server: Server) -> None:
    """The claim the load rests on, checked on the real server binary."""
    target = "https://example.org/graph/atomic-target"
    source = "https://example.org/graph/atomic-source"
    small = rdflib.Graph().parse(data="<urn:a> <urn:p> <urn:b> .", format="nt")
    big = rdflib.Graph().parse(
        data="".join(f"<urn:a> <urn:p> <urn:c{i}> .\n" for i in range(5)), format="nt"
    )
    put_graph(server.store_url, target, small, token=TOKEN)
    put_graph(server.store_url, source, big, token=TOKEN)
    with pytest.raises(RemoteError, match="does not exist"):
        run_update(
            server.update_url,
            f"MOVE GRAPH <{source}> TO GRAPH <{target}> ; "
            f"MOVE GRAPH <{STAGING_BASE}missing> TO GRAPH <{target}-2>",
            what="switch",
            token=TOKEN,
        )
    assert count_triples(server.query_url, target) == 1  # the first MOVE was not applied
    assert count_triples(server.query_url, source) == 5
    run_update(
        server.update_url, f"MOVE GRAPH <{source}> TO GRAPH <{target}>", what="switch", token=TOKEN
    )
    assert count_triples(server.query_url, target) == 5
    assert count_triples(server.query_url, source) == 0
    run_update(server.update_url, f"DROP GRAPH <{target}>", what="clean", token=TOKEN)


class _SilentStore(BaseHTTPRequestHandler):
    """A store that reads the upload and never answers (until the test ends)."""

    puts: list[int] = []
    release = threading.Event()

    def do_PUT(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).puts.append(length)
        self.release.wait(30)

    def log_message(self, *args: object) -> None:
        pass


def test_timed_out_upload_is_not_sent_again(
    versions: tuple[Path, Path, list[int], list[int]], tmp_path: Path
) -> None:
    _, new_dir, _, _ = versions
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _SilentStore)
    httpd.daemon_threads = True
    worker = threading.Thread(target=httpd.serve_forever, daemon=True)
    worker.start()
    _SilentStore.puts.clear()
    _SilentStore.release.clear()
    try:
        started = time.monotonic()
        with pytest.raises(RemoteError) as info:
            load_into_store(
                f"http://127.0.0.1:{httpd.server_address[1]}",
                data=[new_dir],
                timeout=0.5,
                retries=4,
                backoff=0.01,
                journal=tmp_path / "journal.json",
            )
        took = time.monotonic() - started
    finally:
        _SilentStore.release.set()
        httpd.shutdown()
        httpd.server_close()
    message = str(info.value)
    print(f"timed-out load: {len(_SilentStore.puts)} PUT(s), {took:.2f} s: {message}")
    assert len(_SilentStore.puts) == 1, "a timed-out upload was sent again"
    assert "timed out after 0.5 s; not retried" in message
    assert "the store's graphs were not changed" in message
    assert took < 10
