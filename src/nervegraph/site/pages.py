"""The pages of the site, each a function from the model to one HTML string."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rdflib import RDF, URIRef

from nervegraph.sources.text import SectionText
from nervegraph.vocab import curie

from . import svg
from .article import excerpt
from .model import NGNS, Entity, SiteModel, Statement, Term, slug
from .render import esc, external_href, page, table, term


@dataclass
class QueryPage:
    """A stored query with the answer the site shows."""

    name: str
    summary: str
    description: str
    tags: tuple[str, ...]
    query_type: str
    text: str
    params: list[
        tuple[str, str, str, bool, list[str]]
    ]  # name, description, class, required, accepted
    run_note: str
    headers: list[str]
    rows: list[list[str]]  # HTML cells
    total: int
    error: str

    @property
    def page(self) -> str:
        """Path below the site root."""
        return f"query/{slug(self.name.replace('/', '--'))}.html"


# ---------------------------------------------------------------- home


def _count_link(model: SiteModel, t: Term, root: str) -> str:
    """The number of instances, linked to the class's list when they have entity pages."""
    if any(t.iri in e.types for e in model.entities):
        return f'<a href="{esc(root)}entities.html#{esc(t.anchor)}">{t.count:,}</a>'
    return f"{t.count:,}"


def home_page(model: SiteModel, queries: list[QueryPage], mechanisms: list[URIRef]) -> str:
    """The home page: counts, classes with their instances, sources and sections."""
    evidence = sum(len(s.evidence) for s in model.statements)
    counts = [
        ("triples", model.triples, None),
        ("entities", len(model.entities), "entities.html"),
        ("statements (stated triples with evidence)", len(model.statements), None),
        ("pieces of evidence (section + verbatim quote)", evidence, None),
        ("source articles", len(model.sources), "#sources"),
        ("sections", len(model.sections), "#sources"),
        ("classes", len(model.classes), "ontology.html#classes"),
        ("stated relations", len(model.relations), "ontology.html#relations"),
        ("stored queries", len(queries), "queries.html"),
    ]
    rows = [
        [f'<a href="{esc(href)}">{esc(what)}</a>' if href else esc(what), f"{n:,}"]
        for what, n, href in counts
    ]
    class_rows = [
        [term(model, t.iri, ""), _count_link(model, t, ""), esc(t.definition)]
        for t in model.classes
    ]
    source_parts = []
    for source in model.sources:
        fields = "".join(
            f"<dt>{esc(curie(str(p)))}</dt><dd>{term(model, o, '')}</dd>" for p, o in source.fields
        )
        sections = "".join(
            f'<li><a href="{esc(source.page)}#{esc(s.anchor)}">{esc(s.heading)}</a> '
            f'<span class="muted">({s.evidence_count} quotes)</span></li>'
            for s in source.sections
        )
        source_parts.append(
            f'<h3><a href="{esc(source.page)}">{esc(source.title)}</a></h3>\n'
            f'<p class="muted"><code>{esc(curie(str(source.iri)))}</code> · '
            f"{source.statement_count} statements</p>\n"
            f'<dl class="meta">{fields}</dl>\n<h4>Sections</h4>\n<ol>{sections}</ol>'
        )
    mech = "".join(
        f'<li><a href="{esc(model.entity_by_iri[m].page)}">{esc(model.label(m))}</a></li>'
        for m in mechanisms
        if m in model.entity_by_iri
    )
    body = f"""<h1>nervegraph</h1>
<p>A knowledge graph of what health articles say about pinched nerves and muscle spasms:
every relation between two entities is backed by a <em>statement</em> that names its
source, the section and the verbatim quote, and the article's hedges
(<em>often</em>, <em>sometimes</em>, <em>rare</em>, …). This site is generated from the
graph; it needs no network and no JavaScript.</p>
<ul>
<li><a href="ontology.html">Ontology reference</a>: every class and relation, its
alignments to schema.org, PROV-O and SKOS, and the SHACL shapes that check it.</li>
<li><a href="entities.html">Entities</a>: one page per entity with its labels, mappings to
HP, MeSH and ICD-10-CM, and every statement about it with its quote in context.</li>
<li><a href="queries.html">Stored queries</a>: what each query asks, its parameters, its
SPARQL and its answer on this graph.</li>
<li><a href="diagrams.html">Diagrams</a>: the classes and relations, and the mechanism chains.</li>
</ul>
<h2>What the graph holds</h2>
{table(["what", "count"], rows, frozenset({1}))}
<h2 id="classes">Entities per class</h2>
{table(["class", "entities", "definition"], class_rows, frozenset({1}))}
<h2 id="sources">Sources</h2>
{"".join(source_parts)}
<h2>Mechanisms</h2>
<ul>{mech}</ul>"""
    return page("Home", body, root="", here="index.html", model=model)


