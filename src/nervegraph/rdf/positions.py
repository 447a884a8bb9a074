"""Where in the input files a node is first the subject of a triple: file and line.

CI annotations (``validate --format github|junit``) point at the triple that broke a
rule. The lines come from a real parse, not a text search, so an IRI written as a
CURIE, as ``<...>`` or relative to ``@base``, or mentioned inside a string or a comment,
is handled as the grammar says:

* **Turtle, TriG**: rdflib's own Turtle/TriG parser (``SinkParser``, the one
  ``load_graph(engine="rdflib")`` uses), subclassed to note the character offset where
  each statement starts, i.e. its subject's first token; each triple the statement
  yields carries that line. (pyoxigraph, the default loader, reports no positions for
  the triples it yields.)
* **N-Triples, N-Quads**: one triple per line by the grammar; each line is parsed
  on its own with pyoxigraph.
* **JSON-LD, RDF/XML**: their parsers give no positions; the file is found (by
  parsing it) but the line is ``None``.

A node that is never a subject in the files falls back to the line where it is first
an object. Blank nodes get no position: their ids differ between two parses.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Position:
    """A file and, where the format tells, a 1-based line."""

    path: Path
    line: int | None = None


@dataclass
class FilePositions:
    """First line (or ``None``) of each IRI of one file as subject and as object."""

    subjects: dict[str, int | None] = field(default_factory=dict)
    objects: dict[str, int | None] = field(default_factory=dict)

    def note(
        self, subject: object, obj: object, subject_line: int | None, object_line: int | None
    ) -> None:
        """Record the lines of one triple's subject and object, where they are IRIs."""
        from rdflib import URIRef

        if isinstance(subject, URIRef):
            self.subjects.setdefault(str(subject), subject_line)
        if isinstance(obj, URIRef):
            self.objects.setdefault(str(obj), object_line)


def file_positions(path: Path) -> FilePositions:
    """Parse ``path`` and return where its IRIs are first subject and object.

    A file that this second parse cannot read (it was read once already, so this is
    rare: rdflib's and pyoxigraph's grammars differ at the edges) gives no positions.
    """
    from nervegraph.rdf.load import FORMATS

    fmt = FORMATS.get(path.suffix.lower())
    found = FilePositions()
    try:
        if fmt in ("turtle", "trig"):
            _n3_positions(path, fmt, found)
        elif fmt in ("nt", "nquads"):
            _line_positions(path, fmt, found)
        elif fmt is not None:
            _unpositioned(path, found)
    except Exception as exc:  # noqa: BLE001 - positions are a nicety, never an error
        log.debug("no positions for %s: %s", path, exc)
        return FilePositions()
    return found


def locate(files: Iterable[Path], nodes: Iterable[str]) -> dict[str, Position]:
    """Map each IRI of ``nodes`` to the first file (in order) and line where it is a subject.

    Nodes that are never a subject map to where they are first an object; nodes
    found nowhere (and blank nodes, ``_:...``) are left out.
    """
    wanted = {n for n in nodes if not n.startswith("_:")}
    found: dict[str, Position] = {}
    as_object: dict[str, Position] = {}
    for path in files:
        if not wanted - found.keys():
            break
        positions = file_positions(path)
        for node in wanted - found.keys():
            if node in positions.subjects:
                found[node] = Position(path, positions.subjects[node])
            elif node in positions.objects and node not in as_object:
                as_object[node] = Position(path, positions.objects[node])
    for node, position in as_object.items():
        found.setdefault(node, position)
    return found


def _n3_positions(path: Path, fmt: str, found: FilePositions) -> None:
    import bisect
    import re

    import rdflib
    from rdflib.plugins.parsers.notation3 import RDFSink, SinkParser
    from rdflib.plugins.parsers.trig import TrigSinkParser

    text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1  # newlines before offset, plus 1

    base_class: Any = TrigSinkParser if fmt == "trig" else SinkParser

    class PositionedParser(base_class):  # type: ignore[misc,valid-type]
        """rdflib's parser, noting the line each statement (its subject) starts on.

        Lines come from character offsets, not from the parser's own ``lines`` counter,
        which counts some newlines twice inside TriG graphs.
        """

        subject_line: int | None = None

        def statement(self, argstr: str, i: int) -> int:
            outer = self.subject_line
            self.subject_line = line_of(i)  # i: the subject's first character
            try:
                return super().statement(argstr, i)
            finally:
                self.subject_line = outer

        def makeStatement(self, quadruple: Any) -> None:  # noqa: N802 - rdflib's name
            _, _, subject, obj = quadruple
            # startOfLine: where the line holding the token just parsed (the object) starts
            found.note(subject, obj, self.subject_line, line_of(self.startOfLine))
            super().makeStatement(quadruple)

    graph: rdflib.Graph = rdflib.Dataset() if fmt == "trig" else rdflib.Graph()
    parser = PositionedParser(RDFSink(graph), baseURI=path.resolve().as_uri(), turtle=True)
    with warnings.catch_warnings():  # rdflib's TriG parser uses Dataset.identifier
        warnings.simplefilter("ignore", DeprecationWarning)
        parser.startDoc()
        parser.feed(text)
        parser.endDoc()


def _line_positions(path: Path, fmt: str, found: FilePositions) -> None:
    import pyoxigraph

    rdf_format = pyoxigraph.RdfFormat.N_QUADS if fmt == "nquads" else pyoxigraph.RdfFormat.N_TRIPLES
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line or line.startswith(b"#"):
                continue
            for quad in pyoxigraph.parse(line, format=rdf_format):
                subject = _as_rdflib(quad.subject)
                found.note(subject, _as_rdflib(quad.object), number, number)


def _as_rdflib(term: object) -> object:
    import pyoxigraph
    from rdflib import URIRef

    return URIRef(term.value) if isinstance(term, pyoxigraph.NamedNode) else None


def _unpositioned(path: Path, found: FilePositions) -> None:
    from nervegraph.rdf.load import parse_file

    for subject, _, obj in parse_file(path):
        found.note(subject, obj, None, None)
