"""Write the graph into a triple store over the SPARQL 1.1 Graph Store Protocol.

Each named graph is sent with one HTTP ``PUT <store>?graph=IRI`` (N-Triples body),
which *replaces* the graph: loading twice leaves the same triples, blank nodes
included, and Oxigraph applies a PUT atomically. The counts reported are read back from
the store with ``COUNT`` queries, not taken from the local files.

Stores that put the Graph Store Protocol elsewhere or behind HTTP authentication
(Virtuoso: ``/sparql-graph-crud-auth`` with Digest) are reached with ``store_url`` and
``user``/``password``; ``nervegraph load`` takes them from the environment variables
``NERVEGRAPH_STORE_URL``, ``NERVEGRAPH_STORE_USER`` and ``NERVEGRAPH_STORE_PASSWORD``.
"""

from __future__ import annotations

import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path

import rdflib

from nervegraph import progress
from nervegraph.errors import RemoteError
from nervegraph.interchange.dataset import named_files
from nervegraph.queries.remote import DEFAULT_TIMEOUT, run_remote
from nervegraph.rdf.load import load_graph, parse_file

log = logging.getLogger(__name__)

#: Attempts per graph when the store cannot be reached (connection refused/reset).
DEFAULT_RETRIES = 4
#: First wait between attempts, doubled after each failure.
DEFAULT_BACKOFF = 0.5
#: Environment variables :func:`load_into_store` falls back on when the caller passes no
#: Graph Store URL / credentials (so ``nervegraph load --endpoint`` can use them).
ENV_STORE_URL = "NERVEGRAPH_STORE_URL"
ENV_STORE_USER = "NERVEGRAPH_STORE_USER"
ENV_STORE_PASSWORD = "NERVEGRAPH_STORE_PASSWORD"  # noqa: S105 - a variable's name


@dataclass(frozen=True)
class StoreEndpoints:
    """The URLs of one store: its SPARQL query endpoint and its Graph Store endpoint."""

    query: str
    store: str


def store_endpoints(
    endpoint: str, *, query_url: str | None = None, store_url: str | None = None
) -> StoreEndpoints:
    """Derive the query and Graph Store URLs from a server URL.

    ``endpoint`` may be the server's base URL (``http://127.0.0.1:7878``) or its
    ``/query``, ``/sparql`` or ``/store`` URL; the others follow Oxigraph's layout
    (``/query``, ``/store``). ``query_url``/``store_url`` override them for stores
    laid out differently (Fuseki: ``/ds/query``, ``/ds/data``).
    """
    base = endpoint.rstrip("/")
    given = None
    for suffix in ("/query", "/sparql", "/store"):
        if base.endswith(suffix):
            given, base = suffix, base.removesuffix(suffix)
            break
    query = query_url or (
        endpoint.rstrip("/") if given in ("/query", "/sparql") else base + "/query"
    )
    store = store_url or base + "/store"
    return StoreEndpoints(query=query, store=store)


@dataclass
class LoadReport:
    """What :func:`load_into_store` wrote, with counts read back from the store.

    Attributes:
        endpoints: the query and Graph Store URLs used.
        graphs: graph IRI -> number of triples the store holds in it after the load.
        expected: graph IRI -> number of triples sent.
        distinct_triples: distinct triples over all loaded graphs, counted by the store.
    """

    endpoints: StoreEndpoints
    graphs: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    distinct_triples: int = 0

    @property
    def complete(self) -> bool:
        """Whether every graph holds exactly as many triples as were sent."""
        return self.graphs == self.expected


def _plan(graph: str | None, data: Iterable[str | Path] | None) -> list[tuple[str, rdflib.Graph]]:
    paths = list(data) if data else None
    if graph is not None:
        union = load_graph(paths, include_ontology=False) if paths else load_graph()
        return [(graph, union)]
    return [(item.graph, parse_file(item.path)) for item in named_files(paths)]


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in (502, 503, 504)
    return isinstance(exc, (urllib.error.URLError, ConnectionError, HTTPException, OSError))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        try:
            body = exc.read().decode("utf-8", errors="replace").strip()
        except Exception:  # noqa: BLE001 - the body is only a hint
            body = ""
        return f"HTTP {exc.code} {exc.reason}" + (f": {body.splitlines()[0][:300]}" if body else "")
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(exc).__name__


def _opener(url: str, auth: tuple[str, str] | None) -> urllib.request.OpenerDirector | None:
    """Return an opener answering HTTP Basic or Digest challenges with ``auth``, if any."""
    if auth is None:
        return None
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, url, *auth)
    return urllib.request.build_opener(
        urllib.request.HTTPBasicAuthHandler(passwords),
        urllib.request.HTTPDigestAuthHandler(passwords),
    )


