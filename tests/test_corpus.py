"""The synthetic benchmark corpus is realistic: it validates and is deterministic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from nervegraph import load_graph, validate_graph

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus.py"


@pytest.fixture(scope="module")
def corpus():
    spec = importlib.util.spec_from_file_location("nervegraph_bench_corpus", CORPUS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_validates_against_the_shapes(corpus, tmp_path: Path) -> None:
    path = tmp_path / "corpus.nt"
    lines = corpus.write_corpus(path, articles=2, seed=7)
    graph = load_graph([path])
    assert len(graph) > lines  # two articles plus the ontology
    result = validate_graph(graph)
    assert result.conforms, [(v.focus_node, v.message) for v in result.violations[:5]]


def test_corpus_is_deterministic_by_seed(corpus, tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in ("a.nt", "b.nt", "c.nt"))
    corpus.write_corpus(a, articles=3, seed=1)
    corpus.write_corpus(b, articles=3, seed=1)
    corpus.write_corpus(c, articles=3, seed=2)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_corpus_cross_links_articles(corpus) -> None:
    triples = list(corpus.generate(3, seed=1))
    derived = [
        str(o) for s, p, o in triples if str(p).endswith("wasDerivedFrom") and "synthetic-2" in o
    ]
    shared = [
        s for s, p, o in triples if str(p).endswith("wasDerivedFrom") and "synthetic-2" in o
        and "--a2" not in str(s) and str(s).startswith("https://w3id.org/nervegraph/entity/")
    ]
    assert derived and shared  # some entities of article 2 are shared with article 0
