"""What the site shows, read from the graph once: classes, relations, shapes, entities, statements.

Everything here is sorted, so the pages built from it come out byte for byte the same.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node

from nervegraph.vocab import NG, NGE, NGQ, curie

NGNS = Namespace(NG)
SH = Namespace("http://www.w3.org/ns/shacl#")
MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
#: statement properties shown by their own column, not as qualifiers
_STATEMENT_CORE = {
    RDF.type,
    RDF.subject,
    RDF.predicate,
    RDF.object,
    PROV.wasDerivedFrom,
    NGNS.evidence,
}
#: entity properties shown in their own places, not under "other properties"
_ENTITY_SHOWN = {RDF.type, RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.definition, *MATCHES}


def local_name(iri: str) -> str:
    """The part of an IRI after its last ``#`` or ``/``."""
    return re.split(r"[#/]", iri)[-1]


def slug(text: str) -> str:
    """A file-name-safe form of ``text`` (letters, digits, ``.``, ``_`` and ``-``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def label_of(graph: Graph, term: Node | None) -> str:
    """skos:prefLabel, else rdfs:label (English first), else the CURIE; a literal's text."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, URIRef):
        for prop in (SKOS.prefLabel, RDFS.label):
            values = [v for v in graph.objects(term, prop) if isinstance(v, Literal)]
            if values:
                values.sort(key=lambda v: (v.language not in ("en", None), str(v)))
                return str(values[0])
        return curie(str(term))
    return term.n3()


def _first(graph: Graph, node: Node, prop: URIRef) -> str:
    values = sorted(str(v) for v in graph.objects(node, prop))
    return values[0] if values else ""


def _sorted_iris(nodes) -> list[URIRef]:  # type: ignore[no-untyped-def]
    return sorted({n for n in nodes if isinstance(n, URIRef)}, key=str)


@dataclass
class Constraint:
    """A SHACL constraint on a class or relation, in words."""

    shape: str  # CURIE of the node shape (or named property shape)
    path: str  # the path, as text
    facets: list[str]  # "minCount 1", "class ng:Condition", ...
    message: str


@dataclass
class Term:
    """An ontology class or property."""

    iri: URIRef
    label: str
    definition: str
    comment: str
    kind: str  # "class", "relation", "property"
    parents: list[URIRef] = field(default_factory=list)  # subClassOf / subPropertyOf
    children: list[URIRef] = field(default_factory=list)
    matches: list[tuple[URIRef, URIRef]] = field(default_factory=list)  # (skos:*Match, IRI)
    domain: list[URIRef] = field(default_factory=list)
    range: list[URIRef] = field(default_factory=list)
    inverse: list[URIRef] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    count: int = 0  # instances (class) or statements (relation)

    @property
    def anchor(self) -> str:
        """The fragment id on the ontology page."""
        prefix = "c" if self.kind == "class" else "p"
        return f"{prefix}-{slug(local_name(str(self.iri)))}"


@dataclass
class Evidence:
    """One piece of evidence: a section and a verbatim quote."""

    iri: URIRef
    section: URIRef | None
    quote: str


@dataclass
class Statement:
    """A reified stated triple with its qualifiers and evidence."""

    iri: URIRef
    subject: URIRef
    predicate: URIRef
    object: Node
    sources: list[URIRef]
    qualifiers: list[tuple[URIRef, Node]]
    evidence: list[Evidence]


@dataclass
class Entity:
    """An ``nge:`` entity and everything the site shows about it."""

    iri: URIRef
    label: str
    types: list[URIRef]
    alt_labels: list[str]
    definition: str
    mappings: list[tuple[URIRef, URIRef]]
    other: list[tuple[URIRef, Node]]
    sources: list[URIRef]
    outgoing: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)

    @property
    def page(self) -> str:
        """Path of its page below the site root."""
        return f"entity/{slug(local_name(str(self.iri)))}.html"


