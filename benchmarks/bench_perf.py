"""Side-by-side performance: the default engines vs rdflib / pySHACL, at 1-1000 articles.

Usage::

    python benchmarks/bench_perf.py [--sizes 1,10,100,1000] [--timeout 300]
        [--output benchmarks/results/perf.md]

For each corpus size (``benchmarks/corpus.py``: N articles shaped like the bundled one,
plus the ontology) every measurement runs in its own subprocess, which reports its wall
time and its peak RSS (``resource.getrusage``):

* **load**: ``load_graph(files, engine=...)`` with ``oxigraph`` vs ``rdflib``;
* **queries**: every stored query (required parameters get the first instance of
  their class) after the load; the median and the sum over the catalogue;
* **validate**: ``validate_graph(graph, engine=...)`` with ``turbo`` vs ``pyshacl``;
* **start-up**: ``nervegraph --help`` vs ``python -c pass``, and a cold
  ``nervegraph query symptoms`` (cached store) vs a plain rdflib script that parses the
  same files and runs the same query (medians of 5 runs).

A subprocess that runs longer than ``--timeout`` seconds is stopped and reported as
``> T s``; queries report what finished. The table goes to stdout and ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = Path(os.environ.get("NERVEGRAPH_BENCH_DIR", "/tmp/nervegraph-bench"))


# ---------------------------------------------------------------- workers (subprocess)


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def worker(kind: str, engine: str, corpus: Path) -> None:
    """Run one measurement and print JSON lines (the last one has the totals)."""
    import logging

    logging.disable(logging.WARNING)
    from nervegraph.graph import load_graph

    started = time.perf_counter()
    graph = load_graph([corpus], engine="oxigraph" if engine in ("oxigraph", "turbo") else "rdflib")
    loaded = time.perf_counter() - started
    if kind == "load":
        _emit({"seconds": loaded, "triples": len(graph), "peak_mib": _peak_mib()})
        return
    if kind == "queries":
        from nervegraph.queries import list_queries, param_candidates, run_query

        times = []
        for query in list_queries():
            values = {
                p.name: min(param_candidates(graph, p)) for p in query.params if p.required
            }
            t0 = time.perf_counter()
            result = run_query(query, graph, **values)
            len(result)
            times.append(time.perf_counter() - t0)
            _emit({"query": query.name, "seconds": times[-1]})
        _emit({"seconds": sum(times), "median": statistics.median(times), "count": len(times),
               "peak_mib": _peak_mib()})
        return
    if kind == "validate":
        from nervegraph.validate import validate_graph

        t0 = time.perf_counter()
        result = validate_graph(graph, engine=engine)
        _emit({"seconds": time.perf_counter() - t0, "conforms": result.conforms,
               "results": len(result.violations), "peak_mib": _peak_mib()})
        return
    raise SystemExit(f"unknown kind {kind}")


# ---------------------------------------------------------------- parent


def _run(args: list[str], timeout: float) -> tuple[list[dict[str, Any]], bool]:
    """Run a worker; return its JSON lines and whether it timed out."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        timed_out = True
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return records, timed_out


