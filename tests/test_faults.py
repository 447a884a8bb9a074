"""Faults during writes: nothing torn, nothing half-loaded, nothing replaced by garbage.

* ``nervegraph export`` SIGKILLed at random moments (10 trials) leaves the old file or
  the new one, byte for byte, never a torn one.
* An Oxigraph server SIGKILLed while a graph is being PUT (3 kills) holds that named
  graph complete or not at all after a restart.

The kill moments are stratified: trial i of N falls at a random point of the i-th of N
equal slices of the window, so a few trials cover all of it (early, mid-write, after the
rename) instead of N independent draws that may bunch up.
* A malformed file is refused locally (InputError) before any request, so it never
  replaces a good graph in the store.
"""

from __future__ import annotations

import importlib.util
import random
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import rdflib

from conftest import drop_graph
from graphs import big_graph
from nervegraph.errors import InputError, RemoteError
from nervegraph.interchange import gsp as store
from nervegraph.interchange.gsp import count_triples, load_into_store
from nervegraph.interchange.server import Server, free_port, start_server

REPO = Path(__file__).resolve().parents[1]
EXPORT_TRIALS = 10
SERVER_KILLS = 3


def _stratified(rng: random.Random, trial: int, trials: int, low: float, high: float) -> float:
    """A random point in the ``trial``-th of ``trials`` equal slices of [low, high]."""
    return low + (high - low) * (trial + rng.random()) / trials


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-article synthetic corpus (~10,000 triples) from benchmarks/corpus.py."""
    spec = importlib.util.spec_from_file_location("ng_corpus", REPO / "benchmarks" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("corpus") / "corpus.nt"
    module.write_corpus(path, articles=3, seed=1)
    return path


def _export(source: Path, output: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nervegraph.cli",
            "export",
            str(source),
            "-f",
            "nt",
            "-o",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _canonical(data: bytes) -> list[bytes]:
    """N-Triples lines with blank node labels blanked (they differ between runs)."""
    return sorted(re.sub(rb"_:\S+", b"_:b", line) for line in data.splitlines())


@pytest.mark.slow
def test_export_killed_at_random_leaves_old_or_new(synthetic: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.nt"
    # "new": a complete export of the big graph; "old": a different, smaller file.
    proc = _export(synthetic, output)
    started = time.monotonic()
    assert proc.wait(120) == 0
    duration = time.monotonic() - started
    new = output.read_bytes()
    new_lines = _canonical(new)
    new_size = len(rdflib.Graph().parse(data=new, format="nt"))
    old = b"<http://example.org/old> <http://example.org/p> <http://example.org/o> .\n"
    rng = random.Random(20260101)
    outcomes = {"old": 0, "new": 0, "torn": 0}
    for trial in range(EXPORT_TRIALS):
        output.write_bytes(old)
        proc = _export(synthetic, output)
        time.sleep(_stratified(rng, trial, EXPORT_TRIALS, 0.3, 1.1) * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        got = output.read_bytes()
        kind = "old" if got == old else "new" if _canonical(got) == new_lines else "torn"
        outcomes[kind] += 1
        assert kind != "torn", f"torn export: {len(got)} of {len(new)} bytes"
        assert len(rdflib.Graph().parse(data=got, format="nt")) == (
            1 if kind == "old" else new_size
        )  # and it parses: the same triples, not just the same lines
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name != "out.nt")
    print(
        f"export kills: {EXPORT_TRIALS}, {outcomes}; temp files left by SIGKILL: {len(leftovers)}"
    )
    assert outcomes["torn"] == 0


@pytest.mark.slow
def test_server_killed_during_load_leaves_graph_complete_or_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph_iri = "https://example.org/graph/big"
    big = big_graph(40_000)
    real_urlopen = urllib.request.urlopen
    rng = random.Random(7)
    counts: list[int] = []
    for trial in range(SERVER_KILLS):
        location = tmp_path / f"db{trial}"
        started = threading.Event()

        def announcing_urlopen(request, *args, _started=started, **kwargs):  # type: ignore[no-untyped-def]
            if getattr(request, "method", None) == "PUT":
                _started.set()
            return real_urlopen(request, *args, **kwargs)

        monkeypatch.setattr(store.urllib.request, "urlopen", announcing_urlopen)
        errors: list[BaseException] = []
        port = free_port("127.0.0.1")
        with start_server(port=port, location=location, writable=True, load=False) as server:

            def load(server: Server = server, errors: list[BaseException] = errors) -> None:
                try:
                    store.put_graph(
                        server.store_url,
                        graph_iri,
                        big,
                        retries=1,
                        timeout=30,
                        token=server.token,
                    )
                except BaseException as exc:  # noqa: BLE001 - inspected below
                    errors.append(exc)

            worker = threading.Thread(target=load)
            worker.start()
            assert started.wait(30)
            time.sleep(_stratified(rng, trial, SERVER_KILLS, 0.0, 1.5))
            assert server.process is not None
            server.process.send_signal(signal.SIGKILL)
            worker.join(60)
            assert not worker.is_alive()
        monkeypatch.undo()
        if errors:
            assert isinstance(errors[0], RemoteError) and graph_iri in str(errors[0])
        with start_server(port=port, location=location, load=False) as server:
            counts.append(count_triples(server.query_url, graph_iri))
    partial = [c for c in counts if c not in (0, len(big))]
    print(
        f"server kills during load: {SERVER_KILLS}; complete: {counts.count(len(big))}, "
        f"absent: {counts.count(0)}, partial: {len(partial)}"
    )
    assert partial == [], f"partial graphs after SIGKILL: {counts}"


def test_malformed_body_never_replaces_a_good_graph(
    oxigraph_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph_iri = "https://example.org/graph/keep-me"
    good = tmp_path / "good.ttl"
    good.write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\nex:a ex:q ex:c .\n",
        encoding="utf-8",
    )
    token = oxigraph_server.token
    report = load_into_store(oxigraph_server.base_url, graph=graph_iri, data=[good], token=token)
    try:
        assert report.graphs[graph_iri] == 2
        sent: list[object] = []
        monkeypatch.setattr(store, "put_graph", lambda *a, **k: sent.append(a))
        for name in ("ttl-truncated.ttl", "ttl-deep-list-300.ttl", "nt-relative-iri.nt"):
            bad = REPO / "tests" / "data" / "malformed" / name
            with pytest.raises(InputError):
                load_into_store(
                    oxigraph_server.base_url, graph=graph_iri, data=[bad], token=token
                )
        assert sent == []
        monkeypatch.undo()
        assert count_triples(oxigraph_server.query_url, graph_iri) == 2
    finally:  # the server is shared: leave it as the session fixture made it
        drop_graph(oxigraph_server, graph_iri)
