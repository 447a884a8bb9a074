"""HTML building blocks: escaping, the page frame, links to terms, the style sheet.

No template engine: every piece of text passes :func:`esc` (``html.escape``).
"""

from __future__ import annotations

import html
from importlib.metadata import PackageNotFoundError, version

from rdflib import Literal, URIRef
from rdflib.term import Node

from nervegraph.vocab import NGE, NGQ, NGSRC, curie

from .model import SiteModel, local_name, slug

NAV = (
    ("index.html", "Home"),
    ("ontology.html", "Ontology"),
    ("entities.html", "Entities"),
    ("queries.html", "Queries"),
    ("diagrams.html", "Diagrams"),
)

CSS = """\
:root { --ink: #1d2433; --muted: #5b6478; --line: #d8dce6; --accent: #1f5fa8; --bg: #ffffff;
        --soft: #f4f6fa; --mark: #ffe58a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--bg); }
header { background: var(--ink); color: #fff; padding: .6rem 1.5rem; }
header a { color: #fff; margin-right: 1.2rem; text-decoration: none; font-weight: 600; }
header a.here { border-bottom: 2px solid #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
footer { color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line);
         padding: .8rem 1.5rem; }
a { color: var(--accent); }
h1 { font-size: 1.8rem; margin: .8rem 0 .4rem; }
h2 { font-size: 1.35rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1rem; margin-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .25rem .55rem; text-align: left;
         vertical-align: top; }
th { background: var(--soft); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: .88rem; }
pre { background: var(--soft); padding: .8rem; overflow-x: auto; border: 1px solid var(--line); }
.muted { color: var(--muted); }
.tag { display: inline-block; background: var(--soft); border: 1px solid var(--line);
       border-radius: 3px; padding: 0 .35rem; margin: 0 .2rem .2rem 0; font-size: .85rem; }
.hedge { background: #e8f0fb; border-color: #b9cdea; }
.statement { border-left: 3px solid var(--line); padding: .2rem 0 .2rem .8rem; margin: .6rem 0; }
.context { background: var(--soft); padding: .5rem .8rem; white-space: pre-wrap; margin: .3rem 0;
           border-radius: 3px; }
blockquote.quote { margin: .3rem 0; padding: .3rem .8rem; border-left: 3px solid var(--mark); }
mark { background: var(--mark); padding: 0 .1rem; }
.diagram { overflow-x: auto; border: 1px solid var(--line); padding: .5rem; background: #fff; }
.diagram svg { display: block; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
ul.columns { columns: 3 16rem; }
.section-text p { margin: .4rem 0; white-space: pre-wrap; }
"""


def esc(text: object) -> str:
    """HTML-escape any value (quotes included)."""
    return html.escape(str(text), quote=True)


def site_version() -> str:
    """The installed nervegraph version (``pyproject.toml``'s, via the package metadata)."""
    try:
        return version("nervegraph")
    except PackageNotFoundError:  # pragma: no cover - running without an install
        return "0+unknown"


def page(title: str, body: str, *, root: str, here: str, model: SiteModel) -> str:
    """Return one complete HTML page around ``body``.

    Args:
        title: the page title (plain text).
        body: the page's HTML.
        root: relative prefix from the page to the site root (``""`` or ``"../"``).
        here: the nav entry this page belongs to (a key of :data:`NAV`).
        model: the site model (for the footer's counts).
    """
    here_attr = ' class="here"'
    nav = " ".join(
        f'<a href="{esc(root + href)}"{here_attr if href == here else ""}>{esc(name)}</a>'
        for href, name in NAV
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} · nervegraph</title>\n"
        f'<link rel="stylesheet" href="{esc(root)}style.css">\n'
        f"</head>\n<body>\n<header><nav>{nav}</nav></header>\n<main>\n{body}\n</main>\n"
        f"<footer>nervegraph {esc(site_version())} · built from {model.triples:,} triples "
        f"· code MIT, data CC BY 4.0 (see LICENSE)</footer>\n</body>\n</html>\n"
    )


TERMINOLOGY_PAGES = (
    ("http://purl.obolibrary.org/obo/HP_", "https://hpo.jax.org/browse/term/HP:{}"),
    ("http://id.nlm.nih.gov/mesh/", "https://meshb.nlm.nih.gov/record/ui?ui={}"),
    ("http://purl.bioontology.org/ontology/ICD10CM/", "https://www.icd10data.com/search?s={}"),
)


def external_href(iri: str) -> str:
    """A public web page for an external IRI: the terminology's browser, else the IRI."""
    for namespace, template in TERMINOLOGY_PAGES:
        if iri.startswith(namespace):
            return template.format(iri[len(namespace) :])
    return iri


def internal_href(model: SiteModel, iri: URIRef) -> str | None:
    """Path (from the site root) of the page or anchor that documents ``iri``, if any."""
    text = str(iri)
    if iri in model.entity_by_iri:
        return model.entity_by_iri[iri].page
    if iri in model.terms:
        return f"ontology.html#{model.terms[iri].anchor}"
    if text.startswith(NGQ):
        return f"ontology.html#q-{slug(local_name(text))}"
    if text.startswith(NGSRC):
        for source in model.sources:
            if iri == source.iri:
                return source.page
            if iri in (s.iri for s in source.sections):
                return f"{source.page}#{model.sections[iri].anchor}"
    return None


def term(model: SiteModel, node: Node | None, root: str, *, show_curie: bool = False) -> str:
    """HTML for an RDF term: a link to its page (internal or public), or escaped text."""
    if node is None:
        return ""
    if isinstance(node, Literal):
        return esc(str(node))
    if not isinstance(node, URIRef):
        return esc(node.n3())
    text = str(node)
    inside = internal_href(model, node)
    if inside is not None:
        name = model.sections[node].heading if node in model.sections else model.label(node)
        extra = f' <code class="muted">{esc(curie(text))}</code>' if show_curie else ""
        return f'<a href="{esc(root + inside)}">{esc(name)}</a>{extra}'
    if text.startswith(NGE):  # an entity without a type: no page of its own
        return esc(model.label(node))
    shown = curie(text)
    if text.startswith(("http://", "https://")):
        return f'<a href="{esc(external_href(text))}">{esc(shown)}</a>'
    return esc(shown)


def table(headers: list[str], rows: list[list[str]], numeric: frozenset[int] = frozenset()) -> str:
    """An HTML table; ``rows`` hold ready HTML cells; columns in ``numeric`` align right."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"
