"""A cold ``nervegraph query`` without rdflib: the cached Oxigraph store, a table out.

Importing rdflib alone takes about as long as pyoxigraph takes to load the bundled graph
and answer a query. So when the command line asks for a stored query on the bundled
graph, with no parameters, in the default ``table`` format and on the default engine,
:func:`cold_query` answers it from the prebuilt store of :mod:`nervegraph.engine` (an
N-Quads dump keyed by the SHA-256 of the bundled files) and renders the table itself,
with the labels :func:`nervegraph.labels.label` would show. Whenever any of that does
not hold (a parameter, another format, a CONSTRUCT, a blank node in the answer, no
cached store yet, anything that should produce an error message) it returns ``None`` and
the caller takes the general path, which writes the cache for next time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import engine, resources
from .catalogue import render_table
from .engine import check_query_engine
from .prefixes import curie

log = logging.getLogger(__name__)

_SKOS_PREF = "http://www.w3.org/2004/02/skos/core#prefLabel"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: anything that could read remote data or needs the general path's error message
_REFUSED = re.compile(r"\b(SERVICE|LOAD|FROM)\b", re.IGNORECASE)
_REQUIRED = re.compile(r"^\s*#\+\s+required:\s*(true|yes)\b", re.IGNORECASE | re.MULTILINE)


def _query_file(query: str) -> Path | None:
    """Return the ``.rq`` file a catalogue name or path names, or ``None``."""
    if query == "-" or any(c in query for c in "{\n*?["):
        return None
    path = Path(query)
    if query.endswith(".rq") or path.is_file():
        return path if path.is_file() else None
    root = resources.query_dir()
    wanted = query.removesuffix(".rq")
    exact = root / f"{wanted}.rq"
    if exact.is_file():
        return exact
    found = [p for p in root.rglob(f"{wanted}.rq") if p.parent.parent == root]
    return found[0] if len(found) == 1 else None


def _labels(store: Any, iris: set[str]) -> dict[str, str]:
    """Return IRI -> the label :func:`nervegraph.labels.label` picks, for labelled IRIs."""
    if not iris:
        return {}
    values = " ".join(f"<{iri}>" for iri in sorted(iris))
    text = (
        f"SELECT ?s ?p ?l WHERE {{ VALUES ?s {{ {values} }} "
        f"VALUES ?p {{ <{_SKOS_PREF}> <{_RDFS_LABEL}> }} ?s ?p ?l FILTER(isLiteral(?l)) }}"
    )
    found: dict[str, dict[str, list[Any]]] = {}
    for row in store.query(text):
        found.setdefault(row["s"].value, {}).setdefault(row["p"].value, []).append(row["l"])
    out = {}
    for iri, by_property in found.items():
        for prop in (_SKOS_PREF, _RDFS_LABEL):
            literals = by_property.get(prop)
            if literals:
                literals.sort(key=lambda v: (v.language != "en", v.language or "", v.value))
                out[iri] = literals[0].value
                break
    return out


def _table(variables: list[str], rows: list[list[Any]], labels: dict[str, str]) -> str:
    """Render like :func:`nervegraph.queries.format_table`."""
    import pyoxigraph

    def cell(term: Any) -> str:
        if term is None:
            return ""
        if isinstance(term, pyoxigraph.NamedNode):
            return labels.get(term.value) or curie(term.value)
        return term.value

    return render_table(variables, [[cell(t) for t in row] for row in rows])


def cold_query(query: str, fmt: str = "auto") -> str | None:
    """Answer a stored query on the bundled graph from the cached store, as a table.

    Args:
        query: a catalogue name (``symptoms``, ``examples/symptoms``) or a ``.rq`` path.
        fmt: the ``--format`` asked for; only ``auto`` and ``table`` take this path.

    Returns:
        The table text, or ``None`` when the general path must answer (see the module
        docstring).
    """
    import pyoxigraph

    if fmt not in ("auto", "table"):
        return None
    path = _query_file(query)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    if _REQUIRED.search(text) or _REFUSED.search(body):
        return None
    store = engine.load_cached_store(resources.default_graph_files())
    if store is None:
        return None
    try:
        result = store.query(text)
    except (SyntaxError, ValueError, OSError):
        return None
    if isinstance(result, pyoxigraph.QueryBoolean):
        return ("yes" if bool(result) else "no") + "\n"
    if not isinstance(result, pyoxigraph.QuerySolutions):
        return None
    variables = [v.value for v in result.variables]
    rows = [[solution[v] for v in variables] for solution in result]
    iris: set[str] = set()
    for row in rows:
        for term in row:
            if isinstance(term, pyoxigraph.BlankNode):
                return None  # rdflib names blank nodes differently
            if isinstance(term, pyoxigraph.NamedNode):
                iris.add(term.value)
    log.debug("answered %s from the store cache", path)
    return _table(variables, rows, _labels(store, iris))


def query_text(
    query: str,
    params: Mapping[str, str] | None = None,
    *,
    fmt: str = "auto",
    data: list[Path] | None = None,
    endpoint: str | None = None,
    timeout: float | None = None,
    allow_network: bool = False,
    engine: str | None = None,
) -> str:
    """Answer ``nervegraph query``: run a query and return the serialised result.

    Args:
        query: a catalogue name, a ``.rq`` path, ``-`` (SPARQL on stdin) or SPARQL.
        params: parameter name -> value.
        fmt: ``auto`` (table, or turtle for CONSTRUCT), ``table`` or a result format.
        data: files or directories to query (with the bundled ontology); default: the
            bundled graph.
        endpoint: run on this SPARQL endpoint instead (parameters resolved locally).
        timeout: seconds a local query may run (in a child process); ``None``: no limit.
        allow_network: permit SERVICE, LOAD and FROM.
        engine: ``"oxigraph"`` (default) or ``"rdflib"``. On Oxigraph, a stored query
            without parameters on the bundled graph, as a table, is answered from the
            cached store without importing rdflib (:func:`cold_query`).

    Raises:
        QueryError, ParameterError, InputError: as :func:`nervegraph.queries.run_query`.
    """
    import sys

    values = dict(params or {})
    engine = check_query_engine(engine)
    if engine == "oxigraph" and not (values or data or endpoint or allow_network):
        text = cold_query(query, fmt)
        if text is not None:
            return text
    from .graph import load_graph
    from .queries import _result_format, run_query

    source: str | Path = query
    if query == "-":
        source = sys.stdin.read()
    elif query.endswith(".rq") or Path(query).is_file():
        source = Path(query)
    graph = load_graph(list(data), engine=engine) if data else load_graph(engine=engine)
    if endpoint:
        from .remote import run_stored_remote

        result = run_stored_remote(source, endpoint, graph, timeout=timeout, **values)
        return result.serialize(_result_format(fmt, result.query_type))
    from .limits import call_with_timeout

    def local() -> str:  # runs in a child killed after ``timeout`` seconds
        found = run_query(source, graph, allow_network=allow_network, **values)
        return found.serialize(_result_format(fmt, found.query_type))

    return call_with_timeout(local, timeout, what="the query")


__all__ = ["cold_query", "query_text"]
