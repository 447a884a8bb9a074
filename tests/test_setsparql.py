"""Set-based SHACL-SPARQL (:mod:`nervegraph.shacl.setsparql`).

Which constraints qualify, and that running them once for all focus nodes reports what
pySHACL reports per focus node.
"""

from __future__ import annotations

import pytest
from rdflib import SH, Graph, URIRef

from graphs import SCOPE_DEPENDENT_SHAPES
from nervegraph import validate_graph
from nervegraph.shacl.setsparql import set_constraints, set_safe
from nervegraph.shacl.validate import load_shapes

EX = "http://example.org/"


def test_every_bundled_sparql_constraint_runs_set_based() -> None:
    # The speed of validation at 100+ articles rests on this (benchmarks/results/perf.md).
    shapes = load_shapes()
    declared = set(shapes.subject_objects(SH.sparql))
    assert len(declared) >= 10
    assert {(c.shape, c.constraint) for c in set_constraints(shapes)} == declared


@pytest.mark.parametrize(
    "query",
    [
        "SELECT $this ?value WHERE { $this <p> ?value . FILTER NOT EXISTS { ?value a <C> } }",
        "SELECT $this WHERE { $this <p> ?v . OPTIONAL { ?s <q> $this } FILTER (!BOUND(?s)) }",
        "SELECT $this WHERE { $this <p> ?v . OPTIONAL { ?v <q> ?w FILTER (?w != $this) } }",
        "SELECT $this ?v WHERE { { $this <p> ?v } UNION { $this <q> ?v } }",
        "SELECT $this ?x WHERE { $this <p> ?v . BIND (IF(isIRI(?v), ?v, $this) AS ?x) }",
        "SELECT DISTINCT $this WHERE { $this <p>/<q>* ?v } ORDER BY ?v",
    ],
)
def test_set_safe_queries(query: str) -> None:
    assert set_safe(query)


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("SELECT $this WHERE { OPTIONAL { $this <p> ?v } }", "$this only in an OPTIONAL"),
        ("SELECT $this WHERE { FILTER NOT EXISTS { $this <p> ?v } }", "$this never bound"),
        ("SELECT $this ?v WHERE { { $this <p> ?v } UNION { ?v <q> ?w } }", "one branch"),
        (
            "SELECT $this ?v WHERE { $this <p> ?v . { ?v <q> ?w FILTER (?w != $this) } }",
            "nested FILTER reads $this",
        ),
        (
            "SELECT $this ?v WHERE { $this <p> ?v . { ?v <q> ?w BIND ($this AS ?t) } }",
            "nested BIND reads $this",
        ),
        ("SELECT $this WHERE { $this <p> ?v } LIMIT 1", "LIMIT per focus node"),
        ("SELECT $this WHERE { $this <p> ?v . MINUS { ?v a <C> } }", "MINUS"),
        ("SELECT $this WHERE { $this <p> ?v . VALUES ?v { <a> } }", "VALUES"),
        (
            "SELECT $this WHERE { $this <p> ?v . { SELECT ?v WHERE { ?v a <C> } } }",
            "sub-select",
        ),
        ("SELECT $this (COUNT(?v) AS ?n) WHERE { $this <p> ?v } GROUP BY $this", "aggregate"),
        ("SELECT $this WHERE { $this <p> ?v . ?v <q> $shapesGraph }", "$shapesGraph"),
        ("SELECT ?value WHERE { $this <p> ?value }", "$this not projected"),
        ("SELECT $this WHERE { GRAPH ?g { $this <p> ?v } }", "named graph"),
        (
            "SELECT $this ?v WHERE { $this <p> ?v . { <p> <range> ?r FILTER NOT EXISTS "
            "{ ?v a ?r } } UNION { <p> <domain> ?d } }",
            "scope-dependent FILTER: pySHACL's answer, not Oxigraph's, is the reference",
        ),
    ],
)
def test_set_unsafe_queries(query: str, why: str) -> None:
    assert not set_safe(query), why


SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .

# Set-based: reached only through its targets (a class with a subclass, a node,
# subjects of ex:tagged, objects of ex:pointsTo), with a Warning severity and a
# message template.
ex:Labelled a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:targetNode ex:lonely ;
    sh:targetSubjectsOf ex:tagged ;
    sh:targetObjectsOf ex:pointsTo ;
    sh:severity sh:Warning ;
    sh:sparql ex:NoLabel .
