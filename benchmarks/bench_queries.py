"""Time the stored-query catalogue on rdflib's Memory store and on oxrdflib (Oxigraph).

Usage::

    python benchmarks/bench_queries.py [--scales 1,100,1000] [--repeat 3]
        [--timeout 20] [--output benchmarks/results/queries.md]

For each scale the bundled graph is copied ``scale`` times with every ``nge:``, ``ngst:``
and ``ngsrc:`` IRI renamed per copy (``nge:herniated-disc`` -> ``nge:herniated-disc.c7``)
and the vocabulary (``ng:``, ``ngq:``, the ontology) kept once, so the graph has the
same shape, ``scale`` times the data. Every stored query runs on both stores (required
parameters get the first matching instance); the median of ``--repeat`` runs (one run
above scale 1) is reported. A query that takes longer than ``--timeout`` seconds is
stopped (SIGALRM) and reported as ``>T``; the Oxigraph store needs ``oxrdflib``
(a dependency of nervegraph). The table goes to stdout and to ``--output``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import signal
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import rdflib
from rdflib import URIRef

from nervegraph.queries import StoredQuery, list_queries, param_candidates, run_query
from nervegraph.rdf.files import atomic_write_text
from nervegraph.rdf.load import load_graph, new_graph
from nervegraph.resources import data_files
from nervegraph.vocab import NGE, NGSRC, NGST

HERE = Path(__file__).resolve().parent
RENAMED = (NGE, NGST, NGSRC)


class Timeout(BaseException):  # not Exception: run_query must not wrap it
    """A query ran longer than the per-query timeout."""


def _alarm(signum: int, frame: object) -> None:
    raise Timeout


def scaled_graph(scale: int) -> rdflib.Graph:
    """Return ontology + ``scale`` renamed copies of the data (same shape, more nodes)."""
    base = load_graph()
    data = new_graph()
    for path in data_files():
        data.parse(path, format="turtle")
    vocabulary = base - data
    if scale == 1:
        return base

    def rename(term: rdflib.term.Node, copy: int) -> rdflib.term.Node:
        if isinstance(term, URIRef) and str(term).startswith(RENAMED):
            return URIRef(f"{term}.c{copy}")
        return term

    out = new_graph()
    out += vocabulary
    triples = list(data)
    for copy in range(scale):
        out.addN(
            (rename(s, copy), rename(p, copy), rename(o, copy), out) for s, p, o in triples
        )
    return out


def to_oxigraph(graph: rdflib.Graph) -> rdflib.Graph:
    """Copy ``graph`` into an oxrdflib-backed graph."""
    ox = rdflib.Graph(store="Oxigraph")
    ox.addN((s, p, o, ox) for s, p, o in graph)
    return ox


def params_for(query: StoredQuery, graph: rdflib.Graph) -> dict[str, str]:
    """A value (the first candidate IRI) for each required parameter."""
    return {
        p.name: str(sorted(param_candidates(graph, p))[0]) for p in query.params if p.required
    }


def _measure(
    query: StoredQuery, graph: rdflib.Graph, params: dict[str, str], repeat: int, conn: Any
) -> None:
    """Child process: run the query ``repeat`` times, send (median seconds, size)."""
    times: list[float] = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = run_query(query, graph, **params)
        size = len(result)
        times.append(time.perf_counter() - start)
    conn.send((statistics.median(times), size))
    conn.close()


def time_query(
    query: StoredQuery, graph: rdflib.Graph, params: dict[str, str], repeat: int, timeout: int
) -> tuple[float | None, int]:
    """Median seconds of ``repeat`` runs (None on timeout) and the result size.

    The runs happen in a forked child (it shares the graph copy-on-write) that is killed
    after ``timeout`` seconds: Oxigraph evaluates in native code, which no signal can
    interrupt.
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measure, args=(query, graph, params, repeat, child))
    proc.start()
    child.close()
    try:
        if parent.poll(timeout * repeat):
            seconds, size = parent.recv()
            return seconds, size
        return None, -1
    except EOFError:  # the child failed
        return None, -1
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()


def fmt_time(seconds: float | None, timeout: int) -> str:
    """Milliseconds, or ``>T s`` for a timeout."""
    return f">{timeout} s" if seconds is None else f"{seconds * 1000:.1f}"


