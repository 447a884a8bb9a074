"""The bundled graph as a dataset: one named graph per source file.

A triple store (``nervegraph serve`` / ``nervegraph load``) and the quad exports
(``nq``, ``trig``) keep the files apart, each in a named graph
``https://w3id.org/nervegraph/graph/<stem>``; the union of the named graphs is exactly
the graph :func:`nervegraph.rdf.load.load_graph` returns (ontology without shapes, data,
and ``data/mappings/*.ttl`` when present).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import rdflib

from nervegraph import resources
from nervegraph.rdf.load import expand_paths, parse_file
from nervegraph.vocab import bind_prefixes

log = logging.getLogger(__name__)

#: Namespace of the named graphs nervegraph writes into a store.
GRAPH_BASE = "https://w3id.org/nervegraph/graph/"


@dataclass(frozen=True)
class NamedFile:
    """One source file and the named graph it goes into."""

    graph: str
    path: Path


def graph_iri(path: str | Path) -> str:
    """Return the named-graph IRI for a file: ``GRAPH_BASE + <stem>``."""
    return GRAPH_BASE + Path(path).stem


def named_files(paths: Iterable[str | Path] | None = None) -> list[NamedFile]:
    """Pair each file with its named graph.

    Args:
        paths: files or directories; ``None`` means the bundled graph's files (the
            ontology without the shapes, then every ``*.ttl`` under ``data/``, which
            includes ``data/mappings/``).

    Returns:
        One :class:`NamedFile` per file. When two files share a stem, the later one's
        graph name is prefixed with its parent directory's name (``mappings-<stem>``) so
        that no two files share a graph.
    """
    files = resources.default_graph_files() if paths is None else expand_paths(paths)
    result: list[NamedFile] = []
    used: set[str] = set()
    for path in files:
        iri = graph_iri(path)
        if iri in used:
            iri = GRAPH_BASE + f"{path.parent.name}-{path.stem}"
        suffix = 2
        base = iri
        while iri in used:
            iri, suffix = f"{base}-{suffix}", suffix + 1
        used.add(iri)
        result.append(NamedFile(iri, path))
    return result


def load_dataset(paths: Iterable[str | Path] | None = None) -> rdflib.Dataset:
    """Load files into an :class:`rdflib.Dataset`, one named graph per file.

    Args:
        paths: as for :func:`named_files`; ``None`` means the bundled graph.

    Raises:
        InputError: a file is missing, empty or malformed.
    """
    dataset = rdflib.Dataset(default_union=True)
    bind_prefixes(dataset)
    for item in named_files(paths):
        part = parse_file(item.path)
        context = dataset.graph(rdflib.URIRef(item.graph))
        for triple in part:
            context.add(triple)
        log.debug("graph %s: %d triples from %s", item.graph, len(part), item.path)
    return dataset


def named_graphs(dataset: rdflib.Dataset) -> dict[str, rdflib.Graph]:
    """Return the non-empty named graphs of ``dataset`` as plain graphs, by IRI."""
    graphs: dict[str, rdflib.Graph] = {}
    for context in dataset.graphs():
        name = context.identifier
        if not isinstance(name, rdflib.URIRef) or name == rdflib.graph.DATASET_DEFAULT_GRAPH_ID:
            continue
        graph = rdflib.Graph(bind_namespaces="none")
        bind_prefixes(graph)
        for triple in context:
            graph.add(triple)
        if len(graph):
            graphs[str(name)] = graph
    return graphs
