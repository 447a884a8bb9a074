"""Check a graph against the texts of its source articles (``nervegraph check-sources``).

For every ``ng:SourceArticle`` whose text file is found, :func:`check_sources` checks:

1. **hash**: the SHA-256 of the file's bytes equals the article's ``ng:sha256``;
2. **sections**: every ``ng:heading`` is a line of the text, in ``ng:sectionIndex`` order;
3. **quotes**: every ``ng:quote`` of a statement derived from the article occurs in the
   text *and* in the body of the section its evidence names (between that section's
   heading line and the next heading line, or in the heading itself);
4. **coverage**: the share of the article's fact-stating sentences that some quote
   (in the section its evidence names) or some ``skos:definition`` of an entity taken
   from the article overlaps; every occurrence in the section counts;
5. **hedges**: statements whose quote contains a hedge word that the statement does
   not carry as ``ng:hedge``. The words come from the hedge scheme itself: the
   ``skos:prefLabel``, ``skos:altLabel`` and ``skos:hiddenLabel`` of every concept
   ``skos:inScheme ngq:HedgeScheme`` (``ontology/qualifiers.ttl``), matched as whole
   words, case-insensitively, longest first ("less common" is not also "common"). A
   hedge word that qualifies another part of the quoted sentence is declared on the
   evidence with ``ng:hedgeOutOfScope <concept>`` and is then not reported.

Comparison of quotes, headings and sentences with the text folds typographic quotes to
ASCII and runs of whitespace to one space; nothing else is normalised.

Where the text is found: the article's ``ng:sourceFile`` is a bare file name, looked up
in this order: each directory of ``source_dirs``; then, for each data file that
declares the article, the file's own directory, ``../sources/`` beside it (a project
with ``data/`` and ``sources/``), and ``../../shared/source/`` (the layout of this
repository's checkout, where the bundled article's text lives). An article whose text is
not found is listed as skipped, not failed; when no article's text is found at all,
that is an :class:`~nervegraph.errors.InputError`.

Fact-stating sentences: the body lines of each section (heading lines excluded) are
split after ``.``, ``!`` or ``?`` followed by a space and a capital letter or opening
quote; a bullet or a table row is a line, hence at least one sentence. A sentence that
ends with ``?`` is a question and is not fact-stating; nor is any sentence the article
node lists verbatim as ``ng:nonFactStatingSentence`` (framing, lead-ins such as "These
include:", the table's header row). Every other sentence is fact-stating.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS

from nervegraph.errors import InputError
from nervegraph.rdf.load import expand_paths, load_graph
from nervegraph.sources.text import normalise, split_sections, text_candidates
from nervegraph.vocab import NG, NGQ, curie

#: Default ``--min-coverage``: the share (in %) of fact-stating sentences to be cited.
DEFAULT_MIN_COVERAGE = 95.0
#: File suffixes read when a directory is given (as :data:`nervegraph.graph.FORMATS`).
#: a sentence ends after . ! ? when a space and a capital letter or an opening quote follow
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_BULLET = re.compile(r"^[\u2022\-*]\s*")
_HEDGE_SCHEME = URIRef(NGQ + "HedgeScheme")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a section body (normalised), with its place in the body."""

    section: str  #: the section's heading
    text: str  #: the sentence, normalised, without a leading bullet
    start: int  #: offset in the section's normalised body
    end: int
    fact_stating: bool
    cited: bool = False


@dataclass(frozen=True)
class QuoteProblem:
    """A quote that is not in the text, or not in the section its evidence names."""

    statement: str
    evidence: str
    section: str  #: the heading of the section the evidence names
    quote: str
    problem: str  #: "not in the text" or "not in its section (found in: ...)"


@dataclass(frozen=True)
class HedgeFinding:
    """A statement whose quote holds a hedge word the statement does not carry."""

    statement: str
    evidence: str
    word: str  #: the word as it stands in the quote
    hedge: str  #: CURIE of the hedge concept the word expresses
    quote: str


@dataclass
class SourceReport:
    """What :func:`check_sources` found for one source article."""

    article: str  #: CURIE of the ``ng:SourceArticle``
    source_file: str  #: its ``ng:sourceFile``
    text_path: Path | None = None  #: where the text was found; None: skipped
    looked_in: list[Path] = field(default_factory=list)
    sha256_recorded: str = ""
    sha256_actual: str = ""
    problems: list[str] = field(default_factory=list)  #: headings, exclusions, file name
    quotes_checked: int = 0
    quote_problems: list[QuoteProblem] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    hedge_findings: list[HedgeFinding] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        """True when the text was found and the checks ran."""
        return self.text_path is not None

    @property
    def hash_ok(self) -> bool:
        """True when the recorded SHA-256 equals the text's."""
        return self.sha256_recorded == self.sha256_actual

    @property
    def fact_stating(self) -> list[Sentence]:
        """The fact-stating sentences, in text order."""
        return [s for s in self.sentences if s.fact_stating]

    @property
    def uncited(self) -> list[Sentence]:
        """Fact-stating sentences that no quote of the article overlaps."""
        return [s for s in self.fact_stating if not s.cited]

    @property
    def coverage(self) -> float:
        """Percentage of fact-stating sentences cited (100 when there are none)."""
        facts = self.fact_stating
        if not facts:
            return 100.0
        return 100.0 * sum(s.cited for s in facts) / len(facts)


