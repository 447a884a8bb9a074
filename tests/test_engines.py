"""Both engines give the same answers: queries (Oxigraph vs rdflib) and SHACL (turbo vs pySHACL).

Also: the Oxigraph store cache follows the files it was built from, the cold
``nervegraph query`` path renders exactly what the general path renders, and the
hand-over of scope-dependent SHACL-SPARQL constraints to pySHACL.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from conftest import query_names
from graphs import SCOPE_DEPENDENT_SHAPES
from nervegraph import load_graph, validate_graph
from nervegraph.errors import QueryError
from nervegraph.queries import StoredQuery, param_candidates, run_query
from nervegraph.queries.catalogue import find_query
from nervegraph.rdf import engines as engine
from nervegraph.shacl.turbo import hand_overs, scope_dependent_filters
from nervegraph.shacl.validate import load_shapes

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def graphs() -> tuple[Graph, Graph]:
    return load_graph(engine="rdflib"), load_graph(engine="oxigraph")


def test_both_engines_load_the_same_triples(graphs: tuple[Graph, Graph]) -> None:
    memory, ox = graphs
    assert engine.engine_of(memory) == "rdflib" and engine.engine_of(ox) == "oxigraph"
    assert len(memory) == len(ox) > 3000
    assert set(memory) == set(ox)  # simple literals come back plain from both
    assert engine.triple_count(ox) == engine.triple_count(memory) == len(memory)


def test_triple_count_of_a_store_with_named_graphs() -> None:
    import pyoxigraph

    store = pyoxigraph.Store()
    ex = pyoxigraph.NamedNode("http://example.org/x")
    store.add(pyoxigraph.Quad(ex, ex, ex, pyoxigraph.DefaultGraph()))
    store.add(pyoxigraph.Quad(ex, ex, pyoxigraph.Literal("y"), ex))
    graph = engine.new_oxigraph_graph(store)
    assert engine.triple_count(graph) == len(graph) == 1


def _concat_vars(text: str) -> set[str]:
    return set(re.findall(r"GROUP_CONCAT\s*\(.*?\)\s+AS\s+\?(\w+)", text, re.I | re.S))


def _row_key(row: dict, unordered: set[str]) -> tuple:
    key = []
    for name, value in sorted(row.items()):
        if name in unordered and isinstance(value, Literal):
            # GROUP_CONCAT's order is the engine's: compare the items as a set
            value = tuple(sorted(re.split(r"[\s,;|]+", str(value))))
        key.append((name, value))
    return tuple(key)


@pytest.mark.parametrize("name", query_names())
def test_every_stored_query_same_rows_on_both_engines(
    name: str, catalogue: dict[str, StoredQuery], graphs: tuple[Graph, Graph]
) -> None:
    query = catalogue[name]
    memory, ox = graphs
    # without parameters ("all"), and with the first instance of each parameter's class
    given = {p.name: min(param_candidates(memory, p)) for p in query.params}
    runs = [given] if any(p.required for p in query.params) else [{}, given]
    for values in runs:
        mem, oxr = run_query(query, memory, **values), run_query(query, ox, **values)
        if query.query_type == "CONSTRUCT":
            assert set(mem.graph) == set(oxr.graph), (query.name, values)
            continue
        assert mem.vars == oxr.vars
        unordered = _concat_vars(query.text)
        got = sorted(map(lambda r: _row_key(r, unordered), oxr.rows), key=str)
        want = sorted(map(lambda r: _row_key(r, unordered), mem.rows), key=str)
        assert got == want, (query.name, values)  # the same rdflib terms, typed alike


def test_catalogue_listing_matches_finding_each_query(
    catalogue: dict[str, StoredQuery],
) -> None:
    """The listing (every header) and ``find_query`` (one file, by full or base name) agree.

    (Both used to be compared as "headers-only vs parsed catalogues"; since the catalogue
    reads headers alone, that compared ``list_queries`` with itself.)
    """
    for name, listed in catalogue.items():
        for key in (name, name.split("/", 1)[1]):
            try:
                found = find_query(key)
            except QueryError as err:  # a basename two folders share: the full name must do
                assert key != name and "is ambiguous" in str(err), (name, err)
                continue
            assert found.name == name
            assert (found.summary, found.tags, found.params, found.text, found.query_type) == (
                listed.summary,
                listed.tags,
                listed.params,
                listed.text,
                listed.query_type,
            )


# ---------------------------------------------------------------- SHACL


def _tuples(result) -> list[tuple]:  # noqa: ANN001
    return sorted(
        (v.focus_node, v.result_path, v.source_constraint_component, v.value, v.severity)
        for v in result.violations
    )


FIXTURES = sorted((DATA / "valid").glob("*.ttl")) + sorted((DATA / "invalid").glob("*.ttl"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_turbo_and_pyshacl_report_the_same_results(
    fixture: Path, fixture_report  # noqa: ANN001
) -> None:
    data = load_graph([fixture], engine="rdflib")
    slow = validate_graph(data, engine="pyshacl")
    assert engine.DEFAULT_VALIDATION_ENGINE == "turbo"
    fast = fixture_report(fixture)  # the default engine's report; test_shapes.py reads it too
    assert fast.conforms is slow.conforms
    assert _tuples(fast) == _tuples(slow)


@pytest.mark.slow
def test_turbo_and_pyshacl_agree_on_the_bundled_graph(graphs: tuple[Graph, Graph]) -> None:
    memory, ox = graphs
    slow = validate_graph(memory, engine="pyshacl")
    fast = validate_graph(ox)
    assert fast.conforms and slow.conforms
    assert _tuples(fast) == _tuples(slow) == []


def test_bundled_shapes_need_no_hand_over() -> None:
    # Every SHACL-SPARQL constraint of ours keeps its FILTERs in the group binding
    # their variables, so turbo runs all of them.
    assert list(hand_overs(load_shapes())) == []




def test_scope_dependent_constraint_is_handed_to_pyshacl() -> None:
    shapes = Graph().parse(data=SCOPE_DEPENDENT_SHAPES, format="turtle")
    handed = hand_overs(shapes)
    assert [(str(h.constraint), h.variables) for h in handed] == [
        ("http://example.org/Range", ("value",))
    ]


def test_scope_dependent_filters() -> None:
    nested = """SELECT ?x WHERE { ?x <p> ?v . { ?x <q> ?r . FILTER NOT EXISTS { ?v <t> ?r } }
        UNION { ?x <s> ?z } }"""
    assert scope_dependent_filters(nested) == ("v",)
    top = "SELECT ?x WHERE { ?x <p> ?v . ?x <q> ?r . FILTER NOT EXISTS { ?v <t> ?r } }"
    assert scope_dependent_filters(top) == ()
    prebound = "SELECT $this WHERE { { ?a <q> ?r . FILTER NOT EXISTS { $this <t> ?r } } }"
    assert scope_dependent_filters(prebound) == ()


def test_unknown_engines_are_refused() -> None:
    with pytest.raises(ValueError, match="query engine"):
        load_graph(engine="jena")
    with pytest.raises(ValueError, match="validation engine"):
        validate_graph(Graph(), engine="jena")


