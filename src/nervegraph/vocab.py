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


#: ``xsd:string``: a literal of this type is the simple (plain) literal (RDF 1.1); every
#: engine and output writes it without the datatype
XSD_STRING = PREFIXES["xsd"] + "string"

#: the properties a display label comes from, in order of preference
LABEL_PROPERTIES = (PREFIXES["skos"] + "prefLabel", PREFIXES["rdfs"] + "label")


def pick_label(values: list[tuple[str, str, str]], lang: str = "en") -> str | None:
    """Return the label to show among ``(property IRI, text, language)``, or ``None``.

    The one rule that chooses among labels: ``skos:prefLabel`` before ``rdfs:label``;
    among the literals of one property, ``lang`` first, then no language tag, then other
    tags alphabetically, then the text.
    """
    for prop in LABEL_PROPERTIES:
        texts = sorted((v_lang != lang, v_lang, text) for p, text, v_lang in values if p == prop)
        if texts:
            return texts[0][2]
    return None


def choose_label(iri: str, values: list[tuple[str, str, str]], lang: str = "en") -> str:
    """Return the text a person should see for ``iri``: its label, else its CURIE."""
    found = pick_label(values, lang)
    return found if found is not None else curie(iri)


def preferred_label(graph: Graph, term: Node | None, lang: str = "en") -> str | None:
    """Return the label ``term`` carries in an rdflib graph (:func:`pick_label`), or None."""
    from rdflib import Literal, URIRef  # here: vocab is imported without rdflib

    if not isinstance(term, URIRef):
        return None
    values = [
        (prop, str(v), v.language or "")
        for prop in LABEL_PROPERTIES
        for v in graph.objects(term, URIRef(prop))
        if isinstance(v, Literal)
    ]
    return pick_label(values, lang)


def label(graph: Graph, term: Node | None, lang: str = "en") -> str:
    """Return the text a person should see for ``term`` in an rdflib graph.

    An IRI shows its label (:func:`pick_label`), else its CURIE; a literal shows its
    lexical form; ``None`` (an unbound variable) shows as the empty string.
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