@dataclass
class SourceCheckResult:
    """The result of :func:`check_sources`: one :class:`SourceReport` per article."""

    reports: list[SourceReport]
    min_coverage: float = DEFAULT_MIN_COVERAGE

    def failures(self) -> list[str]:
        """One line per reason the check fails (empty: the check passed)."""
        out: list[str] = []
        for r in self.reports:
            if not r.checked:
                continue
            name = r.source_file
            if not r.hash_ok:
                out.append(
                    f"{name}: SHA-256 {r.sha256_actual} differs from the recorded "
                    f"{r.sha256_recorded or '(none)'}"
                )
            out.extend(f"{name}: {p}" for p in r.problems)
            out.extend(
                f"{name}: quote {q.problem}: {q.statement}: {q.quote!r}" for q in r.quote_problems
            )
            if r.coverage < self.min_coverage:
                out.append(
                    f"{name}: {r.coverage:.1f} % of fact-stating sentences cited, "
                    f"below the minimum {self.min_coverage:g} %"
                )
            out.extend(
                f"{name}: {h.statement} quotes {h.word!r} ({h.hedge}) but does not carry it"
                for h in r.hedge_findings
            )
        return out

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not self.failures()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary (what ``--format json`` prints)."""
        return {
            "ok": self.ok,
            "min_coverage": self.min_coverage,
            "failures": self.failures(),
            "sources": [
                {
                    "article": r.article,
                    "source_file": r.source_file,
                    "text_path": str(r.text_path) if r.text_path else None,
                    "checked": r.checked,
                    "sha256_ok": r.hash_ok if r.checked else None,
                    "quotes_checked": r.quotes_checked,
                    "quote_problems": [q.__dict__ for q in r.quote_problems],
                    "problems": r.problems,
                    "fact_stating_sentences": len(r.fact_stating),
                    "cited_sentences": len(r.fact_stating) - len(r.uncited),
                    "coverage": round(r.coverage, 1),
                    "uncited": [{"section": s.section, "text": s.text} for s in r.uncited],
                    "uncarried_hedges": [h.__dict__ for h in r.hedge_findings],
                }
                for r in self.reports
            ],
        }

    def render(self, fmt: str = "text") -> str:
        """The report as ``text`` (default) or ``json``."""
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        lines: list[str] = []
        for r in self.reports:
            lines.append(f"{r.article} ({r.source_file})")
            if not r.checked:
                where = ", ".join(str(p) for p in r.looked_in) or "nowhere"
                lines.append(f"  skipped: text not found (looked in {where})")
                continue
            lines.append(f"  text: {r.text_path}")
            lines.append("  sha256: " + ("ok" if r.hash_ok else "MISMATCH"))
            lines.extend(f"  problem: {p}" for p in r.problems)
            lines.append(
                f"  quotes: {r.quotes_checked} checked, {len(r.quote_problems)} not found "
                "verbatim in their section"
            )
            lines.extend(
                f"    {q.statement} [{q.section}]: {q.problem}: {q.quote!r}"
                for q in r.quote_problems
            )
            facts = len(r.fact_stating)
            lines.append(
                f"  coverage: {facts - len(r.uncited)}/{facts} fact-stating sentences cited "
                f"({r.coverage:.1f} %, minimum {self.min_coverage:g} %)"
            )
            lines.extend(f"    uncited [{s.section}]: {s.text}" for s in r.uncited)
            lines.append(f"  uncarried hedges: {len(r.hedge_findings)}")
            lines.extend(
                f"    {h.statement}: {h.word!r} ({h.hedge}) in {h.quote!r}"
                for h in r.hedge_findings
            )
        lines.append("ok" if self.ok else f"FAILED: {len(self.failures())} problem(s)")
        return "\n".join(lines) + "\n"


def split_sentences(line: str) -> list[tuple[int, int]]:
    """Return the (start, end) spans of the sentences of one normalised line."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        spans.append((start, match.start()))
        start = match.end()
    if start < len(line):
        spans.append((start, len(line)))
    return spans


