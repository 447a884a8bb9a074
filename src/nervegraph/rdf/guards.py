"""Resource limits for hostile input: strict pre-parse, sizes, nesting, regexes, deadlines.

rdflib is a forgiving and sometimes fragile parser (measured on rdflib 7.6): its Turtle
parser overflows the Python stack on lists ~300 deep or blank nodes ~200 deep, its
N-Triples parser is quadratic in a literal's length, it accepts IRIs with spaces and
lone surrogates, and expat expands internal XML entities. Before rdflib sees a file,
:func:`precheck` therefore

1. refuses NUL bytes in text formats;
2. for RDF/XML, refuses external, parameter and nested entities and any entity
   expansion larger than :attr:`Limits.max_entity_expansion` characters;
3. parses the file with pyoxigraph's strict, iterative (Rust) parser, which reports a
   line and column for any syntax error;
4. refuses any literal or IRI longer than :attr:`Limits.max_term_chars` characters;
5. refuses list / blank-node / JSON nesting deeper than :attr:`Limits.max_depth`.

It also holds :func:`catastrophic_patterns` (SHACL ``sh:pattern`` regexes that take
exponential time) and :func:`call_with_timeout` (run a computation in a forked child and
stop it at a deadline: a thread cannot be stopped, and a runaway regex holds the GIL).

The limits are module-wide defaults, overridable with the environment variables
``NERVEGRAPH_MAX_TERM_CHARS``, ``NERVEGRAPH_MAX_DEPTH`` and
``NERVEGRAPH_MAX_ENTITY_EXPANSION``, or with :func:`set_limits`.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from nervegraph.errors import DeadlineExceeded, InputError, NervegraphError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: rdflib parser name -> pyoxigraph RdfFormat name
OX_FORMATS: dict[str, str] = {
    "turtle": "TURTLE",
    "nt": "N_TRIPLES",
    "nquads": "N_QUADS",
    "trig": "TRIG",
    "xml": "RDF_XML",
    "json-ld": "JSON_LD",
}


@dataclass(frozen=True)
class Limits:
    """Input limits; every one is checked before rdflib parses a file.

    Attributes:
        max_term_chars: longest literal or IRI accepted, in characters.
        max_depth: deepest nesting of Turtle/TriG lists and ``[ ]`` blank nodes, or of
            JSON-LD objects/arrays.
        max_entity_expansion: most characters RDF/XML internal entities may expand to
            in total.
    """

    max_term_chars: int = 1_000_000
    max_depth: int = 64
    max_entity_expansion: int = 1_000_000


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not an integer", name, raw)
        return default
    return value if value > 0 else default


_limits = Limits(
    max_term_chars=_env_int("NERVEGRAPH_MAX_TERM_CHARS", Limits.max_term_chars),
    max_depth=_env_int("NERVEGRAPH_MAX_DEPTH", Limits.max_depth),
    max_entity_expansion=_env_int("NERVEGRAPH_MAX_ENTITY_EXPANSION", Limits.max_entity_expansion),
)


def get_limits() -> Limits:
    """Return the limits in force."""
    return _limits


def set_limits(**changes: int) -> Limits:
    """Change limits for this process (e.g. ``set_limits(max_depth=128)``); return the old."""
    global _limits
    old = _limits
    _limits = replace(_limits, **changes)
    return old


# ------------------------------------------------------------------ positions


def position(raw: bytes, offset: int) -> tuple[int, int]:
    """Return the 1-based (line, column) of byte ``offset`` (column in characters)."""
    offset = max(0, min(offset, len(raw)))
    line = raw.count(b"\n", 0, offset) + 1
    start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


# ------------------------------------------------------------------ pre-check


def check_text_bytes(path: Path, raw: bytes) -> None:
    """Refuse NUL bytes: no RDF text format needs them, and they hide truncation bugs."""
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = position(raw, nul)
        raise InputError(path, "NUL byte in a text file", line=line, column=column)


class _StopParse(Exception):
    """Raised from an expat handler: the rest of the document need not be read."""


def check_xml_entities(path: Path, raw: bytes, limits: Limits | None = None) -> None:
    """Refuse RDF/XML entity tricks, decided by expat's own reading of the DTD.

    expat (the parser rdflib uses) reads the document in its declared encoding and
    reports each ``<!ENTITY>`` with its replacement text, character references already
    replaced: ``"&#38;a0;"`` is seen as ``&a0;``, whatever the encoding. Refused:
    parameter entities, external and unparsed entities (they would read another file or
    URL), and any entity whose replacement text contains ``&`` (a reference to another
    entity: the shape of every expansion bomb). Kept: plain internal entities such as
    Protégé's ``<!ENTITY owl "http://…#">``; the text their references in element
    content expand to is capped at ``max_entity_expansion``, and an attribute value
    (where expat always expands them) at ``max_term_chars``. A document without entity
    declarations costs a parse up to its first element only.

    Raises:
        InputError: naming the entity (or the malformed XML) and its line.
    """
    from xml.parsers import expat

    limits = limits or _limits
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    values: dict[str, int] = {}
    expanded = [0]
    doctype = [1, 1]

    def refuse(message: str) -> None:
        line, column = parser.CurrentLineNumber, parser.CurrentColumnNumber + 1
        raise InputError(path, message, line=line, column=column)

    def entity(
        name: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        if is_parameter:
            refuse("XML parameter entities are not accepted")
        if value is None or system_id or public_id or notation:
            refuse(
                f"external XML entity {name!r} is not accepted (it would read another file or URL)"
            )
        if "&" in str(value):
            refuse(
                f"XML entity {name!r} refers to another entity; "
                "nested entities are not accepted (entity expansion bomb)"
            )
        values[name] = len(str(value))

    def reference(data: str) -> None:
        # With a DefaultHandler set, expat reports an internal entity reference in
        # element content as "&name;" here instead of expanding it.
        if data.startswith("&") and data.endswith(";") and data[1:-1] in values:
            expanded[0] += values[data[1:-1]]
            if expanded[0] > limits.max_entity_expansion:
                raise InputError(  # at the DOCTYPE, where the entities are declared
                    path,
                    "XML entities would expand to more than "
                    f"{limits.max_entity_expansion:,} characters (max_entity_expansion)",
                    line=doctype[0],
                    column=doctype[1],
                )

    def element(name: str, attributes: dict[str, str]) -> None:
        if not values:
            raise _StopParse  # no entities: nothing below can expand
        for value in attributes.values():
            if len(value) > limits.max_term_chars:
                refuse(
                    f"an attribute value of {len(value):,} characters exceeds the limit "
                    f"of {limits.max_term_chars:,} (max_term_chars)"
                )

    def start_doctype(*_: object) -> None:
        doctype[:] = [parser.CurrentLineNumber, parser.CurrentColumnNumber + 1]

    parser.StartDoctypeDeclHandler = start_doctype
    parser.EntityDeclHandler = entity
    parser.DefaultHandler = reference
    parser.StartElementHandler = element
    try:
        parser.Parse(raw, True)
    except _StopParse:
        return
    except LookupError as exc:  # expat asks Python for a codec it does not know
        raise InputError(path, f"unknown XML encoding ({exc})", line=1) from None
    except expat.ExpatError as exc:
        message = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise InputError(
            path, f"not well-formed XML: {message}", line=exc.lineno, column=exc.offset + 1
        ) from None


@functools.cache
def _xml_declaration() -> re.Pattern[bytes]:
    # compiled on first use: loading Turtle (the everyday path) never needs it
    return re.compile(rb"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")


def xml_as_utf8(path: Path, raw: bytes) -> bytes:
    """Return RDF/XML ``raw`` in UTF-8, for pyoxigraph (which reads UTF-8 only).

    A document declared in another encoding (``ISO-8859-1``; ``UTF-16`` with its byte
    order mark) is decoded with that codec and its declaration rewritten to say UTF-8.
    Lines stay where they were, so positions still point into the file. So every RDF/XML
    file gets the strict (pyoxigraph) parse, whatever it declares.

    Raises:
        InputError: the declared encoding is unknown, or the bytes are not in it.
    """
    import codecs

    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :]
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec, name = "utf-16", "UTF-16"
    else:
        match = _xml_declaration().match(raw)
        if match is None:
            return raw
        name = match.group(1).decode("ascii")
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            raise InputError(path, f"unknown XML encoding {name!r}", line=1) from None
        if codec == "utf-8":
            return raw
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line, column = position(raw, exc.start)
        raise InputError(
            path, f"not valid {name} ({exc.reason})", line=line, column=column
        ) from None
    text = re.sub(
        r"""\A(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", r'\1"UTF-8"', text, count=1
    )
    return text.encode("utf-8", errors="surrogatepass")


