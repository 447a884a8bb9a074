"""A real Oxigraph server: serve, load, remote queries and their failures.

The session fixture starts ``oxigraph`` (the binary the ``oxigraph`` package installs
next to the interpreter) on a free 127.0.0.1 port with a temporary store and stops it at
the end; no test touches any other address.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import types
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
import rdflib.util
from click.testing import CliRunner
from rdflib.compare import isomorphic

from conftest import query_names
from nervegraph import cli
from nervegraph.errors import ParameterError, RemoteError, ServerError
from nervegraph.interchange.dataset import GRAPH_BASE, named_files
from nervegraph.interchange.gsp import count_triples, load_into_store, put_graph, store_endpoints
from nervegraph.interchange.server import Server, find_oxigraph, free_port, start_server
from nervegraph.queries import StoredQuery, param_candidates, run_query
from nervegraph.queries.remote import (
    comparable_graph,
    result_rows,
    run_remote,
    run_stored_remote,
)
from nervegraph.rdf.load import load_graph

LOOPBACK = "127.0.0.1"
#: A query that takes far longer than any timeout below: a 3-way cross join.
HEAVY_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"



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


@pytest.mark.slow
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
        with pytest.raises(RemoteError, match="405"):
            load_into_store(server.base_url, retries=1)


# ------------------------------------------------------------------ load


def test_load_twice_gives_the_same_counts(
    oxigraph_server: Server, local_graph: rdflib.Graph
) -> None:
    runner = CliRunner()
    outputs = []
    for _ in range(2):
        result = runner.invoke(
            cli.main,
            ["load", "--endpoint", oxigraph_server.base_url, "--token", str(oxigraph_server.token)],
        )
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
        report = load_into_store(
            oxigraph_server.query_url, graph=graph, data=[data], token=oxigraph_server.token
        )
        assert report.complete
        counts.append(report.graphs[graph])
    assert counts[0] == counts[1] == len(rdflib.Graph().parse(data))


def test_load_into_a_stopped_server_names_the_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nervegraph.interchange import gsp

    endpoint = f"http://{LOOPBACK}:{_unused_port()}"
    with pytest.raises(RemoteError) as info:
        load_into_store(endpoint, retries=2, backoff=0.01, journal=tmp_path / "load.json")
    message = str(info.value)
    assert "could not load graph <" + GRAPH_BASE in message
    assert "after 2 attempts" in message
    # The CLI's default retries wait 0.5 + 1 + 2 s between attempts: record the waits
    # (gsp's own 'time' only) instead of sleeping through them.
    waits: list[float] = []
    monkeypatch.setattr(gsp, "time", types.SimpleNamespace(**{**vars(time), "sleep": waits.append}))
    result = CliRunner().invoke(cli.main, ["load", "--endpoint", endpoint, "--timeout", "2"])
    assert result.exit_code == 2
    assert result.output.count("error:") == 1 and "Traceback" not in result.output
    assert f"after {gsp.DEFAULT_RETRIES} attempts" in result.output
    backoff = gsp.DEFAULT_BACKOFF
    assert waits == [backoff * 2**i for i in range(gsp.DEFAULT_RETRIES - 1)]


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


@pytest.mark.parametrize("name", query_names())
def test_stored_query_same_answer_remotely(
    name: str,
    catalogue: dict[str, StoredQuery],
    oxigraph_server: Server,
    local_graph: rdflib.Graph,
) -> None:
    query = catalogue[name]
    _same_answer(query, local_graph, oxigraph_server.query_url, _params_for(query, local_graph))


def _parsed(fmt: str, text: str) -> object:
    """A serialised SELECT result as comparable data: header, then rows in sorted order."""
    if fmt == "json":
        data = json.loads(text)
        bindings = sorted(json.dumps(b, sort_keys=True) for b in data["results"]["bindings"])
        return data["head"], bindings
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0], sorted(rows[1:])
    lines = text.splitlines()
    if fmt == "tsv":
        return lines[0], sorted(lines[1:])
    # table: header, rule, one line per row, "(N rows)"
    return lines[:2], sorted(lines[2:-1]), lines[-1]


def test_remote_result_formats_like_local(
    oxigraph_server: Server, local_graph: rdflib.Graph, catalogue: dict[str, StoredQuery]
) -> None:
    """Every format of a remote answer says what the local one says (row order aside)."""
    query = next(
        q
        for q in catalogue.values()
        if q.query_type == "SELECT" and not q.params and "GROUP_CONCAT" not in q.text.upper()
    )
    here = run_query(query, local_graph)
    there = run_stored_remote(query, oxigraph_server.query_url, local_graph)
    assert len(here.rows) >= 2, query.name  # rows whose order could differ
    for fmt in ("table", "csv", "tsv", "json"):
        assert _parsed(fmt, there.serialize(fmt)) == _parsed(fmt, here.serialize(fmt)), fmt


def test_parameter_values_are_sent_as_terms_not_text(
    oxigraph_server: Server, local_graph: rdflib.Graph, catalogue: dict[str, StoredQuery]
) -> None:
    query = next(q for q in catalogue.values() if any(p.required for p in q.params))
    param = next(p for p in query.params if p.required)
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = run_remote(count, oxigraph_server.query_url).rows
    with pytest.raises(ParameterError) as info:
        run_stored_remote(
            query, oxigraph_server.query_url, local_graph, **{param.name: '"} } DROP ALL #'}
        )
    assert info.value.parameter == param.name
    assert str(info.value).startswith(
        f"parameter '{param.name}': no "
    ) and "matches '\"} } DROP ALL #'; accepted: " in str(info.value)
    assert run_remote(count, oxigraph_server.query_url).rows == before


def test_server_down_is_a_remote_error() -> None:
    endpoint = f"http://{LOOPBACK}:{_unused_port()}/query"
    with pytest.raises(RemoteError, match="unreachable"):
        run_remote("ASK {}", endpoint, timeout=2)


def test_http_error_is_a_remote_error(oxigraph_server: Server) -> None:
    # a POST to an unknown path is not a known read, so the guard wants the token (401)
    with pytest.raises(RemoteError, match="Unauthorized|404|EndPointNotFound"):
        run_remote("ASK {}", oxigraph_server.base_url + "/no-such-endpoint")


@pytest.fixture(scope="module")
def timeout_server() -> Iterator[Server]:
    """A server that stops any query after 1 s, for the three time-out tests.

    The server time-out test goes first: the client time-out tests leave their query
    running on the server (until its 1 s), which would slow the next one down.
    """
    with start_server(port=0, timeout_s=1) as server:
        yield server


def test_server_timeout_is_a_clear_error(timeout_server: Server) -> None:
    started = time.monotonic()
    with pytest.raises(RemoteError, match="timed out"):
        run_remote(HEAVY_QUERY, timeout_server.query_url, timeout=30)
    assert time.monotonic() - started < 15  # the server's 1 s, not the client's 30 s


def test_client_timeout_is_a_clear_error(timeout_server: Server) -> None:
    started = time.monotonic()
    with pytest.raises(RemoteError, match="timed out"):
        run_remote(HEAVY_QUERY, timeout_server.query_url, timeout=0.3)
    assert time.monotonic() - started < 1  # the client's 0.3 s, not the server's 1 s


# ------------------------------------------------------------------ a second engine
#
# Opt-in: NERVEGRAPH_SECOND_ENGINE = the second store's base or query URL; optional
# NERVEGRAPH_SECOND_ENGINE_QUERY / _STORE (its SPARQL query and Graph Store URLs when they
# do not follow from it) and _USER / _PASSWORD (HTTP Basic or Digest credentials for the
# Graph Store URL). docs/interchange.md ("A second engine") has the commands for Virtuoso.

SECOND_ENGINE = os.environ.get("NERVEGRAPH_SECOND_ENGINE", "")
#: Named graph the QC fixtures go into on the second store (replaced, then emptied).
QC_GRAPH = GRAPH_BASE + "test-qc-fixture"

#: Wrong answers of a second engine that no normalisation may hide: (the start of its
#: HTTP ``Server`` header, stored query, data: "bundled" or "fixture") -> what goes
#: wrong. Such a test is a strict xfail on that engine only, so a fixed engine shows up
#: as a failure (XPASS) and the entry must go.
KNOWN_ENGINE_BUGS: dict[tuple[str, str, str], str] = {
}

second_engine = pytest.mark.skipif(
    not SECOND_ENGINE,
    reason="set NERVEGRAPH_SECOND_ENGINE to a second store's base URL (see docs/interchange.md)",
)


@dataclass(frozen=True)
class SecondEngine:
    """The second store after the bundled graph was loaded into it."""

    query_url: str
    store_url: str
    auth: tuple[str, str] | None
    server: str  # its HTTP Server header, e.g. "Virtuoso/07.20.3229 (Linux) ..."
    graphs: tuple[str, ...]

    def scoped(self, graphs: Iterable[str]) -> str:
        """The query URL with the default graph set to the merge of ``graphs``.

        SPARQL 1.1 Protocol ``default-graph-uri`` parameters: a store's own graphs
        (Virtuoso ships OWL, DAV and system graphs in its default graph) stay out.
        """
        params = "&".join(
            "default-graph-uri=" + urllib.parse.quote(g, safe="") for g in graphs
        )
        return self.query_url + ("&" if "?" in self.query_url else "?") + params


def _server_header(query_url: str) -> str:
    request = urllib.request.Request(  # noqa: S310 - the URL the user gave
        query_url,
        data=urllib.parse.urlencode({"query": "ASK {}"}).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.headers.get("Server", "")


@pytest.fixture(scope="module")
def second_store(local_graph: rdflib.Graph) -> Iterator[SecondEngine]:
    """Load the bundled graph into the second store with ``nervegraph load``."""
    if not SECOND_ENGINE:
        pytest.skip("NERVEGRAPH_SECOND_ENGINE is not set")
    user = os.environ.get("NERVEGRAPH_SECOND_ENGINE_USER")
    password = os.environ.get("NERVEGRAPH_SECOND_ENGINE_PASSWORD", "")
    endpoints = store_endpoints(
        SECOND_ENGINE,
        query_url=os.environ.get("NERVEGRAPH_SECOND_ENGINE_QUERY"),
        store_url=os.environ.get("NERVEGRAPH_SECOND_ENGINE_STORE"),
    )
    auth = (user, password) if user else None
    # the CLI path: nervegraph load takes the Graph Store URL and credentials from env
    env = {"NERVEGRAPH_STORE_URL": endpoints.store}
    if auth:
        env |= {"NERVEGRAPH_STORE_USER": auth[0], "NERVEGRAPH_STORE_PASSWORD": auth[1]}
    result = CliRunner().invoke(cli.main, ["load", "--endpoint", endpoints.query], env=env)
    assert result.exit_code == 0, result.output
    total = re.search(r"^(\d+) distinct triples", result.output, re.MULTILINE)
    assert total is not None and int(total.group(1)) == len(local_graph), result.output
    yield SecondEngine(
        query_url=endpoints.query,
        store_url=endpoints.store,
        auth=auth,
        server=_server_header(endpoints.query),
        graphs=tuple(item.graph for item in named_files()),
    )
    put_graph(endpoints.store, QC_GRAPH, rdflib.Graph(), auth=auth)  # leave it empty


def _expect_engine_bug(
    request: pytest.FixtureRequest, engine: SecondEngine, name: str, data: str
) -> None:
    """Mark the running test a strict xfail if ``KNOWN_ENGINE_BUGS`` lists it."""
    for (server, query_name, on), reason in KNOWN_ENGINE_BUGS.items():
        if (query_name, on) == (name, data) and engine.server.startswith(server):
            request.node.add_marker(pytest.mark.xfail(reason=reason, strict=True))


def _same_answer(
    query: StoredQuery, local: rdflib.Graph, endpoint: str, params: dict[str, str]
) -> None:
    """Assert the stored query answers the same on ``endpoint`` as on ``local``.

    Normalised, because SPARQL leaves them to the engine: the order of GROUP_CONCAT
    parts, row order (rows compare as sets, with equal counts), blank node labels
    (CONSTRUCT graphs compare by isomorphism) and integer subtypes stored as
    xsd:integer (see ``nervegraph.queries.remote.INTEGER_SUBTYPES``). Nothing else.
    """
    here = run_query(query, local, **params)
    there = run_stored_remote(query, endpoint, local, **params)
    assert there.query_type == here.query_type
    if here.graph is not None:
        assert there.graph is not None
        assert isomorphic(comparable_graph(here.graph), comparable_graph(there.graph))
    elif here.query_type == "ASK":
        assert there.askAnswer == here.askAnswer
    else:
        assert there.vars == here.vars
        assert _unordered_group_concat(
            query, result_rows(there), there.vars
        ) == _unordered_group_concat(query, result_rows(here), here.vars)
        assert len(there.rows) == len(here.rows)


@pytest.mark.second_engine
@second_engine
def test_second_engine_same_counts(
    second_store: SecondEngine, local_graph: rdflib.Graph
) -> None:
    """Loading twice leaves every graph with the triples sent, counted by the store."""
    report = load_into_store(
        second_store.query_url,
        store_url=second_store.store_url,
        user=second_store.auth[0] if second_store.auth else None,
        password=second_store.auth[1] if second_store.auth else None,
    )
    assert report.complete, (report.graphs, report.expected)
    assert report.distinct_triples == len(local_graph)


@pytest.mark.second_engine
@second_engine
@pytest.mark.parametrize("name", query_names())
def test_second_engine_same_answer(
    name: str,
    catalogue: dict[str, StoredQuery],
    second_store: SecondEngine,
    local_graph: rdflib.Graph,
    request: pytest.FixtureRequest,
) -> None:
    query = catalogue[name]
    _expect_engine_bug(request, second_store, query.name, "bundled")
    endpoint = second_store.scoped(second_store.graphs)
    _same_answer(query, local_graph, endpoint, _params_for(query, local_graph))


@pytest.mark.second_engine
@second_engine
@pytest.mark.parametrize("name", query_names("qc"))
def test_second_engine_qc_finds_the_broken_fixture(
    name: str,
    catalogue: dict[str, StoredQuery],
    second_store: SecondEngine,
    request: pytest.FixtureRequest,
) -> None:
    """Compare the QC queries on their broken fixtures, not only on clean data.

    On the bundled data every QC query finds nothing on both engines; the ontology plus
    ``tests/data/qc/<name>.ttl`` gives each one rows to compare.
    """
    query = catalogue[name]
    _expect_engine_bug(request, second_store, query.name, "fixture")
    fixture = Path(__file__).parent / "data" / "qc" / f"{query.name.removeprefix('qc/')}.ttl"
    broken = load_graph([fixture])
    put_graph(second_store.store_url, QC_GRAPH, broken, auth=second_store.auth)
    assert count_triples(second_store.query_url, QC_GRAPH) == len(broken)
    assert run_query(query, broken).rows, f"{fixture.name} breaks nothing locally"
    _same_answer(query, broken, second_store.scoped([QC_GRAPH]), {})


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
    assert table.exit_code == 0 and "lumbar disc issues" in table.output


def test_query_cli_endpoint_down_exits_2() -> None:
    endpoint = f"http://{LOOPBACK}:{_unused_port()}/query"
    result = CliRunner().invoke(cli.main, ["query", "symptoms", "--endpoint", endpoint])
    assert result.exit_code == 2
    assert "unreachable" in result.output and "Traceback" not in result.output


def test_query_cli_endpoint_timeout_exits_2(timeout_server: Server) -> None:
    # A real process: at its --timeout the CLI exits the whole process (os._exit), which
    # in-process (CliRunner) would end the test session itself.
    proc = subprocess.run(
        [sys.executable, "-m", "nervegraph.cli", "query", "-"]
        + ["--endpoint", timeout_server.query_url, "--timeout", "0.3"],
        input=HEAVY_QUERY,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(r"timed out|did not finish within 0\.3 s \(--timeout\)", proc.stderr)
    assert "Traceback" not in proc.stderr