# ---------------------------------------------------------------- ontology


def _constraint_table(t: Term) -> str:
    if not t.constraints:
        return '<p class="muted">No SHACL shape constrains it directly.</p>'
    rows = [
        [
            f"<code>{esc(c.shape)}</code>",
            f"<code>{esc(c.path)}</code>",
            esc(", ".join(c.facets)),
            esc(c.message),
        ]
        for c in t.constraints
    ]
    return table(["shape", "path", "constraint", "message"], rows)


def _term_section(model: SiteModel, t: Term) -> str:
    internal = [p for p in t.parents if p in model.terms]
    external = [p for p in t.parents if p not in model.terms]
    items = [f"<dt>IRI</dt><dd><code>{esc(str(t.iri))}</code></dd>"]
    if t.definition:
        items.append(f"<dt>definition</dt><dd>{esc(t.definition)}</dd>")
    if t.comment:
        items.append(f"<dt>comment</dt><dd>{esc(t.comment)}</dd>")
    if t.kind != "class":
        items.append(
            f"<dt>domain</dt><dd>{', '.join(term(model, d, '') for d in t.domain) or '—'}</dd>"
        )
        items.append(
            f"<dt>range</dt><dd>{', '.join(term(model, r, '') for r in t.range) or '—'}</dd>"
        )
    sub = "subclass of" if t.kind == "class" else "subproperty of"
    if internal:
        items.append(f"<dt>{sub}</dt><dd>{', '.join(term(model, p, '') for p in internal)}</dd>")
    if external:
        items.append(
            f"<dt>aligned ({sub})</dt><dd>{', '.join(term(model, p, '') for p in external)}</dd>"
        )
    for prop, obj in t.matches:
        items.append(f"<dt>{esc(curie(str(prop)))}</dt><dd>{term(model, obj, '')}</dd>")
    if t.inverse:
        items.append(
            f"<dt>inverse of</dt><dd>{', '.join(term(model, i, '') for i in t.inverse)}</dd>"
        )
    if t.children:
        kids = ", ".join(term(model, c, "") for c in t.children if c in model.terms)
        if kids:
            items.append(
                f"<dt>{'subclasses' if t.kind == 'class' else 'subproperties'}</dt><dd>{kids}</dd>"
            )
    if t.kind == "class":
        items.append(f"<dt>instances</dt><dd>{_count_link(model, t, '')}</dd>")
    elif t.kind == "relation":
        items.append(f"<dt>statements</dt><dd>{t.count}</dd>")
    return (
        f'<section id="{esc(t.anchor)}">\n<h3>{esc(t.label)} <code class="muted">'
        f'{esc(curie(str(t.iri)))}</code></h3>\n<dl class="meta">{"".join(items)}</dl>\n'
        f"<h4>SHACL</h4>\n{_constraint_table(t)}\n</section>"
    )


