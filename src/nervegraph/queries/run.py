"""Running a stored or ad-hoc SPARQL query, with its parameters bound, on either engine.

Every stored query is a ``.rq`` file that starts with a grlc-style YAML header::

    #+ summary: Causes of a pinched nerve by nerve location
    #+ tags:
    #+   - nerve location
    #+ params:
    #+   - name: region
    #+     description: the nerve location
    #+     class: ng:NerveLocation
    #+     required: false

A parameter ``region`` appears in the query as the variable ``?_region_iri``. Its value
is a person's word (matched case-insensitively against ``skos:prefLabel``,
``skos:altLabel`` and ``rdfs:label`` of the instances of the parameter's class), a full
IRI or a CURIE (:mod:`nervegraph.queries.params`); it reaches SPARQL only as a bound
term: rdflib's ``initBindings``, or a ``VALUES`` clause of the instance's checked IRI
(:func:`bindings_as_values`), which Oxigraph and remote endpoints need. A query run
without a value for an optional parameter leaves the variable free: "all".

Safety: a query's text is parsed by rdflib's SPARQL grammar and refused when it would
read remote data (:func:`nervegraph.rdf.sparql.check_offline`), except the queries
shipped in the package's own ``queries/`` directory, which ``tests/test_queries.py``
parses and checks the same way; they run on Oxigraph without importing rdflib.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nervegraph import resources
from nervegraph.errors import ParameterError, QueryError
from nervegraph.queries import params as _params
from nervegraph.queries.catalogue import (
    QueryParam,
    StoredQuery,
    find_query,
    read_query_file,
    stored_query,
)
from nervegraph.queries.params import CURIE_EXPANSIONS
from nervegraph.queries.results import GRAPH_FORMATS, RESULT_FORMATS, QueryResult
from nervegraph.queries.source import Source
from nervegraph.rdf import offline as _offline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedQuery:
    """Query text plus the rdflib terms its parameter variables are bound to.

    Attributes:
        text: the SPARQL text, unchanged.
        bindings: variable name (without ``?``) -> bound term.
        query: the stored query (header and all).
    """

    text: str
    bindings: dict[str, Any]
    query: StoredQuery


def _looks_like_sparql(value: str) -> bool:
    # The keyword must be followed by what SPARQL allows there, not by "/": the
    # catalogue name "construct/schema-org-view" starts with a keyword too.
    return any(c in value for c in "{\n") or bool(
        re.match(
            r"\s*(#|(PREFIX|BASE|SELECT|ASK|CONSTRUCT|DESCRIBE|LOAD|INSERT|DELETE|WITH|DROP|CLEAR)"
            r"(?=[\s{<*?$(]|$))",
            value,
            re.IGNORECASE,
        )
    )


def load_query(name_or_path_or_text: str | Path | StoredQuery) -> StoredQuery:
    """Return the stored query for a catalogue name, a ``.rq`` path or SPARQL text.

    Raises:
        QueryError: not found, unreadable or empty.
    """
    if isinstance(name_or_path_or_text, StoredQuery):
        return name_or_path_or_text
    if isinstance(name_or_path_or_text, Path):
        return read_query_file(name_or_path_or_text)
    value = name_or_path_or_text
    if not value.strip():
        raise QueryError("the query is empty")
    if _looks_like_sparql(value):
        return stored_query(value, "<ad-hoc query>")
    if value.endswith(".rq") or "/" in value and Path(value).is_file():
        path = Path(value)
        if path.is_file():
            return read_query_file(path)
        if "/" in value and not (resources.query_dir() / value).is_file():
            raise QueryError(f"{value}: no such query file")
    return find_query(value)


def _shipped(query: StoredQuery) -> bool:
    """Whether ``query`` is a file of the installed package's own catalogue."""
    if query.path is None:
        return False
    try:
        return query.path.resolve().is_relative_to(resources.bundled_dir("queries").resolve())
    except OSError:
        return False


def _checked(query: StoredQuery, allow_network: bool, engine: str) -> None:
    """Parse ``query`` (once) and refuse remote reads; shipped queries on Oxigraph skip it."""
    if engine == "oxigraph" and _shipped(query):
        return
    from nervegraph.rdf.sparql import check_offline  # rdflib's parser: 0.15 s to import

    if allow_network:
        query.tree  # noqa: B018 - a syntax error is reported before anything runs
    else:
        check_offline(query.tree)


def _source(graph: Any, engine: str | None, paths: list[Path] | None = None) -> Source:
    """The data to query: ``graph``, or ``paths`` (default: the project's graph) loaded."""
    from nervegraph.rdf.engines import check_query_engine
    from nervegraph.rdf.load import graph_files, load_graph, load_store

    if graph is not None:
        return Source(graph)
    if check_query_engine(engine) == "oxigraph":  # a store: no rdflib graph around it
        return Source(load_store(graph_files(paths)))
    return Source(load_graph(paths, engine="rdflib"))


