r"""Hostile parameter values never execute, on every path.

~40 hand-written fragments (quotes, ``\"\"\"``, ``>``, ``}``, newlines, ``#``, NUL,
``\\u0022``, ``INSERT``/``DROP`` tails, IRIs with spaces, ``<http://x> } INSERT DATA
{…}``, 10,000-character strings …) × 5 wrappers give > 200 payloads. Each goes through

* the library: ``run_query("causes-by-region", region=payload)``;
* the CLI: ``nervegraph query causes-by-region --param region=PAYLOAD``;
* ``--endpoint`` to the session's real Oxigraph server on 127.0.0.1.

An honest lookup (the value as a label, whitespace normalised: ``"lumbar\n"`` *is*
``lumbar``) finds nothing for almost all of them, so the answer must be a
ParameterError (exit 2) or exactly the honest lookup's rows; invalid IRIs and
unresolvable labels are refused before any HTTP request (the sender is monkeypatched
to record calls); the store's triple count is unchanged at the end. Payloads that
*are* sent — as RDF literals bound with ``VALUES`` — come back with no rows.
"""

from __future__ import annotations

import pytest
import rdflib
from click.testing import CliRunner

from nervegraph import cli
from nervegraph.errors import ParameterError, QueryError
from nervegraph.interchange.server import Server
from nervegraph.queries import StoredQuery, bindings_as_values, remote, run_query
from nervegraph.queries import run as run_module
from nervegraph.queries.remote import run_remote, run_stored_remote

INSERTED = "<http://x/a> <http://x/b> <http://x/c>"
FRAGMENTS = [
    '"',
    "'",
    '"""',
    "'''",
    ">",
    "<",
    "}",
    "{",
    "} }",
    "\n",
    "\r\n",
    "#",
    "\x00",
    "\\u0022",
    '\\"',
    "\\",
    f"INSERT DATA {{ {INSERTED} }}",
    "DROP ALL",
    "CLEAR DEFAULT",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://127.0.0.1:9/x>",
    "SERVICE <http://127.0.0.1:9/> { ?s ?p ?o }",
    f"<http://x> }} INSERT DATA {{ {INSERTED} }} #",
    f'"}} }} ; INSERT DATA {{ {INSERTED} }} #',
    "http://example.org/a b",
    "http://example.org/>",
    "http://example.org/a> . ?s ?p ?o . <http://example.org/b",
    "nge:lumbar-spine> . ?s ?p ?o",
    "nge:lumbar spine",
    "?s ?p ?o",
    ") . } } #",
    "FILTER(true)",
    "} UNION { ?s ?p ?o",
    "%22%3E%7D",
    "\u202e",
    "\ufeff",
    "\ud800",
    "𝔩𝔲𝔪𝔟𝔞𝔯",
    "x" * 10_000,
    "_:b0",
    '"lumbar"@en',
    '"1"^^<http://www.w3.org/2001/XMLSchema#integer>',
    "VALUES ?region_iri { nge:lumbar-spine }",
]
WRAPPERS = ["{}", '"{}"', "lumbar{}", "{} lumbar", "<{}>"]


def _payloads() -> list[str]:
    seen: dict[str, None] = {}
    for fragment in FRAGMENTS:
        for wrapper in WRAPPERS:
            seen.setdefault(wrapper.replace("{}", fragment), None)
    return list(seen)


PAYLOADS = _payloads()
QUERY = "causes-by-region"


@pytest.fixture
def parsed_once(monkeypatch: pytest.MonkeyPatch) -> StoredQuery:
    """``causes-by-region``, its SPARQL parsed once for all the payloads of a test.

    Every lookup by name reads and parses the file again (~40 ms, 200+ times per test);
    the parameter path is under test, not the lookup (test_queries.py tests that), so
    lookups of QUERY return one parsed query, in the library and the CLI alike.
    """
    real = run_module.find_query
    stored = real(QUERY)

    def find_query(name: str, *args: object, **kwargs: object) -> StoredQuery:
        return stored if name == QUERY else real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run_module, "find_query", find_query)
    return stored


def test_there_are_enough_payloads() -> None:
    assert len(FRAGMENTS) >= 40
    assert len(PAYLOADS) >= 200


_HONEST: dict[str, list[dict[str, object]] | None] = {}


def _honest(local_graph: rdflib.Graph, payload: str) -> list[dict[str, object]] | None:
    """The rows a plain label lookup gives (whitespace normalised), or None if it fails."""
    if payload not in _HONEST:
        _HONEST[payload] = _lookup(local_graph, payload)
    return _HONEST[payload]


def _lookup(local_graph: rdflib.Graph, payload: str) -> list[dict[str, object]] | None:
    clean = " ".join(payload.split())
    if not clean or any(c in clean for c in "<>\"'{}\\#?()"):
        return None
    try:
        return run_query(QUERY, local_graph, region=clean).rows
    except ParameterError:
        return None


