"""Synthetic corpus: N articles shaped like the real graph, deterministic by seed.

Article 0 is the bundled article itself. Article k > 0 is a copy of it in which

* the article, its sections and its statements get their own IRIs
  (``ngsrc:synthetic-k``, ``ngst:synk.…``);
* about ``shared`` of the entities (chosen per article from the seed) stay the *same*
  entity as in article 0 — cross-links between articles, each such entity gaining a
  ``prov:wasDerivedFrom`` to article k — and the others become new entities
  ``nge:<slug>--ak`` with the label suffixed ``[ak]`` so labels stay unique;
* the SHA-256 is that of a synthetic text, so the fidelity test (which needs the real
  text) does not apply, but every SHACL shape does: each generated graph validates.

Usage::

    python benchmarks/corpus.py --articles 100 --seed 1 --output /tmp/corpus-100.nt
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from nervegraph.rdf.load import parse_file
from nervegraph.resources import data_files
from nervegraph.vocab import NG, NGE, NGSRC, NGST

ORIGINAL = "pinched-nerve-muscle-spasms"
ORIGINAL_SHORT = "pnms"
LABELS = (SKOS.prefLabel, RDFS.label)
DESCRIPTION = (RDF.type, SKOS.prefLabel, RDFS.label, SKOS.altLabel, SKOS.definition,
               PROV.wasDerivedFrom)
DESCRIPTION_IRIS = {NG + "stepIndex", NG + "severityRank"}

Triple = tuple[URIRef, URIRef, URIRef | Literal]


def base_graph() -> Graph:
    """The bundled article's data (without mappings), parsed once."""
    graph = Graph()
    for path in data_files():
        if path.name == f"{ORIGINAL}.ttl":
            graph += parse_file(path)
    if not len(graph):
        raise SystemExit(f"data/{ORIGINAL}.ttl not found")
    return graph


def _article_triples(
    base: list[Triple], entities: list[str], k: int, rng: random.Random, shared: float
) -> Iterator[Triple]:
    """Triples of synthetic article ``k``."""
    keep = {e for e in entities if rng.random() < shared}
    article = URIRef(f"{NGSRC}synthetic-{k}")
    suffix = f"[a{k}]"

    def rename(term):
        if not isinstance(term, URIRef):
            return term
        iri = str(term)
        if iri.startswith(NGE):
            return term if iri in keep else URIRef(f"{iri}--a{k}")
        if iri.startswith(NGSRC + ORIGINAL):
            return URIRef(NGSRC + f"synthetic-{k}" + iri[len(NGSRC + ORIGINAL) :])
        if iri.startswith(NGST + ORIGINAL_SHORT + "."):
            return URIRef(f"{NGST}syn{k}." + iri[len(NGST + ORIGINAL_SHORT) + 1 :])
        return term

    for s, p, o in base:
        if str(s) in keep and (p in DESCRIPTION or str(p) in DESCRIPTION_IRIS):
            # A shared entity's description stays with article 0; only its relations
            # and its link to this article (below) are added.
            continue
        s2, o2 = rename(s), rename(o)
        if p in LABELS and str(s).startswith(NGE) and s2 != s:
            o2 = Literal(f"{o} {suffix}", lang=o.language)
        elif p == SKOS.altLabel and s2 != s:
            o2 = Literal(f"{o} {suffix}", lang=o.language)
        elif str(p).endswith("#sha256"):
            o2 = Literal(hashlib.sha256(f"synthetic article {k}".encode()).hexdigest())
        elif str(p).endswith("#sourceFile"):
            o2 = Literal(f"synthetic-{k}.txt")
        yield s2, p, o2
    for e in sorted(keep):
        yield URIRef(e), PROV.wasDerivedFrom, article


def generate(articles: int, seed: int = 0, shared: float = 0.2) -> Iterator[Triple]:
    """Yield the triples of ``articles`` articles (data only, no ontology).

    Args:
        articles: how many articles; 1 is the bundled article alone.
        seed: the same seed gives the same corpus.
        shared: fraction of entities each synthetic article shares with article 0.
    """
    graph = base_graph()
    base = sorted(graph, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    # Mechanisms and their steps form ordered chains; sharing half a chain would give a
    # mechanism two steps with the same index, so chains are never shared.
    chains = {URIRef(NG + "Mechanism"), URIRef(NG + "PhysiologicalEvent")}
    entities = sorted(
        str(s)
        for s, o in graph.subject_objects(RDF.type)
        if str(s).startswith(NGE) and o not in chains
    )
    yield from base
    for k in range(1, articles):
        rng = random.Random(f"{seed}:{k}")
        yield from _article_triples(base, entities, k, rng, shared)


def write_corpus(path: Path, articles: int, seed: int = 0) -> int:
    """Write the corpus as N-Triples to ``path``; return the number of lines written."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for s, p, o in generate(articles, seed):
            out.write(f"{s.n3()} {p.n3()} {o.n3()} .\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """Command line: write a corpus file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    n = write_corpus(args.output, args.articles, args.seed)
    print(f"{args.output}: {n} triples, {args.articles} articles", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
