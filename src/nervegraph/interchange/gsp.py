"""Write the graph into a triple store over the SPARQL 1.1 Graph Store Protocol.

A load is all or nothing. Each named graph is first sent with one HTTP
``PUT <store>?graph=<staging IRI>`` (N-Triples body) into a staging graph
``https://w3id.org/nervegraph/staging/<load id>/<n>``; when every one is there, ONE
SPARQL Update request ``MOVE GRAPH <staging> TO GRAPH <target> ; ...`` replaces all the
targets, which Oxigraph applies in one transaction (all or nothing). A load interrupted
before that request leaves the targets as they were; a journal file
(:func:`journal_path`) names its staging graphs, and the next load removes them.
The counts reported are read back from the store with ``COUNT`` queries.

Only failures where nothing reached the store (connection refused, 502/503/504) are
retried. A request that timed out is not: the store may still be applying it, and
sending a large body again only queues more work; the error says so.

Stores that put the Graph Store Protocol elsewhere or behind HTTP authentication
(Virtuoso: ``/sparql-graph-crud-auth`` with Digest) are reached with ``store_url`` and
``user``/``password``; ``nervegraph load`` takes them from the environment variables
``NERVEGRAPH_STORE_URL``, ``NERVEGRAPH_STORE_USER`` and ``NERVEGRAPH_STORE_PASSWORD``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any

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
#: The SPARQL Update URL, when it does not follow from the endpoint (Oxigraph: /update).
ENV_UPDATE_URL = "NERVEGRAPH_UPDATE_URL"
#: The bearer token a ``nervegraph serve --writable`` server wants for writes.
ENV_TOKEN = "NERVEGRAPH_TOKEN"  # noqa: S105 - a variable's name
#: Where load journals live (default ``$XDG_STATE_HOME/nervegraph/loads``).
ENV_JOURNAL_DIR = "NERVEGRAPH_JOURNAL_DIR"
#: Staging graphs of a load: ``STAGING_BASE + <load id>/<n>``.
STAGING_BASE = "https://w3id.org/nervegraph/staging/"


@dataclass(frozen=True)
class StoreEndpoints:
    """The URLs of one store: its SPARQL query endpoint and its Graph Store endpoint."""

    query: str
    store: str
    update: str = ""


def store_endpoints(
    endpoint: str,
    *,
    query_url: str | None = None,
    store_url: str | None = None,
    update_url: str | None = None,
) -> StoreEndpoints:
    """Derive the query and Graph Store URLs from a server URL.

    ``endpoint`` may be the server's base URL (``http://127.0.0.1:7878``) or its
    ``/query``, ``/sparql`` or ``/store`` URL; the others follow Oxigraph's layout
    (``/query``, ``/store``, ``/update``). ``query_url``/``store_url``/``update_url``
    override them for stores laid out differently (Fuseki: ``/ds/query``, ``/ds/data``,
    ``/ds/update``).
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
    return StoreEndpoints(query=query, store=store, update=update_url or base + "/update")


@dataclass
class LoadReport:
    """What :func:`load_into_store` wrote, with counts read back from the store.

    Attributes:
        endpoints: the query and Graph Store URLs used.
        graphs: graph IRI -> number of triples the store holds in it after the load.
        expected: graph IRI -> number of triples sent.
        distinct_triples: distinct triples over all loaded graphs, counted by the store.
        recovered: what an interrupted earlier load left, if anything (and that it was
            cleaned up).
    """

    endpoints: StoreEndpoints
    graphs: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    distinct_triples: int = 0
    recovered: str | None = None

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