def put_graph(
    store_url: str,
    graph_iri: str,
    graph: rdflib.Graph,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    auth: tuple[str, str] | None = None,
) -> None:
    """Replace the named graph ``graph_iri`` in the store with ``graph`` (HTTP PUT).

    Connection errors (refused, reset, 502/503/504) are retried ``retries`` times in all,
    waiting ``backoff`` seconds and doubling the wait each time. ``auth`` = ``(user,
    password)`` answers an HTTP Basic or Digest challenge from the store.

    Raises:
        RemoteError: the store refused the graph or stayed unreachable; the message names
            the graph and the last error.
    """
    body = graph.serialize(format="nt", encoding="utf-8")
    url = f"{store_url}?graph={urllib.parse.quote(graph_iri, safe='')}"
    opener = _opener(store_url, auth)
    wait = backoff
    for attempt in range(1, max(retries, 1) + 1):
        request = urllib.request.Request(  # noqa: S310 - the user names the store
            url,
            data=body,
            method="PUT",
            headers={"Content-Type": "application/n-triples"},
        )
        try:
            send = opener.open if opener is not None else urllib.request.urlopen
            with send(request, timeout=timeout) as response:  # noqa: S310
                response.read()
            log.info("PUT <%s>: %d triples (HTTP %d)", graph_iri, len(graph), response.status)
            return
        except Exception as exc:  # noqa: BLE001 - sorted below
            if not _retryable(exc) or attempt >= retries:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise RemoteError(
                    store_url, f"could not load graph <{graph_iri}>{tries}: {_describe(exc)}"
                ) from None
            log.warning("PUT <%s> failed (%s); retrying in %.1fs", graph_iri, _describe(exc), wait)
            time.sleep(wait)
            wait *= 2


def count_triples(query_url: str, graph_iri: str, *, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Return how many triples the store holds in the named graph ``graph_iri``."""
    iri = rdflib.URIRef(graph_iri).n3()
    result = run_remote(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri} {{ ?s ?p ?o }} }}",
        query_url,
        timeout=timeout,
    )
    return int(result.rows[0]["n"])  # type: ignore[arg-type]


def count_distinct_triples(
    query_url: str, graph_iris: Iterable[str], *, timeout: float = DEFAULT_TIMEOUT
) -> int:
    """Return the number of distinct triples over the named graphs ``graph_iris``."""
    values = " ".join(rdflib.URIRef(g).n3() for g in graph_iris)
    result = run_remote(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
        f"VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} }}",
        query_url,
        timeout=timeout,
    )
    return int(result.rows[0]["n"])  # type: ignore[arg-type]


def load_into_store(
    endpoint: str,
    *,
    graph: str | None = None,
    data: Iterable[str | Path] | None = None,
    query_url: str | None = None,
    store_url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
) -> LoadReport:
    """Write the graph into a Graph Store Protocol store and count what it holds.

    Args:
        endpoint: the server's base URL or its ``/query`` URL (see :func:`store_endpoints`).
        graph: put everything into this one named graph. Without it every file goes
            into its own graph ``https://w3id.org/nervegraph/graph/<stem>``.
        data: files or directories to load; default the bundled graph (ontology without
            shapes, data and mappings).
        query_url: the SPARQL query URL, when it does not follow from ``endpoint``.
        store_url: the Graph Store URL, when it does not follow from ``endpoint``;
            default ``$NERVEGRAPH_STORE_URL`` if set.
        user: user name for HTTP Basic/Digest authentication at the Graph Store URL;
            default ``$NERVEGRAPH_STORE_USER``. Without one no credentials are sent.
        password: its password; default ``$NERVEGRAPH_STORE_PASSWORD``.
        timeout: seconds per HTTP request.
        retries: attempts per graph on connection errors.
        backoff: first wait between attempts (doubled each time).

    Returns:
        A :class:`LoadReport` with triple counts read back from the store.

    Raises:
        InputError: a data file is missing or malformed.
        RemoteError: the store is unreachable or refused a graph (named in the message).
    """
    store_url = store_url or os.environ.get(ENV_STORE_URL) or None
    user = user or os.environ.get(ENV_STORE_USER) or None
    if password is None:
        password = os.environ.get(ENV_STORE_PASSWORD, "")
    auth = (user, password) if user else None
    endpoints = store_endpoints(endpoint, query_url=query_url, store_url=store_url)
    plan = _plan(graph, data)
    report = LoadReport(endpoints)
    graphs = progress.track(plan, "loading", unit="graph", note=lambda g: g[0].rsplit("/", 1)[-1])
    for iri, content in graphs:
        put_graph(
            endpoints.store,
            iri,
            content,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            auth=auth,
        )
        report.expected[iri] = len(content)
    for iri in report.expected:
        report.graphs[iri] = count_triples(endpoints.query, iri, timeout=timeout)
    report.distinct_triples = count_distinct_triples(
        endpoints.query, report.expected, timeout=timeout
    )
    if not report.complete:
        log.warning(
            "store counts %s differ from the triples sent %s", report.graphs, report.expected
        )
    return report


def format_load_report(report: LoadReport) -> str:
    """Return the lines ``nervegraph load`` prints: one per graph, then the total."""
    lines = [
        f"<{iri}>: {count} triples"
        + ("" if count == report.expected[iri] else f" (sent {report.expected[iri]})")
        for iri, count in report.graphs.items()
    ]
    lines.append(
        f"{report.distinct_triples} distinct triples in {len(report.graphs)} graph(s) "
        f"at {report.endpoints.store}"
    )
    return "\n".join(lines) + "\n"
