"""Graphs shared by several test modules."""

from __future__ import annotations

import rdflib


def big_graph(size: int) -> rdflib.Graph:
    """``size`` triples with distinct subjects and literals, no blank nodes."""
    ex = rdflib.Namespace("https://example.org/big/")
    graph = rdflib.Graph()
    for i in range(size):
        graph.add((ex[f"s{i}"], ex.p, rdflib.Literal(f"value {i}")))
    return graph


#: A SHACL-SPARQL constraint whose FILTER reads ?value from outside its UNION branch:
#: rdflib (pySHACL) and spec-conformant engines answer it differently, so nervegraph
#: hands it to pySHACL (tests/test_engines.py) and never runs it set-based
#: (tests/test_setsparql.py).
SCOPE_DEPENDENT_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:sparql ex:Range .
ex:Range a sh:SPARQLConstraint ; sh:message "out of range" ; sh:select \"\"\"
    SELECT $this ?value WHERE {
        $this <http://example.org/p> ?value .
        { <http://example.org/p> <http://example.org/range> ?range .
          FILTER NOT EXISTS { ?value a ?range } }
        UNION { <http://example.org/p> <http://example.org/domain> ?d }
    }\"\"\" .
"""
