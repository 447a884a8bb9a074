"""Human-readable names for RDF terms: labels for IRIs, plain text for literals."""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

from .prefixes import curie

_LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label)


def label(graph: Graph, term: Node | None, lang: str = "en") -> str:
    """Return the text a person should see for ``term``.

    An IRI shows its ``skos:prefLabel`` (else ``rdfs:label``), preferring ``lang``; an
    IRI without a label shows as a CURIE; a literal shows its lexical form; ``None``
    (an unbound variable) shows as the empty string.
    """
    if term is None:
        return ""
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, URIRef):
        for prop in _LABEL_PROPERTIES:
            values = [v for v in graph.objects(term, prop) if isinstance(v, Literal)]
            if values:
                values.sort(key=lambda v: (v.language != lang, v.language or "", str(v)))
                return str(values[0])
        return curie(str(term))
    return term.n3()
