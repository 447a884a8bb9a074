"""What CI and people see from ``nervegraph validate`` (issue 15 item 4, issue 16).

GitHub annotations, JUnit XML, rule names, worded messages, the pre-commit hooks.

The file:line of a result is where its focus node is first the subject of a triple,
found by a real parse (:mod:`nervegraph.rdf.positions`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from nervegraph import cli
from nervegraph.rdf.positions import Position, file_positions, locate
from nervegraph.shacl.report import escape_data, escape_property

ROOT = Path(__file__).parents[1]
INVALID = Path("tests/data/invalid")
CLI_DATA = Path("tests/data/cli")
EVIDENCE = "https://w3id.org/nervegraph/statement/ta.herniated-disc.causes.pinched-nerve.e1"
QUOTE_MESSAGE = (
    "Evidence needs exactly one short verbatim ng:quote (a plain string of 3 to 300 characters)."
)


@pytest.fixture(autouse=True)
def _in_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in annotations are relative to the working directory, as in a CI job."""
    monkeypatch.chdir(ROOT)


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# -- positions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "line"),
    [
        ("missing-quote.ttl", 46),
        # mentioned first in a comment, a string and as an object; subject on line 52
        ("missing-quote-subject-on-own-line.ttl", 52),
        ("missing-quote.nt", 23),
    ],
)
def test_focus_node_is_located_where_it_is_first_a_subject(fixture: str, line: int) -> None:
    path = INVALID / fixture
    assert locate([path], [EVIDENCE]) == {EVIDENCE: Position(path, line)}


def test_a_node_that_is_never_a_subject_falls_back_to_its_object_line() -> None:
    positions = file_positions(INVALID / "missing-quote.ttl")
    assert positions.objects["https://w3id.org/nervegraph/source/test-article.causes"] == 47
    assert locate([INVALID / "missing-quote.ttl"], ["_:b0", "http://example.org/absent"]) == {}


def test_first_file_in_order_wins() -> None:
    files = [INVALID / "missing-quote.nt", INVALID / "missing-quote.ttl"]
    assert locate(files, [EVIDENCE])[EVIDENCE] == Position(files[0], 23)


# -- GitHub Actions ----------------------------------------------------------------------


def test_github_escaping_follows_actions_core() -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("ngsh:A / ng:p, 50%\n") == "ngsh%3AA / ng%3Ap%2C 50%25%0A"


@pytest.mark.parametrize(
    ("fixture", "line"),
    [
        ("missing-quote.ttl", 46),
        ("missing-quote-subject-on-own-line.ttl", 52),
        ("missing-quote.nt", 23),
    ],
)
def test_github_format_annotates_file_line_and_rule(fixture: str, line: int) -> None:
    code, out, err = run("validate", "--format", "github", INVALID / fixture)
    assert code == cli.EXIT_FAILED, err
    assert out.splitlines() == [
        f"::error file=tests/data/invalid/{fixture},line={line},"
        "title=ngsh%3AEvidenceShape / ng%3Aquote::"
        f"ngst:ta.herniated-disc.causes.pinched-nerve.e1 ng:quote: {QUOTE_MESSAGE}",
        out.splitlines()[-1],
    ]
    assert out.splitlines()[-1].startswith("does not conform: 1 violation(s) in ")


def test_github_format_warnings_and_messages_with_newlines(tmp_path: Path) -> None:
    code, out, _ = run(
        "validate",
        "--no-ontology",
        "--shapes",
        CLI_DATA / "shapes.ttl",
        "-f",
        "github",
        CLI_DATA / "warning-only.ttl",
    )
    assert code == cli.EXIT_OK
    first = out.splitlines()[0]
    assert first.startswith("::warning file=tests/data/cli/warning-only.ttl,line=")
    assert ",title=<http%3A//example.org/ThingShape-size>::" in first


# -- JUnit XML ---------------------------------------------------------------------------


