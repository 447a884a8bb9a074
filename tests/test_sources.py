"""The source check (``nervegraph check-sources``) and a second source end to end.

The second source is ``tests/data/sources/second-article.{txt,ttl}``: a text written by
hand and its Turtle. The expected sentences, citations and findings below were read off
that text, not off the check's output.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, SKOS

from nervegraph.cli import main
from nervegraph.interchange.export import export_graph
from nervegraph.queries import run_query
from nervegraph.rdf.load import load_graph
from nervegraph.resources import bundled_dir
from nervegraph.shacl.validate import validate_graph
from nervegraph.sources.check import _hedge_words, check_sources, hedge_words_in
from nervegraph.vocab import NGE, NGSRC

HERE = Path(__file__).resolve().parent / "data" / "sources"
SECOND = NGSRC + "second-article"


@pytest.fixture()
def second(tmp_path: Path) -> Path:
    """A temporary directory holding the second article's text and Turtle."""
    for name in ("second-article.txt", "second-article.ttl"):
        shutil.copy(HERE / name, tmp_path / name)
    return tmp_path


def report_for(result, article: str):
    (found,) = [r for r in result.reports if r.article == article]
    return found


def test_second_source_alone(second: Path) -> None:
    result = check_sources([second])
    assert result.ok, result.failures()
    report = report_for(result, "ngsrc:second-article")
    assert report.text_path == second / "second-article.txt"  # found beside the data file
    assert report.hash_ok and report.quotes_checked == 2 and not report.quote_problems
    # By hand: the question and the listed lead-in are not fact-stating.
    assert [s.text for s in report.fact_stating] == [
        "A slipped disc can press on a nerve root in the lower back.",
        "Pressure on the nerve root may cause cramps in the calf.",
        "Cramps often start at night.",
    ]
    assert [s.text for s in report.sentences if not s.fact_stating] == [
        "How is it found?",
        "These facts are summed up below:",
    ]
    assert report.uncited == [] and report.coverage == 100.0
    # "often" stands in the quote but is declared ng:hedgeOutOfScope; "may" is carried.
    assert report.hedge_findings == []


def test_second_source_with_the_bundled_graph(second: Path, source_file: Path) -> None:
    data = bundled_dir("data")
    paths = [data, second]
    graph = load_graph(paths)
    assert validate_graph(graph).conforms
    # The source check sees both articles and finds each text.
    result = check_sources(paths, source_dirs=[source_file.parent])
    assert {r.article for r in result.reports if r.checked} == {
        "ngsrc:pinched-nerve-muscle-spasms",
        "ngsrc:second-article",
    }
    assert result.ok, result.failures()
    # A shared entity is one node, derived from both sources.
    hd = URIRef(NGE + "herniated-disc")
    assert set(graph.subjects(SKOS.prefLabel, Literal("herniated disc", lang="en"))) == {hd}
    assert {str(o) for o in graph.objects(hd, PROV.wasDerivedFrom)} >= {
        NGSRC + "pinched-nerve-muscle-spasms",
        SECOND,
    }
    # A stored query answers from both sources.
    rows = run_query("evidence-for-entity", graph, entity="nge:herniated-disc").rows
    quotes = {str(r["quote"]) for r in rows}
    assert "A slipped disc can press on a nerve root" in quotes
    assert "When spinal discs bulge or rupture" in quotes
    # The export holds both articles.
    text = export_graph("nt", paths=paths)
    assert f"<{SECOND}>" in text and f"<{NGSRC}pinched-nerve-muscle-spasms>" in text


def test_changed_text_fails_the_hash(second: Path) -> None:
    text = second / "second-article.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("often", "always"), "utf-8")
    result = check_sources([second])
    assert not result.ok
    assert any("SHA-256" in f for f in result.failures())
    assert report_for(result, "ngsrc:second-article").sha256_actual == hashlib.sha256(
        text.read_bytes()
    ).hexdigest()


def test_quote_outside_its_section_fails(second: Path) -> None:
    ttl = second / "second-article.ttl"
    ttl.write_text(
        ttl.read_text(encoding="utf-8").replace(
            "ng:section ngsrc:second-article.title", "ng:section ngsrc:second-article.what-happens"
        ),
        "utf-8",
    )
    result = check_sources([second])
    (problem,) = report_for(result, "ngsrc:second-article").quote_problems
    assert problem.quote == "A slipped disc can press on a nerve root"
    assert problem.problem == "not in its section (found in: Slipped Discs and Leg Cramps)"
    assert not result.ok


def test_uncarried_hedge_and_low_coverage_fail(second: Path) -> None:
    ttl = second / "second-article.ttl"
    body = ttl.read_text(encoding="utf-8")
    body = body.replace("    ng:hedge ngq:possible ;\n", "")  # drop the carried "may"
    body = body.replace(". Cramps often start", "")  # ... and the citing of sentence 3
    body = body.replace("    ng:hedgeOutOfScope ngq:often .", "    .")
    ttl.write_text(body, "utf-8")
    result = check_sources([second])
    report = report_for(result, "ngsrc:second-article")
    assert [(h.word, h.hedge) for h in report.hedge_findings] == [("may", "ngq:possible")]
    assert [s.text for s in report.uncited] == ["Cramps often start at night."]
    assert round(report.coverage, 1) == 66.7
    assert len(result.failures()) == 2
    # The coverage threshold is a parameter; the hedge finding still fails.
    lenient = check_sources([second], min_coverage=60)
    assert [f for f in lenient.failures() if "cited" in f] == []
    assert not lenient.ok


def test_hedge_words_come_from_the_scheme() -> None:
    patterns = _hedge_words(load_graph([HERE / "second-article.ttl"]))
    found = hedge_words_in("less common but possibly, and Often: may", patterns)
    assert [(w, str(c).rsplit("/", 1)[-1]) for w, c in found] == [
        ("less common", "less-common"),  # longest match: not also "common"
        ("possibly", "possible"),
        ("Often", "often"),
        ("may", "possible"),
    ]
    assert hedge_words_in("a can of worms", patterns) == []  # "can" is no hedge


def test_bundled_article_meets_the_bar(source_file: Path) -> None:
    result = check_sources([bundled_dir("data")], source_dirs=[source_file.parent])
    report = report_for(result, "ngsrc:pinched-nerve-muscle-spasms")
    assert report.checked and report.hash_ok
    assert report.quote_problems == [] and report.hedge_findings == []
    assert report.coverage >= 95.0
    assert result.ok, result.failures()


def test_cli_exit_codes(second: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["check-sources", str(second)])
    assert ok.exit_code == 0, ok.output
    assert "coverage: 3/3 fact-stating sentences cited (100.0 %, minimum 95 %)" in ok.output
    failed = runner.invoke(main, ["check-sources", str(second), "--min-coverage", "100"])
    assert failed.exit_code == 0  # 100 % is reached
    (second / "second-article.txt").write_text("changed\n", "utf-8")
    failed = runner.invoke(main, ["check-sources", str(second), "--format", "json"])
    assert failed.exit_code == 1
    assert '"ok": false' in failed.output
    lonely = tmp_path_factory.mktemp("no-text")
    shutil.copy(HERE / "second-article.ttl", lonely / "second-article.ttl")
    missing = runner.invoke(main, ["check-sources", str(lonely)])
    assert missing.exit_code == 2
    assert "no source text found" in missing.output + (missing.stderr or "")