@dataclass
class Section:
    """A section of a source article."""

    iri: URIRef
    heading: str
    index: int
    evidence_count: int = 0

    @property
    def anchor(self) -> str:
        """Fragment id on the source page."""
        return f"s-{slug(local_name(str(self.iri)))}"


@dataclass
class Source:
    """A source article (``ng:SourceArticle``) with its metadata and sections."""

    iri: URIRef
    title: str
    fields: list[tuple[URIRef, Node]]
    sections: list[Section]
    file_name: str
    sha256: str
    statement_count: int = 0

    @property
    def page(self) -> str:
        """Path of its page below the site root."""
        return f"source/{slug(local_name(str(self.iri)))}.html"


@dataclass
class SiteModel:
    """Everything read from the graph, plus the shapes graph, for the pages."""

    graph: Graph
    triples: int
    classes: list[Term]
    relations: list[Term]
    properties: list[Term]
    qualifiers: list[tuple[URIRef, str, str, str]]  # (iri, label, scheme label, definition)
    entities: list[Entity]
    statements: list[Statement]
    sources: list[Source]
    sections: dict[URIRef, Section]
    instance_counts: dict[URIRef, int]
    terms: dict[URIRef, Term] = field(default_factory=dict)
    entity_by_iri: dict[URIRef, Entity] = field(default_factory=dict)

    def label(self, term: Node | None) -> str:
        """A person's name for ``term``."""
        return label_of(self.graph, term)


def _path_text(shapes: Graph, path: Node) -> tuple[str, Node | None]:
    """The path as text and the property it is about (``^p`` for an inverse path)."""
    if isinstance(path, URIRef):
        return curie(str(path)), path
    inverse = shapes.value(path, SH.inversePath)
    if isinstance(inverse, URIRef):
        return "^" + curie(str(inverse)), inverse
    return "(complex path)", None


_FACETS = (
    "minCount",
    "maxCount",
    "class",
    "datatype",
    "nodeKind",
    "minInclusive",
    "minLength",
    "maxLength",
    "pattern",
    "in",
    "hasValue",
    "languageIn",
    "uniqueLang",
)


def _facets(shapes: Graph, node: Node) -> list[str]:
    out = []
    for name in _FACETS:
        for value in sorted(shapes.objects(node, SH[name]), key=str):
            if isinstance(value, URIRef):
                out.append(f"{name} {curie(str(value))}")
            elif isinstance(value, Literal):
                out.append(f"{name} {value}")
            else:
                items = [
                    curie(str(v)) if isinstance(v, URIRef) else str(v) for v in shapes.items(value)
                ]
                out.append(f"{name} ({' '.join(items)})")
    return out


def _constraints(
    shapes: Graph,
) -> tuple[dict[URIRef, list[Constraint]], dict[URIRef, list[Constraint]]]:
    """Constraints by target class, and by the property their path is about."""
    by_class: dict[URIRef, list[Constraint]] = defaultdict(list)
    by_property: dict[URIRef, list[Constraint]] = defaultdict(list)
    for shape in _sorted_iris(shapes.subjects(RDF.type, SH.NodeShape)):
        name = curie(str(shape))
        targets = _sorted_iris(shapes.objects(shape, SH.targetClass))
        own_message = _first(shapes, shape, SH.message)
        facets = _facets(shapes, shape)
        rows = []
        if facets or own_message:
            rows.append((Constraint(name, "(the node)", facets, own_message), None))
        props = sorted(shapes.objects(shape, SH.property), key=lambda n: _prop_key(shapes, n))
        for prop in props:
            path = shapes.value(prop, SH.path)
            text, about = _path_text(shapes, path) if path is not None else ("", None)
            shape_name = curie(str(prop)) if isinstance(prop, URIRef) else name
            row = Constraint(
                shape_name, text, _facets(shapes, prop), _first(shapes, prop, SH.message)
            )
            rows.append((row, about))
        for sparql in sorted(
            shapes.objects(shape, SH.sparql), key=lambda n: _first(shapes, n, SH.message)
        ):
            label = curie(str(sparql)) if isinstance(sparql, URIRef) else name
            rows.append(
                (Constraint(label, "(SPARQL)", [], _first(shapes, sparql, SH.message)), None)
            )
        for row, about in rows:
            for cls in targets:
                by_class[cls].append(row)
            if isinstance(about, URIRef):
                by_property[about].append(row)
    return by_class, by_property


