"""Canonical Turtle: detection, --fix, idempotence, and the repository's own files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner
from rdflib.compare import isomorphic

from nervegraph import InputError, cli
from nervegraph.rdf.canonical import FIX_HINT, canonical_turtle, lint_files

LINT = Path(__file__).parent / "data" / "lint"
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    copy = tmp_path / "messy.ttl"
    shutil.copy(LINT / "messy.ttl", copy)
    return copy


def test_non_canonical_file_is_reported(messy: Path) -> None:
    before = messy.read_text(encoding="utf-8")
    assert lint_files([messy]) == [messy]
    assert messy.read_text(encoding="utf-8") == before  # checking never writes


def test_fix_makes_it_canonical_and_keeps_the_graph(messy: Path) -> None:
    original = rdflib.Graph().parse(messy)
    assert lint_files([messy], fix=True) == [messy]
    assert lint_files([messy]) == []
    assert isomorphic(rdflib.Graph().parse(messy), original)


def test_canonical_form_is_idempotent_and_deterministic(tmp_path: Path) -> None:
    text = canonical_turtle(LINT / "messy.ttl")
    shapes_text = canonical_turtle(LINT / "shapes-a.ttl")
    again = tmp_path / "again.ttl"
    again.write_text(text, encoding="utf-8")
    assert canonical_turtle(again) == text
    # A fresh interpreter (another hash seed) writes the same bytes.
    code = (
        "import sys; from nervegraph.rdf.canonical import canonical_turtle; "
        "sys.stdout.write(canonical_turtle(sys.argv[1]))"
    )
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-c", code, str(LINT / "shapes-a.ttl")],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        assert proc.stdout == shapes_text


def test_blank_nodes_in_any_source_order_give_the_same_text(tmp_path: Path) -> None:
    # Property shapes are `[ ]` blank nodes; their order must not depend on parse labels.
    text = canonical_turtle(LINT / "shapes-a.ttl")
    assert canonical_turtle(LINT / "shapes-b.ttl") == text
    fixed = tmp_path / "fixed.ttl"
    fixed.write_text(text, encoding="utf-8")
    assert canonical_turtle(fixed) == text
    assert text.count("sh:path") == 3


def test_prefixes_come_from_prefixes_py(messy: Path) -> None:
    text = canonical_turtle(messy)
    assert "PREFIX ng: <https://w3id.org/nervegraph/ontology#>" in text
    assert "unused" not in text  # prefixes the file does not use are dropped
    assert "PREFIX e: <http://example.org/extra/>" in text  # non-clashing extras are kept


def test_cli_lint_reports_and_fixes(messy: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli.main, ["lint", str(messy)])
    assert result.exit_code == cli.EXIT_FAILED
    assert f"not canonical: {messy}" in result.stdout
    assert "nervegraph lint --fix" in result.stderr
    result = runner.invoke(cli.main, ["lint", "--fix", str(messy)])
    assert result.exit_code == cli.EXIT_OK
    result = runner.invoke(cli.main, ["lint", str(messy)])
    assert result.exit_code == cli.EXIT_OK, result.output


def test_cli_lint_syntax_error_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["lint", str(bad)])
    assert result.exit_code == cli.EXIT_ERROR
    assert f"error: {bad}:2:" in result.stderr


def test_lint_empty_file_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        lint_files([empty])


def test_repo_turtle_is_canonical() -> None:
    files = sorted((REPO_ROOT / "ontology").rglob("*.ttl")) + sorted(
        (REPO_ROOT / "data").rglob("*.ttl")
    )
    if not files:
        pytest.skip("no Turtle files under ontology/ or data/ yet")
    dirty = lint_files(files)
    assert not dirty, (
        "Turtle files not in canonical form: "
        + ", ".join(str(p.relative_to(REPO_ROOT)) for p in dirty)
        + f"; {FIX_HINT}"
    )