def _given(params: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items() if v is not None}


def prepare_query(
    name_or_text: str | Path | StoredQuery,
    graph: Any = None,
    *,
    allow_network: bool = False,
    **params: Any,
) -> PreparedQuery:
    """Resolve a query and its parameter values without running it (e.g. for an endpoint).

    Args:
        name_or_text: a catalogue name, a ``.rq`` path, SPARQL text or a StoredQuery.
        graph: the graph the values are looked up in (default: the project's graph).
        allow_network: permit SERVICE and FROM (refused by default).
        **params: parameter name -> value (see :func:`nervegraph.queries.params.resolve`);
            ``None`` values are ignored.

    Raises:
        QueryError: the query is missing, malformed or reads remote data.
        ParameterError: unknown or missing required parameter, or a bad value.
    """
    from rdflib import URIRef

    query = load_query(name_or_text)
    _checked(query, allow_network, "rdflib")
    given = _given(params)
    source = _source(graph, None) if given else None
    iris = _params.resolve_all(source, query.params, given, query.name)
    return PreparedQuery(query.text, {k: URIRef(v) for k, v in iris.items()}, query)


def run_query(
    name_or_path_or_text: str | Path | StoredQuery,
    graph: Any = None,
    *,
    paths: list[Path] | None = None,
    allow_network: bool = False,
    engine: str | None = None,
    **params: Any,
) -> QueryResult:
    """Run a stored or ad-hoc query on ``graph`` (default: the project's graph).

    Args:
        name_or_path_or_text: a catalogue name (``examples/causes-by-region`` or the
            unique basename ``causes-by-region``), a ``.rq`` path, or SPARQL text.
        graph: an rdflib graph (one from :func:`nervegraph.load_graph` runs on Oxigraph,
            any other on rdflib's engine) or a pyoxigraph store; ``None`` loads
            ``paths`` for ``engine``.
        paths: files or directories to load when ``graph`` is ``None``, with the
            ontology (as :func:`nervegraph.load_graph`); default: the project's graph.
        allow_network: permit SERVICE and FROM (refused by default).
        engine: when ``graph`` is ``None``: ``"oxigraph"`` (the default) or ``"rdflib"``.
        **params: parameter values, e.g. ``region="lumbar"``.

    Raises:
        QueryError: the query is missing, malformed, reads remote data or fails.
        ParameterError: unknown or missing required parameter, or a bad value.
        InputError: a file of the default graph is malformed.
    """
    query = load_query(name_or_path_or_text)
    source = _source(graph, engine, paths)
    _checked(query, allow_network, source.engine)
    iris = _params.resolve_all(source, query.params, _given(params), query.name)
    import pyoxigraph

    bindings = {var: pyoxigraph.NamedNode(iri) for var, iri in iris.items()}
    text = query.text
    if bindings and source.engine == "oxigraph":
        text = bindings_as_values(query.text, bindings)
        if not allow_network and not _shipped(query):
            from nervegraph.rdf.sparql import check_offline

            check_offline(text)  # what Oxigraph runs is exactly what was checked
    log.debug("running %s with %s on %s", query.name, iris, source.engine)
    with _offline.offline(allow_network, what="query", option="--allow-network"):
        try:
            answer = source.answer(text, lambda: query.algebra, bindings)
        except QueryError as exc:
            raise QueryError(f"{query.name}: {exc}") from None
    if isinstance(answer, bool):
        return QueryResult("ASK", askAnswer=answer, source=source)
    if isinstance(answer, tuple):
        names, rows = answer
        return QueryResult("SELECT", vars=names, terms=rows, source=source)
    # CONSTRUCT or DESCRIBE: both answer a graph; a shipped query is not parsed to tell.
    form = query.query_type if "tree" in vars(query) else "CONSTRUCT"
    return QueryResult(form, triples=answer, source=source)


def result_format(fmt: str, query_type: str) -> str:
    """Map a ``--format`` choice (``auto``: table, or turtle for a graph) onto the type's."""
    graph_result = query_type in ("CONSTRUCT", "DESCRIBE")
    if fmt == "auto":
        return "turtle" if graph_result else "table"
    if graph_result and fmt == "json":
        return "jsonld"
    return fmt


def accepted_values(query: StoredQuery, graph: Any = None) -> dict[str, list[str]]:
    """Return parameter name -> the preferred labels of the values it accepts.

    Args:
        query: the stored query.
        graph: where the instances are looked up (default: the project's graph).
    """
    if not query.params:
        return {}
    source = _source(graph, None)
    return {p.name: _params.accepted(_params.candidates(source, p)) for p in query.params}