def ratio(mem: float | None, ox: float | None) -> str:
    """Memory time / Oxigraph time (how many times faster Oxigraph is)."""
    if mem is None and ox is None:
        return "–"
    if mem is None:
        return "> " + (f"{(TIMEOUT / ox):.0f}" if ox else "∞")
    if ox is None:
        return "< " + f"{mem / TIMEOUT:.2f}"
    return f"{mem / ox:.1f}" if ox > 0 else "∞"


TIMEOUT = 20


def run(scales: list[int], repeat: int, timeout: int) -> Iterator[str]:
    """Yield the Markdown report line by line, printing progress to stderr."""
    global TIMEOUT
    TIMEOUT = timeout
    try:
        import oxrdflib  # noqa: F401

        have_ox = True
    except ImportError:
        have_ox = False
    signal.signal(signal.SIGALRM, _alarm)
    catalogue = list_queries()
    yield "# Stored-query benchmark: rdflib Memory vs oxrdflib (Oxigraph)"
    yield ""
    yield (
        f"Python {platform.python_version()}, rdflib {rdflib.__version__}, "
        f"{platform.machine()}, {len(catalogue)} queries; times in ms (median of "
        f"{repeat} runs at 1×, one run above); timeout {timeout} s per query; "
        "ratio = Memory / Oxigraph (higher: Oxigraph faster)."
    )
    yield ""
    summary: list[str] = []
    for scale in scales:
        start = time.perf_counter()
        memory = scaled_graph(scale)
        built = time.perf_counter() - start
        start = time.perf_counter()
        ox = to_oxigraph(memory) if have_ox else None
        ox_built = time.perf_counter() - start
        print(f"scale {scale}: {len(memory)} triples", file=sys.stderr)
        runs = repeat if scale == 1 else 1
        yield f"## {scale}× ({len(memory):,} triples)"
        yield ""
        yield (
            f"Built in {built:.1f} s (Memory), copied into Oxigraph in {ox_built:.1f} s."
        )
        yield ""
        yield "| query | rows | Memory ms | Oxigraph ms | ratio |"
        yield "|---|---:|---:|---:|---:|"
        totals = [0.0, 0.0]
        timeouts = [0, 0]
        for query in catalogue:
            print(f"  {query.name} ...", file=sys.stderr, flush=True)
            signal.alarm(timeout)
            try:
                params = params_for(query, memory)
            except Timeout:
                yield f"| `{query.name}` | ? | parameter look-up >{timeout} s | | |"
                continue
            finally:
                signal.alarm(0)
            mem_t, size = time_query(query, memory, params, runs, timeout)
            ox_t = None
            if ox is not None:
                ox_t, ox_size = time_query(query, ox, params, runs, timeout)
                size = size if size >= 0 else ox_size
            for i, t in enumerate((mem_t, ox_t)):
                if t is None:
                    timeouts[i] += 1
                    totals[i] += timeout
                else:
                    totals[i] += t
            print(f"  {query.name}: {mem_t} / {ox_t}", file=sys.stderr)
            yield (
                f"| `{query.name}` | {size if size >= 0 else '?'} | "
                f"{fmt_time(mem_t, timeout)} | "
                f"{fmt_time(ox_t, timeout) if ox is not None else 'n/a'} | "
                f"{ratio(mem_t, ox_t) if ox is not None else 'n/a'} |"
            )
        total_ratio = f"{totals[0] / totals[1]:.1f}" if ox is not None and totals[1] else "n/a"
        line = (
            f"| {scale}× | {len(memory):,} | {totals[0]:.2f} | "
            f"{totals[1]:.2f} | {total_ratio} | {timeouts[0]} | {timeouts[1]} |"
        )
        summary.append(line)
        yield ""
        del memory, ox
    yield "## Summary (whole catalogue, seconds; a timeout counts as the timeout)"
    yield ""
    yield (
        "| scale | triples | Memory s | Oxigraph s | ratio "
        "| Memory timeouts | Oxigraph timeouts |"
    )
    yield "|---|---:|---:|---:|---:|---:|---:|"
    yield from summary


def main() -> None:
    """Parse arguments, run the benchmark, print and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,100,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=20)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "queries.md")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    lines = []
    for line in run(scales, args.repeat, args.timeout):
        lines.append(line)
    text = "\n".join(lines) + "\n"
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.output, text)


if __name__ == "__main__":
    main()
