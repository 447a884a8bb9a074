"""Exports: every RDF format round-trips, KGX and VoID describe the graph faithfully."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from rdflib import RDF, URIRef
from rdflib.compare import isomorphic

from nervegraph import cli
from nervegraph.interchange.dataset import load_dataset, named_files, named_graphs
from nervegraph.interchange.export import (
    BIOLINK_CATEGORIES,
    BIOLINK_PREDICATES,
    CONTEXT_FILE,
    EDGE_COLUMNS,
    NODE_COLUMNS,
    VOID,
    ExportError,
    context_text,
    export_graph,
    stated_relations,
)
from nervegraph.rdf.load import load_graph, parse_file
from nervegraph.vocab import NG, PREFIXES

#: export format -> rdflib parser
TRIPLE_FORMATS = {"ttl": "turtle", "nt": "nt", "xml": "xml", "jsonld": "json-ld"}
QUAD_FORMATS = {"nq": "nquads", "trig": "trig"}


@pytest.fixture(scope="module")
def graph() -> rdflib.Graph:
    return load_graph()


@pytest.mark.parametrize("fmt", sorted(TRIPLE_FORMATS))
def test_triple_formats_round_trip(fmt: str, graph: rdflib.Graph, tmp_path: Path) -> None:
    out = tmp_path / f"graph.{fmt}"
    result = CliRunner().invoke(cli.main, ["export", "--format", fmt, "--output", str(out)])
    assert result.exit_code == 0, result.output
    back = rdflib.Graph().parse(out, format=TRIPLE_FORMATS[fmt])
    assert len(back) == len(graph)
    assert isomorphic(back, graph)


@pytest.mark.parametrize("fmt", sorted(QUAD_FORMATS))
def test_quad_formats_keep_named_graphs(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"graph.{fmt}"
    export_graph(fmt, out)
    back = rdflib.Dataset()
    back.parse(out, format=QUAD_FORMATS[fmt])
    expected = named_graphs(load_dataset())
    got = named_graphs(back)
    assert set(got) == {item.graph for item in named_files()} == set(expected)
    for name, part in expected.items():
        assert isomorphic(got[name], part), name


def test_quad_formats_union_is_the_graph(graph: rdflib.Graph) -> None:
    union = rdflib.Graph()
    for part in named_graphs(load_dataset()).values():
        union += part
    assert isomorphic(union, graph)


def test_export_to_stdout(graph: rdflib.Graph) -> None:
    result = CliRunner().invoke(cli.main, ["export", "-f", "nt"])
    assert result.exit_code == 0
    assert isomorphic(rdflib.Graph().parse(data=result.output, format="nt"), graph)


def test_jsonld_is_self_contained_and_uses_the_context(tmp_path: Path) -> None:
    out = tmp_path / "graph.jsonld"
    export_graph("jsonld", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["@context"] == json.loads(CONTEXT_FILE.read_text())["@context"]
    # nervegraph's own loader refuses remote contexts: the export must not need one
    assert len(parse_file(out)) == len(load_graph())


def test_context_file_is_up_to_date() -> None:
    assert CONTEXT_FILE.read_text(encoding="utf-8") == context_text(), (
        "src/nervegraph/context.jsonld is stale; regenerate it with "
        "python -c 'from nervegraph.interchange.export import write_context_file as w; w()'"
    )
    assert json.loads(context_text())["@context"] == PREFIXES


def test_bad_input_leaves_no_output(tmp_path: Path, test_data: Path) -> None:
    out = tmp_path / "graph.ttl"
    out.write_text("old\n", encoding="utf-8")
    bad = test_data / "cli" / "syntax-error.ttl"
    result = CliRunner().invoke(cli.main, ["export", str(bad), "--output", str(out)])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


def test_kgx_needs_a_directory() -> None:
    with pytest.raises(ExportError, match="--output DIR"):
        export_graph("kgx")
    result = CliRunner().invoke(cli.main, ["export", "-f", "kgx"])
    assert result.exit_code == 2


# ------------------------------------------------------------------ KGX


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def kgx(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], list[dict]]:
    out = tmp_path_factory.mktemp("kgx")
    result = CliRunner().invoke(cli.main, ["export", "-f", "kgx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return _read_tsv(out / "nodes.tsv"), _read_tsv(out / "edges.tsv")


def test_kgx_columns_and_required_fields(kgx: tuple[list[dict], list[dict]]) -> None:
    nodes, edges = kgx
    assert nodes and edges
    assert list(nodes[0]) == list(NODE_COLUMNS)
    assert list(edges[0]) == list(EDGE_COLUMNS)
    for node in nodes:
        assert node["id"] and ":" in node["id"] and not node["id"].startswith("http")
        assert all(c.startswith("biolink:") for c in node["category"].split("|"))
        assert node["provided_by"] == "infores:nervegraph"
    for edge in edges:
        assert edge["knowledge_level"] == "knowledge_assertion"
        assert edge["agent_type"] == "manual_agent"
        assert edge["primary_knowledge_source"] == "infores:nervegraph"
        assert edge["predicate"].startswith(("biolink:", "ng:"))
        assert edge["publications"].startswith("ngsrc:")
        assert edge["id"].startswith("ngst:")


def test_kgx_edges_are_the_stated_relations(
    kgx: tuple[list[dict], list[dict]], graph: rdflib.Graph
) -> None:
    nodes, edges = kgx
    ids = {n["id"] for n in nodes}
    assert len(ids) == len(nodes)
    for edge in edges:
        assert edge["subject"] in ids and edge["object"] in ids
    relations = stated_relations(graph)
    expected = sum(
        1
        for s, p, o in graph
        if p in relations and isinstance(s, URIRef) and isinstance(o, URIRef)
    )
    assert len(edges) == expected
    mapped = [e for e in edges if e["predicate"].startswith("biolink:")]
    assert mapped and all(e["original_predicate"].startswith("ng:") for e in mapped)


def test_kgx_category_table_names_real_classes(graph: rdflib.Graph) -> None:
    classes = {str(c).removeprefix(NG) for c in graph.subjects(RDF.type, rdflib.OWL.Class)}
    assert set(BIOLINK_CATEGORIES) <= classes
    properties = {str(p).removeprefix(NG) for p in stated_relations(graph)}
    assert set(BIOLINK_PREDICATES) <= properties


# ------------------------------------------------------------------ VoID


def test_void_counts(graph: rdflib.Graph) -> None:
    void = rdflib.Graph().parse(data=export_graph("void"), format="turtle")
    dataset = next(void.subjects(RDF.type, VOID.Dataset))

    def value(prop: URIRef) -> int:
        return int(void.value(dataset, prop))  # type: ignore[arg-type]

    assert value(VOID.triples) == len(graph)
    assert value(VOID.distinctSubjects) == len(set(graph.subjects()))
    assert value(VOID.distinctObjects) == len(set(graph.objects()))
    assert value(VOID.properties) == len(set(graph.predicates()))
    classes = set(graph.objects(None, RDF.type))
    assert value(VOID.classes) == len(classes)
    partitions = list(void.objects(dataset, VOID.classPartition))
    assert len(partitions) == len(classes)
    for part in partitions:
        cls = void.value(part, VOID["class"])
        assert int(void.value(part, VOID.entities)) == len(set(graph.subjects(RDF.type, cls)))
    assert URIRef(NG) in set(void.objects(dataset, VOID.vocabulary))
    property_triples = sum(
        int(void.value(p, VOID.triples)) for p in void.objects(dataset, VOID.propertyPartition)
    )
    assert property_triples == len(graph)
