"""A query's answer and its formats: the W3C SPARQL 1.1 results formats, RDF, a table.

The answer holds pyoxigraph terms, whichever engine produced it; ``rows`` and ``graph``
give rdflib terms and graphs on first use. The formats are written here from those
terms (CSV, TSV, JSON, XML) or by pyoxigraph's serialisers (RDF), so printing an answer
needs neither rdflib nor a second run of the query.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from nervegraph.errors import QueryError
from nervegraph.queries.catalogue import render_table
from nervegraph.queries.source import Source
from nervegraph.vocab import LABEL_PROPERTIES, PREFIXES, XSD_STRING, choose_label, curie

#: CLI/library name of a SELECT/ASK result format
RESULT_FORMATS = ("csv", "tsv", "json", "xml")
#: CLI/library name of a CONSTRUCT/DESCRIBE result format -> pyoxigraph RdfFormat name
GRAPH_FORMATS = {"turtle": "TURTLE", "nt": "N_TRIPLES", "jsonld": "JSON_LD", "xml": "RDF_XML"}
_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"


@dataclass
class QueryResult:
    """The answer of :func:`nervegraph.queries.run_query`.

    Attributes:
        query_type: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``.
        vars: the projected variable names of a SELECT, in order.
        terms: one tuple of pyoxigraph terms per solution (``None``: unbound).
        triples: the pyoxigraph triples of a CONSTRUCT/DESCRIBE answer.
        askAnswer: the answer of an ASK, else ``None``.
        source: the data the query ran on, where ``table`` output finds labels.
    """

    query_type: str
    vars: list[str] = field(default_factory=list)
    terms: list[tuple] = field(default_factory=list)
    triples: list[Any] | None = None
    askAnswer: bool | None = None  # noqa: N815 - rdflib's name
    source: Source | None = None

    @functools.cached_property
    def rows(self) -> list[dict[str, Any]]:
        """One dict per solution: variable name -> rdflib term (``None`` if unbound)."""
        from nervegraph.rdf.engines import to_rdflib

        return [
            {v: None if t is None else to_rdflib(t) for v, t in zip(self.vars, row, strict=True)}
            for row in self.terms
        ]

    @functools.cached_property
    def graph(self) -> Any:
        """The answer of a CONSTRUCT/DESCRIBE as an rdflib graph (on Oxigraph), else None."""
        if self.triples is None:
            return None
        import pyoxigraph

        from nervegraph.rdf.engines import new_oxigraph_graph

        store = pyoxigraph.Store()
        default = pyoxigraph.DefaultGraph()
        store.extend(
            pyoxigraph.Quad(t.subject, t.predicate, t.object, default) for t in self.triples
        )
        return new_oxigraph_graph(store)

    def __len__(self) -> int:
        return len(self.triples) if self.triples is not None else len(self.terms)

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Iterate over the rows (SELECT) or the rdflib triples (CONSTRUCT)."""
        return iter(self.graph) if self.triples is not None else iter(self.rows)

    def serialize(self, fmt: str) -> str:
        """Serialise the answer.

        Args:
            fmt: ``table``; for SELECT/ASK one of :data:`RESULT_FORMATS` (the W3C SPARQL
                1.1 results formats); for CONSTRUCT/DESCRIBE one of :data:`GRAPH_FORMATS`.

        Raises:
            QueryError: the format does not fit the query type.
        """
        if fmt == "table":
            return self.table()
        if self.triples is not None:
            if fmt not in GRAPH_FORMATS:
                raise QueryError(
                    f"format {fmt!r} does not fit a {self.query_type} query; "
                    f"use one of: table, {', '.join(GRAPH_FORMATS)}"
                )
            import pyoxigraph

            iris = {
                t.value
                for triple in self.triples
                for t in (triple.subject, triple.predicate, triple.object)
                if isinstance(t, pyoxigraph.NamedNode)
            }
            iris |= {
                t.datatype.value
                for tr in self.triples
                if isinstance(t := tr.object, pyoxigraph.Literal)
            }
            used = {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}
            data = pyoxigraph.serialize(
                self.triples,
                format=getattr(pyoxigraph.RdfFormat, GRAPH_FORMATS[fmt]),
                prefixes=used,
            ).decode("utf-8")
            return data if data.endswith("\n") else data + "\n"
        if fmt not in RESULT_FORMATS:
            raise QueryError(
                f"format {fmt!r} does not fit a {self.query_type} query; "
                f"use one of: table, {', '.join(RESULT_FORMATS)}"
            )
        return {"csv": self._csv, "tsv": self._tsv, "json": self._json, "xml": self._xml}[fmt]()

    # ------------------------------------------------------------ W3C results formats

    def _csv(self) -> str:
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        if self.askAnswer is not None:
            writer.writerows([["_askResult"], ["true" if self.askAnswer else "false"]])
        else:
            writer.writerow(self.vars)
            writer.writerows([[_plain(t) for t in row] for row in self.terms])
        return out.getvalue()

    def _tsv(self) -> str:
        if self.askAnswer is not None:
            return "?_askResult\n" + ("true" if self.askAnswer else "false") + "\n"
        lines = ["\t".join(f"?{v}" for v in self.vars)]
        lines += ["\t".join("" if t is None else _n3(t) for t in row) for row in self.terms]
        return "\n".join(lines) + "\n"

    def _json(self) -> str:
        import json

        if self.askAnswer is not None:
            return json.dumps({"head": {}, "boolean": self.askAnswer}) + "\n"
        bindings = [
            {v: _json_term(t) for v, t in zip(self.vars, row, strict=True) if t is not None}
            for row in self.terms
        ]
        data = {"head": {"vars": self.vars}, "results": {"bindings": bindings}}
        return json.dumps(data, ensure_ascii=False) + "\n"

    def _xml(self) -> str:
        from xml.etree import ElementTree as ET  # noqa: N817 - the usual name

        root = ET.Element("sparql", xmlns=_RESULTS_NS)
        head = ET.SubElement(root, "head")
        if self.askAnswer is not None:
            ET.SubElement(root, "boolean").text = "true" if self.askAnswer else "false"
        else:
            for var in self.vars:
                ET.SubElement(head, "variable", name=var)
            results = ET.SubElement(root, "results")
            for row in self.terms:
                result = ET.SubElement(results, "result")
                for var, term in zip(self.vars, row, strict=True):
                    if term is not None:
                        _xml_term(ET.SubElement(result, "binding", name=var), term)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"

    # ------------------------------------------------------------ for people

    def table(self, width: int | None = None, iris: bool = False) -> str:
        """Render the answer for people: aligned columns and a row count.

        Args:
            width: the line length to fit, cutting long cells with ``…`` (``None``: no
                limit); the csv, tsv and json formats never cut anything.
            iris: show IRIs as CURIEs (what ``--param`` accepts) instead of labels.
        """
        if self.askAnswer is not None:
            return ("yes" if self.askAnswer else "no") + "\n"
        cache: dict[Any, str] = {}

        def show(term: Any) -> str:
            if term is None:
                return ""
            if term not in cache:
                cache[term] = _display(None if iris else self.source, term, iris)
            return cache[term]

        if self.triples is not None:
            header = ["subject", "predicate", "object"]
            body = sorted(
                [show(t.subject), show(t.predicate), show(t.object)] for t in self.triples
            )
        else:
            header = list(self.vars)
            body = [[show(t) for t in row] for row in self.terms]
        out = render_table(header, body, width)
        if any(t is None for row in self.terms for t in row):
            out += "(an empty cell: the article states nothing there for that row)\n"
        return out


