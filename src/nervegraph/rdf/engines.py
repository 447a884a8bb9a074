"""Which engine answers: Oxigraph or rdflib for queries, pyshacl-turbo or pySHACL for SHACL.

Measured on a 2-core machine (see ``benchmarks/results/perf.md``): pyoxigraph loads RDF
more than ten times faster than rdflib's parsers, evaluates the stored queries tens of
times faster than rdflib's SPARQL engine, and pyshacl-turbo (a Rust SHACL engine)
returns the same results as pySHACL many times faster. So the defaults are

* ``oxigraph`` for loading and querying: an :class:`rdflib.Graph` on oxrdflib's
  ``Oxigraph`` store, filled by pyoxigraph's parser. It keeps the whole rdflib
  ``Graph`` API (labels, parameter look-up, serialisers) while SPARQL runs natively in
  Oxigraph; ``rdflib`` is rdflib's in-memory store, as before.
* ``turbo`` for validation: pyshacl-turbo, with the data *and* the shapes handed over as
  pyoxigraph stores (mixing backends changes how literals compare, e.g. in ``sh:in``);
  ``pyshacl`` is pySHACL, as before.

This module imports neither rdflib nor pySHACL at import time, so the command line can
name the engines without paying for them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nervegraph.rdf import QUERY_ENGINES, VALIDATION_ENGINES
from nervegraph.vocab import XSD_STRING

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph
    import rdflib


DEFAULT_QUERY_ENGINE = QUERY_ENGINES[0]
DEFAULT_VALIDATION_ENGINE = VALIDATION_ENGINES[0]

_QUAD_FORMATS = {"nquads", "trig"}


def check_query_engine(engine: str | None) -> str:
    """Return ``engine`` (or the default) after checking it names a query engine.

    Raises:
        ValueError: an unknown engine.
    """
    engine = engine or DEFAULT_QUERY_ENGINE
    if engine not in QUERY_ENGINES:
        raise ValueError(f"unknown query engine {engine!r}; expected one of {QUERY_ENGINES}")
    return engine


def check_validation_engine(engine: str | None) -> str:
    """Return ``engine`` (or the default) after checking it names a SHACL engine.

    Raises:
        ValueError: an unknown engine.
    """
    engine = engine or DEFAULT_VALIDATION_ENGINE
    if engine not in VALIDATION_ENGINES:
        raise ValueError(
            f"unknown validation engine {engine!r}; expected one of {VALIDATION_ENGINES}"
        )
    return engine


def engine_of(graph: rdflib.Graph) -> str:
    """Return ``"oxigraph"`` for a graph on oxrdflib's store, else ``"rdflib"``."""
    return "oxigraph" if oxigraph_store(graph) is not None else "rdflib"


def oxigraph_store(graph: Any) -> pyoxigraph.Store | None:
    """Return the pyoxigraph store of a graph made by :func:`new_oxigraph_graph`, else ``None``."""
    return getattr(graph, "oxigraph", None)


def triple_count(graph: rdflib.Graph) -> int:
    """Return ``len(graph)``, counted by Oxigraph itself when it holds only this graph.

    oxrdflib counts a graph by iterating its quads in Python (0.4 s at 330k triples);
    ``len(store)`` is counted natively (0.02 s). With named graphs in the store the two
    differ, so those stores are counted the slow way.
    """
    store = oxigraph_store(graph)
    if store is not None and next(iter(store.named_graphs()), None) is None:
        return len(store)
    return len(graph)


def new_oxigraph_graph(store: pyoxigraph.Store | None = None) -> rdflib.Graph:
    """Return an rdflib graph on oxrdflib's Oxigraph store, prefixes of ``prefixes.py`` bound.

    Args:
        store: an existing pyoxigraph store to wrap; a new in-memory one when ``None``.
    """
    import pyoxigraph
    import rdflib
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

    from nervegraph.vocab import bind_prefixes

    store = pyoxigraph.Store() if store is None else store
    # The triples live in the store's default graph, which is what SPARQL sees.
    graph = rdflib.Graph(
        store=_plain_store_class()(store=store),
        identifier=DATASET_DEFAULT_GRAPH_ID,
        bind_namespaces="none",
    )
    # oxrdflib keeps the store it was given private: we keep our own reference.
    graph.oxigraph = store  # type: ignore[attr-defined]
    bind_prefixes(graph)
    return graph