def corpus_file(size: int) -> Path:
    """Return (writing it once) the N-Triples corpus of ``size`` articles."""
    import importlib.util

    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"corpus-{size}.nt"
    if not path.is_file():
        spec = importlib.util.spec_from_file_location("corpus", HERE / "corpus.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        tmp = path.with_suffix(".tmp")
        module.write_corpus(tmp, size)
        tmp.replace(path)
    return path


def _wall(cmd: list[str], repeat: int = 5, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env=env)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


PLAIN_SCRIPT = """
import sys, rdflib
graph = rdflib.Graph()
for path in sys.argv[2:]:
    graph.parse(path, format="turtle")
for row in graph.query(open(sys.argv[1], encoding="utf-8").read()):
    print(row)
"""


def startup() -> dict[str, float]:
    """Cold start-up times (medians of 5), in seconds."""
    from nervegraph.resources import default_graph_files, query_dir

    nervegraph = str(Path(sys.executable).with_name("nervegraph"))
    env = dict(os.environ, NERVEGRAPH_CACHE_DIR=str(WORK / "cache"))
    subprocess.run([nervegraph, "query", "symptoms"], env=env, check=True,
                   stdout=subprocess.DEVNULL)  # builds the cached store
    files = [str(p) for p in default_graph_files()]
    query = str(query_dir() / "examples" / "symptoms.rq")
    return {
        "python -c pass": _wall([sys.executable, "-c", "pass"]),
        "nervegraph --help": _wall([nervegraph, "--help"]),
        "nervegraph query symptoms": _wall([nervegraph, "query", "symptoms"], env=env),
        "nervegraph query symptoms --engine rdflib": _wall(
            [nervegraph, "query", "symptoms", "--engine", "rdflib"], env=env
        ),
        "plain rdflib script": _wall([sys.executable, "-c", PLAIN_SCRIPT, query, *files]),
    }


def _fmt(value: float | None, timed_out: bool, timeout: float) -> str:
    if timed_out or value is None:
        return f"> {timeout:.0f} s"
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def _ratio(slow: float | None, fast: float | None, slow_out: bool, timeout: float) -> str:
    if fast is None or fast <= 0:
        return "–"
    if slow_out or slow is None:
        return f"> {timeout / fast:.0f}×"
    return f"{slow / fast:.1f}×"


def measure(size: int, timeout: float) -> list[list[str]]:
    """Return the table rows for one corpus size."""
    path = corpus_file(size)
    rows = []
    pairs = [("load", "rdflib", "oxigraph"), ("queries", "rdflib", "oxigraph"),
             ("validate", "pyshacl", "turbo")]
    for kind, slow_engine, fast_engine in pairs:
        fast, fast_out = _run([kind, fast_engine, str(path)], timeout)
        slow, slow_out = _run([kind, slow_engine, str(path)], timeout)
        f_last = fast[-1] if fast and "peak_mib" in fast[-1] else None
        s_last = slow[-1] if slow and "peak_mib" in slow[-1] else None
        if kind == "queries":
            # Compare query by query, over the queries both engines finished: a baseline
            # stopped at the timeout still gives a speed-up for what it did run.
            f_times = {r["query"]: r["seconds"] for r in fast if "query" in r}
            s_times = {r["query"]: r["seconds"] for r in slow if "query" in r}
            both = sorted(f_times.keys() & s_times.keys())
            total = f_last["count"] if f_last else len(f_times)
            label = f"queries: median (sum) of {len(both)} of {total}"
            s_sum = sum(s_times[q] for q in both)
            f_sum = sum(f_times[q] for q in both)
            s_med = statistics.median(s_times[q] for q in both) if both else None
            f_med = statistics.median(f_times[q] for q in both) if both else None
            cut = " (stopped)" if slow_out or s_last is None else ""
            slow_txt = f"{s_med:.4f} s ({s_sum:.2f} s){cut}" if both else f"> {timeout:.0f} s"
            fast_txt = f"{f_med:.4f} s ({f_sum:.2f} s)" if both else f"> {timeout:.0f} s"
            speedups = [s_times[q] / f_times[q] for q in both if f_times[q] > 0]
            rows.append([
                str(size), "", label, f"{slow_engine}: {slow_txt}", f"{fast_engine}: {fast_txt}",
                f"{statistics.median(speedups):.1f}× (median per query)" if speedups else "–",
                f"{s_last['peak_mib']:.0f}" if s_last else "–",
                f"{f_last['peak_mib']:.0f}" if f_last else "–",
            ])
            print(" | ".join(rows[-1]), flush=True)
            continue
        f_val = f_last["seconds"] if f_last else None
        s_val = s_last["seconds"] if s_last else None
        label = kind
        slow_txt = _fmt(s_val, slow_out or s_last is None, timeout)
        fast_txt = _fmt(f_val, fast_out or f_last is None, timeout)
        triples = next((r.get("triples") for r in fast if "triples" in r), "")
        rows.append([
            str(size), str(triples) if triples else "", label, f"{slow_engine}: {slow_txt}",
            f"{fast_engine}: {fast_txt}",
            _ratio(s_val, f_val, slow_out or s_last is None, timeout),
            f"{s_last['peak_mib']:.0f}" if s_last else "–",
            f"{f_last['peak_mib']:.0f}" if f_last else "–",
        ])
        print(" | ".join(rows[-1]), flush=True)
    return rows


def machine() -> str:
    """Describe the machine: cores, CPU model, Python and engine versions."""
    from importlib.metadata import version

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(
        f"{p} {version(p)}" for p in ("rdflib", "pyshacl", "pyoxigraph", "oxrdflib",
                                      "pyshacl-turbo")
    )
    return (f"{os.cpu_count()} cores (nproc), CPU {cpu}, Python {platform.python_version()}"
            f", {versions}")


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "ENGINE", "CORPUS"))
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "perf.md")
    args = parser.parse_args(argv)
    if args.worker:
        kind, engine, corpus = args.worker
        worker(kind, engine, Path(corpus))
        return 0
    header = ["articles", "triples", "measure", "baseline", "default", "speed-up",
              "baseline peak MiB", "default peak MiB"]
    rows: list[list[str]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows += measure(size, args.timeout)
    starts = startup()
    lines = [
        "# Performance: default engines vs rdflib / pySHACL",
        "",
        "<!-- Generated by: python benchmarks/bench_perf.py; do not edit. -->",
        "",
        f"Machine: {machine()}.",
        f"Per-measurement timeout: {args.timeout:.0f} s (a slower baseline shows as '> T s').",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "## Start-up (median of 5 runs)", "", "| command | seconds |", "|---|---|"]
    lines += [f"| `{k}` | {v:.3f} |" for k, v in starts.items()]
    base = starts["python -c pass"]
    lines += [
        "",
        f"- `nervegraph --help` = {starts['nervegraph --help'] / base:.1f}× `python -c pass`",
        "- cold `nervegraph query symptoms` is "
        f"{starts['plain rdflib script'] / starts['nervegraph query symptoms']:.1f}× faster "
        "than a plain rdflib script parsing the same files and running the same query",
    ]
    text = "\n".join(lines) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
