"""Query-plan lint (not timed): no stored query makes rdflib join a cross product.

rdflib reorders the triple patterns of a basic graph pattern (fewest unbound variables
first) and then joins them in that order; a pattern that shares no variable with the
patterns before it is joined as a cross product, which is what makes a query slow on
rdflib's memory store at scale. This test reads each query's algebra as rdflib plans
it and flags such patterns.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import BNode, Variable

from nervegraph.catalogue import list_queries

CATALOGUE = list_queries()


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def cross_products(text: str) -> list[tuple[str, ...]]:
    """Return the triple patterns rdflib joins without a shared variable."""
    found = []
    for node in _walk(prepareQuery(text).algebra):
        if not (isinstance(node, CompValue) and node.name == "BGP"):
            continue
        seen: set[Any] = set()
        for index, triple in enumerate(node.triples):
            names = {t for t in triple if isinstance(t, Variable | BNode)}
            if index and names and not names & seen:
                found.append(tuple(t.n3() for t in triple))
            seen |= names
    return found


def test_lint_finds_a_cross_product() -> None:
    bad = "SELECT * WHERE { ?a <p> ?b . ?b <q> ?c . ?x a <C> . }"
    assert len(cross_products(bad)) == 1


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_no_cross_product(query) -> None:  # noqa: ANN001
    assert cross_products(query.text) == [], query.name
