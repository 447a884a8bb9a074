"""The canonical form of the Turtle files, so diffs show meaning, not formatting.

Canonical = what rdflib's ``longturtle`` serialiser writes for the parsed graph: subjects
and predicates sorted, one statement per line, ``PREFIX`` lines only for namespaces the
file uses. The prefixes of ``prefixes.py`` always win; a file's own extra prefixes are
kept when they clash with neither a name nor an IRI of ``prefixes.py``.

The text depends only on the graph, not on the order of the source file: rdflib's
``canon=True`` relabels blank nodes from the graph structure (``rdflib.compare``) before
sorting, so ``[ ]`` property shapes and lists come out in the same order on every run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import rdflib

from nervegraph import resources
from nervegraph.errors import InputError
from nervegraph.rdf.files import atomic_write_text
from nervegraph.rdf.load import parse_file
from nervegraph.vocab import PREFIXES

log = logging.getLogger(__name__)

FIX_HINT = "run `nervegraph lint --fix` to rewrite them in canonical form"


def canonical_graph_text(graph: rdflib.Graph) -> str:
    """Return the canonical Turtle text of ``graph`` (its own prefix bindings included)."""
    out = rdflib.Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        out.bind(prefix, iri, override=True, replace=True)
    reserved_names = set(PREFIXES)
    reserved_iris = set(PREFIXES.values())
    for prefix, iri in sorted(graph.namespaces()):
        if prefix and prefix not in reserved_names and str(iri) not in reserved_iris:
            out.bind(prefix, iri, override=False)
    out += graph
    # canon=True relabels blank nodes from the graph structure (rdflib.compare), so the
    # order of `[ ]` objects no longer depends on the random labels of one parse.
    text = out.serialize(format="longturtle", canon=True)
    return text if text.endswith("\n") else text + "\n"


def canonical_turtle(path: str | Path) -> str:
    """Parse the Turtle file ``path`` and return its canonical text.

    Raises:
        InputError: the file is missing, empty or malformed.
    """
    return canonical_graph_text(parse_file(path))


def expand_turtle_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The Turtle files ``lint`` checks for ``paths``: files as given, ``*.ttl`` below dirs.

    Raises:
        InputError: a directory holds no ``*.ttl`` file.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.ttl") if p.is_file())
            if not found:
                raise InputError(path, "directory contains no Turtle (*.ttl) files")
            files.extend(found)
        else:
            files.append(path)
    return files


def lint_files(paths: Iterable[str | Path] | None = None, *, fix: bool = False) -> list[Path]:
    """Return the files that are not in canonical form, rewriting them when ``fix``.

    Args:
        paths: Turtle files or directories (every ``*.ttl`` below them) to check;
            ``None`` means every ``*.ttl`` under the bundled
            (or checkout) ``ontology/`` and ``data/``.
        fix: rewrite each non-canonical file atomically with its canonical text.

    Returns:
        The non-canonical files, in the order given (all of them were fixed if ``fix``).

    Raises:
        InputError: a file is missing, empty or malformed (nothing after it is checked).
    """
    files = expand_turtle_paths(paths) if paths is not None else resources.lint_targets()
    dirty: list[Path] = []
    for path in files:
        canonical = canonical_turtle(path)
        if path.read_text(encoding="utf-8") == canonical:
            continue
        dirty.append(path)
        if fix:
            log.info("rewriting %s in canonical form", path)
            atomic_write_text(path, canonical)
    return dirty