def ontology_page(model: SiteModel) -> str:
    """Every class, stated relation, other property and qualifier, with shapes and alignments."""
    toc_c = ", ".join(f'<a href="#{esc(t.anchor)}">{esc(t.label)}</a>' for t in model.classes)
    toc_r = ", ".join(f'<a href="#{esc(t.anchor)}">{esc(t.label)}</a>' for t in model.relations)
    qualifier_rows = [
        [
            f'<span id="q-{esc(slug(str(iri).rsplit("/", 1)[-1]))}">{esc(name)}</span>',
            f"<code>{esc(curie(str(iri)))}</code>",
            esc(scheme),
            esc(definition),
        ]
        for iri, name, scheme, definition in model.qualifiers
    ]
    body = f"""<h1>Ontology reference</h1>
<p>The vocabulary of <code>ontology/nervegraph.ttl</code> (namespace
<code>https://w3id.org/nervegraph/ontology#</code>), with the SHACL shapes of
<code>ontology/shapes.ttl</code> that constrain each term. A <em>stated relation</em> is
a sub-property of <code>ng:statedRelation</code>: each of its triples is backed by an
<code>ng:Statement</code> with evidence. Diagram: <a href="diagrams.html">classes and
relations</a>.</p>
<div class="diagram">{svg.ontology_svg(model, "")}</div>
<h2 id="classes">Classes ({len(model.classes)})</h2>
<p>{toc_c}</p>
{chr(10).join(_term_section(model, t) for t in model.classes)}
<h2 id="relations">Stated relations ({len(model.relations)})</h2>
<p>{toc_r}</p>
{chr(10).join(_term_section(model, t) for t in model.relations)}
<h2 id="properties">Other properties ({len(model.properties)})</h2>
<p>Provenance, qualifiers and attributes: not backed by statements.</p>
{chr(10).join(_term_section(model, t) for t in model.properties)}
<h2 id="qualifiers">Qualifiers ({len(model.qualifiers)})</h2>
{table(["label", "IRI", "scheme", "definition"], qualifier_rows)}"""
    return page("Ontology", body, root="", here="ontology.html", model=model)


# ---------------------------------------------------------------- entities


def entities_page(model: SiteModel) -> str:
    """Every entity, grouped by its class."""
    by_class: dict[URIRef, list[Entity]] = defaultdict(list)
    for entity in model.entities:
        for cls in entity.types:
            by_class[cls].append(entity)
    parts = []
    for t in model.classes:
        members = sorted(by_class.get(t.iri, []), key=lambda e: (e.label.casefold(), str(e.iri)))
        if not members:
            continue
        items = "".join(f'<li><a href="{esc(e.page)}">{esc(e.label)}</a></li>' for e in members)
        parts.append(
            f'<h2 id="{esc(t.anchor)}">{esc(t.label)} <span class="muted">({len(members)})</span>'
            f'</h2>\n<ul class="columns">{items}</ul>'
        )
    body = f"<h1>Entities ({len(model.entities)})</h1>\n" + "\n".join(parts)
    return page("Entities", body, root="", here="entities.html", model=model)


def _qualifiers(model: SiteModel, statement: Statement, root: str) -> str:
    tags = []
    for prop, value in statement.qualifiers:
        cls = "tag hedge" if prop == NGNS.hedge else "tag"
        tags.append(
            f'<span class="{cls}">{esc(model.label(prop))}: {term(model, value, root)}</span>'
        )
    return " ".join(tags)


def _evidence_html(
    model: SiteModel, statement: Statement, texts: dict[URIRef, SectionText], root: str
) -> str:
    out = []
    for ev in statement.evidence:
        section = model.sections.get(ev.section) if ev.section is not None else None
        where = term(model, ev.section, root) if section else esc("(no section)")
        found = excerpt(texts[ev.section], ev.quote) if ev.section in texts else None
        if found is not None:
            text, start, end = found
            context = (
                f'<div class="context">{esc(text[:start])}<mark>{esc(text[start:end])}</mark>'
                f"{esc(text[end:])}</div>"
            )
        else:
            context = f'<blockquote class="quote"><mark>{esc(ev.quote)}</mark></blockquote>'
        out.append(f'<div class="evidence"><span class="muted">§ {where}</span>{context}</div>')
    return "".join(out)


