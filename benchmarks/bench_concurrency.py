"""Concurrency: stored queries from many threads against Oxigraph while a load runs.

The workload (also used by ``tests/test_concurrency.py``, which asserts correctness
only): every stored query is prepared once (parameters resolved locally, bound as
``VALUES``) and its expected row count taken from a local rdflib run; then ``threads``
threads run ``runs`` queries round-robin against the server. Meanwhile a loader
replaces one named graph again and again, alternating an *old* version (``OLD_SIZE``
triples) and a *new* one (``NEW_SIZE``); a probe query counting that graph runs among
the others and must see exactly one of the two sizes.

Usage::

    python benchmarks/bench_concurrency.py [--runs 2000] [--threads 8]

writes ``benchmarks/results/concurrency.md`` (p50/p99 latency, throughput, errors).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import rdflib

from nervegraph.interchange.gsp import put_graph
from nervegraph.queries import bindings_as_values, list_queries, param_candidates, prepare_query
from nervegraph.queries import run_query as run_local
from nervegraph.queries.remote import run_remote
from nervegraph.rdf.load import load_graph

RESULTS = Path(__file__).resolve().parent / "results" / "concurrency.md"
SWAP_GRAPH = "https://example.org/graph/swapped"
OLD_SIZE = 500
NEW_SIZE = 1500
PROBE = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SWAP_GRAPH}> {{ ?s ?p ?o }} }}"


@dataclass
class Job:
    """One prepared query and the answer size it must give."""

    name: str
    text: str
    expected: int | None  # None: the swap probe (OLD_SIZE or NEW_SIZE)


@dataclass
class Outcome:
    """What a run of the workload observed."""

    runs: int = 0
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    probe_sizes: dict[int, int] = field(default_factory=dict)
    loads: int = 0
    seconds: float = 0.0


def swap_graph(size: int) -> rdflib.Graph:
    """The swapped graph's version with ``size`` triples."""
    ex = rdflib.Namespace("https://example.org/swap/")
    graph = rdflib.Graph()
    for i in range(size):
        graph.add((ex[f"s{i}"], ex.p, rdflib.Literal(i)))
    return graph


def _size(result: object) -> int:
    graph = getattr(result, "graph", None)
    if graph is not None:
        return len(graph)
    if getattr(result, "query_type", "") == "ASK":
        return int(bool(getattr(result, "askAnswer", False)))
    return len(getattr(result, "rows", []))


#: queries slower than this (serial, on the server) are left out of the mix
HEAVY_SECONDS = 0.2
#: names of the queries left out by the last prepare_jobs (for the report)
SKIPPED: list[str] = []


def prepare_jobs(local: rdflib.Graph, query_url: str | None = None) -> list[Job]:
    """Every stored query with its first candidate for required parameters.

    The expected answer size comes from a serial run on ``query_url`` when given
    (``tests/test_server.py`` proves those equal the local answers), else from a local
    rdflib run (slower). With ``query_url``, queries slower than :data:`HEAVY_SECONDS`
    serially are left out (listed in :data:`SKIPPED`): 2,000 runs of a 0.6 s query
    would measure that query, not concurrency.
    """
    jobs = []
    SKIPPED.clear()
    for query in list_queries():
        params = {}
        for param in query.params:
            if param.required:
                params[param.name] = str(sorted(param_candidates(local, param))[0])
        prepared = prepare_query(query, local, **params)
        text = bindings_as_values(prepared.text, prepared.bindings)
        if query_url is not None:
            started = time.perf_counter()
            expected = _size(run_remote(text, query_url, timeout=60))
            if time.perf_counter() - started > HEAVY_SECONDS:
                SKIPPED.append(query.name)
                continue
        else:
            expected = _size(run_local(query, local, **params))
        jobs.append(Job(query.name, text, expected))
    jobs.append(Job("swap-probe", PROBE, None))
    return jobs


