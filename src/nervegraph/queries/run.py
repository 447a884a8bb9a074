"""Stored SPARQL queries: the catalogue under ``queries/``, parameters, and running them.

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
IRI or a CURIE; it reaches SPARQL only as a bound rdflib term (``initBindings``), or, for
remote endpoints, through :func:`bindings_as_values`. A query run without a value for an
optional parameter leaves the variable free, which means "all".
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rdflib
import rdflib.plugins.sparql
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.query import Result
from rdflib.term import Identifier, Node

from nervegraph import resources
from nervegraph.errors import ParameterError, QueryError
from nervegraph.queries.catalogue import (
    QueryParam,
    StoredQuery,
    find_query,
    read_query_file,
    render_table,
    stored_query,
)
from nervegraph.rdf import offline as _offline
from nervegraph.rdf.engines import new_oxigraph_graph, oxigraph_store, to_rdflib
from nervegraph.rdf.load import load_graph
from nervegraph.rdf.sparql import check_offline
from nervegraph.vocab import PREFIXES, bind_prefixes, label

log = logging.getLogger(__name__)

__all__ = [
    "CURIE_EXPANSIONS",
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

#: CLI/library name of a SELECT/ASK result format -> rdflib result serializer (None: ours)
RESULT_FORMATS: dict[str, str | None] = {"csv": "csv", "tsv": None, "json": "json", "xml": "xml"}
#: CLI/library name of a CONSTRUCT/DESCRIBE result format -> rdflib graph serializer
GRAPH_FORMATS: dict[str, str] = {
    "turtle": "turtle",
    "nt": "nt",
    "jsonld": "json-ld",
    "xml": "xml",
}

#: Hook for external CURIEs (``MESH:D009408``): upper-cased prefix -> namespace IRI. A
#: value ``MESH:D009408`` then selects the instance whose ``skos:exactMatch`` is
#: ``<http://id.nlm.nih.gov/mesh/D009408>``. Extend it when mappings use other schemes.
CURIE_EXPANSIONS: dict[str, str] = {
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "ICD10CM": "http://purl.bioontology.org/ontology/ICD10CM/",
}

_RESOURCE = str(RDFS.Resource)
#: characters SPARQL's IRIREF forbids: controls, space, <>"{}|^`\
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):([^\s:/][^\s]*)$")


# ---------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class PreparedQuery:
    """Query text plus the rdflib terms its parameter variables are bound to.

    Attributes:
        text: the SPARQL text, unchanged.
        bindings: variable name (without ``?``) -> bound term.
        query: the stored query (header and all).
    """

    text: str
    bindings: dict[str, Identifier]
    query: StoredQuery


@dataclass
class QueryResult:
    """The answer of :func:`run_query`.

    Attributes:
        query_type: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``.
        vars: the projected variable names of a SELECT, in order.
        rows: one dict per solution, variable name -> rdflib term (``None`` if unbound).
        graph: the result graph of a CONSTRUCT/DESCRIBE, else ``None``.
        askAnswer: the answer of an ASK, else ``None``.
        source_graph: the graph the query ran on (for labels).
    """

    query_type: str
    vars: list[str] = field(default_factory=list)
    rows: list[dict[str, Node | None]] = field(default_factory=list)
    graph: Graph | None = None
    askAnswer: bool | None = None  # noqa: N815 - rdflib's name
    source_graph: Graph | None = None
    _result: Any = None

    def _rdflib_result(self) -> Result:
        if self._result is None:
            self._result = _as_rdflib_result(self)
        return self._result

    def __len__(self) -> int:
        if self.graph is not None:
            return len(self.graph)
        return len(self.rows)

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Iterate over the rows (SELECT) or triples (CONSTRUCT)."""
        if self.graph is not None:
            return iter(self.graph)
        return iter(self.rows)

    def serialize(self, fmt: str) -> str:
        """Serialise the result.

        Args:
            fmt: for SELECT/ASK one of :data:`RESULT_FORMATS` (W3C SPARQL 1.1 results
                formats) or ``table``; for CONSTRUCT/DESCRIBE one of :data:`GRAPH_FORMATS`
                or ``table``.

        Raises:
            QueryError: the format does not fit the query type.
        """
        if fmt == "table":
            return format_table(self)
        if self.graph is not None:
            if fmt not in GRAPH_FORMATS:
                raise QueryError(
                    f"format {fmt!r} does not fit a {self.query_type} query; "
                    f"use one of: table, {', '.join(GRAPH_FORMATS)}"
                )
            out = self.graph.serialize(format=GRAPH_FORMATS[fmt])
            return out if out.endswith("\n") else out + "\n"
        if fmt not in RESULT_FORMATS:
            raise QueryError(
                f"format {fmt!r} does not fit a {self.query_type} query; "
                f"use one of: table, {', '.join(RESULT_FORMATS)}"
            )
        if fmt == "tsv":
            return _tsv(self)
        data = self._rdflib_result().serialize(format=RESULT_FORMATS[fmt])
        text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
        return text if text.endswith("\n") else text + "\n"


