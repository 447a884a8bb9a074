"""load_graph / parse_file: every bad input is an InputError with the right position.

Line and column numbers below were counted by hand in the fixture files under
tests/data/load/ (1-based, as an editor shows them).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import rdflib

from nervegraph import InputError, load_graph
from nervegraph.rdf.load import parse_file

LOAD = Path(__file__).parent / "data" / "load"


@pytest.mark.parametrize(
    ("name", "line", "column", "words"),
    [
        # line 5: `ex:b rdfs:label "never closed .` -> the newline after 31 chars
        ("unterminated-string.ttl", 5, 32, "newline found in string literal"),
        # line 5: `    nope:q ex:e .`
        ("undeclared-prefix.ttl", 5, 5, 'Prefix "nope:" not bound'),
        # line 7: `  this is not turtle`
        ("garbage-line7.ttl", 7, 3, "this"),
        # line 2: `ex:a ex:p "caf\xe9" .` (Latin-1 e-acute at byte 15)
        ("latin1.ttl", 2, 15, "not valid UTF-8"),
        # line 4: the trailing comma before `}`
        ("bad.jsonld", 4, 1, "invalid JSON"),
        # line 3: N-Triples literal never closed
        ("bad.nt", 3, None, "Invalid line"),
    ],
)
def test_syntax_error_names_file_and_line(
    name: str, line: int, column: int | None, words: str
) -> None:
    path = LOAD / name
    with pytest.raises(InputError) as caught:
        load_graph([path], include_ontology=False)
    err = caught.value
    assert err.path == path
    assert err.line == line
    assert err.column == column
    assert words in err.message
    where = f"{path}:{line}" if column is None else f"{path}:{line}:{column}"
    assert str(err).startswith(f"{where}: ")


def test_rdfxml_error_has_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_file(LOAD / "bad.rdf")
    assert caught.value.line == 4  # `</rdf:Descriptio>`
    assert "mismatched tag" in caught.value.message


def test_error_is_reported_for_the_right_file() -> None:
    with pytest.raises(InputError) as caught:
        load_graph([LOAD / "valid.ttl", LOAD / "garbage-line7.ttl"], include_ontology=False)
    assert caught.value.path.name == "garbage-line7.ttl"
    assert caught.value.line == 7


@pytest.mark.parametrize("name", ["empty.ttl", "comments-only.ttl", "prefixes-only.ttl"])
def test_file_without_triples_is_an_error(name: str) -> None:
    with pytest.raises(InputError, match="empty / contains no triples") as caught:
        load_graph([LOAD / name], include_ontology=False)
    assert caught.value.path == LOAD / name
    assert caught.value.line == 1  # no line holds a triple: the file's first line


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.ttl"
    with pytest.raises(InputError, match="no such file") as caught:
        load_graph([missing], include_ontology=False)
    assert caught.value.path == missing


def test_directory_without_rdf_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not rdf\n")
    with pytest.raises(InputError, match="directory contains no RDF files"):
        load_graph([tmp_path], include_ontology=False)


def test_directory_is_read_recursively(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    shutil.copy(LOAD / "valid.ttl", tmp_path / "sub" / "a.ttl")
    graph = load_graph([tmp_path], include_ontology=False)
    assert len(graph) == 1


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "graph.txt"
    path.write_text("x")
    with pytest.raises(InputError, match="unknown RDF file suffix"):
        load_graph([path], include_ontology=False)


def test_deep_nesting_is_an_input_error_not_a_crash() -> None:
    with pytest.raises(InputError, match="nested too deeply"):
        parse_file(LOAD / "deep.ttl")


def test_remote_jsonld_context_is_refused_without_network() -> None:
    with pytest.raises(InputError, match="network"):
        parse_file(LOAD / "remote-context.jsonld")


def test_valid_file_loads_into_a_plain_graph() -> None:
    graph = load_graph([LOAD / "valid.ttl"], include_ontology=False)
    assert type(graph) is rdflib.Graph
    assert len(graph) == 1
    assert dict(graph.namespaces())["ng"] == rdflib.URIRef("https://w3id.org/nervegraph/ontology#")


def test_quads_are_flattened(tmp_path: Path) -> None:
    path = tmp_path / "g.nq"
    path.write_text(
        "<http://example.org/a> <http://example.org/p> <http://example.org/b> "
        "<http://example.org/g> .\n"
    )
    graph = load_graph([path], include_ontology=False)
    assert len(graph) == 1


def test_blank_nodes_of_two_files_stay_apart(tmp_path: Path) -> None:
    # The same label in two files names two nodes (RDF 1.1 Concepts, 3.4), in every format.
    from nervegraph.rdf.load import graph_files, load_store

    for suffix, line in (
        (".ttl", '_:b1 <http://x/p> "{}" .\n'),
        (".nt", '_:b1 <http://x/p> "{}" .\n'),
        (".nq", '_:b1 <http://x/p> "{}" <http://x/g> .\n'),
        (".trig", '<http://x/g> {{ _:b1 <http://x/p> "{}" . }}\n'),
    ):
        paths = []
        for n in (1, 2):
            path = tmp_path / f"{n}{suffix}"
            path.write_text(line.format(n), encoding="utf-8")
            paths.append(path)
        store = load_store(graph_files(paths, include_ontology=False))
        assert len({q.subject for q in store}) == 2, suffix
        for engine in ("oxigraph", "rdflib"):
            graph = load_graph(paths, include_ontology=False, engine=engine)
            assert len(set(graph.subjects())) == 2, (suffix, engine)