ex:NoLabel a sh:SPARQLConstraint ;
    sh:message "{$this} points at {?value}, which has no label" ;
    sh:select \"\"\"
        SELECT $this ?value WHERE {
            $this <http://example.org/link> ?value .
            OPTIONAL { ?value <http://www.w3.org/2000/01/rdf-schema#label> ?l }
            FILTER (!BOUND(?l))
        }\"\"\" .

# Not set-based: ex:Reached is used through sh:node, for value nodes of ex:Holder.
ex:Holder a sh:NodeShape ;
    sh:targetObjectsOf ex:holds ;
    sh:property [ sh:path ex:part ; sh:node ex:Reached ] .
ex:Reached a sh:NodeShape ;
    sh:sparql [
        a sh:SPARQLConstraint ;
        sh:message "part {$this} has a forbidden colour" ;
        sh:select \"\"\"
            SELECT $this ?value WHERE {
                $this <http://example.org/colour> ?value . FILTER (?value = "red")
            }\"\"\" ] .

# Not set-based: a property shape (?path is pre-bound there).
ex:Counted a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:property [
        sh:path ex:link ;
        sh:sparql [
            a sh:SPARQLConstraint ;
            sh:message "{$this} links to itself" ;
            sh:select \"\"\"
                SELECT $this ?value WHERE { $this $PATH ?value . FILTER (?value = $this) }
            \"\"\" ] ] .
"""

DATA = """
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <http://example.org/> .
ex:Special rdfs:subClassOf ex:Thing .
ex:a a ex:Thing ; ex:link ex:b, ex:a .
ex:b rdfs:label "b" .
ex:c a ex:Special ; ex:link ex:d .
ex:lonely ex:link ex:e .
ex:x ex:tagged "1" ; ex:link ex:f .
ex:q ex:pointsTo ex:r .
ex:r ex:link ex:h .
ex:u ex:link ex:g .
ex:y ex:holds ex:z .
ex:z ex:part ex:w .
ex:w ex:colour "red" .
ex:v ex:colour "red" .
"""


def test_only_target_reached_node_shapes_qualify() -> None:
    shapes = Graph().parse(data=SHAPES, format="turtle")
    assert [(str(c.shape), str(c.constraint)) for c in set_constraints(shapes)] == [
        (EX + "Labelled", EX + "NoLabel")
    ]


def _results(result) -> list[tuple]:  # noqa: ANN001
    # Blank-node shapes get different ids in each engine's report: compare IRIs only.
    # Default messages are worded differently by the two engines: compare ours only.
    return sorted(
        (
            (
                v.focus_node,
                v.result_path,
                v.source_constraint_component,
                v.value,
                v.severity,
                v.source_shape if not (v.source_shape or "").startswith("_:") else "_:",
                v.message
                if v.source_constraint_component.endswith("SPARQLConstraintComponent")
                else "",
            )
            for v in result.violations
        ),
        key=str,
    )


def test_set_based_results_equal_pyshacl_per_focus_results() -> None:
    shapes = Graph().parse(data=SHAPES, format="turtle")
    data = Graph().parse(data=DATA, format="turtle")
    slow = validate_graph(data, shapes=shapes, engine="pyshacl")
    fast = validate_graph(data, shapes=shapes, engine="turbo")
    assert _results(fast) == _results(slow)
    assert fast.conforms is slow.conforms is False
    sparql = SH.SPARQLConstraintComponent
    by_focus = {(v.focus_node, v.value) for v in fast.violations}
    # focus nodes through the subclass, the target node, targetSubjectsOf and
    # targetObjectsOf; ex:a's labelled value ex:b is not reported, nor is ex:u, which
    # matches the query but is no focus node
    expected = {(EX + n, EX + v) for n, v in (("c", "d"), ("lonely", "e"), ("x", "f"), ("r", "h"))}
    assert expected <= by_focus
    assert (EX + "a", EX + "b") not in by_focus
    assert not any(v.focus_node == EX + "u" for v in fast.violations)
    # ex:w is reached through sh:node (reported on the holder ex:z); ex:v by nothing
    assert not any(v.focus_node == EX + "v" for v in fast.violations)
    assert any(
        v.focus_node == EX + "z"
        and v.source_constraint_component == str(SH.NodeConstraintComponent)
        for v in fast.violations
    )
    assert any(
        v.focus_node == EX + "a"
        and v.value == EX + "a"
        and v.source_constraint_component == str(sparql)
        for v in fast.violations
    )
    warning = [v for v in fast.violations if v.source_shape == EX + "Labelled"]
    assert {v.severity for v in warning} == {"Warning"}
    assert f"{EX}c points at {EX}d, which has no label" in {v.message for v in warning}


def test_a_warning_alone_conforms() -> None:
    shapes = Graph().parse(data=SHAPES, format="turtle")
    data = Graph().parse(
        data="<http://example.org/lonely> <http://example.org/link> <http://example.org/f> .",
        format="turtle",
    )
    for engine in ("turbo", "pyshacl"):
        result = validate_graph(data, shapes=shapes, engine=engine)
        assert result.conforms, engine
        assert [(v.focus_node, v.severity) for v in result.violations] == [
            (EX + "lonely", "Warning")
        ]


def test_the_set_based_constraint_is_not_run_by_turbo_too() -> None:
    # One result per solution: a duplicate would mean both engines ran it.
    shapes = Graph().parse(data=SHAPES, format="turtle")
    data = Graph().parse(data=DATA, format="turtle")
    result = validate_graph(data, shapes=shapes)
    hits = [v for v in result.violations if v.focus_node == EX + "c"]
    assert len(hits) == 1
    assert URIRef(EX + "NoLabel") in set(result.report_graph.objects(None, SH.sourceConstraint))




def test_a_scope_dependent_constraint_is_left_to_pyshacl_alone() -> None:
    # Run set-based as well as by pySHACL, its result would be reported twice.
    shapes = Graph().parse(data=SCOPE_DEPENDENT_SHAPES, format="turtle")
    assert set_constraints(shapes) == []
    data = Graph().parse(
        data="@prefix ex: <http://example.org/> . ex:a a ex:C ; ex:p ex:b . ex:b a ex:R . "
        "ex:p ex:range ex:R ; ex:domain ex:C .",
        format="turtle",
    )
    slow = validate_graph(data, shapes=shapes, engine="pyshacl")
    fast = validate_graph(data, shapes=shapes, engine="turbo")
    assert _results(fast) == _results(slow)
    assert [(v.focus_node, v.value) for v in fast.violations] == [(EX + "a", EX + "b")]