def test_junit_format_is_xml_with_suites_cases_and_failures() -> None:
    fixture = INVALID / "missing-quote.ttl"
    code, out, err = run("validate", "--format", "junit", fixture, CLI_DATA / "valid.ttl")
    assert code == cli.EXIT_FAILED, err
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(fixture), "tests/data/cli/valid.ttl"]
    bad, good = suites
    rules = [case.get("name") for case in bad.findall("testcase")]
    assert len(rules) == int(bad.get("tests")) > 40  # every rule of shapes.ttl is a test
    assert "ngsh:StatedRelationIsBacked" in rules
    assert (bad.get("failures"), good.get("failures")) == ("1", "0")
    assert root.get("failures") == "1"
    assert root.get("tests") == str(2 * len(rules))
    failures = bad.findall("testcase/failure")
    assert len(failures) == 1
    case = bad.find("testcase[failure]")
    assert case.get("name") == "ngsh:EvidenceShape / ng:quote"
    assert failures[0].get("message") == QUOTE_MESSAGE
    assert failures[0].get("type") == "MinCountConstraintComponent"
    assert failures[0].text == (
        f"{fixture}:46: ngst:ta.herniated-disc.causes.pinched-nerve.e1 ng:quote: {QUOTE_MESSAGE}"
    )


def test_junit_counts_one_failure_element_per_violation() -> None:
    fixture = INVALID / "mechanism-one-step.ttl"
    code, out, _ = run("validate", "-f", "junit", fixture)
    assert code == cli.EXIT_FAILED
    json_code, json_out, _ = run("validate", "-f", "json", fixture)
    import json

    violations = [v for v in json.loads(json_out)["violations"] if v["severity"] == "Violation"]
    root = ET.fromstring(out)
    assert len(root.findall(".//failure")) == len(violations) >= 1
    failing_rules = {c.get("name") for c in root.iter("testcase") if c.find("failure") is not None}
    assert failing_rules == {v["rule"] for v in violations}
    assert root.get("failures") == str(len(failing_rules))


# -- rule names and worded messages (issue 16) ------------------------------------------


def test_text_report_words_every_result_and_summarises_by_rule() -> None:
    code, out, _ = run(
        "validate", "--no-ontology", "--shapes", CLI_DATA / "shapes.ttl", CLI_DATA / "invalid.ttl"
    )
    assert code == cli.EXIT_FAILED
    assert out == (
        'Violation: <http://example.org/twice> "twice"\n'
        "    rule:    <http://example.org/ThingShape-prefLabel> (MaxCountConstraintComponent)\n"
        "    path:    skos:prefLabel\n"
        "    message: has 2 values of skos:prefLabel; at most 1 allowed\n"
        "Violation: <http://example.org/unlabelled>\n"
        "    rule:    <http://example.org/ThingShape-prefLabel> (MinCountConstraintComponent)\n"
        "    path:    skos:prefLabel\n"
        "    message: has 0 values of skos:prefLabel; at least 1 required\n"
        "by rule:\n"
        "    2 × <http://example.org/ThingShape-prefLabel>: "
        "skos:prefLabel: at least 1 required, at most 1 allowed\n"
        "does not conform: 2 violation(s) in 6 triples checked against 3 shapes\n"
    )


def test_blank_property_shapes_are_named_by_owner_and_path() -> None:
    code, out, _ = run("validate", INVALID / "missing-quote.ttl")
    assert code == cli.EXIT_FAILED
    assert "_:" not in out
    assert "    rule:    ngsh:EvidenceShape / ng:quote (MinCountConstraintComponent)\n" in out
    assert f"    message: {QUOTE_MESSAGE}\n" in out
    assert f"by rule:\n    1 × ngsh:EvidenceShape / ng:quote: {QUOTE_MESSAGE}\n" in out