def _display(source: Source | None, term: Any, iris: bool = False) -> str:
    import pyoxigraph

    if isinstance(term, pyoxigraph.Literal):
        return term.value
    if isinstance(term, pyoxigraph.NamedNode):
        if iris:
            return curie(term.value)
        values = source.literals(term.value, LABEL_PROPERTIES) if source is not None else []
        return choose_label(term.value, values)
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    return str(term)


def _plain(term: Any) -> str:
    """CSV: the lexical form of a literal, the IRI itself, ``_:id`` for a blank node."""
    import pyoxigraph

    if term is None:
        return ""
    if isinstance(term, pyoxigraph.BlankNode):
        return f"_:{term.value}"
    return term.value


def _n3(term: Any) -> str:
    """TSV: terms in Turtle/N-Triples syntax (simple literals without ``^^xsd:string``)."""
    import pyoxigraph

    if isinstance(term, pyoxigraph.Literal) and not term.language:
        if term.datatype.value == XSD_STRING:
            return str(pyoxigraph.Literal(term.value))
    return str(term)


def _json_term(term: Any) -> dict[str, str]:
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _xml_term(parent: Any, term: Any) -> None:
    from xml.etree import ElementTree as ET  # noqa: N817 - the usual name

    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        ET.SubElement(parent, "uri").text = term.value
    elif isinstance(term, pyoxigraph.BlankNode):
        ET.SubElement(parent, "bnode").text = term.value
    else:
        element = ET.SubElement(parent, "literal")
        if term.language:
            element.set("xml:lang", term.language)
        elif term.datatype.value != XSD_STRING:
            element.set("datatype", term.datatype.value)
        element.text = term.value


def from_rdflib(result: Any, source: Source | None) -> QueryResult:
    """Turn an rdflib ``Result`` (an endpoint's answer, parsed) into a :class:`QueryResult`."""
    import pyoxigraph

    from nervegraph.rdf.engines import to_oxigraph

    if result.type == "ASK":
        return QueryResult("ASK", askAnswer=bool(result.askAnswer), source=source)
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        triples = [pyoxigraph.Triple(*map(to_oxigraph, t)) for t in result.graph]
        return QueryResult(result.type, triples=triples, source=source)
    names = [str(v) for v in result.vars or []]
    rows = [tuple(None if row[v] is None else to_oxigraph(row[v]) for v in names) for row in result]
    return QueryResult("SELECT", vars=names, terms=rows, source=source)


__all__ = ["GRAPH_FORMATS", "RESULT_FORMATS", "QueryResult", "from_rdflib"]