#: the one rule for RDF 1.2, in every reader and engine (tests/test_input_classes.py)
RDF12_MESSAGE = (
    "RDF 1.2 triple terms are not supported (nervegraph reads RDF 1.1; "
    "use rdf:Statement reification)"
)
RDF12_DIRECTION_MESSAGE = (
    "RDF 1.2 directional language tags are not supported (nervegraph reads RDF 1.1)"
)


def rdf12_position(raw: bytes, direction: bool = False) -> tuple[int | None, int | None]:
    """Where to point an RDF 1.2 error: the first ``<<`` / ``{|`` (or ``--`` in a tag).

    Only the position comes from the text; whether the file uses RDF 1.2 was decided
    from the parser's output.
    """
    found = re.search(rb"@[A-Za-z]+(?:-[A-Za-z0-9]+)*--" if direction else rb"<<|\{\|", raw)
    if found is None:
        return 1, None
    return position(raw, found.start())


def term_too_long(term: Any, max_chars: int) -> int | None:
    """Return the length of ``term``'s value or datatype IRI if over ``max_chars``."""
    value = getattr(term, "value", None)
    if isinstance(value, str) and len(value) > max_chars:
        return len(value)
    datatype = getattr(term, "datatype", None)
    if datatype is not None and len(datatype.value) > max_chars:
        return len(datatype.value)
    return None