def _timed_out(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", exc)
    return isinstance(exc, (TimeoutError, socket.timeout)) or isinstance(
        reason, (TimeoutError, socket.timeout)
    )


def _retryable(exc: BaseException) -> bool:
    """Whether a failed request may be sent again: only when the store never applied it.

    Refused connections and 502/503/504 answers are; a timeout is not (the store may
    still be applying the request), nor is any other HTTP error.
    """
    if _timed_out(exc):
        return False
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
    if _timed_out(exc):
        return "timed out"
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
    token: str | None = None,
    name: str | None = None,
) -> None:
    """Replace the named graph ``graph_iri`` in the store with ``graph`` (HTTP PUT).

    Failures where the store cannot have applied the request (refused connection,
    502/503/504) are retried ``retries`` times in all, waiting ``backoff`` seconds and
    doubling the wait each time. A timeout is not retried (see the module docstring).
    ``auth`` = ``(user, password)`` answers an HTTP Basic or Digest challenge; ``token``
    is sent as ``Authorization: Bearer`` (``nervegraph serve --writable``).

    Raises:
        RemoteError: the store refused the graph, stayed unreachable or timed out; the
            message names the graph (``name``, default ``graph_iri``) and the last error.
    """
    body = graph.serialize(format="nt", encoding="utf-8")
    url = f"{store_url}?graph={urllib.parse.quote(graph_iri, safe='')}"
    headers = {"Content-Type": "application/n-triples"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    _send(
        store_url,
        lambda: urllib.request.Request(url, data=body, method="PUT", headers=headers),  # noqa: S310
        what=f"load graph <{name or graph_iri}>",
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        auth=auth,
    )
    log.info("PUT <%s>: %d triples", graph_iri, len(graph))


def _send(
    url: str,
    make_request: Callable[[], urllib.request.Request],
    *,
    what: str,
    timeout: float,
    retries: int,
    backoff: float,
    auth: tuple[str, str] | None,
) -> None:
    """Send a write request, retrying only failures the store cannot have applied."""
    opener = _opener(url, auth)
    wait = backoff
    for attempt in range(1, max(retries, 1) + 1):
        try:
            send = opener.open if opener is not None else urllib.request.urlopen
            with send(make_request(), timeout=timeout) as response:  # noqa: S310
                response.read()
            return
        except Exception as exc:  # noqa: BLE001 - sorted below
            if _timed_out(exc):
                raise RemoteError(
                    url,
                    f"could not {what}: timed out after {timeout:g} s; not retried, because "
                    "the store may still be applying it (raise --timeout)",
                ) from None
            if not _retryable(exc) or attempt >= retries:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise RemoteError(url, f"could not {what}{tries}: {_describe(exc)}") from None
            log.warning("%s failed (%s); retrying in %.1fs", what, _describe(exc), wait)
            time.sleep(wait)
            wait *= 2


def run_update(
    update_url: str,
    update: str,
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    auth: tuple[str, str] | None = None,
    token: str | None = None,
) -> None:
    """Send one SPARQL Update request (``application/sparql-update``).

    Raises:
        RemoteError: the store refused it, stayed unreachable or timed out.
    """
    headers = {"Content-Type": "application/sparql-update"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = update.encode("utf-8")
    _send(
        update_url,
        lambda: urllib.request.Request(  # noqa: S310 - the user names the store
            update_url, data=body, method="POST", headers=headers
        ),
        what=what,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        auth=auth,
    )


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


def journal_path(store_url: str) -> Path:
    """Where the journal of loads into ``store_url`` is kept.

    ``$NERVEGRAPH_JOURNAL_DIR``, else ``$XDG_STATE_HOME/nervegraph/loads`` (default
    ``~/.local/state/nervegraph/loads``); one file per store, named by a hash of its URL.
    """
    base = os.environ.get(ENV_JOURNAL_DIR)
    if not base:
        state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        base = str(Path(state) / "nervegraph" / "loads")
    digest = hashlib.sha256(store_url.encode("utf-8")).hexdigest()[:16]
    return Path(base) / f"load-{digest}.json"


def _write_journal(path: Path, record: dict[str, object]) -> None:
    """Write the journal atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def read_journal(path: Path) -> dict[str, object] | None:
    """Return the journal of an interrupted load, or ``None`` when there is none."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable load journal %s: %s", path, exc)
        return None
    return record if isinstance(record, dict) else None


def _drop_graphs_update(graphs: Iterable[str]) -> str:
    return " ;\n".join(f"DROP SILENT GRAPH {rdflib.URIRef(g).n3()}" for g in graphs)


def switch_update(pairs: Iterable[tuple[str, str]]) -> str:
    """The one SPARQL Update that replaces every target by its staging graph.

    ``MOVE`` without ``SILENT`` fails on a missing staging graph, and the request is
    applied as one transaction, so it replaces all targets or none.
    """
    return " ;\n".join(
        f"MOVE GRAPH {rdflib.URIRef(staging).n3()} TO GRAPH {rdflib.URIRef(target).n3()}"
        for target, staging in pairs
    )


def _stem(item: tuple[str, Any]) -> str:
    """A named graph's last path segment, for the progress line."""
    return item[0].rsplit("/", 1)[-1]


def _stem_of_pair(item: tuple[tuple[str, str], Any]) -> str:
    return item[0][0].rsplit("/", 1)[-1]


def load_into_store(  # noqa: PLR0913, PLR0915
    endpoint: str,
    *,
    graph: str | None = None,
    data: Iterable[str | Path] | None = None,
    query_url: str | None = None,
    store_url: str | None = None,
    update_url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    token: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    atomic: bool = True,
    journal: str | Path | None = None,
) -> LoadReport:
    """Write the graph into a Graph Store Protocol store and count what it holds.

    With ``atomic`` (the default) every graph goes into a staging graph first and one
    SPARQL Update then moves them all into place (see the module docstring): the
    targets end all old or all new. Without it each graph is PUT in place (for stores
    without SPARQL Update; a load that fails mid-way leaves some graphs new).

    Args:
        endpoint: the server's base URL or its ``/query`` URL (see :func:`store_endpoints`).
        graph: put everything into this one named graph. Without it every file goes
            into its own graph ``https://w3id.org/nervegraph/graph/<stem>``.
        data: files or directories to load; default the bundled graph (ontology without
            shapes, data and mappings).
        query_url: the SPARQL query URL, when it does not follow from ``endpoint``.
        store_url: the Graph Store URL, when it does not follow from ``endpoint``;
            default ``$NERVEGRAPH_STORE_URL`` if set.
        update_url: the SPARQL Update URL; default ``$NERVEGRAPH_UPDATE_URL``, else
            ``<base>/update``.
        user: user name for HTTP Basic/Digest authentication at the Graph Store and
            Update URLs; default ``$NERVEGRAPH_STORE_USER``. Without one none is sent.
        password: its password; default ``$NERVEGRAPH_STORE_PASSWORD``.
        token: bearer token for writes (``nervegraph serve --writable``); default
            ``$NERVEGRAPH_TOKEN``.
        timeout: seconds per HTTP request.
        retries: attempts per request when the store could not have applied it.
        backoff: first wait between attempts (doubled each time).
        atomic: stage, then switch all graphs in one update (default).
        journal: the journal file; default :func:`journal_path` of the Graph Store URL.

    Returns:
        A :class:`LoadReport` with triple counts read back from the store.

    Raises:
        InputError: a data file is missing or malformed (nothing is sent).
        RemoteError: the store is unreachable, refused a request or timed out; the
            message names the graph and says whether the store's graphs changed.
    """
    store_url = store_url or os.environ.get(ENV_STORE_URL) or None
    update_url = update_url or os.environ.get(ENV_UPDATE_URL) or None
    user = user or os.environ.get(ENV_STORE_USER) or None
    if password is None:
        password = os.environ.get(ENV_STORE_PASSWORD, "")
    token = token or os.environ.get(ENV_TOKEN) or None
    auth = (user, password) if user else None
    endpoints = store_endpoints(
        endpoint, query_url=query_url, store_url=store_url, update_url=update_url
    )
    plan = _plan(graph, data)  # every file parsed before any request
    report = LoadReport(endpoints)
    send = {"timeout": timeout, "retries": retries, "backoff": backoff, "auth": auth}
    if not atomic:
        for iri, content in progress.track(plan, "loading", unit="graph", note=_stem):
            put_graph(endpoints.store, iri, content, token=token, **send)  # type: ignore[arg-type]
            report.expected[iri] = len(content)
    else:
        journal_file = Path(journal) if journal is not None else journal_path(endpoints.store)
        report.recovered = _clean_interrupted(journal_file, endpoints, token, send)
        load_id = secrets.token_hex(8)
        pairs = [(iri, f"{STAGING_BASE}{load_id}/{n}") for n, (iri, _) in enumerate(plan, 1)]
        record: dict[str, object] = {
            "load_id": load_id,
            "store": endpoints.store,
            "update": endpoints.update,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "pid": os.getpid(),
            "state": "uploading",
            "graphs": [
                {"target": target, "staging": staging, "triples": len(content)}
                for (target, staging), (_, content) in zip(pairs, plan, strict=True)
            ],
        }
        _write_journal(journal_file, record)
        try:
            staged = progress.track(
                list(zip(pairs, plan, strict=True)), "loading", unit="graph", note=_stem_of_pair
            )
            for (target, staging), (_, content) in staged:
                put_graph(endpoints.store, staging, content, token=token, name=target, **send)  # type: ignore[arg-type]
                report.expected[target] = len(content)
            record["state"] = "switching"
            _write_journal(journal_file, record)
            try:
                run_update(
                    endpoints.update,
                    switch_update(pairs),
                    what=f"switch {len(pairs)} graph(s) into place",
                    token=token,
                    **send,  # type: ignore[arg-type]
                )
            except RemoteError:
                if not _switched(endpoints.query, pairs, timeout):
                    raise
        except RemoteError as exc:
            left = _drop_staging(journal_file, [s for _, s in pairs], endpoints, token, send)
            if "timed out" in exc.message and not left:
                # the store may still be writing a staging graph after our DROP: keep the
                # journal, so that the next load removes whatever ends up there
                _write_journal(journal_file, record)
                left = [s for _, s in pairs]
            raise RemoteError(
                exc.url,
                exc.message
                + "; the store's graphs were not changed"
                + (
                    ""
                    if not left
                    else f" ({len(left)} staging graph(s) left, named in {journal_file}; "
                    "the next load removes them)"
                ),
            ) from None
        journal_file.unlink(missing_ok=True)
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


def _switched(query_url: str, pairs: list[tuple[str, str]], timeout: float) -> bool:
    """After a failed switch request: did the store apply it anyway (staging all gone)?"""
    try:
        return all(count_triples(query_url, staging, timeout=timeout) == 0 for _, staging in pairs)
    except RemoteError:
        return False


def _drop_staging(
    journal_file: Path,
    staging: list[str],
    endpoints: StoreEndpoints,
    token: str | None,
    send: dict[str, object],
) -> list[str]:
    """Remove staging graphs after a failed load; return those that may be left."""
    try:
        run_update(
            endpoints.update,
            _drop_graphs_update(staging),
            what="remove staging graphs",
            token=token,
            timeout=float(send["timeout"]),  # type: ignore[arg-type]
            retries=1,
            auth=send["auth"],  # type: ignore[arg-type]
        )
    except RemoteError as exc:
        log.warning("could not remove the staging graphs: %s", exc)
        return staging
    journal_file.unlink(missing_ok=True)
    return []


def _clean_interrupted(
    journal_file: Path, endpoints: StoreEndpoints, token: str | None, send: dict[str, object]
) -> str | None:
    """Remove the staging graphs of an interrupted earlier load; describe what it was."""
    record = read_journal(journal_file)
    if record is None:
        return None
    graphs = record.get("graphs")
    staging = [g["staging"] for g in graphs or [] if isinstance(g, dict) and "staging" in g]
    note = (
        f"an earlier load ({record.get('load_id')}, started {record.get('started')}, "
        f"{record.get('state')}) did not finish; the store kept its graphs"
    )
    if _drop_staging(journal_file, [str(s) for s in staging], endpoints, token, send):
        raise RemoteError(
            endpoints.update,
            note + f"; its staging graphs (listed in {journal_file}) could not be removed",
        )
    log.warning("%s; its %d staging graph(s) were removed", note, len(staging))
    return note + f"; its {len(staging)} staging graph(s) were removed"


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
