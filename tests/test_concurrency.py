"""2,000 stored-query runs from 8 threads against Oxigraph while a load runs.

Correctness only (timing is benchmarks/bench_concurrency.py's business): zero errors,
every answer has the row count of the same query run serially (test_server.py proves
those equal the local rdflib answers), and the probe of a graph that
is being replaced sees the old or the new version, never anything in between.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import rdflib

from conftest import drop_graph
from nervegraph.interchange.server import Server

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_concurrency.py"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("ng_bench_concurrency", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_2000_queries_from_8_threads_during_a_load(
    oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    bench = _bench()
    jobs = bench.prepare_jobs(local_graph, oxigraph_server.query_url)  # serial answers
    try:
        outcome = bench.run_workload(
            oxigraph_server.query_url,
            oxigraph_server.store_url,
            jobs,
            runs=2000,
            threads=8,
            token=oxigraph_server.token,
        )
    finally:  # the server is shared: leave it as the session fixture made it
        drop_graph(oxigraph_server, bench.SWAP_GRAPH)
    print(
        f"queries: {outcome.runs}, errors: {len(outcome.errors)}, wrong: {len(outcome.wrong)}, "
        f"loads meanwhile: {outcome.loads}, probe sizes: {outcome.probe_sizes}"
    )
    assert outcome.errors == []
    assert outcome.wrong == []
    assert len(outcome.latencies) == 2000
    assert outcome.loads >= 1
    assert set(outcome.probe_sizes) <= {bench.OLD_SIZE, bench.NEW_SIZE}