@functools.cache
def _plain_store_class() -> type:
    """Return oxrdflib's store, yielding simple literals without ``xsd:string``.

    Oxigraph cannot tell ``"a"`` from ``"a"^^xsd:string`` (RDF 1.1: the same literal)
    and oxrdflib hands both to rdflib as the typed form; rdflib's own store keeps the
    plain form it parsed. This subclass yields the plain form, so a graph compares
    equal (and isomorphic) whichever engine loaded it.
    """
    from oxrdflib import OxigraphStore

    class PlainLiteralOxigraphStore(OxigraphStore):
        def triples(self, triple_pattern: Any, context: Any = None) -> Any:
            for (s, p, o), contexts in super().triples(triple_pattern, context):
                yield (s, p, plain_literal(o)), contexts

    return PlainLiteralOxigraphStore


def _longest_line(raw: bytes) -> int:
    return max(map(len, raw.split(b"\n")), default=0)


#: the parse is checked in a scratch store with these native queries (no per-quad Python)
_RDF12_QUERY = "ASK { ?s ?p ?o FILTER(isTRIPLE(?o) || hasLANGDIR(?o)) }"
_BIG_QUERY = (
    "ASK {{ ?s ?p ?o FILTER(STRLEN(STR(?o)) > {n} || STRLEN(STR(?s)) > {n} "
    "|| STRLEN(STR(?p)) > {n} || (isLITERAL(?o) && STRLEN(STR(DATATYPE(?o))) > {n})) }}"
)


def may_hold_long_terms(raw: bytes, fmt: str, max_term_chars: int) -> bool:
    """Whether a file could hold a term over ``max_term_chars`` (else the check is skipped).

    Not when it is shorter than that, or (Turtle family) has no line that long and no
    long (triple-quoted) literal; RDF/XML and JSON-LD always could (entities, escapes).
    """
    return not (
        len(raw) <= max_term_chars
        or (
            fmt not in ("xml", "json-ld")
            and b'"""' not in raw
            and b"'''" not in raw
            and _longest_line(raw) <= max_term_chars
        )
    )


def store_refuses(store: pyoxigraph.Store, max_term_chars: int | None) -> bool:
    """Whether ``store`` holds RDF 1.2 terms, or terms over ``max_term_chars`` (if given).

    Native queries over the whole store: loading many files checks once, at the end.
    """
    if store.query(_RDF12_QUERY):
        return True
    return max_term_chars is not None and bool(
        store.query(_BIG_QUERY.format(n=int(max_term_chars)))
    )