def strict_parse(
    path: Path, raw: bytes, fmt: str, base_iri: str, limits: Limits | None = None
) -> None:
    """Parse ``raw`` with pyoxigraph (strict RDF 1.1) and check what it produced.

    RDF/XML in another encoding is transcoded first (:func:`xml_as_utf8`); JSON-LD is
    read by pyoxigraph's JSON-LD parser (it has no document loader: no remote context
    is ever fetched). Refused, from the parsed terms: RDF 1.2 triple terms and
    directional language tags, and any literal, IRI or datatype longer than
    ``max_term_chars`` (counted on the parser's output, so XML entities or escapes
    cannot hide a long one).

    Raises:
        InputError: a syntax error (with pyoxigraph's line and column), RDF 1.2, or a
            term longer than :attr:`Limits.max_term_chars`.
    """
    name = OX_FORMATS.get(fmt)
    if name is None:
        return
    if fmt == "xml":
        raw = xml_as_utf8(path, raw)
    import pyoxigraph

    limits = limits or _limits
    big: int | None = None
    big_text = ""
    try:
        for quad in pyoxigraph.parse(
            raw, format=getattr(pyoxigraph.RdfFormat, name), base_iri=base_iri
        ):
            obj = quad.object
            if isinstance(obj, pyoxigraph.Triple):
                line, column = rdf12_position(raw)
                raise InputError(path, RDF12_MESSAGE, line=line, column=column)
            if getattr(obj, "direction", None):
                line, column = rdf12_position(raw, direction=True)
                raise InputError(path, RDF12_DIRECTION_MESSAGE, line=line, column=column)
            for term in (quad.subject, quad.predicate, obj):
                big = term_too_long(term, limits.max_term_chars)
                if big is not None:
                    big_text = str(getattr(term, "value", ""))
                    break
            if big is not None:
                break
    except SyntaxError as exc:
        message = str(exc)
        message = re.sub(r"^Parser error [^:]*: ", "", message)
        if message.lower().startswith("unexpected end of file"):
            message = "unexpected end of file: what starts here is never closed"
        message = re.sub(r" \(line \d+\)$", "", message)
        line = exc.lineno if isinstance(exc.lineno, int) else None
        column = exc.offset if isinstance(exc.offset, int) and line is not None else None
        if line is None:  # the RDF/XML parser names the culprit but not where it is
            line, column = _locate(raw, message)
        raise InputError(path, message or "syntax error", line=line, column=column) from None
    except (ValueError, OSError) as exc:  # e.g. an I/O error inside the XML reader
        raise InputError(path, str(exc) or type(exc).__name__) from None
    if big is not None:
        found = raw.find(big_text[:64].encode("utf-8")) if big_text else -1
        line, column = position(raw, found) if found >= 0 else (1, None)
        raise InputError(
            path,
            f"a literal or IRI of {big:,} characters exceeds the limit of "
            f"{limits.max_term_chars:,} (max_term_chars)",
            line=line,
            column=column,
        )


