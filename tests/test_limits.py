"""Resource limits: catastrophic regexes, validation and query deadlines, size limits."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from nervegraph import cli
from nervegraph.errors import DeadlineExceeded, InputError, NervegraphError
from nervegraph.rdf.guards import call_with_timeout, pattern_problem, set_limits
from nervegraph.rdf.load import parse_file
from nervegraph.shacl.validate import load_shapes, validate_graph

CATASTROPHIC = [
    "(a+)+$",
    "(a*)*b",
    "(.*)*x",
    "^(\\w+\\s?)*$",
    "(?:x+)+",
    "([a-z]+)*@",
    "(a|a)*b",
    "(a|ab)*c",
    "(\\d+){2,}",
]
SAFE = [
    "^[a-z0-9-]+$",
    "^(ab)+$",
    "^https?://",
    "^\\d{4}-\\d{2}-\\d{2}$",
    "(a|b)*c",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_flagged(pattern: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and problem.endswith("can take exponential time"), problem
    overlapping = "|" in pattern  # (a|ab)*: the alternation, not a nested quantifier
    reason = "overlapping branches" if overlapping else "nested unbounded quantifiers"
    assert reason in problem


@pytest.mark.parametrize("pattern", SAFE)
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_bundled_shapes_have_no_dangerous_pattern() -> None:
    shapes = load_shapes()
    assert all(pattern_problem(str(p)) is None for p in shapes.objects(None, rdflib.SH.pattern))


def _shapes_with_pattern(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "shapes.ttl"
    path.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/a> ;\n"
        f'  sh:property [ sh:path rdfs:label ; sh:pattern "{pattern}" ] .\n',
        encoding="utf-8",
    )
    return path


def test_validate_refuses_a_catastrophic_shape_before_running(tmp_path: Path) -> None:
    shapes = _shapes_with_pattern(tmp_path, "^(a+)+$")
    data = tmp_path / "data.ttl"
    data.write_text(
        '<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "'
        + "a" * 40
        + '!" .\n',
        encoding="utf-8",
    )
    started = time.monotonic()
    result = CliRunner().invoke(
        cli.main, ["validate", "--no-ontology", "--shapes", str(shapes), str(data)]
    )
    assert result.exit_code == 2
    assert "nested quantifiers" in result.output and "Traceback" not in result.output
    assert time.monotonic() - started < 5


HEAVY_SHAPES = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
<http://example.org/S> a sh:NodeShape ;
  sh:targetNode <http://example.org/n0> ;
  sh:sparql [ sh:select \"\"\"SELECT $this WHERE {
      ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . FILTER (?c = ?f && ?f = ?i && ?i = 0)
  }\"\"\" ] .
"""


def _heavy_data() -> rdflib.Graph:
    graph = rdflib.Graph()
    for i in range(60):
        graph.add((rdflib.URIRef(f"http://example.org/n{i}"), rdflib.RDFS.label, rdflib.Literal(i)))
    return graph


def test_validation_timeout_stops_and_reports(tmp_path: Path) -> None:
    shapes = tmp_path / "heavy.ttl"
    shapes.write_text(HEAVY_SHAPES, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="did not finish within 1 s"):
        # pySHACL: pyshacl-turbo finishes this query well within the second
        validate_graph(_heavy_data(), shapes=[shapes], timeout=1, engine="pyshacl")
    assert time.monotonic() - started < 5
    assert multiprocessing.active_children() == []  # the child was killed and reaped


def test_validation_with_timeout_gives_the_same_answer(tmp_path: Path) -> None:
    shapes = load_shapes([_shapes_with_pattern(tmp_path, "^b")])  # one parse: same bnode ids
    data = rdflib.Graph()
    data.add((rdflib.URIRef("http://example.org/a"), rdflib.RDFS.label, rdflib.Literal("a")))
    plain = validate_graph(data, shapes=shapes)
    forked = validate_graph(data, shapes=shapes, timeout=30)
    assert plain.conforms is forked.conforms is False
    assert plain.violations == forked.violations


def test_cli_query_timeout_exits_2() -> None:
    # A real process: at the deadline the CLI's watchdog ends the whole process
    # (os._exit, since a native Oxigraph query cannot be interrupted), which run
    # in-process by CliRunner would end the test session. The process being gone within
    # the subprocess timeout is what shows nothing keeps running.
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "nervegraph.cli", "query", "-", "--timeout", "1"],
        input="SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "did not finish within 1 s" in proc.stderr and "--timeout" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert time.monotonic() - started < 15


def test_call_with_timeout_passes_errors_and_values_through() -> None:
    assert call_with_timeout(lambda: 6 * 7, 10, what="x") == 42

    def fail() -> None:
        raise InputError("f.ttl", "broken", line=3)

    with pytest.raises(InputError, match="f.ttl:3: broken"):
        call_with_timeout(fail, 10, what="x")


def test_limits_are_configurable(tmp_path: Path) -> None:
    path = tmp_path / "d.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:p " + "(" * 10 + ")" * 10 + " .\n",
        encoding="utf-8",
    )
    old = set_limits(max_depth=5)
    try:
        with pytest.raises(InputError, match="more than 5 levels"):
            parse_file(path)
    finally:
        set_limits(max_depth=old.max_depth)
    assert len(parse_file(path)) == 1 + 2 * 9  # ex:p to the outer list; 9 non-empty lists


def test_unsafe_shape_error_is_a_nervegraph_error(tmp_path: Path) -> None:
    data = rdflib.Graph()
    data.add((rdflib.URIRef("http://example.org/a"), rdflib.RDFS.label, rdflib.Literal("a")))
    with pytest.raises(NervegraphError, match=r"\(\.\*\)\*"):
        validate_graph(data, shapes=[_shapes_with_pattern(tmp_path, "(.*)*x")])