def oxigraph_load_file(
    store: pyoxigraph.Store,
    path: Path,
    raw: bytes,
    fmt: str,
    base: str,
    max_term_chars: int,
    *,
    defer_checks: bool = False,
) -> int | None:
    """Parse ``raw`` with pyoxigraph into the default graph of ``store``.

    The caller has run :func:`nervegraph.rdf.guards.precheck`. A small file is parsed
    into a scratch store first and checked there by native queries; a big one (over
    1 MB) is parsed once into ``store`` and the store is checked. Either way a
    million-triple file costs no per-triple Python:

    * RDF 1.2 (a triple term, a directional language tag): refused, as by
      :func:`nervegraph.rdf.guards.strict_parse`, everywhere (one rule for every reader);
    * terms longer than ``max_term_chars`` (counted on what the parser produced, so
      escapes and XML entities cannot hide one); skipped when the file is too short to
      hold one, or has no line that long and no long (triple-quoted) literal;
    * the count is of this file's own triples, not of what is new to ``store``: a file
      that repeats triples of another one is not "empty".

    RDF/XML in any declared encoding is read (transcoded to UTF-8 first), JSON-LD with
    pyoxigraph's own parser (no document loader: it never fetches a remote context).

    With ``defer_checks``, a Turtle-family or RDF/XML file goes straight into ``store``
    whatever its size, and the caller runs :func:`store_refuses` once after the last
    file (one parse per file, one check per load).

    Returns:
        The number of distinct triples in the file, or ``None`` when pyoxigraph cannot
        read the format or refused the file (syntax, RDF 1.2, a term too long): the
        caller then takes the rdflib path, which reports the error with its position.
    """
    import pyoxigraph

    from nervegraph.rdf.guards import OX_FORMATS

    name = OX_FORMATS.get(fmt)
    if name is None:
        return None
    if fmt == "xml":
        from nervegraph.errors import InputError
        from nervegraph.rdf.guards import xml_as_utf8

        try:
            raw = xml_as_utf8(path, raw)
        except InputError:
            return None
    rdf_format = getattr(pyoxigraph.RdfFormat, name)
    default = pyoxigraph.DefaultGraph()
    # RDF 1.2 is looked for in what was parsed, always: its syntax has several spellings
    # (<<( )>>, {| |} annotations, ~ reifiers, @en--ltr), a text test would miss one.
    # Long terms only where the file could hold one (the caller asks when deferring).
    simple = defer_checks or not may_hold_long_terms(raw, fmt, max_term_chars)
    big_query = None if simple else _BIG_QUERY.format(n=int(max_term_chars))
    if fmt not in _QUAD_FORMATS and (defer_checks or len(raw) > _SCRATCH_BYTES):
        # Parsed once, straight into the store; the checks run on the whole store, now
        # (earlier files passed them, so a hit is this file's) or after the last file.
        before = len(store)
        try:
            store.load(raw, format=rdf_format, base_iri=base, to_graph=default)
        except (SyntaxError, ValueError, OSError):
            return None
        if not defer_checks and store_refuses(store, None if simple else max_term_chars):
            return None  # the caller raises (parse_file words it): the store is dropped
        count = len(store) - before
        if count > 0:
            return count
        # nothing new: this file repeats triples already read; count its own
    scratch = pyoxigraph.Store()
    try:
        if fmt in _QUAD_FORMATS:
            scratch.extend(
                pyoxigraph.Quad(q.subject, q.predicate, q.object, default)
                # fresh blank nodes per file, as Store.load makes them: _:b1 of two
                # files are two nodes
                for q in pyoxigraph.parse(
                    raw, format=rdf_format, base_iri=base, rename_blank_nodes=True
                )
            )
        else:
            scratch.load(raw, format=rdf_format, base_iri=base, to_graph=default)
    except (SyntaxError, ValueError, OSError):
        return None
    count = len(scratch)
    if count == 0:
        return 0
    if scratch.query(_RDF12_QUERY) or (big_query and scratch.query(big_query)):
        return None
    if fmt in _QUAD_FORMATS:
        store.extend(scratch)
    elif len(raw) <= _SCRATCH_BYTES:  # parsing again natively beats copying via Python
        store.load(raw, format=rdf_format, base_iri=base, to_graph=default)
    return count


#: files up to this size are parsed into a scratch store and checked there first
_SCRATCH_BYTES = 1 << 20


def plain_literal(term: Any) -> Any:
    """Return ``term`` with an ``xsd:string`` datatype dropped (RDF 1.1: the same literal).

    Oxigraph reports every simple literal as ``xsd:string``; rdflib keeps the plain
    form it parsed. Dropping the datatype makes both engines return equal terms.
    """
    from rdflib import Literal

    if isinstance(term, Literal) and str(term.datatype) == XSD_STRING and not term.language:
        return Literal(str(term))
    return term


# ------------------------------------------------------------------ terms


def to_oxigraph(term: Any) -> Any:
    """Return the pyoxigraph term for an rdflib IRI, blank node or literal."""
    import pyoxigraph
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, BNode):
        return pyoxigraph.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return pyoxigraph.Literal(str(term), language=term.language)
        datatype = pyoxigraph.NamedNode(str(term.datatype)) if term.datatype else None
        return pyoxigraph.Literal(str(term), datatype=datatype)
    raise ValueError(f"not an RDF term: {term!r}")


def to_rdflib(term: Any) -> Any:
    """Return the rdflib term for a pyoxigraph term (simple literals without ``xsd:string``)."""
    import pyoxigraph
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise ValueError(f"not an RDF 1.1 term: {term!r}")




__all__ = [
    "DEFAULT_QUERY_ENGINE",
    "DEFAULT_VALIDATION_ENGINE",
    "QUERY_ENGINES",
    "VALIDATION_ENGINES",
    "check_query_engine",
    "check_validation_engine",
    "engine_of",
    "new_oxigraph_graph",
    "oxigraph_load_file",
    "oxigraph_store",
    "triple_count",
    "plain_literal",
    "to_oxigraph",
    "to_rdflib",
]
