"""A real Oxigraph server: serve, load, remote queries and their failures.

The session fixture starts ``oxigraph`` (the binary the ``oxigraph`` package installs
next to the interpreter) on a free 127.0.0.1 port with a temporary store and stops it at
the end; no test touches any other address.
"""

from __future__ import annotations

import os
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
import rdflib.util
from click.testing import CliRunner
from rdflib.compare import isomorphic

from nervegraph import cli
from nervegraph.dataset import GRAPH_BASE, named_files
from nervegraph.errors import RemoteError, ServerError
from nervegraph.queries import StoredQuery, list_queries, param_candidates, run_query
from nervegraph.remote import (
    comparable_graph,
    result_rows,
    run_remote,
    run_stored_remote,
)
from nervegraph.server import Server, find_oxigraph, free_port, start_server
from nervegraph.store import count_triples, load_into_store

LOOPBACK = "127.0.0.1"
#: A query that takes far longer than any timeout below: a 3-way cross join.
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

pytestmark = pytest.mark.slow


# local_graph and oxigraph_server are session fixtures in conftest.py.


def _unused_port() -> int:
    return free_port(LOOPBACK)


# ------------------------------------------------------------------ binary and serve


def test_binary_is_found_without_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    binary = find_oxigraph()
    assert binary.is_file() and os.access(binary, os.X_OK)