def _as_rdflib_result(result: QueryResult) -> Result:
    """Return ``result`` (SELECT or ASK) as an rdflib ``Result``, for its serialisers."""
    out = Result(result.query_type)
    if result.query_type == "ASK":
        out.askAnswer = bool(result.askAnswer)
        return out
    out.vars = [rdflib.Variable(v) for v in result.vars]
    out.bindings = [
        {rdflib.Variable(k): v for k, v in row.items() if v is not None} for row in result.rows
    ]
    return out


def _tsv(result: QueryResult) -> str:
    """W3C SPARQL 1.1 TSV: header of ``?var``, terms in Turtle/N-Triples syntax."""
    if result.query_type == "ASK":
        return "?_askResult\n" + ("true" if result.askAnswer else "false") + "\n"
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    for row in result.rows:
        cells = []
        for var in result.vars:
            term = row.get(var)
            cells.append("" if term is None else term.n3())
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def format_table(result: QueryResult) -> str:
    """Render a result for people: labels instead of IRIs, aligned columns."""
    graph = result.source_graph if result.source_graph is not None else Graph()
    if result.query_type == "ASK":
        return ("yes" if result.askAnswer else "no") + "\n"
    if result.graph is not None:
        header = ["subject", "predicate", "object"]
        body = sorted(
            [label(graph, s), label(graph, p), label(graph, o)] for s, p, o in result.graph
        )
    else:
        header = list(result.vars)
        body = [[label(graph, row.get(v)) for v in header] for row in result.rows]
    return render_table(header, body)


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
        QueryError: not found, unreadable, or not parseable.
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


# ---------------------------------------------------------------- parameters


def _expand(curie: str) -> URIRef:
    prefix, _, local = curie.partition(":")
    if prefix not in PREFIXES:
        raise QueryError(f"unknown prefix {prefix!r} in {curie!r}")
    return URIRef(PREFIXES[prefix] + local)


def _normalise_label(text: str) -> str:
    return " ".join(text.split()).casefold()


def param_candidates(graph: Graph, param: QueryParam) -> dict[URIRef, list[str]]:
    """Return the instances a value of ``param`` may name, with all their labels.

    The first label of each list is the preferred one. For ``rdfs:Resource`` any node
    with a ``skos:prefLabel`` qualifies; for ``skos:Concept`` with a ``scheme`` the
    concepts ``skos:inScheme`` it; otherwise instances of the class or its subclasses.
    """
    cls = _expand(param.cls)
    if str(cls) == _RESOURCE:
        nodes: set[Node] = set(graph.subjects(SKOS.prefLabel, None))
    elif cls == SKOS.Concept and param.scheme:
        nodes = set(graph.subjects(SKOS.inScheme, _expand(param.scheme)))
    else:
        nodes = {s for c in _classes(graph, cls) for s in graph.subjects(RDF.type, c)}
    found: dict[URIRef, list[str]] = {}
    for node in sorted(n for n in nodes if isinstance(n, URIRef)):
        labels: list[str] = []
        for prop in (SKOS.prefLabel, RDFS.label, SKOS.altLabel):
            for value in sorted(graph.objects(node, prop), key=str):
                if isinstance(value, Literal) and str(value) not in labels:
                    labels.append(str(value))
        found[node] = labels
    return found


def _is_candidate(graph: Graph, param: QueryParam, iri: URIRef) -> bool:
    """Whether ``iri`` is among :func:`param_candidates` (index lookups, not a scan)."""
    cls = _expand(param.cls)
    if str(cls) == _RESOURCE:
        return (iri, SKOS.prefLabel, None) in graph
    if cls == SKOS.Concept and param.scheme:
        return (iri, SKOS.inScheme, _expand(param.scheme)) in graph
    return any((iri, RDF.type, c) in graph for c in _classes(graph, cls))


