"""Side-by-side performance: the default engines vs rdflib / pySHACL, at 1-1000 articles.

Usage::

    python benchmarks/bench_perf.py [--sizes 1,10,100,1000] [--timeout 300]
        [--query-timeout 30] [--skip validate:pyshacl:1000]
        [--output benchmarks/results/perf.md]

For each corpus size (``benchmarks/corpus.py``: N articles shaped like the bundled one,
plus the ontology) every measurement runs in its own subprocess, which reports its wall
time and its peak RSS (``resource.getrusage``):

* **load**: ``load_graph(files, engine=...)`` with ``oxigraph`` vs ``rdflib``;
* **queries**: every stored query (required parameters get the first instance of
  their class) after the load, each stopped (SIGALRM) after ``--query-timeout``
  seconds; the median and the sum over the queries both engines finished, and the
  median of the per-query ratios (a stopped baseline query counts with the limit as
  its time: a lower bound, marked "≥");
* **validate**: ``validate_graph(graph, engine=...)`` with ``turbo`` vs ``pyshacl``;
* **everyday commands** (issue 12's targets, on the bundled graph): ``nervegraph --help``
  vs ``python -c pass``; ``query`` with and without a parameter in every format,
  ``queries`` and ``lint`` vs a plain rdflib script that parses the same files and runs
  one query; ``validate`` vs a plain pySHACL script (medians of 5 runs). Run only this
  part with ``--sizes ''``.

The report ends with a table of every stored query at every size (both engines' times
and the ratio). A subprocess that runs longer than ``--timeout`` seconds (for queries: the load plus
each query's limit) is stopped and reported as ``> T s``. ``--skip KIND:ENGINE:SIZE``
leaves a baseline out. The table goes to stdout and ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
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
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: seconds one stored query may run (``--query-timeout``) before it counts as "> T s"
QUERY_TIMEOUT = float(os.environ.get("NERVEGRAPH_BENCH_QUERY_TIMEOUT", "30"))
#: stored queries in the catalogue (bounds how long a queries worker may run)
QUERY_COUNT = len(list((ROOT / "queries").rglob("*.rq")))


class _Stopped(BaseException):  # not Exception: rdflib swallows those in FILTERs
    pass


def _stop(signum: int, frame: Any) -> None:
    raise _Stopped


def _timed(work: Any, timeout: float) -> float | None:
    """Run ``work()``; return its wall time, or ``None`` if stopped after ``timeout`` s.

    SIGALRM interrupts Python code (all of rdflib's engine; pyoxigraph between result
    rows), so a stuck query costs one query's limit, not the whole run. In-process, not
    in a forked child: a fork's copy-on-write page faults would be timed too.
    """
    signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    started = time.perf_counter()
    try:
        work()
    except _Stopped:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - started


def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def worker(kind: str, engine: str, corpus: Path) -> None:
    """Run one measurement and print JSON lines (the last one has the totals)."""
    import logging

    logging.disable(logging.WARNING)
    import oxrdflib  # noqa: F401 - both engines return an rdflib Graph: imports are not
    import rdflib  # noqa: F401 - the load (nervegraph.rdf.load imports them lazily)

    from nervegraph.rdf.load import load_graph

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
            values = {p.name: min(param_candidates(graph, p)) for p in query.params if p.required}
            seconds = _timed(lambda q=query, v=values: len(run_query(q, graph, **v)), QUERY_TIMEOUT)
            _emit({"query": query.name, "seconds": seconds})
            if seconds is not None:
                times.append(seconds)
        _emit(
            {
                "seconds": sum(times),
                "median": statistics.median(times) if times else None,
                "count": len(times),
                "peak_mib": _peak_mib(),
            }
        )
        return
    if kind == "validate":
        from nervegraph.shacl.validate import validate_graph

        t0 = time.perf_counter()
        result = validate_graph(graph, engine=engine)
        _emit(
            {
                "seconds": time.perf_counter() - t0,
                "conforms": result.conforms,
                "results": len(result.violations),
                "peak_mib": _peak_mib(),
            }
        )
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
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env
        )
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

PLAIN_PYSHACL = """
import sys, rdflib, pyshacl
data = rdflib.Graph()
for path in sys.argv[2:]:
    data.parse(path, format="turtle")
