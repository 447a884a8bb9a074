"""The CLI: exit codes 0/1/2, reports, and clean error messages (no tracebacks).

The 0/1 tests use their own tiny shapes and data under tests/data/cli/ with
``--no-ontology``, so they do not depend on the real graph.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nervegraph import cli

CLI_DATA = Path(__file__).parent / "data" / "cli"
SHAPES = CLI_DATA / "shapes.ttl"


def run(*args: str | Path) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def validate(*args: str | Path) -> tuple[int, str, str]:
    return run("validate", "--no-ontology", "--shapes", SHAPES, *args)


def test_exit_codes_are_documented_constants() -> None:
    assert (cli.EXIT_OK, cli.EXIT_FAILED, cli.EXIT_ERROR) == (0, 1, 2)
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in readme


def test_valid_data_conforms() -> None:
    code, out, err = validate(CLI_DATA / "valid.ttl")
    assert code == cli.EXIT_OK, out + err
    assert out.startswith("conforms: 3 triples checked against 3 shapes")


def test_violations_exit_1_and_name_focus_nodes() -> None:
    code, out, _ = validate(CLI_DATA / "invalid.ttl")
    assert code == cli.EXIT_FAILED
    assert "<http://example.org/unlabelled>" in out
    assert '<http://example.org/twice> "twice"' in out  # the label comes along
    assert "MinCountConstraintComponent" in out
    assert "good" not in out.replace("does not conform", "")
    assert "2 violation(s)" in out


def test_warnings_do_not_break_conformance() -> None:
    code, out, _ = validate(CLI_DATA / "warning-only.ttl")
    assert code == cli.EXIT_OK
    assert out.startswith("Warning: <http://example.org/odd>")
    assert "value:   three" in out


def test_json_report_parses() -> None:
    code, out, _ = validate("--format", "json", CLI_DATA / "invalid.ttl")
    assert code == cli.EXIT_FAILED
    report = json.loads(out)
    assert report["conforms"] is False
    assert [v["focus_node"] for v in report["violations"]] == [
        "http://example.org/twice",
        "http://example.org/unlabelled",
    ]
    assert set(report["violations"][0]) == {
        "focus_node",
        "focus_label",
        "path",
        "value",
        "message",
        "severity",
        "constraint_component",
        "shape",
        "rule",
    }
    assert report["violations"][0]["rule"] == "<http://example.org/ThingShape-prefLabel>"


def test_json_report_when_conforming() -> None:
    code, out, _ = validate("-f", "json", CLI_DATA / "valid.ttl")
    assert code == cli.EXIT_OK
    assert json.loads(out) == {"conforms": True, "violations": []}


def test_turtle_report_is_a_shacl_report() -> None:
    code, out, _ = validate("--format", "turtle", CLI_DATA / "invalid.ttl")
    assert code == cli.EXIT_FAILED
    assert "sh:ValidationReport" in out


def test_syntax_error_exit_2_with_position() -> None:
    code, out, err = validate(CLI_DATA / "syntax-error.ttl")
    assert code == cli.EXIT_ERROR
    # line 7: `    skos:prefLabel "b"@en ;;; ]` -> the `]` is column 31
    assert f"error: {CLI_DATA / 'syntax-error.ttl'}:7:31: " in err
    assert "Traceback" not in out + err


def test_missing_file_exit_2() -> None:
    code, _, err = validate(CLI_DATA / "does-not-exist.ttl")
    assert code == cli.EXIT_ERROR
    assert "does-not-exist.ttl: no such file or directory" in err


def test_empty_file_exit_2() -> None:
    code, _, err = validate(CLI_DATA / "empty.ttl")
    assert code == cli.EXIT_ERROR
    assert "empty.ttl:1: file is empty / contains no triples" in err


def test_broken_shapes_file_exit_2() -> None:
    code, _, err = run(
        "validate", "--no-ontology", "--shapes", CLI_DATA / "empty.ttl", CLI_DATA / "valid.ttl"
    )
    assert code == cli.EXIT_ERROR
    assert "empty.ttl" in err


def test_unknown_format_is_a_usage_error() -> None:
    code, _, _ = validate("--format", "xml", CLI_DATA / "valid.ttl")
    assert code == cli.EXIT_ERROR  # click's usage errors exit 2 as well


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("nervegraph, version ")


def entry_point() -> str:
    """The installed ``nervegraph`` script next to this interpreter (or on PATH)."""
    beside = Path(sys.executable).with_name("nervegraph")
    found = str(beside) if beside.exists() else shutil.which("nervegraph")
    assert found, "the nervegraph console script is not installed (pip install '.[test]')"
    return found


# One real process per exit code; the other exit-2 cases (empty, missing file) are the
# same code path, checked in-process above.
@pytest.mark.parametrize(
    ("fixture", "expected", "needle", "stream"),
    [
        ("valid.ttl", 0, "conforms: 3 triples", "stdout"),
        ("invalid.ttl", 1, "<http://example.org/unlabelled>", "stdout"),
        ("syntax-error.ttl", 2, "syntax-error.ttl:7:31: ", "stderr"),
    ],
)
def test_installed_entry_point(
    tmp_path: Path, fixture: str, expected: int, needle: str, stream: str
) -> None:
    # Run from an unrelated directory: the installed package must not need the checkout cwd.
    proc = subprocess.run(
        [
            entry_point(),
            "validate",
            "--no-ontology",
            "--shapes",
            str(SHAPES),
            str(CLI_DATA / fixture),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == expected, proc.stdout + proc.stderr
    assert needle in getattr(proc, stream)
    assert "Traceback" not in proc.stdout + proc.stderr


def test_data_file_as_shapes_is_an_error_not_a_pass() -> None:
    # A shapes graph with no shape checks nothing: it used to print "conforms" and exit 0.
    code, out, err = run(
        "validate", "--no-ontology", "--shapes", CLI_DATA / "valid.ttl", CLI_DATA / "valid.ttl"
    )
    assert code == cli.EXIT_ERROR
    assert out == ""
    assert err == (
        f"error: {CLI_DATA / 'valid.ttl'}: no SHACL shapes found (no sh:NodeShape, "
        "sh:PropertyShape, target or sh:path in its 3 triples: is it a data file?)\n"
    )


def test_zero_shapes_in_a_shapes_graph_is_an_error() -> None:
    from nervegraph import NervegraphError, validate_graph
    from nervegraph.rdf.load import parse_file

    data = parse_file(CLI_DATA / "valid.ttl")
    with pytest.raises(NervegraphError, match="no SHACL shapes found in the shapes graph"):
        validate_graph(data, shapes=data)
