"""Run SPARQL queries against a remote endpoint over HTTP.

:func:`run_remote` returns a :class:`nervegraph.queries.run.QueryResult`, the type
:func:`nervegraph.queries.run.run_query` returns locally, so local and remote answers share
their output formats: SELECT/ASK travel as SPARQL JSON results, CONSTRUCT/DESCRIBE as
N-Triples. :func:`run_stored_remote` resolves parameters locally and sends them as a
``VALUES`` clause of serialised terms.
"""

from __future__ import annotations

import io
import logging
import socket
import urllib.error
import urllib.parse
from http.client import HTTPException
from pathlib import Path

from rdflib import XSD, Graph, Literal, URIRef
from rdflib.query import Result
from rdflib.term import Node
from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from nervegraph.errors import RemoteError
from nervegraph.queries.results import QueryResult, from_rdflib
from nervegraph.queries.run import bindings_as_values, prepare_query
from nervegraph.queries.source import Source
from nervegraph.rdf.load import load_graph, new_graph
from nervegraph.rdf.sparql import parse_tree, query_form

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0


def query_endpoint(endpoint: str) -> str:
    """Return the SPARQL query URL for ``endpoint``: a server's base URL gets ``/query``.

    ``http://127.0.0.1:7878`` (what ``nervegraph serve`` prints and ``nervegraph load``
    accepts) means ``http://127.0.0.1:7878/query``, Oxigraph's query endpoint; a URL
    with a path is used as it is.
    """
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme in ("http", "https") and parts.path in ("", "/"):
        return urllib.parse.urlunsplit(parts._replace(path="/query"))
    return endpoint