def test_union_default_graph_equals_local_graph(
    oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    result = run_remote(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
        oxigraph_server.query_url,
    )
    assert int(result.rows[0]["n"]) == len(local_graph)  # type: ignore[arg-type]
    graphs = run_remote(
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", oxigraph_server.query_url
    )
    names = {str(row["g"]) for row in graphs.rows}
    assert names >= {item.graph for item in named_files()}
    assert all(name.startswith(GRAPH_BASE) for name in names)


def test_serve_by_full_path_from_a_bare_environment(tmp_path: Path) -> None:
    """``/venv/bin/nervegraph serve`` works without the venv on PATH and stops on SIGINT."""
    executable = Path(sys.executable).parent / "nervegraph"
    if not executable.is_file():
        pytest.skip("nervegraph console script is not installed next to the interpreter")
    port = _unused_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    process = subprocess.Popen(
        [str(executable), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"http://{LOOPBACK}:{port}/query" in first, first + process.stderr.read()
        store = re.search(r"store (\S+)\)", first)
        assert store is not None
        result = run_remote("ASK { ?s ?p ?o }", f"http://{LOOPBACK}:{port}/query")
        assert result.askAnswer is True
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # the temporary store is removed and nothing listens on the port any more
    assert not Path(store.group(1)).exists()
    with pytest.raises(RemoteError):
        run_remote("ASK {}", f"http://{LOOPBACK}:{port}/query", timeout=2)


def test_serve_port_in_use_exits_2(oxigraph_server: Server) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--port", str(oxigraph_server.port)])
    assert result.exit_code == 2
    assert "already in use" in result.output
    assert "Traceback" not in result.output


def test_start_server_port_in_use_raises(oxigraph_server: Server) -> None:
    with pytest.raises(ServerError, match="already in use"):
        with start_server(port=oxigraph_server.port, load=False):
            pass  # pragma: no cover


def test_read_only_server_refuses_writes(tmp_path: Path) -> None:
    with start_server(port=0, location=tmp_path / "db") as server:
        with pytest.raises(RemoteError, match="403"):
            load_into_store(server.base_url, retries=1)


# ------------------------------------------------------------------ load


def test_load_twice_gives_the_same_counts(
    oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    runner = CliRunner()
    outputs = []
    for _ in range(2):
        result = runner.invoke(cli.main, ["load", "--endpoint", oxigraph_server.base_url])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1]
    total = re.search(r"^(\d+) distinct triples", outputs[1], re.MULTILINE)
    assert total is not None and int(total.group(1)) == len(local_graph)
    for item in named_files():
        assert f"<{item.graph}>" in outputs[1]


def test_load_one_named_graph_with_blank_nodes_is_idempotent(
    oxigraph_server: Server, tmp_path: Path
) -> None:
    data = tmp_path / "bnodes.ttl"
    data.write_text(
        "@prefix ex: <https://example.org/> .\n"
        "ex:a ex:p [ ex:q 1 ; ex:r [ ex:s 2 ] ] .\nex:b ex:p ( 1 2 3 ) .\n",
        encoding="utf-8",
    )
    graph = "https://example.org/graph/bnodes"
    counts = []
    for _ in range(2):
        report = load_into_store(oxigraph_server.query_url, graph=graph, data=[data])
        assert report.complete
        counts.append(report.graphs[graph])
    assert counts[0] == counts[1] == len(rdflib.Graph().parse(data))


def test_load_into_a_stopped_server_names_the_graph(tmp_path: Path) -> None:
    endpoint = f"http://{LOOPBACK}:{_unused_port()}"
    with pytest.raises(RemoteError) as info:
        load_into_store(endpoint, retries=2, backoff=0.01)
    message = str(info.value)
    assert "could not load graph <" + GRAPH_BASE in message
    assert "after 2 attempts" in message
    result = CliRunner().invoke(cli.main, ["load", "--endpoint", endpoint, "--timeout", "2"])
    assert result.exit_code == 2
    assert result.output.count("error:") == 1 and "Traceback" not in result.output


def _big_graph(size: int) -> rdflib.Graph:
    ex = rdflib.Namespace("https://example.org/big/")
    graph = rdflib.Graph()
    for i in range(size):
        graph.add((ex[f"s{i}"], ex.p, rdflib.Literal(f"value {i}")))
    return graph


def test_server_killed_during_load_leaves_graph_complete_or_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nervegraph import store

    location = tmp_path / "db"
    graph_iri = "https://example.org/graph/big"
    big = _big_graph(60_000)
    started = threading.Event()
    real_urlopen = urllib.request.urlopen

    def announcing_urlopen(request, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(request, "method", None) == "PUT":
            started.set()
        return real_urlopen(request, *args, **kwargs)

    monkeypatch.setattr(store.urllib.request, "urlopen", announcing_urlopen)
    errors: list[BaseException] = []
    port = _unused_port()
    with start_server(port=port, location=location, writable=True, load=False) as server:

        def load() -> None:
            try:
                store.put_graph(server.store_url, graph_iri, big, retries=1, timeout=30)
            except BaseException as exc:  # noqa: BLE001 - inspected below
                errors.append(exc)

        worker = threading.Thread(target=load)
        worker.start()
        assert started.wait(30)
        time.sleep(0.3)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        worker.join(60)
        assert not worker.is_alive()
    monkeypatch.undo()
    if errors:
        assert isinstance(errors[0], RemoteError)
        assert graph_iri in str(errors[0])
    with start_server(port=port, location=location, load=False) as server:
        count = count_triples(server.query_url, graph_iri)
    print(f"after SIGKILL: {count} of {len(big)} triples; load error: {errors[:1]}")
    assert count in (0, len(big)), f"partial graph after SIGKILL: {count} of {len(big)}"


# ------------------------------------------------------------------ remote queries


def _params_for(query: StoredQuery, graph: rdflib.Graph) -> dict[str, str]:
    """Pick a value for each required parameter: the first candidate IRI."""
    values: dict[str, str] = {}
    for param in query.params:
        if param.required:
            candidates = sorted(param_candidates(graph, param))
            assert candidates, f"{query.name}: no value for {param.name}"
            values[param.name] = str(candidates[0])
    return values


_GROUP_CONCAT = re.compile(
    r"GROUP_CONCAT\s*\((?P<body>(?:[^()]|\([^()]*\))*)\)\s*AS\s+\?(?P<var>\w+)", re.IGNORECASE
)
_SEPARATOR = re.compile(r"separator\s*=\s*\"((?:[^\"\\]|\\.)*)\"", re.IGNORECASE)


def _unordered_group_concat(query: StoredQuery, rows: set[tuple[str, ...]], vars_: list[str]):
    """Sort the parts of GROUP_CONCAT values: SPARQL leaves their order to the engine."""
    separators: dict[int, str] = {}
    for match in _GROUP_CONCAT.finditer(query.text):
        if match.group("var") in vars_:
            sep = _SEPARATOR.search(match.group("body"))
            separators[vars_.index(match.group("var"))] = sep.group(1) if sep else " "
    if not separators:
        return rows
    out = set()
    for row in rows:
        cells = list(row)
        for index, sep in separators.items():
            term = rdflib.util.from_n3(cells[index]) if cells[index] else None
            if isinstance(term, rdflib.Literal):
                parts = sorted(str(term).split(sep))
                cells[index] = rdflib.Literal(sep.join(parts)).n3()
        out.add(tuple(cells))
    return out


@pytest.mark.parametrize("query", list_queries(), ids=lambda q: q.name)
def test_stored_query_same_answer_remotely(
    query: StoredQuery, oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    params = _params_for(query, local_graph)
    local = run_query(query, local_graph, **params)
    remote = run_stored_remote(query, oxigraph_server.query_url, local_graph, **params)
    assert remote.query_type == local.query_type
    if local.graph is not None:
        assert remote.graph is not None
        assert isomorphic(comparable_graph(local.graph), comparable_graph(remote.graph))
    elif local.query_type == "ASK":
        assert remote.askAnswer == local.askAnswer
    else:
        assert remote.vars == local.vars
        assert _unordered_group_concat(
            query, result_rows(remote), remote.vars
        ) == _unordered_group_concat(query, result_rows(local), local.vars)
        assert len(remote.rows) == len(local.rows)


def test_remote_result_formats_like_local(
    oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    query = next(q for q in list_queries() if q.query_type == "SELECT" and not q.params)
    remote = run_stored_remote(query, oxigraph_server.query_url, local_graph)
    for fmt in ("table", "csv", "tsv", "json"):
        assert remote.serialize(fmt).strip()


def test_parameter_values_are_sent_as_terms_not_text(
    oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    query = next(q for q in list_queries() if any(p.required for p in q.params))
    param = next(p for p in query.params if p.required)
    with pytest.raises(Exception, match=r"no .* matches|not found|unknown|ambiguous"):
        run_stored_remote(
            query, oxigraph_server.query_url, local_graph, **{param.name: '"} } DROP ALL #'}
        )


def test_server_down_is_a_remote_error() -> None:
    endpoint = f"http://{LOOPBACK}:{_unused_port()}/query"
    with pytest.raises(RemoteError, match="unreachable"):
        run_remote("ASK {}", endpoint, timeout=2)


def test_http_error_is_a_remote_error(oxigraph_server: Server) -> None:
    with pytest.raises(RemoteError, match="404|not possible to connect|EndPointNotFound"):
        run_remote("ASK {}", oxigraph_server.base_url + "/no-such-endpoint")


def test_client_timeout_is_a_clear_error() -> None:
    with start_server(port=0, timeout_s=3) as server:
        started = time.monotonic()
        with pytest.raises(RemoteError, match="timed out"):
            run_remote(HEAVY_QUERY, server.query_url, timeout=0.3)
        assert time.monotonic() - started < 3


def test_server_timeout_is_a_clear_error() -> None:
    with start_server(port=0, timeout_s=1) as server:
        with pytest.raises(RemoteError, match="timed out"):
            run_remote(HEAVY_QUERY, server.query_url, timeout=30)


# ------------------------------------------------------------------ a second engine


@pytest.mark.second_engine
@pytest.mark.skipif(
    not os.environ.get("NERVEGRAPH_SECOND_ENGINE"),
    reason="set NERVEGRAPH_SECOND_ENGINE to a second store's base URL (see README)",
)
def test_second_engine_same_counts(local_graph: rdflib.Graph) -> None:
    """Load into a second store (``NERVEGRAPH_SECOND_ENGINE`` = its base URL) and count.

    The store must speak the Graph Store Protocol at ``<base>/data`` (Fuseki) or
    ``<base>/store``; set ``NERVEGRAPH_SECOND_ENGINE_STORE`` / ``..._QUERY`` to override.
    """
    base = os.environ["NERVEGRAPH_SECOND_ENGINE"]
    report = load_into_store(
        base,
        query_url=os.environ.get("NERVEGRAPH_SECOND_ENGINE_QUERY"),
        store_url=os.environ.get("NERVEGRAPH_SECOND_ENGINE_STORE"),
    )
    assert report.complete
    assert report.distinct_triples == len(local_graph)


# ------------------------------------------------------------------ query --endpoint


def _csv_rows(text: str) -> list[str]:
    lines = text.splitlines()
    return [lines[0], *sorted(lines[1:])]


def test_query_cli_endpoint_matches_local(oxigraph_server: Server) -> None:
    runner = CliRunner()
    args = ["query", "causes-by-region", "-p", "region=lumbar", "-f", "csv"]
    local = runner.invoke(cli.main, args)
    remote = runner.invoke(cli.main, [*args, "--endpoint", oxigraph_server.query_url])
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert _csv_rows(remote.output) == _csv_rows(local.output)
    table = runner.invoke(
        cli.main,
        [
            "query",
            "causes-by-region",
            "-p",
            "region=lumbar",
            "--endpoint",
            oxigraph_server.query_url,
        ],
    )
    assert table.exit_code == 0 and "herniated disc" in table.output


def test_query_cli_endpoint_down_exits_2() -> None:
    endpoint = f"http://{LOOPBACK}:{_unused_port()}/query"
    result = CliRunner().invoke(cli.main, ["query", "symptoms", "--endpoint", endpoint])
    assert result.exit_code == 2
    assert "unreachable" in result.output and "Traceback" not in result.output


def test_query_cli_endpoint_timeout_exits_2() -> None:
    with start_server(port=0, timeout_s=3) as server:
        result = CliRunner().invoke(
            cli.main,
            ["query", "-", "--endpoint", server.query_url, "--timeout", "0.3"],
            input=HEAVY_QUERY,
        )
    assert result.exit_code == 2
    assert "timed out" in result.output