def test_library_refuses_every_payload(
    local_graph: rdflib.Graph, parsed_once: StoredQuery
) -> None:
    before = len(local_graph)
    outcomes = {"refused": 0, "honest rows": 0}
    for payload in PAYLOADS:
        honest = _honest(local_graph, payload)
        try:
            result = run_query(QUERY, local_graph, region=payload)
        except ParameterError as err:
            assert err.parameter == "region"
            assert honest is None, payload
            outcomes["refused"] += 1
        else:
            assert honest is not None and result.rows == honest, payload
            outcomes["honest rows"] += 1
    print(f"{len(PAYLOADS)} payloads: {outcomes}; executed: 0")
    assert outcomes["refused"] >= len(PAYLOADS) - 5
    assert len(local_graph) == before


def test_library_refuses_payloads_given_as_iris(
    local_graph: rdflib.Graph, parsed_once: StoredQuery
) -> None:
    """Handing a URIRef straight in skips label lookup: the IRI check must still hold."""
    for payload in PAYLOADS[::3]:
        with pytest.raises(ParameterError):
            run_query(QUERY, local_graph, region=rdflib.URIRef("http://example.org/" + payload))


def test_cli_refuses_every_payload(
    local_graph: rdflib.Graph, monkeypatch: pytest.MonkeyPatch, parsed_once: StoredQuery
) -> None:
    # The parameter path is under test, not loading: reuse the session's graph.
    monkeypatch.setattr("nervegraph.rdf.load.load_graph", lambda *args, **kwargs: local_graph)
    runner = CliRunner()
    for payload in PAYLOADS:
        result = runner.invoke(cli.main, ["query", QUERY, "--param", f"region={payload}"])
        assert "Traceback" not in result.output
        if _honest(local_graph, payload) is None:
            assert result.exit_code == 2, (payload, result.output)
            assert "error: parameter 'region'" in result.output
        else:
            assert result.exit_code == 0 and "lumbar disc issues" in result.output


def test_endpoint_refuses_before_any_request(
    oxigraph_server: Server,
    local_graph: rdflib.Graph,
    monkeypatch: pytest.MonkeyPatch,
    parsed_once: StoredQuery,
) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = int(run_remote(count, oxigraph_server.query_url).rows[0]["n"])  # type: ignore[arg-type]
    sent: list[str] = []
    real_fetch = remote.fetch

    def recording_fetch(text: str, endpoint: str, **kwargs: object):  # type: ignore[no-untyped-def]
        sent.append(text)
        return real_fetch(text, endpoint, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(remote, "fetch", recording_fetch)
    monkeypatch.setattr("nervegraph.rdf.load.load_graph", lambda *args, **kwargs: local_graph)
    runner = CliRunner()
    refused = [p for p in PAYLOADS if _honest(local_graph, p) is None]
    assert len(refused) >= 200
    for payload in refused:
        with pytest.raises(ParameterError):
            run_stored_remote(QUERY, oxigraph_server.query_url, local_graph, region=payload)
    for payload in refused[::4]:
        result = runner.invoke(
            cli.main,
            ["query", QUERY, "-p", f"region={payload}", "--endpoint", oxigraph_server.query_url],
        )
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert sent == [], f"{len(sent)} requests were sent for refused values"
    monkeypatch.undo()
    after = int(run_remote(count, oxigraph_server.query_url).rows[0]["n"])  # type: ignore[arg-type]
    assert after == before


def test_payloads_sent_as_literals_match_nothing(oxigraph_server: Server) -> None:
    """What does reach the server travels as a serialised literal: no rows, no writes."""
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = int(run_remote(count, oxigraph_server.query_url).rows[0]["n"])  # type: ignore[arg-type]
    text = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?s WHERE { ?s rdfs:label ?label }"
    )
    sent = 0
    for payload in PAYLOADS:
        if "\ud800" in payload:
            continue  # not encodable as UTF-8: cannot be sent at all
        query = bindings_as_values(text, {"label": rdflib.Literal(payload)})
        result = run_remote(query, oxigraph_server.query_url)
        assert result.rows == [], payload
        sent += 1
    assert sent >= 200
    after = int(run_remote(count, oxigraph_server.query_url).rows[0]["n"])  # type: ignore[arg-type]
    assert after == before
    ask = run_remote(f"ASK {{ GRAPH ?g {{ {INSERTED} }} }}", oxigraph_server.query_url)
    assert ask.askAnswer is False


def test_invalid_iri_is_refused_when_building_values() -> None:
    for payload in PAYLOADS:
        iri = rdflib.URIRef("http://example.org/" + payload)
        try:
            text = bindings_as_values("SELECT ?x WHERE { ?x ?p ?o }", {"x": iri})
        except (ParameterError, QueryError):
            continue
        assert text.count("<http://example.org/") == 1  # one well-formed IRI, nothing else
        assert not any(c in str(iri) for c in ' <>"{}|^`\\\n')