def run_workload(
    query_url: str,
    store_url: str,
    jobs: list[Job],
    *,
    runs: int = 2000,
    threads: int = 8,
    with_load: bool = True,
    token: str | None = None,
) -> Outcome:
    """Run ``runs`` queries from ``threads`` threads; a loader swaps SWAP_GRAPH meanwhile."""
    outcome = Outcome()
    lock = threading.Lock()
    counter = iter(range(runs))
    old, new = swap_graph(OLD_SIZE), swap_graph(NEW_SIZE)
    put_graph(store_url, SWAP_GRAPH, old, token=token)
    stop = threading.Event()

    def loader() -> None:
        versions = (new, old)
        i = 0
        while not stop.is_set():
            put_graph(store_url, SWAP_GRAPH, versions[i % 2], token=token)
            i += 1
            with lock:
                outcome.loads += 1

    def reader() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            job = jobs[n % len(jobs)]
            started = time.perf_counter()
            try:
                result = run_remote(job.text, query_url, timeout=60)
            except Exception as exc:  # noqa: BLE001 - counted, not raised
                with lock:
                    outcome.errors.append(f"{job.name}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            size = _size(result)
            with lock:
                outcome.latencies.append(elapsed)
                if job.expected is None:
                    size = int(result.rows[0]["n"])  # type: ignore[arg-type]
                    outcome.probe_sizes[size] = outcome.probe_sizes.get(size, 0) + 1
                    if size not in (OLD_SIZE, NEW_SIZE):
                        outcome.wrong.append(f"{job.name}: saw {size} triples")
                elif size != job.expected:
                    outcome.wrong.append(f"{job.name}: {size} rows, expected {job.expected}")

    started = time.perf_counter()
    load_thread = threading.Thread(target=loader) if with_load else None
    if load_thread:
        load_thread.start()
    workers = [threading.Thread(target=reader) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    stop.set()
    if load_thread:
        load_thread.join()
    outcome.seconds = time.perf_counter() - started
    outcome.runs = runs
    return outcome


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values`` by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def report(outcome: Outcome, threads: int) -> str:
    """Markdown for benchmarks/results/concurrency.md."""
    ms = [v * 1000 for v in outcome.latencies]
    return (
        "# Concurrency: stored queries against Oxigraph during a load\n\n"
        f"Generated by `python benchmarks/bench_concurrency.py` on {platform.node()} "
        f"({platform.machine()}, Python {platform.python_version()}).\n\n"
        f"{outcome.runs} stored-query runs (every query of the catalogue, round-robin, plus "
        f"a probe counting a graph swapped between {OLD_SIZE} and {NEW_SIZE} triples) from "
        f"{threads} threads, while a loader replaced that graph {outcome.loads} times "
        "(HTTP PUT).\n\n"
        "| runs | threads | errors | wrong answers | p50 ms | p99 ms | mean ms | max ms | "
        "queries/s |\n|---|---|---|---|---|---|---|---|---|\n"
        f"| {outcome.runs} | {threads} | {len(outcome.errors)} | {len(outcome.wrong)} | "
        f"{percentile(ms, 0.5):.1f} | {percentile(ms, 0.99):.1f} | {statistics.mean(ms):.1f} | "
        f"{max(ms):.1f} | {outcome.runs / outcome.seconds:.0f} |\n\n"
        f"Probe answers (triples seen in the swapped graph → times): "
        f"{dict(sorted(outcome.probe_sizes.items()))}; nothing else was ever seen.\n\n"
        f"Left out of the mix (slower than {HEAVY_SECONDS} s serially on this machine): "
        f"{', '.join(SKIPPED) or 'none'}.\n"
    )


def main(argv: list[str] | None = None, *, out: Callable[[str], None] = print) -> None:
    """Start a server, run the workload, write the results file."""
    from nervegraph.interchange.server import start_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    local = load_graph()
    with start_server(port=0, writable=True) as server:
        jobs = prepare_jobs(local, server.query_url)
        outcome = run_workload(
            server.query_url,
            server.store_url,
            jobs,
            runs=args.runs,
            threads=args.threads,
            token=server.token,
        )
    text = report(outcome, args.threads)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    out(text)


if __name__ == "__main__":
    main()