def _classes(graph: Graph, cls: Node) -> set[Node]:
    """``cls`` and its subclasses, whose instances a parameter of class ``cls`` accepts."""
    classes = set(graph.transitive_subjects(RDFS.subClassOf, cls))
    if cls == OWL.Class:  # an rdfs:Class is accepted as an owl:Class
        classes.add(RDFS.Class)
    return classes


def _class_name(param: QueryParam) -> str:
    if param.scheme:
        return f"concept of {param.scheme}"
    if param.cls == "rdfs:Resource":
        return "entity"
    return param.cls.partition(":")[2] or param.cls


#: at most this many accepted values are listed in an error message
MAX_ACCEPTED_LISTED = 40


def _accepted(candidates: Mapping[URIRef, list[str]]) -> str:
    names = sorted(
        {labels[0] if labels else str(iri) for iri, labels in candidates.items()},
        key=str.casefold,
    )
    if len(names) > MAX_ACCEPTED_LISTED:
        more = len(names) - MAX_ACCEPTED_LISTED
        return ", ".join(names[:MAX_ACCEPTED_LISTED]) + f", … and {more} more"
    return ", ".join(names)


def _curie_namespace(prefix: str) -> str | None:
    """Namespace of a CURIE prefix: prefixes.py (exact, then any case), then the hook."""
    if prefix in PREFIXES:
        return PREFIXES[prefix]
    folded = {p.casefold(): iri for p, iri in PREFIXES.items()}
    if prefix.casefold() in folded:
        return folded[prefix.casefold()]
    return CURIE_EXPANSIONS.get(prefix.upper())


def _local_name(iri: URIRef) -> str:
    return re.split(r"[/#]", str(iri))[-1]


#: SKOS mapping properties by strength, for resolving an external code to an instance
_MATCH_TIERS: tuple[tuple[URIRef, ...], ...] = (
    (SKOS.exactMatch,),
    (SKOS.closeMatch,),
    (SKOS.broadMatch, SKOS.narrowMatch),
    (SKOS.relatedMatch,),
)


def _check_iri(param: str, iri: str) -> None:
    bad = _BAD_IRI_CHARS.search(iri)
    if bad:
        raise ParameterError(
            param,
            f"parameter {param!r}: {iri!r} is not a valid IRI "
            f"(character {bad.group(0)!r} is not allowed)",
        )


def resolve_param(graph: Graph, param: QueryParam, value: str | URIRef) -> URIRef:
    """Turn a person's value for ``param`` into the IRI of one instance of its class.

    Args:
        graph: the graph the query will run on.
        param: the parameter.
        value: a label or synonym (case-insensitive), a full IRI, a CURIE with a prefix
            of ``prefixes.py``, or an external CURIE (``MESH:D…``, see
            :data:`CURIE_EXPANSIONS`) that an instance declares as ``skos:exactMatch``.

    Raises:
        ParameterError: the value names nothing, names something that is not an
            instance of the class, names several instances, or is a malformed IRI.
    """
    text = str(value)
    what = _class_name(param)

    # Every instance with every label: a scan (seconds at 1000 articles), so only
    # when a label must be matched or an error must list the accepted values.
    @functools.cache
    def candidates() -> dict[URIRef, list[str]]:
        return param_candidates(graph, param)

    def not_found(reason: str) -> ParameterError:
        return ParameterError(
            param.name,
            f"parameter {param.name!r}: {reason}; accepted: {_accepted(candidates())}",
        )

    def one(hits: list[URIRef]) -> URIRef:
        """The single hit, or an error naming every entity the value could mean."""
        if len(hits) > 1:
            names = ", ".join(f"{label(graph, h)} ({h})" for h in hits)
            raise ParameterError(
                param.name, f"parameter {param.name!r}: {text!r} is ambiguous: {names}"
            )
        return hits[0]

    iri: URIRef | None = None
    if isinstance(value, URIRef) or re.match(r"^(https?|urn|file):", text, re.IGNORECASE):
        _check_iri(param.name, text)
        iri = URIRef(text)
    else:
        match = _CURIE.match(text.strip())
        namespace = _curie_namespace(match.group(1)) if match else None
        if match and namespace is not None:
            _check_iri(param.name, match.group(2))
            iri = URIRef(namespace + match.group(2))
    if iri is not None:
        if _is_candidate(graph, param, iri):
            return iri
        # an external identifier (MESH:D…) names the instance mapped to it: the
        # strongest SKOS match wins (exact, then close, then broad/narrow, then related)
        hits = []
        for tier in _MATCH_TIERS:
            mapped = {s for p in tier for s in graph.subjects(p, iri) if isinstance(s, URIRef)}
            hits = sorted(c for c in mapped if _is_candidate(graph, param, c))
            if hits:
                break
        if hits:
            return one(hits)
        raise not_found(f"{text!r} is not a {what}")

    wanted = _normalise_label(text)
    hits = [c for c, labels in candidates().items() if wanted in map(_normalise_label, labels)]
    if not hits:  # a slug such as "herniated-disc": the local name of the IRI
        hits = [c for c in candidates() if _local_name(c).casefold() == wanted]
    if hits:
        return one(hits)
    raise not_found(f"no {what} matches {text!r}")


