"""Export the graph for other tools: RDF serialisations, Biolink/KGX TSV and VoID.

=========  ==================================================================
format     what
=========  ==================================================================
ttl        Turtle (longturtle, prefixes of ``prefixes.py``) of the union graph
nt         N-Triples of the union graph
xml        RDF/XML of the union graph
jsonld     JSON-LD of the union graph, compacted with ``context.jsonld``
nq, trig   N-Quads / TriG: one named graph per source file (see dataset.py)
kgx        ``nodes.tsv`` + ``edges.tsv`` in Biolink/KGX TSV form (a directory)
void       a VoID description (Turtle) of the graph: counts and class partitions
=========  ==================================================================

Every file is written atomically. The JSON-LD context is the file
``src/nervegraph/interchange/context.jsonld`` (bundled in the wheel); it is generated from
``prefixes.py`` by :func:`write_context_file` and a test keeps it up to date.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, SKOS, Literal, Namespace, URIRef

from nervegraph.errors import NervegraphError
from nervegraph.interchange.dataset import load_dataset
from nervegraph.rdf.files import atomic_write_text
from nervegraph.rdf.load import load_graph, new_graph
from nervegraph.vocab import NG, NGE, PREFIXES

log = logging.getLogger(__name__)

#: Formats written to one file (or stdout).
FILE_FORMATS: dict[str, str] = {
    "ttl": "longturtle",
    "nt": "nt",
    "nq": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "xml": "xml",
    "void": "longturtle",
}
#: Formats that carry the named graphs (one per source file).
QUAD_FORMATS = frozenset({"nq", "trig"})
#: Every format ``export_graph`` knows; ``kgx`` writes a directory.
EXPORT_FORMATS: tuple[str, ...] = (*FILE_FORMATS, "kgx")

CONTEXT_FILE = Path(__file__).resolve().parent / "context.jsonld"

BIOLINK = "https://w3id.org/biolink/vocab/"
INFORES = "https://w3id.org/biolink/infores/"
VOID = Namespace("http://rdfs.org/ns/void#")
DATASET_IRI = URIRef("https://w3id.org/nervegraph/dataset")
PRIMARY_KNOWLEDGE_SOURCE = "infores:nervegraph"

_NG = Namespace(NG)

#: Our classes -> Biolink categories; a class not listed is biolink:NamedThing.
BIOLINK_CATEGORIES: dict[str, str] = {
    "Condition": "biolink:Disease",
    "DifferentialDiagnosis": "biolink:Disease",
    "Cause": "biolink:DiseaseOrPhenotypicFeature",
    "Symptom": "biolink:PhenotypicFeature",
    "SpasmPattern": "biolink:PhenotypicFeature",
    "DistinguishingFinding": "biolink:PhenotypicFeature",
    "AnatomicalEntity": "biolink:AnatomicalEntity",
    "CompressingTissue": "biolink:AnatomicalEntity",
    "MuscleArea": "biolink:AnatomicalEntity",
    "NerveLocation": "biolink:AnatomicalEntity",
    "NerveStructure": "biolink:AnatomicalEntity",
    "NerveType": "biolink:AnatomicalEntity",
    "Medication": "biolink:Drug",
    "DrugClass": "biolink:ChemicalEntity",
    "DiagnosticTest": "biolink:Procedure",
    "Surgery": "biolink:Procedure",
    "Injection": "biolink:Procedure",
    "PhysicalTherapy": "biolink:Procedure",
    "Therapy": "biolink:Treatment",
    "TherapyComponent": "biolink:Treatment",
    "Intervention": "biolink:Treatment",
    "LifestyleModification": "biolink:Behavior",
    "Mechanism": "biolink:PathologicalProcess",
    "UnderlyingProcess": "biolink:PathologicalProcess",
    "PhysiologicalEvent": "biolink:PhysiologicalProcess",
    "SourceArticle": "biolink:Publication",
}
DEFAULT_CATEGORY = "biolink:NamedThing"

#: Our predicates -> Biolink predicates, only where the meaning is the same;
#: every other stated relation keeps its own ``ng:`` CURIE.
BIOLINK_PREDICATES: dict[str, str] = {
    "causes": "biolink:causes",
    "contributesTo": "biolink:contributes_to",
    "hasSymptom": "biolink:has_phenotype",
    "possibleTreatment": "biolink:treated_by",
    "subtypeOf": "biolink:subclass_of",
    "hasStep": "biolink:has_part",
    "hasComponent": "biolink:has_part",
    "nextStep": "biolink:precedes",
    "precedes": "biolink:precedes",
    "memberOfDrugClass": "biolink:member_of",
}

NODE_COLUMNS = ("id", "category", "name", "description", "synonym", "xref", "provided_by")
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "original_predicate",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "publications",
)
_XREF_PROPERTIES = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)
#: Extra prefixes for compressing external IRIs (xrefs) into CURIEs.
_XREF_PREFIXES: dict[str, str] = {
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "SNOMEDCT": "http://snomed.info/id/",
    "ICD10CM": "http://purl.bioontology.org/ontology/ICD10CM/",
    "UMLS": "http://linkedlifedata.com/resource/umls/id/",
    "wikidata": "http://www.wikidata.org/entity/",
}
_OBO = re.compile(r"^http://purl\.obolibrary\.org/obo/([A-Za-z][A-Za-z0-9]*)_(\w+)$")


class ExportError(NervegraphError):
    """An export cannot be written (unknown format, kgx without a directory)."""


# --------------------------------------------------------------------------- context


def jsonld_context() -> dict[str, object]:
    """Return the JSON-LD context generated from ``prefixes.py``."""
    return {"@context": dict(PREFIXES)}


def context_text() -> str:
    """Return the text ``context.jsonld`` must hold (sorted keys order kept, 2-space)."""
    return json.dumps(jsonld_context(), indent=2, ensure_ascii=False) + "\n"


def write_context_file(path: str | Path = CONTEXT_FILE) -> Path:
    """(Re)generate the bundled JSON-LD context file from ``prefixes.py``; return its path.

    Run ``python -c 'from nervegraph.interchange.export import write_context_file as w; w()'`` after
    changing ``prefixes.py``.
    """
    atomic_write_text(path, context_text())
    return Path(path)


def load_context() -> dict[str, object]:
    """Return the ``@context`` object of the bundled ``context.jsonld``."""
    document = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return document["@context"]


# --------------------------------------------------------------------------- RDF


def serialize(fmt: str, paths: Iterable[str | Path] | None = None) -> str:
    """Return the graph serialised in a one-file format (``ttl nt nq trig jsonld xml void``).

    Args:
        fmt: a key of :data:`FILE_FORMATS`.
        paths: files to export; default the bundled graph.

    Raises:
        ExportError: ``fmt`` is not a one-file format.
        InputError: an input file is missing or malformed.
    """
    if fmt not in FILE_FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    plist = list(paths) if paths else None
    if fmt in QUAD_FORMATS:
        dataset = load_dataset(plist)
        with warnings.catch_warnings():
            # rdflib's own nquads/trig serialisers call its deprecated Dataset.contexts.
            warnings.simplefilter("ignore", DeprecationWarning)
            return dataset.serialize(format=FILE_FORMATS[fmt])
    graph = load_graph(plist)
    if fmt == "void":
        graph = void_description(graph)
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=load_context(), indent=2)
    return graph.serialize(format=FILE_FORMATS[fmt])


# --------------------------------------------------------------------------- VoID


def void_description(graph: rdflib.Graph, dataset: URIRef = DATASET_IRI) -> rdflib.Graph:
    """Return a VoID description of ``graph``.

    It states ``void:triples``, ``void:entities`` (distinct IRI subjects),
    ``void:classes``, ``void:properties``, ``void:distinctSubjects``,
    ``void:distinctObjects``, ``void:vocabulary`` (the namespaces of the classes and
    properties used) and one ``void:classPartition`` / ``void:propertyPartition`` per
    class / property. Partitions get IRIs (``<dataset>/class/<curie>``), not blank nodes.
    """
    out = new_graph()
    out.bind("void", VOID)
    out.add((dataset, RDF.type, VOID.Dataset))
    out.add((dataset, rdflib.DCTERMS.title, Literal("nervegraph", lang="en")))
    out.add((dataset, VOID.uriSpace, Literal(NGE)))
    subjects = set(graph.subjects())
    objects = set(graph.objects())
    predicates = set(graph.predicates())
    classes = set(graph.objects(None, RDF.type))
    out.add((dataset, VOID.triples, Literal(len(graph))))
    out.add((dataset, VOID.entities, Literal(sum(isinstance(s, URIRef) for s in subjects))))
    out.add((dataset, VOID.classes, Literal(len(classes))))
    out.add((dataset, VOID.properties, Literal(len(predicates))))
    out.add((dataset, VOID.distinctSubjects, Literal(len(subjects))))
    out.add((dataset, VOID.distinctObjects, Literal(len(objects))))
    used = {str(t) for t in predicates | classes}
    for namespace in sorted(set(PREFIXES.values())):
        if any(term.startswith(namespace) for term in used):
            out.add((dataset, VOID.vocabulary, URIRef(namespace)))
    for cls in sorted(c for c in classes if isinstance(c, URIRef)):
        part = URIRef(f"{dataset}/class/{_slug(graph, cls)}")
        out.add((dataset, VOID.classPartition, part))
        out.add((part, VOID["class"], cls))
        out.add((part, VOID.entities, Literal(len(set(graph.subjects(RDF.type, cls))))))
    for prop in sorted(predicates):
        part = URIRef(f"{dataset}/property/{_slug(graph, prop)}")
        out.add((dataset, VOID.propertyPartition, part))
        out.add((part, VOID.property, prop))
        out.add((part, VOID.triples, Literal(sum(1 for _ in graph.triples((None, prop, None))))))
    return out


def _slug(graph: rdflib.Graph, iri: URIRef) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", curie(graph, iri))


# --------------------------------------------------------------------------- KGX


def curie(graph: rdflib.Graph, iri: URIRef) -> str:
    """Return ``prefix:local`` for ``iri`` when a known prefix covers it, else the IRI."""
    text = str(iri)
    if text.startswith(BIOLINK):
        return "biolink:" + text.removeprefix(BIOLINK)
    obo = _OBO.match(text)
    if obo:
        return f"{obo.group(1)}:{obo.group(2)}"
    for prefix, namespace in (*PREFIXES.items(), *_XREF_PREFIXES.items()):
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return text


def _cell(values: Iterable[object]) -> str:
    """Join multi-valued cells with ``|``; tabs and newlines become spaces."""
    cleaned = sorted({re.sub(r"[\t\r\n|]+", " ", str(v)).strip() for v in values} - {""})
    return "|".join(cleaned)


def _category(graph: rdflib.Graph, node: URIRef) -> str:
    found = {
        BIOLINK_CATEGORIES[str(cls).removeprefix(NG)]
        for cls in graph.objects(node, RDF.type)
        if str(cls).startswith(NG) and str(cls).removeprefix(NG) in BIOLINK_CATEGORIES
    }
    return _cell(found) or DEFAULT_CATEGORY


def _name(graph: rdflib.Graph, node: URIRef) -> str:
    for prop in (SKOS.prefLabel, RDFS.label, rdflib.DCTERMS.title):
        values = sorted(str(v) for v in graph.objects(node, prop))
        if values:
            return _cell(values[:1])
    return ""


def stated_relations(graph: rdflib.Graph) -> set[URIRef]:
    """Return the properties that are ``rdfs:subPropertyOf+ ng:statedRelation``."""
    root = _NG.statedRelation
    found: set[URIRef] = set()
    frontier = {root}
    while frontier:
        nxt = {
            p
            for parent in frontier
            for p in graph.subjects(RDFS.subPropertyOf, parent)
            if isinstance(p, URIRef) and p not in found
        }
        found |= nxt
        frontier = nxt
    return found


@dataclass
class KgxTables:
    """The rows of ``nodes.tsv`` and ``edges.tsv`` (each a dict per column)."""

    nodes: list[dict[str, str]]
    edges: list[dict[str, str]]


def kgx_tables(graph: rdflib.Graph) -> KgxTables:
    """Build Biolink/KGX node and edge rows from the graph.

    Edges are the plain triples of stated relations (``rdfs:subPropertyOf+
    ng:statedRelation``); each edge's ``id`` is its statement, ``publications`` the
    statement's ``prov:wasDerivedFrom`` sources. Nodes are every subject and object of
    those edges plus every typed ``nge:`` entity.
    """
    relations = stated_relations(graph)
    statements: dict[tuple[object, object, object], list[URIRef]] = {}
    for st in graph.subjects(RDF.type, RDF.Statement):
        key = (
            graph.value(st, RDF.subject),
            graph.value(st, RDF.predicate),
            graph.value(st, RDF.object),
        )
        statements.setdefault(key, []).append(st)  # type: ignore[arg-type]
    edges: list[dict[str, str]] = []
    node_set: set[URIRef] = {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(NGE)
    }
    prov = Namespace(PREFIXES["prov"])
    for s, p, o in sorted(graph.triples((None, None, None))):
        if p not in relations or not isinstance(s, URIRef) or not isinstance(o, URIRef):
            continue
        node_set |= {s, o}
        own = curie(graph, p)
        mapped = BIOLINK_PREDICATES.get(str(p).removeprefix(NG)) if str(p).startswith(NG) else None
        backing = statements.get((s, p, o), [])
        sources = {
            curie(graph, src) for st in backing for src in graph.objects(st, prov.wasDerivedFrom)
        }
        edges.append(
            {
                "id": _cell(curie(graph, st) for st in backing[:1]),
                "subject": curie(graph, s),
                "predicate": mapped or own,
                "object": curie(graph, o),
                "original_predicate": own if mapped else "",
                "knowledge_level": "knowledge_assertion",
                "agent_type": "manual_agent",
                "primary_knowledge_source": PRIMARY_KNOWLEDGE_SOURCE,
                "publications": _cell(sources),
            }
        )
    nodes = []
    for node in sorted(node_set):
        nodes.append(
            {
                "id": curie(graph, node),
                "category": _category(graph, node),
                "name": _name(graph, node),
                "description": _cell(str(v) for v in graph.objects(node, SKOS.definition)),
                "synonym": _cell(str(v) for v in graph.objects(node, SKOS.altLabel)),
                "xref": _cell(
                    curie(graph, x)
                    for prop in _XREF_PROPERTIES
                    for x in graph.objects(node, prop)
                    if isinstance(x, URIRef)
                ),
                "provided_by": PRIMARY_KNOWLEDGE_SOURCE,
            }
        )
    return KgxTables(nodes=nodes, edges=edges)


def _tsv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    lines = ["\t".join(columns)]
    lines += ["\t".join(row.get(c, "") for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def write_kgx(directory: str | Path, graph: rdflib.Graph) -> tuple[Path, Path]:
    """Write ``nodes.tsv`` and ``edges.tsv`` into ``directory`` (created); return both paths."""
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: kgx writes a directory (nodes.tsv, edges.tsv), not a file")
    out.mkdir(parents=True, exist_ok=True)
    tables = kgx_tables(graph)
    nodes, edges = out / "nodes.tsv", out / "edges.tsv"
    atomic_write_text(nodes, _tsv(NODE_COLUMNS, tables.nodes))
    atomic_write_text(edges, _tsv(EDGE_COLUMNS, tables.edges))
    log.info("kgx: %d nodes, %d edges in %s", len(tables.nodes), len(tables.edges), out)
    return nodes, edges


# --------------------------------------------------------------------------- entry point


def export_summary(
    fmt: str, output: str | Path, *, paths: Iterable[str | Path] | None = None
) -> str:
    """The line ``nervegraph export -o`` prints: what it wrote and how much.

    ``wrote nervegraph.ttl (ttl): 4478 triples``; for ``kgx`` the node and edge rows;
    for ``void`` the triples of the description.
    """
    out = Path(output)
    if fmt == "kgx":
        counts = []
        for name in ("nodes.tsv", "edges.tsv"):
            with (out / name).open(encoding="utf-8") as handle:
                counts.append(sum(1 for _ in handle) - 1)  # less the header
        return (
            f"wrote {out / 'nodes.tsv'} ({counts[0]} nodes) and "
            f"{out / 'edges.tsv'} ({counts[1]} edges)"
        )
    if fmt == "void":
        description = rdflib.Graph().parse(out, format="turtle")
        return f"wrote {out} (void): VoID description, {len(description)} triples"
    graph = load_graph(list(paths) if paths else None)
    return f"wrote {out} ({fmt}): {len(graph)} triples"


def export_graph(
    fmt: str,
    output: str | Path | None = None,
    *,
    paths: Iterable[str | Path] | None = None,
) -> str | None:
    """Export the graph in ``fmt``.

    Args:
        fmt: one of :data:`EXPORT_FORMATS`.
        output: the file to write (atomically), or for ``kgx`` the directory. ``None``
            returns the text instead (not allowed for ``kgx``).
        paths: files to export; default the bundled graph (ontology, data, mappings).

    Returns:
        The serialised text when ``output`` is ``None``, else ``None``.

    Raises:
        ExportError: unknown format, or ``kgx`` without an output directory.
        InputError: an input file is missing or malformed.
    """
    plist = list(paths) if paths else None
    if fmt == "kgx":
        if output is None:
            raise ExportError("--format kgx writes nodes.tsv and edges.tsv: give --output DIR")
        write_kgx(output, load_graph(plist))
        return None
    text = serialize(fmt, plist)
    if output is None:
        return text
    atomic_write_text(output, text)
    log.info("wrote %s (%s)", output, fmt)
    return None
