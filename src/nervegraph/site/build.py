"""``build_site``: the graph as a static, offline HTML site."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from nervegraph import progress
from nervegraph.errors import NervegraphError
from nervegraph.queries import list_queries, run_query
from nervegraph.rdf.load import load_graph
from nervegraph.sources.text import SectionText, default_source_dirs, find_text, split_sections

from .files import OutputDir
from .model import NGNS, SiteModel, build_model
from .pages import (
    QueryPage,
    diagrams_page,
    entities_page,
    entity_page,
    home_page,
    ontology_page,
    queries_page,
    query_page,
    source_page,
)
from .render import CSS, term
from .svg import mechanism_svg, ontology_svg

log = logging.getLogger(__name__)

#: the marker file that makes a directory ours to rewrite
SITE_MARKER = ".nervegraph-site"
#: at most this many answer rows are shown on a query page
MAX_ROWS = 500


@dataclass
class SiteReport:
    """What :func:`build_site` wrote.

    Attributes:
        output: the site directory.
        files: the files written, relative to ``output``, sorted.
        entities: the number of entity pages.
        queries: the number of query pages.
        warnings: what could not be shown (a missing article text, a failed query).
    """

    output: Path
    files: list[str]
    entities: int
    queries: int
    warnings: list[str] = field(default_factory=list)


def _shapes_graph() -> Graph:
    from nervegraph.resources import shape_files  # the bundled ontology/shapes.ttl

    files = shape_files()
    return load_graph(files, include_ontology=False, engine="rdflib") if files else Graph()


def _texts(model: SiteModel, dirs: list[Path]) -> tuple[dict[URIRef, SectionText], dict[int, str]]:
    texts: dict[URIRef, SectionText] = {}
    notes: dict[int, str] = {}
    for i, source in enumerate(model.sources):
        text, note = (
            find_text(source.file_name, source.sha256 or None, dirs)
            if source.file_name
            else (None, "no ng:sourceFile")
        )
        if text is None:
            notes[i] = note
            continue
        for section, body in zip(
            source.sections, split_sections(text, [s.heading for s in source.sections]), strict=True
        ):
            texts[section.iri] = body
    return texts, notes


def _query_pages(model: SiteModel, graph: Graph, warnings: list[str]) -> list[QueryPage]:
    from nervegraph.queries import param_candidates  # accepted values of a parameter

    pages = []
    for stored in progress.track(
        list_queries(), "running the stored queries", unit="query", note=lambda q: q.name
    ):
        params = []
        run_with: dict[str, str] = {}
        for param in stored.params:
            candidates = param_candidates(graph, param)
            accepted = sorted(
                {labels[0] if labels else str(iri) for iri, labels in candidates.items()},
                key=lambda s: (s.casefold(), s),
            )
            params.append((param.name, param.description, param.cls, param.required, accepted))
            if param.required and accepted:
                run_with[param.name] = accepted[0]
        if run_with:
            note = (
                "Run with "
                + ", ".join(f"{k} = “{v}”" for k, v in run_with.items())
                + (" (the first accepted value), because the parameter is required.")
            )
        else:
            note = "Run with no parameters (an optional parameter left out means “all”)."
        headers: list[str] = []
        rows: list[list[str]] = []
        total = 0
        error = ""
        try:
            result = run_query(stored, graph, **run_with)
        except NervegraphError as exc:
            error = str(exc)
            warnings.append(f"query {stored.name}: {exc}")
        else:
            if result.graph is not None:
                triples = sorted(result.graph, key=lambda t: tuple(x.n3() for x in t))
                total = len(triples)
                headers = ["subject", "predicate", "object"]
                rows = [[term(model, x, "../") for x in t] for t in triples[:MAX_ROWS]]
            elif result.query_type == "ASK":
                headers, rows, total = ["answer"], [["yes" if result.askAnswer else "no"]], 1
            else:
                headers = list(result.vars)
                values = [[row.get(v) for v in headers] for row in result.rows]
                if "ORDER BY" not in stored.text.upper():
                    values.sort(key=lambda r: tuple("" if x is None else x.n3() for x in r))
                total = len(values)
                rows = [[term(model, x, "../") for x in r] for r in values[:MAX_ROWS]]
        pages.append(
            QueryPage(
                stored.name,
                stored.summary,
                stored.description,
                stored.tags,
                stored.query_type,
                stored.text,
                params,
                note,
                headers,
                rows,
                total,
                error,
            )
        )
    return pages


def build_site(
    output: str | Path = "site",
    *,
    graph: Graph | None = None,
    source_dirs: Iterable[str | Path] | None = None,
) -> SiteReport:
    """Write the documentation site of ``graph`` (default: :func:`load_graph`) to ``output``.

    Args:
        output: the directory; it must be new, empty or a site this function wrote.
        graph: the graph to document; the bundled graph (every article in ``data/``).
        source_dirs: where to look for the articles' text files (``ng:sourceFile``);
            default ``$NERVEGRAPH_SOURCE``'s directory and ``../shared/source``.

    Returns:
        A :class:`SiteReport`.

    Raises:
        SiteError: ``output`` is a foreign non-empty directory or cannot be written.
        InputError: the graph's files are malformed.
    """
    out = OutputDir(Path(output), SITE_MARKER, "site")
    if graph is None:
        with progress.status("loading the graph"):
            graph = load_graph()
    with progress.status("reading the graph's entities and shapes"):
        model = build_model(graph, _shapes_graph())
    dirs = [Path(d) for d in source_dirs] if source_dirs is not None else default_source_dirs()
    texts, notes = _texts(model, dirs)
    warnings = [f"{note}; its quotes are shown alone" for _, note in sorted(notes.items())]
    queries = _query_pages(model, graph, warnings)
    mechanisms = sorted(
        (e.iri for e in model.entities if (e.iri, RDF.type, NGNS.Mechanism) in model.graph), key=str
    )

    out.write("style.css", CSS)
    out.write("index.html", home_page(model, queries, mechanisms))
    out.write("ontology.html", ontology_page(model))
    out.write("entities.html", entities_page(model))
    out.write("queries.html", queries_page(model, queries))
    out.write("diagrams.html", diagrams_page(model, mechanisms))
    out.write(
        "ontology-diagram.svg", '<?xml version="1.0" encoding="UTF-8"?>\n' + ontology_svg(model)
    )
    for mech in mechanisms:
        name = model.entity_by_iri[mech].page.removeprefix("entity/").removesuffix(".html")
        out.write(
            f"mechanism-{name}.svg",
            '<?xml version="1.0" encoding="UTF-8"?>\n' + mechanism_svg(model, mech),
        )
    for entity in progress.track(model.entities, "writing entity pages", unit="page"):
        out.write(entity.page, entity_page(model, entity, texts))
    for i, source in enumerate(model.sources):
        out.write(source.page, source_page(model, i, texts, notes.get(i, "")))
    for q in queries:
        out.write(q.page, query_page(model, q))
    files = out.finish()
    for warning in warnings:  # returned in the report: the caller shows them (the CLI once)
        log.info("%s", warning)
    return SiteReport(Path(output), files, len(model.entities), len(queries), warnings)
