"""Load RDF files into one rdflib graph, turning every parser failure into InputError.

``load_graph`` returns a plain :class:`rdflib.Graph` holding the union of all triples
(quads from ``.nq``/``.trig`` lose their graph name). One graph is what pySHACL and the
stored queries want, and the model puts everything in the default graph anyway.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from nervegraph import resources
from nervegraph.errors import InputError, NervegraphError
from nervegraph.rdf import engines as engine_module
from nervegraph.rdf import guards as limits
from nervegraph.rdf import offline as _offline
from nervegraph.vocab import bind_prefixes

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph
    import rdflib
    from rdflib.plugins.parsers.notation3 import BadSyntax

# rdflib is imported where a function needs it: loading into Oxigraph
# (:func:`load_store`, the everyday path of ``nervegraph query``) does without it.

log = logging.getLogger(__name__)


#: file suffix -> rdflib parser name
FORMATS: dict[str, str] = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
_QUAD_FORMATS = {"nquads", "trig"}
_LINE_FORMATS = {"nt", "nquads"}
#: a file pyoxigraph refused is re-parsed by rdflib for its wording only when smaller
_RDFLIB_RETRY_BYTES = 1_000_000


def new_graph() -> rdflib.Graph:
    """Return an empty graph with exactly the prefixes of ``prefixes.py`` bound."""
    import rdflib

    graph = rdflib.Graph(bind_namespaces="none")
    bind_prefixes(graph)
    return graph


def format_for(path: Path) -> str:
    """Return the rdflib parser name for ``path``, guessed from its suffix.

    Raises:
        InputError: the suffix is not one of :data:`FORMATS`.
    """
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(FORMATS)
        message = f"unknown RDF file suffix {path.suffix!r} (known: {known})"
        raise InputError(path, message) from None


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Turn files and directories into the list of RDF files to read.

    A directory contributes every file below it whose suffix is in :data:`FORMATS`,
    sorted. Order of the arguments is kept; a file named twice (by any path that
    resolves to it) is read once.

    Raises:
        InputError: a path does not exist, or a directory holds no RDF file.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS
            )
            if not found:
                raise InputError(path, "directory contains no RDF files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise InputError(path, "not a regular file")
        else:
            raise InputError(path, "no such file or directory")
    # The same file named twice (``d/x.ttl d/../d/x.ttl``, a symlink) is read once.
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def load_graph(
    paths: Iterable[str | Path] | None = None,
    *,
    include_ontology: bool = True,
    engine: str | None = None,
) -> rdflib.Graph:
    """Load RDF files into one graph.

    Args:
        paths: files or directories to read. ``None`` means the bundled graph: the
            ontology (without the shapes) and every file under ``data/``.
        include_ontology: when ``paths`` is given, also read the bundled ontology files
            (not the shapes) first, so that SHACL-SPARQL constraints and queries can see
            ``rdfs:subPropertyOf`` and friends. Ignored when ``paths`` is ``None``.
        engine: ``"oxigraph"`` (the default, see :mod:`nervegraph.rdf.engines`): the graph
            lives in an Oxigraph store (oxrdflib), filled by pyoxigraph's parser, and
            the bundled graph comes from a cache keyed by the SHA-256 of its files;
            ``"rdflib"``: rdflib's in-memory store. Both hold the same triples.

    Returns:
        An :class:`rdflib.Graph` with the union of all triples and the prefixes of
        ``prefixes.py`` bound.

    Raises:
        InputError: a file is missing, empty (no triples) or malformed; ``line`` and
            ``column`` are 1-based when the parser reports a position.
    """
    files = graph_files(paths, include_ontology=include_ontology)
    if engine_module.check_query_engine(engine) == "oxigraph":
        return _load_oxigraph(files)
    union = new_graph()
    for path in files:
        part = parse_file(path)
        union += part
    log.info("loaded %d triples from %d files", len(union), len(files))
    return union


def graph_files(
    paths: Iterable[str | Path] | None = None, *, include_ontology: bool = True
) -> list[Path]:
    """Return the files :func:`load_graph` reads for ``paths`` (see there), in order.

    Raises:
        InputError: no files, or a path that does not exist.
    """
    if paths is None:
        files = resources.default_graph_files()
        if not files:
            raise InputError(
                resources.bundled_dir("data"), "no bundled ontology or data files found"
            )
        return files
    files = expand_paths(paths)
    if include_ontology:
        shapes = set(resources.shape_files())
        ontology = [p for p in resources.ontology_files() if p not in shapes]
        chosen = {p.resolve() for p in files}
        files = [p for p in ontology if p.resolve() not in chosen] + files
    if not files:
        raise InputError(Path("."), "no input files given")
    return files


def load_store(files: list[Path]) -> pyoxigraph.Store:
    """Load ``files`` into one pyoxigraph store, with the checks of :func:`parse_file`.

    Every file passes :func:`nervegraph.rdf.guards.precheck`; pyoxigraph then parses it
    straight into the store. A file pyoxigraph refuses (or cannot read, JSON-LD) goes
    through :func:`parse_file`, which raises the usual :class:`InputError` or returns
    the triples to add. With ``cache``, the store is read from (or written to) the
    cache of :mod:`nervegraph.rdf.engines`, keyed by the SHA-256 of the files.

    Raises:
        InputError: as :func:`parse_file`.
    """
    import pyoxigraph

    store = pyoxigraph.Store()
    max_chars = limits.get_limits().max_term_chars
    long_terms = False  # whether any file could hold a term over the limit
    for path in files:
        fmt, raw = _prechecked(path)
        base = path.resolve().as_uri()
        long_terms |= engine_module.may_hold_long_terms(raw, fmt, max_chars)
        count = engine_module.oxigraph_load_file(
            store, path, raw, fmt, base, max_chars, defer_checks=True
        )
        if count is None:  # refused or unreadable by pyoxigraph: rdflib's path decides
            try:
                store.extend(_ox_quads(parse_file(path)))
            except ValueError as exc:  # a term rdflib accepted that RDF 1.1 does not
                raise InputError(path, f"not an RDF 1.1 term: {exc}") from None
        elif count == 0:
            raise InputError(path, "file is empty / contains no triples", line=1)
    if engine_module.store_refuses(store, max_chars if long_terms else None):
        _raise_for_refused(files, max_chars)
    return store


def _prechecked(path: Path) -> tuple[str, bytes]:
    """Read ``path`` and run the checks every reader runs before any parser."""
    fmt = format_for(path)
    raw = _read(path)
    if fmt != "xml":
        _check_utf8(path, raw)
    limits.precheck(path, raw, fmt)
    if fmt == "json-ld":
        _check_jsonld(path, raw)
    return fmt, raw


def _raise_for_refused(files: list[Path], max_chars: int) -> None:
    """Find the file whose terms the store refused (RDF 1.2, too long) and say why."""
    import pyoxigraph

    culprit = files[-1]  # the files together hold nothing one of them does not
    for path in files:
        fmt, raw = _prechecked(path)
        base = path.resolve().as_uri()
        alone = pyoxigraph.Store()
        if engine_module.oxigraph_load_file(alone, path, raw, fmt, base, max_chars) is None:
            parse_file(path)  # raises, in the words users and tests know
            culprit = path
            break
    raise InputError(culprit, "RDF 1.2 terms, or terms over the size limit, are not supported")


def _ox_quads(graph: rdflib.Graph) -> Iterable[pyoxigraph.Quad]:
    import pyoxigraph

    to_ox = engine_module.to_oxigraph
    default = pyoxigraph.DefaultGraph()
    for s, p, o in graph:
        yield pyoxigraph.Quad(to_ox(s), to_ox(p), to_ox(o), default)


def _load_oxigraph(files: list[Path]) -> rdflib.Graph:
    store = load_store(files)
    log.info("loaded %d triples from %d files into Oxigraph", len(store), len(files))
    return engine_module.new_oxigraph_graph(store)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file or directory") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read file: {exc.strerror or exc}") from None


def parse_file(path: str | Path) -> rdflib.Graph:
    """Parse one RDF file into its own graph.

    Raises:
        InputError: the file is missing, unreadable, not UTF-8, empty or malformed.
    """
    import rdflib
    from rdflib.plugins.parsers.notation3 import BadSyntax

    path = Path(path)
    fmt = format_for(path)
    raw = _read(path)
    if fmt != "xml":  # an XML declaration may name another encoding
        _check_utf8(path, raw)
    base = path.resolve().as_uri()
    # Before any parser: NUL bytes, XML entity bombs, nesting depth (limits.py).
    limits.precheck(path, raw, fmt)
    if fmt == "json-ld":
        _check_jsonld(path, raw)
    # Strict RDF 1.1 syntax and term sizes, with pyoxigraph. A syntax error is reported
    # after rdflib has had its go, so rdflib's wording wins where both refuse the file;
    # what rdflib alone accepts (IRIs with spaces, lone surrogates...) is still refused.
    strict_error: InputError | None = None
    try:
        limits.strict_parse(path, raw, fmt, base)
    except InputError as exc:
        if exc.message.startswith(("a literal or IRI of", "RDF 1.2")) or (
            len(raw) > _RDFLIB_RETRY_BYTES
        ):
            raise
        strict_error = exc

    graph = rdflib.Dataset() if fmt in _QUAD_FORMATS else new_graph()
    # N-Triples is a subset of Turtle; rdflib's Turtle parser is linear in a literal's
    # length, its N-Triples parser quadratic (a 1 MB literal: 3.4 s vs 0.01 s).
    parser = "turtle" if fmt == "nt" and strict_error is None else fmt
    log.debug("parsing %s as %s", path, parser)
    try:
        try:
            with _offline.offline(what=f"parsing {path}"):
                graph.parse(data=raw, format=parser, publicID=base)
        except NervegraphError:
            raise
        except BadSyntax as exc:
            line, column = _badsyntax_position(exc)
            why = exc._why
            if why == _NO_DOT:  # rdflib points at the next statement; name the unended one
                line, column = _statement_end_line(exc) or line, None
                why = "expected '.' at the end of the statement"
            raise InputError(path, why, line=line, column=column) from None
        except RecursionError:
            raise InputError(path, "structure nested too deeply to parse", line=1) from None
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid text: {exc.reason}") from None
        except Exception as exc:  # noqa: BLE001 - any parser failure is a bad input file
            raise _parser_error(path, fmt, raw, exc) from None
    except InputError as exc:
        raise _better_error(exc, strict_error) from None
    if strict_error is not None:  # rdflib accepted what is not RDF 1.1
        if strict_error.line is None:
            line = limits.first_element_line(raw) if fmt == "xml" else 1
            strict_error = InputError(path, strict_error.message, line=line)
        raise strict_error

    if isinstance(graph, rdflib.Dataset):
        flat = new_graph()
        for s, p, o, _ in graph.quads((None, None, None, None)):
            flat.add((s, p, o))
        graph = flat
    if len(graph) == 0:
        raise InputError(path, "file is empty / contains no triples", line=1)
    return graph


def _better_error(rdflib_error: InputError, strict_error: InputError | None) -> InputError:
    """Pick the error to report when rdflib and pyoxigraph both refused a file.

    rdflib's wording is kept (it is what users and tests know) unless its position is
    missing or nonsensical (rdflib reports some errors at the end of the file, or with a
    negative column) and pyoxigraph located the problem earlier.
    """
    if strict_error is None or strict_error.line is None:
        return rdflib_error
    if rdflib_error.line is None or rdflib_error.line > strict_error.line:
        return strict_error
    if rdflib_error.column is not None and rdflib_error.column < 1:
        line, column = rdflib_error.line, None
        if line == strict_error.line:
            column = strict_error.column
        return InputError(rdflib_error.path, rdflib_error.message, line=line, column=column)
    return rdflib_error


def _check_utf8(path: Path, raw: bytes) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            path, f"not valid UTF-8 ({exc.reason})", line=line, column=column
        ) from None


def _check_jsonld(path: Path, raw: bytes) -> None:
    try:
        # numbers stay text: only the structure matters here, and int() refuses
        # more than 4,300 digits
        document = json.loads(raw, parse_int=str, parse_float=str, parse_constant=str)
    except RecursionError:
        raise InputError(path, "JSON nested too deeply to parse", line=1) from None
    except json.JSONDecodeError as exc:  # before ValueError: it is one
        message = f"invalid JSON: {exc.msg}"
        raise InputError(path, message, line=exc.lineno, column=exc.colno) from None
    except ValueError as exc:
        raise InputError(path, f"invalid JSON: {exc}", line=1) from None
    remote = _offline.remote_jsonld_contexts(document)
    if remote:
        found = raw.find(json.dumps(remote[0]).encode("utf-8"))
        line, column = limits.position(raw, found) if found >= 0 else (None, None)
        raise InputError(
            path,
            f"JSON-LD context {remote[0]!r} would be fetched from the network; "
            "nervegraph reads only self-contained JSON-LD (inline the @context)",
            line=line,
            column=column,
        )


#: rdflib's message for a statement not ended by ``.`` (reported at the next token)
_NO_DOT = "expected '.' or '}' or ']' at end of statement"


def _statement_end_line(exc: BadSyntax) -> int | None:
    """The line of the last token before a :data:`_NO_DOT` error (where ``.`` belongs).

    Blank lines and lines that are only a comment are passed over (but not a ``#`` line
    holding a long-string quote: it may end a long string); ``None`` when the parser's
    text or offset is missing.
    """
    text, offset = getattr(exc, "_str", None), getattr(exc, "_i", None)
    if not isinstance(text, (str, bytes)) or not isinstance(offset, int):
        return None
    if isinstance(text, bytes):
        text = text[:offset].decode("utf-8", "replace")
        offset = len(text)
    long_quotes = ('"' * 3, "'" * 3)
    for number, line in reversed(list(enumerate(text[:offset].split("\n"), start=1))):
        stripped = line.strip()
        if stripped and (not stripped.startswith("#") or any(q in line for q in long_quotes)):
            return number
    return None


def _badsyntax_position(exc: BadSyntax) -> tuple[int, int | None]:
    """Return the 1-based (line, column) of a Turtle/TriG syntax error.

    ``BadSyntax.lines`` is the number of newlines before the error, i.e. 0-based (its
    own message says ``at line lines+1``); ``_i`` is the offset into ``_str``.
    """
    line = exc.lines + 1
    text, offset = getattr(exc, "_str", None), getattr(exc, "_i", None)
    if not isinstance(text, (str, bytes)) or not isinstance(offset, int):
        return line, None
    newline = b"\n" if isinstance(text, bytes) else "\n"
    column = offset - (text.rfind(newline, 0, offset) + 1) + 1  # type: ignore[arg-type]
    return line, column


def _parser_error(path: Path, fmt: str, raw: bytes, exc: Exception) -> InputError:
    """Build an InputError from any other parser exception, with a position if we can."""
    message = str(exc).strip() or type(exc).__name__
    # SAX (RDF/XML) and json errors carry their position.
    get_line = getattr(exc, "getLineNumber", None)
    if callable(get_line):
        column = exc.getColumnNumber()  # type: ignore[attr-defined]
        return InputError(
            path,
            exc.getMessage() if hasattr(exc, "getMessage") else message,  # type: ignore[attr-defined]
            line=get_line(),
            column=column + 1 if isinstance(column, int) else None,
        )
    if isinstance(exc, json.JSONDecodeError):
        return InputError(path, exc.msg, line=exc.lineno, column=exc.colno)
    if fmt in _LINE_FORMATS:
        # N-Triples/N-Quads errors name no line; the formats are line-based, so find it.
        line = _first_bad_line(raw, fmt)
        return InputError(path, message, line=line)
    return InputError(path, message)


def _first_bad_line(raw: bytes, fmt: str) -> int | None:
    import rdflib

    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            rdflib.Dataset().parse(data=line + b"\n", format=fmt)
        except Exception:  # noqa: BLE001 - this is the line the parser refused
            return number
    return None
