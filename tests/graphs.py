"""Graphs the fault tests load into a server: large enough that a kill lands mid-load."""

from __future__ import annotations

import rdflib


def big_graph(size: int) -> rdflib.Graph:
    """``size`` triples with distinct subjects and literals, no blank nodes."""
    ex = rdflib.Namespace("https://example.org/big/")
    graph = rdflib.Graph()
    for i in range(size):
        graph.add((ex[f"s{i}"], ex.p, rdflib.Literal(f"value {i}")))
    return graph
