"""Stored-query runs from 8 threads against Oxigraph while a load runs.

Correctness only (timing is benchmarks/bench_concurrency.py's business): zero errors,
every answer has the row count of the same query run serially (test_server.py proves
those equal the local rdflib answers), and the probe of a graph that
is being replaced sees the old or the new version, never anything in between.

The number of runs does not make the property: the overlap does. Rounds of twice the
job list (every stored query twice, a probe after each) run until one round's probes
saw *both* versions of the replaced graph, which proves that a load finished between
two reads of that round, i.e. while the readers were running (at most MAX_ROUNDS).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib

from conftest import drop_graph
from nervegraph.interchange.server import Server

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_concurrency.py"
THREADS = 8
MAX_ROUNDS = 6


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("ng_bench_concurrency", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_stored_queries_from_8_threads_during_a_load(
    oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    bench = _bench()
    jobs = bench.prepare_jobs(local_graph, oxigraph_server.query_url)  # serial answers
    *queries, probe = jobs
    assert probe.expected is None and len(queries) >= 20
    # a probe of the replaced graph after every query: half the runs watch the swap
    mixed = [job for query in queries for job in (query, probe)]
    runs = 2 * len(mixed)  # every stored query runs twice per round
    errors: list[str] = []
    wrong: list[str] = []
    answered = 0
    loads = 0
    seen: dict[int, int] = {}
    rounds = 0
    try:
        while rounds < MAX_ROUNDS:
            rounds += 1
            outcome = bench.run_workload(
                oxigraph_server.query_url,
                oxigraph_server.store_url,
                mixed,
                runs=runs,
                threads=THREADS,
                token=oxigraph_server.token,
            )
            errors += outcome.errors
            wrong += outcome.wrong
            answered += len(outcome.latencies)
            loads += outcome.loads
            for size, count in outcome.probe_sizes.items():
                seen[size] = seen.get(size, 0) + count
            if set(outcome.probe_sizes) == {bench.OLD_SIZE, bench.NEW_SIZE}:
                break  # this round's reads overlapped a finished load
    finally:  # the server is shared: leave it as the session fixture made it
        drop_graph(oxigraph_server, bench.SWAP_GRAPH)
    print(
        f"rounds: {rounds} x {runs} queries, errors: {len(errors)}, wrong: {len(wrong)}, "
        f"loads meanwhile: {loads}, probe sizes: {seen}"
    )
    assert errors == [], errors[:5]
    assert wrong == [], wrong[:5]
    assert answered == rounds * runs
    assert set(seen) <= {bench.OLD_SIZE, bench.NEW_SIZE}
    assert set(outcome.probe_sizes) == {bench.OLD_SIZE, bench.NEW_SIZE}, (
        f"no round saw a load finish while it read ({MAX_ROUNDS} rounds): {seen}"
    )


COLD_PARSE = """
import threading
from nervegraph.rdf.sparql import parse_tree, query_form
text = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://example.org/g> { ?s ?p ?o } }"
errors, go = [], threading.Event()
def parse():
    go.wait()
    for _ in range(20):
        try:
            assert query_form(parse_tree(text)) == "SELECT"
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            return
threads = [threading.Thread(target=parse) for _ in range(8)]
for t in threads:
    t.start()
go.set()
for t in threads:
    t.join()
print(len(errors), errors[:1])
"""


def test_first_parse_of_a_query_form_from_8_threads() -> None:
    # In a fresh interpreter: the failure can corrupt the parser of the process it is in.
    proc = subprocess.run(
        [sys.executable, "-c", COLD_PARSE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("0 "), proc.stdout
