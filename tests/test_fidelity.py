"""Fidelity: every quote, definition and heading in data/ is verbatim from the source.

Only whitespace and typographic quotes are normalised. Skips, with the reason, when the
source text is absent (see ``conftest.source_text``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from nervegraph.rdf.load import parse_file
from nervegraph.resources import data_files
from nervegraph.vocab import NG, PREFIXES

QUOTE_CHARS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    """Fold typographic quotes to ASCII and runs of whitespace to one space."""
    return re.sub(r"\s+", " ", text.translate(QUOTE_CHARS)).strip()


@pytest.fixture(scope="module")
def data_graph() -> Graph:
    graph = Graph()
    for path in data_files():
        if "mappings" not in path.parts:
            graph += parse_file(path)
    return graph


def test_normalise_only_folds_whitespace_and_quotes() -> None:
    assert normalise("a\u2019s  “b”\n c") == "a's \"b\" c"
    assert normalise("Anit-inflammatory") != normalise("Anti-inflammatory")


def verbatim_values(graph: Graph, article: URIRef) -> list[tuple[str, str]]:
    """(what, text) for every literal taken from ``article`` that must occur verbatim."""
    q = """
        SELECT ?what ?text WHERE {
          { ?st prov:wasDerivedFrom ?article ; ng:evidence/ng:quote ?text .
            BIND("quote" AS ?what) }
          UNION { ?st prov:wasDerivedFrom ?article ; ng:condition ?text .
                  BIND("condition" AS ?what) }
          UNION { ?sec dcterms:isPartOf ?article ; ng:heading ?text . BIND("heading" AS ?what) }
          UNION { ?e prov:wasDerivedFrom ?article ; skos:definition ?text .
                  FILTER(STRSTARTS(STR(?e), STR(nge:))) BIND("definition" AS ?what) }
        }"""
    rows = graph.query(q, initNs=PREFIXES, initBindings={"article": article})
    return [(str(r.what), str(r.text)) for r in rows]


def test_every_quote_is_in_its_source(data_graph: Graph, source_file: Path) -> None:
    """Each article's quotes are checked against its own text (by ``ng:sourceFile``)."""
    checked = 0
    for article, name in data_graph.subject_objects(URIRef(NG + "sourceFile")):
        path = source_file.parent / str(name)
        if not path.is_file():
            continue  # another article whose text is not here; its own run checks it
        source = normalise(path.read_text(encoding="utf-8"))
        values = verbatim_values(data_graph, article)
        assert values, f"no quotes taken from {name}"
        missing = [(what, text) for what, text in values if normalise(text) not in source]
        assert not missing, f"{len(missing)} not verbatim in {name}: {missing[:10]}"
        checked += len(values)
    assert checked > 250  # the article is quoted throughout, not a handful of times


def test_a_changed_quote_would_be_caught(source_text: str) -> None:
    # The check above must be able to fail: a one-word change is not in the text.
    source = normalise(source_text)
    assert normalise("Herniated Discs: When spinal discs bulge or rupture") in source
    assert normalise("Herniated Discs: When spinal discs always rupture") not in source


def test_article_checksum_matches_source(data_graph: Graph, source_file: Path) -> None:
    digest = hashlib.sha256(source_file.read_bytes()).hexdigest()
    recorded = {
        str(o)
        for s, o in data_graph.subject_objects(URIRef(NG + "sha256"))
        if str(data_graph.value(s, URIRef(NG + "sourceFile"))) == source_file.name
    }
    assert recorded == {digest}


def test_every_section_heading_is_represented(data_graph: Graph) -> None:
    # Headings written by hand from the article, in order.
    expected = [
        "Can A Pinched Nerve Cause Muscle Spasms All Over Body? | Clear Truths Revealed",
        "Understanding How a Pinched Nerve Affects Muscle Function",
        "Common Causes Leading to Pinched Nerves and Widespread Muscle Spasms",
        "The Role of Nerve Types in Muscle Spasm Development",
        "Symptoms That Link Pinched Nerves With Muscle Spasms All Over Body",
        "A Closer Look at Muscle Spasm Distribution Patterns",
        "The Physiology Behind Pinched Nerve-Induced Muscle Spasms",
        "The Impact of Duration and Severity on Symptoms",
        "Treatment Strategies for Muscle Spasms Caused by Pinched Nerves",
        "Lifestyle Modifications & Physical Therapy",
        "Pain Management & Medications",
        "Surgical Options for Severe Cases",
        "Differentiating Pinched Nerve Spasms From Other Causes Of Muscle Spasming",
        "The Connection Explored: Can A Pinched Nerve Cause Muscle Spasms All Over Body?",
        "Key Takeaways: Can A Pinched Nerve Cause Muscle Spasms All Over Body?",
        "Frequently Asked Questions",
        "Conclusion – Can A Pinched Nerve Cause Muscle Spasms All Over Body?",
    ]
    headings = {
        int(data_graph.value(s, URIRef(NG + "sectionIndex"))): str(o)
        for s, o in data_graph.subject_objects(URIRef(NG + "heading"))
    }
    assert [headings[i] for i in sorted(headings)] == expected
    # ... and every section is quoted by at least one piece of evidence.
    quoted = set(data_graph.objects(None, URIRef(NG + "section")))
    sections = set(data_graph.subjects(URIRef(NG + "heading"), None))
    assert sections == quoted