def _message(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out"
    reason = getattr(exc, "reason", None)
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return f"unreachable ({reason.strerror})"
    if isinstance(exc, urllib.error.HTTPError):
        body = ""
        try:
            body = exc.read().decode("utf-8", errors="replace").strip()
        except Exception:  # noqa: BLE001 - the body is only a hint
            pass
        detail = f": {body.splitlines()[0][:300]}" if body else ""
        return f"HTTP {exc.code} {exc.reason}{detail}"
    if isinstance(exc, SPARQLWrapperException):
        text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        head = text[0] if text else type(exc).__name__
        response = getattr(exc, "response", None)
        if isinstance(response, bytes) and response.strip():
            head += " Server said: " + response.decode("utf-8", "replace").strip()[:300]
        return head
    if isinstance(exc, ConnectionError):
        return f"unreachable ({exc.strerror or type(exc).__name__})"
    return str(exc) or type(exc).__name__


def fetch(query_text: str, endpoint: str, *, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Run a SPARQL query on a remote endpoint and return the raw rdflib ``Result``.

    Args:
        query_text: the full query text, sent as is in a POST body.
        endpoint: the SPARQL query endpoint URL (e.g. ``http://127.0.0.1:7878/query``).
        timeout: seconds to wait for the answer.

    Raises:
        QueryError: the query text is not valid SPARQL (checked before sending).
        RemoteError: the endpoint is unreachable, timed out, answered an HTTP error or
            sent an answer that cannot be parsed.
    """
    form = query_form(parse_tree(query_text))
    endpoint = query_endpoint(endpoint)
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    # Content negotiation only (the Accept header below): SPARQLWrapper otherwise adds
    # non-standard format=/output=/results= parameters, and Virtuoso answers a CONSTRUCT
    # with "format=n3" plus "Accept: application/n-triples" with HTTP 406.
    client.setOnlyConneg(True)
    # setTimeout() truncates to int (0.5 -> 0 = no timeout); urllib takes float seconds.
    client.timeout = timeout  # type: ignore[assignment]
    client.setQuery(query_text)
    # SPARQLWrapper guesses the form with regexes that words in comments fool ("loaded"
    # -> LOAD, sent as an update); rdflib's parse above is authoritative.
    client.queryType = form
    graph_form = form in {"CONSTRUCT", "DESCRIBE"}
    if graph_form:
        client.setReturnFormat(N3)
        client.addCustomHttpHeader("Accept", "application/n-triples")
    else:
        client.setReturnFormat(JSON)
        client.addCustomHttpHeader("Accept", "application/sparql-results+json")
    log.debug("POST %s (%s, timeout %.3gs)", endpoint, form, timeout)
    try:
        response = client.query().response
        body = response.read()
    except (
        urllib.error.URLError,
        OSError,
        HTTPException,
        SPARQLWrapperException,
        ValueError,
    ) as exc:
        raise RemoteError(endpoint, _message(exc)) from None
    try:
        if graph_form:
            graph = new_graph()
            graph.parse(data=body, format="nt")
            result = Result(form)
            result.graph = graph
            return result
        return Result.parse(io.BytesIO(body), format="json")
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad answer
        tail = body[-200:].decode("utf-8", errors="replace").strip().splitlines()
        if tail and "cancelled" in tail[-1].lower():
            # Oxigraph streams results, then appends this line when --timeout-s hits.
            raise RemoteError(
                endpoint, "timed out on the server: it cancelled the query mid-answer"
            ) from None
        raise RemoteError(endpoint, f"answer could not be parsed: {exc}") from None


def run_remote(
    query_text: str,
    endpoint: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    label_graph: Graph | None = None,
) -> QueryResult:
    """Run a SPARQL query on a remote endpoint; answer like a local query.

    Args:
        query_text: the full query text (parameters already bound, e.g. by
            :func:`nervegraph.queries.run.bindings_as_values`); it is sent as is.
        endpoint: the SPARQL query endpoint URL (e.g. ``http://127.0.0.1:7878/query``).
        timeout: seconds to wait for the whole answer.
        label_graph: a local graph to take display labels from (``table`` output).

    Returns:
        A :class:`nervegraph.queries.run.QueryResult`, the type ``run_query`` returns, so
        the same output formats apply.

    Raises:
        QueryError: the query text is not valid SPARQL (checked before sending).
        RemoteError: the endpoint is unreachable, timed out, answered an HTTP error or
            sent an answer that cannot be parsed.
    """
    result = fetch(query_text, endpoint, timeout=timeout)
    return from_rdflib(result, Source(label_graph) if label_graph is not None else None)


def run_stored_remote(
    name_or_text: str | Path,
    endpoint: str,
    graph: Graph | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    **params: str | URIRef,
) -> QueryResult:
    """Run a stored (or ad-hoc) query with parameters on a remote endpoint.

    Parameter values (labels, synonyms, CURIEs, IRIs) are resolved against the local
    ``graph`` (default: the bundled graph) exactly as for a local run, then sent as a
    ``VALUES`` clause of serialised terms (:func:`nervegraph.queries.run.bindings_as_values`):
    the user's text never reaches the query.

    Raises:
        QueryError, ParameterError: as for :func:`nervegraph.queries.run.run_query`.
        RemoteError: the endpoint failed.
    """
    if params and graph is None:
        graph = load_graph()  # the labels of the table output come from it too
    prepared = prepare_query(name_or_text, graph, **params)
    text = bindings_as_values(prepared.text, prepared.bindings)
    return run_remote(text, endpoint, timeout=timeout, label_graph=graph)


#: XSD datatypes derived from xsd:integer. Oxigraph (like Fuseki/TDB, Stardog and
#: others) stores their values as plain xsd:integer: ``"1"^^xsd:positiveInteger`` in
#: the data comes back from the server as ``"1"^^xsd:integer``.
INTEGER_SUBTYPES = frozenset(
    XSD[name]
    for name in (
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
    )
)


def store_normal(term: Node | None) -> Node | None:
    """Return ``term`` as a triple store returns it: integer subtypes become xsd:integer."""
    if isinstance(term, Literal) and term.datatype in INTEGER_SUBTYPES:
        return Literal(str(term), datatype=XSD.integer)
    return term


def result_rows(result: QueryResult, *, normalise: bool = True) -> set[tuple[str, ...]]:
    """Return a SELECT result as a set of rows of N3 terms (``""`` for unbound).

    Handy for comparing local and remote answers regardless of row order; with
    ``normalise`` integer subtypes compare as xsd:integer (see :data:`INTEGER_SUBTYPES`).
    """
    rows = set()
    for row in result.rows:
        cells = []
        for var in result.vars:
            term = row.get(var)
            term = store_normal(term) if normalise else term
            cells.append(term.n3() if term is not None else "")
        rows.add(tuple(cells))
    return rows


def comparable_graph(graph: Graph) -> Graph:
    """Return a copy of ``graph`` with integer subtypes as xsd:integer (see above)."""
    out = Graph()
    for s, p, o in graph:
        out.add((s, p, store_normal(o)))
    return out


def ping(endpoint: str, *, timeout: float = 5.0) -> bool:
    """Return whether ``endpoint`` answers ``ASK {}``."""
    try:
        run_remote("ASK {}", endpoint, timeout=timeout)
    except RemoteError:
        return False
    return True


__all__ = [
    "DEFAULT_TIMEOUT",
    "INTEGER_SUBTYPES",
    "comparable_graph",
    "store_normal",
    "fetch",
    "ping",
    "query_endpoint",
    "result_rows",
    "run_remote",
    "run_stored_remote",
]