shapes = rdflib.Graph().parse(sys.argv[1], format="turtle")
conforms, _, _ = pyshacl.validate(data, shacl_graph=shapes, advanced=True, inference="none")
print(conforms)
"""

#: the everyday commands of issue 12: (label, arguments); each runs on the bundled graph
EVERYDAY: list[tuple[str, list[str]]] = [
    *[
        (
            f"query causes-by-region -p region=lumbar -f {fmt}",
            ["query", "causes-by-region", "-p", "region=lumbar", "-f", fmt],
        )
        for fmt in ("table", "csv", "tsv", "json", "xml")
    ],
    *[
        (f"query symptoms -f {fmt}", ["query", "symptoms", "-f", fmt])
        for fmt in ("table", "csv", "tsv", "json", "xml")
    ],
    *[
        (
            f"query entity-neighbourhood -p entity=herniated-disc -f {fmt}",
            ["query", "entity-neighbourhood", "-p", "entity=herniated-disc", "-f", fmt],
        )
        for fmt in ("turtle", "nt", "jsonld", "xml", "table")
    ],
    ("queries", ["queries"]),
    ("queries causes-by-region", ["queries", "causes-by-region"]),
    ("lint", ["lint"]),
]


def startup(repeat: int = 5, quick: bool = False) -> dict[str, float]:
    """Wall times (medians of ``repeat``) of the everyday commands and their baselines.

    ``quick`` (the CI smoke test): one format per query and no pySHACL baseline.
    """
    from nervegraph.resources import default_graph_files, query_dir, shape_files

    nervegraph = str(Path(sys.executable).with_name("nervegraph"))
    files = [str(p) for p in default_graph_files()]
    query = str(query_dir() / "examples" / "symptoms.rq")
    times = {
        "python -c pass": _wall([sys.executable, "-c", "pass"], repeat),
        "nervegraph --help": _wall([nervegraph, "--help"], repeat),
        "plain rdflib script": _wall([sys.executable, "-c", PLAIN_SCRIPT, query, *files], repeat),
    }
    if not quick:
        times["plain pySHACL script"] = _wall(
            [sys.executable, "-c", PLAIN_PYSHACL, str(shape_files()[0]), *files], 1
        )
        times["nervegraph validate"] = _wall([nervegraph, "validate"], repeat)
    for label, args in EVERYDAY:
        if quick and "-f" in args and args[-1] not in ("table", "turtle"):
            continue
        times[f"nervegraph {label}"] = _wall([nervegraph, *args], repeat)
    return times


def startup_lines(starts: dict[str, float], repeat: int = 5) -> list[str]:
    """The start-up section of the report: times, and each target as a ratio."""
    runs = f"median of {repeat} runs" if repeat > 1 else "one run"
    plain, shacl = starts["plain rdflib script"], starts.get("plain pySHACL script")
    base = starts["python -c pass"]
    lines = [
        f"## Everyday commands ({runs}, bundled graph)",
        "",
        "Targets: every everyday command ≤ 0.33× a plain rdflib script that parses the same "
        "files and runs one query; `--help` ≤ 5× `python -c pass`; `validate` ≤ 0.1× a plain "
        "pySHACL script.",
        "",
        "| command | seconds | ratio | target |",
        "|---|---:|---:|---|",
    ]
    for name, value in starts.items():
        if name == "nervegraph --help":
            ratio, target = value / base, "≤ 5× python -c pass"
        elif name == "nervegraph validate" and shacl:
            ratio, target = value / shacl, "≤ 0.1× plain pySHACL"
        elif name.startswith("nervegraph "):
            ratio, target = value / plain, "≤ 0.33× plain rdflib"
        else:
            lines.append(f"| `{name}` | {value:.3f} | | baseline |")
            continue
        limit = float(target.split()[1].rstrip("×"))
        mark = "met" if ratio <= limit else "**not met**"
        lines.append(f"| `{name}` | {value:.3f} | {ratio:.2f}× | {target}: {mark} |")
    return lines


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


#: one stored-query worker's answer: query name -> seconds, ``None`` if stopped
QueryTimes = dict[str, float | None]


def _query_times(records: list[dict[str, Any]]) -> QueryTimes:
    return {r["query"]: r["seconds"] for r in records if "query" in r}


def _speedup(slow: float | None, fast: float) -> float:
    """Baseline / default time; a baseline stopped at its limit counts as the limit."""
    return (QUERY_TIMEOUT if slow is None else slow) / fast


def _query_row(
    size: int,
    f_times: QueryTimes,
    s_times: QueryTimes,
    f_last: dict[str, Any] | None,
    s_last: dict[str, Any] | None,
    slow_engine: str,
    fast_engine: str,
) -> list[str]:
    """Return the queries row of the table.

    Medians and sums are over the queries both engines finished; the speed-up is the
    median of the per-query ratios over every query the default engine finished.

    A baseline query stopped at its limit counts with the limit as its time, so its
    ratio is a lower bound and the median is marked "≥".
    """
    both = sorted(
        q
        for q in f_times.keys() & s_times.keys()
        if f_times[q] is not None and s_times[q] is not None
    )
    stopped = sorted(q for q, t in s_times.items() if t is None)
    total = len(f_times) or QUERY_COUNT
    label = f"queries: median (sum) of the {len(both)} of {total} both finished"
    if stopped:
        label += f"; {len(stopped)} {slow_engine} > {QUERY_TIMEOUT:.0f} s: " + ", ".join(
            q.split("/")[-1] for q in stopped
        )
    if both:
        s_txt = (
            f"{statistics.median(s_times[q] for q in both):.4f} s "
            f"({sum(s_times[q] for q in both):.2f} s)"
        )
        f_txt = (
            f"{statistics.median(f_times[q] for q in both):.4f} s "
            f"({sum(f_times[q] for q in both):.2f} s)"
        )
    else:
        s_txt = f_txt = "–"
    if s_last is None:
        s_txt += " (worker stopped)"
    speedups = [_speedup(s_times[q], t) for q, t in f_times.items() if t and q in s_times]
    bound = "≥ " if any(s_times.get(q) is None for q in f_times) else ""
    ratio = (
        (f"{bound}{statistics.median(speedups):.1f}× (median of {len(speedups)} per-query ratios)")
        if speedups
        else "–"
    )
    return [
        str(size),
        "",
        label,
        f"{slow_engine}: {s_txt}",
        f"{fast_engine}: {f_txt}",
        ratio,
        f"{s_last['peak_mib']:.0f}" if s_last else "–",
        f"{f_last['peak_mib']:.0f}" if f_last else "–",
    ]


#: per-query wall times of one size: (baseline, default); empty if not run
PerQuery = tuple[QueryTimes, QueryTimes]


def measure(
    size: int, timeout: float, skip: frozenset[str] = frozenset()
) -> tuple[list[list[str]], PerQuery]:
    """Return the table rows for one corpus size, and each stored query's times.

    ``skip`` names measurements not to run, as ``KIND:ENGINE:SIZE`` (``--skip``).
    """
    path = corpus_file(size)
    rows = []
    per_query: PerQuery = ({}, {})
    pairs = [
        ("load", "rdflib", "oxigraph"),
        ("queries", "rdflib", "oxigraph"),
        ("validate", "pyshacl", "turbo"),
    ]
    for kind, slow_engine, fast_engine in pairs:
        limit = timeout
        if kind == "queries":  # the load, then each query within its own limit
            limit = timeout + QUERY_COUNT * QUERY_TIMEOUT
        fast, fast_out = _run([kind, fast_engine, str(path)], limit)
        skipped = f"{kind}:{slow_engine}:{size}" in skip
        slow, slow_out = ([], False) if skipped else _run([kind, slow_engine, str(path)], limit)
        f_last = fast[-1] if fast and "peak_mib" in fast[-1] else None
        s_last = slow[-1] if slow and "peak_mib" in slow[-1] else None
        if kind == "queries":
            s_times, f_times = per_query = (_query_times(slow), _query_times(fast))
            row = _query_row(size, f_times, s_times, f_last, s_last, slow_engine, fast_engine)
            rows.append(row)
            if skipped:
                rows[-1][3] = f"{slow_engine}: not run (--skip)"
            print(" | ".join(rows[-1]), flush=True)
            continue
        f_val = f_last["seconds"] if f_last else None
        s_val = s_last["seconds"] if s_last else None
        label = kind
        slow_txt = _fmt(s_val, slow_out or s_last is None, timeout)
        if skipped:
            slow_txt = "not run (--skip)"
        fast_txt = _fmt(f_val, fast_out or f_last is None, timeout)
        triples = next((r.get("triples") for r in fast if "triples" in r), "")
        rows.append(
            [
                str(size),
                str(triples) if triples else "",
                label,
                f"{slow_engine}: {slow_txt}",
                f"{fast_engine}: {fast_txt}",
                "–" if skipped else _ratio(s_val, f_val, slow_out or s_last is None, timeout),
                f"{s_last['peak_mib']:.0f}" if s_last else "–",
                f"{f_last['peak_mib']:.0f}" if f_last else "–",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    return rows, per_query


def _seconds(value: float | None) -> str:
    if value is None:
        return f"> {QUERY_TIMEOUT:.0f}"
    return f"{value:.4f}" if value < 1 else f"{value:.2f}"


def query_table(per_size: dict[int, PerQuery]) -> list[str]:
    """Return the Markdown lines of the per-query table: one row per stored query.

    A cell is ``baseline / default seconds (ratio)``; a baseline stopped at its limit
    shows ``> T`` and its ratio is a lower bound (``≥``); one not run (``--skip``)
    shows ``–``.
    """
    sizes = sorted(per_size)
    names = sorted({name for _, fast in per_size.values() for name in fast})
    lines = [
        "| query | " + " | ".join(f"{size} articles" for size in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in names:
        cells = []
        for size in sizes:
            s_times, f_times = per_size[size]
            fast = f_times.get(name)
            if not fast:
                cells.append("–")
            elif name not in s_times:
                cells.append(f"– / {_seconds(fast)}")
            else:
                slow = s_times[name]
                bound = "≥ " if slow is None else ""
                ratio = _speedup(slow, fast)
                cells.append(f"{_seconds(slow)} / {_seconds(fast)} ({bound}{ratio:.1f}×)")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return lines


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
        f"{p} {version(p)}"
        for p in ("rdflib", "pyshacl", "pyoxigraph", "oxrdflib", "pyshacl-turbo")
    )
    return (
        f"{os.cpu_count()} cores (nproc), CPU {cpu}, Python {platform.python_version()}, {versions}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark and write the report."""
    global QUERY_TIMEOUT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "ENGINE", "CORPUS"))
    parser.add_argument("--sizes", default="1,10,100,1000")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="KIND:ENGINE:SIZE",
        help="do not run this baseline, e.g. validate:pyshacl:1000",
    )
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=QUERY_TIMEOUT,
        help="seconds each stored query may run (default 30)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="runs of each start-up command, the median is reported (default 5; "
        "tests/test_bench.py uses 1: it checks the report, not the numbers)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="everyday commands in one format each, no pySHACL baseline (the CI smoke test)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results" / "perf.md")
    args = parser.parse_args(argv)
    QUERY_TIMEOUT = args.query_timeout
    os.environ["NERVEGRAPH_BENCH_QUERY_TIMEOUT"] = str(args.query_timeout)  # for workers
    if args.worker:
        kind, engine, corpus = args.worker
        worker(kind, engine, Path(corpus))
        return 0
    header = [
        "articles",
        "triples",
        "measure",
        "baseline",
        "default",
        "speed-up",
        "baseline peak MiB",
        "default peak MiB",
    ]
    rows: list[list[str]] = []
    per_size: dict[int, PerQuery] = {}
    for size in (int(s) for s in args.sizes.split(",") if s):
        size_rows, per_size[size] = measure(size, args.timeout, frozenset(args.skip))
        rows += size_rows
    starts = startup(max(1, args.repeat), quick=args.quick)
    lines = [
        "# Performance: default engines vs rdflib / pySHACL",
        "",
        "<!-- Generated by: python benchmarks/bench_perf.py; do not edit. -->",
        "",
        f"Machine: {machine()}.",
        f"Per-measurement timeout: {args.timeout:.0f} s, per stored query "
        f"{args.query_timeout:.0f} s (a slower baseline shows as '> T s').",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", *startup_lines(starts, max(1, args.repeat))]
    lines += [
        "",
        "## Stored queries, one by one",
        "",
        "Seconds, rdflib / Oxigraph (speed-up), each query after the load.",
        "",
        *query_table(per_size),
    ]
    text = "\n".join(lines) + "\n"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    partial = args.output.with_name(args.output.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(args.output)  # atomic: an interrupted run leaves the old report
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