def _hedge_words(graph: rdflib.Graph) -> list[tuple[re.Pattern[str], str, URIRef]]:
    """(whole-word pattern, word, concept) for every hedge word, longest word first."""
    words: dict[str, URIRef] = {}
    for concept in graph.subjects(SKOS.inScheme, _HEDGE_SCHEME):
        for prop in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
            for label in graph.objects(concept, prop):
                words.setdefault(normalise(str(label)).casefold(), URIRef(concept))
    ordered = sorted(words.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    return [
        (re.compile(r"(?<!\w)" + re.escape(w) + r"(?!\w)", re.IGNORECASE), w, c)
        for w, c in ordered
    ]


def hedge_words_in(
    text: str, patterns: Sequence[tuple[re.Pattern[str], str, URIRef]]
) -> list[tuple[str, URIRef]]:
    """The hedge words of ``text`` as (word as written, concept), longest match first."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str, URIRef]] = []
    for pattern, _word, concept in patterns:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), m.group(0), concept))
    return [(w, c) for _pos, w, c in sorted(found, key=lambda t: t[0])]


@dataclass
class _Section:
    iri: URIRef
    heading: str
    index: int
    body: str = ""
    heading_text: str = ""


def _sections(graph: rdflib.Graph, article: URIRef) -> list[_Section]:
    found = []
    for sec in graph.subjects(DCTERMS.isPartOf, article):
        heading = graph.value(sec, URIRef(NG + "heading"))
        index = graph.value(sec, URIRef(NG + "sectionIndex"))
        if heading is not None and index is not None:
            found.append(_Section(URIRef(sec), str(heading), int(index)))
    return sorted(found, key=lambda s: s.index)


def _check_one(
    graph: rdflib.Graph,
    report: SourceReport,
    article: URIRef,
    text: str,
    hedges: Sequence[tuple[re.Pattern[str], str, URIRef]],
) -> None:
    sections = _sections(graph, article)
    # 1. place each heading on a line, in order; a section's body runs to the next heading
    placed = split_sections(text, [sec.heading for sec in sections])
    for sec, part in zip(sections, placed, strict=True):
        if not part.found:
            report.problems.append(
                f"heading {sec.heading!r} (section {sec.index}) is not a line of the text "
                "after the previous heading"
            )
    excluded = {
        normalise(str(s)) for s in graph.objects(article, URIRef(NG + "nonFactStatingSentence"))
    }
    seen_excluded: set[str] = set()
    sentences: dict[URIRef, list[Sentence]] = {}
    for sec, part in zip(sections, placed, strict=True):
        if not part.found:
            continue
        body_parts: list[str] = []
        offset = 0
        own: list[Sentence] = []
        for line in map(normalise, part.body.splitlines()):
            if not line:
                continue
            for s, e in split_sentences(line):
                raw = line[s:e]
                clean = _BULLET.sub("", raw).strip()
                is_excluded = clean in excluded or raw in excluded
                if is_excluded:
                    seen_excluded.add(clean if clean in excluded else raw)
                fact = not clean.endswith("?") and not is_excluded
                own.append(Sentence(sec.heading, clean, offset + s, offset + e, fact))
            body_parts.append(line)
            offset += len(line) + 1
        sec.body = " ".join(body_parts)
        sec.heading_text = normalise(sec.heading)
        sentences[sec.iri] = own
    report.problems.extend(
        f"ng:nonFactStatingSentence {s!r} is not a sentence of the text"
        for s in sorted(excluded - seen_excluded)
    )
    # 2. quotes: in the text, in their section; mark the sentences they overlap
    whole = " ".join(normalise(line) for line in text.splitlines())
    by_iri = {s.iri: s for s in sections}
    cited: dict[URIRef, set[int]] = {iri: set() for iri in sentences}
    rows = [
        (st, ev, quote, graph.value(ev, URIRef(NG + "section")))
        for st in graph.subjects(PROV.wasDerivedFrom, article)
        if (st, RDF.type, URIRef(NG + "Statement")) in graph
        for ev in graph.objects(st, URIRef(NG + "evidence"))
        for quote in graph.objects(ev, URIRef(NG + "quote"))
    ]
    for st, ev, quote, sec_iri in sorted(rows):
        report.quotes_checked += 1
        wanted = normalise(str(quote))
        sec = by_iri.get(sec_iri) if sec_iri is not None else None
        heading = sec.heading if sec else "(no section)"
        if sec is not None and (wanted in sec.body or wanted in sec.heading_text):
            pos = sec.body.find(wanted)
            while pos >= 0:
                for n, sentence in enumerate(sentences[sec.iri]):
                    if sentence.start < pos + len(wanted) and pos < sentence.end:
                        cited[sec.iri].add(n)
                pos = sec.body.find(wanted, pos + 1)
        else:
            if wanted not in whole:
                problem = "not in the text"
            else:
                elsewhere = [s.heading for s in sections if wanted in s.body]
                problem = "not in its section (found in: " + "; ".join(elsewhere) + ")"
            report.quote_problems.append(
                QuoteProblem(curie(str(st)), curie(str(ev)), heading, str(quote), problem)
            )
        # 3. hedge words in the quote that the statement does not carry
        carried = set(graph.objects(st, URIRef(NG + "hedge")))
        out_of_scope = set(graph.objects(ev, URIRef(NG + "hedgeOutOfScope")))
        for word, concept in hedge_words_in(wanted, hedges):
            if concept not in carried and concept not in out_of_scope:
                report.hedge_findings.append(
                    HedgeFinding(curie(str(st)), curie(str(ev)), word, curie(concept), str(quote))
                )
    # 4. a verbatim skos:definition of an entity taken from the article cites too
    for entity in graph.subjects(PROV.wasDerivedFrom, article):
        for definition in graph.objects(entity, SKOS.definition):
            wanted = normalise(str(definition))
            for sec in sections:
                pos = sec.body.find(wanted) if sec.iri in sentences else -1
                while pos >= 0:
                    for n, sentence in enumerate(sentences[sec.iri]):
                        if sentence.start < pos + len(wanted) and pos < sentence.end:
                            cited[sec.iri].add(n)
                    pos = sec.body.find(wanted, pos + 1)
    for sec in sections:
        for n, sentence in enumerate(sentences.get(sec.iri, [])):
            report.sentences.append(
                Sentence(
                    sentence.section,
                    sentence.text,
                    sentence.start,
                    sentence.end,
                    sentence.fact_stating,
                    n in cited[sec.iri],
                )
            )
    report.hedge_findings.sort(key=lambda h: (h.statement, h.evidence, h.word))
    report.quote_problems.sort(key=lambda q: (q.statement, q.evidence))


def check_sources(
    paths: Iterable[str | Path],
    *,
    source_dirs: Sequence[str | Path] = (),
    min_coverage: float = DEFAULT_MIN_COVERAGE,
) -> SourceCheckResult:
    """Check the graph of ``paths`` (files or directories) against its source texts.

    Args:
        paths: the data files (the bundled ontology is read with them, for the hedge
            scheme and the vocabulary).
        source_dirs: directories searched first for each article's ``ng:sourceFile``.
        min_coverage: the minimum percentage of fact-stating sentences to be cited.

    Returns:
        A :class:`SourceCheckResult`; ``result.ok`` is False on a hash mismatch, a
        heading not found, a quote not verbatim in its section, coverage below
        ``min_coverage`` or a hedge word not carried.

    Raises:
        InputError: a data file is missing or malformed, the files declare no source
            article, or no article's text is found.
    """
    files = expand_paths(paths)
    if not files:
        raise InputError(Path("."), "no data files given")
    graph = load_graph(files)
    hedges = _hedge_words(graph)
    articles = sorted(graph.subjects(RDF.type, URIRef(NG + "SourceArticle")))
    if not articles:
        raise InputError(files[0], "no ng:SourceArticle in the given files")
    declared: dict[URIRef, list[Path]] = {a: [] for a in articles}
    if len(files) == 1:
        declared = {a: [files[0]] for a in articles}
    else:
        for path in files:
            part = load_graph([path], include_ontology=False, engine="rdflib")
            for a in part.subjects(RDF.type, URIRef(NG + "SourceArticle")):
                declared.setdefault(URIRef(a), []).append(path)
    dirs = [Path(d) for d in source_dirs]
    reports: list[SourceReport] = []
    for article in articles:
        name = str(graph.value(article, URIRef(NG + "sourceFile")) or "")
        report = SourceReport(curie(str(article)), name)
        report.sha256_recorded = str(graph.value(article, URIRef(NG + "sha256")) or "")
        reports.append(report)
        if not name or Path(name).name != name:
            report.problems.append(f"ng:sourceFile {name!r} is not a bare file name")
            report.text_path = Path(name or ".")
            continue
        report.looked_in = text_candidates(name, declared.get(article, []), dirs)
        found = next((p for p in report.looked_in if p.is_file()), None)
        if found is None:
            continue
        report.text_path = found
        raw = found.read_bytes()
        report.sha256_actual = hashlib.sha256(raw).hexdigest()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(found, f"not UTF-8: {exc.reason} at byte {exc.start}") from None
        _check_one(graph, report, article, text, hedges)
    if not any(r.checked for r in reports):
        looked = sorted({str(p) for r in reports for p in r.looked_in})
        raise InputError(
            files[0],
            "no source text found for any article (looked in: " + ", ".join(looked) + ")",
        )
    return SourceCheckResult(reports, min_coverage)
