"""The one declaration of every prefix nervegraph uses.

Turtle files, stored queries and serialisers all take their prefixes from here;
``tests/test_prefixes.py`` fails when a file declares a prefix differently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

NG = "https://w3id.org/nervegraph/ontology#"
NGE = "https://w3id.org/nervegraph/entity/"
NGQ = "https://w3id.org/nervegraph/qualifier/"
NGSRC = "https://w3id.org/nervegraph/source/"
NGST = "https://w3id.org/nervegraph/statement/"
NGSH = "https://w3id.org/nervegraph/shapes#"

#: prefix -> namespace IRI. Order is the order used when serialising.
PREFIXES: dict[str, str] = {
    "ng": NG,
    "nge": NGE,
    "ngq": NGQ,
    "ngsrc": NGSRC,
    "ngst": NGST,
    "ngsh": NGSH,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    # External terminologies of data/mappings/ (cross-references). The prefix is the
    # Bioregistry preferred prefix, as in the SSSOM table; the IRI is the Bioregistry's
    # RDF URI prefix (MeSH, HP) or, for ICD-10-CM, which has none, the BioPortal PURL
    # that the Bioregistry lists as a URI prefix synonym (tests/test_mappings.py).
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "icd10cm": "http://purl.bioontology.org/ontology/ICD10CM/",
    "mesh": "http://id.nlm.nih.gov/mesh/",
}


def curie(iri: str) -> str:
    """Return ``prefix:local`` for an IRI under a prefix of ``prefixes.py``, else ``<iri>``."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best):
            best = namespace
            found = prefix
    if best:
        return f"{found}:{iri[len(best) :]}"
    return f"<{iri}>"


def bind_prefixes(graph: Graph) -> None:
    """Bind every prefix of :data:`PREFIXES` on ``graph``, replacing clashing bindings."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


def preferred_label(graph: Graph, term: Node | None, lang: str = "en") -> str | None:
    """Return the label ``term`` carries, or ``None`` when it has none.

    The one place that chooses among labels: ``skos:prefLabel`` before ``rdfs:label``;
    among literals of one property, ``lang`` first, then no language tag, then other
    tags alphabetically, then the text. :func:`label` adds the fallbacks for display.
    """
    from rdflib import Literal  # here: vocab is imported without rdflib
    from rdflib.namespace import RDFS, SKOS

    if term is None or isinstance(term, Literal):
        return None
    for prop in (SKOS.prefLabel, RDFS.label):
        values = [v for v in graph.objects(term, prop) if isinstance(v, Literal)]
        if values:
            values.sort(key=lambda v: (v.language != lang, v.language or "", str(v)))
            return str(values[0])
    return None


def label(graph: Graph, term: Node | None, lang: str = "en") -> str:
    """Return the text a person should see for ``term``.

    An IRI shows its ``skos:prefLabel`` (else ``rdfs:label``), preferring ``lang``
    (:func:`preferred_label`); an IRI without a label shows as a CURIE; a literal shows
    its lexical form; ``None`` (an unbound variable) shows as the empty string.
    """
    from rdflib import Literal, URIRef  # here: vocab is imported without rdflib

    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, URIRef):
        found = preferred_label(graph, term, lang)
        return found if found is not None else curie(str(term))
    return term.n3()