def _prop_key(shapes: Graph, node: Node) -> tuple[str, str]:
    path = shapes.value(node, SH.path)
    text = _path_text(shapes, path)[0] if path is not None else ""
    return text, _first(shapes, node, SH.message)


def _term(graph: Graph, iri: URIRef, kind: str) -> Term:
    parent_prop = RDFS.subClassOf if kind == "class" else RDFS.subPropertyOf
    return Term(
        iri=iri,
        label=label_of(graph, iri),
        definition=_first(graph, iri, SKOS.definition),
        comment=_first(graph, iri, RDFS.comment),
        kind=kind,
        parents=_sorted_iris(graph.objects(iri, parent_prop)),
        children=_sorted_iris(graph.subjects(parent_prop, iri)),
        matches=sorted(
            ((m, o) for m in MATCHES for o in graph.objects(iri, m) if isinstance(o, URIRef)),
            key=lambda pair: (str(pair[0]), str(pair[1])),
        ),
        domain=_sorted_iris(graph.objects(iri, RDFS.domain)),
        range=_sorted_iris(graph.objects(iri, RDFS.range)),
        inverse=_sorted_iris(graph.objects(iri, OWL.inverseOf)),
    )


def build_model(source_graph: Graph, shapes: Graph) -> SiteModel:
    """Read the site's content from ``source_graph`` (copied into memory) and ``shapes``."""
    graph = Graph(bind_namespaces="none")
    for triple in source_graph:
        graph.add(triple)
    ng_iri = lambda n: isinstance(n, URIRef) and str(n).startswith(NG)  # noqa: E731
    stated = set(graph.transitive_subjects(RDFS.subPropertyOf, NGNS.statedRelation))
    stated.discard(NGNS.statedRelation)
    by_class, by_property = _constraints(shapes)

    classes = [
        _term(graph, c, "class")
        for c in _sorted_iris(graph.subjects(RDF.type, OWL.Class))
        if ng_iri(c)
    ]
    declared_props = {
        p
        for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
        for p in graph.subjects(RDF.type, kind)
        if ng_iri(p)
    }
    relations = [_term(graph, p, "relation") for p in _sorted_iris(stated) if ng_iri(p)]
    properties = [_term(graph, p, "property") for p in _sorted_iris(declared_props - stated)]
    for term in classes:
        term.constraints = by_class.get(term.iri, [])
    for term in relations + properties:
        term.constraints = by_property.get(term.iri, [])

    instance_counts: dict[URIRef, int] = {
        c.iri: len({s for s in graph.subjects(RDF.type, c.iri) if isinstance(s, URIRef)})
        for c in classes
    }
    for term in classes:
        term.count = instance_counts[term.iri]

    # statements
    statements: list[Statement] = []
    for st in _sorted_iris(graph.subjects(RDF.type, NGNS.Statement)):
        subject, predicate, obj = (
            graph.value(st, p) for p in (RDF.subject, RDF.predicate, RDF.object)
        )
        if not isinstance(subject, URIRef) or not isinstance(predicate, URIRef) or obj is None:
            continue
        evidence = []
        for ev in _sorted_iris(graph.objects(st, NGNS.evidence)):
            section = graph.value(ev, NGNS.section)
            evidence.append(
                Evidence(
                    ev,
                    section if isinstance(section, URIRef) else None,
                    _first(graph, ev, NGNS.quote),
                )
            )
        qualifiers = sorted(
            ((p, o) for p, o in graph.predicate_objects(st) if p not in _STATEMENT_CORE),
            key=lambda pair: (str(pair[0]), str(pair[1])),
        )
        statements.append(
            Statement(
                st,
                subject,
                predicate,
                obj,
                _sorted_iris(graph.objects(st, PROV.wasDerivedFrom)),
                qualifiers,
                evidence,
            )
        )
    counts = defaultdict(int)
    for statement in statements:
        counts[statement.predicate] += 1
    for term in relations:
        term.count = counts[term.iri]

    # sources and sections
    sections: dict[URIRef, Section] = {}
    sources = []
    for article in _sorted_iris(graph.subjects(RDF.type, NGNS.SourceArticle)):
        secs = []
        for sec in _sorted_iris(graph.subjects(DCTERMS.isPartOf, article)):
            index = graph.value(sec, NGNS.sectionIndex)
            section = Section(
                sec,
                _first(graph, sec, NGNS.heading),
                int(index) if isinstance(index, Literal) else 0,
            )
            sections[sec] = section
            secs.append(section)
        secs.sort(key=lambda s: (s.index, str(s.iri)))
        fields = sorted(
            ((p, o) for p, o in graph.predicate_objects(article) if p != RDF.type),
            key=lambda pair: (str(pair[0]), str(pair[1])),
        )
        sources.append(
            Source(
                article,
                _first(graph, article, DCTERMS.title) or label_of(graph, article),
                fields,
                secs,
                _first(graph, article, NGNS.sourceFile),
                _first(graph, article, NGNS.sha256),
            )
        )
    for statement in statements:
        for ev in statement.evidence:
            if ev.section in sections:
                sections[ev.section].evidence_count += 1
        for source in sources:
            if source.iri in statement.sources:
                source.statement_count += 1

    # entities
    entities = []
    subjects = {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(NGE)
    }
    for iri in _sorted_iris(subjects):
        other = sorted(
            (
                (p, o)
                for p, o in graph.predicate_objects(iri)
                if p not in _ENTITY_SHOWN and p not in stated and p != PROV.wasDerivedFrom
            ),
            key=lambda pair: (str(pair[0]), str(pair[1])),
        )
        entities.append(
            Entity(
                iri=iri,
                label=label_of(graph, iri),
                types=_sorted_iris(graph.objects(iri, RDF.type)),
                alt_labels=sorted(
                    {str(v) for v in graph.objects(iri, SKOS.altLabel)}, key=str.casefold
                ),
                definition=_first(graph, iri, SKOS.definition),
                mappings=sorted(
                    (
                        (m, o)
                        for m in MATCHES
                        for o in graph.objects(iri, m)
                        if isinstance(o, URIRef)
                    ),
                    key=lambda pair: (MATCHES.index(pair[0]), str(pair[1])),
                ),
                other=other,
                sources=_sorted_iris(graph.objects(iri, PROV.wasDerivedFrom)),
            )
        )
    by_iri = {e.iri: e for e in entities}
    for statement in statements:
        if statement.subject in by_iri:
            by_iri[statement.subject].outgoing.append(statement)
        if isinstance(statement.object, URIRef) and statement.object in by_iri:
            by_iri[statement.object].incoming.append(statement)

    qualifiers = []
    for concept in _sorted_iris(graph.subjects(RDF.type, SKOS.Concept)):
        if str(concept).startswith(NGQ):
            scheme = graph.value(concept, SKOS.inScheme)
            qualifiers.append(
                (
                    concept,
                    label_of(graph, concept),
                    label_of(graph, scheme),
                    _first(graph, concept, SKOS.definition),
                )
            )

    model = SiteModel(
        graph=graph,
        triples=len(graph),
        classes=classes,
        relations=relations,
        properties=properties,
        qualifiers=qualifiers,
        entities=entities,
        statements=statements,
        sources=sources,
        sections=sections,
        instance_counts=instance_counts,
    )
    model.terms = {t.iri: t for t in classes + relations + properties}
    model.entity_by_iri = by_iri
    return model

