"""The SHACL shapes: the bundled graph conforms, each invalid fixture fails as declared.

Each file under ``tests/data/invalid/`` says in its header which focus node and which
constraint component must be reported (and, for SHACL-SPARQL constraints, a piece of
the message, since several constraints share ``sh:SPARQLConstraintComponent``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nervegraph import load_graph, validate_graph
from nervegraph.vocab import PREFIXES

DATA = Path(__file__).parent / "data"
SH = "http://www.w3.org/ns/shacl#"


def expand(curie: str) -> str:
    """Expand a CURIE with the project's prefixes (``sh:`` included)."""
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


def expectations(path: Path) -> dict[str, str]:
    """Read the ``# expect-KEY: value`` lines of a fixture header."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect-"):
            key, value = line[len("# expect-") :].split(":", 1)
            found[key] = value.strip()
    return found


def test_bundled_graph_conforms() -> None:
    result = validate_graph(load_graph())
    assert result.conforms, "\n".join(
        f"{v.focus_node} {v.result_path} {v.message}" for v in result.violations[:20]
    )


@pytest.mark.parametrize(
    "fixture", sorted((DATA / "valid").glob("*.ttl")), ids=lambda p: p.stem
)
def test_valid_fixture_conforms(fixture: Path, fixture_report) -> None:  # noqa: ANN001
    result = fixture_report(fixture)
    assert result.conforms, [(v.focus_node, v.message) for v in result.violations]


INVALID = sorted((DATA / "invalid").glob("*.ttl"))


def test_there_are_invalid_fixtures() -> None:
    assert len(INVALID) >= 20


@pytest.mark.parametrize("fixture", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_reports_focus_and_component(
    fixture: Path, fixture_report  # noqa: ANN001
) -> None:
    expected = expectations(fixture)
    assert {"focus", "component"} <= expected.keys(), f"{fixture.name}: header incomplete"
    result = fixture_report(fixture)
    assert not result.conforms
    focus = expand(expected["focus"])
    component = expand(expected["component"])
    hits = [
        v
        for v in result.violations
        if v.focus_node == focus and v.source_constraint_component == component
    ]
    reported = sorted({(v.focus_node, v.source_constraint_component) for v in result.violations})
    assert hits, f"expected ({focus}, {component}); got {reported}"
    if "message" in expected:
        assert any(expected["message"] in v.message for v in hits), [v.message for v in hits]
    # Every result names a person-readable message, never pySHACL's default wording alone,
    # and a rule a person can find in shapes.ttl (no blank-node ids).
    assert all(v.message for v in result.violations)
    assert not [v.message for v in result.violations if "violated at" in v.message]
    assert all(v.rule.startswith("ngsh:") and "_:" not in v.rule for v in result.violations)


def test_a_blank_node_entity_is_reported_with_its_own_message() -> None:
    # Fixtures name the focus node by CURIE, which a blank node has none of: inline data.
    graph = load_graph([DATA / "valid" / "minimal-article.ttl"], engine="rdflib")
    graph.parse(
        data=(
            "[] a <https://w3id.org/nervegraph/ontology#Symptom> ;\n"
            '    <http://www.w3.org/2004/02/skos/core#prefLabel> "numbness"@en ;\n'
            '    <http://www.w3.org/2000/01/rdf-schema#label> "numbness"@en ;\n'
            "    <http://www.w3.org/ns/prov#wasDerivedFrom> "
            "<https://w3id.org/nervegraph/source/test-article> .\n"
        ),
        format="turtle",
    )
    result = validate_graph(graph)
    blank = [
        v
        for v in result.violations
        if v.focus_node.startswith("_:")
        and v.source_constraint_component == SH + "NodeKindConstraintComponent"
    ]
    assert len(blank) == 1
    assert blank[0].message == (
        "A node derived from an article (an entity or a statement) must be named by an IRI, "
        "not a blank node."
    )
    assert blank[0].source_shape == "https://w3id.org/nervegraph/shapes#DerivedNodeShape"