# ---------------------------------------------------------------- the graph API


def param_candidates(graph: Any, param: QueryParam) -> dict[Any, list[str]]:
    """Return the instances (rdflib IRIs) a value of ``param`` may name, with their labels.

    The first label of each list is the preferred one.
    """
    from rdflib import URIRef

    found = _params.candidates(Source(graph), param)
    return {URIRef(iri): labels for iri, labels in found.items()}


def resolve_param(graph: Any, param: QueryParam, value: Any) -> Any:
    """Return the rdflib IRI of the instance of ``param``'s class that ``value`` names.

    Raises:
        ParameterError: see :func:`nervegraph.queries.params.resolve`.
    """
    from rdflib import URIRef

    return URIRef(_params.resolve(Source(graph), param, str(value)))


# ---------------------------------------------------------------- VALUES for endpoints


def _scan(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(offset, token)`` for words and braces outside strings, IRIs and comments."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            triple = text[i : i + 3]
            if triple in ('"""', "'''"):
                j = text.find(triple, i + 3)
                i = n if j < 0 else j + 3
            else:
                j = i + 1
                while j < n and text[j] != c and text[j] != "\n":
                    j += 2 if text[j] == "\\" else 1
                i = j + 1
        elif c == "<":
            m = re.match(r'<[^<>"{}|^`\\\x00-\x20]*>', text[i:])
            if m:
                i += m.end()
            else:
                yield i, c
                i += 1
        elif c.isalpha() or c == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_-]*(:[^\s{}()<>;,.]*)?", text[i:])
            assert m is not None
            word = m.group(0)
            yield i, word
            i += len(word)
        elif c in "?$":
            m = re.match(r"[?$][A-Za-z0-9_]+", text[i:])
            i += m.end() if m else 1
        else:
            if c in "{}":
                yield i, c
            i += 1


def _where_brace(text: str) -> int:
    """Return the offset of the ``{`` that opens the outermost WHERE group."""
    depth = 0
    after_form = False
    saw_where = False
    for offset, token in _scan(text):
        upper = token.upper()
        if token == "{":
            if depth == 0 and (saw_where or (after_form and not _is_construct(text))):
                return offset
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0 and upper == "WHERE":
            saw_where = True
        elif depth == 0 and upper in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            after_form = True
    raise QueryError("cannot find the WHERE clause of the query")


def _is_construct(text: str) -> bool:
    return any(t.upper() == "CONSTRUCT" for _, t in _scan(text))


def _term_n3(var: str, term: Any) -> str:
    """A bound term in SPARQL syntax, written by pyoxigraph (which checks an IRI is one)."""
    import pyoxigraph

    from nervegraph.rdf.engines import to_oxigraph

    name = var.strip("_").removesuffix("_iri")
    if not type(term).__module__.startswith("pyoxigraph"):
        try:
            term = to_oxigraph(term)
        except ValueError as exc:
            raise ParameterError(
                name, f"parameter {name!r}: {str(term)[:200]!r} is not a valid IRI ({exc})"
            ) from None
    if not isinstance(term, pyoxigraph.NamedNode | pyoxigraph.Literal):
        raise QueryError(f"cannot send {term!r} for ?{var}: only IRIs and literals can be bound")
    return str(term)


def bindings_as_values(text: str, bindings: Mapping[str, Any]) -> str:
    r"""Return ``text`` with a ``VALUES`` clause binding ``bindings``, for remote endpoints.

    The clause ``VALUES (?a ?b) { (<iri> "lit") }`` goes at the start of the outermost
    WHERE group, so it constrains the pattern before any grouping. Terms are written
    with rdflib's ``n3()``; an IRI with a character SPARQL forbids in IRIREF (space,
    ``<>"{}|^`\\`` or a control character) is refused.

    Raises:
        ParameterError: an IRI contains a forbidden character.
        QueryError: a binding is neither IRI nor literal, a variable name is invalid,
            or the WHERE clause cannot be found.
    """
    if not bindings:
        return text
    names = list(bindings)
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise QueryError(f"invalid variable name {name!r}")
    values = " ".join(_term_n3(n, bindings[n]) for n in names)
    clause = f" VALUES ({' '.join('?' + n for n in names)}) {{ ({values}) }} "
    brace = _where_brace(text)
    return text[: brace + 1] + clause + text[brace + 1 :]


__all__ = [
    "CURIE_EXPANSIONS",
    "accepted_values",
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "PreparedQuery",
    "QueryResult",
    "bindings_as_values",
    "load_query",
    "param_candidates",
    "prepare_query",
    "resolve_param",
    "result_format",
    "run_query",
]