def _statement_groups(
    model: SiteModel,
    statements: list[Statement],
    entity: Entity,
    outgoing: bool,
    texts: dict[URIRef, SectionText],
) -> str:
    root = "../"
    groups: dict[URIRef, list[Statement]] = defaultdict(list)
    for st in statements:
        groups[st.predicate].append(st)
    parts = []
    for predicate in sorted(groups, key=lambda p: (model.label(p).casefold(), str(p))):
        rows = []
        members = sorted(
            groups[predicate],
            key=lambda s: (model.label(s.object if outgoing else s.subject).casefold(), str(s.iri)),
        )
        for st in members:
            other = st.object if outgoing else st.subject
            sources = ", ".join(term(model, s, root) for s in st.sources)
            rows.append(
                f'<div class="statement" id="{esc(slug(str(st.iri).rsplit("/", 1)[-1]))}">'
                f"<strong>{esc(entity.label) if outgoing else term(model, other, root)}</strong> "
                f"<em>{esc(model.label(predicate))}</em> "
                f"<strong>{term(model, other, root) if outgoing else esc(entity.label)}</strong> "
                f"{_qualifiers(model, st, root)}"
                f'<div class="muted">source: {sources}</div>'
                f"{_evidence_html(model, st, texts, root)}</div>"
            )
        parts.append(
            f'<h3>{term(model, predicate, root)} <span class="muted">({len(members)})</span></h3>\n'
            + "\n".join(rows)
        )
    return "\n".join(parts)


def entity_page(model: SiteModel, entity: Entity, texts: dict[URIRef, SectionText]) -> str:
    """One entity: types, labels, definition, mappings, and every statement with its quote."""
    root = "../"
    items = [f"<dt>IRI</dt><dd><code>{esc(str(entity.iri))}</code></dd>"]
    items.append(f"<dt>type</dt><dd>{', '.join(term(model, t, root) for t in entity.types)}</dd>")
    items.append(f"<dt>preferred label</dt><dd>{esc(entity.label)}</dd>")
    if entity.alt_labels:
        items.append(f"<dt>also called</dt><dd>{esc('; '.join(entity.alt_labels))}</dd>")
    if entity.definition:
        items.append(f"<dt>definition</dt><dd>{esc(entity.definition)}</dd>")
    if entity.sources:
        items.append(
            f"<dt>source</dt><dd>{', '.join(term(model, s, root) for s in entity.sources)}</dd>"
        )
    for prop, value in entity.other:
        items.append(f"<dt>{esc(model.label(prop))}</dt><dd>{term(model, value, root)}</dd>")
    mapping_rows = [
        [
            esc(curie(str(prop))),
            f'<a href="{esc(external_href(str(iri)))}">{esc(curie(str(iri)))}</a>',
            f"<code>{esc(str(iri))}</code>",
        ]
        for prop, iri in entity.mappings
    ]
    mappings = (
        table(["match", "code (public page)", "IRI"], mapping_rows)
        if mapping_rows
        else '<p class="muted">No mapping to an external terminology.</p>'
    )
    diagram = ""
    if (entity.iri, RDF.type, NGNS.Mechanism) in model.graph:
        drawing = svg.mechanism_svg(model, entity.iri, root)
        diagram = f'<h2>Mechanism chain</h2>\n<div class="diagram">{drawing}</div>'
    outgoing = _statement_groups(model, entity.outgoing, entity, True, texts)
    incoming = _statement_groups(model, entity.incoming, entity, False, texts)
    body = f"""<h1>{esc(entity.label)}</h1>
<dl class="meta">{"".join(items)}</dl>
<h2>Mappings</h2>
{mappings}
{diagram}
<h2>What the source says about it ({len(entity.outgoing)} statements)</h2>
{outgoing or '<p class="muted">None.</p>'}
<h2>What points to it ({len(entity.incoming)} statements)</h2>
{incoming or '<p class="muted">None.</p>'}"""
    return page(entity.label, body, root=root, here="entities.html", model=model)


# ---------------------------------------------------------------- sources


def source_page(
    model: SiteModel, source_index: int, texts: dict[URIRef, SectionText], note: str
) -> str:
    """A source article: its metadata and its text split into its sections."""
    source = model.sources[source_index]
    root = "../"
    fields = "".join(
        f"<dt>{esc(curie(str(p)))}</dt><dd>{term(model, o, root)}</dd>" for p, o in source.fields
    )
    parts = []
    for section in source.sections:
        text = texts.get(section.iri)
        if text is not None and text.found:
            paras = "".join(f"<p>{esc(text.body[a:b])}</p>" for a, b in text.paragraphs)
        else:
            paras = f'<p class="muted">{esc(note or "Section text not found in the article.")}</p>'
        parts.append(
            f'<section id="{esc(section.anchor)}">\n'
            f"<h2>{section.index}. {esc(section.heading)}</h2>\n"
            f'<p class="muted">{section.evidence_count} quotes from this section are evidence.'
            "</p>\n"
            f'<div class="section-text">{paras}</div>\n</section>'
        )
    body = (
        f'<h1>{esc(source.title)}</h1>\n<p class="muted">The article\'s text, split by its section '
        f"headings. Its verbatim quotes are short excerpts used as evidence; its copyright stays "
        f'with its publisher.</p>\n<dl class="meta">{fields}</dl>\n' + "\n".join(parts)
    )
    return page(source.title, body, root=root, here="index.html", model=model)


