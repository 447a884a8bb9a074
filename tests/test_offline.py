"""Offline by default: parsing, validation and local queries make no network call.

Two witnesses watch every test here: an audit hook that records each
``socket.connect``/``getaddrinfo`` that actually goes ahead, and a tiny HTTP server on
127.0.0.1 that records every request it receives. The hostile inputs point at that
server, so a leak would show on both.
"""

from __future__ import annotations

import http.server
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from nervegraph import cli
from nervegraph.errors import InputError, NervegraphError, NetworkRefused, QueryError
from nervegraph.queries import run_query
from nervegraph.rdf.load import load_graph
from nervegraph.rdf.offline import offline
from nervegraph.shacl.validate import _run_pyshacl, validate_graph

CONNECTS: list[tuple[str, object]] = []
_recording = threading.Event()


def _record(event: str, args: tuple[object, ...]) -> None:
    if _recording.is_set() and event in ("socket.connect", "socket.getaddrinfo"):
        CONNECTS.append((event, args[1] if event == "socket.connect" else args[0]))


sys.addaudithook(_record)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(b'{"head": {"vars": []}, "results": {"bindings": []}}')

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener() -> Iterator[str]:
    """A recording HTTP server on 127.0.0.1; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def watch() -> Iterator[None]:
    """Record connections during the test and assert there were none."""
    CONNECTS.clear()
    _Recorder.hits.clear()
    _recording.set()
    yield
    _recording.clear()
    assert CONNECTS == [], f"outbound connection attempts: {CONNECTS}"
    assert _Recorder.hits == [], f"requests reached the listener: {_Recorder.hits}"


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    return load_graph()


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * FROM <{url}/g.ttl> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM NAMED <{url}/g.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "ASK {{ service <{url}/sparql> {{ ?s ?p ?o }} }}",
    ],
)
def test_query_reading_remote_data_is_refused(
    template: str, listener: str, graph: rdflib.Graph, watch: None
) -> None:
    with pytest.raises(QueryError, match="--allow-network"):
        run_query(template.format(url=listener), graph)


def test_load_is_an_update_and_never_runs(listener: str, graph: rdflib.Graph, watch: None) -> None:
    for allow in (False, True):
        with pytest.raises(QueryError, match="SPARQL update"):
            run_query(f"LOAD <{listener}/g.ttl>", graph, allow_network=allow)


def test_cli_names_the_option(listener: str, watch: None) -> None:
    result = CliRunner().invoke(
        cli.main,
        ["query", "-"],
        input=f"SELECT * WHERE {{ SERVICE <{listener}/s> {{ ?s ?p ?o }} }}",
    )
    assert result.exit_code == 2
    assert "--allow-network" in result.output and "Traceback" not in result.output


def test_allow_network_really_allows_it(listener: str, graph: rdflib.Graph) -> None:
    """The opt-in works: with --allow-network rdflib's SERVICE reaches the server."""
    _Recorder.hits.clear()
    try:
        run_query(
            f"SELECT * WHERE {{ SERVICE <{listener}/sparql> {{ ?s ?p ?o }} }}",
            graph,
            allow_network=True,
        )
    except QueryError:
        pass  # the stub's answer need not satisfy rdflib; the request is what counts
    assert _Recorder.hits, "SERVICE with allow_network=True did not reach the server"


def test_guard_refuses_and_names_the_target(listener: str, watch: None) -> None:
    with pytest.raises(NetworkRefused, match="127.0.0.1"):
        with offline(what="test", option="--allow-network"):
            urllib.request.urlopen(listener + "/x", timeout=2)  # noqa: S310


def test_guard_sees_through_swallowed_errors(listener: str, watch: None) -> None:
    """Code that catches the socket error cannot turn a refusal into a silent answer."""
    with pytest.raises(NetworkRefused):
        with offline(what="test"):
            try:
                urllib.request.urlopen(listener + "/x", timeout=2)  # noqa: S310
            except Exception:  # noqa: BLE001, S110 - what rdflib's SERVICE does
                pass


def test_guard_is_per_thread(listener: str) -> None:
    """Another thread (e.g. a remote query) is not affected by a guarded block."""
    _Recorder.hits.clear()
    done: list[int] = []
    with offline():
        worker = threading.Thread(
            target=lambda: done.append(
                urllib.request.urlopen(listener + "/ok", timeout=5).status  # noqa: S310
            )
        )
        worker.start()
        worker.join(10)
    assert done == [200]


@pytest.mark.parametrize(
    "context",
    [
        '"{url}/context.jsonld"',
        '["{url}/context.jsonld"]',
        '[{{"ex": "http://example.org/"}}, "{url}/context.jsonld"]',
        '{{"@import": "{url}/context.jsonld"}}',
    ],
)
def test_remote_jsonld_context_is_refused(
    context: str, listener: str, tmp_path: Path, watch: None
) -> None:
    path = tmp_path / "doc.jsonld"
    path.write_text(
        '{"@context": ' + context.format(url=listener) + ', "@id": "http://example.org/a", '
        '"http://example.org/p": "x"}',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="network") as caught:
        load_graph([path], include_ontology=False)
    assert caught.value.line == 1


def test_owl_imports_in_data_and_shapes_are_not_followed(
    listener: str, tmp_path: Path, watch: None
) -> None:
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        f"<http://example.org/a> owl:imports <{listener}/ontology.ttl> .\n",
        encoding="utf-8",
    )
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        f"<http://example.org/shapes> owl:imports <{listener}/more-shapes.ttl> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;\n"
        "  sh:property [ sh:path owl:imports ; sh:minCount 1 ] .\n",
        encoding="utf-8",
    )
    result = validate_graph(load_graph([data], include_ontology=False), shapes=[shapes])
    assert result.conforms


SERVICE_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
<http://example.org/S> a sh:NodeShape ;
  sh:targetNode <http://example.org/a> ;
  sh:sparql [ sh:select "SELECT $this WHERE {{ SERVICE <{url}/sparql> {{ $this ?p ?o }} }}" ] .
"""


def test_shacl_sparql_constraint_with_service_is_refused(
    listener: str, tmp_path: Path, watch: None
) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(SERVICE_SHAPES.format(url=listener), encoding="utf-8")
    data = rdflib.Graph()
    data.add((rdflib.URIRef("http://example.org/a"), rdflib.RDFS.label, rdflib.Literal("a")))
    with pytest.raises(NervegraphError, match="SERVICE"):
        validate_graph(data, shapes=[shapes])


def test_guard_catches_service_that_slips_past_the_shape_lint(listener: str, watch: None) -> None:
    """Defence in depth: run pySHACL directly (no lint); the audit guard still refuses."""
    shapes = rdflib.Graph().parse(data=SERVICE_SHAPES.format(url=listener), format="turtle")
    data = rdflib.Graph()
    data.add((rdflib.URIRef("http://example.org/a"), rdflib.RDFS.label, rdflib.Literal("a")))
    with pytest.raises(NervegraphError, match="SERVICE"):
        _run_pyshacl(data, shapes, True)
