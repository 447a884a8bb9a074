"""Run SPARQL queries against a remote endpoint over HTTP.

:func:`run_remote` returns an :class:`rdflib.query.Result`, the same type
``rdflib.Graph.query`` returns locally, so the CLI formats local and remote answers with
the same code: SELECT/ASK come back as SPARQL JSON results, CONSTRUCT/DESCRIBE as
N-Triples parsed into ``Result.graph``.
"""

from __future__ import annotations

import io
import logging
import socket
import urllib.error
from http.client import HTTPException

from rdflib.plugins.sparql.parser import parseQuery
from rdflib.query import Result
from SPARQLWrapper import JSON, N3, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .errors import QueryError, RemoteError
from .graph import new_graph

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0


def query_form(query_text: str) -> str:
    """Return ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` for a SPARQL query.

    Raises:
        QueryError: the text is not a valid SPARQL query.
    """
    try:
        parsed = parseQuery(query_text)
    except Exception as exc:  # noqa: BLE001 - pyparsing raises many types
        raise QueryError(f"invalid SPARQL query: {exc}") from None
    name = parsed[1].name
    return name.removesuffix("Query").upper()


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
        text = str(exc).strip().splitlines()
        return text[0] if text else type(exc).__name__
    if isinstance(exc, ConnectionError):
        return f"unreachable ({exc.strerror or type(exc).__name__})"
    return str(exc) or type(exc).__name__


def run_remote(query_text: str, endpoint: str, *, timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Run a SPARQL query on a remote endpoint and return an rdflib ``Result``.

    Args:
        query_text: the full query text (parameters already bound, e.g. by
            ``bindings_as_values``); it is sent as is, in a POST body.
        endpoint: the SPARQL query endpoint URL (e.g. ``http://127.0.0.1:7878/query``).
        timeout: seconds to wait for the whole answer.

    Returns:
        A :class:`rdflib.query.Result` of type ``SELECT``/``ASK`` (with ``vars``,
        ``bindings``, ``askAnswer``) or ``CONSTRUCT`` (with ``graph``), like
        ``rdflib.Graph.query``.

    Raises:
        QueryError: the query text is not valid SPARQL (checked before sending).
        RemoteError: the endpoint is unreachable, timed out, answered an HTTP error or
            sent an answer that cannot be parsed.
    """
    form = query_form(query_text)
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    # setTimeout() truncates to int (0.5 -> 0 = no timeout); urllib takes float seconds.
    client.timeout = timeout  # type: ignore[assignment]
    client.setQuery(query_text)
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
            result = Result("CONSTRUCT")
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


def result_rows(result: Result) -> set[tuple[str, ...]]:
    """Return a SELECT result as a set of rows of N3 terms (``""`` for unbound).

    Handy for comparing local and remote answers regardless of row order.
    """
    variables = result.vars or []
    return {
        tuple(row[v].n3() if row[v] is not None else "" for v in variables)  # type: ignore[index]
        for row in result
    }


def ping(endpoint: str, *, timeout: float = 5.0) -> bool:
    """Return whether ``endpoint`` answers ``ASK {}``."""
    try:
        run_remote("ASK {}", endpoint, timeout=timeout)
    except RemoteError:
        return False
    return True


__all__ = ["DEFAULT_TIMEOUT", "ping", "query_form", "result_rows", "run_remote"]