def _locate(raw: bytes, message: str) -> tuple[int | None, int | None]:
    """Find where a message's quoted culprit (``'…'``) is in ``raw``, if anywhere."""
    for quoted in re.findall(r"'([^']{3,})'", message):
        found = raw.find(quoted.encode("utf-8"))
        if found >= 0:
            return position(raw, found)
    return None, None


def first_element_line(raw: bytes) -> int:
    """Return the line of the first XML element (the root), or 1."""
    root = re.search(rb"<[A-Za-z_]", raw)
    return position(raw, root.start())[0] if root else 1


@functools.cache
def _turtle_tokens() -> re.Pattern[bytes]:
    """Strings, IRIs, comments and brackets of Turtle: what nesting depth counts."""
    return re.compile(
        rb'"""(?:[^"\\]|\\.|"(?!""))*"""'
        rb"|'''(?:[^'\\]|\\.|'(?!''))*'''"
        rb'|"(?:[^"\\\n]|\\.)*"'
        rb"|'(?:[^'\\\n]|\\.)*'"
        rb"|<[^<>\s]*>"
        rb"|#[^\n]*"
        rb"|[\[\]()]",
        re.DOTALL,
    )


def check_depth(path: Path, raw: bytes, fmt: str, limits: Limits | None = None) -> None:
    """Refuse Turtle/TriG nesting of ``( )`` and ``[ ]`` deeper than ``max_depth``.

    Strings, IRIs and comments are skipped; on malformed input the count is approximate.
    """
    if fmt not in ("turtle", "trig"):
        return
    limits = limits or _limits
    depth = 0
    for match in _turtle_tokens().finditer(raw):
        token = match.group(0)
        if token in (b"[", b"("):
            depth += 1
            if depth > limits.max_depth:
                line, column = position(raw, match.start())
                raise InputError(
                    path,
                    "lists or blank nodes nested too deeply: "
                    f"more than {limits.max_depth} levels (max_depth)",
                    line=line,
                    column=column,
                )
        elif token in (b"]", b")"):
            depth -= 1