def prepare_query(
    name_or_text: str | Path | StoredQuery,
    graph: Graph | None = None,
    *,
    allow_network: bool = False,
    **params: str | URIRef,
) -> PreparedQuery:
    """Resolve a query and its parameter values without running it.

    Args:
        name_or_text: a catalogue name, a ``.rq`` path, SPARQL text or a StoredQuery.
        graph: the graph the values are looked up in (default: the bundled graph).
        allow_network: permit SERVICE, LOAD and FROM (refused by default).
        **params: parameter name -> value (see :func:`resolve_param`); ``None`` values
            are ignored.

    Raises:
        QueryError: the query is missing, malformed or reads remote data.
        ParameterError: unknown or missing required parameter, or a bad value.
    """
    query = load_query(name_or_text)
    if not allow_network:
        check_offline(query.tree)
    else:
        query.tree  # noqa: B018 - a syntax error is reported before anything runs
    declared = {p.name: p for p in query.params}
    for key in params:
        if key not in declared:
            known = ", ".join(declared) or "none"
            raise ParameterError(
                key, f"unknown parameter {key!r} for {query.name} (parameters: {known})"
            )
    given = {k: v for k, v in params.items() if v is not None}
    for param in query.params:
        if param.required and param.name not in given:
            raise ParameterError(
                param.name, f"parameter {param.name!r} is required by {query.name}"
            )
    if given and graph is None:
        graph = load_graph()
    bindings: dict[str, Identifier] = {}
    for key, value in given.items():
        assert graph is not None
        bindings[declared[key].variable] = resolve_param(graph, declared[key], value)
    return PreparedQuery(text=query.text, bindings=bindings, query=query)


@_offline.guarded("query", option="--allow-network")
def run_query(
    name_or_path_or_text: str | Path | StoredQuery,
    graph: Graph | None = None,
    *,
    allow_network: bool = False,
    engine: str | None = None,
    **params: str | URIRef,
) -> QueryResult:
    """Run a stored or ad-hoc query on ``graph`` (default: :func:`load_graph`).

    Args:
        name_or_path_or_text: a catalogue name (``examples/causes-by-region`` or the
            unique basename ``causes-by-region``), a ``.rq`` path, or SPARQL text.
        graph: the graph to query; the bundled graph when ``None``.
        allow_network: permit SERVICE, LOAD and FROM (refused by default).
        engine: when ``graph`` is ``None``, the engine :func:`load_graph` loads it for
            (``"oxigraph"``, the default, or ``"rdflib"``); a given graph runs on the
            engine of its store.
        **params: parameter values, e.g. ``region="lumbar"``.

    Returns:
        A :class:`QueryResult`.

    Raises:
        QueryError: the query is missing, malformed, reads remote data or fails.
        ParameterError: unknown or missing required parameter, or a bad value.
    """
    if graph is None:
        graph = load_graph(engine=engine)
    prepared = prepare_query(name_or_path_or_text, graph, allow_network=allow_network, **params)
    store = oxigraph_store(graph)
    if store is not None:
        # Straight to pyoxigraph, which binds only projected variables: the bindings go
        # in as a VALUES clause of checked terms.
        text = bindings_as_values(prepared.text, prepared.bindings)
        log.debug("running %s with %s on Oxigraph", prepared.query.name, prepared.bindings)
        return _run_oxigraph(store, graph, text, prepared.query)
    # rdflib's own engine gets the parse tree read once, and initBindings.
    log.debug("running %s with %s", prepared.query.name, prepared.bindings)
    try:
        result = graph.query(prepared.query.algebra, initBindings=prepared.bindings)
    except Exception as exc:  # noqa: BLE001 - evaluation errors of rdflib
        raise QueryError(f"{prepared.query.name}: query failed: {exc}") from None
    constructed = None
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        constructed = Graph(bind_namespaces="none")
        bind_prefixes(constructed)
        for triple in result:
            constructed.add(triple)  # type: ignore[arg-type]
    return wrap_result(result, prepared.query.query_type, graph, constructed)


