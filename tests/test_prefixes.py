"""Prefixes are declared once, in ``nervegraph.vocab``; every file must agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nervegraph.vocab import PREFIXES

REPO = Path(__file__).resolve().parents[1]
DECLARATION = re.compile(
    r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE
)
FILES = sorted(
    p
    for pattern in ("ontology/**/*.ttl", "data/**/*.ttl", "queries/**/*.rq", "tests/data/**/*.ttl")
    for p in REPO.glob(pattern)
    # tests/data/load, lint and malformed hold deliberately broken or foreign files
    if not {"load", "lint", "malformed", "qc-foreign"} & set(p.relative_to(REPO).parts[:3])
)


# Synthetic test fixtures may use example.org; nothing that ships may.
TEST_ONLY = {"ex": "http://example.org/"}


def declarations(text: str) -> list[tuple[str, str]]:
    """(prefix, IRI) pairs declared in a Turtle or SPARQL text."""
    return [(m.group(1) or "", m.group(2)) for m in DECLARATION.finditer(text)]


def test_declarations_are_found() -> None:
    assert declarations("@prefix ng: <x> .\nPREFIX  schema: <y>") == [("ng", "x"), ("schema", "y")]


def test_one_prefix_per_namespace() -> None:
    assert len(set(PREFIXES.values())) == len(PREFIXES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_file_prefixes_agree(path: Path) -> None:
    allowed = dict(PREFIXES)
    if path.relative_to(REPO).parts[0] == "tests":
        allowed |= TEST_ONLY
    wrong = [
        (prefix, iri)
        for prefix, iri in declarations(path.read_text(encoding="utf-8"))
        if allowed.get(prefix) != iri
    ]
    assert not wrong, (
        f"{path.relative_to(REPO)} declares {wrong}; use the IRIs of src/nervegraph/prefixes.py"
    )


def test_bundled_files_declare_prefixes() -> None:
    assert any(p.parts[-2] == "data" for p in FILES)
    assert any(p.suffix == ".ttl" and "ontology" in p.parts for p in FILES)


QUERY_FILES = [p for p in FILES if p.suffix == ".rq"]


def _prefixed_names(text: str) -> set[str]:
    """Prefixes used in prefixed names of a SPARQL text (outside comments, strings, IRIs)."""
    text = DECLARATION.sub("", text)
    text = re.sub(r"(?m)#.*$", "", text)
    text = re.sub(r'"[^"\n]*"', '""', text)
    text = re.sub(r"<[^<>\s]*>", "<>", text)
    return set(re.findall(r"(?<![\w?$:/])([A-Za-z][\w-]*):[A-Za-z_]", text))


def test_stored_queries_exist() -> None:
    assert len(QUERY_FILES) >= 25


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_query_declares_exactly_the_prefixes_it_uses(path: Path) -> None:
    """Each .rq is self-contained: every prefix it uses is declared, and no other."""
    text = path.read_text(encoding="utf-8")
    declared = [prefix for prefix, _ in declarations(text)]
    assert len(declared) == len(set(declared)), f"{path.name}: a prefix is declared twice"
    used = _prefixed_names(text)
    assert used <= set(declared), f"{path.name}: undeclared prefixes {used - set(declared)}"
    assert set(declared) <= used, f"{path.name}: unused prefixes {set(declared) - used}"
