"""Scaffold a new source article from its text file (``nervegraph new-source``).

:func:`new_source` writes ``<project data>/<slug>.ttl`` holding the article's
``ng:SourceArticle`` node and one ``ng:Section`` per heading, modelled exactly as the
bundled article's (``data/pinched-nerve-muscle-spasms.ttl``)::

    ngsrc:<slug> a ng:SourceArticle ;
        rdfs:label "<title>"@en ; dcterms:language "en" ; dcterms:title "<title>"@en ;
        ng:sha256 "<SHA-256 of the text file's bytes>" ; ng:sourceFile "<file name>" .
    ngsrc:<slug>.<section> a ng:Section ;
        dcterms:isPartOf ngsrc:<slug> ; ng:heading "<verbatim heading>" ; ng:sectionIndex 1 .

and copies the text into the project's sources directory, where ``nervegraph
check-sources`` finds it. The Turtle is canonical (``nervegraph lint`` passes) and
conforms to the shapes; statements (``ngst:…`` with evidence naming these sections)
are the author's to add.

How headings are recognised in a plain text (:func:`find_headings`): a line is a heading
when it

1. is a paragraph of its own (the lines before and after it are blank, or it starts or
   ends the text),
2. is not a list item (it does not start with a bullet ``• - * – —`` or ``1.``/``1)``),
3. does not end with ``.``, ``,``, ``;`` or ``:``, and holds a letter, and
4. when it ends with ``?`` or ``!``, is in title case (no word of four or more letters
   starts with a lower-case letter), so a question set as its own paragraph (an FAQ's
   questions) stays in its section.

The first non-blank line is always the first heading (the title). On the bundled
article this finds exactly its 17 section headings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from nervegraph import resources
from nervegraph.errors import InputError, NervegraphError
from nervegraph.rdf.canonical import canonical_graph_text
from nervegraph.rdf.files import atomic_write_bytes, atomic_write_text
from nervegraph.sources.text import split_sections
from nervegraph.vocab import NG, NGSRC, bind_prefixes

_LIST_ITEM = re.compile(r"^(?:[\u2022\u2023\u25e6\u2043\u2219*\-\u2013\u2014]|\d+[.)])\s")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: words of a heading that make up its section's local name (``ngsrc:<slug>.<words>``)
_SECTION_WORDS = 4


class ScaffoldError(NervegraphError):
    """The new source cannot be scaffolded (no project, a bad slug, a file in the way)."""


def find_headings(text: str) -> list[str]:
    """Return the section headings of a plain text, in order (see the module's rules).

    Each heading is a whole line of ``text``, stripped of surrounding whitespace.
    """
    lines = text.splitlines()
    found: list[int] = []
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        if (i > 0 and lines[i - 1].strip()) or (i + 1 < len(lines) and lines[i + 1].strip()):
            continue  # part of a longer paragraph, a list or a table
        if _LIST_ITEM.match(line) or line[-1] in ".,;:" or not any(c.isalpha() for c in line):
            continue
        if line[-1] in "?!" and any(
            word[0].islower() and sum(c.isalpha() for c in word) >= 4 for word in line.split()
        ):
            continue  # a question in sentence case, not a heading
        found.append(i)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and first not in found:
        found.insert(0, first)  # the title
    return [lines[i].strip() for i in found]


def slugify(text: str, max_words: int | None = None) -> str:
    """Return ``text`` as lower-case words of ASCII letters and digits joined by ``-``."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:max_words] if max_words else words)


@dataclass
class ScaffoldReport:
    """What :func:`new_source` wrote.

    Attributes:
        data_file: the new Turtle file.
        text_file: the article's text in the project's sources directory.
        copied: False when the text was already there (same bytes).
        article: the IRI of the ``ng:SourceArticle``.
        sha256: the SHA-256 of the text.
        sections: ``(section IRI, heading)`` in order.
    """

    data_file: Path
    text_file: Path
    copied: bool
    article: str
    sha256: str
    sections: list[tuple[str, str]] = field(default_factory=list)


def source_graph(
    text: str,
    *,
    file_name: str,
    slug: str,
    sha256: str,
    title: str | None = None,
    language: str = "en",
) -> tuple[rdflib.Graph, list[tuple[str, str]]]:
    """Return the graph of a new source article and its ``(section IRI, heading)`` pairs.

    Raises:
        InputError: the text has no non-blank line.
    """
    headings = find_headings(text)
    if not headings:
        raise InputError(Path(file_name), "the text is empty (no non-blank line)")
    # The docs site and check-sources place each heading as a line of the text, in order.
    assert all(part.found for part in split_sections(text, headings))
    article = URIRef(NGSRC + slug)
    title = title if title is not None else headings[0]
    graph = rdflib.Graph(bind_namespaces="none")
    bind_prefixes(graph)
    graph.add((article, RDF.type, URIRef(NG + "SourceArticle")))
    graph.add((article, RDFS.label, Literal(title, lang=language)))
    graph.add((article, DCTERMS.language, Literal(language)))
    graph.add((article, DCTERMS.title, Literal(title, lang=language)))
    graph.add((article, URIRef(NG + "sha256"), Literal(sha256)))
    graph.add((article, URIRef(NG + "sourceFile"), Literal(file_name)))
    sections: list[tuple[str, str]] = []
    used: set[str] = set()
    for index, heading in enumerate(headings, start=1):
        local = slugify(heading, _SECTION_WORDS) or f"section-{index}"
        base, n = local, 2
        while local in used:
            local, n = f"{base}-{n}", n + 1
        used.add(local)
        section = URIRef(f"{NGSRC}{slug}.{local}")
        graph.add((section, RDF.type, URIRef(NG + "Section")))
        graph.add((section, DCTERMS.isPartOf, article))
        graph.add((section, URIRef(NG + "heading"), Literal(heading)))
        graph.add((section, URIRef(NG + "sectionIndex"), Literal(index, datatype=XSD.integer)))
        sections.append((str(section), heading))
    return graph, sections


def _already_declared(files: list[Path], slug: str, sha256: str) -> tuple[Path, str] | None:
    """A data file that already declares ``ngsrc:<slug>`` or this text's SHA-256."""
    name = re.compile(r"(?:ngsrc:|<" + re.escape(NGSRC) + r")" + re.escape(slug) + r"(?=[\s;,>])")
    for path in files:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if sha256 in content:
            return path, f"declares a source with the same SHA-256 ({sha256})"
        if name.search(content):
            return path, f"already declares ngsrc:{slug}"
    return None


def new_source(
    text_file: str | Path,
    *,
    slug: str | None = None,
    title: str | None = None,
    language: str = "en",
    project: resources.Project | None | resources._Current = resources.CURRENT,
) -> ScaffoldReport:
    """Scaffold a new source article of ``project`` (default: the current one).

    Args:
        text_file: the article's plain text (UTF-8).
        slug: the article's local name, ``ngsrc:<slug>`` and ``data/<slug>.ttl``;
            default: the text file's name without suffix, lower-cased, non-alphanumeric
            runs turned into ``-``.
        title: ``dcterms:title`` and ``rdfs:label``; default: the first heading.
        language: ``dcterms:language`` and the title's language tag.
        project: the project (default: :func:`nervegraph.resources.current_project`).

    Raises:
        ScaffoldError: no project; a bad slug; ``data/<slug>.ttl`` exists; the project
            already declares this article; another file of that name is in sources/.
        InputError: the text file is missing, not UTF-8 or empty.
    """
    if isinstance(project, resources._Current):
        project = resources.current_project()
    if project is None:
        raise ScaffoldError(
            f"no nervegraph project found from {Path.cwd()}: run in a project directory "
            f"(one with a {resources.PROJECT_FILE}, which may be empty) or pass --project DIR"
        )
    source = Path(text_file)
    if not source.is_file():
        raise InputError(source, "no such file" if not source.exists() else "not a regular file")
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    slug = slug if slug is not None else slugify(source.stem)
    if not _SLUG.match(slug):
        raise ScaffoldError(
            f"slug {slug!r}: use lower-case ASCII letters and digits joined by single "
            "hyphens (e.g. --slug my-article)"
        )
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", language):
        raise ScaffoldError(f"language {language!r} is not a language tag such as 'en'")
    digest = hashlib.sha256(raw).hexdigest()
    target = project.data / f"{slug}.ttl"
    if target.exists():
        raise ScaffoldError(f"{target}: already exists; new-source never overwrites a file")
    clash = _already_declared(resources.data_files(project), slug, digest)
    if clash is not None:
        raise ScaffoldError(f"{clash[0]}: {clash[1]}")
    copy = project.sources / source.name
    copied = True
    if copy.exists():
        same_file = copy.resolve() == source.resolve()
        if not same_file and (not copy.is_file() or copy.read_bytes() != raw):
            raise ScaffoldError(
                f"{copy}: another file of that name is in the sources directory; "
                "new-source never overwrites a file (rename the text file)"
            )
        copied = False
    graph, sections = source_graph(
        text, file_name=source.name, slug=slug, sha256=digest, title=title, language=language
    )
    turtle = canonical_graph_text(graph)
    if copied:
        copy.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(copy, raw)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, turtle)
    return ScaffoldReport(target, copy, copied, NGSRC + slug, digest, sections)