def _run_oxigraph(store: Any, graph: Graph, text: str, query: StoredQuery) -> QueryResult:
    """Run ``text`` on the pyoxigraph ``store`` under ``graph``, as oxrdflib would.

    Each distinct term is converted once, and simple literals come back plain (Oxigraph
    types them ``xsd:string``, rdflib does not), so both engines return equal terms.
    """
    import pyoxigraph

    try:
        answer = store.query(text, prefixes=PREFIXES)  # as rdflib's graph.query knows them
        out = QueryResult(query_type=query.query_type, source_graph=graph)
        # Results repeat terms (the same entity on many rows): convert each one once.
        converted: dict[Any, Node] = {}

        def term(value: Any) -> Node:
            found = converted.get(value)
            if found is None:
                found = converted[value] = to_rdflib(value)
            return found

        if isinstance(answer, pyoxigraph.QueryBoolean):
            out.askAnswer = bool(answer)
        elif isinstance(answer, pyoxigraph.QuerySolutions):
            out.vars = [v.value for v in answer.variables]
            out.rows = [
                {
                    name: None if value is None else term(value)
                    for name, value in zip(out.vars, solution, strict=True)
                }
                for solution in answer
            ]
        else:
            # The answer graph stays in Oxigraph, as the data did: filled natively, it
            # is an rdflib Graph whose terms are converted when read (a CONSTRUCT of
            # 300,000 triples took 5 s to copy into rdflib's memory store).
            target = pyoxigraph.Store()
            default = pyoxigraph.DefaultGraph()
            target.extend(
                pyoxigraph.Quad(t.subject, t.predicate, t.object, default) for t in answer
            )
            out.graph = new_oxigraph_graph(target)
    except (SyntaxError, ValueError, OSError, RuntimeError) as exc:
        raise QueryError(f"{query.name}: query failed: {exc}") from None
    return out


def wrap_result(
    result: Result, query_type: str, source_graph: Graph | None, graph: Graph | None = None
) -> QueryResult:
    """Turn an rdflib ``Result`` (local or parsed from an endpoint) into a QueryResult.

    Args:
        result: the answer.
        query_type: the query's form, as the catalogue gives it.
        source_graph: where display labels come from (``table`` output).
        graph: for CONSTRUCT/DESCRIBE, the graph to return; ``result.graph`` if None.
    """
    out = QueryResult(query_type=query_type, source_graph=source_graph, _result=result)
    if result.type == "ASK":
        out.askAnswer = bool(result.askAnswer)
    elif result.type in ("CONSTRUCT", "DESCRIBE"):
        out.graph = graph if graph is not None else result.graph
    else:
        out.vars = [str(v) for v in (result.vars or [])]
        out.rows = [
            {v: row[v] if v in row.labels else None for v in out.vars}  # type: ignore[union-attr]
            for row in result
        ]
    return out


def result_format(fmt: str, query_type: str) -> str:
    """Map a ``--format`` choice (``auto``: table, or turtle for a graph) onto the query type's."""
    graph_result = query_type in ("CONSTRUCT", "DESCRIBE")
    if fmt == "auto":
        return "turtle" if graph_result else "table"
    if graph_result and fmt == "json":
        return "jsonld"
    return fmt


# ---------------------------------------------------------------- remote endpoints


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


def _term_n3(var: str, term: Identifier) -> str:
    if isinstance(term, URIRef):
        _check_iri(var.strip("_").removesuffix("_iri"), str(term))
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise QueryError(f"cannot send {term!r} for ?{var}: only IRIs and literals can be bound")


def bindings_as_values(text: str, bindings: Mapping[str, Identifier]) -> str:
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