# ---------------------------------------------------------------- queries


def queries_page(model: SiteModel, queries: list[QueryPage]) -> str:
    """The catalogue of stored queries."""
    rows = [
        [
            f'<a href="{esc(q.page)}"><code>{esc(q.name)}</code></a>',
            esc(q.summary),
            esc(", ".join(p[0] for p in q.params)),
            f"{q.total:,}" if not q.error else "error",
        ]
        for q in queries
    ]
    body = (
        "<h1>Stored queries</h1>\n<p>The SPARQL queries under <code>queries/</code>; run any of "
        "them with <code>nervegraph query NAME</code>. The last column is the size of the answer "
        "on this graph (rows, or triples for a CONSTRUCT).</p>\n"
        + table(["query", "summary", "parameters", "answer"], rows, frozenset({3}))
    )
    return page("Stored queries", body, root="", here="queries.html", model=model)


def query_page(model: SiteModel, q: QueryPage) -> str:
    """One stored query: header, parameters with accepted values, SPARQL, and its answer."""
    param_parts = []
    for name, description, cls, required, accepted in q.params:
        values = "; ".join(accepted)
        param_parts.append(
            f"<li><code>{esc(name)}</code> ({'required' if required else 'optional'}, "
            f"<code>{esc(cls)}</code>): {esc(description)}"
            f"<details><summary>{len(accepted)} accepted values</summary><p>{esc(values)}</p>"
            f"</details></li>"
        )
    params = f"<ul>{''.join(param_parts)}</ul>" if param_parts else "<p>None.</p>"
    if q.error:
        answer = f"<p><strong>The query failed:</strong> {esc(q.error)}</p>"
    else:
        shown = f"{len(q.rows):,} of {q.total:,}" if len(q.rows) < q.total else f"{q.total:,}"
        unit = "triples" if q.query_type in ("CONSTRUCT", "DESCRIBE") else "rows"
        answer = f"<p>{shown} {unit}.</p>\n" + (table(q.headers, q.rows) if q.rows else "")
    tags = " ".join(f'<span class="tag">{esc(t)}</span>' for t in q.tags)
    body = f"""<h1><code>{esc(q.name)}</code></h1>
<p><strong>{esc(q.summary)}</strong></p>
<p>{esc(q.description)}</p>
<p>{tags} <span class="tag">{esc(q.query_type)}</span></p>
<h2>Parameters</h2>
{params}
<h2>SPARQL</h2>
<pre><code>{esc(q.text)}</code></pre>
<h2>Answer on this graph</h2>
<p class="muted">{esc(q.run_note)}</p>
{answer}"""
    return page(q.name, body, root="../", here="queries.html", model=model)


# ---------------------------------------------------------------- diagrams


def diagrams_page(model: SiteModel, mechanisms: list[URIRef]) -> str:
    """The class diagram and every mechanism chain, inline (files of their own beside)."""
    parts = [
        '<h2 id="ontology">Classes and relations</h2>\n<p><a href="ontology-diagram.svg">SVG file'
        f'</a></p>\n<div class="diagram">{svg.ontology_svg(model, "")}</div>'
    ]
    for mech in mechanisms:
        name = slug(str(mech).rsplit("/", 1)[-1])
        parts.append(
            f'<h2 id="mechanism-{esc(name)}">Mechanism: {esc(model.label(mech))}</h2>\n'
            f'<p><a href="mechanism-{esc(name)}.svg">SVG file</a></p>\n'
            f'<div class="diagram">{svg.mechanism_svg(model, mech, "")}</div>'
        )
    body = "<h1>Diagrams</h1>\n" + "\n".join(parts)
    return page("Diagrams", body, root="", here="diagrams.html", model=model)