def check_json_depth(path: Path, raw: bytes, limits: Limits | None = None) -> None:
    """Refuse deep JSON and long JSON strings.

    Nesting deeper than ``max_depth`` is refused before ``json.loads`` recurses; strings
    longer than ``max_term_chars`` before rdflib copies them around.
    """
    limits = limits or _limits
    depth = 0
    for match in re.finditer(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', raw):
        token = match.group(0)
        if token in (b"[", b"{"):
            depth += 1
            if depth > limits.max_depth:
                line, column = position(raw, match.start())
                raise InputError(
                    path,
                    f"JSON nested too deeply: more than {limits.max_depth} levels (max_depth)",
                    line=line,
                    column=column,
                )
        elif token in (b"]", b"}"):
            depth -= 1
        elif len(token) > limits.max_term_chars:
            size = len(token.decode("utf-8", errors="replace")) - 2
            if size > limits.max_term_chars:
                line, column = position(raw, match.start())
                raise InputError(
                    path,
                    f"a string of {size:,} characters exceeds the limit of "
                    f"{limits.max_term_chars:,} (max_term_chars)",
                    line=line,
                    column=column,
                )


def precheck(path: Path, raw: bytes, fmt: str) -> None:
    """Run the checks that need no parser: NUL bytes, XML entities, nesting depth.

    ``fmt`` is an rdflib parser name. :func:`strict_parse` is the other half.
    """
    if fmt != "xml" or not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        check_text_bytes(path, raw)  # XML forbids U+0000 too (UTF-16 has NUL bytes)
    if fmt == "xml":
        check_xml_entities(path, raw)
    elif fmt == "json-ld":
        if raw.startswith(b"\xef\xbb\xbf"):  # RFC 8259 8.1: JSON text has no BOM
            raise InputError(path, "a byte order mark before the JSON", line=1, column=1)
        check_json_depth(path, raw)
    else:
        check_depth(path, raw, fmt)


# ------------------------------------------------------------------ regex lint

#: a group containing an unbounded quantifier, itself quantified without bound:
#: ``(a+)+``, ``(.*)*``, ``(\w+\s?)*``, ``(?:x|y+){2,}``
_NESTED_QUANTIFIER = re.compile(
    r"\((?:\?:)?(?:[^()\\]|\\.)*(?:[+*]|\{\d+,\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\})"
)
#: an alternation of overlapping branches under a star: ``(a|a)*``, ``(a|ab)*``
_OVERLAPPING_ALTERNATION = re.compile(r"\((?:\?:)?([^()|\\]+)\|\1[^()]*\)(?:[+*]|\{\d+,\})")


def pattern_problem(pattern: str) -> str | None:
    r"""Return why ``pattern`` may take exponential time to match, or ``None``.

    Detects nested unbounded quantifiers (``(a+)+``, ``(.*)*``, ``(\w+\s?)*``) and
    quantified alternations whose branches share a prefix (``(a|ab)*``): the shapes of
    catastrophic backtracking. Also refuses patterns that do not compile.
    """
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression ({exc})"
    if _NESTED_QUANTIFIER.search(pattern):
        return "nested unbounded quantifiers (like (a+)+) can take exponential time"
    if _OVERLAPPING_ALTERNATION.search(pattern):
        return "a repeated alternation with overlapping branches can take exponential time"
    return None


def catastrophic_patterns(shapes_graph: Any) -> list[tuple[str, str, str]]:
    """Return ``(shape, pattern, reason)`` for every dangerous ``sh:pattern`` in the shapes."""
    from rdflib import SH

    found = []
    for shape, pattern in shapes_graph.subject_objects(SH.pattern):
        reason = pattern_problem(str(pattern))
        if reason:
            found.append((str(shape), str(pattern), reason))
    return sorted(found)


def network_constraints(shapes_graph: Any) -> list[tuple[str, str]]:
    """Return ``(shape, keyword message)`` for SHACL-SPARQL that would read remote data."""
    from rdflib import SH

    from nervegraph.rdf.sparql import check_offline

    found = []
    for predicate in (SH.select, SH.ask, SH.construct, SH.update):
        for node, text in shapes_graph.subject_objects(predicate):
            try:
                check_offline(str(text))
            except NervegraphError as exc:
                found.append((str(node), str(exc).split(",")[0]))
    return sorted(found)


# ------------------------------------------------------------------ deadlines


def _child(func: Callable[[], Any], conn: Any) -> None:  # pragma: no cover - in the child
    try:
        outcome: tuple[str, Any] = ("ok", func())
    except BaseException as exc:  # noqa: BLE001 - sent to the parent
        outcome = ("error", exc)
    try:
        import pickle

        conn.send_bytes(pickle.dumps(outcome))
    except Exception as exc:  # noqa: BLE001 - unpicklable result or exception
        import pickle

        conn.send_bytes(pickle.dumps(("error", NervegraphError(f"{type(exc).__name__}: {exc}"))))
    finally:
        conn.close()
        os._exit(0)


def call_with_timeout(func: Callable[[], T], timeout: float | None, *, what: str) -> T:
    """Run ``func()`` and return its value, stopping it after ``timeout`` seconds.

    With a timeout the call runs in a forked child process (which inherits the loaded
    graph, so nothing is copied in) and its picklable result is sent back; the child is
    killed at the deadline, so no runaway computation outlives the call. Without
    ``fork`` (Windows) it runs in-process without a deadline.

    Raises:
        DeadlineExceeded: ``func`` did not finish in time.
        Any exception ``func`` raised (re-raised in the caller).
    """
    import multiprocessing  # here: the everyday path needs no deadline child
    import pickle

    if timeout is None or "fork" not in multiprocessing.get_all_start_methods():
        return func()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(func, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise DeadlineExceeded(what, timeout)
        try:
            status, value = pickle.loads(receiver.recv_bytes())
        except EOFError:
            raise NervegraphError(f"{what} crashed (exit code {process.exitcode})") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        raise value
    return value  # type: ignore[no-any-return]


__all__ = [
    "Limits",
    "call_with_timeout",
    "catastrophic_patterns",
    "check_depth",
    "check_json_depth",
    "check_text_bytes",
    "check_xml_entities",
    "get_limits",
    "network_constraints",
    "pattern_problem",
    "precheck",
    "set_limits",
    "strict_parse",
    "xml_as_utf8",
]
