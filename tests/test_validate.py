"""validate_graph: pySHACL settings (advanced SPARQL constraints, warnings) and ordering."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from nervegraph import format_report, load_graph, validate_graph

CLI_DATA = Path(__file__).parent / "data" / "cli"

SPARQL_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .

ex:StatedShape a sh:NodeShape ;
    sh:targetSubjectsOf ex:causes ;
    sh:sparql [
        sh:message "relation is a sub-property of ex:stated but has no statement" ;
        sh:select '''
            PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
            SELECT $this ?value WHERE {
                ?p rdfs:subPropertyOf <http://example.org/stated> .
                $this ?p ?value .
                FILTER NOT EXISTS {
                    ?st rdf:subject $this ; rdf:predicate ?p ; rdf:object ?value .
                }
            }''' ;
    ] .
"""

SPARQL_DATA = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .

ex:causes rdfs:subPropertyOf ex:stated .
ex:a ex:causes ex:b .
ex:c ex:causes ex:d .
ex:st rdf:subject ex:c ; rdf:predicate ex:causes ; rdf:object ex:d .
"""


def graph(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format="turtle")


def test_sparql_constraints_run_and_see_the_ontology_in_the_data_graph() -> None:
    result = validate_graph(graph(SPARQL_DATA), shapes=graph(SPARQL_SHAPES))
    assert not result.conforms
    assert [(v.focus_node, v.value) for v in result.violations] == [
        ("http://example.org/a", "http://example.org/b")
    ]
    assert "no statement" in result.violations[0].message


def test_violations_are_sorted_and_labelled() -> None:
    data = load_graph([CLI_DATA / "invalid.ttl"], include_ontology=False)
    result = validate_graph(data, shapes=[CLI_DATA / "shapes.ttl"])
    assert [v.focus_node for v in result.violations] == [
        "http://example.org/twice",
        "http://example.org/unlabelled",
    ]
    assert result.violations[0].focus_label == "twice"  # the @en label wins
    assert result.violations[1].focus_label is None
    assert result.shape_count == 3
    assert result.triples_checked == len(data)


def test_warning_is_reported_but_conforms() -> None:
    data = load_graph([CLI_DATA / "warning-only.ttl"], include_ontology=False)
    result = validate_graph(data, shapes=[CLI_DATA / "shapes.ttl"])
    assert result.conforms
    assert [v.severity for v in result.violations] == ["Warning"]


def test_format_report_rejects_unknown_format() -> None:
    data = load_graph([CLI_DATA / "valid.ttl"], include_ontology=False)
    result = validate_graph(data, shapes=[CLI_DATA / "shapes.ttl"])
    with pytest.raises(ValueError, match="unknown report format"):
        format_report(result, "xml")