def test_nested_shape_without_its_own_target_is_named_and_worded() -> None:
    # The skos:inScheme check inside ngsh:HedgeConcept used to print
    # "HasValueConstraintComponent violated at ..." under a blank-node id.
    code, out, _ = run("validate", INVALID / "hedge-outside-scheme.ttl")
    assert code == cli.EXIT_FAILED
    assert "    rule:    ngsh:HedgeConcept / skos:inScheme (HasValueConstraintComponent)\n" in out
    assert (
        "    message: A hedge must be in the concept scheme ngq:HedgeScheme (skos:inScheme).\n"
        in out
    )
    assert "violated at" not in out


def test_named_sparql_constraints_are_their_own_rules() -> None:
    code, out, _ = run("validate", "-f", "json", INVALID / "mechanism-steps-not-linked.ttl")
    assert code == cli.EXIT_FAILED
    assert "ngsh:MechanismStepsLinked" in {
        v["rule"] for v in __import__("json").loads(out)["violations"]
    }


P = "<http://example.org/p>"  # example.org has no prefix in prefixes.py: shown as <IRI>


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ("sh:minCount 2", "has 1 value of ex:p; at least 2 required"),
        ('sh:pattern "^x"', 'ex:p value "a" does not match the pattern ^x'),
        ("sh:datatype xsd:integer", 'ex:p value "a" is not of datatype xsd:integer'),
        ("sh:hasValue ex:z", "has no value <http://example.org/z> of ex:p"),
        ("sh:maxLength 0", 'ex:p value "a" is longer than 0 characters'),
        ('sh:in ( "b" "c" )', 'ex:p value "a" is not one of "b", "c"'),
    ],
)
def test_shapes_without_message_get_a_generated_sentence(
    tmp_path: Path, shape: str, expected: str
) -> None:
    prefixes = (
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        "@prefix ex: <http://example.org/> .\n"
    )
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        prefixes + f"ex:S a sh:NodeShape ; sh:targetNode ex:a ;\n"
        f"    sh:property [ sh:path ex:p ; {shape} ] .\n",
        encoding="utf-8",
    )
    data = tmp_path / "data.ttl"
    data.write_text(prefixes + 'ex:a ex:p "a" .\n', encoding="utf-8")
    code, out, _ = run("validate", "--no-ontology", "--shapes", shapes, data)
    assert code == cli.EXIT_FAILED
    assert f"    message: {expected.replace('ex:p', P)}\n" in out
    assert re.search(r"rule:    <http://example.org/S> / <http://example.org/p> \(", out)


# -- pre-commit hooks ---------------------------------------------------------------------


def test_pre_commit_hooks_parse_and_run_real_commands() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"nervegraph-validate", "nervegraph-lint"}
    fixture = {
        "nervegraph-validate": INVALID / "missing-quote.ttl",
        "nervegraph-lint": INVALID / "missing-quote.ttl",
    }
    for hook_id, hook in by_id.items():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is True
        assert re.search(hook["files"], fixture[hook_id].name)
        program, *args = hook["entry"].split()
        assert program == "nervegraph"
        assert args[0] in cli.main.commands, hook["entry"]
        code, out, err = run(*args, fixture[hook_id])
        assert code in (cli.EXIT_OK, cli.EXIT_FAILED), err  # ran; not a usage error
    assert re.search(by_id["nervegraph-validate"]["files"], "graph.jsonld")
    assert not re.search(by_id["nervegraph-lint"]["files"], "graph.nt")


def test_trig_lines_come_from_offsets(tmp_path: Path) -> None:
    # rdflib's own line counter counts some newlines twice inside a TriG graph block.
    path = tmp_path / "g.trig"
    path.write_text(
        "PREFIX ex: <http://example.org/>\n\nex:g {\n  ex:a ex:p ex:b .\n\n  ex:b\n"
        "    ex:p '''two\nlines''' , ex:c .\n}\n",
        encoding="utf-8",
    )
    found = locate([path], [f"http://example.org/{n}" for n in "abc"])
    assert {iri[-1]: where.line for iri, where in found.items()} == {"a": 4, "b": 6, "c": 8}
